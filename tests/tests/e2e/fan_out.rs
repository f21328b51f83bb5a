//! Fan-out clones each item once per extra branch; every item is dropped exactly once.

use crate::common::{watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;

#[test]
fn two_way_fan_out_clones_once_per_item() {
    for threads in THREADS {
        watchdog(30, || {
            let counters = Counters::new();
            let n = 10_000;
            let mut total = 0i64;
            let mut seen = 0usize;
            pipeline!(threads, (0..n).map(|i| counters.item(i))
                      => (|t: Tracked| t.value, |t: Tracked| t.value * 10)
                      => |v| { total += v; seen += 1; });
            let base: i64 = (0..n).sum();
            assert_eq!(seen, 2 * n as usize);
            assert_eq!(total, base * 11);
            assert_eq!(
                counters.clones(),
                n as usize,
                "one clone per item for 2 branches"
            );
            assert_eq!(counters.live(), 0);
            assert_eq!(counters.drops(), counters.created() + counters.clones());
        });
    }
}

#[test]
fn three_way_and_nested_fan_out_clone_counts() {
    for threads in THREADS {
        watchdog(30, || {
            let counters = Counters::new();
            let n = 5_000usize;
            let mut seen = 0usize;
            // Source fans out 3 ways (2 clones); the first branch fans out again 2 ways (1 clone).
            pipeline!(threads, (0..n as i64).map(|i| counters.item(i))
                      => (|t: Tracked| t => (|t: Tracked| t.value, |t: Tracked| t.value),
                          |t: Tracked| t.value,
                          |t: Tracked| t.value)
                      => |_v| seen += 1);
            assert_eq!(seen, 4 * n);
            assert_eq!(counters.clones(), 3 * n);
            assert_eq!(counters.live(), 0);
        });
    }
}

#[test]
fn every_item_dropped_once_after_a_normal_run() {
    for threads in THREADS {
        watchdog(30, || {
            let counters = Counters::new();
            let mut kept = Vec::new();
            pipeline!(threads, (0..20_000).map(|i| counters.item(i))
                      => |t: Tracked| t.map(|v| v + 1)
                      => (|t: Tracked| t, |t: Tracked| t.map(|v| -v))
                      => |t: Tracked| if t.value % 1000 == 0 { kept.push(t) });
            // Items kept by the sink are alive; everything else is gone.
            assert_eq!(counters.live(), kept.len());
            drop(kept);
            assert_eq!(counters.live(), 0);
            assert_eq!(counters.drops(), counters.created() + counters.clones());
        });
    }
}

#[test]
fn group_at_the_end_gives_several_sinks() {
    for threads in THREADS {
        watchdog(30, || {
            let mut evens = Vec::new();
            let mut all = 0usize;
            pipeline!(threads, 0..10_000u32
                      => (|x| if x % 2 == 0 { evens.push(x) }, |_x| all += 1));
            evens.sort();
            assert_eq!(evens, (0..10_000).step_by(2).collect::<Vec<_>>());
            assert_eq!(all, 10_000);
        });
    }
}
