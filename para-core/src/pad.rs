//! Cache-line padding for the hot atomics of a queue.
//!
//! Written here rather than taken from crossbeam-utils because the right amount differs for
//! para's targets: on desktop and server cores two neighbouring lines are prefetched together
//! (128 bytes), while microcontrollers have no data cache at all and every padding byte is
//! RAM the graph's `size_of` pays for.

use core::ops::Deref;

/// Aligns and pads `T` to the destructive-interference size of the target.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(
    all(
        not(any(target_arch = "x86_64", target_arch = "aarch64")),
        not(target_os = "none")
    ),
    repr(align(64))
)]
#[derive(Debug, Default)]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}
