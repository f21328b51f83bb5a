//! The node kinds and the step each one runs: at most one batch, never blocking.
//!
//! Every step follows the same order, which is what keeps memory bounded and the graph free of
//! deadlock:
//!
//! 1. claim the node if it is serial (a failed claim returns at once, see `serial.rs`);
//! 2. reserve room downstream (none: return; the full queue wakes this node when it drains);
//! 3. pop and process items one at a time, pushing each output into the reserved room, so a
//!    worker never holds an item it has nowhere to put;
//! 4. release the emptied input slots (waking blocked producers), give back unused
//!    reservations, notify the consumers, and notify this node again if work remains.
//!
//! Items alive at any moment are therefore at most the sum of the queue capacities, plus one
//! item per worker inside a sink (popped, not yet consumed) — see the crate docs for the bound.

use crate::graph::{Cx, NodeId};
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;

/// The most items one step handles. Amortises the per-step cost (claims, reservations,
/// notifications) without letting one worker hoard a queue.
pub const BATCH: usize = 32;

/// A source: an iterator drained by one worker at a time.
#[derive(Debug)]
pub struct SourceNode<I> {
    iter: Serial<Option<I>>,
}

impl<I: Iterator> SourceNode<I> {
    /// A source producing the items of `iter`.
    pub fn new(iter: I) -> Self {
        SourceNode {
            iter: Serial::new(Some(iter)),
        }
    }
}

/// A stateless stage that any number of workers run at once.
#[derive(Debug)]
pub struct ParallelNode<F> {
    f: F,
}

impl<F> ParallelNode<F> {
    /// A parallel stage running `f`.
    pub fn new(f: F) -> Self {
        ParallelNode { f }
    }
}

/// A stateful final stage, run by one worker at a time.
#[derive(Debug)]
pub struct SinkNode<F> {
    f: Serial<F>,
}

impl<F> SinkNode<F> {
    /// A sink running `f`.
    pub fn new(f: F) -> Self {
        SinkNode { f: Serial::new(f) }
    }
}

/// What a sink's closure may return.
#[diagnostic::on_unimplemented(
    message = "a pipeline's sink must return `()`, but this one returns `{Self}`",
    label = "the last node of a chain is its sink; it consumes items and returns nothing",
    note = "end the closure with `;` to discard the value, or add another `=>` stage"
)]
pub trait SinkOutput {}

impl SinkOutput for () {}

/// One step of source `this`: produce up to a batch of items into `out`.
pub fn run_source<I, S>(this: NodeId, node: &SourceNode<I>, out: S, cx: &mut Cx<'_>) -> bool
where
    I: Iterator,
    S: Sender<I::Item>,
{
    let Some(mut claim) = node.iter.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    let Some(iter) = claim.as_mut() else {
        let _ = claim.release(); // exhausted: nothing will ever run here again
        return false;
    };
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let mut produced = 0;
    let mut exhausted = false;
    while produced < room {
        match iter.next() {
            Some(item) => {
                out.push(item);
                produced += 1;
            }
            None => {
                exhausted = true;
                break;
            }
        }
    }
    if exhausted {
        *claim = None; // drop the iterator now, not when the graph goes
    }
    let notified = claim.release();
    out.unreserve(room - produced, cx);
    if produced > 0 {
        out.notify(cx);
    }
    if !exhausted || notified {
        cx.notify(this);
    }
    // Uncount the room we did not fill and, once, the source's own reference.
    cx.retire_items((room - produced) * S::COPIES + usize::from(exhausted));
    produced > 0 || exhausted
}

/// One step of parallel stage `this`: map up to a batch of items from `input` into `out`.
pub fn run_parallel<I, O, F, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &ParallelNode<F>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    F: Fn(I) -> O,
    S: Sender<O>,
{
    if input.is_empty() {
        return false;
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES - 1;
    cx.add_items(room * clones);
    let mut done = 0;
    while done < room {
        let Some(item) = input.pop() else { break };
        if done == 0 && !input.is_empty() {
            // More than we will take right now: let an idle worker start on it in parallel.
            cx.offer(this);
        }
        out.push((node.f)(item));
        done += 1;
    }
    if input.release(done) {
        cx.wake_producers(this);
    }
    out.unreserve(room - done, cx);
    if done > 0 {
        out.notify(cx);
    }
    if done == room && !input.is_empty() {
        cx.notify(this);
    }
    cx.retire_items((room - done) * clones);
    done > 0
}

/// One step of sink `this`: consume up to a batch of items from `input`.
pub fn run_sink<I, F, R, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &SinkNode<F>,
    cx: &mut Cx<'_>,
) -> bool
where
    F: FnMut(I) -> R,
    R: SinkOutput,
{
    if input.is_empty() {
        return false;
    }
    let Some(mut f) = node.f.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    let mut done = 0;
    while done < BATCH {
        let Some(item) = input.pop() else { break };
        (*f)(item);
        done += 1;
    }
    let notified = f.release();
    if input.release(done) {
        cx.wake_producers(this);
    }
    if notified || !input.is_empty() {
        cx.notify(this);
    }
    cx.retire_items(done);
    done > 0
}
