//! A `Feed` as a pipeline's source: filled by another thread while the run goes on, drained
//! until it is closed; nothing lost between the producer and the run (every item pushed is
//! either processed once or handed back to the producer), in order for an ordered stage, the
//! stages still run on every worker, and a feed is drained by one run at a time.

use crate::common::{message, watchdog, Counters, Tracked, THREADS};
use para_std::{pipeline, Feed};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// Pushes `0..n` into `feed`, retrying an item the feed hands back (full), then closes it.
fn produce_all<const N: usize>(feed: &Feed<u64, N>, n: u64) {
    for x in 0..n {
        let mut item = x;
        while let Err(back) = feed.push(item) {
            item = back;
            thread::yield_now();
        }
    }
    feed.close();
}

#[test]
fn every_item_once_while_a_thread_fills_it() {
    for threads in THREADS.into_iter().chain([32]) {
        watchdog(60, || {
            let feed = Feed::<u64, 64>::new();
            let sum = thread::scope(|s| {
                s.spawn(|| produce_all(&feed, 20_000));
                pipeline!(threads, &feed => |x| x * 3 => reduce(|| 0, |a, b| a + b))
            });
            assert_eq!(sum, 3 * (0..20_000).sum::<u64>(), "threads={threads}");
            assert!(feed.is_empty() && feed.is_closed());
        });
    }
}

#[test]
fn an_ordered_stage_sees_the_order_of_arrival() {
    for threads in THREADS {
        watchdog(60, || {
            let feed = Feed::<u64, 16>::new();
            let mut seen = Vec::new();
            thread::scope(|s| {
                s.spawn(|| produce_all(&feed, 5_000));
                pipeline!(threads, capacity = 4, &feed
                    => |x| x + 1
                    => ordered |x| seen.push(x));
            });
            assert!(seen.iter().copied().eq(1..=5_000), "threads={threads}");
        });
    }
}

/// A producer that does not retry: what the feed has no room for comes back to it, so every
/// item is either processed once or handed back, never lost.
#[test]
fn an_item_is_processed_or_handed_back() {
    watchdog(60, || {
        let feed = Feed::<u64, 4>::new();
        let processed = AtomicUsize::new(0);
        let (accepted, rejected) = thread::scope(|s| {
            let producer = s.spawn(|| {
                let (mut accepted, mut rejected) = (0usize, 0usize);
                for x in 0..2_000u64 {
                    match feed.push(x) {
                        Ok(()) => accepted += 1,
                        Err(back) => {
                            assert_eq!(back, x);
                            rejected += 1;
                        }
                    }
                    if x % 64 == 0 {
                        thread::sleep(Duration::from_micros(200));
                    }
                }
                feed.close();
                (accepted, rejected)
            });
            pipeline!(4, capacity = 2, &feed
            => |x| {
                thread::sleep(Duration::from_micros(20));
                x
            }
            => |_x| {
                processed.fetch_add(1, Ordering::Relaxed);
            });
            producer.join().unwrap()
        });
        assert_eq!(accepted + rejected, 2_000);
        assert!(
            rejected > 0,
            "the feed never filled up: the test shows nothing"
        );
        assert_eq!(processed.load(Ordering::Relaxed), accepted);
    });
}

#[test]
fn a_feed_closed_before_the_run_is_drained() {
    watchdog(60, || {
        let feed = Feed::<u64, 100>::new();
        for x in 0..100 {
            feed.push(x).unwrap();
        }
        feed.close();
        assert_eq!(feed.push(7), Err(7));
        let mut seen = Vec::new();
        pipeline!(4, &feed => |x| x => ordered |x| seen.push(x));
        assert!(seen.iter().copied().eq(0..100));
        // An empty closed feed: the run ends at once.
        let count = pipeline!(4, &feed => |x| x => reduce(|| 0, |a, _b| a + 1));
        assert_eq!(count, 0);
    });
}

/// Calls that wait (sleep) overlap up to the thread count, although the items come one by
/// one from a producer thread.
#[test]
fn stages_run_on_every_worker() {
    for threads in [8, 32] {
        watchdog(60, || {
            let feed = Feed::<u64, 256>::new();
            let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            thread::scope(|s| {
                s.spawn(|| produce_all(&feed, 8 * threads as u64));
                pipeline!(threads, &feed
                    => |x| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(10));
                        inside.fetch_sub(1, Ordering::SeqCst);
                        x
                    }
                    => |_x| {});
            });
            let most = most.load(Ordering::SeqCst);
            assert!(
                most >= threads / 2,
                "threads={threads}: at most {most} calls at once"
            );
        });
    }
}

/// A run that stops early leaves what it did not take in the feed, which drops it: every value
/// is dropped once.
#[test]
fn early_stop_leaves_the_rest_to_the_feed() {
    watchdog(60, || {
        let counters = Counters::new();
        {
            let feed = Feed::<Tracked, 64>::new();
            for x in 0..60 {
                assert!(feed.push(counters.item(x)).is_ok());
            }
            let stopped = pipeline!(2, &feed
                => |t: Tracked| t.value
                => try |x: i64| if x == 10 { Err(x) } else { Ok(()) });
            assert_eq!(stopped, Err(10));
        }
        assert_eq!(counters.live(), 0);
        assert_eq!(counters.drops(), counters.created());
    });
}

/// One run at a time: a second run on a feed that a run holds fails with a message.
#[test]
fn a_feed_is_drained_by_one_run_at_a_time() {
    watchdog(60, || {
        let feed = Feed::<u64, 8>::new();
        feed.push(1).unwrap();
        let nested = panic::catch_unwind(AssertUnwindSafe(|| {
            pipeline!(2, &feed => |x| {
                pipeline!(1, &feed => |y| y => |_y| {});
                x
            } => |_x| {});
        }));
        let payload = nested.expect_err("the nested run on a held feed must fail");
        assert!(
            message(&*payload).contains("one run at a time"),
            "{}",
            message(&*payload)
        );
        // The failed run gave the feed back.
        feed.close();
        let count = pipeline!(1, &feed => |x| x => reduce(|| 0, |a, _b| a + 1));
        assert_eq!(count, 0);
    });
}
