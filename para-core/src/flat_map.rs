//! `flat_map |x| iterable`: any number of outputs per input, with memory still bounded.
//!
//! The closure returns an iterable; its iterator is drained lazily into the room reserved
//! downstream, never collected. When the room runs out mid-iteration, the iterator is *parked*
//! in one of the node's [`PARKING`] slots and the step ends; the next step (after the full queue
//! drains and wakes this node) resumes parked iterators before it takes new inputs. So an input
//! that expands into 10^6 outputs holds one iterator's state, not 10^6 items.
//!
//! # Accounting
//!
//! An input counts as one item until its iterator is exhausted (so the run cannot finish while
//! a parked iterator still has outputs to give); every output counts as usual.

use crate::graph::{Cx, NodeId};
use crate::node::BATCH;
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;

/// How many iterators one flat-map node can hold parked: the bound on the inputs it has
/// started but not finished expanding.
pub const PARKING: usize = 4;

/// A parallel flat-map node: the closure, and the parked iterators.
#[derive(Debug)]
pub struct FlatMapNode<F, It> {
    f: F,
    parked: [Serial<Option<It>>; PARKING],
}

impl<F, It> FlatMapNode<F, It> {
    /// A flat-map node running `f`.
    pub fn new(f: F) -> Self {
        FlatMapNode {
            f,
            parked: core::array::from_fn(|_| Serial::new(None)),
        }
    }
}

/// Pushes outputs of `iter` into `out` until `*emitted == room` or the iterator ends; returns
/// whether it ended.
#[inline]
fn drain<It: Iterator, S: Sender<It::Item>>(
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
pub fn run_flat_map<I, R, F, S, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &FlatMapNode<F, R::IntoIter>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    F: Fn(I) -> R,
    R: IntoIterator,
    S: Sender<R::Item>,
{
    let room = out.reserve(BATCH, cx);
    if room == 0 {
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
            let mut iter = (node.f)(item).into_iter();
            if drain(&mut iter, &out, &mut emitted, room) {
                finished += 1;
            } else {
                *parked = Some(iter);
            }
            again |= parked.release();
        }
    }

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
        cx.notify(this);
    }
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || consumed > 0
}
