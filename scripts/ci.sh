#!/usr/bin/env bash
# CI lanes. GitHub workflows and .ci/run only call this script (crossbeam's ci/ habit).
#   bash scripts/ci.sh <lane>...   lanes: fmt clippy test features loom miri smoke bench all
# Portable bash (Linux and macOS); one target dir for everything but loom/miri, whose
# RUSTFLAGS/toolchain would otherwise invalidate the main build cache.
set -euo pipefail
cd "$(dirname "$0")/.."

# The ron-bus flags, and the seeds' combos (MOG plan section 1, kernel notes).
FLAGS="bus_edge_notify bus_batch bus_autotune_cap metrics_buf bus_soa bus_interest bus_coalesce local_dispatch"
COMBOS="metrics_buf metrics_buf,bus_edge_notify metrics_buf,bus_edge_notify,bus_batch"

say() { printf '\n==> %s\n' "$*"; }

lane_fmt() { say "fmt"; cargo fmt --all -- --check; }

lane_clippy() {
  say "clippy (workspace, all features)"
  cargo clippy --workspace --all-targets --all-features -- -D warnings
}

# The README's test command.
lane_test() {
  say "tests (README: cargo test --workspace)"
  cargo test --workspace
}

lane_features() {
  say "feature matrix: ron-bus + comparables, (none), each flag alone, the seed combos, all"
  local sets=("" $FLAGS $COMBOS "$(echo $FLAGS | tr ' ' ',')")
  for f in "${sets[@]}"; do
    say "features: ${f:-(none)}"
    if [ -n "$f" ]; then
      cargo clippy -q -p ron-bus -p ron-comparables --all-targets --features "$f" -- -D warnings
      cargo test -q -p ron-bus --features "$f"
    else
      cargo clippy -q -p ron-bus -p ron-comparables --all-targets -- -D warnings
      cargo test -q -p ron-bus
    fi
  done
}

lane_loom() {
  say "loom models (RUSTFLAGS=--cfg loom), default ring, SoA ring, edge notify"
  for f in "" "bus_soa" "bus_edge_notify" "bus_edge_notify,bus_interest,bus_batch"; do
    say "loom features: ${f:-(none)}"
    RUSTFLAGS="--cfg loom" cargo test -q -p ron-bus --release --test loom \
      --target-dir target/loom ${f:+--features "$f"}
  done
}

# Tree Borrows: crossbeam-epoch is not Stacked-Borrows clean (crossbeam runs Miri with Tree
# Borrows too). Leaks ignored: epoch garbage still queued in the global collector at process
# exit is reported as leaked; our own payload accounting is checked exactly by
# tests/features.rs `payloads_are_dropped_exactly_once`.
MIRI_FLAGS="-Zmiri-tree-borrows -Zmiri-disable-isolation -Zmiri-ignore-leaks"

lane_miri() {
  say "miri (ron-bus, default ring and SoA ring)"
  MIRIFLAGS="$MIRI_FLAGS" cargo +nightly miri test -p ron-bus
  MIRIFLAGS="$MIRI_FLAGS" cargo +nightly miri test -p ron-bus \
    --features bus_soa --test semantics --test features
}

lane_smoke() {
  say "observability smoke (kernel_demo ~2 s + endpoint checks)"
  bash scripts/metrics_smoke.sh
}

lane_bench() {
  say "benches compile (cargo bench --no-run)"
  cargo bench --workspace --no-run
}

run_lane() {
  case "$1" in
    fmt | clippy | test | features | loom | miri | smoke | bench) "lane_$1" ;;
    all) for l in fmt clippy test features loom miri smoke bench; do lane_$l; done ;;
    *) echo "unknown lane: $1 (fmt clippy test features loom miri smoke bench all)" >&2; exit 2 ;;
  esac
}

[ $# -gt 0 ] || set -- all
for lane in "$@"; do run_lane "$lane"; done
