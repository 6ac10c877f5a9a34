#!/usr/bin/env bash
# The seed 002 perf gate, on ron-bench:
#
#   bash scripts/perf_gate.sh                              # seed thresholds, same-run A/B
#   STRICT=1 ROUNDS=5 MEASTIME=12 bash scripts/perf_gate.sh  # + strict regression checks
#
# What it checks (policies embedded in ron-bench; files in harness/gates/):
#   perf_gate.toml         the seed 002 thresholds, bus_batch build vs the build without it,
#                          interleaved in one run: one_sub (steady, 1 subscriber) at most 10%
#                          slower; batched fanout >= +15% deliveries/s; batched lagged
#                          (capacity 1) >= +8%.
#   perf_gate_strict.toml  STRICT=1: the same, plus "no regression above 5%" on the two main
#                          scenarios, classic_fanout (burst_fanout burst=256 cap=2048) and
#                          batched_fanout (burst=512 cap=4096, burst=1024 cap=8192), measured
#                          against a git revision (AGAINST) in the same run, or against a
#                          saved baseline (BASELINE).
#
# Environment (all optional):
#   ROUNDS     process runs per (cell, build) -> `--rounds` [default: the gate's preset,
#              30 (20 with QUICK=1); a smaller value is raised to MIN_ROUNDS, see below]
#   MEASTIME   seconds of measurement per process run, like criterion's --measurement-time:
#              the sample window is MEASTIME / SAMPLES -> `--window-ms` [default: preset]
#   SAMPLES    samples per process run -> `--samples` [default: 10 with MEASTIME, else preset]
#   STRICT=1   add the strict checks above; AGAINST defaults to the merge base with
#              origin/main when HEAD is not on it, else HEAD~1
#   AGAINST    git revision for the strict checks (sha, tag, branch, HEAD~1, origin/main)
#   BASELINE   a saved baseline name instead of AGAINST (`ron-bench baseline list`)
#   QUICK=1    `--quick` (short windows; for a smoke run)
#   FEATURES   extra runner features ON in both sides (`--features`)
#   POLICY     another policy file or name (overrides the two above)
#   FAIL_INCONCLUSIVE=1   `--strict`: inconclusive and missing verdicts fail too
#   OUT_DIR    report directory [default: reports/<date>-<shortsha>/]
#   LABEL      NOTES title label [default: perf_gate or perf_gate-strict]
#   RON_BENCH  how to run ron-bench, e.g. a path [default: build it with cargo, release]
#
# Rounds and significance: the seed ran 3 or 5 criterion "rounds" of 100 samples each. Here a
# round is one process run per (cell, build), and verdicts use a paired rank test on rounds
# with a false-discovery correction across the checks: with 3 paired rounds the smallest
# attainable p is 0.25 and with 5 it is 0.0625, so nothing could ever be flagged. ROUNDS below
# MIN_ROUNDS (default 12) is therefore raised to it, with a note (ALLOW_FEW_ROUNDS=1 keeps it;
# such a run can only pass or be inconclusive).
#
# Exit code: the gate's (0 pass, 1 a gate failed, 2 usage/data/tool error).
# Portable bash 3.2+ (Linux and macOS); POSIX awk/sed only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'perf_gate: %s\n' "$*" >&2; }
die() { printf 'perf_gate: error: %s\n' "$*" >&2; exit 2; }

is_uint() { case "$1" in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
is_num() {
  case "$1" in
    '' | . | *.*.* | *[!0-9.]*) return 1 ;;
    *) return 0 ;;
  esac
}

STRICT="${STRICT:-0}"
QUICK="${QUICK:-0}"
ROUNDS="${ROUNDS:-}"
MEASTIME="${MEASTIME:-}"
SAMPLES="${SAMPLES:-}"
MIN_ROUNDS="${MIN_ROUNDS:-12}"
ALLOW_FEW_ROUNDS="${ALLOW_FEW_ROUNDS:-0}"

[ -z "$ROUNDS" ] || is_uint "$ROUNDS" || die "ROUNDS=$ROUNDS is not a whole number"
[ -z "$ROUNDS" ] || [ "$ROUNDS" -ge 1 ] || die "ROUNDS must be at least 1"
[ -z "$MEASTIME" ] || is_num "$MEASTIME" || die "MEASTIME=$MEASTIME is not a number of seconds"
[ -z "$SAMPLES" ] || is_uint "$SAMPLES" || die "SAMPLES=$SAMPLES is not a whole number"
[ -z "$SAMPLES" ] || [ "$SAMPLES" -ge 1 ] || die "SAMPLES must be at least 1"
is_uint "$MIN_ROUNDS" || die "MIN_ROUNDS=$MIN_ROUNDS is not a whole number"
case "$STRICT" in 0 | 1) ;; *) die "STRICT=$STRICT: use 0 or 1" ;; esac
case "$QUICK" in 0 | 1) ;; *) die "QUICK=$QUICK: use 0 or 1" ;; esac

