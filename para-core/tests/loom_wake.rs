//! A loom model of how an async node learns that a future it holds was woken (`src/wake.rs`,
//! `src/async_node.rs`): a device completes the future on its own thread and calls the waker;
//! the node, run by a worker that scans it again and again, polls its futures only when the
//! wake count has moved since it last polled. The real counting waker and the real default
//! `Scheduler::wakes` are used; the step's order — read the count, then poll — is the one
//! `run_async` follows.
//!
//! The property: once the device has finished (it made the future ready and woke it), the
//! worker's next step sees the future ready. A step that read the count *after* polling could
//! poll too early, then take the new count as seen, and never poll again: the broken variant.
#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use para_core::{Scan, Scheduler};

mod loom_harness;
use loom_harness::{check, join_all, Arc};

/// When a step reads the wake count it keeps as seen.
#[derive(Clone, Copy)]
enum ReadCount {
    /// Before polling: the order of `run_async`.
    BeforePoll,
    /// After polling: a wake-up between the poll and the read is lost.
    AfterPoll,
}

fn wake_model(order: ReadCount) {
    let ready = Arc::new(AtomicBool::new(false));
    let device_done = Arc::new(AtomicBool::new(false));

    let device = {
        let (ready, device_done) = (ready.clone(), device_done.clone());
        thread::spawn(move || {
            let waker = Scan.waker(1);
            // The future's own state, then its waker (a Release RMW), as a driver does.
            ready.store(true, Ordering::Relaxed);
            waker.wake();
            device_done.store(true, Ordering::Release);
        })
    };

    let worker = thread::spawn(move || {
        let sched = Scan;
        // The step that starts the future: it reads the count, then polls the new future.
        let mut seen = None;
        loop {
            // Whether the device had finished before this step began: then this step must
            // see the future ready.
            let finished_before = device_done.load(Ordering::Acquire);
            let wakes = sched.wakes(1);
            if seen != Some(wakes) {
                let polled_ready = ready.load(Ordering::Relaxed);
                seen = Some(match order {
                    ReadCount::BeforePoll => wakes,
                    ReadCount::AfterPoll => sched.wakes(1),
                });
                if polled_ready {
                    return;
                }
            }
            assert!(
                !finished_before,
                "wake-up lost: the device woke the future before this step, which did not poll it"
            );
            thread::yield_now();
        }
    });
    join_all(vec![device, worker]);
}

#[test]
fn a_woken_future_is_polled_again() {
    check("async wake: count read before the poll", 3, || {
        wake_model(ReadCount::BeforePoll)
    });
}

/// Broken: the count is read after the poll, so a wake-up that lands in between is taken as
/// seen by a poll that came too early.
#[test]
#[should_panic(expected = "wake-up lost")]
fn broken_count_read_after_the_poll_loses_the_wake_up() {
    check("BROKEN async wake: count read after the poll", 3, || {
        wake_model(ReadCount::AfterPoll)
    });
}
