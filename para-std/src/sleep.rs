//! Idle workers sleep; workers that create work wake them. No spinning while idle, no lost
//! wake-up.
//!
//! # Protocol
//!
//! A worker that found no task for a while (see `worker.rs`, which spins and yields first):
//!
//! 1. reads `epoch`;
//! 2. increments `sleepers` (SeqCst), then takes one last look for a task and at the run state;
//! 3. locks, and waits on the condvar for as long as `epoch` is unchanged and the run goes on;
//! 4. decrements `sleepers`.
//!
//! A worker that has pushed a task others should take (`wake_one`) first issues a SeqCst fence,
//! then reads `sleepers`; if non-zero it bumps `epoch` and, under the lock, signals one sleeper.
//!
//! The fence in `wake_one` and the SeqCst increment plus fence in step 2 form a store-buffer
//! (Dekker) pair: either the sleeper's last look sees the pushed task, or the waker sees the
//! sleeper. In the second case the sleeper has not yet checked `epoch` under the lock (it then
//! sees the bump and does not wait) or is already waiting (the signal, sent under the same lock,
//! reaches it). Whoever is woken re-searches every deque, so it does not matter which sleeper
//! the signal reaches. The end of a run bumps `epoch` and wakes everyone.

use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Debug, Default)]
pub(crate) struct Sleep {
    sleepers: AtomicUsize,
    epoch: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Sleep {
    /// Step 1–2: announces the intention to sleep; returns the epoch to wait on. The caller
    /// must then take its last look and call either [`cancel`](Self::cancel) or
    /// [`wait`](Self::wait).
    pub(crate) fn prepare(&self) -> usize {
        let epoch = self.epoch.load(Ordering::SeqCst);
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        epoch
    }

    /// The last look found work: do not sleep.
    pub(crate) fn cancel(&self) {
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Step 3–4: sleeps until `epoch` moves on or `ended()` holds.
    pub(crate) fn wait(&self, epoch: usize, ended: impl Fn() -> bool) {
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while self.epoch.load(Ordering::SeqCst) == epoch && !ended() {
            guard = self
                .wake
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(guard);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// Wakes one sleeper, if any, to take a task just pushed.
    #[inline]
    pub(crate) fn wake_one(&self) {
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.wake.notify_one();
    }

    /// Wakes every sleeper, if any, so that one particular worker surely takes a task just
    /// pushed for it alone (`worker.rs`, "Caller tokens"); the same pairing as `wake_one`.
    pub(crate) fn wake_all_sleeping(&self) {
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.wake_all();
    }

    /// Wakes every sleeper: the run has ended.
    pub(crate) fn wake_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.wake.notify_all();
    }
}
