//! A `flat_map` branch that meets other branches *before* the `ordered` stage
//! (`src => (flat_map f, g) => m => ordered h`): its outputs go on through `m` in a lane of
//! their own beside the source's items, and `h` still sees, per source item in source order,
//! the branch outputs in branch order, `f`'s in emission order.

use crate::common::{
    expand, expanded, reference, run, uneven, watchdog, Counters, Tracked, THREADS,
};
use para_std::pipeline;

const N: i64 = 2_000;

#[test]
fn the_branches_meet_at_a_stage_and_a_filter_before_the_ordered_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, uneven => |t: Tracked| t.map(|v| -v))
                     => |t: Tracked| t.map(|v| v * 2)
                     => filter |t: &Tracked| t.value % 3 != 0
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let mut expected = reference(0..N, &[&expanded, &|x| vec![-x]]);
            expected = expected
                .into_iter()
                .map(|v| v * 2)
                .filter(|v| v % 3 != 0)
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_fan_out_after_the_meeting_gives_each_lane_two_parts() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Two flat-map branches and a plain one meet at `uneven`, then each output
                // goes through two branches: per source item, each of f's outputs through both
                // branches, then g's, then the plain branch's.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand,
                         flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(v * 100)] },
                         |t: Tracked| t.map(|v| -v))
                     => uneven
                     => (|t: Tracked| t, |t: Tracked| t.map(|v| v + 1_000_000))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let both = |v: Vec<i64>| -> Vec<i64> {
                v.into_iter().flat_map(|y| [y, y + 1_000_000]).collect()
            };
            let expected = reference(
                0..N,
                &[&|x| both(expanded(x)), &|x| both(vec![x * 100]), &|x| {
                    both(vec![-x])
                }],
            );
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_stateful_stage_after_the_meeting_and_two_ordered_sinks() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (a, b, count) = watchdog(60, || {
                let (mut a, mut b, mut count) = (Vec::new(), Vec::new(), 0usize);
                // The stateful stage sees the items in any order; both ordered sinks read f's
                // lane as a stream of their own.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, |t: Tracked| t.map(|v| -v))
                     => serial |t: Tracked| { count += 1; t }
                     => (ordered |t: Tracked| a.push(t.value),
                         uneven => ordered |t: Tracked| b.push(t.value)));
                (a, b, count)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let expected = reference(0..N, &[&expanded, &|x| vec![-x]]);
            assert_eq!(count, expected.len(), "{what}");
            assert_eq!(a, expected, "{what}");
            assert_eq!(b, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn an_ordered_stage_inside_the_branch_and_two_sources() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // The transparent ordered stage in f's branch passes f's lane on; order is per
                // source.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(v), c.item(v + 1_000_000)] }
                            => ordered |t: Tracked| t.map(|v| v * 2),
                         uneven)
                     => |t: Tracked| t.map(|v| v * 3)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let of = |x: i64| [6 * x, 6 * (x + 1_000_000), 3 * x];
            // The first source's outputs are ≥ 0, the second's < 0 or (from x + 10^6 of a
            // negative x) in 6 * (10^6 - N .. 10^6).
            let second = |y: &i64| *y < 0 || (6 * (1_000_000 - N)..6_000_000).contains(y);
            let (b, a): (Vec<i64>, Vec<i64>) = out.iter().partition(|y| second(y));
            assert_eq!(a, (0..N).flat_map(of).collect::<Vec<_>>(), "{what}");
            assert_eq!(
                b,
                (0..N).map(|i| -1 - i).flat_map(of).collect::<Vec<_>>(),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_flat_map_after_the_meeting_reads_the_lane_as_a_stream() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand, uneven)
                     => |t: Tracked| t.map(|v| v + 1)
                     => flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(v), c.item(-v)] }
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let expected: Vec<i64> = reference(0..N, &[&expanded, &|x| vec![x]])
                .into_iter()
                .flat_map(|v| [v + 1, -(v + 1)])
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_through_the_meeting_keep_memory_bounded() {
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
                      => |t: Tracked| t
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
fn an_error_or_a_panic_after_the_meeting_ends_the_run() {
    use crate::common::message;
    use std::panic::{self, AssertUnwindSafe};
    for threads in THREADS {
        let counters = Counters::new();
        let result = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                      => (flat_map expand, uneven)
                      => try |t: Tracked| if t.value == 7010 { Err(t.value) } else { Ok(t) }
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(7010), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        let counters = Counters::new();
        let caught = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                          => (flat_map expand, uneven)
                          => |t: Tracked| { assert!(t.value != 9021, "boom at 9021"); t }
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
