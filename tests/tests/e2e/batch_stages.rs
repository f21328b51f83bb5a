//! `batch(N)` stages: called with up to N queued items at once, one output per input.

use crate::common::{watchdog, THREADS};
use para_std::{pipeline, Batch};
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn batches_of_up_to_n_one_output_per_input() {
    for threads in THREADS.into_iter().chain([32]) {
        watchdog(60, || {
            let (calls, biggest) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let mut sum = 0u64;
            pipeline!(threads, capacity = 64, 0..10_000u64
                => |x| x + 1
                => batch(16) |xs: Batch<u64, 16>| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    biggest.fetch_max(xs.len(), Ordering::Relaxed);
                    xs.into_iter().map(|x| x * 2).collect::<Batch<u64, 16>>()
                }
                => |y| sum += y);
            assert_eq!(sum, 2 * (1..=10_000u64).sum::<u64>(), "threads={threads}");
            let (calls, biggest) = (calls.into_inner(), biggest.into_inner());
            assert!(
                biggest <= 16 && biggest > 1,
                "threads={threads}: biggest batch {biggest}"
            );
            assert!(
                calls < 10_000,
                "threads={threads}: {calls} calls for 10 000 items"
            );
        });
    }
}

#[test]
fn an_ordered_stage_after_a_batch_sees_source_order() {
    for threads in THREADS {
        watchdog(60, || {
            let mut seen = Vec::new();
            pipeline!(threads, 0..5000u32
                => filter |x: &u32| !x.is_multiple_of(3)
                => batch(32) |xs| xs.iter().map(|x| x * 10).collect::<Vec<_>>()
                => ordered |y| seen.push(y));
            let expected: Vec<u32> = (0..5000)
                .filter(|x: &u32| !x.is_multiple_of(3))
                .map(|x| x * 10)
                .collect();
            assert_eq!(seen, expected, "threads={threads}");
        });
    }
}

#[test]
#[should_panic(expected = "must give back one output per input")]
fn a_batch_that_drops_outputs_is_refused() {
    pipeline!(2, 0..100u32 => batch(8) |xs: Batch<u32, 8>| xs.into_iter().skip(1).collect::<Vec<_>>() => |_y| ());
}

/// A device that completes a launch (a batch) on its own thread after a while, waking the
/// future: several batches in flight, each full under load, the last one flushed.
mod device {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::time::Duration;

    #[derive(Default)]
    struct Launch {
        done: bool,
        waker: Option<Waker>,
    }

    /// Completes after `wait`, woken from another thread.
    pub struct Completion(Arc<Mutex<Launch>>);

