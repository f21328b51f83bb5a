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
//! An item keeps its input slot until the step that consumed it ends, and its output has a
//! reserved slot before it exists, so the items alive at any moment are at most the sum of the
//! queue capacities.
//!
//! # Item accounting
//!
//! A step that may emit `k` outputs per input (`Sender::COPIES`, the fan-out degree) first
//! counts `room × (k − 1)` items in, then settles at the end: every skipped input (a filter) and
//! every unused room is uncounted. A sink has `k = 0`: each input it consumes is uncounted.

use core::mem::size_of;

use crate::graph::{Cx, NodeId};
use crate::limit::Limit;
use crate::outbox::{Outbox, SMALL_ITEM};
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;
use crate::share;
use crate::stage::{Flow, Stage, StageMut};

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

/// A stateless stage that any number of workers run at once (or at most a limit of them: see
/// [`run_parallel_limited`]).
#[derive(Debug)]
pub struct ParallelNode<S> {
    stage: S,
    inside: Limit,
}

impl<S> ParallelNode<S> {
    /// A parallel node running `stage`.
    pub fn new(stage: S) -> Self {
        ParallelNode {
            stage,
            inside: Limit::new(),
        }
    }

    /// The stage, to wrap it.
    pub fn into_stage(self) -> S {
        self.stage
    }

    pub(crate) fn stage(&self) -> &S {
        &self.stage
    }
}

/// A stateful stage, run by one worker at a time (a serial middle stage or a sink).
#[derive(Debug)]
pub struct SerialNode<S> {
    stage: Serial<S>,
}

impl<S> SerialNode<S> {
    /// A serial node running `stage`.
    pub fn new(stage: S) -> Self {
        SerialNode {
            stage: Serial::new(stage),
        }
    }

    pub(crate) fn stage(&self) -> &Serial<S> {
        &self.stage
    }

    /// The stage, to wrap it.
    pub fn into_stage(self) -> S {
        self.stage.into_inner()
    }
}

/// A node that produces items: an iterator source or a split source.
pub trait SourceStep {
    /// What it sends.
    type Out;
    /// One step: produce up to a batch of items into `out`.
    fn step<S: Sender<Self::Out>>(&self, this: NodeId, out: S, cx: &mut Cx<'_>) -> bool;
}

impl<I: Iterator> SourceStep for SourceNode<I> {
    type Out = I::Item;
    #[inline]
    fn step<S: Sender<I::Item>>(&self, this: NodeId, out: S, cx: &mut Cx<'_>) -> bool {
        run_iter_source(this, self, out, cx)
    }
}

/// One step of source `this`, whatever kind of source it is.
#[inline]
pub fn run_source<N: SourceStep, S: Sender<N::Out>>(
    this: NodeId,
    node: &N,
    out: S,
    cx: &mut Cx<'_>,
) -> bool {
    node.step(this, out, cx)
}

/// One step of iterator source `this`: produce up to a batch of items into `out`.
fn run_iter_source<I, S>(this: NodeId, node: &SourceNode<I>, out: S, cx: &mut Cx<'_>) -> bool
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
        cx.count_blocked(this);
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let (produced, exhausted) = if size_of::<I::Item>() <= SMALL_ITEM {
        produce::<I, S, BATCH>(iter, &out, room)
    } else {
        produce::<I, S, 1>(iter, &out, room)
    };
    if exhausted {
        *claim = None; // drop the iterator now, not when the graph goes
    }
    cx.count(this, 0, produced);
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

/// Takes up to `room` items from `iter` into `out`, `B` at a time; returns how many, and
/// whether `iter` ran out. Not inlined for `B > 1`, like [`batch_of`].
#[cfg_attr(not(loom), inline(never))]
fn produce<I: Iterator, S: Sender<I::Item>, const B: usize>(
    iter: &mut I,
    out: &S,
    room: usize,
) -> (usize, bool) {
    let mut outbox = Outbox::<I::Item, B>::new();
    let mut produced = 0;
    while produced < room {
        let Some(item) = iter.next() else {
            out.push_all(&mut outbox);
            return (produced, true);
        };
        let _ = outbox.push(item); // cannot fail: flushed when full below
        produced += 1;
        if outbox.room() == 0 {
            out.push_all(&mut outbox);
        }
    }
    out.push_all(&mut outbox);
    (produced, false)
}

/// One step of parallel node `this`: a share of the queued items through `node`.
pub fn run_parallel<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &ParallelNode<St>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: Stage<I>,
    S: Sender<St::Out>,
{
    if input.is_empty() {
        return false;
    }
    let claims = Claims::Share { limit: usize::MAX };
    batch(this, input, out, cx, claims, |item, _| {
        node.stage.call(item)
    })
}

/// One step of parallel node `this`, whose steps — so whose calls — run at most `limit` at a
/// time (`limit.rs`). A worker that finds `limit` steps inside does other work; the next step
/// to leave notifies the node.
pub fn run_parallel_limited<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &ParallelNode<St>,
    limit: usize,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: Stage<I>,
    S: Sender<St::Out>,
{
    if input.is_empty() || !node.inside.try_enter(limit) {
        return false;
    }
    let worked = batch(this, input, out, cx, Claims::Share { limit }, |item, _| {
        node.stage.call(item)
    });
    if node.inside.leave() {
        cx.notify(this);
    }
    worked
}

/// One step of serial node `this`: up to a batch of items from `input` through `node`, whose
/// state this worker claims for the step (or leaves at once if another worker has it).
pub fn run_serial<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &SerialNode<St>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<I>,
    S: Sender<St::Out>,
{
    if input.is_empty() {
        return false;
    }
    let Some(mut stage) = node.stage.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        // A stage that stopped the run (a sink's `Break`, an error) set the phase before it let
        // go of this claim (in `batch`), so a stopped serial stage is never called again.
        return false;
    }
    let worked = batch(this, input, out, cx, Claims::All, |item, _| {
        stage.call_mut(item)
    });
    if stage.release() {
        cx.notify(this);
    }
    worked
}

/// How much of its input queue a step claims at once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Claims {
    /// A serial node, the only consumer of its queue: a whole batch.
    All,
    /// A parallel node whose steps run at most `limit` at a time: its share of what is queued
    /// (`share.rs`).
    Share {
        /// The concurrency limit (`usize::MAX` for none).
        limit: usize,
    },
}

