#!/usr/bin/env bash
# The published crates pack and build on their own (`cargo package` verifies each, with the
# workspace's crates standing in for their published versions), and their docs build without
# a warning (broken or private intra-doc links).
#
# Cargo takes a registry crate of a given version to be immutable: the stand-ins it unpacked
# (under ~/.cargo/registry/src) and built (in the target directory) for an earlier run of the
# same version would be reused, stale. So the verification builds in a target directory of
# its own, emptied first, and the unpacked stand-ins of para's crates are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
crates=(--workspace --exclude para-tests --exclude para-benches)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/para-{core,macros,std}-"$version"
rm -rf target/package-verify
CARGO_TARGET_DIR=target/package-verify cargo package --locked "${crates[@]}"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps "${crates[@]}"
echo "package.sh: ok"
