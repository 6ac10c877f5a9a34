#!/usr/bin/env bash
# The PR perf gate that .github/workflows/perf-gate.yml calls (the YAML only calls this).
#
#   bash scripts/perf_gate_pr.sh gate      same-run A/B: `ron-bench gate --against BASE --quick`;
#                                          records the exit code, always exits 0 (so the
#                                          comment and upload steps still run)
#   bash scripts/perf_gate_pr.sh comment   posts (or updates) ONE PR comment: the gate's
#                                          comment.md (a one-line summary, the NOTES block,
#                                          the full table in <details>) + a link to the reports
#   bash scripts/perf_gate_pr.sh finish    exits with the recorded gate exit code
#                                          (0 pass, 1 gate failed -> red check, 2 error)
#   bash scripts/perf_gate_pr.sh all       gate, comment, finish (a local dry run of the job)
#   bash scripts/perf_gate_pr.sh shard I/N one slice of the full frontier sweep (run --shard)
#   bash scripts/perf_gate_pr.sh merge     merges the shard run files, writes NOTES + charts
#
# Environment:
#   BASE_SHA    revision to gate against [default: merge base with origin/main, else HEAD~1]
#   OUT_DIR     reports directory [default: reports/pr]
#   GATE_ARGS   extra `ron-bench gate` arguments (e.g. "--features metrics_buf")
#   RON_BENCH   how to run ron-bench [default: build it with cargo, release]
#   PR_NUMBER, GITHUB_REPOSITORY, GH_TOKEN   where to comment (set by the workflow); without
#               them, or with DRY_RUN=1, the comment is printed and saved, not posted
#   ARTIFACT_URL  link to the uploaded reports (actions/upload-artifact's artifact-url)
#   SHARD_MATRIX  matrix file of the sweep [default: harness/matrices/frontier.toml]
# Portable bash 3.2+ (Linux and macOS); needs `gh` only to post the comment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT_DIR="${OUT_DIR:-reports/pr}"
MARKER='<!-- ron-bench:perf-gate -->'
RC_FILE="$OUT_DIR/gate-exit-code"
MAX_COMMENT_CHARS=60000 # GitHub rejects comment bodies above 65536 characters

say() { printf 'perf_gate_pr: %s\n' "$*" >&2; }
die() { printf 'perf_gate_pr: error: %s\n' "$*" >&2; exit 2; }

bench() {
  if [ -n "${RON_BENCH:-}" ]; then
    # shellcheck disable=SC2086 # a command line on purpose
    $RON_BENCH "$@"
  else
    "${CARGO_TARGET_DIR:-$ROOT/target}/release/ron-bench" "$@"
  fi
}

build_bench() {
  [ -n "${RON_BENCH:-}" ] && return 0
  say "building ron-bench (release)"
  cargo build --release -q -p ron-harness --bin ron-bench
}

default_base() {
  local base=""
  if git rev-parse --verify -q origin/main >/dev/null; then
    base="$(git merge-base HEAD origin/main 2>/dev/null || true)"
  fi
  if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
    base="$(git rev-parse HEAD~1)"
  fi
  printf '%s\n' "$base"
}

github_output() { # key value: for later steps, when running under GitHub Actions
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}

# The default gate's exact checks count instructions under valgrind: install it on a CI
# runner (GitHub's Ubuntu images lack it); elsewhere say how, and the gate skips those checks.
ensure_valgrind() {
  command -v valgrind >/dev/null && return 0
  if [ -n "${GITHUB_ACTIONS:-}" ] && command -v apt-get >/dev/null; then
    say "installing valgrind (instruction-count checks)"
    sudo apt-get update -qq && sudo apt-get install -y -qq valgrind >/dev/null
  else
    say "valgrind not found: instruction-count checks will be skipped (apt-get install valgrind)"
  fi
}

