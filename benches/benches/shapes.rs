//! What para costs per item and how it scales, on the shapes of pipeline users write, against
//! what they would write instead — all in the same run, so that the ratios hold even on a busy
//! machine.
//!
//! Every group compares, on the same input: `sequential` (a plain loop on one thread),
//! `channels/T` (a hand-rolled `std::thread::scope` + bounded crossbeam-channel pipeline with
//! `T` worker threads per parallel stage, plus a source thread, the sink on the caller; sequence
//! numbers and a reorder buffer where order matters), `rayon/T` (rayon's natural form, in a
//! `ThreadPool` of `T` threads) and `para/T` (`pipeline!(T, …)`), for T = 1 and 2. Each
//! implementation's result is checked against the sequential one once, before timing.
//!
//! * `tiny`: 3 stages of ~25–40 ns of integer work and a summing sink, 10^6 items — the
//!   per-item cost of the machinery. Time ÷ (10^6 × 3) is the cost per item per stage;
//!   `sequential` is the work alone.
//! * `medium`: 2 stages of ~5 µs, summing sink, 2 000 items — scaling when the work dominates.
//!   Ideal: `para/2` ≈ `para/1` ÷ 2 ≈ `sequential` ÷ 2.
//! * `imbalanced`: ~1 µs → ~40 µs → ~1 µs, then a stateful sink pushing into a `Vec`, 500 items —
//!   one heavy stage must get every thread.
//! * `diamond`: `source => (|x| a => b, |x| c) => sink`, a ≈ 2 µs, b ≈ 3 µs, c ≈ 5 µs, summing
//!   sink, 2 000 items — fan-out and merge.
//! * `ordered`: a stage of 2–20 µs per item (pseudo-random, deterministic) then an in-order sink
//!   that checks each item is the next one and folds an order-sensitive hash, 2 000 items.
//!
//! Criterion's throughput counts item-stages (one item through one stage, the sink not
//! counted): elements/s × stages = items/s. Figures are wall-clock medians; compare columns of
//! the same run (`scripts/bench-table.sh` prints them as one table). `PARA_BENCH_QUICK=1` shrinks
//! inputs and times to check that everything runs.

mod common;

use common::{compare, in_order, source, stage, Implementations};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbeam_channel::bounded;
use para_benches::{fold_in_order, size, tiny_stage, variable_us, work_5us, work_us, Timing};
use para_std::pipeline;
use rayon::prelude::*;
use std::hint::black_box;

/// Bounded channels of the µs-sized shapes: para's default queue capacity.
const CAPACITY: usize = 64;

fn add(sum: u64, x: u64) -> u64 {
    sum.wrapping_add(x)
}

fn sum_check(expected: u64) -> impl Fn(&str, u64) {
    move |name, got| assert_eq!(got, expected, "{name}: wrong sum")
}

// ---------------------------------------------------------------------------------------------

fn tiny(c: &mut Criterion) {
    let n: u64 = black_box(size(1_000_000, 100_000));
    let a = |x: u64| tiny_stage(x, 1);
    let b = |x: u64| tiny_stage(x, 2);
    let z = |x: u64| tiny_stage(x, 3);
    let sequential = || {
        let mut sum = 0;
        for x in 0..n {
            sum = add(sum, z(b(a(x))));
        }
        sum
    };
    let expected = sequential();
    compare(
        c,
        "tiny",
        Timing::new(10, 1.0, 6.0),
        Throughput::Elements(n * 3),
        sum_check(expected),
        Implementations {
            sequential,
            channels: |t| {
                // Per-item hops, as such pipelines are usually written; larger channels than
                // the other shapes so that a stage rarely waits on its neighbours.
                let (tx0, rx0) = bounded(1024);
                let (tx1, rx1) = bounded(1024);
                let (tx2, rx2) = bounded(1024);
                let (tx3, rx3) = bounded(1024);
                std::thread::scope(|s| {
                    source(s, 0..n, tx0);
                    stage(s, t, rx0, tx1, &a);
                    stage(s, t, rx1, tx2, &b);
                    stage(s, t, rx2, tx3, &z);
                    rx3.iter().fold(0, add)
                })
            },
            rayon: |pool| {
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map(a)
                        .map(b)
                        .map(z)
                        .reduce(|| 0, add)
                })
            },
            para: |t| {
                let mut sum = 0;
                pipeline!(t, 0..n => |x: u64| a(x) => |x: u64| b(x) => |x: u64| z(x)
                          => |x: u64| sum = add(sum, x));
                sum
            },
        },
    );
}

