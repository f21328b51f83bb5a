#!/usr/bin/env bash
# The published crates pack and build on their own (`cargo package` verifies each, with the
# workspace's crates standing in for their published versions), and their docs build without
# a warning (broken or private intra-doc links).
set -euo pipefail
cd "$(dirname "$0")/.."
crates=(--workspace --exclude para-tests --exclude para-benches)
cargo package --locked "${crates[@]}"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps "${crates[@]}"
echo "package.sh: ok"
