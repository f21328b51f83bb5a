#!/usr/bin/env bash
# ThreadSanitizer over the workspace's tests (issue 6). TSan makes a test binary exit non-zero
# when it reports anything, so any data race fails this script.
#
# * std is rebuilt with TSan (-Zbuild-std, needs rust-src); `--tests` leaves out doctests, which
#   hit an ABI mismatch with a sanitized std.
# * The `tested` profile (optimised, with debug assertions): the 10^7-item tests stay in seconds.
# * scripts/tsan-suppressions.txt hides crossbeam-deque's deliberate, harmless push/steal race
#   (the same entries crossbeam's own CI uses), nothing of para's.
# * The UI test (trybuild) is skipped: it compiles crates, runs no concurrent code, and its
#   nested cargo cannot build with this RUSTFLAGS.
# * TSan ignores standalone fences: para publishes with Release stores and RMWs, and the one
#   fence pair (para-std's sleep.rs) guards no plain memory, so it cannot cause a report.
#
# Nightly toolchain with rust-src; its own target directory (target/tsan).
set -euo pipefail
cd "$(dirname "$0")/.."

# One rustup command at a time: concurrent rustup calls corrupt its component records.
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
components=$(rustup component list --toolchain nightly --installed)
grep -q '^rust-src' <<<"$components" || rustup component add rust-src --toolchain nightly

export RUSTFLAGS="-Zsanitizer=thread"
export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan-suppressions.txt second_deadlock_stack=1"
export CARGO_TARGET_DIR=target/tsan
# The tests' watchdogs allow this many times their native time (tests/tests/e2e/common): TSan
# runs 5-15x slower, and the e2e binary runs two heavy tests at once on a 2-core machine.
export PARA_TEST_SLOWDOWN=5
cargo_tsan=(cargo +nightly test -Zbuild-std --target x86_64-unknown-linux-gnu
  --workspace --profile tested --tests)

start=$SECONDS
"${cargo_tsan[@]}" --no-run
built=$SECONDS
"${cargo_tsan[@]}" --no-fail-fast -- --exact --skip ui
echo "tsan: ok (build $((built - start)) s, tests $((SECONDS - built)) s)"
