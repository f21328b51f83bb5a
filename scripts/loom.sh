#!/usr/bin/env bash
# loom model checking of para's concurrency protocols (issue 6): the node queue (one item or a
# batch per claim), the claim of a serial node and termination by counting
# (para-core/tests/loom.rs), the wake-up of a split source waiting for an ordered window's
# credits, of an ordered stage feeding a second one, of a source feeding two ordered windows and
# of an ordered sink reading a flat-map branch as a stream, per source with two sources
# (para-core/tests/loom_ordered.rs), the
# sleep/wake protocol, the token cap and the worker pool's mailboxes of para-std
# (para-std/tests/loom.rs, on copies of those protocols). Every model prints its execution
# count; each has deliberately broken variants that
# must fail, run as `should_panic` tests. Each model has its own preemption bound (seconds each
# on 2 cores); LOOM_MAX_PREEMPTIONS=N overrides them all (3 takes a few minutes, 4 much longer).
# Stable toolchain; its own target directory, since `--cfg loom` rebuilds everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg loom"
export CARGO_TARGET_DIR=target/loom
export RUST_BACKTRACE=0 # the broken variants' expected panics print one line each

start=$SECONDS
cargo test -p para-core -p para-std --release --test loom --test loom_ordered --test loom_wake --no-run
built=$SECONDS
cargo test -p para-core -p para-std --release --test loom --test loom_ordered --test loom_wake -- --nocapture --test-threads=1
echo "loom: ok (build $((built - start)) s, models $((SECONDS - built)) s)"
