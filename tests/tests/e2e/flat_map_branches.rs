//! A `flat_map` inside a fan-out branch before an `ordered` stage: it runs in order (as an
//! ordered flat-map), and the ordered stage reads its outputs as a stream, so it still sees,
//! per source item in source order, the branch outputs in branch order, each flat-map's
//! outputs of that item in emission order.

use crate::common::{
    expand, expanded, reference, run, uneven, watchdog, Counters, Tracked, THREADS,
};
use para_std::pipeline;

const N: i64 = 2_000;

#[test]
fn a_flat_map_branch_and_a_plain_branch_meet_at_the_ordered_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => (flat_map expand, |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let expected: Vec<i64> = (0..N)
                .flat_map(|x| (0..x.rem_euclid(4)).map(move |i| 10 * x + i).chain([-x]))
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn several_flat_map_branches_with_and_without_plain_ones() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (two_and_plain, only_flat_maps) = watchdog(60, || {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand,
                         uneven => |t: Tracked| t.map(|v| -v),
                         flat_map |t: Tracked| { let c = t.counters(); let v = t.value; (0..2).map(move |i| c.item(v * 100 + i)) })
                     => ordered |t: Tracked| a.push(t.value));
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => (flat_map expand, flat_map expand)
                     => ordered |t: Tracked| b.push(t.value));
                (a, b)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let hundred = |x: i64| vec![x * 100, x * 100 + 1];
            assert_eq!(
                two_and_plain,
                reference(0..N, &[&expanded, &|x| vec![-x], &hundred]),
                "{what}"
            );
            assert_eq!(
                only_flat_maps,
                reference(0..N, &[&expanded, &expanded]),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn fan_outs_and_filters_around_a_flat_map_branch() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Two paths into the flat-map (one input per path and item), a filter before it
                // (a hole: no outputs) and after it (holes among its outputs), and a fan-out
                // after it inside its branch.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (|t: Tracked| t, |t: Tracked| t.map(|v| v + 1))
                     => (filter |t: &Tracked| t.value % 3 != 0
                            => flat_map expand
                            => filter |t: &Tracked| t.value % 5 != 0
                            => (uneven, |t: Tracked| t.map(|v| v + 7)),
                         |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| -> Vec<i64> {
                if x % 3 == 0 {
                    return vec![];
                }
                expanded(x)
                    .into_iter()
                    .filter(|y| y % 5 != 0)
                    .flat_map(|y| [y, y + 7])
                    .collect()
            };
            let expected: Vec<i64> = (0..N)
                .flat_map(|x| [x, x + 1])
                .flat_map(|y| {
                    let mut v = branch(y);
                    v.push(-y);
                    v
                })
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn an_ordered_stage_inside_the_flat_map_branch_and_several_sources() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, seen) = watchdog(60, || {
                let (mut out, mut seen) = (Vec::new(), Vec::new());
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => uneven
                     => (ordered flat_map |t: Tracked| { let c = t.counters(); let v = t.value; [c.item(v), c.item(v + 1_000_000)] }
                            => ordered |t: Tracked| { seen.push(t.value); t },
                         |t: Tracked| t.map(|v| v * 3))
                     => ordered |t: Tracked| out.push(t.value));
                (out, seen)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            // Order per source: each source's items, each with its branch outputs in order.
            let expected = |xs: Vec<i64>| -> Vec<i64> {
                xs.into_iter()
                    .flat_map(|x| [x, x + 1_000_000, x * 3])
                    .collect()
            };
            let first: Vec<i64> = (0..N).collect();
            let second: Vec<i64> = (0..N).map(|i| -1 - i).collect();
            // The second source's items are negative; their outputs are negative, or x + 10^6
            // just below 10^6.
            let split = |v: &[i64]| -> (Vec<i64>, Vec<i64>) {
                v.iter()
                    .partition(|&&y| !(y < 0 || (1_000_000 - 10 * N..1_000_000).contains(&y)))
            };
            let (a, b) = split(&out);
            assert_eq!(a, expected(first.clone()), "{what}");
            assert_eq!(b, expected(second.clone()), "{what}");
            let (a, b) = split(&seen);
            let pairs = |xs: Vec<i64>| -> Vec<i64> {
                xs.into_iter().flat_map(|x| [x, x + 1_000_000]).collect()
            };
            assert_eq!(a, pairs(first), "{what}");
            assert_eq!(b, pairs(second), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_in_a_branch_keep_memory_bounded() {
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let count = watchdog(60, || {
            let mut count = 0u64;
            pipeline!(threads, capacity = 4, (0..3).map(|i| counters.item(i))
                      => (flat_map |t: Tracked| {
                              let (c, v) = (t.counters(), t.value);
                              let n = if v == 1 { 1_000_000 } else { 3 };
                              (0..n).map(move |i| c.item(i))
                          },
                          |t: Tracked| t)
                      => ordered |_t: Tracked| count += 1);
            count
        });
        assert_eq!(count, 1_000_000 + 6 + 3, "threads={threads}");
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= 64,
            "threads={threads}: peak {} items alive",
            counters.peak()
        );
    }
}

#[test]
fn an_error_a_stop_or_a_panic_ends_the_run() {
    use crate::common::message;
    use std::ops::ControlFlow;
    use std::panic::{self, AssertUnwindSafe};
    for threads in THREADS {
        let counters = Counters::new();
        let result = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                      => (try flat_map |t: Tracked| if t.value == 700 { Err(t.value) } else { Ok(expand(t)) },
                          uneven)
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(700), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        let counters = Counters::new();
        let seen = watchdog(60, || {
            let mut seen = Vec::new();
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
            => (flat_map expand, uneven)
            => ordered |t: Tracked| {
                seen.push(t.value);
                if t.value == 500 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            seen
        });
        let mut expected = reference(0..N, &[&expanded, &|x| vec![x]]);
        expected.truncate(expected.iter().position(|&v| v == 500).unwrap() + 1);
        assert_eq!(seen, expected, "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        let counters = Counters::new();
        let caught = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                          => (flat_map expand => |t: Tracked| { assert!(t.value != 9021, "boom at 9021"); t },
                              uneven)
                          => ordered |t: Tracked| out.push(t.value));
            }))
        });
        let payload = caught.expect_err("the panic reaches the caller");
        assert!(
            message(&*payload).contains("boom at 9021"),
            "threads={threads}"
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}