# ---------------------------------------------------------------- ron-bench
if [ -n "${RON_BENCH:-}" ]; then
  # shellcheck disable=SC2206 # a command line on purpose (e.g. "cargo run -q ... --")
  BENCH=($RON_BENCH)
else
  say "building ron-bench (release; reused when up to date)"
  cargo build --release -q -p ron-harness --bin ron-bench
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  BENCH=("$TARGET_DIR/release/ron-bench")
  [ -x "${BENCH[0]}" ] || die "ron-bench not found at ${BENCH[0]}"
fi

# ---------------------------------------------------------------- arguments
args=(gate)
if [ -n "${POLICY:-}" ]; then
  args+=(--policy "$POLICY")
elif [ "$STRICT" = 1 ]; then
  args+=(--policy perf_gate_strict)
else
  args+=(--policy perf_gate)
fi

if [ "$STRICT" = 1 ]; then
  if [ -n "${BASELINE:-}" ]; then
    args+=(--baseline "$BASELINE")
  else
    against="${AGAINST:-}"
    if [ -z "$against" ]; then
      git rev-parse --verify -q HEAD >/dev/null || die "STRICT=1 needs a git checkout (or BASELINE=NAME)"
      base=""
      if git rev-parse --verify -q origin/main >/dev/null; then
        base="$(git merge-base HEAD origin/main 2>/dev/null || true)"
      fi
      if [ -n "$base" ] && [ "$base" != "$(git rev-parse HEAD)" ]; then
        against="$base"
      else
        against="HEAD~1"
      fi
    fi
    args+=(--against "$against")
  fi
fi

if [ -n "$ROUNDS" ] && [ "$ROUNDS" -lt "$MIN_ROUNDS" ]; then
  if [ "$ALLOW_FEW_ROUNDS" = 1 ]; then
    say "note: ROUNDS=$ROUNDS < $MIN_ROUNDS: a paired rank test on so few rounds cannot reach significance; expect pass or inconclusive only"
  else
    say "note: ROUNDS=$ROUNDS raised to $MIN_ROUNDS: a paired rank test on fewer rounds cannot reach significance (ALLOW_FEW_ROUNDS=1 keeps $ROUNDS)"
    ROUNDS="$MIN_ROUNDS"
  fi
fi
[ -z "$ROUNDS" ] || args+=(--rounds "$ROUNDS")

if [ -n "$MEASTIME" ]; then
  [ -n "$SAMPLES" ] || SAMPLES=10
  window_ms="$(awk -v m="$MEASTIME" -v s="$SAMPLES" 'BEGIN { w = int(m * 1000 / s); if (w < 1) w = 1; print w }')"
  args+=(--samples "$SAMPLES" --window-ms "$window_ms")
  say "MEASTIME=${MEASTIME}s -> $SAMPLES samples x ${window_ms} ms per process run"
elif [ -n "$SAMPLES" ]; then
  args+=(--samples "$SAMPLES")
fi

[ "$QUICK" = 1 ] && args+=(--quick)
[ "${FAIL_INCONCLUSIVE:-0}" = 1 ] && args+=(--strict)
[ -z "${FEATURES:-}" ] || args+=(--features "$FEATURES")

if [ -z "${OUT_DIR:-}" ]; then
  sha="$(git rev-parse --short HEAD 2>/dev/null || echo nogit)"
  OUT_DIR="reports/$(date +%Y-%m-%d)-$sha"
fi
if [ -z "${LABEL:-}" ]; then
  if [ "$STRICT" = 1 ]; then LABEL=perf_gate-strict; else LABEL=perf_gate; fi
fi
args+=(--out-dir "$OUT_DIR" --label "$LABEL")

# ---------------------------------------------------------------- run
say "ron-bench ${args[*]}"
set +e
"${BENCH[@]}" "${args[@]}"
rc=$?
set -e

if [ -d "$OUT_DIR" ]; then
  say "reports in $OUT_DIR:"
  for f in "$OUT_DIR"/*; do [ -e "$f" ] && printf '  %s\n' "$f" >&2; done
fi
case "$rc" in
  0) say "PASS (exit 0)" ;;
  1) say "FAIL: a gate failed (exit 1)" ;;
  *) say "ERROR: ron-bench exited $rc" ;;
esac
exit "$rc"
