#!/usr/bin/env bash
# Smoke test of the ron-metrics exposer through the kernel_demo example.
#
# Builds and starts the demo on a free loopback port with a temporary RON_CONFIG, then
# checks over HTTP (curl): /healthz, /readyz (503 -> 200 once the config loads), /metrics
# family names, base labels and suffix discipline, the 405/404/413 rules and hygiene
# headers, HEAD, a config change that flips amnesia, a touch that changes nothing, a parse
# error and an empty file that keep the old config (reported on /readyz), a FIFO at the
# config path (refused, replaced, SIGINT still stops the demo), and `promtool check metrics`
# (no findings) when promtool is installed. Exits non-zero on the first failure.
# Needs: cargo, curl, mkfifo (promtool optional unless RON_CI_REQUIRE_TOOLS=1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

fail() { echo "metrics_smoke: FAIL: $*" >&2; exit 1; }
pass() { echo "metrics_smoke: ok: $*"; }

command -v curl >/dev/null || fail "curl is not installed (apt-get install -y curl)"

echo "metrics_smoke: building kernel_demo"
cargo build -q -p ron-metrics --example kernel_demo
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
DEMO="${TARGET_DIR:-$ROOT/target}/debug/examples/kernel_demo"
[ -x "$DEMO" ] || fail "demo binary not found at $DEMO"

WORK="$(mktemp -d)"
DEMO_PID=""
cleanup() {
  if [ -n "$DEMO_PID" ]; then kill "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# RON_CONFIG names a file created only after the first /readyz check, so the demo starts
# not ready. --run-for bounds the demo's life even if this script is killed.
CONFIG="$WORK/demo.toml"
RON_CONFIG="$CONFIG" "$DEMO" --addr 127.0.0.1:0 --run-for 60 >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!

ADDR=""
for _ in $(seq 1 300); do
  ADDR="$(grep -o 'http://127\.0\.0\.1:[0-9]*/metrics' "$WORK/demo.log" | head -1 | sed 's#http://##; s#/metrics##' || true)"
  [ -n "$ADDR" ] && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$WORK/demo.log"; fail "demo exited"; }
  sleep 0.05
done
[ -n "$ADDR" ] || { cat "$WORK/demo.log"; fail "demo never printed its URLs"; }
BASE="http://$ADDR"
echo "metrics_smoke: demo at $BASE"

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- /healthz ---------------------------------------------------------------------------
[ "$(curl -fsS "$BASE/healthz")" = "ok" ] || fail "/healthz body is not ok"
pass "/healthz 200 ok"

# --- /readyz before the config exists: 503 + Retry-After + JSON ---------------------------
HDRS="$(curl -s -D - -o "$WORK/ready.json" "$BASE/readyz")"
echo "$HDRS" | head -1 | grep -q ' 503' || fail "/readyz should be 503 before the config loads"
echo "$HDRS" | grep -qi '^retry-after: 5' || fail "/readyz 503 lacks Retry-After: 5"
grep -q '"degraded":true' "$WORK/ready.json" || fail "/readyz 503 body: $(cat "$WORK/ready.json")"
grep -q '"config_loaded"' "$WORK/ready.json" || fail "/readyz should list config_loaded as missing"
pass "/readyz 503 with Retry-After while config is missing"

printf 'amnesia = false\nversion = 1\n' >"$CONFIG"
for _ in $(seq 1 300); do [ "$(status "$BASE/readyz")" = 200 ] && break; sleep 0.05; done
BODY="$(curl -fsS "$BASE/readyz")" || fail "/readyz never turned 200 after the config loaded"
echo "$BODY" | grep -Eq '^\{"degraded":false,"missing":\[\],"retry_after":0,"since":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]+"\}$' \
  || fail "/readyz 200 body: $BODY"
pass "/readyz 200 $BODY"

# --- /metrics: names, base labels, suffixes ------------------------------------------------
metrics() { curl -fsS "$BASE/metrics"; }
# grep the page without `grep -q`, which exits at the first match and makes curl fail with
# "Failed writing body" (exit 23, a pipeline failure under pipefail).
mgrep() { metrics | grep -c "$@" >/dev/null; }
metrics >"$WORK/metrics.txt" || fail "/metrics failed"
for fam in bus_published_total bus_no_receivers_total bus_receiver_lag_total \
  bus_notify_sends_total bus_notify_suppressed_total bus_batch_publish_total \
  bus_batch_len bus_metrics_tls_flush_total bus_metrics_tls_threshold \
  bus_autotune_warn_total bus_cap_selected bus_interest_skips_total \
  service_restarts_total request_latency_seconds amnesia_mode exposition_latency_seconds \
  rejected_total pq_kex_failures_total pq_verify_failures_total zk_verify_failures_total \
  zk_proof_latency_seconds; do
  grep -q "^# TYPE $fam " "$WORK/metrics.txt" || fail "/metrics lacks $fam"
done
pass "/metrics has every contract family"
grep -q '^bus_published_total{.*} [1-9]' "$WORK/metrics.txt" || fail "demo publishes but bus_published_total is 0"
for label in service instance build_version amnesia; do
  if grep -v '^#' "$WORK/metrics.txt" | grep -v "[{,]$label=\"" | grep -q .; then
    fail "series without the $label base label: $(grep -v '^#' "$WORK/metrics.txt" | grep -v "[{,]$label=\"" | head -1)"
  fi
done
pass "every series carries service, instance, build_version, amnesia"
BAD="$(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$WORK/metrics.txt" \
  | grep -Ev '(_total|_seconds|_bytes)$' \
  | grep -Ev '^(amnesia_mode|bus_cap_selected|bus_metrics_tls_threshold|bus_batch_len|config_last_reload_successful)$' || true)"
