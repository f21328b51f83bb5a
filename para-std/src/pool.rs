//! Persistent worker threads, so that a run does not pay a thread spawn per worker.
//!
//! Spawning and joining scoped threads cost a run 100–400 µs before its first item. Instead, the
//! threads a run needs beyond the caller's own are taken from a pool of parked threads (one pool
//! for pinned workers, one for unpinned), handed the run's work, and returned to the pool when
//! they finish; a thread idle for [`IDLE_EXIT`] exits.
//!
//! # Growth
//!
//! A top-level run that finds too few idle threads starts new ones (concurrent runs never wait
//! for each other), with at least the stack it asks for. It hands its work out one worker at a
//! time and stops as soon as the run no longer needs more ([`Spawn::still_needed`]), so a short
//! run with a large thread count does not pay for threads it would not use. A nested run (from
//! inside another run's stage) never starts threads: it takes idle ones, if any. The threads
//! alive are therefore at most the sum of the thread counts of the top-level runs going on at
//! once (plus idle ones from earlier runs, for [`IDLE_EXIT`]).
//!
//! # Borrowing the caller's stack
//!
//! The work a run hands out borrows the caller's stack (the graph, the closures), like
//! `std::thread::scope`. [`Pool::broadcast`] therefore does not return before every thread
//! that took the work has finished it: a countdown ([`Latch`]) that the caller parks on. A
//! thread that has not yet taken its work when the caller is done can be *cancelled*: the
//! caller empties its mailbox under the mailbox's lock, so the thread never sees the work.
//! Cancelling is what makes a short run cheap: the caller does not wait for a thread that has
//! not even woken up. It is correct for para's runs because the caller works too, as worker 0,
//! and returns only once the run has ended — a late worker would find nothing to do.
//!
//! # Mailbox protocol
//!
//! ```text
//!   Empty ──caller posts──▶ Posted(job) ──thread takes──▶ Running ──thread finishes──▶ Empty
//!                               │
//!                               └──caller cancels──▶ Empty
//! ```
//!
//! All transitions happen under the mailbox's mutex, so exactly one of "thread takes" and "caller
//! cancels" wins. A caller cancels only a job of its own run (same latch): by the time it looks,
//! the thread may have run its job, gone back to the idle list and been given another run's job,
//! which is not the caller's to cancel. A thread is in the idle list exactly when its mailbox is
//! `Empty` and no caller owns it; a caller removes a thread from the list (under the list's lock)
//! before posting to it; the thread puts itself back after its job (before it counts the job done,
//! so the caller's next run finds it), or the caller does when it cancels the job.

use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::thread::{self, Thread};
use std::time::Duration;

/// How long a pool thread waits for work before it exits.
pub(crate) const IDLE_EXIT: Duration = Duration::from_secs(5);

/// How many times a thread that finished a job, or a caller waiting for its workers, yields
/// before it blocks. Back-to-back runs (a loop of small pipelines) then hand work over without
/// a futex wake-up: tens of microseconds each in a VM.
const SPINS: u32 = 200;

/// Work handed to every worker of a run: called with the worker's index.
pub(crate) type Work<'a> = dyn Fn(usize) + Sync + 'a;

/// The pool of pinned (`true`) or unpinned (`false`) workers.
pub(crate) fn pool(pinned: bool) -> &'static Pool {
    static POOLS: [OnceLock<Pool>; 2] = [OnceLock::new(), OnceLock::new()];
    POOLS[usize::from(pinned)].get_or_init(|| Pool::new(pinned))
}

/// Which threads a run may take or start.
pub(crate) struct Spawn<'a> {
    /// The least stack size, in bytes, of a thread that runs the work.
    pub(crate) stack_size: usize,
    /// Whether new threads may be started, or only idle ones taken (a nested run).
    pub(crate) new_threads: bool,
    /// Whether the run still wants more workers; asked before each one is handed out.
    pub(crate) still_needed: &'a dyn Fn() -> bool,
}

/// Parked threads waiting for work.
#[derive(Debug)]
pub(crate) struct Pool {
    pinned: bool,
    idle: Mutex<Vec<Arc<Mailbox>>>,
    /// Threads spawned so far, to pick each new thread's core.
    spawned: AtomicUsize,
}

