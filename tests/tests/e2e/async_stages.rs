//! `async` stages: futures completed outside the workers (another thread, a "device"), many in
//! flight on few workers; wakers called from other threads, before `poll` returns, twice,
//! after the run, or never; source order kept for an `ordered` stage after them; `try` and
//! early stops; pending futures dropped once when a run stops.

use crate::common::{watchdog, THREADS};
use futures_channel::oneshot;
use para_std::pipeline;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// A device on its own thread: holds every request it gets until `batch` are waiting at once,
/// or none came for 20 ms, then completes them all in reverse order of arrival. Returns the
/// most requests it held at once: the futures a run kept in flight.
fn device(
    batch: usize,
) -> (
    mpsc::Sender<(u64, oneshot::Sender<u64>)>,
    thread::JoinHandle<usize>,
) {
    let (requests, inbox) = mpsc::channel::<(u64, oneshot::Sender<u64>)>();
    let handle = thread::spawn(move || {
        let mut waiting = Vec::new();
        let mut most = 0;
        loop {
            let idle = match inbox.recv_timeout(Duration::from_millis(20)) {
                Ok(request) => {
                    waiting.push(request);
                    false
                }
                Err(mpsc::RecvTimeoutError::Timeout) => true,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            most = most.max(waiting.len());
            if waiting.len() == batch || idle {
                while let Some((x, reply)) = waiting.pop() {
                    let _ = reply.send(x * 10);
                }
            }
        }
        for (x, reply) in waiting {
            let _ = reply.send(x * 10);
        }
        most
    });
    (requests, handle)
}

/// A request to `device`, as an async stage awaits it.
async fn ask(requests: &Mutex<mpsc::Sender<(u64, oneshot::Sender<u64>)>>, x: u64) -> u64 {
    let (reply, answer) = oneshot::channel();
    requests.lock().unwrap().send((x, reply)).unwrap();
    answer.await.expect("the device answers")
}

#[test]
fn a_thousand_futures_in_flight_on_two_workers() {
    watchdog(60, || {
        let (requests, device) = device(1000);
        let requests = Mutex::new(requests);
        let mut sum = 0u64;
        pipeline!(2, 0..5000u64
            => limit(1000) async |x| ask(&requests, x).await
            => |y| sum += y);
        drop(requests);
        assert_eq!(sum, 10 * (0..5000u64).sum::<u64>());
        assert_eq!(device.join().unwrap(), 1000, "futures in flight at once");
    });
}

#[test]
fn an_ordered_stage_after_an_async_one_sees_source_order() {
    for threads in THREADS.into_iter().chain([32]) {
        watchdog(60, || {
            // Completed in reverse order of arrival, 16 at a time.
            let (requests, device) = device(16);
            let requests = Mutex::new(requests);
            let mut seen = Vec::new();
            pipeline!(threads, 0..3000u64
                => |x| x + 1
                => limit(16) async |x| ask(&requests, x).await
                => filter |y| y % 3 != 0
                => ordered |y| seen.push(y));
            drop(requests);
            device.join().unwrap();
            let expected: Vec<u64> = (1..=3000).map(|x| x * 10).filter(|y| y % 3 != 0).collect();
            assert_eq!(seen, expected, "threads={threads}");
        });
    }
}

#[test]
fn wakers_called_from_other_threads_at_random_times() {
    for threads in THREADS {
        watchdog(60, || {
            let mut sum = 0u64;
            pipeline!(threads, 0..2000u64
                => async |x| {
                    let (reply, answer) = oneshot::channel();
                    thread::spawn(move || {
                        if x % 7 == 0 {
                            thread::sleep(Duration::from_micros(x % 500));
                        }
                        reply.send(x).unwrap();
                    });
                    answer.await.unwrap() + 1
                }
                => |y| sum += y);
            assert_eq!(sum, (1..=2000u64).sum::<u64>(), "threads={threads}");
        });
    }
}

/// A future that wakes itself `wakes` times before it completes: from inside `poll`, before
/// `poll` returns `Pending` (as a `yield_now` does), waking twice when `twice`.
struct WakesItself {
    left: u32,
    twice: bool,
}

impl Future for WakesItself {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.left == 0 {
            return Poll::Ready(7);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        if self.twice {
            // A clone woken by value: the waker's own count of clones is exercised too.
            #[allow(clippy::waker_clone_wake)]
            cx.waker().clone().wake();
        }
        Poll::Pending
    }
}

#[test]
fn wakers_called_before_poll_returns_twice_or_never() {
    for threads in THREADS {
        watchdog(60, || {
            let mut total = 0u64;
            pipeline!(threads, 0..3000u32
                => async |x| {
                    // A third never touch the waker (ready at once), a third wake once per
                    // poll, a third twice.
                    let left = x % 3 * 2;
                    WakesItself { left, twice: x % 3 == 2 }.await + x
                }
                => |y| total += u64::from(y));
            let expected: u64 = (0..3000u64).map(|x| x + 7).sum();
            assert_eq!(total, expected, "threads={threads}");
        });
    }
}

/// Wakers a device keeps after the futures that gave them are gone.
static KEPT: Mutex<Vec<Waker>> = Mutex::new(Vec::new());

/// A future that hands its waker to `KEPT` and completes on its second poll.
struct KeepsWaker(bool);

impl Future for KeepsWaker {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        KEPT.lock().unwrap().push(cx.waker().clone());
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn wakers_called_after_the_run_has_ended_do_nothing() {
    watchdog(60, || {
        for threads in THREADS {
            let mut count = 0;
            pipeline!(threads, 0..500u32 => async |_x| KeepsWaker(false).await => |()| count += 1);
            assert_eq!(count, 500);
        }
        // The runs are over, their memory gone: a late wake-up must touch none of it.
        let kept = std::mem::take(&mut *KEPT.lock().unwrap());
        assert!(kept.len() >= 500);
        for waker in &kept {
            waker.wake_by_ref();
        }
        thread::scope(|s| {
            for chunk in kept.chunks(kept.len() / 4 + 1) {
                s.spawn(move || chunk.iter().cloned().for_each(Waker::wake));
            }
        });
        // And a new run goes on undisturbed.
        let mut sum = 0u32;
        pipeline!(4, 0..100u32 => async |x| x => |x| sum += x);
        assert_eq!(sum, 4950);
    });
}

/// Futures alive right now (created minus dropped).
static ALIVE: AtomicUsize = AtomicUsize::new(0);

/// A future that never completes, counted while it lives.
struct Forever;

impl Forever {
    fn new() -> Self {
        ALIVE.fetch_add(1, Ordering::SeqCst);
        Forever
    }
}

impl Drop for Forever {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Future for Forever {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u64> {
        Poll::Pending
    }
}

#[test]
fn pending_futures_are_dropped_once_when_the_run_stops() {
    for threads in THREADS {
        watchdog(60, || {
            // Odd items wait forever (and hold their slot: 200 are enough for the even items
            // up to the stop); the sink stops the run after 50 even ones.
            let mut seen = 0;
            pipeline!(threads, 0..10_000u64
            => limit(200) async |x| if x % 2 == 0 { x } else { Forever::new().await }
            => |_x| {
                seen += 1;
                if seen == 50 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
            });
            assert_eq!(seen, 50, "threads={threads}");
            assert_eq!(
                ALIVE.load(Ordering::SeqCst),
                0,
                "threads={threads}: futures leaked"
            );

            // A panic in a later stage stops the run too.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pipeline!(threads, 0..10_000u64
                    => limit(200) async |x| if x % 2 == 0 { x } else { Forever::new().await }
                    => |x| if x == 100 { panic!("stage failed") } else { x }
                    => |_x| ());
            }));
            assert!(outcome.is_err());
            assert_eq!(
                ALIVE.load(Ordering::SeqCst),
                0,
                "threads={threads}: futures leaked"
            );
        });
    }
}

