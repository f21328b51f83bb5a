//! Running a graph on the cores of a chip: [`Cores`], what `pipeline!` needs from a chip (lend a
//! job to every core, return when all are done with it), and two ready implementations:
//! [`Harts`], for a chip whose other cores spin on a shared table, and [`OneCore`].
//!
//! # The `Harts` protocol
//!
//! Every core but core 0 calls [`Harts::serve`] once it is up and never returns from it. Core 0
//! calls [`Harts::run`] with a closure that borrows its stack (a graph); each core calls it with
//! its index. Core 0 is the only writer of `epoch` and `job`; core `h` is the only writer of
//! `done[h]` and `online[h]`. So the protocol needs atomic loads and stores only — no
//! compare-and-swap, which thumbv6m (RP2040) lacks:
//!
//! 1. core 0 stores a pointer to a `Job` on its stack in `job`, then `epoch = e` (Release);
//! 2. core `h` sees `epoch == e` (Acquire), so it sees the job and everything core 0 wrote
//!    before (the graph's initial state); it runs the job, then stores `done[h] = e` (Release)
//!    and does not read `job` again until a later epoch;
//! 3. core 0 runs the job too, then waits until `done[h] == e` (Acquire) for every `h`: from
//!    then on no other core holds a reference into core 0's stack, and every write a core made
//!    inside the job (a sink's state, per-core counters) is visible to core 0.
//!
//! Core 0 waits for every core before it starts the next epoch, so a core sees every epoch
//! exactly once. A core that is not up yet would make `run` wait forever: call
//! [`Harts::wait_online`] before the first `run`. The atomics are `core`'s (loads and stores
//! exist on every target, with or without the `portable-atomic` feature).
//!
//! With [`Harts::sleeping`], a core with no job waits in [`Sleep::wait`] instead of spinning,
//! and `run` wakes every core after it publishes an epoch (step 1): the wake-up latches, so a
//! core that checks `epoch` just before it is published still returns from `wait` and sees it.
//!
//! Starting the other cores is the chip's business: rp2040-hal's `multicore` on the RP2040 (core
//! 1 runs `serve`), a boot loop on the hart id with RISC-V's `riscv-rt`, PSCI `CPU_ON` on
//! aarch64. `bare-metal/` has each of them, complete.

use core::fmt;
use core::hint::spin_loop;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// What runs a pipeline on the cores of a chip: `pipeline!`'s first argument on para-core alone.
///
/// # Safety
/// [`run`](Cores::run) calls `job(i)` exactly once for each `i` in `0..count()`, each on its own
/// core (or thread), and returns only after every call has returned, with every write those
/// calls made visible to the caller (a happens-before edge from each call's end to `run`'s
/// return). The job borrows the caller's stack (the graph): returning earlier, or calling it
/// again later, would let a core touch freed memory.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a set of cores to run a pipeline on",
    label = "on para-core alone, `pipeline!`'s first argument names the cores that run it",
    note = "pass `&CORES` for a `static CORES: para_core::Harts<N>` whose other cores serve it, \
            or leave the argument out to run on the calling core (a thread count is para-std's)"
)]
pub unsafe trait Cores {
    /// How many cores run each job.
    fn count(&self) -> usize;

    /// Runs `job` on every core; see the trait's safety contract.
    fn run(&self, job: &(dyn Fn(usize) + Sync));

    /// How these cores wait when they have nothing to run: `None` (the default), they spin.
    fn sleep(&self) -> Option<Sleep> {
        None
    }
}

/// How the cores of a chip wait for work instead of spinning: a pair of functions the chip
/// provides, such as `wfi` and an inter-processor interrupt on RISC-V, `wfe` and `sev` on ARM.
///
/// The contract is the one of a latch, like `std::thread::park`'s token: `wait(core)` returns
/// once a `wake()` has happened since `wait` last returned on that core, or when an interrupt
/// arrives; it may also return early for no reason. Never returning although a `wake()` came
/// would hang a run (that is why `wfi` needs the wake-up to stay pending until `wait` clears it
/// *after* `wfi` returns). `wake()` wakes every core waiting, or about to wait.
///
/// # The idle protocol (`worker.rs`)
///
/// A core that has found nothing to run for a while *announces* it (a counter, SeqCst), scans
/// every node once more, and only then calls `wait`. A core that ran something checks the
/// counter after a SeqCst fence and, if a core has announced, calls `wake`. Between the two
/// fences one of them sees the other: either the waker sees the announcement, or the waiting
/// core's last scan sees the work (a Dekker pair). The core that ends a run wakes every core
/// so that all of them return. Work that comes from outside the run — an item an interrupt
/// handler pushed into a [`Feed`](crate::Feed) — wakes the core the interrupt ran on, which then
/// finds it.
#[derive(Clone, Copy, Debug)]
pub struct Sleep {
    /// Core `core` waits until woken (contract above).
    pub wait: fn(core: usize),
    /// Wakes every waiting core.
    pub wake: fn(),
}