fn medium(c: &mut Criterion) {
    let n: u64 = size(2_000, 200);
    let sequential = || (0..n).map(work_5us).map(|x| work_5us(x ^ 1)).fold(0, add);
    let expected = sequential();
    let second = |x: u64| work_5us(x ^ 1);
    compare(
        c,
        "medium",
        Timing::new(30, 1.0, 8.0),
        Throughput::Elements(n * 2),
        sum_check(expected),
        Implementations {
            sequential,
            channels: |t| {
                let (tx0, rx0) = bounded(CAPACITY);
                let (tx1, rx1) = bounded(CAPACITY);
                let (tx2, rx2) = bounded(CAPACITY);
                std::thread::scope(|s| {
                    source(s, 0..n, tx0);
                    stage(s, t, rx0, tx1, &work_5us);
                    stage(s, t, rx1, tx2, &second);
                    rx2.iter().fold(0, add)
                })
            },
            rayon: |pool| {
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map(work_5us)
                        .map(second)
                        .reduce(|| 0, add)
                })
            },
            para: |t| {
                let mut sum = 0;
                pipeline!(t, 0..n => work_5us => |x: u64| second(x) => |x: u64| sum = add(sum, x));
                sum
            },
        },
    );
}

fn imbalanced(c: &mut Criterion) {
    let n: u64 = size(500, 50);
    let cheap = |x: u64| work_us(x, 1);
    let heavy = |x: u64| work_us(x ^ 2, 40);
    let last = |x: u64| work_us(x ^ 3, 1);
    let sequential = || {
        let mut out = Vec::with_capacity(n as usize);
        for x in 0..n {
            out.push(last(heavy(cheap(x))));
        }
        out
    };
    let mut expected = sequential();
    expected.sort_unstable();
    compare(
        c,
        "imbalanced",
        Timing::new(30, 1.0, 8.0),
        Throughput::Elements(n * 3),
        // The sink is not ordered: any order of the same values is right.
        |name, mut got: Vec<u64>| {
            got.sort_unstable();
            assert_eq!(got, expected, "{name}: wrong values");
        },
        Implementations {
            sequential,
            channels: |t| {
                let (tx0, rx0) = bounded(CAPACITY);
                let (tx1, rx1) = bounded(CAPACITY);
                let (tx2, rx2) = bounded(CAPACITY);
                let (tx3, rx3) = bounded(CAPACITY);
                std::thread::scope(|s| {
                    source(s, 0..n, tx0);
                    stage(s, t, rx0, tx1, &cheap);
                    stage(s, t, rx1, tx2, &heavy);
                    stage(s, t, rx2, tx3, &last);
                    let mut out = Vec::with_capacity(n as usize);
                    for x in rx3 {
                        out.push(x);
                    }
                    out
                })
            },
            rayon: |pool| {
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map(cheap)
                        .map(heavy)
                        .map(last)
                        .collect()
                })
            },
            para: |t| {
                let mut out = Vec::with_capacity(n as usize);
                pipeline!(t, 0..n => |x: u64| cheap(x) => |x: u64| heavy(x) => |x: u64| last(x)
                          => |x: u64| out.push(x));
                out
            },
        },
    );
}

