//! A flat-map fused into the fold sink after it (`flat_map f => … => fold(…)` runs as one
//! node): the result equals a sequential fold with stages before and after the flat-map, with
//! `try` on either side, and a `reduce`; an error ends the run with every item dropped once; a
//! run stopped elsewhere ends even while an endless expansion is being folded.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{watchdog, Counters, Tracked, THREADS};
use para_std::{pipeline, pipeline_dot};

const N: u64 = 20_000;

#[derive(Debug, PartialEq)]
struct Bad(u64);

/// What every test here folds: `0..x % 7` per input, the even ones tripled.
fn expand(x: u64) -> std::ops::Range<u64> {
    0..x % 7
}

fn sequential() -> u64 {
    (0..N)
        .map(|x| x + 1)
        .flat_map(expand)
        .filter(|y| y & 1 == 0)
        .map(|y| y * 3)
        .sum()
}

#[test]
fn stages_before_and_after_the_flat_map() {
    for threads in THREADS {
        watchdog(60, || {
            let sum = pipeline!(threads, 0..N => |x| x + 1 => flat_map expand
                => filter |y: &u64| y & 1 == 0 => |y| y * 3
                => fold(|| 0u64, |s, y| s + y, |a, b| a + b));
            assert_eq!(sum, sequential(), "{threads} threads");
            let sum = pipeline!(threads, 0..N => |x| x + 1 => flat_map expand
                => filter |y: &u64| y & 1 == 0 => |y| y * 3
                => reduce(|| 0, |a, b| a + b));
            assert_eq!(sum, sequential(), "{threads} threads, reduce");
        });
    }
}

/// The fused chain is one node of the graph.
#[test]
fn the_chain_is_one_node() {
    let dot = pipeline_dot!(0..N => |x| x + 1 => flat_map expand => |y| y * 3
        => fold(|| 0u64, |s, y| s + y, |a, b| a + b));
    assert!(
        dot.contains("|x| x + 1\\n=> flat_map expand\\n=> |y| y * 3\\n=> fold("),
        "{dot}"
    );
    // Not before a stateful sink: its items cross a queue to the one worker that has it.
    let mut sum = 0;
    let dot = pipeline_dot!(0..N => flat_map expand => |y| sum += y);
    assert!(!dot.contains("flat_map expand\\n=>"), "{dot}");
    pipeline!(0..N => flat_map expand => |y| sum += y);
    assert_eq!(sum, (0..N).flat_map(expand).sum::<u64>());
}

#[test]
fn an_error_on_either_side_ends_the_run_and_drops_every_item() {
    for threads in THREADS {
        for at in [1, 9_999] {
            watchdog(60, || {
                let counters = Counters::new();
                let got = pipeline!(threads, (0..N as i64).map(|v| counters.item(v))
                    => try flat_map |t: Tracked| {
                        if t.value == at { return Err(Bad(at as u64)) }
                        Ok((0..t.value % 7).map(move |_| t.counters().item(t.value)))
                    }
                    => fold(|| 0u64, |n, _t: Tracked| n + 1, |a, b| a + b));
                assert_eq!(got, Err(Bad(at as u64)));
                assert_eq!(counters.live(), 0, "{threads} threads, error at {at}");

                let got = pipeline!(threads, (0..N as i64).map(|v| counters.item(v))
                    => flat_map |t: Tracked| (0..t.value % 7).map(move |_| t.counters().item(t.value))
                    => try fold(|| 0u64, |n, t: Tracked| {
                        if t.value == at { Err(Bad(at as u64)) } else { Ok(n + 1) }
                    }, |a, b| a + b));
                assert_eq!(got, Err(Bad(at as u64)));
                assert_eq!(counters.live(), 0, "{threads} threads, fold error at {at}");
            });
        }
    }
}

/// Another sink stops the run once the fold has started on inputs whose expansions are all
/// endless: the fused step folds a bounded batch and goes back to the scheduler, so the sink
/// gets its turn even on one thread, and the stop ends the expansions.
#[test]
fn a_stop_elsewhere_ends_an_endless_expansion() {
    for threads in THREADS {
        watchdog(60, || {
            let folding = AtomicBool::new(false);
            let folded = pipeline!(threads, 0..N => (
                |_x| {
                    if folding.load(Ordering::Relaxed) {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
                flat_map |_x| 0u64.. => fold(|| 0u64, |n, _| {
                    folding.store(true, Ordering::Relaxed);
                    n + 1
                }, |a, b| a + b)
            ));
            assert!(folded > 0, "{threads} threads: nothing folded");
        });
    }
}