impl Claims {
    /// How many workers share the queue.
    #[inline]
    fn sharers(limit: usize, cx: &Cx<'_>) -> usize {
        cx.workers().min(limit)
    }

    /// How much room downstream a step reserves.
    #[inline]
    fn room<const N: usize>(self, cx: &Cx<'_>) -> usize {
        match self {
            Claims::All => BATCH,
            Claims::Share { limit } => share::room::<N>(Self::sharers(limit, cx)),
        }
    }

    /// How many of the `queued` items one claim takes, with `left` of the step's room unused.
    #[inline]
    fn size(self, queued: usize, left: usize, cx: &Cx<'_>) -> usize {
        match self {
            Claims::All => left,
            Claims::Share { limit } => share::claim(queued, left, Self::sharers(limit, cx)),
        }
    }

    /// Whether a step stops claiming more items, and hands some back, for idle workers.
    /// Not under a limit: an idle worker may not be allowed in.
    #[inline]
    fn yields_to_idle(self, cx: &Cx<'_>) -> bool {
        matches!(self, Claims::Share { limit: usize::MAX }) && cx.has_idle_workers()
    }
}

/// The common body of a node step: reserve, process, settle (module docs).
///
/// Items move through the step a batch at a time (`outbox.rs`): one claim of inputs, one claim
/// of output positions. Items bigger than [`SMALL_ITEM`] move one at a time, so that a worker's
/// stack holds at most one of them.
#[inline]
pub(crate) fn batch<I, O, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    out: S,
    cx: &mut Cx<'_>,
    claims: Claims,
    process: impl FnMut(I, &mut Cx<'_>) -> Flow<O>,
) -> bool
where
    S: Sender<O>,
{
    if size_of::<I>() <= SMALL_ITEM && size_of::<O>() <= SMALL_ITEM {
        batch_of::<I, O, S, N, BATCH>(this, input, out, cx, claims, process)
    } else {
        batch_of::<I, O, S, N, 1>(this, input, out, cx, claims, process)
    }
}

/// [`batch`] with buffers of `B` items. Not inlined for `B > 1`: its buffers must not sit in
/// the frame of a step over big items, which never calls it.
#[cfg_attr(not(loom), inline(never))]
fn batch_of<I, O, S, const N: usize, const B: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    out: S,
    cx: &mut Cx<'_>,
    claims: Claims,
    mut process: impl FnMut(I, &mut Cx<'_>) -> Flow<O>,
) -> bool
where
    S: Sender<O>,
{
    cx.count_queued(this, || input.len());
    let room = out.reserve(claims.room::<N>(cx), cx);
    if room == 0 {
        cx.count_blocked(this);
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    // `done`: inputs this step took and keeps (their slots are released at the end).
    let (mut done, mut emitted, mut handed_back) = (0, 0, false);
    let (mut inbox, mut outbox) = (Outbox::<I, B>::new(), Outbox::<O, B>::new());
    while done < room && !handed_back {
        if done > 0 && claims.yields_to_idle(cx) {
            break; // one item at a time (big items): claim no more while someone is idle
        }
        // Each claim of a step takes twice the one before, at least its share: a step that
        // keeps finding work while no one is idle grows to whole batches (`share.rs`).
        let size = claims.size(input.len(), room - done, cx).max(2 * done);
        if input.pop_many(&mut inbox, size.min(room - done)) == 0 {
            break;
        }
        done += inbox.len();
        if claims != Claims::All && !input.is_empty() {
            // More than we took: let an idle worker start on it in parallel.
            cx.offer(this);
        }
        let mut items = inbox.drain();
        while let Some(item) = items.next() {
            if items.len() > 0 && claims.yields_to_idle(cx) {
                done -= share::hand_back::<I, N, B>(&mut items, input);
                handed_back = true;
                cx.offer(this);
            }
            match process(item, cx) {
                Flow::Emit(output) => {
                    let _ = outbox.push(output); // cannot fail: at most one per input
                    emitted += 1;
                }
                Flow::Skip => {}
                Flow::Stop => {
                    // The run ends; the item counts no longer matter. The rest of the inbox and
                    // the outbox are dropped here, the queues drop what they hold.
                    cx.stop();
                    return true;
                }
            }
        }
        drop(items);
        out.push_all(&mut outbox);
    }
    cx.count(this, done, emitted);
    cx.count_left(this, || input.len());
    if input.release(done) {
        cx.wake_producers(this);
    }
    out.unreserve(room - emitted, cx);
    if emitted > 0 {
        out.notify(cx);
    }
    if done == room && !input.is_empty() {
        cx.notify(this);
    }
    let skipped = done - emitted;
    let retired = if S::COPIES == 0 {
        done
    } else {
        (room - emitted) * clones + skipped
    };
    cx.retire_items(retired);
    done > 0
}
