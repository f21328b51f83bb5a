//! loom models of para-std's scheduling protocols: the sleep/wake protocol of `src/sleep.rs`,
//! the token cap of `src/worker.rs` and the mailboxes of the worker pool (`src/pool.rs`). Run
//! them with `scripts/loom.sh`, or:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p para-std --release --test loom -- --nocapture --test-threads=1
//! ```
//!
//! **These models run copies of the protocols, not para-std's own types.** para-std builds on
//! `std::sync` (its `Mutex`, `Condvar` and atomics) and crossbeam-deque, which loom cannot
//! instrument, and the types are private to the crate. So `Sleep` and the token functions are
//! copied below line for line, with loom's `Mutex`, `Condvar` and atomics in place of std's, and
//! the deques replaced by the smallest fake that keeps what the protocols rely on. **Whoever
//! changes `sleep.rs`, `take_token`/`return_token` in `worker.rs` or the mailbox protocol of
//! `pool.rs` must change the copy here.**
//!
//! Rules every model follows: every actor is a spawned thread and the main
//! thread only joins them (loom issue #392); each prints its execution count and asserts it
//! explored more than one execution; each has a deliberately broken variant, run as an expected
//! failure. A lost wake-up shows as a thread waiting forever, which loom reports as a deadlock.
#![cfg(loom)]

use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex, Notify};
use loom::thread;

#[path = "../../para-core/tests/loom_harness/mod.rs"]
mod loom_harness;
#[allow(unused_imports)] // each file uses part of the harness
use loom_harness::{check, join_all, Arc};

// ------------------------------------------------------------------------------------------
// The sleep/wake protocol: a copy of `src/sleep.rs`

/// How the copy of `Sleep` is broken, if at all.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SleepFault {
    None,
    /// `wake_one` without its SeqCst fence: the waker may miss a sleeper whose last look missed
    /// the task (the store-buffer outcome).
    NoFenceInWake,
    /// `wait` does not re-check `epoch` under the lock: a wake-up sent between `prepare` and
    /// the wait is lost.
    NoRecheck,
}

/// `para_std::sleep::Sleep`, copied with loom's types (and a fault switch).
struct Sleep {
    sleepers: AtomicUsize,
    epoch: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    fault: SleepFault,
}

impl Sleep {
    fn new(fault: SleepFault) -> Self {
        Sleep {
            sleepers: AtomicUsize::new(0),
            epoch: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            fault,
        }
    }

    fn prepare(&self) -> usize {
        let epoch = self.epoch.load(Ordering::SeqCst);
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        epoch
    }

    fn cancel(&self) {
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    fn wait(&self, epoch: usize, ended: impl Fn() -> bool) {
        let mut guard = self.lock.lock().unwrap();
        if self.fault == SleepFault::NoRecheck {
            // The broken variant waits once, whatever happened since `prepare`.
            if !ended() {
                guard = self.wake.wait(guard).unwrap();
            }
        } else {
            while self.epoch.load(Ordering::SeqCst) == epoch && !ended() {
                guard = self.wake.wait(guard).unwrap();
            }
        }
        drop(guard);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    fn wake_one(&self) {
        if self.fault != SleepFault::NoFenceInWake {
            fence(Ordering::SeqCst);
        }
        if self.sleepers.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _guard = self.lock.lock().unwrap();
        self.wake.notify_one();
    }

    fn wake_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _guard = self.lock.lock().unwrap();
        self.wake.notify_all();
    }
}

/// What the workers of the sleep model share.
struct SleepWorld {
    sleep: Sleep,
    /// The fake deque: one task, published with a plain Release store and found with an
    /// Acquire load, as crossbeam-deque's `push` (a store of `back`) and `steal` do. Taken
    /// with a swap, so that only one worker runs it.
    task: AtomicBool,
    taken: AtomicBool,
    /// The graph's run state: set by the worker that ran the task (the last item).
    ended: AtomicBool,
}

impl SleepWorld {
    /// `find_task`: takes the task if it is there.
    fn find_task(&self) -> bool {
        self.task.load(Ordering::Acquire) && !self.taken.swap(true, Ordering::AcqRel)
    }

    /// Runs the task: it was the last one, so the run ends and everybody is woken
    /// (`Scheduler::end` → `wake_all`).
    fn run_task(&self) {
        self.ended.store(true, Ordering::Release);
        self.sleep.wake_all();
    }

    fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }
}

/// Two idle workers run `WorkerCx::run`'s loop (without the spinning phase: they go straight to
/// sleep, which is the case that matters); a third thread pushes the one task of the run and
/// calls `wake_one`, as `Scheduler::offer` does. The worker that takes the task ends the run
/// and wakes everyone. Every worker must return: a lost wake-up leaves one asleep forever.
fn sleep_model(fault: SleepFault) {
    let world = Arc::new(SleepWorld {
        sleep: Sleep::new(fault),
        task: AtomicBool::new(false),
        taken: AtomicBool::new(false),
        ended: AtomicBool::new(false),
    });
    let mut handles = Vec::new();
    for _ in 0..2 {
        let world = world.clone();
        handles.push(thread::spawn(move || {
            // `WorkerCx::run`, after its backoff has completed.
            while !world.is_ended() {
                if world.find_task() {
                    world.run_task();
                    continue;
                }
                let epoch = world.sleep.prepare();
                if world.find_task() {
                    world.sleep.cancel();
                    world.run_task();
                } else {
                    world.sleep.wait(epoch, || world.is_ended());
                }
            }
        }));
    }
    {
        let world = world.clone();
        handles.push(thread::spawn(move || {
            world.task.store(true, Ordering::Release);
            world.sleep.wake_one();
        }));
    }
    join_all(handles);
    assert!(world.taken.load(Ordering::Relaxed));
    assert_eq!(world.sleep.sleepers.load(Ordering::Relaxed), 0);
}

