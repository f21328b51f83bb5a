//! para's fixed costs, on its own (the shapes compared with the alternatives are in
//! `shapes.rs` and `compress.rs`).
//!
//! * `startup/para/T`: an empty pipeline (a source of 0 items) at T = 1 and 2 threads: the fixed
//!   cost of a run (starting and joining the workers). Target: ≤ 20 µs.
//! * `split_source/*`: a source whose items cost ~5 µs each to produce, 2 000 items, as a
//!   splittable source (`split/T`: a `&Vec` of seeds, produced by several workers at once) and
//!   as a serial iterator (`iterator/T`: produced by one worker at a time), at T = 1 and 2: the
//!   2-thread / 1-thread ratio of each shows whether producing scales. Throughput counts items.
//! * `observe/*`: the tiny shape (three ~27 ns stages into a summing sink, 10^6 items) as it
//!   is (`plain`), with `stats = &mut Stats` (`stats`: counters and two clock reads per step)
//!   and with a `progress` hook (`progress`), at T = 1 and 2: what watching a run costs.
//! * `async/*`: the same shape with its middle stage `async` (`ready`: a future ready at its
//!   first poll; `yield`: a future that wakes itself once and is pending once, so each item
//!   takes the waker's path: a wake-up, a token, a second poll), against `plain`: what an
//!   async stage costs per item beyond its work.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use para_benches::{size, tiny_stage, work_5us, Timing, THREADS};
use para_std::{pipeline, Stats};
use std::sync::atomic::{AtomicUsize, Ordering};

fn startup(c: &mut Criterion) {
    let timing = Timing::new(50, 1.0, 3.0);
    let mut group = c.benchmark_group("startup");
    group
        .sample_size(timing.sample_size)
        .warm_up_time(timing.warm_up)
        .measurement_time(timing.measurement);
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new("para", threads), &threads, |b, &t| {
            b.iter(|| {
                let mut n = 0u32;
                pipeline!(t, 0..0u32 => |x| x => |_x| n += 1);
                n
            })
        });
    }
    group.finish();
}

fn split_source(c: &mut Criterion) {
    let items: u64 = size(2_000, 200);
    let timing = Timing::new(10, 1.0, 4.0);
    let mut group = c.benchmark_group("split_source");
    group
        .throughput(Throughput::Elements(items))
        .sample_size(timing.sample_size)
        .warm_up_time(timing.warm_up)
        .measurement_time(timing.measurement);
    let seeds: Vec<u64> = (0..items).collect();
    let expected = seeds
        .iter()
        .map(|&s| work_5us(s))
        .fold(0, u64::wrapping_add);
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new("split", threads), &threads, |b, &t| {
            b.iter(|| {
                // `&Vec` is split: workers claim index ranges and run `work_5us` themselves.
                let mut sum = 0u64;
                pipeline!(t, &seeds => |s: &u64| work_5us(*s) => |x| sum = sum.wrapping_add(x));
                assert_eq!(sum, expected);
            })
        });
        group.bench_with_input(BenchmarkId::new("iterator", threads), &threads, |b, &t| {
            b.iter(|| {
                // An iterator whose `next` does the work: produced by one worker at a time.
                let mut sum = 0u64;
                pipeline!(t, seeds.iter().map(|s| work_5us(*s))
                          => |x: u64| x
                          => |x| sum = sum.wrapping_add(x));
                assert_eq!(sum, expected);
            })
        });
    }
    group.finish();
}

fn observe(c: &mut Criterion) {
    let n: u64 = size(1_000_000, 100_000);
    let timing = Timing::new(10, 1.0, 6.0);
    let mut group = c.benchmark_group("observe");
    group
        .throughput(Throughput::Elements(n * 3))
        .sample_size(timing.sample_size)
        .warm_up_time(timing.warm_up)
        .measurement_time(timing.measurement);
    let a = |x: u64| tiny_stage(x, 1);
    let b = |x: u64| tiny_stage(x, 2);
    let z = |x: u64| tiny_stage(x, 3);
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new("plain", threads), &threads, |bench, &t| {
            bench.iter(|| {
                let mut sum = 0u64;
                pipeline!(t, capacity = 64, 0..n => a => b => z
                    => serial |x| sum = sum.wrapping_add(x));
                sum
            })
        });
        group.bench_with_input(BenchmarkId::new("stats", threads), &threads, |bench, &t| {
            let mut stats = Stats::new();
            bench.iter(|| {
                let mut sum = 0u64;
                pipeline!(t, capacity = 64, stats = &mut stats, 0..n => a => b => z
                    => serial |x| sum = sum.wrapping_add(x));
                sum
            })
        });
        group.bench_with_input(
            BenchmarkId::new("progress", threads),
            &threads,
            |bench, &t| {
                let done = AtomicUsize::new(0);
                bench.iter(|| {
                    let mut sum = 0u64;
                    pipeline!(t, capacity = 64,
                    progress = |k| { done.fetch_add(k, Ordering::Relaxed); },
                    0..n => a => b => z => serial |x| sum = sum.wrapping_add(x));
                    sum
                })
            },
        );
    }
    group.finish();
}

/// A future that is pending once, waking itself first, then ready.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

fn async_stage(c: &mut Criterion) {
    let n: u64 = size(1_000_000, 100_000);
    let timing = Timing::new(10, 1.0, 6.0);
    let mut group = c.benchmark_group("async");
    group
        .throughput(Throughput::Elements(n * 3))
        .sample_size(timing.sample_size)
        .warm_up_time(timing.warm_up)
        .measurement_time(timing.measurement);
    let a = |x: u64| tiny_stage(x, 1);
    let b = |x: u64| tiny_stage(x, 2);
    let z = |x: u64| tiny_stage(x, 3);
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new("plain", threads), &threads, |bench, &t| {
            bench.iter(|| {
                let mut sum = 0u64;
                pipeline!(t, capacity = 64, 0..n => a => b => z
                    => serial |x| sum = sum.wrapping_add(x));
                sum
            })
        });
        group.bench_with_input(BenchmarkId::new("ready", threads), &threads, |bench, &t| {
            bench.iter(|| {
                let mut sum = 0u64;
                pipeline!(t, capacity = 64, 0..n => a => async |x| b(x) => z
                    => serial |x| sum = sum.wrapping_add(x));
                sum
            })
        });
        group.bench_with_input(BenchmarkId::new("yield", threads), &threads, |bench, &t| {
            bench.iter(|| {
                let mut sum = 0u64;
                pipeline!(t, capacity = 64, 0..n => a => async |x| { YieldOnce(false).await; b(x) } => z
                    => serial |x| sum = sum.wrapping_add(x));
                sum
            })
        });
    }
    group.finish();
}

criterion_group!(benches, startup, split_source, observe, async_stage);
criterion_main!(benches);
