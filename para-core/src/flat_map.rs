//! `flat_map |x| iterable`: any number of outputs per input, with memory still bounded.
//!
//! The closure returns an iterable; its iterator is drained lazily into the room reserved
//! downstream, never collected. When the room runs out mid-iteration, the iterator is *parked*
//! and the step ends; the next step (after the full queue drains and wakes this node) resumes
//! parked iterators before it takes new inputs. So an input that expands into 10^6 outputs holds
//! one iterator's state, not 10^6 items.
//!
//! Two nodes share that scheme:
//!
//! * [`FlatMapNode`], parallel (`Fn + Sync`): any number of workers at once, each parking in one
//!   of [`PARKING`] slots, claimed one at a time.
//! * [`SerialFlatMapNode`], `serial flat_map` (`FnMut`): one worker at a time claims the closure
//!   together with the node's single parked iterator, so one input's outputs are all emitted, in
//!   order, before the next input is taken. An `ordered flat_map` is the same node, stepped by
//!   `ordered.rs`'s `run_ordered_flat_map`, which takes its inputs from the ordered window.
//!
//! Both call a [`Stage`]/[`StageMut`] whose output is the iterable: `Map` for `flat_map`,
//! `Fallible<Map>` for `try flat_map`, whose `Err` stops the run ([`Flow::Stop`]) before any
//! output of that input exists.
//!
//! # Accounting
//!
//! An input counts as one item until its iterator is exhausted (so the run cannot finish while
//! a parked iterator still has outputs to give); every output counts as usual. An input that
//! stops the run is not settled: counts no longer matter once the run has ended (`node.rs`).

use crate::graph::{Cx, NodeId};
use crate::node::BATCH;
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;
use crate::stage::{Flow, Stage, StageMut};

/// How many iterators one flat-map node can hold parked: the bound on the inputs it has
/// started but not finished expanding.
pub const PARKING: usize = 4;

/// A parallel flat-map node: the stage (the user's closure), and the parked iterators.
#[derive(Debug)]
pub struct FlatMapNode<St, It> {
    stage: St,
    parked: [Serial<Option<It>>; PARKING],
}

impl<St, It> FlatMapNode<St, It> {
    /// A flat-map node running `stage`, whose outputs are iterables.
    pub fn new(stage: St) -> Self {
        FlatMapNode {
            stage,
            parked: core::array::from_fn(|_| Serial::new(None)),
        }
    }

    /// The stage, to wrap it (a new node has no parked iterator).
    pub fn into_stage(self) -> St {
        self.stage
    }
}

/// Pushes outputs of `iter` into `out` until `*emitted == room` or the iterator ends; returns
/// whether it ended.
#[inline]
pub(crate) fn drain<It: Iterator, S: Sender<It::Item>>(
    iter: &mut It,
    out: &S,
    emitted: &mut usize,
    room: usize,
) -> bool {
    while *emitted < room {
        match iter.next() {
            Some(output) => {
                out.push(output);
                *emitted += 1;
            }
            None => return true,
        }
    }
    false
}

/// One step of flat-map node `this`: resume parked iterators, then expand new inputs, into at
/// most the room reserved downstream.
pub fn run_flat_map<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &FlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: Stage<I>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    expand(this, input, node, out, cx, BATCH)
}

