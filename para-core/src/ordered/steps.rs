//! The steps of ordered stages: consume each source's window in order, through the stage (or
//! an ordered flat-map's expansion), give the credits back and wake whoever waits for them.

use super::window::{Consumed, Halt, OrderedBuffer};
use super::Tagged;
use crate::flat_map::{drain, SerialFlatMapNode};
use crate::graph::{Cx, NodeId};
use crate::node::{SerialNode, BATCH};
use crate::sender::Sender;
use crate::serial::Claim;
use crate::stage::{Flow, StageMut};

/// One step of ordered stage `this`: consume, in order, the parts of the next complete `seq`s
/// of each source's window. Source `i`'s node id is `first_source + i`: it is woken when its
/// window's credits come back.
pub fn run_ordered<T, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    node: &SerialNode<St>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<Tagged<T>>,
    S: Sender<St::Out>,
{
    let Some(mut stage) = node.stage().try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        return false; // stopped while we waited: the stage must not run again
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        if stage.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    let (mut done, mut emitted) = (0, 0);
    // SAFETY: we hold the ordered stage's claim.
    let (seqs_done, stop) = unsafe {
        consume_windows(input, |item| {
            done += 1;
            match stage.call_mut(item) {
                Flow::Emit(output) => {
                    out.push(output);
                    emitted += 1;
                    if emitted == room {
                        Consumed::Full
                    } else {
                        Consumed::More
                    }
                }
                Flow::Skip => Consumed::More,
                Flow::Stop => Consumed::Stop,
            }
        })
    };
    if stop {
        // Stop before letting go of the claim: the next claimant sees the run ended (below)
        // and never calls the stage again after it asked to stop.
        cx.stop();
        drop(stage);
        return true;
    }
    let step = Step {
        this,
        first_source,
        unused: room - emitted,
        emitted,
        seqs_done,
    };
    settle(input, stage, &out, step, false, cx);
    let skipped = done - emitted;
    let retired = if S::COPIES == 0 {
        done
    } else {
        (room - emitted) * clones + skipped
    };
    cx.retire_items(retired);
    done > 0
}

/// One step of an `ordered flat_map` node `this`: the ordered stage is a flat-map. It finishes
/// its parked iterator (the outputs of an input the room could not hold), then consumes, in
/// order, the parts of the next complete `seq`s of each source's window, as [`run_ordered`]
/// does, expanding each value lazily into the room reserved downstream. An iterator the room
/// cannot hold is parked, and no part is consumed before it is exhausted: the outputs of one
/// input all leave, in emission order, before the next input's.
///
/// Accounting as in `flat_map.rs`: an input counts as one item until its iterator is
/// exhausted; a hole or a skipped input is settled when consumed.
pub fn run_ordered_flat_map<T, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    node: &SerialFlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<Tagged<T>>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    let Some(mut claim) = node.state().try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        return false; // stopped while we waited: the stage must not run again
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let state = &mut *claim;
    let (mut emitted, mut finished) = (0, 0);
    if state.resume(&out, &mut emitted, room) {
        finished += 1;
    }
    let (mut seqs_done, mut stop) = ([0; N], false);
    if state.parked.is_none() && emitted < room {
        // SAFETY: we hold the ordered stage's claim.
        (seqs_done, stop) = unsafe {
            consume_windows(input, |item| match state.stage.call_mut(item) {
                Flow::Emit(outputs) => {
                    let mut iter = outputs.into_iter();
                    if drain(&mut iter, &out, &mut emitted, room) {
                        finished += 1;
                    } else {
                        state.parked = Some(iter);
                    }
                    if emitted == room {
                        Consumed::Full
                    } else {
                        Consumed::More
                    }
                }
                Flow::Skip => {
                    finished += 1;
                    Consumed::More
                }
                Flow::Stop => Consumed::Stop,
            })
        };
    }
    if stop {
        // Stop before letting go, so no worker calls the stopped stage (`run_serial`).
        cx.stop();
        drop(claim);
        return true;
    }
    // A parked iterator: the room ran out, so nothing else wakes us.
    let parked_left = state.parked.is_some();
    let step = Step {
        this,
        first_source,
        unused: room - emitted,
        emitted,
        seqs_done,
    };
    settle(input, claim, &out, step, parked_left, cx);
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || finished > 0
}

/// Consumes from each source's window in turn, starting with a different one each step so that
/// none is starved, until `process` uses up the room or stops the run, or every window waits
/// for its next part. Returns the `seq`s completed per window, and whether the run stops.
///
/// # Safety
/// The caller holds the ordered stage's claim (the windows' `consume`, and `turn`).
unsafe fn consume_windows<T, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    mut process: impl FnMut(Tagged<T>) -> Consumed,
) -> ([usize; N], bool) {
    // SAFETY: `turn` is only touched under the stage's claim (caller's contract).
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    let mut seqs_done = [0; N];
    for k in 0..N {
        let w = (first + k) % N;
        // SAFETY: under the claim (caller's contract).
        let (seqs, halt) = unsafe { input.windows[w].consume(w as u16, &mut process) };
        seqs_done[w] = seqs;
        match halt {
            Halt::Waiting => {}
            Halt::Full => return (seqs_done, false),
            Halt::Stop => return (seqs_done, true),
        }
    }
    (seqs_done, false)
}

/// What a step that did not stop the run leaves to [`settle`].
struct Step<const N: usize> {
    this: NodeId,
    /// Source `i` of the windows is node `first_source + i`.
    first_source: NodeId,
    /// The room reserved downstream and not used.
    unused: usize,
    emitted: usize,
    /// The `seq`s completed in each window: their credits go back.
    seqs_done: [usize; N],
}

/// The end of an ordered stage's step that did not stop the run: give back the room it did not
/// use, let go of the claim, return the credits of the `seq`s it completed (waking a source
/// that waits for them), tell the consumers of its outputs, and run again if there may be more
/// (or if `again`).
fn settle<C, T, V, S, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    claim: Claim<'_, C>,
    out: &S,
    step: Step<N>,
    again: bool,
    cx: &mut Cx<'_>,
) where
    S: Sender<V>,
{
    // Read under the claim: after `release` another worker may move the cursors.
    let mid_slot = input.windows.iter().any(|window| {
        // SAFETY: we still hold the claim.
        unsafe { window.mid_slot() }
    });
    // Before letting go of the claim: when the stage feeds another ordered stage, these are
    // credits of its window, and no other step of this stage may be waiting for them while
    // they go back without a wake-up (module docs, "Several ordered stages").
    out.unreserve(step.unused, cx);
    let notified = claim.release();
    let mut any_seq = false;
    for (w, (&seqs, window)) in step.seqs_done.iter().zip(&input.windows).enumerate() {
        any_seq |= seqs > 0;
        if window.give_credits(seqs) {
            cx.notify(step.first_source + w as NodeId);
        }
    }
    if step.emitted > 0 {
        out.notify(cx);
    }
    // More complete seqs may be waiting (in a window we completed seqs in, or one the room
    // did not reach: the room then ran out after completing a seq or in the middle of one), or
    // the room ran out in the middle of a seq (its cursor part is past 0): nothing else would
    // wake us for those. A spurious step costs a few loads.
    if notified || any_seq || mid_slot || again {
        cx.notify(step.this);
    }
}
