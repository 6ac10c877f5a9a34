#!/usr/bin/env bash
# Public-API freeze gate for the kernel crates (ron-bus, ron-metrics).
#   bash scripts/public_api.sh check    fail when the API differs from the committed snapshot,
#                                       or when a snapshot changed without a CHANGELOG entry
#   bash scripts/public_api.sh update   rewrite the snapshots from the current code
#
# Snapshots: <crate>/api/<set>.txt, one public item per line (the `cargo public-api` format,
# blanket and auto-trait impls omitted; see tools/public-api-dump). Sets: `default` always;
# each cargo feature and `all-features` only when its API differs from `default` (a flag
# without a file must not change the API; the check says so when one does).
#
# Changelog rule: when a snapshot differs from the base revision (API_BASE, else BASE_SHA,
# else the merge base with origin/main or main), the crate's CHANGELOG.md must gain at least
# one line under a Markdown heading containing the word "API" (e.g. `### API`).
#
# rustdoc JSON needs nightly (RON_API_TOOLCHAIN, default `nightly`); public-api 0.52.0 reads
# rustdoc JSON format 57 (nightly-2026-05-20, the toolchain the GitHub workflow pins).
set -euo pipefail
cd "$(dirname "$0")/.."

CRATES="kernel/bus kernel/metrics"
TOOLCHAIN="${RON_API_TOOLCHAIN:-nightly}"
FORMAT_VERSION=57
# The nightly rustdoc build gets its own target dir (like loom/miri in ci.sh).
API_TARGET="${API_TARGET:-target/api}"
DUMP="target/tools/release/public-api-dump"
WORK="$API_TARGET/public-api"

die() { echo "public-api: $*" >&2; exit 2; }

build_dump() {
  cargo build -q --release --locked --manifest-path tools/public-api-dump/Cargo.toml \
    --target-dir target/tools
}

pkg_name() { sed -n 's/^name = "\(.*\)"/\1/p' "$1/Cargo.toml" | head -1; }

# The crate's own features (the [features] table, minus `default`).
features_of() {
  sed -n '/^\[features\]/,/^\[/p' "$1/Cargo.toml" |
    sed -n 's/^\([A-Za-z0-9_-]*\) *=.*/\1/p' | grep -vx default || true
}

# dump <crate dir> <set> <out file>: the public API of one feature set.
dump() {
  local dir=$1 set=$2 out=$3 pkg lib args=()
  pkg=$(pkg_name "$dir")
  lib=${pkg//-/_}
  case "$set" in
    default) ;;
    all-features) args=(--all-features) ;;
    *) args=(--features "$set") ;;
  esac
  if ! CARGO_TARGET_DIR="$API_TARGET" cargo "+$TOOLCHAIN" rustdoc -q -p "$pkg" --lib \
    "${args[@]}" -- -Z unstable-options --output-format json 2>"$WORK/rustdoc.log"; then
    cat "$WORK/rustdoc.log" >&2
    die "rustdoc JSON of $pkg [$set] failed (toolchain $TOOLCHAIN)"
  fi
  local json="$API_TARGET/doc/$lib.json" fv
  fv=$(sed -n 's/.*"format_version":\([0-9]*\).*/\1/p' "$json" | tail -1)
  [ "$fv" = "$FORMAT_VERSION" ] || die "$json has rustdoc JSON format ${fv:-?}; public-api \
0.52.0 reads format $FORMAT_VERSION: use RON_API_TOOLCHAIN=nightly-2026-05-20 or bump the \
public-api pin in tools/public-api-dump"
  "$DUMP" "$json" >"$out"
}

# added/removed items between two API files (a changed signature shows as both).
show_diff() {
  comm -13 <(sort "$1") <(sort "$2") | sed 's/^/    added:   /'
  comm -23 <(sort "$1") <(sort "$2") | sed 's/^/    removed: /'
}