#[test]
fn sleep_no_lost_wake_up() {
    check("sleep/wake, 2 sleepers + 1 waker", 3, || {
        sleep_model(SleepFault::None)
    });
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_sleep_wake_without_fence_loses_a_sleeper() {
    check("BROKEN sleep: wake_one without its fence", 3, || {
        sleep_model(SleepFault::NoFenceInWake)
    });
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_sleep_wait_without_recheck_loses_a_sleeper() {
    check("BROKEN sleep: wait without re-checking epoch", 3, || {
        sleep_model(SleepFault::NoRecheck)
    });
}

// ------------------------------------------------------------------------------------------
// The token cap: a copy of `take_token` / `return_token` from `src/worker.rs`

/// The cap on outstanding tokens of one node, copied from `Shared` in `src/worker.rs`.
struct Tokens {
    pending: AtomicUsize,
    cap: usize,
    /// The old, broken `take_token` (commit d060f0b fixed it).
    phantom: bool,
}

impl Tokens {
    /// `Shared::take_token`.
    fn take_token(&self) -> bool {
        if self.phantom {
            // The version before the fix: a transient increment, undone when over the cap.
            if self.pending.fetch_add(1, Ordering::AcqRel) < self.cap {
                return true;
            }
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        let pending = &self.pending;
        let mut seen = pending.load(Ordering::Acquire);
        loop {
            let next = if seen < self.cap { seen + 1 } else { seen };
            match pending.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return seen < self.cap,
                Err(now) => seen = now,
            }
        }
    }

    /// `Shared::return_token`.
    fn return_token(&self) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the actors of the token model share.
struct TokenWorld {
    tokens: Tokens,
    /// The fake deque: the number of tokens of the node in it, behind a mutex (crossbeam's push
    /// and steal synchronise the same way: a token's taker sees what its pusher did before).
    deque: Mutex<usize>,
    /// "A token was pushed or a notifier finished": the worker's sleep.
    wake: Notify,
    /// The node's state: work published by each notifier (in para: items pushed into the
    /// node's queue), and what runs of the node have processed.
    work: [AtomicBool; 2],
    processed: [AtomicBool; 2],
    notifiers_done: AtomicUsize,
}

impl TokenWorld {
    /// `Scheduler::notify`: a token if under the cap, into the deque.
    fn notify(&self) {
        if self.tokens.take_token() {
            *self.deque.lock().unwrap() += 1;
            self.wake.notify();
        }
    }

    /// One run of the node: process whatever work is visible.
    fn run_node(&self) {
        for (work, processed) in self.work.iter().zip(&self.processed) {
            if work.load(Ordering::Relaxed) {
                processed.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// A serial node (cap 1) with one token already outstanding (a source's first token). Two
/// notifiers each publish work for the node, then notify it; one worker runs tokens until the
/// deque is empty and both notifiers are done — and then does *not* run the node again, so any
/// work no token covered stays unprocessed.
///
/// Checks: every piece of work was processed by some run (no notification lost to the cap),
/// and no token is left counted.
fn token_model(phantom: bool) {
    let world = Arc::new(TokenWorld {
        tokens: Tokens {
            pending: AtomicUsize::new(1),
            cap: 1,
            phantom,
        },
        deque: Mutex::new(1),
        wake: Notify::new(),
        work: [AtomicBool::new(false), AtomicBool::new(false)],
        processed: [AtomicBool::new(false), AtomicBool::new(false)],
        notifiers_done: AtomicUsize::new(0),
    });
    let mut handles = Vec::new();
    for me in 0..2 {
        let world = world.clone();
        handles.push(thread::spawn(move || {
            world.work[me].store(true, Ordering::Relaxed);
            world.notify();
            world.notifiers_done.fetch_add(1, Ordering::Release);
            world.wake.notify();
        }));
    }
    {
        let world = world.clone();
        handles.push(thread::spawn(move || loop {
            let token = {
                let mut deque = world.deque.lock().unwrap();
                let token = *deque > 0;
                if token {
                    *deque -= 1;
                }
                token
            };
            if token {
                world.tokens.return_token();
                world.run_node();
            } else if world.notifiers_done.load(Ordering::Acquire) == 2 {
                // Both notifiers are done and the deque was empty after that: what no token
                // covers now will never run.
                if *world.deque.lock().unwrap() == 0 {
                    return;
                }
            } else {
                world.wake.wait();
            }
        }));
    }
    join_all(handles);
    let processed = [
        world.processed[0].load(Ordering::Relaxed),
        world.processed[1].load(Ordering::Relaxed),
    ];
    assert_eq!(
        processed,
        [true, true],
        "a notification was lost to the cap: processed {processed:?}"
    );
    assert_eq!(world.tokens.pending.load(Ordering::Relaxed), 0);
}

#[test]
fn token_cap_loses_no_notification() {
    check("token cap, 2 notifiers + 1 worker", 2, || {
        token_model(false)
    });
}

/// Broken: the old `take_token` (`fetch_add`, then `fetch_sub` when over the cap). A notifier
/// can see another's transient increment as an outstanding token that will never run.
#[test]
#[should_panic(expected = "a notification was lost to the cap")]
fn broken_token_cap_phantom_increment_loses_a_notification() {
    check("BROKEN token cap: transient fetch_add/fetch_sub", 2, || {
        token_model(true)
    });
}

// ------------------------------------------------------------------------------------------
// The worker pool (a copy of the mailbox protocol of `src/pool.rs`)
//
// Left out, because they do not decide correctness: the spin before blocking (`has_job` is only
// a hint; the state under the lock decides), thread spawning (here the pool has one thread; a
// caller that finds no idle thread leaves that worker out, as on a refused spawn), and the
// idle-exit timeout.

/// What a pool thread runs: a worker of caller `owner`'s run.
struct PoolJob {
    owner: usize,
    latch: Arc<PoolLatch>,
}

enum PoolState {
    Empty,
    Posted(PoolJob),
    Running,
}

struct MailSlot {
    state: PoolState,
    sleeping: bool,
    /// The model's end: every caller has returned.
    shutdown: bool,
}

struct Mailbox {
    slot: Mutex<MailSlot>,
    posted: Condvar,
}

struct PoolLatch {
    running: AtomicUsize,
    caller: thread::Thread,
}

impl PoolLatch {
    fn count_down(&self) {
        if self.running.fetch_sub(1, Ordering::Release) == 1 {
            self.caller.unpark();
        }
    }
}

struct PoolWorld {
    idle: Mutex<Vec<Arc<Mailbox>>>,
    mailbox: Arc<Mailbox>,
    /// Whether caller `c`'s stack (what its jobs borrow) is still there.
    alive: [AtomicBool; 2],
    returned: AtomicUsize,
}

impl PoolWorld {
    fn make_idle(&self, mailbox: Arc<Mailbox>) {
        let mut idle = self.idle.lock().unwrap();
        assert!(
            !idle
                .iter()
                .any(|m| std::sync::Arc::ptr_eq(&m.0, &mailbox.0)),
            "a thread entered the idle list twice"
        );
        idle.push(mailbox);
    }

    /// `Pool::broadcast` for 2 workers: worker 1 posted to an idle thread, worker 0 here.
    fn broadcast(&self, me: usize, cancel_any: bool) {
        let latch = Arc::new(PoolLatch {
            running: AtomicUsize::new(0),
            caller: thread::current(),
        });
        latch.running.fetch_add(1, Ordering::Relaxed);
        let idle = self.idle.lock().unwrap().pop();
        let posted = match idle {
            Some(mailbox) => {
                let mut slot = mailbox.slot.lock().unwrap();
                assert!(
                    matches!(slot.state, PoolState::Empty),
                    "posting to a busy thread"
                );
                slot.state = PoolState::Posted(PoolJob {
                    owner: me,
                    latch: latch.clone(),
                });
                let sleeping = slot.sleeping;
                drop(slot);
                if sleeping {
                    mailbox.posted.notify_one();
                }
                Some(mailbox)
            }
            None => {
                latch.count_down(); // no thread: worker left out
                None
            }
        };
        // (worker 0 runs here)
        if let Some(mailbox) = posted {
            let mut slot = mailbox.slot.lock().unwrap();
            let ours = match &slot.state {
                PoolState::Posted(job) => {
                    cancel_any || std::sync::Arc::ptr_eq(&job.latch.0, &latch.0)
                }
                _ => false,
            };
            if ours {
                slot.state = PoolState::Empty;
                drop(slot);
                latch.count_down();
                self.make_idle(mailbox);
            }
        }
        while latch.running.load(Ordering::Acquire) != 0 {
            thread::park();
        }
        self.alive[me].store(false, Ordering::Relaxed);
        if self.returned.fetch_add(1, Ordering::AcqRel) == 1 {
            self.mailbox.slot.lock().unwrap().shutdown = true;
            self.mailbox.posted.notify_one();
        }
    }

    /// `Pool::serve`.
    fn serve(&self) {
        let mailbox = &self.mailbox;
        loop {
            let mut slot = mailbox.slot.lock().unwrap();
            while !matches!(slot.state, PoolState::Posted(_)) && !slot.shutdown {
                slot.sleeping = true;
                slot = mailbox.posted.wait(slot).unwrap();
                slot.sleeping = false;
            }
            let PoolState::Posted(job) = std::mem::replace(&mut slot.state, PoolState::Running)
            else {
                return; // shut down
            };
            drop(slot);
            // The job uses its caller's stack: the caller must not have returned.
            assert!(
                self.alive[job.owner].load(Ordering::Relaxed),
                "a job ran after its caller returned"
            );
            mailbox.slot.lock().unwrap().state = PoolState::Empty;
            self.make_idle(mailbox.clone());
            job.latch.count_down();
        }
    }
}

/// Two callers, each a run of 2 workers, share a pool of one thread. Checks: no job runs after
/// its caller returned, no thread is twice in the idle list, and nobody waits forever.
fn pool_model(cancel_any: bool) {
    let mailbox = Arc::new(Mailbox {
        slot: Mutex::new(MailSlot {
            state: PoolState::Empty,
            sleeping: false,
            shutdown: false,
        }),
        posted: Condvar::new(),
    });
    let world = Arc::new(PoolWorld {
        idle: Mutex::new(vec![mailbox.clone()]),
        mailbox,
        alive: [AtomicBool::new(true), AtomicBool::new(true)],
        returned: AtomicUsize::new(0),
    });
    let mut handles = Vec::new();
    let pool = world.clone();
    handles.push(thread::spawn(move || pool.serve()));
    for me in 0..2 {
        let world = world.clone();
        handles.push(thread::spawn(move || world.broadcast(me, cancel_any)));
    }
    join_all(handles);
}

#[test]
fn pool_runs_each_job_while_its_caller_waits() {
    check("pool, 2 callers x 2 workers, 1 thread", 4, || {
        pool_model(false)
    });
}

/// Broken: a caller cancels whatever job is posted, not only its own (the bug the first version
/// of the pool had). Once its job has run, the thread may hold the other caller's job; the
/// cancel steals it, and the other caller waits forever.
#[test]
#[should_panic(expected = "deadlock")]
fn broken_pool_cancelling_another_runs_job_loses_it() {
    check("BROKEN pool: cancel any posted job", 2, || pool_model(true));
}
