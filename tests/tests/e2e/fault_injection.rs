//! Faults outside the closures: a panic in an item's `Drop`, and in its `Clone` during a fan-out.
//! Each: the run ends, the caller gets the payload, nothing leaks, and the next run works.

use crate::common::{message, watchdog, THREADS};
use para_std::pipeline;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

/// An item that panics when the value `bad` is dropped (`on_drop`) or cloned (`!on_drop`).
/// Live items are counted in `live`.
struct Touchy<'a> {
    value: i64,
    bad: i64,
    on_drop: bool,
    live: &'a AtomicUsize,
}

impl<'a> Touchy<'a> {
    fn new(value: i64, bad: i64, on_drop: bool, live: &'a AtomicUsize) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Touchy {
            value,
            bad,
            on_drop,
            live,
        }
    }
}

impl Clone for Touchy<'_> {
    fn clone(&self) -> Self {
        if !self.on_drop && self.value == self.bad {
            panic!("clone of {} failed", self.value);
        }
        Touchy::new(self.value, self.bad, self.on_drop, self.live)
    }
}

impl Drop for Touchy<'_> {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        // Never while unwinding: a second panic would abort the process, for para as for std.
        if self.on_drop && self.value == self.bad && !std::thread::panicking() {
            panic!("drop of {} failed", self.value);
        }
    }
}

fn run(threads: usize, bad: i64, on_drop: bool, live: &AtomicUsize, sum: &AtomicI64) {
    pipeline!(threads, capacity = 1, (0..2_000).map(|i| Touchy::new(i, bad, on_drop, live))
              => |t: Touchy<'_>| t
              => (|t: Touchy<'_>| t.value, filter |t: &Touchy<'_>| t.value % 2 == 0 => |t: Touchy<'_>| t.value)
              => |v| { sum.fetch_add(v, Ordering::Relaxed); });
}

#[test]
fn a_panic_in_drop_or_clone_reaches_the_caller_and_nothing_leaks() {
    for threads in THREADS {
        for on_drop in [true, false] {
            for bad in [0, 999, 1_998] {
                let live = AtomicUsize::new(0);
                let sum = AtomicI64::new(0);
                let outcome = watchdog(60, || {
                    panic::catch_unwind(AssertUnwindSafe(|| {
                        run(threads, bad, on_drop, &live, &sum)
                    }))
                });
                let msg = message(&*outcome.expect_err("the fault must reach the caller"));
                let expected = if on_drop {
                    format!("drop of {bad} failed")
                } else {
                    format!("clone of {bad} failed")
                };
                assert_eq!(msg, expected, "threads={threads}");
                assert_eq!(
                    live.load(Ordering::SeqCst),
                    0,
                    "leak: threads={threads} bad={bad}"
                );
            }
        }
        // The next run in the same process works.
        let live = AtomicUsize::new(0);
        let sum = AtomicI64::new(0);
        watchdog(60, || run(threads, -1, false, &live, &sum));
        let evens: i64 = (0..2_000).filter(|v| v % 2 == 0).sum();
        assert_eq!(sum.into_inner(), (0..2_000).sum::<i64>() + evens);
        assert_eq!(live.load(Ordering::SeqCst), 0);
    }
}
