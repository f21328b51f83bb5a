//! Runs one closure on every core of a bare-metal chip, the way `std::thread::scope` runs one on
//! every thread: core 0 lends the others a reference to something on its own stack (a para
//! graph) and does not return until every core has finished with it.
//!
//! Every core but core 0 calls [`Harts::serve`] once it is up and never returns from it. Core 0
//! calls [`Harts::run`] with a closure; each core calls it with its index, typically
//! `|_| { graph.work(); }`.
//!
//! # Protocol
//!
//! Core 0 is the only writer of `epoch` and `job`; core `h` is the only writer of `done[h]` and
//! `online[h]`. So the protocol needs atomic loads and stores only — no compare-and-swap, which
//! thumbv6m (RP2040) lacks:
//!
//! 1. core 0 stores a pointer to a [`Job`] on its stack in `job`, then `epoch = e` (Release);
//! 2. core `h` sees `epoch == e` (Acquire), so it sees the job and everything core 0 wrote
//!    before (the graph's initial state); it runs the job, then stores `done[h] = e` (Release)
//!    and does not read `job` again until a later epoch;
//! 3. core 0 runs the job too, then waits until `done[h] == e` (Acquire) for every `h`: from
//!    then on no other core holds a reference into core 0's stack, and every write a core made
//!    inside the job (a sink's state, per-core counters) is visible to core 0.
//!
//! Core 0 waits for every core before it starts the next epoch, so a core sees every epoch
//! exactly once. A core that is not up yet would make `run` wait forever: call
//! [`Harts::wait_online`] before the first `run`.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

use core::fmt;
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// A job as core 0 publishes it: a type-erased `&F` and the function that calls it.
struct Job {
    data: *const (),
    call: unsafe fn(*const (), usize),
}

/// Calls `*data` as an `F`.
///
/// # Safety
///
/// `data` must point to a live `F`.
unsafe fn call<F: Fn(usize) + Sync>(data: *const (), hart: usize) {
    // SAFETY: `run` passes a pointer to its `f: &F`, alive until every core is done (caller).
    let f = unsafe { &*data.cast::<F>() };
    f(hart);
}

/// The cores `0..N` of a chip and the job they share. Put it in a `static`.
pub struct Harts<const N: usize> {
    epoch: AtomicUsize,
    job: AtomicPtr<Job>,
    done: [AtomicUsize; N],
    online: [AtomicBool; N],
}

impl<const N: usize> Harts<N> {
    /// `N` cores, none serving yet.
    #[allow(clippy::new_without_default)]
    #[must_use]
    pub const fn new() -> Self {
        Harts {
            epoch: AtomicUsize::new(0),
            job: AtomicPtr::new(core::ptr::null_mut()),
            done: [const { AtomicUsize::new(0) }; N],
            online: [const { AtomicBool::new(false) }; N],
        }
    }

    /// The number of cores, `N`.
    pub const fn count(&self) -> usize {
        N
    }

    /// Core `hart` (1 ≤ `hart` < `N`) serves jobs from core 0 forever.
    ///
    /// Call it once per core, after core 0 has initialised RAM (`.bss`) and before core 0's
    /// first [`run`](Self::run).
    ///
    /// # Panics
    ///
    /// If `hart` is 0 or not below `N`.
    pub fn serve(&self, hart: usize) -> ! {
        assert!(
            hart > 0 && hart < N,
            "para-harts: serve() is for cores 1..N"
        );
        self.online[hart].store(true, Ordering::Release);
        // Epoch 0 is "no job yet": core 0's first `run` publishes epoch 1, and it cannot publish
        // epoch 2 before this core has stored `done[hart] = 1`.
        let mut seen = 0;
        loop {
            let epoch = self.epoch.load(Ordering::Acquire);
            if epoch == seen {
                spin_loop();
                continue;
            }
            let job = self.job.load(Ordering::Relaxed);
            // SAFETY: `epoch` changed, so core 0 is inside `run` for this epoch (step 1 of the
            // protocol): the Acquire load above makes its store of `job` visible, and core 0
            // keeps the job and the closure it points to alive until we store `done` below.
            unsafe { ((*job).call)((*job).data, hart) };
            seen = epoch;
            // After this store we touch nothing of core 0's until the next epoch.
            self.done[hart].store(epoch, Ordering::Release);
        }
    }

    /// Core 0: waits until every other core is serving, spinning at most about `spins` times.
    /// Returns how many cores (core 0 included) are serving.
    pub fn wait_online(&self, spins: usize) -> usize {
        let mut left = spins;
        loop {
            let up = 1
                + (1..N)
                    .filter(|&h| self.online[h].load(Ordering::Acquire))
                    .count();
            if up == N || left == 0 {
                return up;
            }
            left -= 1;
            spin_loop();
        }
    }

    /// Core 0: runs `f(h)` on every core `h` in `0..N` and returns when all have returned.
    ///
    /// `f` may borrow anything on core 0's stack, like a closure given to
    /// `std::thread::scope`'s threads.
    ///
    /// # Panics
    ///
    /// If a core is not serving (see [`wait_online`](Self::wait_online)), or if `f` panics.
    pub fn run<F: Fn(usize) + Sync>(&self, f: &F) {
        for h in 1..N {
            assert!(
                self.online[h].load(Ordering::Acquire),
                "para-harts: core {h} is not serving"
            );
        }
        let job = Job {
            data: (f as *const F).cast(),
            call: call::<F>,
        };
        // Only core 0 writes `epoch`: a load and a store replace a fetch_add (no CAS on thumbv6m).
        let epoch = self.epoch.load(Ordering::Relaxed).wrapping_add(1);
        self.job
            .store(&job as *const Job as *mut Job, Ordering::Relaxed);
        // Release: publishes `job`, `f` and all of core 0's writes before this point.
        self.epoch.store(epoch, Ordering::Release);

        // The wait runs in a drop guard, so that even if `f` unwinds on this core (bare-metal
        // targets abort on panic, but a host test may unwind), `job` and `f` outlive every other
        // core's use of them.
        let _wait = WaitForAll { harts: self, epoch };
        f(0);
    }
}

/// Core 0's wait for the other cores at the end of an epoch (step 3 of the protocol).
struct WaitForAll<'a, const N: usize> {
    harts: &'a Harts<N>,
    epoch: usize,
}

impl<const N: usize> Drop for WaitForAll<'_, N> {
    fn drop(&mut self) {
        for h in 1..N {
            // Acquire pairs with the Release store of `done[h]` in `serve`: core h's accesses to
            // the job happen before we return and core 0's stack frame (the graph) goes away.
            while self.harts.done[h].load(Ordering::Acquire) != self.epoch {
                spin_loop();
            }
        }
        self.harts
            .job
            .store(core::ptr::null_mut(), Ordering::Relaxed);
    }
}

impl<const N: usize> fmt::Debug for Harts<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harts")
            .field("cores", &N)
            .field("epoch", &self.epoch.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

// SAFETY: the raw job pointer is only dereferenced under the protocol in the module docs, which
// keeps the job alive; everything else is atomics.
unsafe impl<const N: usize> Sync for Harts<N> {}
