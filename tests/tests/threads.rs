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

/// Workers come from a pool of parked threads: a run at 4 threads really has 4 workers at once
/// (the caller and 3 pooled threads), however many runs came before it.
#[test]
fn every_requested_worker_takes_part() {
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    watchdog(60, || {
        for _ in 0..3 {
            let seen = Mutex::new(HashSet::new());
            let deadline = Instant::now() + Duration::from_secs(20);
            // Each worker parks in the stage until 4 distinct threads have been there (or the
            // deadline passes), so the first items need 4 workers at once.
            pipeline!(4, capacity = 512, 0..400u32 => |x| {
                seen.lock().unwrap().insert(std::thread::current().id());
                while seen.lock().unwrap().len() < 4 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                x
            } => |_x| {});
            assert_eq!(seen.lock().unwrap().len(), 4, "workers at once");
        }
    });
}

/// A pipeline inside a stage of another: the inner run takes (or spawns) pooled threads of its
/// own and never waits for the outer run's.
#[test]
fn nested_pipelines_do_not_wait_for_each_other() {
    watchdog(60, || {
        let mut total = 0u64;
        pipeline!(2, 0..20u64 => |x| {
            let mut inner = 0u64;
            pipeline!(2, 0..100u64 => |y| x * y => |v| inner += v);
            inner
        } => |v| total += v);
        assert_eq!(total, (0..20u64).sum::<u64>() * (0..100u64).sum::<u64>());
    });
}

/// Runs started from several threads at once share the pool without mixing their work.
#[test]
fn runs_from_several_threads_at_once() {
    watchdog(60, || {
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                scope.spawn(move || {
                    for round in 0..50u64 {
                        let mut sum = 0u64;
                        pipeline!(2, 0..1_000u64 => |x| x * t + round => |x| sum += x);
                        assert_eq!(sum, (0..1_000u64).map(|x| x * t + round).sum::<u64>());
                    }
                });
            }
        });
    });
}
