//! The steps of ordered stages: consume each source's window in order, through the stage (or
//! an ordered flat-map's expansion), give the credits back and wake whoever waits for them.

#[allow(unused_imports)] // the methods of `Streams`
use super::streams::Streams as _;
use super::streams::{Streams, MAX_STREAMS};
use super::window::{Consumed, Entry, Halt, OrderedBuffer};
use super::Tagged;
use crate::flat_map::{drain, SerialFlatMapNode};
use crate::graph::{Cx, NodeId};
use crate::node::{SerialNode, BATCH};
use crate::sender::Sender;
use crate::serial::{Claim, Serial};
use crate::stage::{Flow, StageMut};

/// One step of ordered stage `this`: consume, in order, the steps of the next complete `seq`s
/// of each source's window: parts, and the outputs of the ordered flat-maps in `streams` (module
/// docs, "Flat-maps in fan-out branches"). Source `i`'s node id is `first_source + i`: it is
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
    let mut handle = |item: Tagged<T>| -> Consumed {
        done += 1;
        let end = item.end;
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
            Flow::Skip if end => Consumed::Ended, // a stream's end marker
            Flow::Skip => Consumed::More,
            Flow::Stop => Consumed::Stop,
        }
    };
    // SAFETY: we hold the ordered stage's claim.
    let (seqs_done, stream_seqs, stop) = unsafe { consume_all(input, streams, &mut handle) };
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
        stream_seqs,
    };
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

/// One step of an `ordered flat_map` node `this`: the ordered stage is a flat-map. It finishes
/// its parked iterator (the outputs of an input the room could not hold), then consumes, in
/// order, the parts of the next complete `seq`s of each source's window, as [`run_ordered`]
/// does, expanding each value lazily into the room reserved downstream. An iterator the room
/// cannot hold is parked, and no part is consumed before it is exhausted: the outputs of one
/// input all leave, in emission order, before the next input's. When its sender marks ends
/// (it feeds a stream), each input's outputs are followed by an end marker, sent before
/// anything else if the room ran out just before it.
///
/// Accounting as in `flat_map.rs`: an input counts as one item until its iterator is
/// exhausted; a hole or a skipped input is settled when consumed; an end marker is an output.
pub fn run_ordered_flat_map<T, X, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    node: &SerialFlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    X: Streams<T>,
    St: StageMut<Tagged<T>>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    let Some((mut claim, room)) = begin(this, node.state(), &out, cx) else {
        return false;
    };
    cx.add_items(room * S::COPIES);
    let state = &mut *claim;
    let (mut emitted, mut finished) = (0, 0);
    out.set_origin(state.origin);
    // An input is finished: its end marker goes out if there is room, else first next step.
    let end_of_input = |emitted: &mut usize, end_pending: &mut bool| {
        if S::MARKS_ENDS {
            if *emitted < room {
                out.push_end();
                *emitted += 1;
            } else {
                *end_pending = true;
            }
        }
    };
    if state.end_pending {
        state.end_pending = false;
        end_of_input(&mut emitted, &mut state.end_pending);
    }
    if state.resume(&out, &mut emitted, room) {
        finished += 1;
        end_of_input(&mut emitted, &mut state.end_pending);
    }
    let (mut seqs_done, mut stream_seqs, mut stop) = ([0; N], [0; MAX_STREAMS], false);
    if state.parked.is_none() && !state.end_pending && emitted < room {
        let mut handle = |item: Tagged<T>| -> Consumed {
            let end = item.end;
            state.origin = item.src;
            out.set_origin(item.src);
            match state.stage.call_mut(item) {
                Flow::Emit(outputs) => {
                    let mut iter = outputs.into_iter();
                    if drain(&mut iter, &out, &mut emitted, room) {
                        finished += 1;
                        end_of_input(&mut emitted, &mut state.end_pending);
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
                    if end {
                        // An end marker of a stream this flat-map reads: not an input.
                        return Consumed::Ended;
                    }
                    end_of_input(&mut emitted, &mut state.end_pending);
                    if emitted == room {
                        Consumed::Full
                    } else {
                        Consumed::More
                    }
                }
                Flow::Stop => Consumed::Stop,
            }
        };
        // SAFETY: we hold the ordered stage's claim.
        (seqs_done, stream_seqs, stop) = unsafe { consume_all(input, streams, &mut handle) };
    }
    if stop {
        // Stop before letting go, so no worker calls the stopped stage (`run_serial`).
        cx.stop();
        drop(claim);
        return true;
    }
    // The room ran out (a parked iterator, an end marker not sent, or inputs not consumed: the
    // end marker of a finished iterator can use up the room before any is): nothing else
    // would wake us.
    let again = state.parked.is_some() || state.end_pending || emitted == room;
    let step = Step {
        this,
        first_source,
        unused: room - emitted,
        emitted,
        seqs_done,
        stream_seqs,
    };
    settle(input, streams, claim, &out, step, again, cx);
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || finished > 0
}

