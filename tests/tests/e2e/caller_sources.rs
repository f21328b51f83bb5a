//! A source whose iterator is not `Send` — standard input's lock, an iterator holding an `Rc` —
//! is drained by the calling thread alone, while the stages run on every worker: every item
//! once, in order for an ordered stage, the iterator made, advanced and dropped on the caller's
//! thread, also when the run stops early or panics.

use crate::common::{in_child_process_with_stdin, message, watchdog, THREADS};
use para_std::pipeline;
use std::cell::Cell;
use std::io::BufRead;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, ThreadId};
use std::time::Duration;

/// Counts `0..n`; not `Send` (it holds an `Rc`). Asserts that it is advanced and dropped on
/// the thread that made it, and counts its calls and drops in `log`.
struct OnOwner {
    next: u64,
    n: u64,
    owner: ThreadId,
    log: Rc<Log>,
}

#[derive(Default)]
struct Log {
    calls: Cell<u64>,
    drops: Cell<u64>,
}

impl OnOwner {
    fn new(n: u64, log: &Rc<Log>) -> Self {
        OnOwner {
            next: 0,
            n,
            owner: thread::current().id(),
            log: Rc::clone(log),
        }
    }
}

impl Iterator for OnOwner {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        assert_eq!(
            thread::current().id(),
            self.owner,
            "advanced on another thread"
        );
        self.log.calls.set(self.log.calls.get() + 1);
        (self.next < self.n).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

impl Drop for OnOwner {
    fn drop(&mut self) {
        assert_eq!(
            thread::current().id(),
            self.owner,
            "dropped on another thread"
        );
        self.log.drops.set(self.log.drops.get() + 1);
    }
}

#[test]
fn every_item_once_and_in_order() {
    for threads in THREADS.into_iter().chain([32]) {
        watchdog(60, || {
            let log = Rc::new(Log::default());
            let sum = pipeline!(threads, OnOwner::new(10_000, &log)
                => |x| x * 3
                => reduce(|| 0, |a, b| a + b));
            assert_eq!(sum, 3 * (0..10_000).sum::<u64>(), "threads={threads}");
            assert_eq!(log.drops.get(), 1);

            let log = Rc::new(Log::default());
            let mut seen = Vec::new();
            pipeline!(threads, capacity = 4, OnOwner::new(5_000, &log)
                => |x| x + 1
                => ordered |x| seen.push(x));
            assert!(seen.iter().copied().eq(1..=5_000), "threads={threads}");
            assert_eq!((log.calls.get(), log.drops.get()), (5_001, 1));
        });
    }
}

/// The stages still run on many workers at once, although one thread alone produces: calls
/// that wait (sleep) overlap, up to the thread count. The source refills its queue only
/// between worker 0's other steps, so the queue's capacity (the default here) is what keeps
/// the other workers fed while worker 0 is inside a call.
#[test]
fn stages_run_on_every_worker() {
    for threads in [8, 32] {
        watchdog(60, || {
            let log = Rc::new(Log::default());
            let inside = AtomicUsize::new(0);
            let most = AtomicUsize::new(0);
            let n = pipeline!(threads, OnOwner::new(2_000, &log)
                => |x| {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    thread::sleep(Duration::from_micros(500));
                    inside.fetch_sub(1, Ordering::SeqCst);
                    x
                }
                => fold(|| 0u64, |n, _x| n + 1, |a, b| a + b));
            assert_eq!(n, 2_000);
            let most = most.into_inner();
            assert!(
                most * 2 >= threads,
                "threads={threads}: at most {most} calls at once"
            );
        });
    }
}

#[test]
fn beside_a_split_source() {
    for threads in THREADS {
        watchdog(60, || {
            let log = Rc::new(Log::default());
            let mut from_caller = Vec::new();
            let mut from_range = Vec::new();
            pipeline!(threads, (OnOwner::new(1_000, &log), 1_000_000..1_001_000u64)
                => |x| x * 2
                => ordered |x| if x < 2_000_000 { from_caller.push(x) } else { from_range.push(x) });
            assert!(from_caller.iter().copied().eq((0..1_000).map(|x| x * 2)));
            assert!(from_range
                .iter()
                .copied()
                .eq((1_000_000..1_001_000).map(|x| x * 2)));
            assert_eq!(log.drops.get(), 1);
        });
    }
}

#[test]
fn stopped_early_drops_the_iterator_on_the_caller() {
    for threads in THREADS {
        watchdog(60, || {
            let log = Rc::new(Log::default());
            let mut seen = 0;
            pipeline!(threads, capacity = 1, OnOwner::new(u64::MAX, &log)
            => |x| x
            => |x| {
                seen += 1;
                if x >= 1_000 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            assert!(seen > 1_000, "threads={threads}");
            assert!(
                log.calls.get() < 100_000,
                "threads={threads}: the source went on"
            );
            assert_eq!(log.drops.get(), 1);
        });
    }
}

#[test]
fn a_panic_drops_the_iterator_on_the_caller() {
    for threads in THREADS {
        watchdog(60, || {
            let log = Rc::new(Log::default());
            let run = panic::catch_unwind(AssertUnwindSafe(|| {
                pipeline!(threads, OnOwner::new(u64::MAX, &log)
                    => |x| if x == 700 { panic!("stage failed at {x}") } else { x }
                    => |_x| {});
            }));
            let payload = run.expect_err("the panic reaches the caller");
            assert_eq!(message(&*payload), "stage failed at 700");
            assert_eq!(log.drops.get(), 1, "threads={threads}");
        });
    }
}

/// `std::io::stdin().lock().lines()` — the README's case — read in a child process whose
/// standard input is a known text.
#[test]
fn standard_input_lines() {
    const LINES: u64 = 20_000;
    let text: String = (0..LINES).map(|i| format!("{i}\n")).collect();
    if !in_child_process_with_stdin(module_path!(), "standard_input_lines", 60, text.as_bytes()) {
        return;
    }
    let (count, sum) = pipeline!(4, std::io::stdin().lock().lines()
        => |line: std::io::Result<String>| line.unwrap().parse::<u64>().unwrap()
        => (fold(|| 0u64, |n, _x| n + 1, |a, b| a + b), reduce(|| 0, |a, b| a + b)));
    assert_eq!((count, sum), (LINES, (0..LINES).sum()));
}
