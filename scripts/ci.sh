#!/usr/bin/env bash
# CI lanes. GitHub workflows and .ci/run only call this script (crossbeam's ci/ habit).
#   bash scripts/ci.sh <lane>...   lanes: fmt clippy test features loom miri smoke bench
#                                          api api-update deny advisories audit unsafe sbom all
#   (`all` runs the offline lanes; advisories/audit need the network, sbom cargo-auditable
#   and cargo-cyclonedx: the GitHub workflow runs those.)
# Portable bash (Linux and macOS); one target dir for everything but loom/miri and the
# nightly rustdoc JSON of the api lane (target/api; its printer in target/tools), whose
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

# Merge-blocking gates (README "CI gates").

# Public-API freeze of ron-bus and ron-metrics (snapshots in <crate>/api/, nightly rustdoc JSON).
lane_api() {
  say "public API vs the committed snapshots (+ CHANGELOG rule)"
  bash scripts/public_api.sh check
}

lane_api_update() {
  say "public API: rewrite the snapshots"
  bash scripts/public_api.sh update
}

# cargo-deny, offline parts: licence allow-list, bans (wildcards, duplicates warn), sources.
# Inclusion graphs hidden (the duplicate warnings alone would print ~500 lines); `cargo tree
# -i <crate>` shows who pulls a crate in.
lane_deny() {
  say "cargo deny: licenses bans sources (deny.toml)"
  cargo deny --locked check --hide-inclusion-graph licenses bans sources
}

# Needs the RustSec advisory DB (network): GitHub workflow only.
lane_advisories() {
  say "cargo deny: advisories"
  cargo deny --locked check --hide-inclusion-graph advisories
}

lane_audit() {
  say "cargo audit (RustSec advisory DB)"
  cargo audit # exits 1 on a vulnerability (informational notices: cargo deny advisories)
}

lane_unsafe() {
  say "unsafe census (only kernel/bus/src/ring/ may contain unsafe)"
  bash scripts/unsafe_census.sh
}

# Release build of ron-bench with the dependency tree embedded (cargo auditable), and a
# CycloneDX SBOM of the workspace, both into $SBOM_DIR for the workflow's artifact upload.
lane_sbom() {
  local out="${SBOM_DIR:-target/sbom}"
  say "sbom: cargo auditable build --release -p ron-harness; cargo cyclonedx -> $out"
  mkdir -p "$out"
  cargo auditable build --locked --release -p ron-harness --bin ron-bench
  cp target/release/ron-bench "$out/"
  # One SBOM per workspace package, written next to its Cargo.toml (`<name>.cdx.json`, or
  # `bom.json` in some versions); every transitive dependency (--all), every feature.
  cargo cyclonedx --format json --all --all-features
  local f n=0
  while read -r f; do
    mv "$f" "$out/$(dirname "${f#./}" | tr / _)-$(basename "$f")"
    n=$((n + 1))
  done < <(find . -path ./target -prune -o \( -name '*.cdx.json' -o -name 'bom.json' \) -print)
  [ "$n" -gt 0 ] || { echo "sbom: cargo cyclonedx wrote no SBOM" >&2; exit 1; }
  ls -l "$out"
}

OFFLINE_LANES="fmt clippy test features loom miri smoke bench api deny unsafe"

run_lane() {
  case "$1" in
    fmt | clippy | test | features | loom | miri | smoke | bench | api | deny | advisories | \
      audit | unsafe | sbom) "lane_$1" ;;
    api-update) lane_api_update ;;
    all) for l in $OFFLINE_LANES; do lane_$l; done ;;
    *) echo "unknown lane: $1 ($OFFLINE_LANES api-update advisories audit sbom all)" >&2; exit 2 ;;
  esac
}

[ $# -gt 0 ] || set -- all
for lane in "$@"; do run_lane "$lane"; done
