//! What para costs per item, and how it scales, against what users would write instead.
//!
//! * `tiny/*`: three trivial stages (an add, a multiply, a xor) and a summing sink over 10^6
//!   items. Divide the time by 3 × 10^6 for the cost per item per stage. Compared in the same
//!   run: a plain sequential loop, a hand-rolled `std::thread::scope` + crossbeam-channel
//!   pipeline (one thread per stage, bounded channels), and para at 1 and 2 threads.
//! * `medium/*`: two stages of ~5 µs of integer work each over 2 000 items, para at 1 and 2
//!   threads: the 2-thread / 1-thread throughput ratio.
//!
//! * `startup/*`: an empty pipeline (a source of 0 items), para at 1 and 2 threads: the fixed
//!   cost of a run (spawning and joining the workers).
//! * `split_source/*`: a source whose items cost ~5 µs each to produce, as a splittable source
//!   (a `Vec` of seeds, produced by several workers at once) and as a serial iterator, at 1 and
//!   2 threads: the 2-thread / 1-thread ratio of each shows whether producing scales.
//!
//! It does not measure ordered stages or real workloads (later benches do).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use para_std::pipeline;
use std::hint::black_box;
use std::time::Duration;

const TINY_ITEMS: u64 = 1_000_000;
const MEDIUM_ITEMS: u64 = 2_000;

/// Roughly 5 µs of integer work on this class of machine (a dependent multiply chain).
fn work_5us(x: u64) -> u64 {
    let mut h = x ^ 0x9E37_79B9_7F4A_7C15;
    for _ in 0..4_000 {
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    h
}

fn tiny_sequential(n: u64) -> u64 {
    let mut sum = 0u64;
    for x in 0..n {
        let x = black_box(x) + 1;
        let x = x.wrapping_mul(3);
        sum = sum.wrapping_add(x ^ 7);
    }
    sum
}

fn tiny_channels(n: u64) -> u64 {
    let (tx0, rx0) = crossbeam_channel::bounded::<u64>(1024);
    let (tx1, rx1) = crossbeam_channel::bounded::<u64>(1024);
    let (tx2, rx2) = crossbeam_channel::bounded::<u64>(1024);
    let (tx3, rx3) = crossbeam_channel::bounded::<u64>(1024);
    std::thread::scope(|s| {
        s.spawn(move || (0..n).for_each(|x| tx0.send(x).unwrap()));
        s.spawn(move || rx0.iter().for_each(|x| tx1.send(x + 1).unwrap()));
        s.spawn(move || {
            rx1.iter()
                .for_each(|x| tx2.send(x.wrapping_mul(3)).unwrap())
        });
        s.spawn(move || rx2.iter().for_each(|x| tx3.send(x ^ 7).unwrap()));
        rx3.iter().fold(0u64, u64::wrapping_add)
    })
}

fn tiny_para(threads: usize, n: u64) -> u64 {
    let mut sum = 0u64;
    pipeline!(threads, 0..n
              => |x: u64| black_box(x) + 1
              => |x: u64| x.wrapping_mul(3)
              => |x: u64| x ^ 7
              => |x: u64| sum = sum.wrapping_add(x));
    sum
}

fn medium_para(threads: usize, n: u64) -> u64 {
    let mut sum = 0u64;
    pipeline!(threads, 0..n => work_5us => work_5us => |x: u64| sum = sum.wrapping_add(x));
    sum
}

fn tiny(c: &mut Criterion) {
    let expected = tiny_sequential(TINY_ITEMS);
    let mut group = c.benchmark_group("tiny");
    group.throughput(Throughput::Elements(TINY_ITEMS * 3));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("sequential", |b| b.iter(|| tiny_sequential(TINY_ITEMS)));
    group.bench_function("channels", |b| {
        b.iter(|| assert_eq!(tiny_channels(TINY_ITEMS), expected))
    });
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("para", threads), &threads, |b, &t| {
            b.iter(|| assert_eq!(tiny_para(t, TINY_ITEMS), expected))
        });
    }
    group.finish();
}

fn medium(c: &mut Criterion) {
    let mut group = c.benchmark_group("medium");
    group.throughput(Throughput::Elements(MEDIUM_ITEMS * 2));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("para", threads), &threads, |b, &t| {
            b.iter(|| medium_para(t, MEDIUM_ITEMS))
        });
    }
    group.finish();
}

fn startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3));
    for threads in [1, 2] {
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
    let mut group = c.benchmark_group("split_source");
    group.throughput(Throughput::Elements(MEDIUM_ITEMS));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    let seeds: Vec<u64> = (0..MEDIUM_ITEMS).collect();
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("split", threads), &threads, |b, &t| {
            b.iter(|| {
                // `&Vec` is split: workers claim index ranges and run `work_5us` themselves.
                let mut sum = 0u64;
                pipeline!(t, &seeds => |s: &u64| work_5us(*s) => |x| sum = sum.wrapping_add(x));
                sum
            })
        });
        group.bench_with_input(BenchmarkId::new("iterator", threads), &threads, |b, &t| {
            b.iter(|| {
                // An iterator whose `next` does the work: produced by one worker at a time.
                let mut sum = 0u64;
                pipeline!(t, seeds.iter().map(|s| work_5us(*s)) => |x: u64| x => |x| sum = sum.wrapping_add(x));
                sum
            })
        });
    }
    group.finish();
}

criterion_group!(benches, tiny, medium, startup, split_source);
criterion_main!(benches);
