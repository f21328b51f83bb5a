//! The step of an `ordered flat_map`: consume in order, expand lazily, park what the room
//! cannot hold, and mark the ends of a stream's items. Module docs of `ordered`.

use super::consume::{consume_all, consume_window};
use super::control::{Control, Next};
use super::steps::{settle, Step};
use super::streams::Streams;
use super::window::OrderedBuffer;
use super::Tagged;
use crate::flat_map::{drain, Expansion, Parked, SerialFlatMapNode};
use crate::graph::{Cx, NodeId};
use crate::node::BATCH;
use crate::sender::{EndMode, Sender};
use crate::stage::{Flow, StageMut};

/// One step of an `ordered flat_map` node `this`: the ordered stage is a flat-map. It finishes its
/// parked iterator (the outputs of an input the room could not hold), then consumes, in order, the
/// parts of the next complete `seq`s of each source's window, as
/// [`run_ordered`](super::run_ordered) does, expanding each value lazily into the room reserved
/// downstream. An iterator the room cannot hold is parked, and no part is consumed before it is
/// exhausted: the outputs of one input all leave, in emission order, before the next input's. When
/// its sender marks ends (it feeds a stream), each input's outputs are followed by an end marker,
/// sent before anything else if the room ran out just before it.
///
/// With `K = N` parking slots (it fills streams per source: module docs, "Streams"), each source is
/// expanded on its own: the step reserves room for each source's window in turn (credits in that
/// source's stream windows) and parks one iterator per source, so a source whose outputs wait never
/// holds back another's.
///
/// Accounting as in `flat_map.rs`: an input counts as one item until its iterator is exhausted; a
/// hole or a skipped input is settled when consumed; an end marker is an output.
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
        let one = Expander {
            stage,
            slot: &mut slots[0],
            origin: Some(origin),
        };
        match one.round(input, None, streams, &out, &mut step, &mut finished, cx) {
            Round::Idle => {}
            Round::Again => again = true,
            Round::Stop => stop = true,
        }
    } else {
        // SAFETY: `turn` is only touched under the stage's claim, which we hold.
        let turn = unsafe { &mut *input.turn.get() };
        let first = *turn;
        *turn = (first + 1) % N;
        for k in 0..N {
            let w = (first + k) % N;
            let one = Expander {
                stage: &mut *stage,
                slot: &mut slots[w],
                origin: None,
            };
            match one.round(input, Some(w), streams, &out, &mut step, &mut finished, cx) {
                Round::Idle => {}
                Round::Again => again = true,
                Round::Stop => {
                    stop = true;
                    break;
                }
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
    cx.count(this, finished, emitted);
    settle(input, streams, claim, &out, step, again, cx);
    cx.retire_items(finished);
    emitted > 0 || finished > 0
}

/// What expands an ordered flat-map's inputs in one round: its stage and a parking slot for
/// the input whose outputs the room cannot hold, the only one or a source's (`origin` is then
/// `None`: the window's source).
struct Expander<'a, St, It> {
    stage: &'a mut St,
    slot: &'a mut Parked<It>,
    /// With one slot: the source of the input being expanded.
    origin: Option<&'a mut u16>,
}

impl<St, It: Iterator> Expander<'_, St, It> {
    /// Reserves room downstream (for window `w`'s source, if given: credits in its stream
    /// windows), sends a pending end marker, resumes the parked iterator, then consumes window
    /// `w` (or every window, in turn) into the rest of the room, and gives back the room it did
    /// not use (under the claim: see [`settle`]).
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
    ) -> Round
    where
        X: Streams<T>,
        St: StageMut<Tagged<T>, Out: IntoIterator<IntoIter = It>>,
        S: Sender<It::Item>,
    {
        let Expander {
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
            cx.count_blocked(step.this);
            return Round::Idle;
        }
        cx.add_items(room * S::COPIES);
        let mut emitted = 0;
        // Each input's outputs end with a marker, or each of the input's inputs' (it reads their
        // end markers and passes them on), or each step's (an input from a part, or what a
        // stream gave at one step).
        let mode = out.end_mode();
        let marks = |mode_wanted: EndMode| S::MARKS_ENDS && mode == mode_wanted;
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
        if slot.end_pending {
            slot.end_pending = false;
            end_of(S::MARKS_ENDS, &mut emitted, &mut slot.end_pending);
        }
        if slot.resume(out, &mut emitted, room) {
            *finished += 1;
            let ends = core::mem::take(&mut slot.end_after);
            end_of(ends, &mut emitted, &mut slot.end_pending);
        }
        let mut stop = false;
        if slot.is_idle() && emitted < room {
            let mut handle = |next: Next<T>| -> Control {
                let (item, ends_input) = match next {
                    Next::Part(item) => (item, marks(EndMode::PerInput) || marks(EndMode::PerStep)),
                    Next::StreamPart(item) => (item, marks(EndMode::PerInput)),
                    // The end markers of an input's inputs, or the end of a stream step: ended
                    // here, if that is what its ends mark.
                    Next::EndSeq | Next::StreamDone => {
                        let ends = match next {
                            Next::EndSeq => marks(EndMode::Forward),
                            _ => marks(EndMode::PerStep),
                        };
                        if ends && slot.iter.is_some() {
                            // Its last input is parked: the end goes after that one's last
                            // output.
                            slot.end_after = true;
                            return Control::Full;
                        }
                        end_of(ends, &mut emitted, &mut slot.end_pending);
                        if slot.end_pending || emitted == room {
                            return Control::Full;
                        }
                        return Control::More;
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
                            end_of(ends_input, &mut emitted, &mut slot.end_pending);
                        } else {
                            slot.iter = Some(iter);
                            slot.end_after = ends_input;
                        }
                        if emitted == room {
                            Control::Full
                        } else {
                            Control::More
                        }
                    }
                    Flow::Skip => {
                        *finished += 1;
                        if end {
                            // An end marker (of a stream this flat-map reads, or of its
                            // input's inputs): not an input.
                            return Control::Ended;
                        }
                        end_of(ends_input, &mut emitted, &mut slot.end_pending);
                        if emitted == room {
                            Control::Full
                        } else {
                            Control::More
                        }
                    }
                    Flow::Stop => Control::Stop,
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
            return Round::Stop;
        }
        // The room ran out (a parked iterator, an end marker not sent, or inputs not consumed:
        // the end marker of a finished iterator can use up the room before any is): nothing
        // else would wake us.
        let again = !slot.is_idle() || emitted == room;
        out.unreserve(room - emitted, cx);
        step.emitted += emitted;
        cx.retire_items((room - emitted) * S::COPIES);
        if again {
            Round::Again
        } else {
            Round::Idle
        }
    }
}

/// How an expander's round ended.
enum Round {
    /// No work left that needs another round now: what it waits for (room downstream, a
    /// credit, an input) wakes the node.
    Idle,
    /// The room ran out with work left (a parked iterator, an end marker not sent, or inputs
    /// maybe waiting): nothing else would wake the node, so it runs again.
    Again,
    /// The stage stopped the run.
    Stop,
}
