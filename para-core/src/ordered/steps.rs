//! The steps of ordered stages: consume each source's window in order, through the stage (or
//! an ordered flat-map's expansion), give the credits back and wake whoever waits for them.

#[allow(unused_imports)] // the methods of `Streams`
use super::streams::Streams as _;
use super::streams::{Streams, MAX_STREAMS};
use super::window::{Consumed, Entry, Halt, OrderedBuffer};
use super::Tagged;
use crate::flat_map::{drain, Expansion, Parked, SerialFlatMapNode};
use crate::graph::{Cx, NodeId};
use crate::node::{SerialNode, BATCH};
use crate::sender::{EndMode, Sender};
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
    let mut handle = |next: Next<T>| -> Consumed {
        let Next::Item(item) = next else {
            return Consumed::More; // the end of a seq: nothing to do here
        };
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

/// One step of an `ordered flat_map` node `this`: the ordered stage is a flat-map. It finishes
/// its parked iterator (the outputs of an input the room could not hold), then consumes, in
/// order, the parts of the next complete `seq`s of each source's window, as [`run_ordered`]
/// does, expanding each value lazily into the room reserved downstream. An iterator the room
/// cannot hold is parked, and no part is consumed before it is exhausted: the outputs of one
/// input all leave, in emission order, before the next input's. When its sender marks ends
/// (it feeds a stream), each input's outputs are followed by an end marker, sent before
/// anything else if the room ran out just before it.
///
/// With `K = N` parking slots (it fills streams per source: module docs, "Several sources and
/// several streams"), each source is expanded on its own: the step reserves room for each
/// source's window in turn (credits in that source's stream windows) and parks one iterator
/// per source, so a source whose outputs wait never holds back another's.
///
/// Accounting as in `flat_map.rs`: an input counts as one item until its iterator is
/// exhausted; a hole or a skipped input is settled when consumed; an end marker is an output.
pub fn run_ordered_flat_map<
    T,
    X,
    St,
    S,
    const W: usize,
    const P: usize,
    const N: usize,
    const K: usize,
>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    node: &SerialFlatMapNode<St, <St::Out as IntoIterator>::IntoIter, K>,
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
    const {
        assert!(
            K == 1 || K == N,
            "para: an ordered flat-map parks one input, or one per source"
        )
    };
    let Some(mut claim) = node.state().try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        return false; // a stage that stopped the run must not run again
    }
    let Expansion {
        stage,
        slots,
        origin,
    } = &mut *claim;
    let mut step = Step::new(this, first_source);
    let (mut finished, mut again, mut stop) = (0, false, false);
    if K == 1 {
        let one = Expansion1 {
            stage,
            slot: &mut slots[0],
            origin: Some(origin),
        };
        (again, stop) = one.round(input, None, streams, &out, &mut step, &mut finished, cx);
    } else {
        // SAFETY: `turn` is only touched under the stage's claim, which we hold.
        let turn = unsafe { &mut *input.turn.get() };
        let first = *turn;
        *turn = (first + 1) % N;
        for k in 0..N {
            let w = (first + k) % N;
            let one = Expansion1 {
                stage: &mut *stage,
                slot: &mut slots[w],
                origin: None,
            };
            let (more, stopped) =
                one.round(input, Some(w), streams, &out, &mut step, &mut finished, cx);
            again |= more;
            if stopped {
                stop = true;
                break;
            }
        }
    }
    if stop {
        // Stop before letting go, so no worker calls the stopped stage (`run_serial`).
        cx.stop();
        drop(claim);
        return true;
    }
    let emitted = step.emitted;
    settle(input, streams, claim, &out, step, again, cx);
    cx.retire_items(finished);
    emitted > 0 || finished > 0
}

/// One input being expanded by an ordered flat-map, with its stage: the only one, or the one of
/// a source (`origin` is `None`: the window's).
struct Expansion1<'a, St, It> {
    stage: &'a mut St,
    slot: &'a mut Parked<It>,
    /// With one slot: the source of the input being expanded.
    origin: Option<&'a mut u16>,
}

