#!/usr/bin/env bash
# miri over para-core's and para-std's tests (issue 6): undefined behaviour, data races, leaks,
# and weak-memory effects that x86 never shows. Sizes are shrunk under cfg(miri). The concurrent
# tests run under several scheduler seeds.
#
# * para-core: strict provenance, Stacked Borrows (miri's default), symbolic alignment.
# * para-std goes through crossbeam-deque, which fails strict provenance and Stacked Borrows
#   inside crossbeam-epoch and leaks its global collector on purpose: its tests run in their own
#   invocation with Tree Borrows, permissive provenance and leak checks off.
#
# Nightly toolchain with rust-src and miri; its own target directory (target/miri).
set -euo pipefail
cd "$(dirname "$0")/.."

# One rustup command at a time: concurrent rustup calls corrupt its component records.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
components=$(rustup component list --toolchain nightly --installed)
grep -q '^rust-src' <<<"$components" || rustup component add rust-src --toolchain nightly
grep -q '^miri' <<<"$components" || rustup component add miri --toolchain nightly

export CARGO_TARGET_DIR=target/miri
SEEDS=${MIRI_SEEDS:-3} # scheduler seeds for the concurrent tests: 0..SEEDS
timed() { # timed LABEL COMMAND...: runs COMMAND, prints how long it took
  local label=$1 t=$SECONDS
  shift
  "$@"
  echo "miri: $label: $((SECONDS - t)) s"
}

timed "sysroot" cargo +nightly miri setup

core_flags="-Zmiri-strict-provenance -Zmiri-symbolic-alignment-check"
# Every para-core test once (seed 0), then the concurrent ones under the other seeds.
timed "para-core, all tests, seed 0" \
  env MIRIFLAGS="$core_flags -Zmiri-seed=0" cargo +nightly miri test -p para-core
for ((seed = 1; seed < SEEDS; seed++)); do
  timed "para-core, concurrent tests, seed $seed" \
    env MIRIFLAGS="$core_flags -Zmiri-seed=$seed" cargo +nightly miri test -p para-core \
    --test queue --test scan -- concurrent four_cores a_graph_without_items
done

std_flags="-Zmiri-tree-borrows -Zmiri-permissive-provenance -Zmiri-ignore-leaks"
std_flags+=" -Zmiri-symbolic-alignment-check"
for ((seed = 0; seed < SEEDS; seed++)); do
  timed "para-std, seed $seed" \
    env MIRIFLAGS="$std_flags -Zmiri-seed=$seed" cargo +nightly miri test -p para-std --tests
done
echo "miri: ok ($SECONDS s)"
