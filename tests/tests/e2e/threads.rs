//! Thread counts and run options: any expression, the all-cores form, pinning on and off, more
//! threads than cores, a clear error for zero and for too many, threads started only while a
//! run needs them, nested runs that start none, and stacks for big items.

use crate::common::{in_child_process, message, threads_alive, watchdog};
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

#[test]
fn a_thread_count_above_the_limit_is_a_clear_error_before_any_allocation() {
    watchdog(30, || {
        for count in [para_std::MAX_THREADS as u64 + 1, 1 << 40, u64::MAX] {
            let count = std::hint::black_box(count);
            let outcome = panic::catch_unwind(|| {
                pipeline!(count, 0..10u8 => |x| x => |_x| {});
            });
            let msg = message(&*outcome.expect_err("too many threads must be refused"));
            // Beyond `usize` (a 32-bit target) the count reads as `usize::MAX`.
            let shown = usize::try_from(count).unwrap_or(usize::MAX);
            assert!(
                msg.contains(&format!("at most {}", para_std::MAX_THREADS))
                    && msg.contains(&format!("got {shown}")),
                "{msg}"
            );
        }
        let max = std::hint::black_box(para_std::MAX_THREADS);
        let mut sum = 0u64;
        pipeline!(max, 0..100u64 => |x| x => |x| sum += x);
        assert_eq!(sum, (0..100u64).sum::<u64>());
    });
}

/// A short run asked for the largest thread count hands its work out one worker at a time and
/// stops once the run has ended: it starts nowhere near that many threads.
#[test]
fn a_short_run_starts_only_the_threads_it_uses() {
    if !in_child_process(
        module_path!(),
        "a_short_run_starts_only_the_threads_it_uses",
        120,
    ) {
        return;
    }
    let before = threads_alive();
    let mut sum = 0u64;
    pipeline!(para_std::MAX_THREADS, 0..1_000u64 => |x| x => |x| sum += x);
    assert_eq!(sum, (0..1_000u64).sum::<u64>());
    let started = threads_alive() - before;
    assert!(
        started < para_std::MAX_THREADS / 2,
        "{started} threads started for a run of 1000 tiny items"
    );
}

/// Pipelines nested 12 deep, 2 items a level (4096 innermost runs, 8191 runs in all): nested
/// runs take idle pool threads and never start new ones, so the threads alive stay within the
/// outer run's count, however deep the nesting.
#[test]
fn nested_runs_take_no_more_threads_than_the_outer_run() {
    if !in_child_process(
        module_path!(),
        "nested_runs_take_no_more_threads_than_the_outer_run",
        300,
    ) {
        return;
    }
    fn level(depth: u32, peak: &std::sync::atomic::AtomicUsize) -> u64 {
        if depth == 0 {
            peak.fetch_max(threads_alive(), std::sync::atomic::Ordering::Relaxed);
            return 1;
        }
        let mut leaves = 0;
        pipeline!(4, 0..2u32 => |_| level(depth - 1, peak) => |n| leaves += n);
        leaves
    }
    let before = threads_alive();
    let peak = std::sync::atomic::AtomicUsize::new(0);
    assert_eq!(level(12, &peak), 1 << 12);
    let peak = peak.into_inner();
    assert!(
        peak <= before + 3,
        "{} threads beside the {before} of the test for nested runs of 4 threads",
        peak - before
    );
}

/// Items of 1 MiB passed by value through three stages, on pool threads with the default
/// stack; then 4 MiB items with `stack_size` raised. (A crash would abort: child process.)
#[test]
fn big_items_by_value_fit_the_pool_threads_stacks() {
    if !in_child_process(
        module_path!(),
        "big_items_by_value_fit_the_pool_threads_stacks",
        300,
    ) {
        return;
    }
    // The caller is worker 0: its stack is sized by whoever starts it.
    let caller = std::thread::Builder::new().stack_size(64 << 20);
    caller.spawn(big_items).unwrap().join().unwrap();
}

#[inline(never)]
fn big_items() {
    let mut sum = 0u64;
    pipeline!(2, capacity = 1,
        0u64..64 => |i| [i as u8; 1 << 20] => |b: [u8; 1 << 20]| b
        => |b: [u8; 1 << 20]| sum += b[7] as u64);
    assert_eq!(sum, (0..64u64).sum::<u64>());

    let mut sum = 0u64;
    pipeline!(4, capacity = 1, stack_size = 64 << 20,
        0u64..16 => |i| [i as u8; 4 << 20] => |b: [u8; 4 << 20]| b
        => |b: [u8; 4 << 20]| sum += b[7] as u64);
    assert_eq!(sum, (0..16u64).sum::<u64>());
}
