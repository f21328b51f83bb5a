//! The steps of ordered stages that are not flat-maps, and what every ordered step shares: its
//! start ([`begin`]) and its end ([`settle`]). Module docs of `ordered`.

use super::consume::consume_all;
use super::control::{Control, Next};
#[allow(unused_imports)] // the methods of `Streams`
use super::streams::Streams as _;
use super::streams::{Streams, MAX_STREAMS};
use super::window::OrderedBuffer;
use super::Tagged;
use crate::graph::{Cx, NodeId};
use crate::node::{SerialNode, BATCH};
use crate::sender::Sender;
use crate::serial::{Claim, Serial};
use crate::stage::{Flow, StageMut};

/// One step of ordered stage `this`: consume, in order, the steps of the next complete `seq`s
/// of each source's window: parts, and the outputs of the ordered flat-maps in `streams` (module
/// docs, "Streams"). Source `i`'s node id is `first_source + i`: it is
/// woken when its window's credits come back.
pub fn run_ordered<T, X, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    node: &SerialNode<St>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    X: Streams<T>,
    St: StageMut<Tagged<T>>,
    S: Sender<St::Out>,
{
    let Some((mut stage, room)) = begin(this, node.stage(), &out, cx) else {
        return false;
    };
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    let (mut done, mut emitted) = (0, 0);
    let mut handle = |next: Next<T>| -> Control {
        let (Next::Part(item) | Next::StreamPart(item)) = next else {
            return Control::More; // the end of a seq or step: nothing to do here
        };
        done += 1;
        let end = item.end;
        match stage.call_mut(item) {
            Flow::Emit(output) => {
                out.push(output);
                emitted += 1;
                if emitted == room {
                    Control::Full
                } else {
                    Control::More
                }
            }
            Flow::Skip if end => Control::Ended, // a stream's end marker
            Flow::Skip => Control::More,
            Flow::Stop => Control::Stop,
        }
    };
    let mut step = Step::new(this, first_source);
    // SAFETY: we hold the ordered stage's claim.
    let stop = unsafe { consume_all(input, streams, &mut handle, &mut step) };
    if stop {
        // Stop before letting go of the claim: the next claimant sees the run ended (below)
        // and never calls the stage again after it asked to stop.
        cx.stop();
        drop(stage);
        return true;
    }
    cx.count(this, done, emitted);
    step.unused = room - emitted;
    step.emitted = emitted;
    // The room ran out (in the middle of a seq, maybe): more may be waiting.
    settle(input, streams, stage, &out, step, emitted == room, cx);
    let skipped = done - emitted;
    let retired = if S::COPIES == 0 {
        done
    } else {
        (room - emitted) * clones + skipped
    };
    cx.retire_items(retired);
    done > 0
}

/// The start of an ordered stage's step: claim the stage (or leave at once: the holder is told
/// and re-notifies us), check that the run has not ended (a stage that stopped it must not run
/// again), and reserve room downstream (none: the full queue wakes us when it drains, and a
/// claimant told meanwhile is passed on). Returns the claim and the room.
pub(super) fn begin<'a, C, V, S: Sender<V>>(
    this: NodeId,
    cell: &'a Serial<C>,
    out: &S,
    cx: &mut Cx<'_>,
) -> Option<(Claim<'a, C>, usize)> {
    let claim = cell.try_claim()?;
    if cx.is_ended() {
        return None;
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        cx.count_blocked(this);
        if claim.release() {
            cx.notify(this);
        }
        return None;
    }
    Some((claim, room))
}

/// What a step that did not stop the run leaves to [`settle`].
pub(super) struct Step<const N: usize> {
    pub(super) this: NodeId,
    /// Source `i` of the windows is node `first_source + i` (or the producer of them all:
    /// [`OrderedBuffer::producer`]).
    pub(super) first_source: NodeId,
    /// The room reserved downstream and not used (not yet given back).
    pub(super) unused: usize,
    pub(super) emitted: usize,
    /// The room downstream ran out while consuming.
    pub(super) full: bool,
    /// The `seq`s completed in each window, and in each stream's window per reading window:
    /// their credits go back.
    pub(super) seqs_done: [usize; N],
    pub(super) stream_seqs: [[usize; N]; MAX_STREAMS],
}

impl<const N: usize> Step<N> {
    pub(super) fn new(this: NodeId, first_source: NodeId) -> Self {
        Step {
            this,
            first_source,
            unused: 0,
            emitted: 0,
            full: false,
            seqs_done: [0; N],
            stream_seqs: [[0; N]; MAX_STREAMS],
        }
    }
}

/// The end of an ordered stage's step that did not stop the run: give back the room it did not
/// use, let go of the claim, return the credits of the `seq`s it completed (waking a source or
/// flat-map that waits for them), tell the consumers of its outputs, and run again if there
/// may be more (or if `again`).
pub(super) fn settle<C, T, X, V, S, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    claim: Claim<'_, C>,
    out: &S,
    step: Step<N>,
    again: bool,
    cx: &mut Cx<'_>,
) where
    X: Streams<T>,
    S: Sender<V>,
{
    // Before letting go of the claim: when the stage feeds another ordered stage, these are
    // credits of its window, and no other step of this stage may be waiting for them while
    // they go back without a wake-up (module docs, "Credits").
    out.unreserve(step.unused, cx);
    let notified = claim.release();
    let mut any_seq = false;
    for (w, (&seqs, window)) in step.seqs_done.iter().zip(&input.windows).enumerate() {
        any_seq |= seqs > 0;
        if window.give_credits(seqs) {
            cx.notify(input.producer(step.first_source, w));
        }
    }
    for (j, per_window) in step.stream_seqs.iter().enumerate().take(X::LEN) {
        for (w, &seqs) in per_window.iter().enumerate() {
            any_seq |= seqs > 0;
            streams.give_credits(j, w as u16, seqs, cx);
        }
    }
    if step.emitted > 0 {
        out.notify(cx);
    }
    // More complete seqs may be waiting: in a window we completed seqs in (the room may have
    // run out after that, or a window after it was not reached), or wherever the room ran out
    // (`again`): nothing else would wake us for those. Not when a part or a stream's output
    // we wait for has not arrived: its arrival notifies us, and running again meanwhile could
    // starve the stages that bring it (a worker prefers this serial stage). A spurious step
    // costs a few loads.
    if notified || any_seq || again {
        cx.notify(step.this);
    }
}