[ -z "$BAD" ] || fail "suffix violations: $BAD"
# (config_last_reload_successful: the demo's 0/1 gauge, named like Prometheus's own.)
pass "suffix discipline (_total/_seconds/_bytes + established gauge names)"
grep -q '^amnesia_mode{.*amnesia="off"} 0$' "$WORK/metrics.txt" || fail "amnesia should start off"

# --- method, path, body rules and headers ---------------------------------------------------
HDRS="$(curl -s -D - -o /dev/null -X POST "$BASE/metrics")"
echo "$HDRS" | head -1 | grep -q ' 405' || fail "POST /metrics should be 405"
echo "$HDRS" | grep -qi '^allow: GET, HEAD' || fail "405 lacks Allow: GET, HEAD"
HDRS="$(curl -s -I "$BASE/healthz")"
echo "$HDRS" | head -1 | grep -q ' 200' || fail "HEAD /healthz should be 200: $HDRS"
echo "$HDRS" | grep -qi '^content-length: 3' || fail "HEAD /healthz lacks GET's Content-Length: $HDRS"
[ "$(status "$BASE/nope")" = 404 ] || fail "unknown path should be 404"
[ "$(status -X GET --data-binary hello "$BASE/healthz")" = 413 ] || fail "a body should be 413"
HDRS="$(curl -s -D - -o /dev/null "$BASE/metrics")"
echo "$HDRS" | grep -qi '^cache-control: no-store' || fail "missing Cache-Control: no-store"
echo "$HDRS" | grep -qi '^x-content-type-options: nosniff' || fail "missing nosniff"
echo "$HDRS" | grep -qi '^content-type: text/plain; version=0.0.4' || fail "wrong content type"
pass "405 + Allow, HEAD, 404, 413, hygiene headers, text format 0.0.4"

# --- config: real change flips amnesia; touch changes nothing; parse error is survived ----
reloads() { metrics | sed -n 's/^config_reloads_total{.*} \([0-9]*\)$/\1/p'; }
errors() { metrics | sed -n 's/^config_reload_errors_total{.*} \([0-9]*\)$/\1/p'; }
R0="$(reloads)"
printf 'amnesia = true\nversion = 2\n' >"$CONFIG"
for _ in $(seq 1 300); do mgrep '^amnesia_mode{.*amnesia="on"} 1$' && break; sleep 0.05; done
mgrep '^amnesia_mode{.*amnesia="on"} 1$' || fail "config change did not flip amnesia_mode"
[ "$(reloads)" -eq $((R0 + 1)) ] || fail "config change should bump config_reloads_total once"
grep -q 'ConfigUpdated generation=2 version=2 amnesia=true' "$WORK/demo.log" || fail "no ConfigUpdated event on the bus"
pass "config change: amnesia on, generation bumped, ConfigUpdated published"
touch "$CONFIG"; sleep 0.6
[ "$(reloads)" -eq $((R0 + 1)) ] || fail "a touch must not count as a change"
pass "touch without a content change is ignored"
E0="$(errors)"
printf 'amnesia = [\n' >"$CONFIG"
for _ in $(seq 1 300); do [ "$(errors)" -gt "$E0" ] && break; sleep 0.05; done
[ "$(errors)" -gt "$E0" ] || fail "parse error was not counted"
kill -0 "$DEMO_PID" 2>/dev/null || fail "demo died on a parse error"
mgrep '^amnesia_mode{.*amnesia="on"} 1$' || fail "parse error changed the config"
[ "$(status "$BASE/readyz")" = 200 ] || fail "parse error made the demo unready"
curl -s "$BASE/readyz" | grep -q '"errors":{"config":"config .*keeping the last good config"}' \
  || fail "/readyz does not report the config error: $(curl -s "$BASE/readyz")"
