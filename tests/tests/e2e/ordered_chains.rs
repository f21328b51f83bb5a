//! A `flat_map` before an ordered stage, and several ordered stages in one graph. A flat-map
//! before an ordered stage runs in order (as an `ordered flat_map`), so the ordered stage sees,
//! input by input in source order, each input's outputs in emission order; a second ordered
//! stage sees items in the order the first one emitted them. Each window stays bounded.

use crate::common::{expand, message, run, uneven, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::panic::{self, AssertUnwindSafe};

const N: i64 = 2_000;

fn reference() -> Vec<i64> {
    (0..N)
        .flat_map(|x| (0..x.rem_euclid(4)).map(move |i| 10 * x + i))
        .collect()
}

#[test]
fn a_flat_map_before_an_ordered_stage_keeps_input_then_emission_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => flat_map expand
                     => uneven
                     => filter |t: &Tracked| t.value % 3 != 1
                     => ordered |t: Tracked| out.push(t.value));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let expected: Vec<i64> = reference().into_iter().filter(|v| v % 3 != 1).collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "leak: {what}");
        }
    }
}

#[test]
fn two_flat_maps_and_several_sources() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let out = watchdog(60, || {
                let mut out = Vec::new();
                run!(threads, capacity_one, (0..N, (1_000_000..1_000_000 + N).step_by(1))
                     => flat_map |x: i64| [2 * x, 2 * x + 1]
                     => |x| x
                     => flat_map |x: i64| (0..x % 3).map(move |i| 10 * x + i)
                     => ordered |y| out.push(y));
                out
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            let reference = |r: std::ops::Range<i64>| -> Vec<i64> {
                r.flat_map(|x| [2 * x, 2 * x + 1])
                    .flat_map(|x| (0..x % 3).map(move |i| 10 * x + i))
                    .collect()
            };
            // The flat-maps consume the two sources interleaved, each in its order.
            let first: Vec<i64> = out.iter().copied().filter(|&y| y < 20_000_000).collect();
            let second: Vec<i64> = out.iter().copied().filter(|&y| y >= 20_000_000).collect();
            assert_eq!(first, reference(0..N), "{what}");
            assert_eq!(second, reference(1_000_000..1_000_000 + N), "{what}");
        }
    }
}

#[test]
fn a_second_ordered_stage_sees_the_first_ones_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let counters = Counters::new();
            let (out, numbered) = watchdog(60, || {
                let (mut out, mut next) = (Vec::new(), 0i64);
                run!(threads, capacity_one, (0..N).map(|i| counters.item(i))
                     => uneven
                     => ordered |t: Tracked| { next += 1; t.map(|v| v * 1_000_000 + next) }
                     => (uneven, |t: Tracked| t.map(|v| -v))
                     => ordered |t: Tracked| out.push(t.value));
                (out, next)
            });
            let what = format!("threads={threads} capacity_one={capacity_one}");
            assert_eq!(numbered, N, "{what}");
            let expected: Vec<i64> = (0..N)
                .flat_map(|v| [v * 1_000_000 + v + 1, -(v * 1_000_000 + v + 1)])
                .collect();
            assert_eq!(out, expected, "{what}");
            assert_eq!(counters.live(), 0, "leak: {what}");
        }
    }
}

#[test]
fn a_slow_item_after_a_flat_map_keeps_memory_bounded() {
    for threads in [2, 4, 8] {
        let counters = Counters::new();
        let mut out = Vec::new();
        watchdog(60, || {
            pipeline!(threads, capacity = 4, (0..500).map(|i| counters.item(i))
                      => |t: Tracked| t
                      => flat_map |t: Tracked| { let c = t.counters(); (0..4).map(move |i| c.item(4 * t.value + i)) }
                      => |t: Tracked| {
                          if t.value == 41 { std::thread::sleep(std::time::Duration::from_millis(50)) }
                          t
                      }
                      => ordered |t: Tracked| out.push(t.value));
        });
        assert_eq!(out, (0..2_000).collect::<Vec<_>>());
        assert_eq!(counters.live(), 0);
        // Two windows of 4 seqs (before and after the flat-map), the flat-map's input and its
        // parked iterator: the slow item holds back the flat-map, not memory.
        assert!(
            counters.peak() <= 16,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

#[test]
fn an_error_or_a_panic_stops_a_chain_of_ordered_stages() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            pipeline!(threads, capacity = 1, (0..N).map(|i| counters.item(i))
                      => uneven
                      => flat_map expand
                      => try |t: Tracked| if t.value == 7_792 { Err(7_792) } else { Ok(t) }
                      => ordered |t: Tracked| t
                      => uneven
                      => ordered |t: Tracked| out.push(t.value))
        });
        assert_eq!(result, Err(7_792), "threads={threads}");
        let expected: Vec<i64> = reference()
            .into_iter()
            .take_while(|&v| v != 7_792)
            .collect();
        assert!(out.len() <= expected.len() && out[..] == expected[..out.len()]);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());

        let counters = Counters::new();
        let mut out = Vec::new();
        let result = watchdog(60, || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                pipeline!(threads, capacity = 1, (0..N).map(|i| counters.item(i))
                          => flat_map expand
                          => ordered |t: Tracked| {
                              if t.value == 5_032 { panic!("boom at 5032") }
                              t
                          }
                          => uneven
                          => ordered |t: Tracked| out.push(t.value))
            }))
        });
        let payload = result.expect_err("the panic reaches the caller");
        assert_eq!(message(&*payload), "boom at 5032", "threads={threads}");
        let expected: Vec<i64> = reference()
            .into_iter()
            .take_while(|&v| v != 5_032)
            .collect();
        assert!(out.len() <= expected.len() && out[..] == expected[..out.len()]);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}