#[derive(Debug)]
struct Mailbox {
    /// The stack size its thread was started with.
    stack_size: usize,
    state: Mutex<Slot>,
    posted: Condvar,
    /// A hint that a job is posted, for the thread's spin before it blocks (the truth is
    /// `state`, read under the lock).
    has_job: AtomicBool,
}

#[derive(Debug)]
struct Slot {
    state: State,
    /// The thread is blocked (or about to block) on `posted`: a poster must notify it. Read
    /// and written under the lock, so a post never misses a thread going to sleep.
    sleeping: bool,
}

enum State {
    Empty,
    Posted(Job),
    Running,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Empty => "Empty",
            State::Posted(_) => "Posted",
            State::Running => "Running",
        })
    }
}

struct Job {
    /// Borrowed from the caller's stack; valid until the caller's `broadcast` returns, which it
    /// does only after this job is finished or cancelled (module docs).
    work: &'static Work<'static>,
    index: usize,
    latch: Arc<Latch>,
}

/// Counts the jobs still running; the last one to finish unparks the caller.
#[derive(Debug)]
struct Latch {
    running: AtomicUsize,
    caller: Thread,
}

impl Latch {
    fn count_down(&self) {
        // Release: the job's effects happen before the caller's Acquire load that sees zero.
        if self.running.fetch_sub(1, Ordering::Release) == 1 {
            self.caller.unpark();
        }
    }
}

impl Mailbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Pool {
    fn new(pinned: bool) -> Self {
        Pool {
            pinned,
            idle: Mutex::new(Vec::new()),
            spawned: AtomicUsize::new(0),
        }
    }

