//! `flat_map`: any number of outputs per input, emitted lazily, so memory stays bounded even
//! when one input expands into a million outputs.

use crate::common::{watchdog, Counters, Tracked, THREADS};
use para_std::pipeline;

#[test]
fn flat_map_matches_the_iterator_adapter() {
    let expected: u64 = (0..2_000u64).flat_map(|x| 0..x % 17).map(|y| y * 3).sum();
    let expected_count: usize = (0..2_000u64).map(|x| (x % 17) as usize).sum();
    for threads in THREADS {
        for capacity_one in [false, true] {
            let (sum, count) = watchdog(60, || {
                let (mut sum, mut count) = (0u64, 0usize);
                if capacity_one {
                    pipeline!(threads, capacity = 1, 0..2_000u64
                              => flat_map |x| 0..x % 17
                              => |y| y * 3
                              => |y| { sum += y; count += 1; });
                } else {
                    pipeline!(threads, 0..2_000u64
                              => flat_map |x| 0..x % 17
                              => |y| y * 3
                              => |y| { sum += y; count += 1; });
                }
                (sum, count)
            });
            assert_eq!(
                count, expected_count,
                "threads={threads} capacity_one={capacity_one}"
            );
            assert_eq!(sum, expected, "threads={threads}");
        }
    }
}

#[test]
fn a_million_outputs_from_one_input_stay_bounded() {
    const CAPACITY: usize = 8;
    for threads in [1, 2, 4] {
        let counters = Counters::new();
        let mut seen = 0u64;
        watchdog(120, || {
            pipeline!(threads, capacity = 8, 0..3i64
                      => flat_map |x| (0..1_000_000).map(move |i| counters.item(x * 1_000_000 + i))
                      => |t: Tracked| t
                      => |_t: Tracked| seen += 1);
        });
        assert_eq!(seen, 3_000_000);
        assert_eq!(counters.live(), 0);
        // Outputs exist only in the two queues after the flat-map.
        assert!(
            counters.peak() <= 2 * CAPACITY,
            "threads={threads}: peak {}",
            counters.peak()
        );
    }
}

#[test]
fn flat_map_into_a_fan_out_and_nothing_leaks() {
    for threads in THREADS {
        let counters = Counters::new();
        let mut seen = 0usize;
        watchdog(60, || {
            pipeline!(threads, capacity = 2, 0..500i64
                      => flat_map |x| (0..x % 5).map(move |i| counters.item(x + i))
                      => (|t: Tracked| t, filter |t: &Tracked| t.value % 2 == 0)
                      => |_t: Tracked| seen += 1);
        });
        let outputs: Vec<i64> = (0..500)
            .flat_map(|x| (0..x % 5).map(move |i| x + i))
            .collect();
        assert_eq!(
            seen,
            outputs.len() + outputs.iter().filter(|v| *v % 2 == 0).count()
        );
        assert_eq!(counters.live(), 0, "threads={threads}");
    }
}
