//! Exclusive, non-blocking access to the state of a stateful node.
//!
//! A serial node (a stateful sink, a source iterator) is run by one worker at a time. A worker
//! *tries* to claim it; if another worker holds it, the attempt fails at once and the worker does
//! other work. Nothing ever waits for a claim.
//!
//! # States
//!
//! ```text
//!            try_claim ok                  try_claim fails
//!   FREE ─────────────────▶ HELD ───────────────────────────▶ HELD_NOTIFIED
//!    ▲                       │                                     │
//!    └──── release: false ───┘ ◀─────────── release: true ─────────┘
//! ```
//!
//! A failed claim leaves a note (HELD → HELD_NOTIFIED, a Release RMW) instead of simply giving
//! up, and `release` (an AcqRel swap back to FREE) reports that note. Whatever the failed
//! claimant had seen — typically, items pushed into the node's queue that it was told about —
//! is then visible to the holder, which schedules the node again. So a failed claim can never
//! lose work, without any SeqCst fence.
//!
//! A claimant that finds the note already there writes it again (HELD_NOTIFIED →
//! HELD_NOTIFIED, also a Release RMW) rather than leaving on the strength of a load: a load
//! would not order its own earlier writes before the holder's `release`, so the holder could
//! re-run the node without seeing the items this claimant was told about, and lose them (the
//! loom model in `tests/loom.rs` finds that with three workers).

use core::cell::UnsafeCell;
use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::sync::{AtomicU8, Ordering};

const FREE: u8 = 0;
const HELD: u8 = 1;
const HELD_NOTIFIED: u8 = 2;

/// A value that at most one worker uses at a time, claimed without blocking.
pub struct Serial<S> {
    state: AtomicU8,
    value: UnsafeCell<S>,
}

// SAFETY: the value is only reached through a `Claim`, and at most one `Claim` exists at a time
// (the FREE → HELD CAS); moving access between threads needs `S: Send`, never `S: Sync`.
unsafe impl<S: Send> Sync for Serial<S> {}

impl<S> Serial<S> {
    /// Wraps `value`, initially unclaimed.
    #[cfg(not(loom))]
    pub const fn new(value: S) -> Self {
        Serial {
            state: AtomicU8::new(FREE),
            value: UnsafeCell::new(value),
        }
    }

    /// Wraps `value`, initially unclaimed. (Not `const` under loom, whose atomics are not.)
    #[cfg(loom)]
    pub fn new(value: S) -> Self {
        Serial {
            state: AtomicU8::new(FREE),
            value: UnsafeCell::new(value),
        }
    }

    /// Claims the value, or returns `None` at once if another worker holds it (leaving it a
    /// note so that it re-schedules the node when it lets go).
    pub fn try_claim(&self) -> Option<Claim<'_, S>> {
        let mut seen = FREE;
        loop {
            let outcome = if seen == FREE {
                self.state
                    .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            } else {
                // HELD → HELD_NOTIFIED, or HELD_NOTIFIED → HELD_NOTIFIED: a note that is already
                // there is written again, never just read (module docs).
                self.state.compare_exchange(
                    seen,
                    HELD_NOTIFIED,
                    Ordering::Release,
                    Ordering::Relaxed,
                )
            };
            match (seen, outcome) {
                (FREE, Ok(_)) => return Some(Claim { cell: self }),
                (_, Ok(_)) => return None,
                (_, Err(now)) => seen = now,
            }
        }
    }

    /// The value, through a unique borrow of the cell (so no claim can exist).
    pub fn get_mut(&mut self) -> &mut S {
        self.value.get_mut()
    }

    /// Consumes the cell and returns the value.
    pub fn into_inner(self) -> S {
        self.value.into_inner()
    }
}

impl<S> fmt::Debug for Serial<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serial")
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Exclusive access to a [`Serial`] value. Let go with [`release`](Claim::release).
pub struct Claim<'a, S> {
    cell: &'a Serial<S>,
}

impl<S> Claim<'_, S> {
    /// Lets go of the value. Returns `true` if another worker failed to claim it meanwhile: the
    /// caller must then make sure the node runs again.
    pub fn release(self) -> bool {
        let notified = self.cell.state.swap(FREE, Ordering::AcqRel) == HELD_NOTIFIED;
        core::mem::forget(self);
        notified
    }
}

impl<S> Deref for Claim<'_, S> {
    type Target = S;
    fn deref(&self) -> &S {
        // SAFETY: a `Claim` exists only between a successful FREE → HELD CAS and the swap back
        // to FREE in `release`/`drop`, so it is the only access to the value.
        unsafe { &*self.cell.value.get() }
    }
}

impl<S> DerefMut for Claim<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique within this claim too.
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<S> Drop for Claim<'_, S> {
    /// Reached when a claim is dropped instead of released: unwinding out of a node (a panic),
    /// or a step that finds the run already ended right after claiming. Either way the run is
    /// over, so the note does not matter; the value just becomes claimable again (for its
    /// destructor).
    fn drop(&mut self) {
        self.cell.state.swap(FREE, Ordering::Release);
    }
}

impl<S> fmt::Debug for Claim<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim").finish_non_exhaustive()
    }
}