#[test]
fn try_async_returns_the_first_error() {
    for threads in THREADS {
        watchdog(60, || {
            let result = pipeline!(threads, 0..1000u32
                => try async |x| if x == 700 { Err(format!("bad {x}")) } else { Ok(x) }
                => |_x| ());
            assert_eq!(result, Err("bad 700".to_owned()), "threads={threads}");
        });
    }
}

#[test]
fn an_async_fn_and_a_closure_in_a_fan_out() {
    async fn double(x: u64) -> u64 {
        x * 2
    }
    watchdog(60, || {
        let (evens, odds) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (e, o) = (evens.clone(), odds.clone());
        let mut sum = 0u64;
        pipeline!(4, 0..1000u64
            => (async double => |y| { e.fetch_add(1, Ordering::Relaxed); y },
                async |x| { o.fetch_add(1, Ordering::Relaxed); x })
            => |v| sum += v);
        assert_eq!(sum, 3 * (0..1000u64).sum::<u64>());
        assert_eq!(
            (evens.load(Ordering::Relaxed), odds.load(Ordering::Relaxed)),
            (1000, 1000)
        );
    });
}

#[test]
fn the_memory_bound_counts_the_futures_in_flight() {
    // Two queues of 16 (the async stage's input, the sink's) and 100 futures.
    let bound =
        para_std::pipeline_bound!(capacity = 16, 0..10u32 => limit(100) async |x| x => |_y| ());
    assert_eq!(bound, 2 * 16 + 100);
    let bound = para_std::pipeline_bound!(capacity = 16, 0..10u32 => async |x| x => |_y| ());
    assert_eq!(bound, 2 * 16 + para_core::raw::ASYNC_IN_FLIGHT);
    let dot = para_std::pipeline_dot!(capacity = 16, 0..10u32 => limit(100) async |x| x => |_y| ());
    assert!(
        dot.contains("async, limit 100\\n|x| x\\nqueue: 16 items (1 × 16)\\nfutures: 100"),
        "{dot}"
    );
    assert!(dot.contains("futures 100 more"), "{dot}");
}

#[test]
fn the_statistics_show_the_futures_in_flight() {
    watchdog(60, || {
        let mut stats = para_std::Stats::new();
        let mut total = 0u64;
        pipeline!(2, stats = &mut stats, 0..400u64
            => |x| x + 1
            => limit(50) async |x| {
                futures_timer::Delay::new(Duration::from_millis(5)).await;
                x
            }
            => |y| total += y);
        assert_eq!(total, (1..=400).sum::<u64>());
        let node = (0..3)
            .map(|i| stats.node(i))
            .find(|node| node.kind == para_std::NodeKind::Async)
            .expect("an async node");
        // 400 waits of 5 ms, up to 50 at once: they overlap (the run takes far less than 2 s).
        assert!(
            node.in_flight_peak > 1 && node.in_flight_peak <= 50,
            "{stats}"
        );
        let average = node.in_flight as f64 / stats.wall().as_nanos() as f64; // ns × futures
        assert!(
            average > 1.0 && average <= 50.0,
            "average {average}: {stats}"
        );
        let plain = stats.node(0);
        assert_eq!((plain.in_flight, plain.in_flight_peak), (0, 0));
        let table = stats.to_string();
        assert!(table.contains("futures"), "{table}");
        assert!(
            stats.dot().contains("futures in flight: "),
            "{}",
            stats.dot()
        );
    });
}
