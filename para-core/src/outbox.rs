//! A worker's stack buffer for one batch of items: the inputs it took from a queue, or the
//! outputs it will push.
//!
//! With two or more cores the queue's hot words (its head and tail, the slots' sequence words)
//! move between caches on every access by another core. Claiming a queue position per item
//! made each item pay that transfer several times — two workers on tiny stages ran 10× slower
//! than one. A step therefore claims its inputs in one CAS ([`Queue::pop_many`]), moves them
//! into an `Outbox`, works on them, collects its outputs in another, and pushes those in one
//! claim ([`Queue::push_many`]): a batch of 32 items pays for the cross-core transfers about
//! once.
//!
//! Items in an outbox are still counted by the capacity bound: an input keeps its queue slot
//! until the step that took it ends, an output has its reserved slot before it exists.
//!
//! [`Queue::pop_many`]: crate::raw::Queue::pop_many
//! [`Queue::push_many`]: crate::raw::Queue::push_many

use core::fmt;

use crate::drop_all::drop_all;

/// The largest item (in bytes) that steps buffer in batches; a step over bigger items moves
/// them one at a time, so a worker's stack never holds more than a few KiB of them.
pub const SMALL_ITEM: usize = 128;

/// A fixed-capacity buffer of up to `B` items, on the stack.
pub struct Outbox<T, const B: usize> {
    // arrayvec does the bookkeeping, drains in place (no copy of the buffer) and drops what it
    // still holds on unwinding.
    items: arrayvec::ArrayVec<T, B>,
}

impl<T, const B: usize> Outbox<T, B> {
    /// An empty outbox.
    #[inline]
    pub const fn new() -> Self {
        Outbox {
            items: arrayvec::ArrayVec::new_const(),
        }
    }

    /// The number of items it holds.
    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds nothing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many more items fit.
    #[inline]
    pub fn room(&self) -> usize {
        B - self.items.len()
    }

    /// Adds an item; gives it back when the outbox is full.
    #[inline]
    pub fn push(&mut self, item: T) -> Result<(), T> {
        self.items.try_push(item).map_err(|full| full.element())
    }

    /// The items, in the order they were added.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// Empties the outbox, yielding its items in order. Items not consumed from the iterator
    /// are dropped with it, every one of them even if one's `Drop` panics.
    #[inline]
    pub fn drain(&mut self) -> Drain<'_, T, B> {
        Drain {
            items: self.items.drain(..),
        }
    }
}

/// The items of an [`Outbox`] being emptied ([`Outbox::drain`]).
pub struct Drain<'a, T, const B: usize> {
    items: arrayvec::Drain<'a, T, B>,
}

impl<T, const B: usize> Iterator for Drain<'_, T, B> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        self.items.next()
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.items.size_hint()
    }
}

impl<T, const B: usize> DoubleEndedIterator for Drain<'_, T, B> {
    #[inline]
    fn next_back(&mut self) -> Option<T> {
        self.items.next_back()
    }
}

impl<T, const B: usize> ExactSizeIterator for Drain<'_, T, B> {}

impl<T, const B: usize> Drop for Drain<'_, T, B> {
    fn drop(&mut self) {
        // arrayvec's own `Drain` stops at a panicking `Drop` and leaks the rest.
        drop_all(self.items.by_ref(), drop);
    }
}

impl<T, const B: usize> fmt::Debug for Drain<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain").field("len", &self.len()).finish()
    }
}

impl<T, const B: usize> Default for Outbox<T, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const B: usize> fmt::Debug for Outbox<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("len", &self.items.len())
            .field("capacity", &B)
            .finish()
    }
}
