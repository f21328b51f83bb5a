//! Ordered stages see items in source order, whatever ran in parallel before them: after plain
//! chains, filters (dropped items do not stall them), fan-outs and merges (per source item, the
//! branch outputs in branch order). Their window bounds memory even when one item is slow.

use crate::common::{busy, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::ops::ControlFlow;
use std::time::Duration;

const N: u64 = 5_000;

/// Work whose cost varies a lot from item to item, so that parallel stages finish out of order.
fn uneven(x: u64) -> u64 {
    let rounds = if x.is_multiple_of(7) { 400 } else { 5 };
    std::hint::black_box(busy(x as i64, rounds));
    x
}

#[test]
fn an_ordered_sink_after_parallel_stages_sees_source_order() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let out = watchdog(60, || {
                let mut out = Vec::new();
                if capacity_one {
                    pipeline!(threads, capacity = 1, 0..N => uneven => |x| x * 2 => ordered |x| out.push(x));
                } else {
                    pipeline!(threads, 0..N => uneven => |x| x * 2 => ordered |x| out.push(x));
                }
                out
            });
            assert_eq!(
                out,
                (0..N).map(|x| x * 2).collect::<Vec<_>>(),
                "threads={threads}"
            );
        }
    }
}

#[test]
fn an_ordered_middle_stage_numbers_items_in_source_order() {
    for threads in THREADS {
        let pairs = watchdog(60, || {
            let mut next = 0u64;
            let mut pairs = Vec::new();
            pipeline!(threads, capacity = 2, 0..N
                      => uneven
                      => ordered |x| { next += 1; (next, x) }
                      => |pair| pairs.push(pair));
            pairs
        });
        let mut pairs = pairs;
        pairs.sort_unstable();
        let expected: Vec<(u64, u64)> = (0..N).map(|x| (x + 1, x)).collect();
        assert_eq!(pairs, expected, "threads={threads}");
    }
}

#[test]
fn dropped_items_do_not_stall_an_ordered_stage() {
    for threads in THREADS {
        let out = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 1, 0..N
                      => uneven
                      => filter |x| x % 3 != 0
                      => filter_map |x| (x % 5 != 0).then_some(x)
                      => ordered |x| out.push(x));
            out
        });
        let expected: Vec<u64> = (0..N).filter(|x| x % 3 != 0 && x % 5 != 0).collect();
        assert_eq!(out, expected, "threads={threads}");
    }
}

#[test]
fn after_a_fan_out_branch_outputs_come_in_branch_order() {
    for threads in THREADS {
        let out = watchdog(60, || {
            let mut out = Vec::new();
            pipeline!(threads, capacity = 2, 0..N
                      => (|x| uneven(x) * 3 => (|x| x, |x| x + 1), |x| x * 3 + 2)
                      => ordered |x| out.push(x));
            out
        });
        assert_eq!(out, (0..3 * N).collect::<Vec<_>>(), "threads={threads}");
    }
}

#[test]
fn a_slow_item_holds_back_the_source_not_memory() {
    const WINDOW: usize = 4;
    for threads in [2, 4, 8] {
        let counters = Counters::new();
        let mut out = Vec::new();
        watchdog(60, || {
            pipeline!(threads, capacity = 4, (0..2_000).map(|i| counters.item(i))
                      => |t: Tracked| {
                          if t.value == 10 { std::thread::sleep(Duration::from_millis(50)) }
                          t
                      }
                      => ordered |t: Tracked| out.push(t.value));
        });
        assert_eq!(out, (0..2_000).collect::<Vec<_>>());
        assert_eq!(counters.live(), 0);
        // Every item between the source and the ordered stage holds one of WINDOW credits.
        assert!(
            counters.peak() <= WINDOW,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

#[test]
fn an_ordered_sink_can_stop_early_and_drops_everything_once() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut seen = Vec::new();
        watchdog(60, || {
            pipeline!(threads, capacity = 3, (0..100_000).map(|i| counters.item(i))
            => (|t: Tracked| t, |t: Tracked| t)
            => ordered |t: Tracked| {
                seen.push(t.value);
                if seen.len() == 1_001 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
        });
        let expected: Vec<i64> = (0..=500).flat_map(|v| [v, v]).take(1_001).collect();
        assert_eq!(seen, expected, "threads={threads}");
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}

#[test]
fn an_error_before_an_ordered_stage_is_returned() {
    for threads in THREADS {
        let mut out = Vec::new();
        let result = watchdog(60, || {
            pipeline!(threads, 0..N
                      => try |x| if x == 777 { Err(x) } else { Ok(x) }
                      => ordered |x| out.push(x))
        });
        assert_eq!(result, Err(777));
        assert!(out.len() <= 777 && out.iter().copied().eq(0..out.len() as u64));
    }
}
