//! A panic in any node stops the run promptly, drops every item exactly once, and resumes on the
//! caller with the original payload — in the source, a middle node and the sink, at the first,
//! a middle and the last item.

use crate::common::{message, watchdog, Counters, Tracked};
use para_std::pipeline;
use std::panic::{self, AssertUnwindSafe};

const N: i64 = 2_000;
const AT: [i64; 3] = [0, N / 2, N - 1];

#[derive(Clone, Copy, Debug)]
enum Where {
    Source,
    Middle,
    Sink,
}

fn run_with_panic(threads: usize, place: Where, at: i64) -> (String, &'static Counters) {
    let counters = Counters::new();
    let mut consumed = 0usize;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        pipeline!(threads, capacity = 4,
        (0..N).map(|i| {
            if matches!(place, Where::Source) && i == at { panic!("boom in source at {i}") }
            counters.item(i)
        })
        => |t: Tracked| {
            if matches!(place, Where::Middle) && t.value == at { panic!("boom in middle at {}", t.value) }
            t
        }
        => (|t: Tracked| t, |t: Tracked| t)
        => |t: Tracked| {
            if matches!(place, Where::Sink) && t.value == at { panic!("boom in sink at {}", t.value) }
            consumed += 1;
        });
    }));
    let payload = outcome.expect_err("the panic must reach the caller");
    (message(&*payload), counters)
}

#[test]
fn panics_reach_the_caller_with_their_payload_and_leak_nothing() {
    for threads in [1, 2, 4, 8] {
        for place in [Where::Source, Where::Middle, Where::Sink] {
            for at in AT {
                let (msg, counters) = watchdog(30, || run_with_panic(threads, place, at));
                let expected = match place {
                    Where::Source => format!("boom in source at {at}"),
                    Where::Middle => format!("boom in middle at {at}"),
                    Where::Sink => format!("boom in sink at {at}"),
                };
                assert_eq!(msg, expected, "threads={threads} place={place:?} at={at}");
                assert_eq!(
                    counters.live(),
                    0,
                    "leak: threads={threads} place={place:?} at={at}"
                );
                assert_eq!(counters.drops(), counters.created() + counters.clones());
            }
        }
    }
}

#[test]
fn a_run_after_a_panicking_run_works() {
    watchdog(30, || {
        let _ = run_with_panic(4, Where::Middle, N / 2);
        let mut sum = 0i64;
        pipeline!(4, 0..N => |x| x * 2 => |x| sum += x);
        assert_eq!(sum, (0..N).map(|x| x * 2).sum::<i64>());
    });
}

#[test]
fn non_string_payloads_survive() {
    watchdog(30, || {
        #[derive(Debug, PartialEq)]
        struct Custom(u32);
        let outcome = panic::catch_unwind(|| {
            pipeline!(2, 0..100u32 => |x| if x == 50 { panic::panic_any(Custom(x)) } else { x } => |_x| {});
        });
        let payload = outcome.expect_err("must panic");
        assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(50)));
    });
}

/// An item whose `Drop` panics for one chosen value, and which counts the live ones.
struct DropBomb {
    value: u64,
    live: &'static std::sync::atomic::AtomicUsize,
}

const BOMB: u64 = 5_000;

impl Drop for DropBomb {
    fn drop(&mut self) {
        self.live.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if self.value == BOMB {
            panic!("drop bomb {}", self.value);
        }
    }
}

/// The items a run had not consumed when a sink stopped it are all dropped, even when one of
/// their `Drop`s panics: the queues, the split `Vec` source and the iterator source keep going
/// past it, and that panic reaches the caller.
#[test]
fn a_panicking_drop_still_drops_every_other_item() {
    use std::ops::ControlFlow;
    use std::sync::atomic::{AtomicUsize, Ordering};
    for threads in [1, 2, 4] {
        for split in [true, false] {
            let live: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
            let bombs: Vec<DropBomb> = (0..10_000)
                .map(|value| {
                    live.fetch_add(1, Ordering::SeqCst);
                    DropBomb { value, live }
                })
                .collect();
            let mut seen = 0;
            let outcome = watchdog(30, || {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    let sink = |b: DropBomb| {
                        seen += 1;
                        drop(b);
                        if seen == 10 {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    };
                    if split {
                        pipeline!(threads, capacity = 256, bombs => |b: DropBomb| b => sink);
                    } else {
                        pipeline!(threads, capacity = 256,
                            bombs.into_iter() => |b: DropBomb| b => sink);
                    }
                }))
            });
            let payload = outcome.expect_err("the panicking drop must reach the caller");
            assert_eq!(message(&*payload), format!("drop bomb {BOMB}"));
            assert_eq!(
                live.load(Ordering::SeqCst),
                0,
                "items left undropped ({threads} threads, split source: {split})"
            );
        }
    }
}
