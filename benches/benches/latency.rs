//! Stages that wait: how many calls of one stage run at once, at 8 to 256 threads.
//!
//! `0..2000 => |x| wait(x) => sum`, where `wait` sleeps 1 ms and then does ~1 µs of work: a
//! stand-in for I/O or a device, and for many cores on a machine that has two — a sleeping call
//! needs no CPU, so T threads can overlap T calls, and the ideal speed-up over a sequential loop
//! is T. Compared, in one run: `sequential`, `channels/T` (T worker threads on a bounded
//! crossbeam channel), `rayon/T` (`into_par_iter().map().sum()` in a pool of T threads) and
//! `para/T` (`pipeline!(T, …)`, default capacity), for T = 8, 16, 32, 64, 128, 256.
//!
//! `scripts/bench-table.sh` prints the speed-ups and draws them as an SVG for the README
//! (`docs/latency.svg`).

mod common;

use common::{group, rayon_pool, stage};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crossbeam_channel::bounded;
use para_benches::{size, work_us, Timing};
use para_std::pipeline;
use rayon::prelude::*;
use std::time::Duration;

/// Thread counts of this group: more than the machine's cores, as the calls mostly sleep.
const THREADS: [usize; 6] = [8, 16, 32, 64, 128, 256];

/// One call: 1 ms of waiting, then ~1 µs of work.
fn wait(x: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(1));
    work_us(x, 1)
}

// `pipeline!` stages are closures.
#[allow(clippy::redundant_closure)]
fn latency(c: &mut Criterion) {
    let n: u64 = size(2000, 128);
    let expected: u64 = (0..n).map(wait).fold(0, u64::wrapping_add);
    let sequential = || (0..n).map(wait).fold(0, u64::wrapping_add);
    let channels = |t: usize| {
        let (tx0, rx0) = bounded(64);
        let (tx1, rx1) = bounded(64);
        std::thread::scope(|s| {
            common::source(s, 0..n, tx0);
            stage(s, t, rx0, tx1, &wait);
            rx1.iter().fold(0, u64::wrapping_add)
        })
    };
    let para = |t: usize| {
        let mut sum = 0u64;
        pipeline!(t, 0..n => |x| wait(x) => |v| sum = sum.wrapping_add(v));
        sum
    };
    let pools: Vec<_> = THREADS.iter().map(|&t| rayon_pool(t)).collect();
    let rayon = |pool: &rayon::ThreadPool| {
        pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(wait)
                .reduce(|| 0, u64::wrapping_add)
        })
    };
    for (&t, pool) in THREADS.iter().zip(&pools) {
        assert_eq!(channels(t), expected, "channels/{t}");
        assert_eq!(rayon(pool), expected, "rayon/{t}");
        assert_eq!(para(t), expected, "para/{t}");
    }

    let mut group = group(
        c,
        "latency",
        Timing::new(10, 0.5, 3.0),
        Throughput::Elements(n),
    );
    group.bench_function("sequential", |b| b.iter(sequential));
    for (&t, pool) in THREADS.iter().zip(&pools) {
        group.bench_with_input(BenchmarkId::new("channels", t), &t, |b, &t| {
            b.iter(|| channels(t))
        });
        group.bench_with_input(BenchmarkId::new("rayon", t), pool, |b, pool| {
            b.iter(|| rayon(pool))
        });
        group.bench_with_input(BenchmarkId::new("para", t), &t, |b, &t| b.iter(|| para(t)));
    }
    group.finish();
}

criterion_group!(benches, latency);
criterion_main!(benches);