// SAFETY: the same cores, the same contract.
unsafe impl<C: Cores + ?Sized> Cores for &C {
    fn count(&self) -> usize {
        (**self).count()
    }

    fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        (**self).run(job)
    }

    fn sleep(&self) -> Option<Sleep> {
        (**self).sleep()
    }
}

/// The calling core alone: what `pipeline!` runs on when it is given no cores.
#[derive(Debug, Default, Clone, Copy)]
pub struct OneCore;

// SAFETY: calls `job(0)` once, on the caller's core, and returns after it.
unsafe impl Cores for OneCore {
    fn count(&self) -> usize {
        1
    }

    fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        job(0);
    }
}

/// A job as core 0 publishes it: a type-erased `&F` and the function that calls it.
struct Job {
    data: *const (),
    call: unsafe fn(*const (), usize),
}

/// Calls `*data` as an `F`.
///
/// # Safety
/// `data` must point to a live `F`.
unsafe fn call<F: Fn(usize) + Sync>(data: *const (), hart: usize) {
    // SAFETY: `run` passes a pointer to its `f: &F`, alive until every core is done (caller).
    let f = unsafe { &*data.cast::<F>() };
    f(hart);
}

/// The cores `0..N` of a chip and the job they share (module docs). Put it in a `static`.
pub struct Harts<const N: usize> {
    epoch: AtomicUsize,
    job: AtomicPtr<Job>,
    done: [AtomicUsize; N],
    online: [AtomicBool; N],
    /// Core 0 is inside `run`: a second `run` meanwhile (from a stage of the first, or from
    /// another thread on a host) would wait for cores busy with the first.
    running: AtomicBool,
    /// Core `h`'s job unwound (a panic, where panics unwind: a host): `run` reports it.
    failed: [AtomicBool; N],
    /// How idle cores wait, in a run and between runs: `None`, they spin.
    sleep: Option<Sleep>,
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
            running: AtomicBool::new(false),
            failed: [const { AtomicBool::new(false) }; N],
            sleep: None,
        }
    }

    /// `N` cores that wait with `sleep` when they have nothing to run — in a run, and in
    /// [`serve`](Self::serve) between runs — instead of spinning.
    #[must_use]
    pub const fn sleeping(sleep: Sleep) -> Self {
        let mut harts = Self::new();
        harts.sleep = Some(sleep);
        harts
    }

    /// Waits for a wake-up, or spins once.
    fn idle(&self, hart: usize) {
        match self.sleep {
            Some(sleep) => (sleep.wait)(hart),
            None => spin_loop(),
        }
    }

    /// Core `hart` (1 ≤ `hart` < `N`) serves jobs from core 0 forever.
    ///
    /// Call it once per core, after core 0 has initialised RAM (`.bss`) and before core 0's
    /// first [`run`](Self::run).
    ///
    /// # Panics
    /// If `hart` is 0 or not below `N`.
    pub fn serve(&self, hart: usize) -> ! {
        assert!(hart > 0 && hart < N, "para: serve() is for cores 1..N");
        // Epoch 0 is "no job yet": core 0's first `run` publishes epoch 1, and it cannot publish
        // epoch 2 before this core has stored `done[hart] = 1`. A core serving again after its
        // job unwound resumes after the epoch it finished.
        let mut seen = self.done[hart].load(Ordering::Relaxed);
        self.online[hart].store(true, Ordering::Release);
        loop {
            let epoch = self.epoch.load(Ordering::Acquire);
            if epoch == seen {
                // `run` wakes every core after it publishes an epoch, and the wake-up latches.
                self.idle(hart);
                continue;
            }
            let job = self.job.load(Ordering::Relaxed);
            // Stores `done` when the call returns, or when it unwinds (then as failed, and no
            // longer serving): after that store we touch nothing of core 0's until the next
            // epoch.
            let served = Served {
                harts: self,
                hart,
                epoch,
                returned: false,
            };
            // SAFETY: `epoch` changed, so core 0 is inside `run` for this epoch (step 1 of the
            // protocol): the Acquire load above makes its store of `job` visible, and core 0
            // keeps the job and the closure it points to alive until `served` stores `done`.
            unsafe { ((*job).call)((*job).data, hart) };
            served.finish();
            seen = epoch;
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
    /// If a core is not serving (see [`wait_online`](Self::wait_online)), if a run is in
    /// progress (a pipeline in a stage of another on the same cores: the cores are busy with
    /// the first, so the second would wait forever), or if `f` panics. The check of a run in
    /// progress uses loads and stores only: it catches a nested run, not every race between
    /// two callers, and only core 0 may call `run`.
    pub fn run<F: Fn(usize) + Sync>(&self, f: &F) {
        assert!(
            !self.running.load(Ordering::Relaxed),
            "para: Harts::run while a run is in progress (a pipeline inside a stage of another \
             on the same cores cannot get them; run it on `OneCore`)"
        );
        for h in 1..N {
            assert!(
                self.online[h].load(Ordering::Acquire),
                "para: core {h} is not serving"
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
        self.running.store(true, Ordering::Relaxed);
        if let Some(sleep) = self.sleep {
            (sleep.wake)();
        }
        let mut wait = WaitForAll {
            harts: self,
            epoch,
            waited: false,
        };
        f(0);
        if let Some(h) = wait.wait() {
            panic!("para: the job panicked on core {h}");
        }
    }
}

/// Core `hart`'s end of a job: stores `done` (step 2 of the protocol), as failed if the job
/// unwound.
struct Served<'a, const N: usize> {
    harts: &'a Harts<N>,
    hart: usize,
    epoch: usize,
    returned: bool,
}

impl<const N: usize> Served<'_, N> {
    fn finish(mut self) {
        self.returned = true;
    }
}

impl<const N: usize> Drop for Served<'_, N> {
    fn drop(&mut self) {
        if !self.returned {
            self.harts.failed[self.hart].store(true, Ordering::Relaxed);
            self.harts.online[self.hart].store(false, Ordering::Relaxed);
        }
        // Release: this core's writes in the job (and the failure flag) reach core 0 with it.
        self.harts.done[self.hart].store(self.epoch, Ordering::Release);
    }
}