mgrep '^config_last_reload_successful{.*} 0$' || fail "config_last_reload_successful should be 0"
pass "parse error: logged, counted, on /readyz, old config kept, still ready"
: >"$CONFIG"
for _ in $(seq 1 300); do [ "$(errors)" -gt "$((E0 + 1))" ] && break; sleep 0.05; done
mgrep '^amnesia_mode{.*amnesia="on"} 1$' || fail "an empty config was applied"
pass "an empty config is an error, not all defaults"
printf 'amnesia = true\nversion = 2\n' >"$CONFIG"
for _ in $(seq 1 300); do curl -s "$BASE/readyz" | grep -q '"errors"' || break; sleep 0.05; done
curl -s "$BASE/readyz" | grep -q '"errors"' && fail "the error stayed on /readyz after the fix"
mgrep '^config_last_reload_successful{.*} 1$' || fail "config_last_reload_successful should be 1"
pass "fixing the file clears the error"

# --- a FIFO at the config path: refused, reported; its replacement applied; SIGINT stops -----
FIFO_CONFIG="$WORK/fifo.toml"
mkfifo "$FIFO_CONFIG"
# Job control on for this start: a background job of a non-interactive shell ignores SIGINT.
set -m
RON_CONFIG="$FIFO_CONFIG" "$DEMO" --addr 127.0.0.1:0 --run-for 60 >"$WORK/fifo.log" 2>&1 &
FIFO_PID=$!
set +m
FIFO_ADDR=""
for _ in $(seq 1 300); do
  FIFO_ADDR="$(grep -o 'http://127\.0\.0\.1:[0-9]*/metrics' "$WORK/fifo.log" | head -1 | sed 's#http://##; s#/metrics##' || true)"
  [ -n "$FIFO_ADDR" ] && break
  sleep 0.05
done
[ -n "$FIFO_ADDR" ] || { kill "$FIFO_PID"; cat "$WORK/fifo.log"; fail "FIFO demo never printed its URLs"; }
for _ in $(seq 1 300); do curl -s "http://$FIFO_ADDR/readyz" | grep -q 'is a FIFO' && break; sleep 0.05; done
curl -s "http://$FIFO_ADDR/readyz" | grep -q 'is a FIFO, not a regular file' \
  || { kill "$FIFO_PID"; fail "/readyz does not report the FIFO: $(curl -s "http://$FIFO_ADDR/readyz")"; }
rm "$FIFO_CONFIG"; printf 'amnesia = true\nversion = 5\n' >"$FIFO_CONFIG"
for _ in $(seq 1 300); do [ "$(status "http://$FIFO_ADDR/readyz")" = 200 ] && break; sleep 0.05; done
[ "$(status "http://$FIFO_ADDR/readyz")" = 200 ] || { kill "$FIFO_PID"; fail "the file that replaced the FIFO was not applied"; }
kill -INT "$FIFO_PID"
for _ in $(seq 1 100); do kill -0 "$FIFO_PID" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$FIFO_PID" 2>/dev/null; then kill -9 "$FIFO_PID"; fail "SIGINT did not stop the demo within 5 s"; fi
pass "FIFO config refused and reported, its replacement applied, SIGINT stops the demo"

# --- promtool -------------------------------------------------------------------------------
if command -v promtool >/dev/null; then
  set +e
  OUT="$(metrics | promtool check metrics 2>&1)"; RC=$?
  set -e
  # Exit 0 and no output: no parse error and no lint finding.
  [ "$RC" -eq 0 ] && [ -z "$(echo "$OUT" | grep -v '^\s*$' || true)" ] || fail "promtool (exit $RC): $OUT"
  pass "promtool check metrics (no findings)"
elif [ "${RON_CI_REQUIRE_TOOLS:-}" = 1 ]; then
  fail "promtool is required (RON_CI_REQUIRE_TOOLS=1) but not installed (apt-get install -y prometheus)"
else
  echo "metrics_smoke: promtool not installed: skipped (apt-get install -y prometheus)"
fi

echo "metrics_smoke: all checks passed"
