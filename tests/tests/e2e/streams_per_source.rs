//! Several sources and several `flat_map` branches into one `ordered` stage: each flat-map
//! fills its stream per source (one window and one parked input per source), so the stage
//! still sees, per source in that source's order, each item's branch outputs in branch order,
//! and a source whose outputs wait never holds back another's.

use crate::common::{
    expand, expanded, pair, pairs, reference, run, uneven, watchdog, Counters, Tracked, THREADS,
};
use para_std::pipeline;

const N: i64 = 2_000;

/// The first source's items (0..N) and the second's (-1, -2, …): every value below keeps its
/// item's sign, so the output splits back into the two sources' sequences.
fn split(out: &[i64]) -> (Vec<i64>, Vec<i64>) {
    out.iter().partition(|&&v| v >= 0)
}

#[test]
fn two_sources_and_two_flat_map_branches() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => uneven
                     => (flat_map expand, |t: Tracked| t.map(|v| v * 3), flat_map pair)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branches: [&dyn Fn(i64) -> Vec<i64>; 3] = [&expanded, &|x| vec![x * 3], &|x| {
                vec![x * 100, x * 100 + x.signum()]
            }];
            let (a, b) = split(&out);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn three_sources_every_branch_a_flat_map_meeting_before_the_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // The third source's items are 10^7 + i: positive, told apart by size.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)),
                      (0..N).map(|i| counters.item(-1 - i)),
                      (0..N).map(|i| counters.item(10_000_000 + i)))
                     => (flat_map expand, flat_map pair => filter |t: &Tracked| t.value % 7 != 0)
                     => uneven
                     => |t: Tracked| t.map(|v| v * 2)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branches: [&dyn Fn(i64) -> Vec<i64>; 2] = [&expanded, &|x| {
                [x * 100, x * 100 + x.signum()]
                    .into_iter()
                    .filter(|v| v % 7 != 0)
                    .collect()
            }];
            let doubled = |v: Vec<i64>| v.into_iter().map(|v| v * 2).collect::<Vec<_>>();
            let (c, a): (Vec<i64>, Vec<i64>) = out
                .iter()
                .filter(|&&v| v >= 0)
                .partition(|&&v| v >= 2 * 10 * 10_000_000);
            let b: Vec<i64> = out.iter().copied().filter(|&v| v < 0).collect();
            assert_eq!(a, doubled(reference(0..N, &branches)), "{what}");
            assert_eq!(
                b,
                doubled(reference((0..N).map(|i| -1 - i), &branches)),
                "{what}"
            );
            assert_eq!(
                c,
                doubled(reference((0..N).map(|i| 10_000_000 + i), &branches)),
                "{what}"
            );
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_of_one_source_do_not_hold_back_the_other() {
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let (first, second) = watchdog(60, || {
            let (mut first, mut second) = (0u64, Vec::new());
            // The first source's item 1 expands into 10^6 outputs in one branch; the second
            // source's items go on meanwhile (its outputs are all that reach `second`).
            pipeline!(threads, capacity = 4,
                      ((0..3).map(|i| counters.item(i)), (0..50).map(|i| counters.item(-1 - i)))
                      => (flat_map |t: Tracked| {
                              let (c, v) = (t.counters(), t.value);
                              let n = if v == 1 { 1_000_000 } else { 2 };
                              (0..n).map(move |i| c.item(if v < 0 { v * 10 - i } else { i }))
                          },
                          flat_map pair)
                      => ordered |t: Tracked| if t.value < 0 { second.push(t.value) } else { first += 1 });
            (first, second)
        });
        assert_eq!(first, 1_000_000 + 2 + 2 + 3 * 2, "threads={threads}");
        let expected = reference(
            (0..50).map(|i| -1 - i),
            &[&|x| vec![x * 10, x * 10 - 1], &|x| {
                vec![x * 100, x * 100 - 1]
            }],
        );
        assert_eq!(second, expected, "threads={threads}");
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= 128,
            "threads={threads}: peak {} items alive",
            counters.peak()
        );
    }
}