fn diamond(c: &mut Criterion) {
    let n: u64 = size(2_000, 200);
    let a = |x: u64| work_us(x, 2);
    let b = |x: u64| work_us(x ^ 2, 3);
    let z = |x: u64| work_us(x ^ 3, 5);
    let sequential = || {
        let mut sum = 0;
        for x in 0..n {
            sum = add(sum, b(a(x)));
            sum = add(sum, z(x));
        }
        sum
    };
    let expected = sequential();
    compare(
        c,
        "diamond",
        Timing::new(30, 1.0, 8.0),
        Throughput::Elements(n * 3),
        sum_check(expected),
        Implementations {
            sequential,
            channels: |t| {
                let (to_a, from_src_a) = bounded(CAPACITY);
                let (to_z, from_src_z) = bounded(CAPACITY);
                let (to_b, from_a) = bounded(CAPACITY);
                let (to_merge, merged) = bounded(CAPACITY);
                std::thread::scope(|s| {
                    // The source clones each item into both branches.
                    s.spawn(move || {
                        for x in 0..n {
                            if to_a.send(x).is_err() || to_z.send(x).is_err() {
                                break;
                            }
                        }
                    });
                    stage(s, t, from_src_a, to_b, &a);
                    stage(s, t, from_a, to_merge.clone(), &b);
                    stage(s, t, from_src_z, to_merge, &z);
                    merged.iter().fold(0, add)
                })
            },
            rayon: |pool| {
                pool.install(|| {
                    (0..n)
                        .into_par_iter()
                        .map(|x| add(b(a(x)), z(x)))
                        .reduce(|| 0, add)
                })
            },
            para: |t| {
                let mut sum = 0;
                pipeline!(t, 0..n
                          => (|x: u64| a(x) => |y: u64| b(y),
                              |x: u64| z(x))
                          => |v: u64| sum = add(sum, v));
                sum
            },
        },
    );
}

/// What the in-order sink of the `ordered` shape computes: items seen and an order-sensitive
/// hash of their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InOrder {
    next: u64,
    hash: u64,
}

impl InOrder {
    fn new() -> InOrder {
        InOrder { next: 0, hash: 0 }
    }

    /// The sink: item `i` must be the next one.
    fn push(&mut self, (i, value): (u64, u64)) {
        assert_eq!(i, self.next, "out of order");
        self.next += 1;
        self.hash = fold_in_order(self.hash, value);
    }
}

fn ordered(c: &mut Criterion) {
    let n: u64 = size(2_000, 200);
    let vary = |i: u64| (i, work_us(i, variable_us(i)));
    let sequential = || {
        let mut sink = InOrder::new();
        for i in 0..n {
            sink.push(vary(i));
        }
        sink
    };
    let expected = sequential();
    assert_eq!(expected.next, n);
    compare(
        c,
        "ordered",
        Timing::new(30, 1.0, 8.0),
        Throughput::Elements(n),
        move |name, got| assert_eq!(got, expected, "{name}: wrong order or values"),
        Implementations {
            sequential,
            channels: |t| {
                let (tx0, rx0) = bounded(CAPACITY);
                let (tx1, rx1) = bounded(CAPACITY);
                // Each result travels with its sequence number (the item's index).
                let numbered = |i: u64| (i, vary(i));
                std::thread::scope(|s| {
                    source(s, 0..n, tx0);
                    stage(s, t, rx0, tx1, &numbered);
                    let mut sink = InOrder::new();
                    in_order(rx1, |item| sink.push(item));
                    sink
                })
            },
            rayon: |pool| {
                let items: Vec<(u64, u64)> =
                    pool.install(|| (0..n).into_par_iter().map(vary).collect());
                let mut sink = InOrder::new();
                for item in items {
                    sink.push(item);
                }
                sink
            },
            para: |t| {
                let mut sink = InOrder::new();
                pipeline!(t, 0..n => |i: u64| vary(i)
                          => ordered |item: (u64, u64)| sink.push(item));
                sink
            },
        },
    );
}

criterion_group!(benches, tiny, medium, imbalanced, diamond, ordered);
criterion_main!(benches);