# One report per distinct diff, naming every feature set that shows it.
report_diffs() {
  local dir=$1 pkg=$2 d other sets
  for d in "$WORK/$dir"/*.diff; do
    [ -f "$d" ] || continue
    sets=""
    for other in "$WORK/$dir"/*.diff; do
      if cmp -s "$d" "$other"; then
        sets="$sets $(basename "$other" .diff)"
        [ "$other" = "$d" ] || rm "$other"
      fi
    done
    echo "public-api: $pkg [${sets# }]: the public API differs from the snapshot in $dir/api/:"
    cat "$d"
    rm "$d"
  done
}

# current_sets <crate dir>: writes $WORK/<crate>/<set>.txt for default, each flag, all.
current_sets() {
  local dir=$1 out="$WORK/$1" f
  rm -rf "$out"
  mkdir -p "$out"
  dump "$dir" default "$out/default.txt"
  local sets
  sets="$(features_of "$dir")"
  [ -n "$sets" ] && sets="$sets all-features"
  for f in $sets; do
    dump "$dir" "$f" "$out/$f.txt"
  done
}

cmd_update() {
  build_dump
  local dir f set
  for dir in $CRATES; do
    current_sets "$dir"
    rm -rf "$dir/api"
    mkdir -p "$dir/api"
    for f in "$WORK/$dir"/*.txt; do
      set=$(basename "$f" .txt)
      if [ "$set" = default ] || ! cmp -s "$f" "$WORK/$dir/default.txt"; then
        cp "$f" "$dir/api/$set.txt"
        echo "public-api: wrote $dir/api/$set.txt ($(wc -l <"$f" | tr -d ' ') items)"
      fi
    done
  done
  echo "public-api: now add an entry under an \"API\" heading in each changed crate's CHANGELOG.md"
}

# The base revision for the changelog rule, or nothing.
base_rev() {
  local b="${API_BASE:-${BASE_SHA:-}}"
  if [ -n "$b" ]; then
    git rev-parse -q --verify "$b^{commit}" >/dev/null || die "base $b is not a commit here (fetch-depth: 0?)"
    git merge-base HEAD "$b"
    return
  fi
  for b in origin/main main; do
    if git rev-parse -q --verify "$b^{commit}" >/dev/null; then
      git merge-base HEAD "$b"
      return
    fi
  done
}

# Line numbers of <file> added since <base> (all lines when it did not exist then).
added_lines() {
  local base=$1 file=$2
  if ! git cat-file -e "$base:$file" 2>/dev/null; then
    seq 1 "$(wc -l <"$file")"
    return
  fi
  git diff -U0 "$base" -- "$file" |
    sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} @@.*/\1 \3/p' |
    while read -r start count; do
      count=${count:-1}
      [ "$count" -gt 0 ] && seq "$start" $((start + count - 1))
    done
  return 0
}

# Does <file> gain a non-blank, non-heading line under a heading containing "API"?
changelog_has_api_entry() {
  local base=$1 file=$2 lines="$WORK/changelog-added.txt"
  [ -f "$file" ] || return 1
  added_lines "$base" "$file" >"$lines"
  [ -s "$lines" ] || return 1
  awk 'NR == FNR { added[$1] = 1; next }
    /^#+[ \t]/ { heading = $0; next }
    (FNR in added) && NF > 0 && heading ~ /(^|[^A-Za-z])API([^A-Za-z]|$)/ { found = 1 }
    END { exit found ? 0 : 1 }' "$lines" "$file"
}

snapshot_changed_since() {
  local base=$1 dir=$2
  ! git diff --quiet "$base" -- "$dir/api" || [ -n "$(git ls-files --others --exclude-standard -- "$dir/api")" ]
}

cmd_check() {
  build_dump
  local dir f set snap fail=0
  for dir in $CRATES; do
    local pkg
    pkg=$(pkg_name "$dir")
    current_sets "$dir"
    [ -f "$dir/api/default.txt" ] || { echo "public-api: $dir/api/default.txt missing"; fail=1; }
    for f in "$WORK/$dir"/*.txt; do
      set=$(basename "$f" .txt)
      snap="$dir/api/$set.txt"
      [ -f "$snap" ] || snap="$dir/api/default.txt" # a set without a file must equal default
      [ -f "$snap" ] || continue
      if ! cmp -s "$snap" "$f"; then
        show_diff "$snap" "$f" >"$WORK/$dir/$set.diff"
        fail=1
      fi
    done
    report_diffs "$dir" "$pkg"
    for snap in "$dir"/api/*.txt; do
      [ -f "$snap" ] || continue
      set=$(basename "$snap" .txt)
      [ -f "$WORK/$dir/$set.txt" ] || { echo "public-api: $snap: no feature \`$set\` any more"; fail=1; }
    done
  done
  if [ $fail -ne 0 ]; then
    echo "public-api: FAILED. If the change is intended: bash scripts/ci.sh api-update, commit"
    echo "            <crate>/api/, and add an entry under an \"API\" heading in <crate>/CHANGELOG.md."
    exit 1
  fi
  echo "public-api: ron-bus and ron-metrics match their snapshots"

  local base
  base=$(base_rev)
  if [ -z "$base" ]; then
    echo "public-api: no base revision (API_BASE/BASE_SHA/origin/main/main): changelog rule skipped"
    return 0
  fi
  for dir in $CRATES; do
    if snapshot_changed_since "$base" "$dir"; then
      if changelog_has_api_entry "$base" "$dir/CHANGELOG.md"; then
        echo "public-api: $dir/api changed since ${base:0:12}; $dir/CHANGELOG.md has an API entry"
      else
        echo "public-api: $dir/api changed since ${base:0:12} but $dir/CHANGELOG.md gained no"
        echo "            line under an \"API\" heading: describe the API change there."
        fail=1
      fi
    fi
  done
  [ $fail -eq 0 ] || exit 1
}

case "${1:-check}" in
  check) cmd_check ;;
  update) cmd_update ;;
  *) die "usage: $0 check|update" ;;
esac