// SAFETY: `Harts::run` calls the job on core 0 and, through `serve`, once on each core
// `1..N`, and returns only after every `done[h]` holds its epoch (Acquire, pairing with each
// core's Release store after its call): the contract of `Cores`.
unsafe impl<const N: usize> Cores for Harts<N> {
    fn count(&self) -> usize {
        N
    }

    fn run(&self, job: &(dyn Fn(usize) + Sync)) {
        Harts::run(self, &|core| job(core));
    }

    fn sleep(&self) -> Option<Sleep> {
        self.sleep
    }
}

/// Core 0's wait for the other cores at the end of an epoch (step 3 of the protocol). It runs
/// in a drop guard too, so that even if `f` unwinds on core 0 (bare-metal targets abort on
/// panic, but a host test may unwind), `job` and `f` outlive every other core's use of them.
struct WaitForAll<'a, const N: usize> {
    harts: &'a Harts<N>,
    epoch: usize,
    waited: bool,
}

impl<const N: usize> WaitForAll<'_, N> {
    /// Waits for every core, ends the run, and returns the first core whose job panicked,
    /// clearing every such mark for the next run.
    fn wait(&mut self) -> Option<usize> {
        if self.waited {
            return None;
        }
        self.waited = true;
        let harts = self.harts;
        for h in 1..N {
            // Acquire pairs with the Release store of `done[h]` in `serve`: core h's accesses to
            // the job (and its failure mark) happen before we return and core 0's stack frame
            // (the graph) goes away.
            while harts.done[h].load(Ordering::Acquire) != self.epoch {
                spin_loop();
            }
        }
        harts.job.store(core::ptr::null_mut(), Ordering::Relaxed);
        let mut first_failed = None;
        for h in (1..N).rev() {
            // A load and a store (no read-modify-write on thumbv6m): only core 0 touches the
            // marks between runs.
            if harts.failed[h].load(Ordering::Relaxed) {
                harts.failed[h].store(false, Ordering::Relaxed);
                first_failed = Some(h);
            }
        }
        harts.running.store(false, Ordering::Relaxed);
        first_failed
    }
}

impl<const N: usize> Drop for WaitForAll<'_, N> {
    fn drop(&mut self) {
        // Unwinding with core 0's own panic: the others' marks are cleared, not reported.
        let _ = self.wait();
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
