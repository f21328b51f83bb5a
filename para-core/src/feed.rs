//! [`Feed`]: a source that never ends by itself, fed from outside the run — an interrupt
//! handler pushing ADC samples, another core, another thread — until someone closes it.
//!
//! A feed is a bounded queue (para-core's own edge queue, `queue.rs`) and a `closed` flag, meant
//! for a `static`. Producers call [`Feed::push`] (any number of them, from any context: it never
//! waits); a pipeline whose source is `&FEED` takes what has arrived at each step and, when the
//! feed is empty, reports no progress instead of ending, so the workers do other work or wait
//! (see [`Cores::idle`](crate::Cores::idle)). [`Feed::close`] ends it: the run takes what is
//! still queued, then the source ends and the run finishes as any run does, every item counted.
//!
//! # Protocol: nothing lost between producer and run
//!
//! * `push` reserves a slot (a counter) and stores the item before it returns `Ok`; an item the
//!   feed has no room for, or that comes after `close`, is handed back (`Err`), never dropped
//!   silently. The producer decides: count it, retry later.
//! * The source pops in order. When a pop finds nothing it loads `closed` (Acquire) and, if set,
//!   pops once more: every push that returned before `close` (Release) was stored before the
//!   flag, so that last pop sees it. Only then does the source end.
//! * A push that runs *concurrently* with `close` may land or be handed back; one that lands
//!   after the source has ended stays in the feed and is dropped with it (the feed's `Drop`), so
//!   every value is dropped once. Close from the producer itself (the handler that pushed the
//!   last sample) to rule that race out.
//!
//! One consumer at a time: the source node claims the feed for its run and the claim is given
//! back when the node goes, so a second run on the same feed at once fails (a panic with a
//! message), never steals items.
//!
//! # Scheduling
//!
//! A source with nothing to take returns "no progress". The scanning loop (bare metal) comes
//! back to it on its next round, so nothing needs to wake it; a scheduler that only runs nodes
//! it was told about (para-std) gets it back through [`Cx::poll_later`], behind its other
//! work and without waking a sleeping worker: para-std then keeps about one worker polling
//! while the feed is empty (measured: one core of CPU time; waking a worker per poll kept
//! every core busy).
//!
//! Cores that sleep when idle ([`Sleep`](crate::Sleep)) must be woken when something arrives.
//! An interrupt handler does that by itself: it runs on a core, which leaves `wfi` and then
//! scans the feed. A producer that is not one of the run's cores (another thread, a core
//! outside the run) calls the chip's `wake` after `push` and after `close`.

use core::fmt;

use crate::graph::{Cx, NodeId};
use crate::node::{SourceStep, BATCH};
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;
use crate::split::Emit;
use crate::sync::{AtomicBool, Ordering};

/// A bounded queue of up to `N` items that producers outside the run fill and a pipeline
/// drains, until it is closed (module docs). Put it in a `static`.
///
/// ```
/// use para_core::Feed;
///
/// static SAMPLES: Feed<u16, 8> = Feed::new();
///
/// // In the producer (an interrupt handler): hand over a sample, or learn that the feed is full.
/// assert_eq!(SAMPLES.push(1), Ok(()));
/// SAMPLES.close(); // no more: the run drains the feed and returns
/// assert_eq!(SAMPLES.push(2), Err(2));
/// ```
pub struct Feed<T, const N: usize> {
    queue: Queue<T, N>,
    closed: AtomicBool,
    /// A run's source holds the feed (one consumer at a time).
    held: AtomicBool,
}

impl<T, const N: usize> Feed<T, N> {
    /// An open, empty feed.
    #[cfg(not(loom))]
    #[allow(clippy::new_without_default)]
    #[must_use]
    pub const fn new() -> Self {
        Feed {
            queue: Queue::new(),
            closed: AtomicBool::new(false),
            held: AtomicBool::new(false),
        }
    }

