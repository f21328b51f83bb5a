//! Flat-maps after one another inside a stream branch (`src => (flat_map e => flat_map f, g)
//! => ordered h`): the first ends each of its inputs' outputs with a marker, the ones after it
//! pass those markers on, and `h` reads the last one's outputs as a stream: per source item in
//! source order, everything the branch made of it, depth first, then the other branches'.

use crate::common::{
    expand, expanded, pair, pairs, reference, run, uneven, watchdog, Counters, Tracked, THREADS,
};
use para_std::pipeline;

const N: i64 = 2_000;

#[test]
fn two_flat_maps_with_a_filter_and_a_fan_out_between() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => filter |t: &Tracked| t.value % 3 != 0
                            => (uneven, |t: Tracked| t.map(|v| v + 1))
                            => flat_map pair,
                         |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| -> Vec<i64> {
                expanded(x)
                    .into_iter()
                    .filter(|y| y % 3 != 0)
                    .flat_map(|y| [y, y + 1])
                    .flat_map(pairs)
                    .collect()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![-x]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn three_flat_maps_and_an_ordered_stage_between_meeting_before_the_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, seen) = watchdog(60, || {
                let (mut out, mut seen) = (Vec::new(), Vec::new());
                // The ordered stage inside the branch sees the first flat-map's outputs in
                // order (with its end markers passing through); the branches meet at `uneven`.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => ordered |t: Tracked| { seen.push(t.value); t }
                            => flat_map pair
                            => flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); (0..v.rem_euclid(3)).map(move |i| c.item(v * 10 + i)) },
                         flat_map pair,
                         |t: Tracked| t.map(|v| -v))
                     => uneven
                     => ordered |t: Tracked| out.push(t.value));
                (out, seen)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let inner = |v: i64| (0..v.rem_euclid(3)).map(move |i| v * 10 + i);
            let branch = |x: i64| -> Vec<i64> {
                expanded(x)
                    .into_iter()
                    .flat_map(pairs)
                    .flat_map(inner)
                    .collect()
            };
            assert_eq!(
                out,
                reference(0..N, &[&branch, &pairs, &|x| vec![-x]]),
                "{what}"
            );
            assert_eq!(seen, reference(0..N, &[&expanded]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn two_sources_with_a_chain_beside_another_flat_map() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Two streams with two sources: filled per source, the chain's head too.
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map expand => flat_map pair, flat_map pair, |t: Tracked| t.map(|v| v * 3))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| expanded(x).into_iter().flat_map(pairs).collect::<Vec<_>>();
            let branches: [&dyn Fn(i64) -> Vec<i64>; 3] = [&branch, &pairs, &|x| vec![x * 3]];
            let (a, b): (Vec<i64>, Vec<i64>) = out.iter().partition(|&&v| v >= 0);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn a_million_outputs_of_the_inner_flat_map_keep_memory_bounded() {
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let count = watchdog(60, || {
            let mut count = 0u64;
            pipeline!(threads, capacity = 4, (0..3).map(|i| counters.item(i))
                      => (flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); [c.item(v), c.item(v + 10)] }
                             => flat_map |t: Tracked| {
                                 let (c, v) = (t.counters(), t.value);
                                 let n = if v == 1 { 1_000_000 } else { 3 };
                                 (0..n).map(move |i| c.item(i))
                             },
                          |t: Tracked| t)
                      => ordered |_t: Tracked| count += 1);
            count
        });
        assert_eq!(count, 1_000_000 + 5 * 3 + 3, "threads={threads}");
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= 64,
            "threads={threads}: peak {} items alive",
            counters.peak()
        );
    }
}

