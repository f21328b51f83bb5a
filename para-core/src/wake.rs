//! Wakers for async stages (`async_node.rs`) when the scheduler has none of its own.
//!
//! A [`Waker`] may outlive the run whose future it was given to: a device driver or an
//! interrupt handler keeps it in a `static` and calls it late, after the graph's memory is gone.
//! So a waker must never point into the graph. The wakers made here point at nothing at all:
//! waking one adds 1 to a process-wide counter, [`WAKES`], and that is all it does. An async
//! node remembers the count it last saw; when the count has moved it polls every future it
//! holds (a spurious poll is harmless: a future that is not ready says so). A scheduler that
//! serves every node in turn ([`Scan`](crate::Scan), the cores of a chip) comes back to the
//! node by itself, so nothing else is needed; para-std's workers, which only run nodes they
//! were told about, give each async node a waker of their own ([`Scheduler::waker`]).
//!
//! # Memory ordering
//!
//! Whoever makes a future ready (a device, an interrupt handler) stores that, then wakes: the
//! increment is a Release RMW. A node reads the counter (Acquire) *before* it polls. If a poll
//! missed a readiness, the increment that followed it was not yet seen by that read, so the
//! count the node keeps is older than the counter, and its next step polls again.
//!
//! [`Scheduler::waker`]: crate::Scheduler::waker

use core::task::{RawWaker, RawWakerVTable, Waker};

use crate::sync::{AtomicUsize, Ordering};

/// How many times a waker of this module has been woken, ever (wrapping).
#[cfg(not(loom))]
pub(crate) static WAKES: AtomicUsize = AtomicUsize::new(0);

#[cfg(loom)]
loom::lazy_static! {
    pub(crate) static ref WAKES: AtomicUsize = AtomicUsize::new(0);
}

/// The counter's value now, to compare with the one a node saw at its last poll.
#[inline]
pub(crate) fn wakes() -> usize {
    WAKES.load(Ordering::Acquire)
}

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(_data: *const ()) {
    WAKES.fetch_add(1, Ordering::Release);
}

fn drop(_data: *const ()) {}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);

/// A waker that bumps [`WAKES`]: it holds no pointer, so it may live and be called forever.
pub(crate) fn counting_waker() -> Waker {
    // SAFETY: the vtable's functions never read `data` (a null pointer), are thread-safe (one
    // atomic RMW on a static, or nothing) and `clone` returns a waker of the same vtable: the
    // contract of `RawWaker` holds for any number of clones, on any thread, at any time.
    unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) }
}