/// [`run_flat_map`], emitting up to `want` outputs in the step. A sender that never fills
/// (`COPIES` 0: nothing downstream to wait for) gets the node run again after the worker's
/// other work ([`Cx::defer`]): else a long expansion would run on and on and starve it.
pub(crate) fn expand<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &FlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    cx: &mut Cx<'_>,
    want: usize,
) -> bool
where
    St: Stage<I>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    cx.count_queued(this, || input.len());
    let room = out.reserve(want, cx);
    if room == 0 {
        cx.count_blocked(this);
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let (mut emitted, mut consumed, mut finished) = (0, 0, 0);
    let mut again = false;

    // Parked iterators first: they hold inputs already counted, and their outputs are older.
    for slot in &node.parked {
        if emitted == room {
            break;
        }
        let Some(mut parked) = slot.try_claim() else {
            continue;
        };
        if let Some(iter) = parked.as_mut() {
            if drain(iter, &out, &mut emitted, room) {
                *parked = None;
                finished += 1;
            }
        }
        again |= parked.release();
    }

    // Then new inputs, each into a free parking slot (which bounds the inputs in progress).
    'inputs: for slot in &node.parked {
        while emitted < room && !input.is_empty() {
            let Some(mut parked) = slot.try_claim() else {
                continue 'inputs;
            };
            if parked.is_some() {
                again |= parked.release();
                continue 'inputs;
            }
            let Some(item) = input.pop() else {
                again |= parked.release();
                break 'inputs;
            };
            consumed += 1;
            match node.stage.call(item) {
                Flow::Emit(outputs) => {
                    let mut iter = outputs.into_iter();
                    if drain(&mut iter, &out, &mut emitted, room) {
                        finished += 1;
                    } else {
                        *parked = Some(iter);
                    }
                }
                Flow::Skip => finished += 1,
                Flow::Stop => {
                    // An error: the run ends; the queues and the parked iterators drop the rest.
                    let _ = parked.release();
                    cx.stop();
                    return true;
                }
            }
            again |= parked.release();
        }
    }

    cx.count(this, consumed, emitted);
    cx.count_left(this, || input.len());
    if input.release(consumed) {
        cx.wake_producers(this);
    }
    out.unreserve(room - emitted, cx);
    if emitted > 0 {
        out.notify(cx);
    }
    let parked_left = node.parked.iter().any(|slot| match slot.try_claim() {
        Some(parked) => {
            let left = parked.is_some();
            again |= parked.release();
            left
        }
        // Another worker holds it; our failed claim left it a note, so it re-notifies.
        None => false,
    });
    if again || parked_left || (emitted == room && !input.is_empty()) {
        if S::COPIES == 0 {
            cx.defer(this);
        } else {
            cx.notify(this);
        }
    }
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || consumed > 0
}

/// A `serial flat_map` node: the stateful stage and its parked iterator, claimed together.
///
/// `K` parking slots: one, except for an ordered flat-map that fills streams per source
/// (`ordered` module docs, "Streams"), which expands one input of
/// each source at a time.
#[derive(Debug)]
pub struct SerialFlatMapNode<St, It, const K: usize = 1> {
    state: Serial<Expansion<St, It, K>>,
}

/// What one worker at a time owns in a [`SerialFlatMapNode`].
#[derive(Debug)]
pub(crate) struct Expansion<St, It, const K: usize = 1> {
    pub(crate) stage: St,
    /// The input being expanded, per slot.
    pub(crate) slots: [Parked<It>; K],
    /// An ordered flat-map feeding a stream with one slot: the source of the input being
    /// expanded (with `K` slots, slot `i` expands source `i`'s).
    pub(crate) origin: u16,
}

/// One input being expanded.
#[derive(Debug)]
pub(crate) struct Parked<It> {
    /// Its outputs, if the room ran out before they did.
    pub(crate) iter: Option<It>,
    /// An ordered flat-map feeding a stream: its end marker is still to be sent (the room ran
    /// out right after its last output).
    pub(crate) end_pending: bool,
    /// An ordered flat-map marking ends: the parked input's outputs are to be followed by an
    /// end marker (its own, or one it owes for what it read before).
    pub(crate) end_after: bool,
}

impl<It: Iterator> Parked<It> {
    /// Drains the parked iterator, if any, into `out` until `*emitted == room`; returns whether
    /// it ran out (its input is then finished).
    pub(crate) fn resume<S: Sender<It::Item>>(
        &mut self,
        out: &S,
        emitted: &mut usize,
        room: usize,
    ) -> bool {
        let Some(iter) = self.iter.as_mut() else {
            return false;
        };
        let ended = drain(iter, out, emitted, room);
        if ended {
            self.iter = None;
        }
        ended
    }

