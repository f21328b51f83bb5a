//! Capacity 1 on every queue still finishes — chain, diamond, nested fan-outs — at 1 to 8
//! threads: a producer that finds its queue full does other work instead of waiting.

use crate::common::watchdog;
use para_std::pipeline;

const N: u64 = 3_000;

#[test]
fn chain_with_capacity_one() {
    for threads in 1..=8 {
        let sum = watchdog(30, || {
            let mut sum = 0u64;
            pipeline!(threads, capacity = 1, 0..N => |x| x + 1 => |x| x * 2 => |x| x - 1 => |x| sum += x);
            sum
        });
        assert_eq!(
            sum,
            (0..N).map(|x| (x + 1) * 2 - 1).sum::<u64>(),
            "threads={threads}"
        );
    }
}

#[test]
fn diamond_with_capacity_one() {
    for threads in 1..=8 {
        let (sum, count) = watchdog(30, || {
            let (mut sum, mut count) = (0u64, 0usize);
            pipeline!(threads, capacity = 1, 0..N
                      => (|x| x * 3, |x| x + 5)
                      => |x| { sum += x; count += 1; });
            (sum, count)
        });
        assert_eq!(count, 2 * N as usize, "threads={threads}");
        assert_eq!(
            sum,
            (0..N).map(|x| x * 3 + x + 5).sum::<u64>(),
            "threads={threads}"
        );
    }
}

#[test]
fn nested_fan_outs_with_capacity_one() {
    for threads in 1..=8 {
        let (sum, count) = watchdog(30, || {
            let (mut sum, mut count) = (0u64, 0usize);
            pipeline!(threads, capacity = 1, 0..N
                      => (|x| x + 1 => (|x| x * 2, |x| x * 3 => |x| x + 7) => |x| x ^ 1,
                          |x| x,
                          (|x| x + 2, |x| x + 4))
                      => |x| { sum += x; count += 1; });
            (sum, count)
        });
        let expected: u64 = (0..N)
            .map(|x| (((x + 1) * 2) ^ 1) + (((x + 1) * 3 + 7) ^ 1) + x + (x + 2) + (x + 4))
            .sum();
        assert_eq!(count, 5 * N as usize, "threads={threads}");
        assert_eq!(sum, expected, "threads={threads}");
    }
}
