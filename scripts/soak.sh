#!/usr/bin/env bash
# Soak (not in CI; minutes): 10^8 tiny items run in the memory of 10^4, and 10^4 pipelines in a
# row leave no thread (once idle) and no memory behind. Exits non-zero if peak RSS grows by more than 4 MiB
# or threads remain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example soak
bin=target/release/examples/soak
small=$("$bin" items 10000 | tee /dev/stderr | sed -E 's/.*peak RSS ([0-9]+) kB/\1/')
big=$("$bin" items 100000000 | tee /dev/stderr | sed -E 's/.*peak RSS ([0-9]+) kB/\1/')
echo "peak RSS: 10^4 items ${small} kB, 10^8 items ${big} kB"
[ $((big - small)) -le 4096 ] || { echo "peak RSS grew by $((big - small)) kB"; exit 1; }
out=$("$bin" loops 10000 | tee /dev/stderr)
start=$(sed -nE 's/^start: RSS ([0-9]+) kB.*/\1/p' <<<"$out")
end=$(sed -nE 's/^end: RSS ([0-9]+) kB.*/\1/p' <<<"$out")
# Pooled workers stay while pipelines keep coming (at most one per core beyond the caller) and
# exit after 5 s idle.
threads=$(sed -nE 's/^end: .*threads ([0-9]+)/\1/p' <<<"$out")
[ "$threads" -le "$(nproc)" ] || { echo "threads after the loop: $threads > $(nproc) cores"; exit 1; }
threads=$(sed -nE 's/^idle: .*threads ([0-9]+)/\1/p' <<<"$out")
[ "$threads" = 1 ] || { echo "threads left once idle: $threads"; exit 1; }
[ $((end - start)) -le 4096 ] || { echo "RSS grew by $((end - start)) kB over 10^4 pipelines"; exit 1; }
echo "soak: ok"
