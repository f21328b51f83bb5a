//! Drop loops that survive a panicking `Drop`.
//!
//! A queue, a window or a source that still holds items when a run ends drops them in a loop.
//! If one item's `Drop` panics, a plain loop stops there and leaks every item after it (and, for
//! an owned buffer, the buffer). [`drop_all`] keeps going, as `Vec` does: the panic unwinds
//! through a guard that drops the rest, then goes on to the caller. A second panic while the
//! first unwinds aborts the process, which is what Rust does for `Vec` and arrays too.

/// Calls `drop_one` on every item `items` yields, also after a call panics: the remaining
/// items are still passed to `drop_one` while the first panic unwinds.
pub(crate) fn drop_all<I: Iterator, F: FnMut(I::Item)>(mut items: I, mut drop_one: F) {
    drop_rest(&mut items, &mut drop_one);
}

fn drop_rest<I: Iterator, F: FnMut(I::Item)>(items: &mut I, drop_one: &mut F) {
    /// Dropped only when `drop_one` unwinds: carries on with the items after the one that
    /// panicked.
    struct Rest<'a, I: Iterator, F: FnMut(I::Item)> {
        items: &'a mut I,
        drop_one: &'a mut F,
    }
    impl<I: Iterator, F: FnMut(I::Item)> Drop for Rest<'_, I, F> {
        fn drop(&mut self) {
            drop_rest(self.items, self.drop_one);
        }
    }

    while let Some(item) = items.next() {
        let rest = Rest {
            items: &mut *items,
            drop_one: &mut *drop_one,
        };
        (rest.drop_one)(item);
        core::mem::forget(rest); // no panic: the loop goes on by itself
    }
}
