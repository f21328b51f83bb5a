#!/usr/bin/env bash
# The public API of every published crate, compared with the snapshots in `public-api/`, so that
# no change to it goes unnoticed: a deliberate change re-runs this with `--bless` and commits the
# new snapshot beside the code. Uses cargo-public-api (rustdoc JSON, so the nightly toolchain);
# hidden items (`__private`, macro output's interface) are left out, and so are blanket and auto
# trait impls, which change with the compiler rather than with us.
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.52.0
if ! cargo public-api --version 2>/dev/null | grep -q "$version"; then
  cargo install cargo-public-api --locked --version "$version"
fi

bless=false
[[ ${1:-} == --bless ]] && bless=true
mkdir -p target/public-api
changed=0
for crate in para-core para-macros para-std; do
  got=target/public-api/$crate.txt
  cargo public-api -p "$crate" -ss >"$got"
  if $bless; then
    cp "$got" "public-api/$crate.txt"
  elif ! diff -u "public-api/$crate.txt" "$got"; then
    echo "public-api: $crate's public API changed (above); if that is meant, run scripts/public-api.sh --bless and commit public-api/$crate.txt" >&2
    changed=1
  fi
done
$bless && echo "public-api: snapshots written" || { [[ $changed == 0 ]] && echo "public-api: ok"; }
exit "$changed"