    /// Calls `work(i)` for every `i` in `0..workers`: `work(0)` on the calling thread, the others
    /// on pool threads. Returns once every call that started has returned.
    ///
    /// `work` must catch its own panics (a panic escaping a pool thread's call is caught there,
    /// counted as finished, and otherwise ignored). Workers the OS refuses a thread for are
    /// left out: the run goes on with the threads it has, since worker 0 alone can finish it.
    pub(crate) fn broadcast(&'static self, workers: usize, work: &Work<'_>, spawn: &Spawn<'_>) {
        let latch = Arc::new(Latch {
            running: AtomicUsize::new(0),
            caller: thread::current(),
        });
        // Only the lifetime is erased: pool threads get the reference through their mailboxes
        // and use it until their job finishes.
        // SAFETY: this function does not return (nor unwind) before every posted job has been
        // cancelled, never run, or has finished, counted down by the latch: no pool thread uses
        // `work` after the borrow ends.
        let work: &'static Work<'static> = unsafe { mem::transmute::<&Work<'_>, _>(work) };
        let mut posted = Vec::with_capacity(workers.saturating_sub(1));
        // Nothing may unwind out of this function while a posted job can still run: catch, wait
        // for the jobs, then resume.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            for index in 1..workers {
                if !(spawn.still_needed)() {
                    break;
                }
                let job = Job {
                    work,
                    index,
                    latch: latch.clone(),
                };
                latch.running.fetch_add(1, Ordering::Relaxed); // before the job can finish
                match self.post(job, spawn) {
                    Some(mailbox) => posted.push(mailbox),
                    None => latch.count_down(), // no thread: that worker is left out
                }
            }
            work(0);
        }));
        // Worker 0 has returned, so the run has ended (or a panic escaped it, and the run is
        // being abandoned): cancel whatever has not started yet.
        for mailbox in posted {
            let mut slot = mailbox.lock();
            // Only our own job: once ours has run, the thread may already hold another run's.
            if matches!(&slot.state, State::Posted(job) if Arc::ptr_eq(&job.latch, &latch)) {
                slot.state = State::Empty;
                mailbox.has_job.store(false, Ordering::Relaxed);
                drop(slot);
                latch.count_down();
                self.make_idle(mailbox); // the thread waits on; it is ours to give back
            }
        }
        for _ in 0..SPINS {
            if latch.running.load(Ordering::Acquire) == 0 {
                break;
            }
            thread::yield_now();
        }
        while latch.running.load(Ordering::Acquire) != 0 {
            thread::park(); // the last job's `count_down` unparks us; spurious wake-ups loop
        }
        if let Err(payload) = outcome {
            panic::resume_unwind(payload);
        }
    }

    /// Hands `job` to an idle thread with a big enough stack, or to a new one if `spawn`
    /// allows; `None` (the job dropped, not run) if there is no such thread.
    fn post(&'static self, job: Job, spawn: &Spawn<'_>) -> Option<Arc<Mailbox>> {
        let idle = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            // The most recently idle first: its caches are the warmest.
            idle.iter()
                .rposition(|m| m.stack_size >= spawn.stack_size)
                .map(|at| idle.remove(at))
        };
        let mailbox = match idle {
            Some(mailbox) => mailbox,
            None if spawn.new_threads => self.spawn(spawn.stack_size)?,
            None => return None,
        };
        let mut slot = mailbox.lock();
        if !matches!(slot.state, State::Empty) {
            // Cannot happen (module docs; the loom model checks it). Were it to, overwriting
            // the job there would lose another run's worker: leave ours out instead.
            return None;
        }
        slot.state = State::Posted(job);
        mailbox.has_job.store(true, Ordering::Relaxed);
        let sleeping = slot.sleeping;
        drop(slot);
        if sleeping {
            mailbox.posted.notify_one();
        }
        Some(mailbox)
    }

    fn spawn(&'static self, stack_size: usize) -> Option<Arc<Mailbox>> {
        let mailbox = Arc::new(Mailbox {
            stack_size,
            state: Mutex::new(Slot {
                state: State::Empty,
                sleeping: false,
            }),
            posted: Condvar::new(),
            has_job: AtomicBool::new(false),
        });
        let number = self.spawned.fetch_add(1, Ordering::Relaxed);
        let core = if self.pinned {
            // Skip core 0 for the first thread: the caller, worker 0, is often there.
            core_affinity::get_core_ids()
                .filter(|cores| !cores.is_empty())
                .map(|cores| cores[(number + 1) % cores.len()])
        } else {
            None
        };
        let theirs = mailbox.clone();
        thread::Builder::new()
            .name(format!("para-worker-{number}"))
            .stack_size(stack_size)
            .spawn(move || {
                if let Some(core) = core {
                    // Best effort: a refused pin (restricted CPU set) still runs.
                    let _ = core_affinity::set_for_current(core);
                }
                self.serve(&theirs);
            })
            .ok()?;
        Some(mailbox)
    }

    /// A pool thread's life: run posted jobs, go back to the idle list, exit when idle too long.
    fn serve(&self, mailbox: &Arc<Mailbox>) {
        loop {
            for _ in 0..SPINS {
                if mailbox.has_job.load(Ordering::Relaxed) {
                    break;
                }
                thread::yield_now();
            }
            let mut slot = mailbox.lock();
            while !matches!(slot.state, State::Posted(_)) {
                slot.sleeping = true;
                let (next, timeout) = mailbox
                    .posted
                    .wait_timeout(slot, IDLE_EXIT)
                    .unwrap_or_else(PoisonError::into_inner);
                slot = next;
                slot.sleeping = false;
                if timeout.timed_out()
                    && !matches!(slot.state, State::Posted(_))
                    && self.retire(mailbox)
                {
                    return;
                }
            }
            let State::Posted(job) = mem::replace(&mut slot.state, State::Running) else {
                unreachable!("the loop above leaves only on a posted job");
            };
            mailbox.has_job.store(false, Ordering::Relaxed);
            drop(slot);
            // `work` catches its panics; this is a second net so that the latch always counts.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| (job.work)(job.index)));
            // Idle again *before* the caller is released, so that its next run finds this
            // thread instead of spawning another.
            mailbox.lock().state = State::Empty;
            self.make_idle(mailbox.clone());
            job.latch.count_down();
        }
    }

    fn make_idle(&self, mailbox: Arc<Mailbox>) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(mailbox);
    }

    /// Takes an idle thread's mailbox out of the idle list so that it can exit; `false` if a
    /// caller has already taken it (a job is on its way).
    fn retire(&self, mailbox: &Arc<Mailbox>) -> bool {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        match idle.iter().position(|m| Arc::ptr_eq(m, mailbox)) {
            Some(at) => {
                idle.swap_remove(at);
                true
            }
            None => false,
        }
    }
}
