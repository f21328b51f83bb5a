//! A stream filled by a stage that reads streams itself
//! (`src => ((flat_map f, g) => ordered t, k) => ordered h`): `t` consumes, per source item,
//! `f`'s outputs and `g`'s, so it ends each item's outputs (not each input's) for `h`, which
//! reads them at one step: per source item, all of `t`'s outputs of it, then `k`'s.

use crate::common::{
    expand, expanded, pair, pairs, reference, run, uneven, watchdog, Counters, Tracked, THREADS,
};
use para_std::pipeline;

const N: i64 = 2_000;

fn triple(t: Tracked) -> [Tracked; 3] {
    let (c, v) = (t.counters(), t.value);
    [
        c.item(v * 100),
        c.item(v * 100 + v.signum()),
        c.item(v * 100 + 2 * v.signum()),
    ]
}

fn tripled(v: i64) -> Vec<i64> {
    vec![v * 100, v * 100 + v.signum(), v * 100 + 2 * v.signum()]
}

#[test]
fn an_ordered_flat_map_reading_a_stream_fills_one() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, seen) = watchdog(60, || {
                let (mut out, mut seen) = (Vec::new(), Vec::new());
                // `t` expands each input into three outputs: at capacity 1 it parks at the last
                // input of an item, whose end goes out after its last output.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => ((flat_map expand, uneven => |t: Tracked| t.map(|v| -v))
                            => ordered flat_map |t: Tracked| { seen.push(t.value); triple(t) },
                         |t: Tracked| t.map(|v| v + 1_000_000))
                     => ordered |t: Tracked| out.push(t.value));
                (out, seen)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let inner = reference(0..N, &[&expanded, &|x| vec![-x]]);
            assert_eq!(seen, inner, "{what}");
            let branch = |x: i64| {
                reference([x].into_iter(), &[&expanded, &|x| vec![-x]])
                    .into_iter()
                    .flat_map(tripled)
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                out,
                reference(0..N, &[&branch, &|x| vec![x + 1_000_000]]),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn an_ordered_stage_reading_streams_meets_a_branch_before_the_last_one() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // `t` is an ordered filter_map whose every input comes from a stream (its own
                // window has no part); its outputs and `k`'s meet at `uneven`.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => ((flat_map expand, flat_map triple)
                            => ordered filter_map |t: Tracked| (t.value % 3 != 0).then(|| t.map(|v| v * 2)),
                         |t: Tracked| t.map(|v| -v))
                     => uneven
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| {
                reference([x].into_iter(), &[&expanded, &tripled])
                    .into_iter()
                    .filter(|v| v % 3 != 0)
                    .map(|v| v * 2)
                    .collect::<Vec<_>>()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![-x]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn two_sources_and_stream_readers_in_two_branches() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Two streams into the last stage, with two sources: both filled per source,
                // one of them by an ordered stage reading a stream itself.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => ((flat_map expand, |t: Tracked| t) => ordered |t: Tracked| t.map(|v| v * 3),
                         flat_map triple,
                         |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = |x: i64| {
                let mut v: Vec<i64> = expanded(x).into_iter().map(|y| y * 3).collect();
                v.push(x * 3);
                v
            };
            let branches: [&dyn Fn(i64) -> Vec<i64>; 3] = [&first, &tripled, &|x| vec![x * 7]];
            let (a, b): (Vec<i64>, Vec<i64>) = out.iter().partition(|&&v| v >= 0);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_stream_reader_after_a_flat_map_passes_its_end_markers_on() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // `t` reads `triple`'s stream inside `expand`'s branch, and passes `expand`'s end
                // markers on to the last stage.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => (flat_map triple, |t: Tracked| t.map(|v| -v))
                            => ordered |t: Tracked| t.map(|v| v + 1),
                         |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| {
                expanded(x)
                    .into_iter()
                    .flat_map(|y| {
                        let mut v = tripled(y);
                        v.push(-y);
                        v
                    })
                    .map(|v| v + 1)
                    .collect::<Vec<_>>()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![x * 7]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_read_by_a_stream_reader_keep_memory_bounded() {
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let count = watchdog(60, || {
            let mut count = 0u64;
            pipeline!(threads, capacity = 4, (0..3).map(|i| counters.item(i))
                      => ((flat_map |t: Tracked| {
                               let (c, v) = (t.counters(), t.value);
                               let n = if v == 1 { 1_000_000 } else { 3 };
                               (0..n).map(move |i| c.item(i))
                           },
                           |t: Tracked| t)
                             => ordered |t: Tracked| t,
                          |t: Tracked| t)
                      => ordered |_t: Tracked| count += 1);
            count
        });
        assert_eq!(count, 1_000_000 + 6 + 3 + 3, "threads={threads}");
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= 64,
            "threads={threads}: peak {} items alive",
            counters.peak()
        );
    }
}

#[test]
fn paths_into_a_stream_reader_come_in_depth_first_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // A fan-out before the group: per source item, what the first path made (t's
                // outputs of it, then k's), then the second path's.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (|t: Tracked| t, |t: Tracked| t.map(|v| v + 1_000_000))
                     => ((flat_map expand, |t: Tracked| t.map(|v| -v)) => ordered |t: Tracked| t.map(|v| v * 2),
                         |t: Tracked| t.map(|v| v + 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let path = |y: i64| {
                let mut v: Vec<i64> = expanded(y).into_iter().map(|z| z * 2).collect();
                v.push(-y * 2);
                v.push(y + 7);
                v
            };
            let expected: Vec<i64> = (0..N)
                .flat_map(|x| [x, x + 1_000_000])
                .flat_map(path)
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_reader_of_two_flat_maps_after_a_flat_map_passes_its_end_markers_on() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // `t` reads only streams (its window gets `expand`'s holes and end markers).
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand => (flat_map pair, flat_map triple) => ordered |t: Tracked| t,
                         |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| {
                expanded(x)
                    .into_iter()
                    .flat_map(|y| [pairs(y), tripled(y)].concat())
                    .collect::<Vec<_>>()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![x * 7]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}