/// The start of an ordered stage's step: claim the stage (or leave at once: the holder is told
/// and re-notifies us), check that the run has not ended (a stage that stopped it must not run
/// again), and reserve room downstream (none: the full queue wakes us when it drains, and a
/// claimant told meanwhile is passed on). Returns the claim and the room.
fn begin<'a, C, V, S: Sender<V>>(
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
        if claim.release() {
            cx.notify(this);
        }
        return None;
    }
    Some((claim, room))
}

/// Consumes from each source's window in turn, starting with a different one each step so that
/// none is starved, until `handle` uses up the room or stops the run, or every window waits
/// for its next part. A window's stream steps consume that stream's outputs of the input from
/// the window's source. Returns the `seq`s completed per window and per stream, and whether the
/// run stops.
///
/// # Safety
/// The caller holds the ordered stage's claim (the windows' and streams' `consume`, and
/// `turn`).
unsafe fn consume_all<T, X, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    handle: &mut impl FnMut(Tagged<T>) -> Consumed,
) -> ([usize; N], [usize; MAX_STREAMS], bool)
where
    X: Streams<T>,
{
    const {
        assert!(
            X::LEN <= MAX_STREAMS,
            "para: too many streams into one ordered stage"
        )
    };
    // SAFETY: `turn` is only touched under the stage's claim (caller's contract).
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    let (mut seqs_done, mut stream_seqs) = ([0; N], [0; MAX_STREAMS]);
    for k in 0..N {
        let w = (first + k) % N;
        let process = |entry: Entry<T>| match entry {
            Entry::Part(item) => handle(item),
            Entry::Stream { j, src } => {
                let mut part = |entry: Entry<T>| match entry {
                    Entry::Part(item) => handle(item),
                    Entry::Stream { .. } => unreachable!("para: a stream inside a stream"),
                };
                // SAFETY: under the claim (caller's contract).
                let (seqs, halt) = unsafe { streams.consume(j, src, &mut part) };
                stream_seqs[j] += seqs;
                match halt {
                    Halt::Ended => Consumed::More,
                    Halt::Waiting => Consumed::Wait,
                    Halt::Full => Consumed::Full,
                    Halt::Stop => Consumed::Stop,
                }
            }
        };
        // SAFETY: under the claim (caller's contract).
        let (seqs, halt) = unsafe { input.windows[w].consume(None, process) };
        seqs_done[w] = seqs;
        match halt {
            Halt::Waiting | Halt::Ended => {}
            Halt::Full => return (seqs_done, stream_seqs, false),
            Halt::Stop => return (seqs_done, stream_seqs, true),
        }
    }
    (seqs_done, stream_seqs, false)
}

/// What a step that did not stop the run leaves to [`settle`].
struct Step<const N: usize> {
    this: NodeId,
    /// Source `i` of the windows is node `first_source + i`.
    first_source: NodeId,
    /// The room reserved downstream and not used.
    unused: usize,
    emitted: usize,
    /// The `seq`s completed in each window, and in each stream's: their credits go back.
    seqs_done: [usize; N],
    stream_seqs: [usize; MAX_STREAMS],
}

/// The end of an ordered stage's step that did not stop the run: give back the room it did not
/// use, let go of the claim, return the credits of the `seq`s it completed (waking a source or
/// flat-map that waits for them), tell the consumers of its outputs, and run again if there
/// may be more (or if `again`).
fn settle<C, T, X, V, S, const W: usize, const P: usize, const N: usize>(
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
    for (j, &seqs) in step.stream_seqs.iter().enumerate().take(X::LEN) {
        any_seq |= seqs > 0;
        streams.give_credits(j, seqs, cx);
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