    impl Completion {
        pub fn after(wait: Duration) -> Self {
            let launch = Arc::new(Mutex::new(Launch::default()));
            let device = Arc::clone(&launch);
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    std::thread::sleep(wait);
                    let mut launch = device.lock().unwrap();
                    launch.done = true;
                    if let Some(waker) = launch.waker.take() {
                        waker.wake();
                    }
                })
                .unwrap();
            Completion(launch)
        }
    }

    impl Future for Completion {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut launch = self.0.lock().unwrap();
            if launch.done {
                return Poll::Ready(());
            }
            launch.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[test]
fn batched_async_launches_several_full_batches_in_flight() {
    use std::time::Duration;
    for threads in THREADS.into_iter().chain([16]) {
        watchdog(60, || {
            let (inside, most, launches, full) = (
                AtomicUsize::new(0),
                AtomicUsize::new(0),
                AtomicUsize::new(0),
                AtomicUsize::new(0),
            );
            let items = 2001u64; // not a multiple of 16: the last batch is partial
            let mut seen = Vec::new();
            pipeline!(threads, capacity = 64, 0..items
                => |x| x * 3
                => batch(16) limit(4) async |xs: Batch<u64, 16>| {
                    launches.fetch_add(1, Ordering::Relaxed);
                    if xs.is_full() {
                        full.fetch_add(1, Ordering::Relaxed);
                    }
                    most.fetch_max(inside.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
                    device::Completion::after(Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::Relaxed);
                    xs.into_iter().map(|x| x + 1).collect::<Vec<_>>()
                }
                => ordered |y| seen.push(y));
            let expected: Vec<u64> = (0..items).map(|x| x * 3 + 1).collect();
            assert_eq!(seen, expected, "threads={threads}");
            let (launches, full, most) =
                (launches.into_inner(), full.into_inner(), most.into_inner());
            assert!(
                most > 1 && most <= 4,
                "threads={threads}: {most} launches in flight at most"
            );
            // Batches fill while launches are in flight: 4 items or more on average, some full.
            // (A batch also starts partial when the queue stops filling for a step: here the
            // ordered sink's window holds the source back.)
            assert!(
                launches <= items as usize / 4,
                "threads={threads}: {launches} launches"
            );
            assert!(full > 0, "threads={threads}: {full} full of {launches}");
        });
    }
}

#[test]
fn partial_batches_are_flushed_without_waiting_for_more() {
    // Fewer items than a batch, or one more than some batches: no batch can fill at the end,
    // and none may wait for one to.
    use std::time::Duration;
    for threads in THREADS {
        for items in [1u32, 3, 17, 33] {
            watchdog(60, || {
                let mut got = Vec::new();
                pipeline!(threads, 0..items
                    => batch(16) limit(4) async |xs: Batch<u32, 16>| {
                        device::Completion::after(Duration::from_millis(1)).await;
                        xs.into_iter().map(|x| x + 1).collect::<Vec<_>>()
                    }
                    => |y| got.push(y));
                got.sort_unstable();
                assert!(
                    got.iter().copied().eq(1..=items),
                    "threads={threads}, items={items}"
                );
            });
        }
    }
}

#[test]
fn a_failed_launch_stops_the_run_with_its_error() {
    for threads in THREADS {
        watchdog(60, || {
            let launched = AtomicUsize::new(0);
            let result = pipeline!(threads, 0..10_000u32
                => try batch(32) limit(2) async |xs: Batch<u32, 32>| {
                    launched.fetch_add(1, Ordering::Relaxed);
                    if xs.contains(&5000) {
                        return Err(format!("launch of {} failed", xs.len()));
                    }
                    Ok(xs.into_iter().map(|x| x * 2).collect::<Vec<_>>())
                }
                => |_y| ());
            let error = result.expect_err("the failed launch's error");
            assert!(
                error.starts_with("launch of "),
                "threads={threads}: {error}"
            );
            assert!(launched.into_inner() < 10_000 / 32 + 1, "threads={threads}");
        });
    }
}

#[test]
fn the_memory_bound_counts_the_batches_in_flight() {
    let plain = para_std::pipeline_bound!(2, capacity = 16, 0..10u32 => |x| x => |_y| ());
    let batched = para_std::pipeline_bound!(2, capacity = 16, 0..10u32
        => batch(8) limit(3) async |xs: Batch<u32, 8>| xs
        => |_y| ());
    assert_eq!(batched, plain + 3 * 8, "3 futures of up to 8 items each");
    let dot = para_std::pipeline_dot!(2, capacity = 16, 0..10u32
        => batch(8) limit(3) async |xs: Batch<u32, 8>| xs
        => |_y| ());
    assert!(dot.contains("futures: 3 × 8 items"), "{dot}");
    assert!(dot.contains("futures 24 more"), "{dot}");
}

#[test]
fn batches_overlap_when_an_ordered_window_keeps_the_queue_short() {
    // Before an ordered sink the source may run only a window (the capacity, 8) ahead, and
    // items trickle in from a slow stage: the queue never holds a batch of 16. Partial batches
    // start once the queue stops filling, several in flight, not one at a time. (On 1 thread
    // the slow stage passes the whole window on in one step: one batch holds it all.)
    use std::time::Duration;
    for threads in [2, 4, 8] {
        watchdog(60, || {
            let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let mut seen = Vec::new();
            pipeline!(threads, capacity = 8, 0..200u32
                => |x| { std::thread::sleep(Duration::from_micros(200)); x }
                => batch(16) limit(4) async |xs: Batch<u32, 16>| {
                    most.fetch_max(inside.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
                    device::Completion::after(Duration::from_millis(3)).await;
                    inside.fetch_sub(1, Ordering::Relaxed);
                    xs
                }
                => ordered |y| seen.push(y));
            assert!(seen.iter().copied().eq(0..200), "threads={threads}");
            let most = most.into_inner();
            assert!(
                most > 1,
                "threads={threads}: {most} batches in flight at most"
            );
        });
    }
}
