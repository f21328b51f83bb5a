//! The node kinds beyond the seed: serial middle stages, parallel sinks, filters, several
//! sources — each at 1, 2, 4 and 8 threads and at capacity 1, against a sequential reference.

use crate::common::{busy, watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;
use std::sync::atomic::{AtomicU64, Ordering};

const N: u64 = 20_000;

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

#[test]
fn serial_middle_stage_sees_every_item_once_one_at_a_time() {
    for threads in THREADS {
        for capacity_one in [false, true] {
            let (tickets, values) = watchdog(60, || {
                let mut next_ticket = 0u64;
                let mut out = Vec::new();
                let work = |x: u64| x * 3 + busy(x as i64, 10) as u64;
                if capacity_one {
                    pipeline!(threads, capacity = 1, 0..N
                              => work
                              => serial |x| { next_ticket += 1; (next_ticket, x) }
                              => |pair| out.push(pair));
                } else {
                    pipeline!(threads, 0..N
                              => work
                              => serial |x| { next_ticket += 1; (next_ticket, x) }
                              => |pair| out.push(pair));
                }
                let (tickets, values): (Vec<u64>, Vec<u64>) = out.into_iter().unzip();
                (tickets, values)
            });
            // The serial stage's state saw each item exactly once: tickets are 1..=N.
            assert_eq!(
                sorted(tickets),
                (1..=N).collect::<Vec<_>>(),
                "threads={threads}"
            );
            let expected = sorted((0..N).map(|x| x * 3 + busy(x as i64, 10) as u64).collect());
            assert_eq!(sorted(values), expected, "threads={threads}");
        }
    }
}

#[test]
fn parallel_sink_consumes_everything() {
    for threads in THREADS {
        let total = AtomicU64::new(0);
        let count = AtomicU64::new(0);
        watchdog(60, || {
            pipeline!(threads, capacity = 1, 0..N
            => |x| x * 2
            => parallel |x| {
                total.fetch_add(x, Ordering::Relaxed);
                count.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(count.into_inner(), N, "threads={threads}");
        assert_eq!(total.into_inner(), (0..N).map(|x| x * 2).sum::<u64>());
    }
}

#[test]
fn filter_and_filter_map_match_the_iterator_adapters() {
    let expected: Vec<u64> = sorted(
        (0..N)
            .filter(|x| x % 3 != 0)
            .filter_map(|x| (x % 5 != 0).then_some(x * 7))
            .collect(),
    );
    for threads in THREADS {
        for capacity_one in [false, true] {
            let got = watchdog(60, || {
                let mut got = Vec::new();
                if capacity_one {
                    pipeline!(threads, capacity = 1, 0..N
                              => filter |x| *x % 3 != 0
                              => filter_map |x| (x % 5 != 0).then_some(x * 7)
                              => |x| got.push(x));
                } else {
                    pipeline!(threads, 0..N
                              => filter |x| *x % 3 != 0
                              => serial filter_map |x| (x % 5 != 0).then_some(x * 7)
                              => |x| got.push(x));
                }
                got
            });
            assert_eq!(
                sorted(got),
                expected,
                "threads={threads} capacity_one={capacity_one}"
            );
        }
    }
}

#[test]
fn filtered_items_are_dropped_exactly_once() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut kept = 0usize;
        watchdog(60, || {
            pipeline!(threads, capacity = 2, (0..5_000).map(|i| counters.item(i))
                      => filter |t: &Tracked| t.value % 2 == 0
                      => (|t: Tracked| t, filter |t: &Tracked| t.value % 4 == 0)
                      => |_t: Tracked| kept += 1);
        });
        assert_eq!(kept, 2_500 + 1_250);
        assert_eq!(counters.live(), 0, "threads={threads}");
        assert_eq!(counters.drops(), counters.created() + counters.clones());
    }
}

#[test]
fn several_sources_feed_one_graph() {
    for threads in THREADS {
        let got = watchdog(60, || {
            let mut got = Vec::new();
            let words = ["a".to_owned(), "bb".to_owned(), "ccc".to_owned()];
            pipeline!(threads, capacity = 1, (0..N, N..2 * N, words.iter().map(|w| w.len() as u64 + 1_000_000))
                      => |x| x + 1
                      => |x| got.push(x));
            got
        });
        let mut expected: Vec<u64> = (1..=2 * N).collect();
        expected.extend([1_000_002, 1_000_003, 1_000_004]);
        assert_eq!(sorted(got), sorted(expected), "threads={threads}");
    }
}

#[test]
fn a_source_may_be_empty_among_others() {
    watchdog(30, || {
        let mut got = 0u64;
        pipeline!(2, (0..0u64, 0..10u64, std::iter::empty::<u64>()) => |x| got += x);
        assert_eq!(got, 45);
    });
}

/// `pipeline!(2, $src => $stage => … => $stage => $sink)` with `$stage` written 2^k times, one
/// `x` per doubling.
macro_rules! long_chain {
    ($src:expr, [$($stage:tt)*], [], $sink:expr) => {
        pipeline!(2, $src => $($stage)* => $sink)
    };
    ($src:expr, [$($stage:tt)*], [x $($more:tt)*], $sink:expr) => {
        long_chain!($src, [$($stage)* => $($stage)*], [$($more)*], $sink)
    };
}

/// Chains of 256 stages of each kind compile without raising `recursion_limit` (stateless
/// stages are fused as a balanced tree, a source's credits in the windows of ordered stages
/// are a balanced tree of pairs) and run to the right result.
#[test]
fn chains_of_256_stages_of_each_kind() {
    watchdog(60, || {
        let want: u64 = (0..100u64).map(|x| x + 256).sum();
        let mut sum = 0u64;
        long_chain!(0..100u64, [|x: u64| x + 1], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, want, "stateless");
        let mut sum = 0u64;
        long_chain!(0..100u64, [serial |x: u64| x + 1], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, want, "serial");
        let mut sum = 0u64;
        long_chain!(0..100u64, [flat_map |x: u64| [x + 1]], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, want, "flat_map");
        let mut sum = 0u64;
        long_chain!(0..100u64, [filter_map |x: u64| Some(x + 1)], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, want, "filter_map");
        let mut sum = 0u64;
        long_chain!(0..100u64, [filter |x: &u64| *x < 50], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, (0..50u64).sum::<u64>(), "filter");
        let mut sum = 0u64;
        long_chain!(0..100u64, [priority(1) |x: u64| x + 1], [x x x x x x x x], |x| sum += x);
        assert_eq!(sum, want, "unfused stateless");
        let mut seen = Vec::new();
        long_chain!(0..100u64, [ordered |x: u64| x + 1], [x x x x x x x x], |x| seen.push(x));
        assert!(seen.iter().copied().eq(256..356), "ordered");
        let mut sum = 0u64;
        let result: Result<(), u64> = long_chain!(
            0..100u64,
            [try |x: u64| if x < 1_000 { Ok(x + 1) } else { Err(x) }],
            [x x x x x x x x],
            |x| sum += x
        );
        assert_eq!((result, sum), (Ok(()), want), "try");
    });
}
