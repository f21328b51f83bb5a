//! What the bench files share: the driver that checks and then benchmarks every implementation
//! of a shape in one criterion group, and the building blocks of the hand-rolled channel
//! pipelines.
//!
//! Thread budget. At `T` threads (T = 1, 2): rayon runs in a `ThreadPool` of `T` threads and
//! para in `pipeline!(T, …)`, both with the caller waiting; a channel pipeline runs `T` worker
//! threads *per parallel stage*, plus one thread for its source, with its sink on the caller's
//! thread. So `channels/1` of a 3-stage chain runs 4 threads and the caller, `channels/2` 7 and
//! the caller: that is how such pipelines are written (a stage is a thread pool), and what they
//! cost on a machine with fewer cores than threads.

// Each bench file uses a different part of this module.
#![allow(dead_code)]

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use crossbeam_channel::{Receiver, Sender};
use para_benches::{Timing, THREADS};
use rayon::ThreadPool;
use std::collections::BTreeMap;
use std::thread::Scope;

/// A criterion group with `timing`, flat sampling (every sample runs the same number of
/// iterations: the right mode for iterations of milliseconds) and `throughput`.
pub(crate) fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    timing: Timing,
    throughput: Throughput,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(timing.sample_size)
        .warm_up_time(timing.warm_up)
        .measurement_time(timing.measurement)
        .sampling_mode(SamplingMode::Flat)
        .throughput(throughput);
    group
}

/// A rayon pool of `threads` threads, built once per group (outside the timed loop).
pub(crate) fn rayon_pool(threads: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
}

/// The implementations of one shape, each a complete run returning what its sink computed.
pub(crate) struct Implementations<R, S, C, Y, P>
where
    S: Fn() -> R,
    C: Fn(usize) -> R,
    Y: Fn(&ThreadPool) -> R,
    P: Fn(usize) -> R,
{
    /// A plain loop on the caller's thread.
    pub(crate) sequential: S,
    /// A channel pipeline with the given workers per parallel stage.
    pub(crate) channels: C,
    /// rayon, called inside the given pool.
    pub(crate) rayon: Y,
    /// para with the given threads.
    pub(crate) para: P,
}

/// Runs every implementation once and hands its result to `check` (which panics on a wrong
/// result), then benchmarks them all in the group `name`: `name/sequential`,
/// `name/channels/T`, `name/rayon/T`, `name/para/T` for T in [`THREADS`].
pub(crate) fn compare<R, S, C, Y, P>(
    c: &mut Criterion,
    name: &str,
    timing: Timing,
    throughput: Throughput,
    check: impl Fn(&str, R),
    imp: Implementations<R, S, C, Y, P>,
) where
    S: Fn() -> R,
    C: Fn(usize) -> R,
    Y: Fn(&ThreadPool) -> R,
    P: Fn(usize) -> R,
{
    let pools: Vec<ThreadPool> = THREADS.iter().map(|&t| rayon_pool(t)).collect();
    check("sequential", (imp.sequential)());
    for (&t, pool) in THREADS.iter().zip(&pools) {
        check(&format!("channels/{t}"), (imp.channels)(t));
        check(&format!("rayon/{t}"), (imp.rayon)(pool));
        check(&format!("para/{t}"), (imp.para)(t));
    }

    let mut group = group(c, name, timing, throughput);
    group.bench_function("sequential", |b| b.iter(&imp.sequential));
    for &t in &THREADS {
        group.bench_with_input(BenchmarkId::new("channels", t), &t, |b, &t| {
            b.iter(|| (imp.channels)(t))
        });
    }
    for (&t, pool) in THREADS.iter().zip(&pools) {
        group.bench_with_input(BenchmarkId::new("rayon", t), pool, |b, pool| {
            b.iter(|| (imp.rayon)(pool))
        });
    }
    for &t in &THREADS {
        group.bench_with_input(BenchmarkId::new("para", t), &t, |b, &t| {
            b.iter(|| (imp.para)(t))
        });
    }
    group.finish();
}

/// A parallel stage of a channel pipeline: `workers` threads, each applying `f` to the items it
/// receives from `rx` and sending the results to `tx`, until `rx` is closed and drained.
pub(crate) fn stage<'scope, I, O, F>(
    scope: &'scope Scope<'scope, '_>,
    workers: usize,
    rx: Receiver<I>,
    tx: Sender<O>,
    f: &'scope F,
) where
    I: Send + 'scope,
    O: Send + 'scope,
    F: Fn(I) -> O + Sync,
{
    for _ in 0..workers {
        let (rx, tx) = (rx.clone(), tx.clone());
        scope.spawn(move || {
            for item in rx {
                if tx.send(f(item)).is_err() {
                    break;
                }
            }
        });
    }
    // `rx` and `tx` drop here: only the workers hold the channel ends now, so the stage's
    // output closes when its last worker ends.
}

/// The source of a channel pipeline: a thread sending every item of `items` to `tx`.
pub(crate) fn source<'scope, I>(scope: &'scope Scope<'scope, '_>, items: I, tx: Sender<I::Item>)
where
    I: IntoIterator + Send + 'scope,
    I::Item: Send + 'scope,
{
    scope.spawn(move || {
        for item in items {
            if tx.send(item).is_err() {
                break;
            }
        }
    });
}

/// The reorder buffer in front of an in-order sink: receives `(sequence number, item)` pairs
/// in any order and hands the items to `sink` in sequence order (0, 1, 2, …), parking early
/// arrivals in a map until their turn.
pub(crate) fn in_order<T>(rx: Receiver<(u64, T)>, mut sink: impl FnMut(T)) {
    let mut next = 0u64;
    let mut early = BTreeMap::new();
    for (seq, item) in rx {
        if seq != next {
            early.insert(seq, item);
            continue;
        }
        sink(item);
        next += 1;
        while let Some(item) = early.remove(&next) {
            sink(item);
            next += 1;
        }
    }
    assert!(early.is_empty(), "sequence numbers with a gap");
}