impl<St, It: Iterator> Expansion1<'_, St, It> {
    /// Reserves room downstream (for window `w`'s source, if given: credits in its stream
    /// windows), sends a pending end marker, resumes the parked iterator, then consumes window
    /// `w` (or every window, in turn) into the rest of the room, and gives back the room it did
    /// not use (under the claim: see [`settle`]). Returns whether the room ran out with work
    /// left (a parked iterator, an end marker not sent, or inputs maybe waiting), and whether
    /// the run stops.
    #[allow(clippy::too_many_arguments)]
    fn round<T, X, S, const W: usize, const P: usize, const N: usize>(
        self,
        input: &OrderedBuffer<T, W, P, N>,
        w: Option<usize>,
        streams: &X,
        out: &S,
        step: &mut Step<N>,
        finished: &mut usize,
        cx: &mut Cx<'_>,
    ) -> (bool, bool)
    where
        X: Streams<T>,
        St: StageMut<Tagged<T>, Out: IntoIterator<IntoIter = It>>,
        S: Sender<It::Item>,
    {
        let Expansion1 {
            stage,
            slot,
            mut origin,
        } = self;
        match (w, &origin) {
            (Some(w), _) => out.set_origin(w as u16),
            (None, Some(origin)) => out.set_origin(**origin),
            (None, None) => {}
        }
        let room = out.reserve(BATCH, cx);
        if room == 0 {
            // A full queue, or no credit in a stream window: either wakes us.
            return (false, false);
        }
        cx.add_items(room * S::COPIES);
        let mut emitted = 0;
        // Each input's outputs end with a marker, or each of the input's inputs' (it reads their
        // end markers and passes them on), or each seq's.
        let mode = out.end_mode();
        let per_input = S::MARKS_ENDS && mode == EndMode::PerInput;
        // An input is finished: its end marker goes out if there is room, else first next step.
        let end_of = |marks: bool, emitted: &mut usize, end_pending: &mut bool| {
            if marks {
                if *emitted < room {
                    out.push_end();
                    *emitted += 1;
                } else {
                    *end_pending = true;
                }
            }
        };
        let end_of_input =
            |emitted: &mut usize, end_pending: &mut bool| end_of(per_input, emitted, end_pending);
        if slot.end_pending {
            slot.end_pending = false;
            end_of(S::MARKS_ENDS, &mut emitted, &mut slot.end_pending);
        }
        if slot.resume(out, &mut emitted, room) {
            *finished += 1;
            end_of_input(&mut emitted, &mut slot.end_pending);
            if core::mem::take(&mut slot.seq_ends_after) {
                end_of(true, &mut emitted, &mut slot.end_pending);
            }
        }
        let mut stop = false;
        if slot.is_idle() && emitted < room {
            let mut handle = |next: Next<T>| -> Consumed {
                let item = match next {
                    Next::Item(item) => item,
                    // The end markers of an input's inputs, or the end of a seq: ended here, if
                    // that is what its ends mark.
                    Next::EndSeq | Next::Done => {
                        let marks = match next {
                            Next::EndSeq => mode == EndMode::Forward,
                            _ => mode == EndMode::PerSeq,
                        };
                        if marks && slot.iter.is_some() {
                            // The seq's last input is parked: its end goes after that one's
                            // last output.
                            slot.seq_ends_after = true;
                            return Consumed::Full;
                        }
                        if marks {
                            end_of(true, &mut emitted, &mut slot.end_pending);
                            if slot.end_pending || emitted == room {
                                return Consumed::Full;
                            }
                        }
                        return Consumed::More;
                    }
                };
                let end = item.end;
                if let Some(origin) = origin.as_deref_mut() {
                    *origin = item.src;
                    out.set_origin(item.src);
                }
                match stage.call_mut(item) {
                    Flow::Emit(outputs) => {
                        let mut iter = outputs.into_iter();
                        if drain(&mut iter, out, &mut emitted, room) {
                            *finished += 1;
                            end_of_input(&mut emitted, &mut slot.end_pending);
                        } else {
                            slot.iter = Some(iter);
                        }
                        if emitted == room {
                            Consumed::Full
                        } else {
                            Consumed::More
                        }
                    }
                    Flow::Skip => {
                        *finished += 1;
                        if end {
                            // An end marker (of a stream this flat-map reads, or of its
                            // input's inputs): not an input.
                            return Consumed::Ended;
                        }
                        end_of_input(&mut emitted, &mut slot.end_pending);
                        if emitted == room {
                            Consumed::Full
                        } else {
                            Consumed::More
                        }
                    }
                    Flow::Stop => Consumed::Stop,
                }
            };
            stop = match w {
                // SAFETY: we hold the ordered stage's claim (our caller's).
                None => unsafe { consume_all(input, streams, &mut handle, step) },
                // SAFETY: as above.
                Some(w) => unsafe { consume_window(input, w, streams, &mut handle, step) },
            };
        }
        if stop {
            return (false, true);
        }
        // The room ran out (a parked iterator, an end marker not sent, or inputs not consumed:
        // the end marker of a finished iterator can use up the room before any is): nothing
        // else would wake us.
        let again = !slot.is_idle() || emitted == room;
        out.unreserve(room - emitted, cx);
        step.emitted += emitted;
        cx.retire_items((room - emitted) * S::COPIES);
        (again, false)
    }
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
/// for its next part. Counts the `seq`s completed per window and per stream in `step`; returns
/// whether the run stops.
///
/// # Safety
/// The caller holds the ordered stage's claim (the windows' and streams' `consume`, and
/// `turn`).
unsafe fn consume_all<T, X, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    streams: &X,
    handle: &mut impl FnMut(Next<T>) -> Consumed,
    step: &mut Step<N>,
) -> bool
where
    X: Streams<T>,
{
    // SAFETY: `turn` is only touched under the stage's claim (caller's contract).
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    for k in 0..N {
        // SAFETY: under the claim (caller's contract).
        match unsafe { consume_window(input, (first + k) % N, streams, handle, step) } {
            true => return true,
            false if step.full => return false,
            false => {}
        }
    }
    false
}

