//! Ordered stages in and beside fan-out branches: a branch that leads to no ordered stage next to
//! one that does, ordered stages in sibling branches (each sees source order), an ordered stage
//! inside a branch before another ordered stage, and the parts of one item after a fan-out, a
//! merge and another fan-out (depth first, branches left to right). Each at 1, 2, 4 and 8
//! threads and at capacity 1, against a sequential reference, with every item dropped once.

use crate::common::{message, run, uneven, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

const N: i64 = 2_000;

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[test]
fn a_branch_beside_an_ordered_stage_gets_every_item_and_no_hole() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (ordered, other) = watchdog(60, || {
                let (mut ordered, mut other) = (Vec::new(), Vec::new());
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => filter |t: &Tracked| t.value % 5 != 0
                     => uneven
                     => (ordered |t: Tracked| ordered.push(t.value),
                         |t: Tracked| t.map(|v| -v) => |t: Tracked| other.push(t.value)));
                (ordered, other)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let kept: Vec<i64> = (0..N).filter(|v| v % 5 != 0).collect();
            assert_eq!(ordered, kept, "{what}");
            let negated: Vec<i64> = kept.iter().map(|v| -v).collect();
            assert_eq!(sorted(other), sorted(negated), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_flat_map_and_a_parallel_sink_beside_an_ordered_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let expanded = std::sync::Mutex::new(Vec::new());
            let ordered = watchdog(60, || {
                let mut ordered = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => (ordered |t: Tracked| ordered.push(t.value),
                         flat_map |t: Tracked| {
                             let (c, v) = (t.counters(), t.value);
                             (0..v.rem_euclid(3)).map(move |i| c.item(10 * v + i))
                         }
                         => parallel |t: Tracked| expanded.lock().unwrap().push(t.value)));
                ordered
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(ordered, (0..N).collect::<Vec<_>>(), "{what}");
            let reference: Vec<i64> = (0..N)
                .flat_map(|v| (0..v.rem_euclid(3)).map(move |i| 10 * v + i))
                .collect();
            assert_eq!(
                sorted(expanded.into_inner().unwrap()),
                sorted(reference),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn ordered_stages_in_sibling_branches_each_see_source_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (a, b, c) = watchdog(60, || {
                let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => (ordered |t: Tracked| a.push(t.value),
                         filter |t: &Tracked| t.value % 3 != 0
                             => uneven
                             => (ordered |t: Tracked| b.push(t.value),
                                 |t: Tracked| t.map(|v| v + 1) => ordered |t: Tracked| c.push(t.value))));
                (a, b, c)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(a, (0..N).collect::<Vec<_>>(), "{what}");
            let kept: Vec<i64> = (0..N).filter(|v| v % 3 != 0).collect();
            assert_eq!(b, kept, "{what}");
            assert_eq!(c, kept.iter().map(|v| v + 1).collect::<Vec<_>>(), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn an_ordered_stage_in_a_branch_before_another_keeps_branch_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, numbered) = watchdog(60, || {
                let (mut out, mut next) = (Vec::new(), 0i64);
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (uneven
                            => ordered |t: Tracked| { next += 1; t.map(|v| v * 1_000_000 + next) },
                         filter |t: &Tracked| t.value % 4 != 0 => uneven => |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                (out, next)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(numbered, N, "{what}");
            // Per item: the first branch's output (numbered in source order), then the second's.
            let expected: Vec<i64> = (0..N)
                .flat_map(|v| {
                    let first = Some(v * 1_000_000 + v + 1);
                    let second = (v % 4 != 0).then_some(-v);
                    first.into_iter().chain(second)
                })
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn parts_after_a_fan_out_a_merge_and_a_fan_out_come_depth_first() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (|t: Tracked| t.map(|v| 2 * v), uneven => |t: Tracked| t.map(|v| 2 * v + 1))
                     => (uneven => |t: Tracked| t.map(|v| 10 * v), |t: Tracked| t.map(|v| 10 * v + 1))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            // Per item v: each of the first group's outputs through each of the second's.
            let expected: Vec<i64> = (0..N)
                .flat_map(|v| [2 * v, 2 * v + 1])
                .flat_map(|w| [10 * w, 10 * w + 1])
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn several_sources_with_sibling_ordered_stages_and_a_plain_branch() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (a, b, plain) = watchdog(60, || {
                let (mut a, mut b, mut plain) = (Vec::new(), Vec::new(), Vec::new());
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => uneven
                     => (ordered |t: Tracked| a.push(t.value),
                         |t: Tracked| t.map(|v| 3 * v) => ordered |t: Tracked| b.push(t.value),
                         |t: Tracked| plain.push(t.value)));
                (a, b, plain)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            // Order is per source: each source's items in its order, interleaved in any way.
            let of = |v: &[i64], positive: bool| -> Vec<i64> {
                v.iter()
                    .copied()
                    .filter(|&x| (x >= 0) == positive)
                    .collect()
            };
            let first: Vec<i64> = (0..N).collect();
            let second: Vec<i64> = (0..N).map(|i| -1 - i).collect();
            assert_eq!(of(&a, true), first, "{what}");
            assert_eq!(of(&a, false), second, "{what}");
            let times3 = |v: &[i64]| v.iter().map(|x| 3 * x).collect::<Vec<_>>();
            assert_eq!(of(&b, true), times3(&first), "{what}");
            assert_eq!(of(&b, false), times3(&second), "{what}");
            let all: Vec<i64> = first.iter().chain(&second).copied().collect();
            assert_eq!(sorted(plain), sorted(all), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn an_error_a_stop_or_a_panic_in_either_branch_ends_the_run() {
    for threads in THREADS {
        // An error in the plain branch.
        let counters = Counters::new();
        let result = watchdog(60, || {
            let mut seen = Vec::new();
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                      => uneven
                      => (ordered |t: Tracked| seen.push(t.value),
                          try |t: Tracked| if t.value == 700 { Err(t.value) } else { Ok(()) }))
        });
        assert_eq!(result, Err(700), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        // The ordered sink stops the run; what it saw is a prefix of the source.
        let counters = Counters::new();
        let seen = watchdog(60, || {
            let (mut seen, mut other) = (Vec::new(), 0usize);
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                      => uneven
                      => (ordered |t: Tracked| {
                              seen.push(t.value);
                              if t.value == 500 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
                          },
                          |_t: Tracked| other += 1));
            seen
        });
        assert_eq!(seen, (0..=500).collect::<Vec<_>>(), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        // A panic in a transparent ordered stage inside a branch.
        let counters = Counters::new();
        let caught = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                          => (ordered |t: Tracked| { assert!(t.value != 900, "boom at 900"); t },
                              uneven)
                          => ordered |t: Tracked| out.push(t.value));
            }))
        });
        let payload = caught.expect_err("the panic reaches the caller");
        assert!(
            message(&*payload).contains("boom at 900"),
            "threads={threads}"
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}

#[test]
fn a_slow_item_holds_back_the_source_not_memory_in_either_window() {
    const WINDOW: usize = 4;
    for threads in [2, 4, 8] {
        let counters = Counters::new();
        let (a, b) = watchdog(60, || {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            pipeline!(threads, capacity = 4, (0..2_000).map(|i| counters.item(i))
                      => (|t: Tracked| {
                              if t.value == 10 { std::thread::sleep(Duration::from_millis(50)) }
                              t
                          } => ordered |t: Tracked| a.push(t.value),
                          ordered |t: Tracked| b.push(t.value)));
            (a, b)
        });
        assert_eq!(a, (0..2_000).collect::<Vec<_>>());
        assert_eq!(b, (0..2_000).collect::<Vec<_>>());
        assert_eq!(counters.live(), 0);
        // The source takes a credit in both windows for each item: at most WINDOW items are
        // between it and the ordered stages, two copies each.
        assert!(
            counters.peak() <= 2 * WINDOW,
            "threads={threads}: peak {} > {}",
            counters.peak(),
            2 * WINDOW
        );
    }
}