    /// Nothing left of the input: the next one may be taken.
    pub(crate) fn is_idle(&self) -> bool {
        self.iter.is_none() && !self.end_pending
    }
}

impl<St, It> SerialFlatMapNode<St, It> {
    /// A serial flat-map node running `stage`, whose outputs are iterables.
    pub fn new(stage: St) -> Self {
        Self::with_slots(stage)
    }
}

impl<St, It, const K: usize> SerialFlatMapNode<St, It, K> {
    fn with_slots(stage: St) -> Self {
        SerialFlatMapNode {
            state: Serial::new(Expansion {
                stage,
                slots: core::array::from_fn(|_| Parked {
                    iter: None,
                    end_pending: false,
                    end_after: false,
                }),
                origin: 0,
            }),
        }
    }

    /// The stage, to wrap it (a new node has no parked iterator).
    pub fn into_stage(self) -> St {
        self.state.into_inner().stage
    }

    /// The same node with `J` parking slots (a new node has no parked iterator).
    pub fn with_parking<const J: usize>(self) -> SerialFlatMapNode<St, It, J> {
        SerialFlatMapNode::with_slots(self.into_stage())
    }

    /// The stage and its parked iterators, claimed together (an `ordered flat_map` claims them
    /// too: `ordered.rs`).
    pub(crate) fn state(&self) -> &Serial<Expansion<St, It, K>> {
        &self.state
    }
}

/// One step of serial flat-map node `this`: claim it (or leave at once, see `serial.rs`), finish
/// the parked iterator, then expand new inputs one at a time, into at most the room reserved
/// downstream. An iterator the room cannot hold is parked, and no new input is taken before it
/// is exhausted: outputs leave in input order, and one iterator is all the node ever holds.
///
/// Notifications: the node runs again if a failed claimant left a note (it may have been told
/// of new inputs), or if this step filled its room while work remains (a parked iterator or
/// queued inputs). A step that found no room returns; the full queue wakes it when it drains.
pub fn run_serial_flat_map<I, St, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &SerialFlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<I>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    let Some(mut claim) = node.state.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    // As in `run_serial`: a stage that stopped the run is never called again.
    if cx.is_ended() || (claim.slots[0].iter.is_none() && input.is_empty()) {
        if claim.release() {
            cx.notify(this);
        }
        return false;
    }
    cx.count_queued(this, || input.len());
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        cx.count_blocked(this);
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let (mut emitted, mut consumed, mut finished) = (0, 0, 0);
    let state = &mut *claim;
    let parked = &mut state.slots[0];

    if parked.resume(&out, &mut emitted, room) {
        finished += 1;
    }
    while parked.iter.is_none() && emitted < room {
        let Some(item) = input.pop() else { break };
        consumed += 1;
        match state.stage.call_mut(item) {
            Flow::Emit(outputs) => {
                let mut iter = outputs.into_iter();
                if drain(&mut iter, &out, &mut emitted, room) {
                    finished += 1;
                } else {
                    parked.iter = Some(iter);
                }
            }
            Flow::Skip => finished += 1,
            Flow::Stop => {
                // Stop before letting go, so no worker calls the stopped stage (`run_serial`).
                cx.stop();
                let _ = claim.release();
                return true;
            }
        }
    }
    let parked_left = parked.iter.is_some();
    cx.count(this, consumed, emitted);
    if !parked_left {
        cx.count_left(this, || input.len());
    }

    let notified = claim.release();
    if input.release(consumed) {
        cx.wake_producers(this);
    }
    out.unreserve(room - emitted, cx);
    if emitted > 0 {
        out.notify(cx);
    }
    if notified || (emitted == room && (parked_left || !input.is_empty())) {
        cx.notify(this);
    }
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || consumed > 0
}
