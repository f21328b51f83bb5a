//! `ordered flat_map`: an ordered stage that is a flat-map. It sees its inputs in source order
//! (per source with several sources), emits each input's outputs lazily in emission order, all
//! before the next input's, and a huge expansion keeps memory bounded.

use crate::common::{message, run, uneven, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::panic::{self, AssertUnwindSafe};

const N: i64 = 3_000;

/// The outputs of input `x`: `x % 5` of them (none for some inputs).
fn expand(x: i64) -> impl Iterator<Item = i64> {
    (0..x.rem_euclid(5)).map(move |i| 10 * x + i)
}

#[test]
fn outputs_come_in_input_order_then_emission_order() {
    let expected: Vec<i64> = (0..N).flat_map(expand).collect();
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, inputs) = watchdog(60, || {
                let (mut out, mut inputs) = (Vec::new(), Vec::new());
                // The sink after it is serial and alone on its queue: it sees the order the
                // ordered flat-map emitted in.
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => ordered flat_map |t: Tracked| {
                         inputs.push(t.value); // `FnMut`: its state needs no lock
                         let c = t.counters();
                         expand(t.value).map(move |v| c.item(v))
                     }
                     => |t: Tracked| out.push(t.value));
                (out, inputs)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(inputs, (0..N).collect::<Vec<_>>(), "{what}");
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "leak: {what}");
        }
    }
}

#[test]
fn after_filters_and_a_fan_out_with_several_sources() {
    // Two sources (a split range and an iterator), a filter (holes), a fan-out into two branches.
    let reference = |source: std::ops::Range<i64>| -> Vec<i64> {
        source
            .filter(|x| x % 3 != 0)
            .flat_map(|x| [2 * x, 2 * x + 1])
            .flat_map(expand)
            .collect()
    };
    for threads in THREADS {
        for capacity_one in [false, true] {
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N, (100_000..100_000 + N).step_by(1))
                     => filter |x| x % 3 != 0
                     => (|x| 2 * x, |x| 2 * x + 1)
                     => flat_map ordered |x: i64| expand(x)
                     => |y| out.push(y));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let first: Vec<i64> = out.iter().copied().filter(|&y| y < 10 * 200_000).collect();
            let second: Vec<i64> = out.iter().copied().filter(|&y| y >= 10 * 200_000).collect();
            assert_eq!(first, reference(0..N), "{what}");
            assert_eq!(second, reference(100_000..100_000 + N), "{what}");
        }
    }
}

#[test]
fn a_million_outputs_from_one_input_keep_memory_bounded() {
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let mut count = 0usize;
        let mut expected = (0..10).chain(0..1_000_000).chain(0..10);
        watchdog(60, || {
            pipeline!(threads, capacity = 4, (0..3).map(|i| counters.item(i))
            => |t: Tracked| t
            => ordered flat_map |t: Tracked| {
                let c = t.counters();
                let n = if t.value == 1 { 1_000_000 } else { 10 };
                (0..n).map(move |i| c.item(i))
            }
            => |t: Tracked| {
                assert_eq!(Some(t.value), expected.next(), "emission order");
                count += 1;
            });
        });
        assert_eq!(count, 1_000_020, "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");
        // 3 inputs, the outputs in one queue of 4 and in the sink's batch: never the million.
        assert!(
            counters.peak() <= 64,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

#[test]
fn an_error_in_an_ordered_flat_map_stops_the_run() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            pipeline!(threads, capacity = 1, (0..N).map(|i| counters.item(i))
                      => uneven
                      => ordered try flat_map |t: Tracked| {
                          if t.value == 777 { return Err(777) }
                          let c = t.counters();
                          Ok(expand(t.value).map(move |v| c.item(v)))
                      }
                      => |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(777), "threads={threads}");
        // Every output that arrived is a prefix of the reference, which ends before 777's.
        let expected: Vec<i64> = (0..777).flat_map(expand).collect();
        assert!(out.len() <= expected.len() && out[..] == expected[..out.len()]);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}

#[test]
fn a_panic_inside_an_ordered_expansion_reaches_the_caller() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                pipeline!(threads, capacity = 1, (0..N).map(|i| counters.item(i))
                          => uneven
                          => ordered flat_map |t: Tracked| {
                              let (c, v) = (t.counters(), t.value);
                              expand(v).map(move |y| {
                                  if y == 5_032 { panic!("boom at 5032") }
                                  c.item(y)
                              })
                          }
                          => |t: Tracked| out.push(t.value))
            }))
        });
        let payload = result.expect_err("the panic reaches the caller");
        assert_eq!(message(&*payload), "boom at 5032", "threads={threads}");
        let expected: Vec<i64> = (0..N)
            .flat_map(expand)
            .take_while(|&y| y != 5_032)
            .collect();
        assert!(out.len() <= expected.len() && out[..] == expected[..out.len()]);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}