    /// An open, empty feed (loom's atomics have no `const` constructor).
    #[cfg(loom)]
    #[allow(clippy::new_without_default)]
    #[must_use]
    pub fn new() -> Self {
        Feed {
            queue: Queue::new(),
            closed: AtomicBool::new(false),
            held: AtomicBool::new(false),
        }
    }

    /// Hands `item` to the run; gives it back if the feed is full or closed. Never waits, so it
    /// may be called from an interrupt handler.
    pub fn push(&self, item: T) -> Result<(), T> {
        if self.closed.load(Ordering::Acquire) || self.queue.reserve(1) == 0 {
            return Err(item);
        }
        self.queue.push_reserved(item);
        Ok(())
    }

    /// No more items: the run takes what is queued, then its source ends. Pushes after this
    /// are handed back.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Items queued and not yet taken by the run.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl<T, const N: usize> fmt::Debug for Feed<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed")
            .field("len", &self.len())
            .field("capacity", &N)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The source node of a run fed by a [`Feed`]: `E` numbers the items for an ordered stage.
pub struct FeedNode<'f, T, const N: usize, E> {
    feed: &'f Feed<T, N>,
    /// The next item's number, and whether the source has ended.
    state: Serial<(u64, bool)>,
    emit: core::marker::PhantomData<fn() -> E>,
}

impl<'f, T, const N: usize, E> FeedNode<'f, T, N, E> {
    /// The source of a run over `feed`.
    ///
    /// # Panics
    /// If another run's source holds `feed`.
    pub fn new(feed: &'f Feed<T, N>) -> Self {
        assert!(
            !feed.held.swap(true, Ordering::Acquire),
            "para: a Feed is drained by one run at a time, and another run holds this one"
        );
        FeedNode {
            feed,
            state: Serial::new((0, false)),
            emit: core::marker::PhantomData,
        }
    }
}

impl<T, const N: usize, E> Drop for FeedNode<'_, T, N, E> {
    fn drop(&mut self) {
        self.feed.held.store(false, Ordering::Release);
    }
}

impl<T, const N: usize, E> fmt::Debug for FeedNode<'_, T, N, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedNode").field("feed", self.feed).finish()
    }
}

impl<T, const N: usize, E: Emit<T>> SourceStep for FeedNode<'_, T, N, E> {
    type Out = E::Out;

    fn step<S: Sender<E::Out>>(&self, this: NodeId, out: S, cx: &mut Cx<'_>) -> bool {
        let Some(mut claim) = self.state.try_claim() else {
            return false; // the holder is told and re-notifies us
        };
        let (next, ended) = &mut *claim;
        if *ended {
            let _ = claim.release();
            return false;
        }
        let room = out.reserve(BATCH, cx);
        if room == 0 {
            cx.count_blocked(this);
            if claim.release() {
                cx.notify(this);
            }
            return false; // the full queue wakes us when it drains
        }
        cx.add_items(room * S::COPIES);
        let mut taken = 0;
        while taken < room {
            let item = match self.feed.queue.pop() {
                Some(item) => item,
                // Closed and empty only counts after one more pop (module docs).
                None if self.feed.is_closed() => match self.feed.queue.pop() {
                    Some(item) => item,
                    None => {
                        *ended = true;
                        break;
                    }
                },
                None => break,
            };
            out.push(E::wrap_seq(*next, item));
            *next += 1;
            taken += 1;
        }
        let ended = *ended;
        cx.count(this, 0, taken);
        let notified = claim.release();
        // Producers outside the run never wait for room (a full feed hands the item back), so
        // there is nobody to wake.
        let _ = self.feed.queue.release(taken);
        out.unreserve(room - taken, cx);
        if taken > 0 {
            out.notify(cx);
        }
        if !ended {
            if taken > 0 || notified {
                cx.notify(this);
            } else {
                cx.poll_later(this); // nothing yet: behind other work, waking nobody
            }
        }
        cx.retire_items((room - taken) * S::COPIES + usize::from(ended));
        taken > 0 || ended
    }
}
