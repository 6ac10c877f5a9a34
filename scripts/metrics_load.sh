#!/usr/bin/env bash
# HTTP load test of the ron-metrics exposer (kernel_demo, release build) with wrk.
#
# Measures p50/p95/p99 latency and requests/s for the seed 003 targets:
#   /healthz               32 connections   p95 <= 2 ms
#   /readyz (ready)        32 connections   p95 <= 3 ms
#   /metrics (first-party) 16 connections   p95 <= 5 ms
#   /metrics (10k series)   4 connections   p95 <= 60 ms   (RON_METRICS_LOAD=large)
# Traffic goes only to 127.0.0.1; every run is bounded by DURATION.
#
# Usage: scripts/metrics_load.sh [--enforce]
#   DURATION=10s   length of each wrk run
#   THREADS=1      wrk threads (the machine has 2 cores; the server needs them too)
#   --enforce      exit 1 when a p95 target is missed (default: report only)
# Needs: cargo, wrk (apt-get install -y wrk), curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-1}"
ENFORCE=0
[ "${1:-}" = "--enforce" ] && ENFORCE=1

fail() { echo "metrics_load: $*" >&2; exit 2; }
command -v wrk >/dev/null || fail "wrk is not installed (apt-get install -y wrk)"
command -v curl >/dev/null || fail "curl is not installed (apt-get install -y curl)"

echo "metrics_load: building kernel_demo (release)"
cargo build -q --release -p ron-metrics --example kernel_demo
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
DEMO="${TARGET_DIR:-$ROOT/target}/release/examples/kernel_demo"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f rps=%.0f requests=%d socket_errors=%d non_2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / secs, summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
LUA

# start_demo NAME [ARGS...]: starts the demo on a free port; sets ADDR.
start_demo() {
  local name="$1"; shift
  "$DEMO" --addr 127.0.0.1:0 --run-for 600 "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  ADDR=""
  for _ in $(seq 1 200); do
    ADDR="$(grep -so 'http://127\.0\.0\.1:[0-9]*/metrics' "$WORK/$name.log" | head -1 | sed 's#http://##; s#/metrics##' || true)"
    [ -n "$ADDR" ] && break
    sleep 0.05
  done
  [ -n "$ADDR" ] || { cat "$WORK/$name.log"; fail "demo $name did not start"; }
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ADDR/readyz")" = 200 ] && return 0
    sleep 0.05
  done
  fail "demo $name never became ready"
}

MISSED=0
SUMMARY=()
# run NAME URL CONNECTIONS TARGET_P95_MS
run() {
  local name="$1" url="$2" conns="$3" target="$4"
  local bytes
  bytes="$(curl -fsS "$url" | wc -c)"
  echo "metrics_load: $name: wrk -t$THREADS -c$conns -d$DURATION $url ($bytes bytes/response)"
  local out
  out="$(wrk -t"$THREADS" -c"$conns" -d"$DURATION" --timeout 5s -s "$WORK/report.lua" "$url")"
  local line
  line="$(echo "$out" | grep '^RESULT ' | sed 's/^RESULT //')" || { echo "$out"; fail "wrk printed no result"; }
  local p95
  p95="$(echo "$line" | sed -n 's/.*p95_ms=\([0-9.]*\).*/\1/p')"
  local verdict="ok"
  if awk -v a="$p95" -v b="$target" 'BEGIN { exit !(a > b) }'; then verdict="MISSED"; MISSED=1; fi
  SUMMARY+=("$(printf '%-22s c=%-3s %s  target p95<=%sms  %s' "$name" "$conns" "$line" "$target" "$verdict")")
}

start_demo small
run "healthz" "http://$ADDR/healthz" 32 2
run "readyz" "http://$ADDR/readyz" 32 3
run "metrics_first_party" "http://$ADDR/metrics" 16 5
start_demo large --large
run "metrics_10k_series" "http://$ADDR/metrics" 4 60

echo
echo "metrics_load: results (DURATION=$DURATION, wrk threads=$THREADS, $(nproc) cores)"
for s in "${SUMMARY[@]}"; do echo "  $s"; done
if [ "$MISSED" -ne 0 ] && [ "$ENFORCE" -eq 1 ]; then
  echo "metrics_load: a p95 target was missed" >&2
  exit 1
fi
