#!/usr/bin/env bash
# Unsafe census: `unsafe` code lives only in ron-bus's kernel/bus/src/ring/.
#
# Why not cargo-geiger: it links the `cargo` crate (a long build, beyond .ci/run's time
# budget) and reports unsafe in every dependency, which is not what this rule is about. Two
# cheap checks prove the rule for our own code instead:
#   1. every crate root of the workspace except ron-bus's lib.rs says #![forbid(unsafe_code)]
#      (the compiler then enforces it for that crate, `forbid` cannot be overridden below);
#   2. no tracked .rs file outside kernel/bus/src/ring/ has an `unsafe` block, fn, impl or
#      trait on a code line (comments and doc comments aside), and no `allow(unsafe_code)`.
# It prints the census of the ring module (unsafe sites per file, SAFETY comments).
set -euo pipefail
cd "$(dirname "$0")/.."

RING="kernel/bus/src/ring/"
fail=0

# 1. crate roots: src/lib.rs, src/main.rs, src/bin/*.rs of each workspace member but ron-bus.
members=$(sed -n '/^members *=/s/.*\[\(.*\)\].*/\1/p' Cargo.toml | tr -d '",')
for m in $members; do
  for root in "$m"/src/lib.rs "$m"/src/main.rs "$m"/src/bin/*.rs; do
    [ -f "$root" ] || continue
    [ "$root" = kernel/bus/src/lib.rs ] && continue
    if ! grep -q '^#!\[forbid(unsafe_code)\]' "$root"; then
      echo "unsafe-census: $root lacks #![forbid(unsafe_code)]"
      fail=1
    fi
  done
done

# 2. unsafe code and allow(unsafe_code) outside the ring module (lines not starting a comment).
pattern='(^|[^A-Za-z0-9_])unsafe[[:space:]]*(\{|fn|impl|trait|extern|$)|allow\([^)]*unsafe_code'
hits=$(git ls-files -- '*.rs' | grep -v "^$RING" |
  xargs grep -nE "$pattern" /dev/null |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|\*)' || true)
if [ -n "$hits" ]; then
  echo "unsafe-census: unsafe code outside $RING:"
  echo "$hits" | sed 's/^/    /'
  fail=1
fi

if [ $fail -ne 0 ]; then
  echo "unsafe-census: FAILED (unsafe belongs in $RING, with a // SAFETY: comment; STYLE.md 8)"
  exit 1
fi

echo "unsafe-census: no unsafe outside $RING; every other crate root forbids unsafe_code"
for f in $(git ls-files -- "$RING*.rs"); do
  n=$(grep -cE "$pattern" "$f" || true)
  s=$(grep -c 'SAFETY:' "$f" || true)
  printf '    %-32s %3s unsafe sites, %3s SAFETY comments\n' "$f" "$n" "$s"
done
