//! The one place para-core takes its atomics from.
//!
//! Every other module imports `crate::sync::*`, so switching the whole engine to
//! `portable-atomic` (chips without compare-and-swap, such as the Cortex-M0+ of the RP2040)
//! or to loom (model checking, `--cfg loom`) is a change of this file only.
//!
//! The queue's slots also take their [`UnsafeCell`] from here, so that under loom every access
//! to a slot's value is checked against the happens-before order the slot protocol promises. (A
//! [`Serial`](crate::raw::Serial)'s value is reached through references (`Deref`), which loom's cell
//! cannot track; the loom model of the claim keeps the node's state in a loom cell instead.)

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(all(not(loom), feature = "portable-atomic"))]
pub(crate) use portable_atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// `core::cell::UnsafeCell` behind loom's closure-based interface: an access is a call to
/// [`with`](UnsafeCell::with) (read) or [`with_mut`](UnsafeCell::with_mut) (write) and lasts for
/// the call. Without loom this compiles to the bare cell.
#[cfg(not(loom))]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline]
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(value))
    }

    /// Reads through the pointer `f` receives; the caller's protocol rules out concurrent writes.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Writes through the pointer `f` receives; the caller's protocol makes this access exclusive.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// A hint to the processor that we are in a spin-wait loop.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}
