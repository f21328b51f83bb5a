//! Fold sinks (`fold(init, add, merge)`, `reduce(init, op)`, `try fold`): the result equals a
//! sequential fold at every thread count, after every kind of graph (fused stages, filters,
//! flat-maps, fan-outs, merges, ordered branches); an error or a panic ends the run with every
//! item and accumulator dropped once; an early stop elsewhere leaves a partial result; each
//! worker makes at most one accumulator.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{message, run, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;

const N: u64 = 100_000;

fn sequential_sum(f: impl Fn(u64) -> u64) -> u64 {
    (0..N).map(f).sum()
}

#[test]
fn a_sum_equals_the_sequential_sum() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            watchdog(60, || {
                let sum = run!(threads, capacity_one,
                    0..N => |x| x * 3 => fold(|| 0u64, |sum, x| sum + x, |a, b| a + b));
                assert_eq!(sum, sequential_sum(|x| x * 3), "{threads} threads");
                let sum = run!(threads, capacity_one, 0..N => reduce(|| 0, |a, b| a + b));
                assert_eq!(sum, sequential_sum(|x| x), "{threads} threads, reduce");
            });
        }
    }
}

#[test]
fn a_word_count_equals_the_sequential_one() {
    let words = ["a", "bb", "ccc", "a", "dd", "bb", "a", "e"];
    let lines: Vec<String> = (0..5_000)
        .map(|i| {
            (0..i % 7)
                .map(|j| words[(i * 3 + j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let mut expected: HashMap<&str, usize> = HashMap::new();
    for word in lines.iter().flat_map(|l| l.split_whitespace()) {
        *expected.entry(word).or_default() += 1;
    }
    for threads in THREADS {
        watchdog(60, || {
            let counts = pipeline!(threads, &lines
            => flat_map |line| line.split_whitespace()
            => fold(
                HashMap::<&str, usize>::new,
                |mut counts, word| {
                    *counts.entry(word).or_default() += 1;
                    counts
                },
                |mut a, b| {
                    for (word, n) in b {
                        *a.entry(word).or_default() += n;
                    }
                    a
                }
            ));
            assert_eq!(counts, expected, "{threads} threads");
        });
    }
}

#[test]
fn no_items_give_the_initial_accumulator() {
    for threads in THREADS {
        let inits = AtomicUsize::new(0);
        let sum = pipeline!(threads, 0..0u64 => fold(
            || {
                inits.fetch_add(1, Ordering::Relaxed);
                7u64
            },
            |sum, x| sum + x,
            |a, b| a + b
        ));
        assert_eq!(sum, 7);
        assert_eq!(
            inits.into_inner(),
            1,
            "one accumulator for the empty result"
        );
    }
}

/// Each worker makes at most one accumulator, however many steps it runs there.
#[test]
fn at_most_one_accumulator_per_worker() {
    for threads in THREADS {
        watchdog(60, || {
            let inits = AtomicUsize::new(0);
            let (count, seen) = pipeline!(threads, 0..N => |x| x + 1 => fold(
                || {
                    inits.fetch_add(1, Ordering::Relaxed);
                    (0u64, 0u64)
                },
                |(count, sum), x| (count + 1, sum + x),
                |a, b| (a.0 + b.0, a.1 + b.1)
            ));
            assert_eq!((count, seen), (N, sequential_sum(|x| x + 1)));
            let inits = inits.into_inner();
            assert!(
                (1..=threads).contains(&inits),
                "{threads} threads made {inits} accumulators"
            );
        });
    }
}

#[test]
fn after_filters_flat_maps_fan_outs_and_merges() {
    let odd = |x: &u64| x % 2 == 1;
    for threads in THREADS {
        watchdog(60, || {
            // Fused in front of the fold: a filter and a map.
            let sum = pipeline!(threads, 0..N => filter odd => |x| x * 2
                => fold(|| 0, |s, x| s + x, |a, b| a + b));
            assert_eq!(sum, (0..N).filter(odd).map(|x| x * 2).sum::<u64>());
            // A flat-map into the fold.
            let count = pipeline!(threads, 0..N / 10 => flat_map |x| 0..x % 5
                => fold(|| 0usize, |n, _| n + 1, |a, b| a + b));
            assert_eq!(count, (0..N / 10).map(|x| (x % 5) as usize).sum::<usize>());
            // A fan-out whose branches merge into the fold.
            let sum = pipeline!(threads, 0..N => (|x| x, |x| x * 10)
                => reduce(|| 0, |a, b| a + b));
            assert_eq!(sum, 11 * sequential_sum(|x| x));
            // A fold in each branch of a fan-out: a tuple of results, in the order written.
            let (sum, max, count) = pipeline!(threads, 0..N => (
                reduce(|| 0, |a, b| a + b),
                |x| x % 1000 => reduce(|| 0, u64::max),
                fold(|| 0u64, |n, _| n + 1, |a, b| a + b)
            ));
            assert_eq!((sum, max, count), (sequential_sum(|x| x), 999, N));
            // Beside an ordered sink, on items numbered for it.
            let mut seen = Vec::new();
            let sum = pipeline!(threads, 0..N / 10 => (
                ordered |x| seen.push(x),
                |x| x + 1 => reduce(|| 0, |a, b| a + b)
            ));
            assert_eq!(seen, (0..N / 10).collect::<Vec<_>>());
            assert_eq!(sum, (1..=N / 10).sum::<u64>());
        });
    }
}

#[derive(Debug, PartialEq)]
struct Bad(i64);

/// Tracked items folded into a `Vec` of them: an error, in the fold or in a stage before it,
/// ends the run with that error, and every item (folded or not) is dropped once.
#[test]
fn an_error_ends_the_run_and_drops_every_item_and_accumulator() {
    for threads in THREADS {
        for at in [0, 5_000, 9_999] {
            watchdog(60, || {
                let counters = Counters::new();
                let got = pipeline!(threads, (0..10_000).map(|v| counters.item(v))
                => try fold(
                    Vec::new,
                    |mut all: Vec<Tracked>, t| {
                        if t.value == at {
                            return Err(Bad(at));
                        }
                        all.push(t);
                        Ok(all)
                    },
                    |mut a, b| {
                        a.extend(b);
                        a
                    }
                ));
                assert_eq!(got.map(|v| v.len()), Err(Bad(at)));
                assert_eq!(
                    counters.live(),
                    0,
                    "{threads} threads, error at {at}: leaked"
                );

                let got = pipeline!(threads, (0..10_000).map(|v| counters.item(v))
                    => try |t: Tracked| if t.value == at { Err(Bad(at)) } else { Ok(t) }
                    => fold(Vec::new, |mut all: Vec<Tracked>, t| { all.push(t); all },
                            |mut a, b| { a.extend(b); a }));
                assert_eq!(got.map(|v| v.len()), Err(Bad(at)));
                assert_eq!(counters.live(), 0, "{threads} threads, stage error at {at}");
            });
        }
        let counters = Counters::new();
        let all = pipeline!(threads, (0..10_000).map(|v| counters.item(v))
            => try fold(Vec::new, |mut all: Vec<Tracked>, t| { all.push(t); Ok::<_, Bad>(all) },
                        |mut a, b| { a.extend(b); a }));
        let mut values: Vec<i64> = all.unwrap().iter().map(|t| t.value).collect();
        values.sort_unstable();
        assert_eq!(values, (0..10_000).collect::<Vec<_>>());
        assert_eq!(counters.live(), 0);
    }
}

#[test]
fn a_panic_reaches_the_caller_and_leaks_nothing() {
    for threads in THREADS {
        watchdog(60, || {
            let counters = Counters::new();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pipeline!(threads, (0..10_000).map(|v| counters.item(v))
                    => fold(Vec::new, |mut all: Vec<Tracked>, t| {
                        assert!(t.value != 4_321, "fold failed at 4321");
                        all.push(t);
                        all
                    }, |mut a, b| { a.extend(b); a }))
            }));
            let payload = outcome.expect_err("the panic reaches the caller");
            assert_eq!(message(&*payload), "fold failed at 4321");
            assert_eq!(counters.live(), 0, "{threads} threads: leaked");
        });
    }
}

/// Another sink stops the run early: the fold's result holds what it had folded, a part of
/// the items, and nothing leaks.
#[test]
fn an_early_stop_elsewhere_leaves_a_partial_result() {
    for threads in THREADS {
        watchdog(60, || {
            let counters = Counters::new();
            let mut seen = 0;
            let folded = pipeline!(threads, (0..N as i64).map(|v| counters.item(v)) => (
                |t: Tracked| {
                    seen += 1;
                    if t.value >= 1_000 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
                fold(|| 0u64, |n, _t: Tracked| n + 1, |a, b| a + b)
            ));
            assert!(seen >= 1, "the stopping sink ran");
            assert!(
                folded < N,
                "{threads} threads: folded {folded} of {N} after a stop"
            );
            assert_eq!(counters.live(), 0, "{threads} threads: leaked");
        });
    }
}
