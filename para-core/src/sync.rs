//! The one place para-core takes its atomics from.
//!
//! Every other module imports `crate::sync::*`, so switching the whole engine to
//! `portable-atomic` (chips without compare-and-swap, such as the Cortex-M0+ of the RP2040)
//! or to loom (model checking, `--cfg loom`) is a change of this file only.

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(all(not(loom), feature = "portable-atomic"))]
pub(crate) use portable_atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// A hint to the processor that we are in a spin-wait loop.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}