cmd_gate() {
  local base="${BASE_SHA:-}"
  [ -n "$base" ] || base="$(default_base)"
  mkdir -p "$OUT_DIR"
  ensure_valgrind
  build_bench
  local label="${PR_NUMBER:+PR #$PR_NUMBER}"
  label="${label:-$(git rev-parse --short HEAD)}"
  say "ron-bench gate --against $base --quick --out-dir $OUT_DIR ${GATE_ARGS:-}"
  set +e
  # shellcheck disable=SC2086 # GATE_ARGS is a list of arguments on purpose
  bench gate --against "$base" --quick --out-dir "$OUT_DIR" --label "$label" ${GATE_ARGS:-} \
    2>&1 | tee "$OUT_DIR/gate.log"
  local rc=${PIPESTATUS[0]}
  set -e
  printf '%s\n' "$rc" >"$RC_FILE"
  # The PR number travels with the reports: a fork PR's comment is posted by the
  # perf-gate-comment workflow (workflow_run, write token) from the uploaded artifact.
  if [ -n "${PR_NUMBER:-}" ]; then printf '%s\n' "$PR_NUMBER" >"$OUT_DIR/pr-number"; fi
  github_output exit_code "$rc"
  say "gate exit code $rc (recorded in $RC_FILE)"
}

# The Markdown the gate wrote for the comment (comment.md: summary line, NOTES block, table
# in <details>), else its notes.md, else the first .md in OUT_DIR.
notes_file() {
  local f
  for f in "$OUT_DIR/comment.md" "$OUT_DIR/notes.md"; do
    [ -f "$f" ] && { printf '%s\n' "$f"; return; }
  done
  for f in "$OUT_DIR"/*.md; do
    case "$f" in */pr-comment.md) continue ;; esac
    [ -f "$f" ] && { printf '%s\n' "$f"; return; }
  done
}

comment_body() {
  local rc status notes run_url
  rc="$(cat "$RC_FILE" 2>/dev/null || echo 2)"
  case "$rc" in
    0) status="passed" ;;
    1) status="**failed** (a gate regressed or missed its target)" ;;
    *) status="**errored** (exit $rc: usage, data or tool error; see the job log)" ;;
  esac
  # `##` like the NOTES block below it: heading levels stay in order.
  printf '%s\n## ron-bench perf gate: %s\n\n' "$MARKER" "$status"
  # shellcheck disable=SC2016 # Markdown backticks, not command substitution
  printf 'Same-run A/B against the base revision `%s` (interleaved rounds, `--quick`).\n\n' \
    "${BASE_SHA:-$(default_base)}"
  notes="$(notes_file)"
  if [ -n "$notes" ]; then
    local chars
    chars="$(wc -c <"$notes" | tr -d ' ')"
    if [ "$chars" -gt "$MAX_COMMENT_CHARS" ]; then
      head -c "$MAX_COMMENT_CHARS" "$notes"
      printf '\n\n_(truncated: %s characters; the full NOTES are in the reports artifact)_\n' "$chars"
    else
      cat "$notes"
    fi
  else
    printf '_No NOTES were written; the last lines of the gate log:_\n\n```\n'
    tail -n 30 "$OUT_DIR/gate.log" 2>/dev/null || true
    printf '```\n'
  fi
  printf '\n'
  if [ -n "${ARTIFACT_URL:-}" ]; then
    printf 'Reports (JSON, CSV, SVG/PNG charts): [download the artifact](%s)' "$ARTIFACT_URL"
  else
    # shellcheck disable=SC2016 # Markdown backticks
    printf 'Reports (JSON, CSV, SVG/PNG charts): the `perf-gate-reports` artifact of this run'
  fi
  if [ -n "${GITHUB_RUN_ID:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
    run_url="${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
    printf ' · [job log](%s)' "$run_url"
  fi
  printf '\n'
}