#[test]
fn the_ordered_stage_reading_a_stream_feeds_another_in_its_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, numbered) = watchdog(60, || {
                let (mut out, mut next) = (Vec::new(), 0i64);
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, uneven => |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| { next += 1; t.map(|v| v * 100_000 + next) }
                     => (uneven, |t: Tracked| t.map(|v| v + 1))
                     => ordered |t: Tracked| out.push(t.value));
                (out, next)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = reference(0..N, &[&expanded, &|x| vec![-x]]);
            assert_eq!(numbered as usize, first.len(), "{what}");
            // The second ordered stage sees the first one's outputs in the order it emitted
            // them (numbered 1, 2, …), each through both branches.
            let expected: Vec<i64> = first
                .iter()
                .zip(1..)
                .map(|(&v, n)| v * 100_000 + n)
                .flat_map(|w| [w, w + 1])
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_flat_map_branch_after_a_flat_map_on_the_chain() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // The ordered stage's main numbering is the first flat-map's; the branch's
                // flat-map is a stream of it.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(v), c.item(v + 1)] }
                     => (flat_map expand, uneven => |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let inputs = (0..N).flat_map(|x| [x, x + 1]);
            assert_eq!(
                out,
                reference(inputs, &[&expanded, &|x| vec![-x]]),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_flat_map_branch_after_a_flat_map_on_the_chain_with_two_sources() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // The ordered stage's window is the first flat-map's (one window, both sources'
                // items in the order it emitted them); each of its items reads the stream's
                // outputs of the input from that item's source. (Before 2026-11-26 it read
                // them for window 0's source and hung on the second source's items.)
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(2 * v), c.item(2 * v + 1)] }
                     => (flat_map expand, uneven => |t: Tracked| t.map(|v| v * 3))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            // Every value keeps its source's sign (the first source's are ≥ 0).
            let (a, b): (Vec<i64>, Vec<i64>) = out.iter().partition(|&&v| v >= 0);
            let per_source = |xs: Vec<i64>| {
                let inputs = xs.into_iter().flat_map(|x| [2 * x, 2 * x + 1]);
                reference(inputs, &[&expanded, &|x| vec![x * 3]])
            };
            assert_eq!(a, per_source((0..N).collect()), "{what}");
            assert_eq!(b, per_source((0..N).map(|i| -1 - i).collect()), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}
