//! A stage runs on every worker that has work for it: with T workers and at least T items ready,
//! T calls of a parallel stage are inside it at once, in every shape, at the default capacity.
//!
//! Checked with a rendezvous, not with time: each call waits until K calls are inside at once,
//! with one deadline shared by every call, so a shape that cannot reach K fails at the deadline
//! (and every later call returns at once) instead of hanging or passing by luck.

use crate::common::watchdog;
use para_std::pipeline;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long the calls of one run may wait, together, for K of them to be inside at once.
const DEADLINE: Duration = Duration::from_secs(10);

/// Calls wait until `k` are inside at once (then everybody goes on, and later calls do not
/// wait), or until the shared deadline has passed.
struct Rendezvous {
    k: usize,
    inside: Mutex<usize>,
    arrived: Condvar,
    met: AtomicBool,
    peak: AtomicUsize,
    deadline: Instant,
}

impl Rendezvous {
    fn new(k: usize) -> Self {
        Rendezvous {
            k,
            inside: Mutex::new(0),
            arrived: Condvar::new(),
            met: AtomicBool::new(false),
            peak: AtomicUsize::new(0),
            deadline: Instant::now() + DEADLINE,
        }
    }

    /// One call of the stage under test: returns `x` after the rendezvous (or the deadline).
    fn call<T>(&self, x: T) -> T {
        let mut inside = self.inside.lock().unwrap();
        *inside += 1;
        self.peak.fetch_max(*inside, Ordering::SeqCst);
        if *inside >= self.k {
            self.met.store(true, Ordering::SeqCst);
            self.arrived.notify_all();
        }
        while !self.met.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= self.deadline {
                break;
            }
            inside = self
                .arrived
                .wait_timeout(inside, self.deadline - now)
                .unwrap()
                .0;
        }
        *inside -= 1;
        x
    }

    fn assert_met(&self, shape: &str, threads: usize) {
        assert!(
            self.met.load(Ordering::SeqCst),
            "{shape}, {threads} threads: at most {} calls were inside the stage at once, \
             expected {}",
            self.peak.load(Ordering::SeqCst),
            self.k
        );
    }
}

const THREADS: [usize; 8] = [2, 4, 8, 16, 32, 64, 128, 256];

/// Runs `shape(threads, rendezvous)` for every thread count, with K = T, under a watchdog.
fn at_every_thread_count(name: &str, shape: impl Fn(usize, &Rendezvous) -> u64) {
    for threads in THREADS {
        watchdog(120, || {
            let rendezvous = Rendezvous::new(threads);
            let items = 4 * threads as u64;
            let got = shape(threads, &rendezvous);
            rendezvous.assert_met(name, threads);
            assert!(
                got >= items,
                "{name}, {threads} threads: {got} items arrived"
            );
        });
    }
}

fn items(threads: usize) -> u64 {
    4 * threads as u64
}

#[test]
fn after_a_split_source() {
    at_every_thread_count("split source", |t, r| {
        let mut n = 0;
        pipeline!(t, 0..items(t) => |x| r.call(x) => |_x| n += 1);
        n
    });
}

#[test]
fn after_an_iterator_source() {
    at_every_thread_count("iterator source", |t, r| {
        let mut n = 0;
        pipeline!(t, (0..items(t)).map(|x| x * 2) => |x| r.call(x) => |_x| n += 1);
        n
    });
}

#[test]
fn after_several_sources() {
    at_every_thread_count("several sources", |t, r| {
        let mut n = 0;
        let half = items(t) / 2;
        pipeline!(t, (0..half, (half..2 * half).map(|x| x * 2)) => |x| r.call(x) => |_x| n += 1);
        n
    });
}

#[test]
fn in_a_fan_out_branch() {
    at_every_thread_count("fan-out branch", |t, r| {
        let (mut slow, mut other) = (0, 0);
        pipeline!(t, 0..items(t) => (|x| (true, r.call(x)), |x| (false, x))
                  => |(slow_branch, _x)| if slow_branch { slow += 1 } else { other += 1 });
        assert_eq!(other, items(t));
        slow
    });
}

#[test]
fn after_a_merge() {
    at_every_thread_count("merge", |t, r| {
        let mut n = 0;
        pipeline!(t, 0..items(t) / 2 => (|x| x, |x| x + 1) => |x| r.call(x) => |_x| n += 1);
        n
    });
}

#[test]
fn after_a_filter_and_a_flat_map() {
    at_every_thread_count("after filter", |t, r| {
        let mut n = 0;
        pipeline!(t, 0..2 * items(t) => filter |x| x % 2 == 0 => |x| r.call(x) => |_x| n += 1);
        n
    });
    at_every_thread_count("after flat_map", |t, r| {
        let mut n = 0;
        pipeline!(t, 0..items(t) / 2 => flat_map |x| [x, x] => |x| r.call(x) => |_x| n += 1);
        n
    });
}

#[test]
fn before_serial_and_ordered_stages() {
    at_every_thread_count("before serial", |t, r| {
        let mut n = 0;
        pipeline!(t, 0..items(t) => |x| r.call(x) => serial |x| x + 1 => |_x| n += 1);
        n
    });
    at_every_thread_count("before ordered", |t, r| {
        let mut seen = Vec::new();
        pipeline!(t, 0..items(t) => |x| r.call(x) => ordered |x| seen.push(x));
        assert_eq!(seen, (0..items(t)).collect::<Vec<_>>());
        seen.len() as u64
    });
}

#[test]
fn a_parallel_sink() {
    at_every_thread_count("parallel sink", |t, r| {
        let n = AtomicUsize::new(0);
        pipeline!(t, 0..items(t) => parallel |x| {
            r.call(x);
            n.fetch_add(1, Ordering::Relaxed);
        });
        n.into_inner() as u64
    });
}

/// Each worker folds into an accumulator of its own: T `add` calls at once.
#[test]
fn a_fold_sink() {
    at_every_thread_count("fold sink", |t, r| {
        pipeline!(t, 0..items(t) => fold(|| 0, |n, x| {
            r.call(x);
            n + 1
        }, |a, b| a + b))
    });
}

/// `limit(L)`: with more workers than L, exactly L calls are inside at once — never more, and
/// the rendezvous of L is met.
#[test]
fn a_concurrency_limit_caps_the_calls_in_flight() {
    for (threads, limit) in [(16, 4), (16, 8), (8, 1)] {
        watchdog(120, || {
            let r = Rendezvous::new(limit);
            let mut n = 0;
            match limit {
                1 => pipeline!(threads, 0..64u64 => limit(1) |x| r.call(x) => |_x| n += 1),
                4 => pipeline!(threads, 0..64u64 => limit(4) |x| r.call(x) => |_x| n += 1),
                _ => pipeline!(threads, 0..64u64 => limit(8) |x| r.call(x) => |_x| n += 1),
            }
            assert_eq!(n, 64);
            r.assert_met("limit", threads);
            let peak = r.peak.load(Ordering::SeqCst);
            assert_eq!(
                peak, limit,
                "limit({limit}) at {threads} threads: {peak} calls at once"
            );
        });
    }
    // A limited parallel sink, in a fan-out branch.
    watchdog(120, || {
        let r = Rendezvous::new(3);
        let other = AtomicUsize::new(0);
        pipeline!(12, 0..64u64 => (limit(3) parallel |x| { r.call(x); },
                                   parallel |_x| { other.fetch_add(1, Ordering::Relaxed); }));
        r.assert_met("limited sink", 12);
        assert_eq!(r.peak.load(Ordering::SeqCst), 3);
        assert_eq!(other.into_inner(), 64);
    });
}