# The PR number of a downloaded reports artifact (workflow_run), unless PR_NUMBER is set.
pr_number_from_reports() {
  if [ -z "${PR_NUMBER:-}" ] && [ -f "$OUT_DIR/pr-number" ]; then
    PR_NUMBER="$(tr -cd '0-9' <"$OUT_DIR/pr-number")"
  fi
}

cmd_comment() {
  pr_number_from_reports
  mkdir -p "$OUT_DIR"
  local body="$OUT_DIR/pr-comment.md"
  comment_body >"$body"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$body" >>"$GITHUB_STEP_SUMMARY"; fi
  if [ "${DRY_RUN:-0}" = 1 ] || [ -z "${PR_NUMBER:-}" ] || [ -z "${GITHUB_REPOSITORY:-}" ]; then
    say "not posting (DRY_RUN=1 or no PR_NUMBER/GITHUB_REPOSITORY); comment saved to $body:"
    cat "$body"
    return 0
  fi
  if ! command -v gh >/dev/null; then
    say "warning: gh is not installed; comment saved to $body, not posted"
    return 0
  fi
  local id
  id="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \
    --jq ".[] | select(.body | contains(\"$MARKER\")) | .id" 2>/dev/null | head -n 1 || true)"
  # A fork's PR token cannot comment: warn, keep the job's verdict on the gate alone.
  if [ -n "$id" ]; then
    if gh api -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$body" >/dev/null; then
      say "updated comment $id"
    else
      say "warning: could not update comment $id"
    fi
  elif gh api -X POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" >/dev/null; then
    say "posted a new comment"
  else
    say "warning: could not post the comment (a fork's token is read-only)"
  fi
}

cmd_finish() {
  local rc
  rc="$(cat "$RC_FILE" 2>/dev/null || echo 2)"
  case "$rc" in
    0) say "perf gate passed" ;;
    1) say "perf gate FAILED (exit 1)" ;;
    *) say "perf gate errored (exit $rc)" ;;
  esac
  exit "$rc"
}

cmd_shard() {
  local spec="${1:-}"
  case "$spec" in */*) ;; *) die "usage: perf_gate_pr.sh shard I/N (e.g. 2/4)" ;; esac
  local i="${spec%/*}" n="${spec#*/}"
  mkdir -p "$OUT_DIR/shards"
  build_bench
  # shellcheck disable=SC2086 # SHARD_ARGS is a list of arguments on purpose
  bench run --matrix "${SHARD_MATRIX:-harness/matrices/frontier.toml}" --shard "$spec" \
    --out "$OUT_DIR/shards/shard-$i-of-$n.json" ${SHARD_ARGS:-}
}

cmd_merge() {
  local files=()
  local f
  for f in "$OUT_DIR"/shards/*.json; do [ -f "$f" ] && files+=("$f"); done
  [ "${#files[@]}" -gt 0 ] || die "no shard run files in $OUT_DIR/shards"
  build_bench
  # shellcheck disable=SC2086 # MERGE_ARGS is a list of arguments on purpose
  bench merge "${files[@]}" --out "$OUT_DIR/sweep.json" ${MERGE_ARGS:-}
  bench notes --run "$OUT_DIR/sweep.json" --label "${LABEL:-frontier sweep}" >"$OUT_DIR/notes.md" || true
  bench notes --pr-comment --run "$OUT_DIR/sweep.json" --label "${LABEL:-frontier sweep}" >"$OUT_DIR/comment.md" || true
  bench chart --run "$OUT_DIR/sweep.json" --out "$OUT_DIR/charts" || true
  say "merged ${#files[@]} shards into $OUT_DIR/sweep.json"
}

[ $# -gt 0 ] || set -- all
case "$1" in
  gate) cmd_gate ;;
  comment) cmd_comment ;;
  finish) cmd_finish ;;
  all) cmd_gate; cmd_comment; cmd_finish ;;
  shard) shift; cmd_shard "$@" ;;
  merge) cmd_merge ;;
  *) die "unknown command: $1 (gate comment finish all shard merge)" ;;
esac
