//! Bounded memory: however many items flow, the items alive at once never exceed the sum of the
//! queue capacities (each worker reserves room downstream before it computes, and an item keeps
//! its input slot until the step that consumed it ends).

mod common;
use common::{busy, watchdog, Counters, Tracked};
use para_std::pipeline;

#[test]
fn ten_million_items_through_a_slow_sink_stay_bounded() {
    const CAPACITY: usize = 8;
    const QUEUES: usize = 3; // map, map, sink
    let n: i64 = 10_000_000;
    for threads in [2, 4] {
        let counters = Counters::new();
        let mut checksum = 0i64;
        let mut seen = 0i64;
        watchdog(240, || {
            pipeline!(threads, capacity = 8, (0..n).map(|i| counters.item(i))
                      => |mut t: Tracked| { t.value += 1; t }
                      => |mut t: Tracked| { t.value *= 2; t }
                      => |t: Tracked| { checksum = checksum.wrapping_add(t.value ^ busy(t.value, 4)); seen += 1; });
        });
        assert_eq!(seen, n);
        assert_eq!(counters.live(), 0);
        let bound = CAPACITY * QUEUES;
        assert!(
            counters.peak() <= bound,
            "threads={threads}: {} items alive at once, bound {bound}",
            counters.peak()
        );
        assert!(checksum != 0);
    }
}

#[test]
fn fan_out_diamond_stays_bounded() {
    const CAPACITY: usize = 4;
    const QUEUES: usize = 3; // two branches and the merge
    for threads in [1, 2, 4, 8] {
        let counters = Counters::new();
        let mut seen = 0usize;
        watchdog(60, || {
            pipeline!(threads, capacity = 4, (0..200_000).map(|i| counters.item(i))
                      => (|t: Tracked| t, |mut t: Tracked| { t.value = -t.value; t })
                      => |_t: Tracked| seen += 1);
        });
        assert_eq!(seen, 400_000);
        assert_eq!(counters.live(), 0);
        assert!(
            counters.peak() <= CAPACITY * QUEUES,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}