#[test]
fn an_error_or_a_panic_in_a_flat_map_ends_the_run() {
    use crate::common::message;
    use std::panic::{self, AssertUnwindSafe};
    for threads in THREADS {
        let counters = Counters::new();
        let result = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2,
                      ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                      => (try flat_map |t: Tracked| if t.value == -700 { Err(t.value) } else { Ok(expand(t)) },
                          flat_map pair)
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(-700), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        let counters = Counters::new();
        let caught = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                pipeline!(threads, capacity = 2,
                          ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                          => (flat_map expand,
                              flat_map |t: Tracked| { assert!(t.value != 901, "boom at 901"); pair(t) })
                          => ordered |t: Tracked| out.push(t.value));
            }))
        });
        let payload = caught.expect_err("the panic reaches the caller");
        assert!(
            message(&*payload).contains("boom at 901"),
            "threads={threads}"
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}

#[test]
fn an_ordered_stage_inside_a_branch_filled_per_source() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, seen) = watchdog(60, || {
                let (mut out, mut seen) = (Vec::new(), Vec::new());
                // `pair` fills its stream per source, and so the window of the ordered stage
                // inside its branch, which passes its outputs on to `out`'s stream.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map expand,
                         flat_map pair
                            => uneven
                            => ordered |t: Tracked| { seen.push(t.value); t.map(|v| v * 2) }
                            => filter |t: &Tracked| t.value % 3 != 0)
                     => ordered |t: Tracked| out.push(t.value));
                (out, seen)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let pairs = |x: i64| vec![x * 100, x * 100 + x.signum()];
            let branches: [&dyn Fn(i64) -> Vec<i64>; 2] = [&expanded, &|x| {
                pairs(x)
                    .into_iter()
                    .map(|v| v * 2)
                    .filter(|v| v % 3 != 0)
                    .collect()
            }];
            let (a, b) = split(&out);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            let (a, b) = split(&seen);
            assert_eq!(a, reference(0..N, &[&pairs]), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &[&pairs]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn streams_inside_a_branch_filled_per_source_are_filled_per_source_too() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // `expand` fills its outputs per source (it heads one of two streams into the
                // last stage); the stage after it reads two streams of its own, so they are
                // filled per source as well: filled in arrival order, each reader could wait on the
                // other's source, and the run would hang.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map expand => (flat_map pair, flat_map expand) => ordered |t: Tracked| t,
                         flat_map pair,
                         |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = |x: i64| {
                expanded(x)
                    .into_iter()
                    .flat_map(|y| [pairs(y), expanded(y)].concat())
                    .collect::<Vec<_>>()
            };
            let branches: [&dyn Fn(i64) -> Vec<i64>; 3] = [&first, &pairs, &|x| vec![x * 7]];
            let (a, b) = split(&out);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn stream_readers_filling_per_source_read_streams_filled_per_source() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Two streams into the last stage, each filled per source by an ordered stage
                // that reads a stream itself. Such a reader takes one source's items only
                // while it has credits for that source, so the streams it reads are filled per
                // source too: one filled in the order the sources come could hold, at its
                // head, an item of a source the reader has no credits for, while the last
                // stage waits for the other source's outputs of both readers: a hang.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => ((flat_map expand, |t: Tracked| t)
                            => ordered |t: Tracked| t.map(|v| v * 3),
                         (flat_map pair, filter |t: &Tracked| t.value % 2 == 0)
                            => ordered |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = |x: i64| {
                let mut made = expanded(x);
                made.push(x);
                made.into_iter().map(|v| v * 3).collect()
            };
            let second = |x: i64| {
                let mut made = pairs(x);
                made.extend((x % 2 == 0).then_some(x));
                made.into_iter().map(|v| v * 7).collect()
            };
            let branches: [&dyn Fn(i64) -> Vec<i64>; 2] = [&first, &second];
            let (a, b) = split(&out);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}
