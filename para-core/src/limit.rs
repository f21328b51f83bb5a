//! A concurrency limit on a parallel stage (`limit(8) |x| …`): at most `max` of its steps run
//! at once, so at most `max` calls (each step makes one call at a time). For stages that use a
//! scarce resource: a pool of database connections, a device with a few queues.
//!
//! Like [`Serial`](crate::raw::Serial)'s claim, which is a limit of one, entering never waits: a
//! worker that finds the limit reached leaves a note and does other work, and the next step to
//! leave sees the note and schedules the node again.
//!
//! # Protocol
//!
//! One word: the number of steps inside, times two, plus a `NOTE` bit.
//!
//! * `try_enter`: a CAS that adds one step if fewer than `max` are inside (Acquire), or else
//!   sets `NOTE` (Release) — an RMW even when `NOTE` is already set, never a plain load, for the
//!   reason `serial.rs` gives: only an RMW orders the turned-away worker's earlier writes (the
//!   items it was told about) before the leaver's RMW that reads the note.
//! * `leave`: a CAS that removes one step and clears `NOTE` (AcqRel), and reports whether the
//!   note was set; the caller then notifies the node.
//!
//! Both are RMWs on one word, so they are totally ordered: a turned-away worker's note is
//! either there when a later `leave` runs (which notifies, and the node's next run sees what
//! the worker had seen), or the `leave` ran first and freed a place, in which case the CAS of
//! `try_enter` sees a count below `max` and enters. No notification is lost.

use crate::sync::{AtomicUsize, Ordering};

const NOTE: usize = 1;
const ONE_STEP: usize = 2;

/// The steps inside a node with a concurrency limit (module docs).
#[derive(Debug)]
pub struct Limit {
    state: AtomicUsize,
}

impl Default for Limit {
    fn default() -> Self {
        Limit::new()
    }
}

impl Limit {
    /// A limit with no step inside.
    pub fn new() -> Self {
        Limit {
            state: AtomicUsize::new(0),
        }
    }

    /// Enters if fewer than `max` steps are inside; otherwise leaves a note and returns `false`.
    pub fn try_enter(&self, max: usize) -> bool {
        let mut seen = self.state.load(Ordering::Relaxed);
        loop {
            let enter = seen / ONE_STEP < max;
            let (next, order) = if enter {
                (seen + ONE_STEP, Ordering::Acquire)
            } else {
                (seen | NOTE, Ordering::Release)
            };
            match self
                .state
                .compare_exchange_weak(seen, next, order, Ordering::Relaxed)
            {
                Ok(_) => return enter,
                Err(now) => seen = now,
            }
        }
    }

    /// Leaves; returns whether a worker was turned away since the note was last taken (the
    /// caller must then notify the node).
    #[must_use]
    pub fn leave(&self) -> bool {
        let mut seen = self.state.load(Ordering::Relaxed);
        loop {
            let next = (seen - ONE_STEP) & !NOTE;
            match self
                .state
                .compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return seen & NOTE != 0,
                Err(now) => seen = now,
            }
        }
    }
}