#[test]
fn an_error_or_a_panic_in_the_inner_flat_map_ends_the_run() {
    use crate::common::message;
    use std::panic::{self, AssertUnwindSafe};
    for threads in THREADS {
        let counters = Counters::new();
        let result = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                      => (flat_map expand
                             => try flat_map |t: Tracked| if t.value == 7010 { Err(t.value) } else { Ok(pair(t)) },
                          uneven)
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(7010), "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");

        let counters = Counters::new();
        let caught = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut out = Vec::new();
                pipeline!(threads, capacity = 2, (0..N).map(|i| counters.item(i))
                          => (flat_map expand
                                 => flat_map |t: Tracked| { assert!(t.value != 9021, "boom at 9021"); pair(t) },
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
fn a_stream_read_inside_another() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // Per source item: per output y of `expand`, `pair`'s outputs of y, then y + 1
                // (the inner fan-out's branches meet at the ordered stage); then -x.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => (flat_map pair, uneven => |t: Tracked| t.map(|v| v + 1)),
                         |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| -> Vec<i64> {
                expanded(x)
                    .into_iter()
                    .flat_map(|y| {
                        let mut v = pairs(y);
                        v.push(y + 1);
                        v
                    })
                    .collect()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![-x]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn streams_inside_streams_with_two_sources_meeting_before_the_stage() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map pair
                            => (flat_map expand, filter |t: &Tracked| t.value % 3 != 0),
                         flat_map expand,
                         |t: Tracked| t.map(|v| v * 7))
                     => uneven
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = |x: i64| -> Vec<i64> {
                pairs(x)
                    .into_iter()
                    .flat_map(|y| {
                        let mut v = expanded(y);
                        v.extend((y % 3 != 0).then_some(y));
                        v
                    })
                    .collect()
            };
            let branches: [&dyn Fn(i64) -> Vec<i64>; 3] = [&first, &expanded, &|x| vec![x * 7]];
            let (a, b): (Vec<i64>, Vec<i64>) = out.iter().partition(|&&v| v >= 0);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn every_branch_a_chain_of_flat_maps() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // No plain branch: the stage's own window has no part, only the two streams.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand => flat_map pair, flat_map pair => flat_map expand)
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first = |x: i64| expanded(x).into_iter().flat_map(pairs).collect::<Vec<_>>();
            let second = |x: i64| pairs(x).into_iter().flat_map(expanded).collect::<Vec<_>>();
            assert_eq!(out, reference(0..N, &[&first, &second]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn two_flat_maps_after_one_that_reaches_the_stage_only_through_them() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                // `expand`'s outputs reach the stage only through `pair` and `uneven =>
                // flat_map …`: per output y of it, `pair`'s outputs of y, then the other's.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => (flat_map expand
                            => (flat_map pair,
                                uneven => flat_map |t: Tracked| { let (c, v) = (t.counters(), t.value); (0..v.rem_euclid(3)).map(move |i| c.item(-v - i)) }),
                         |t: Tracked| t.map(|v| v * 7))
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| -> Vec<i64> {
                expanded(x)
                    .into_iter()
                    .flat_map(|y| {
                        let mut v = pairs(y);
                        v.extend((0..y.rem_euclid(3)).map(|i| -y - i));
                        v
                    })
                    .collect()
            };
            assert_eq!(out, reference(0..N, &[&branch, &|x| vec![x * 7]]), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}

#[test]
fn flat_maps_after_one_that_reaches_no_stage_two_sources_meeting_early() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one,
                     ((0..N).map(|i| counters.item(i)), (0..N).map(|i| counters.item(-1 - i)))
                     => (flat_map pair => (flat_map expand, flat_map pair),
                         |t: Tracked| t.map(|v| v * 7))
                     => uneven
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let branch = |x: i64| -> Vec<i64> {
                pairs(x)
                    .into_iter()
                    .flat_map(|y| {
                        let mut v = expanded(y);
                        v.extend(pairs(y));
                        v
                    })
                    .collect()
            };
            let branches: [&dyn Fn(i64) -> Vec<i64>; 2] = [&branch, &|x| vec![x * 7]];
            let (a, b): (Vec<i64>, Vec<i64>) = out.iter().partition(|&&v| v >= 0);
            assert_eq!(a, reference(0..N, &branches), "{what}");
            assert_eq!(b, reference((0..N).map(|i| -1 - i), &branches), "{what}");
            assert_eq!(counters.live(), 0, "{what}");
        }
    }
}