/// Consumes window `w` (source `w`'s) until `handle` uses up the room (`step.full`) or stops
/// the run (returns `true`), or the window waits for its next part. A stream step consumes that
/// stream's outputs of the input from the current `seq`'s source. After a `seq` of end markers
/// (the window is numbered by an ordered flat-map that marks ends), `handle` gets
/// [`Next::EndSeq`]; after any other `seq`, [`Next::Done`].
///
/// # Safety
/// The caller holds the ordered stage's claim.
unsafe fn consume_window<T, X, const W: usize, const P: usize, const N: usize>(
    input: &OrderedBuffer<T, W, P, N>,
    w: usize,
    streams: &X,
    handle: &mut impl FnMut(Next<T>) -> Consumed,
    step: &mut Step<N>,
) -> bool
where
    X: Streams<T>,
{
    const {
        assert!(
            X::LEN <= MAX_STREAMS,
            "para: too many streams into one ordered stage"
        )
    };
    let stream_seqs = &mut step.stream_seqs;
    // With a window per source, the stream's outputs of the input from this window's source.
    // With one (its producer is an ordered flat-map), the streams are of that flat-map's
    // numbering, and come in its order: the next input's outputs are the ones.
    let origin = (N > 1).then_some(w as u16);
    loop {
        let process = |entry: Entry<T>| match entry {
            Entry::Part(item) => handle(Next::Item(item)),
            Entry::Done => handle(Next::Done),
            // SAFETY: under the claim (caller's contract).
            Entry::Stream(j) => unsafe { read_stream(streams, j, origin, w, handle, stream_seqs) },
        };
        // SAFETY: under the claim (caller's contract).
        let (seqs, halt) = unsafe { input.windows[w].consume(None, process) };
        step.seqs_done[w] += seqs;
        match halt {
            Halt::Waiting => return false,
            Halt::Full => {
                step.full = true;
                return false;
            }
            Halt::Stop => return true,
            // A seq of end markers: the next may be complete too.
            Halt::Ended => match handle(Next::EndSeq) {
                Consumed::Full => {
                    step.full = true;
                    return false;
                }
                _ => continue,
            },
        }
    }
}

/// Consumes, through `handle`, stream `j`'s outputs of the next input (from source `origin`,
/// if given), up to its end marker, and the streams read inside it where its steps say (module
/// docs, "Nested flat-maps in a stream branch"); counts the `seq`s completed in each for window
/// `w`. Says how it went, as a step of the window that reads the stream.
///
/// # Safety
/// The caller holds the claim of the ordered stage reading the streams.
unsafe fn read_stream<T, X, H, const N: usize>(
    streams: &X,
    j: usize,
    origin: Option<u16>,
    w: usize,
    handle: &mut H,
    stream_seqs: &mut [[usize; N]; MAX_STREAMS],
) -> Consumed
where
    X: Streams<T>,
    H: FnMut(Next<T>) -> Consumed,
{
    let mut part = |entry: Entry<T>| match entry {
        Entry::Part(item) => handle(Next::Item(item)),
        // A stream's seqs are its flat-map's outputs: nothing ends there.
        Entry::Done => Consumed::More,
        // SAFETY: the caller's contract, passed on.
        Entry::Stream(k) => unsafe { read_stream(streams, k, origin, w, handle, stream_seqs) },
    };
    // SAFETY: the caller's contract.
    let (seqs, halt) = unsafe { streams.consume(j, origin, &mut part) };
    // Returned to the stream's window for this window's source (a stream has one window per
    // source only where its reader has).
    stream_seqs[j][w] += seqs;
    match halt {
        Halt::Ended => Consumed::More,
        Halt::Waiting => Consumed::Wait,
        Halt::Full => Consumed::Full,
        Halt::Stop => Consumed::Stop,
    }
}

/// What an ordered step's handler is given, in order.
enum Next<T> {
    /// A part of the current `seq` of its window, or an output of a stream read there.
    Item(Tagged<T>),
    /// A `seq` of end markers of its window was consumed (its producer marks ends).
    EndSeq,
    /// A `seq` of its window (not an end marker's) is done.
    Done,
}

/// What a step that did not stop the run leaves to [`settle`].
struct Step<const N: usize> {
    this: NodeId,
    /// Source `i` of the windows is node `first_source + i` (or the producer of them all:
    /// [`OrderedBuffer::producer`]).
    first_source: NodeId,
    /// The room reserved downstream and not used (not yet given back).
    unused: usize,
    emitted: usize,
    /// The room downstream ran out while consuming.
    full: bool,
    /// The `seq`s completed in each window, and in each stream's window per reading window:
    /// their credits go back.
    seqs_done: [usize; N],
    stream_seqs: [[usize; N]; MAX_STREAMS],
}

impl<const N: usize> Step<N> {
    fn new(this: NodeId, first_source: NodeId) -> Self {
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
