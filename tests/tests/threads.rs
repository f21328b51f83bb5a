//! Thread counts and run options: any expression, the all-cores form, pinning on and off, more
//! threads than cores, and a clear error for zero.

mod common;
use common::{message, watchdog};
use para_std::pipeline;
use std::panic;

fn squares_sum() -> u64 {
    (0..10_000u64).map(|x| x * x).sum()
}

#[test]
fn thread_count_may_be_any_expression() {
    watchdog(30, || {
        let mut sum = 0u64;
        pipeline!(std::thread::available_parallelism(), 0..10_000u64 => |x| x * x => |x| sum += x);
        assert_eq!(sum, squares_sum());

        let mut sum = 0u64;
        let n = std::num::NonZeroUsize::new(3).unwrap();
        pipeline!(n, 0..10_000u64 => |x| x * x => |x| sum += x);
        assert_eq!(sum, squares_sum());

        let mut sum = 0u64;
        let half = 4u32;
        pipeline!(half / 2, 0..10_000u64 => |x| x * x => |x| sum += x);
        assert_eq!(sum, squares_sum());
    });
}

#[test]
fn without_a_thread_count_all_cores_are_used() {
    watchdog(30, || {
        let mut sum = 0u64;
        pipeline!(0..10_000u64 => |x| x * x => |x| sum += x);
        assert_eq!(sum, squares_sum());
    });
}

#[test]
fn more_threads_than_cores_unpinned_and_pinned() {
    for pin in [false, true] {
        watchdog(60, || {
            let mut sum = 0u64;
            pipeline!(16, pin = pin, 0..10_000u64 => |x| x * x => |x| sum += x);
            assert_eq!(sum, squares_sum());
        });
    }
}

#[test]
fn zero_threads_at_run_time_is_a_clear_error() {
    watchdog(30, || {
        let zero = std::hint::black_box(0usize);
        let outcome = panic::catch_unwind(|| {
            pipeline!(zero, 0..10u8 => |x| x => |_x| {});
        });
        let msg = message(&*outcome.expect_err("zero threads must be refused"));
        assert!(msg.contains("thread count must be at least 1"), "{msg}");

        let negative = std::hint::black_box(-2i32);
        let outcome = panic::catch_unwind(|| {
            pipeline!(negative, 0..10u8 => |x| x => |_x| {});
        });
        let msg = message(&*outcome.expect_err("negative threads must be refused"));
        assert!(msg.contains("got -2"), "{msg}");
    });
}
