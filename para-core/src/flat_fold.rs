//! A flat-map fused into the fold sink after it: `pipeline!` runs `flat_map f => … => fold(…)`
//! as one node, so that a word count's words never cross a queue (or a core).
//!
//! The node is a flat-map step (`flat_map.rs`, with its parked iterators and accounting) whose
//! sender is not a queue but the step's accumulator: each output goes through the stages
//! between the flat-map and the fold (the fold node's `pre`) and is added at once. So:
//!
//! * **Parallelism** comes from the inputs: an input's outputs are folded by the worker that
//!   expanded it, as rayon's `flat_map_iter` does, while any number of workers expand other
//!   inputs, each into the accumulator of the slot it claimed (`fold.rs`, "Slots").
//! * **Progress**: a step folds at most [`FLAT_FOLD_BATCH`] outputs, then parks the iterator
//!   and lets the worker go back to the scheduler, so a long (or endless) expansion neither
//!   starves the graph's other nodes nor outlives a run that something else stopped.
//! * **Accounting**: outputs never enter the graph (the sender's `COPIES` is 0); an input
//!   counts as one item until its iterator is exhausted, as in any flat-map.
//! * **Errors**: a `try` stage after the flat-map or a `try fold` that fails stops the run at
//!   the end of the step; the outputs still to come in that step are dropped.

use core::cell::Cell;

use crate::flat_map::{expand, FlatMapNode};
use crate::fold::{claim_slot, Fold, FoldNode, FoldSlot, Folded, Reduce};
use crate::graph::{Cx, NodeId};
use crate::queue::Queue;
use crate::sender::Sender;
use crate::stage::{Flow, Stage};
use crate::wiring::WrapStage;

/// How many outputs one step of a [`FlatFoldNode`] folds at most: a flat-map's batch would
/// bring the worker back to the scheduler every few inputs, for nothing to hand over.
pub const FLAT_FOLD_BATCH: usize = 512;

/// A flat-map fused into a fold sink (module docs).
#[derive(Debug)]
pub struct FlatFoldNode<St, It, P, Init, F, S> {
    flat: FlatMapNode<St, It>,
    fold: FoldNode<P, Init, F, S>,
}

/// `flat_map f => … => fold(…)` as one node: `fold`, whose stages (`pre`) are the ones
/// between, run on `flat`'s outputs.
pub fn flat_fold<St, It, P, Init, F, S>(
    flat: FlatMapNode<St, It>,
    fold: FoldNode<P, Init, F, S>,
) -> FlatFoldNode<St, It, P, Init, F, S> {
    FlatFoldNode { flat, fold }
}

impl<St, It, P, Init, F, S> FlatFoldNode<St, It, P, Init, F, S> {
    /// How it makes an empty accumulator.
    pub fn init(&self) -> &Init {
        self.fold.init()
    }

    /// After the run: the accumulators, to be merged with `merge` ([`FoldNode::done`]).
    pub fn done<M>(self, merge: M) -> Folded<Init, S, M> {
        self.fold.done(merge)
    }
}

impl<St, It, P, Init, Op, S> FlatFoldNode<St, It, P, Init, Reduce<Op>, S> {
    /// After the run of a `reduce` sink ([`FoldNode::reduced`]).
    pub fn reduced(self) -> Folded<Init, S, Op> {
        self.fold.reduced()
    }
}

impl<St, It, P, Init, F, S> WrapStage for FlatFoldNode<St, It, P, Init, F, S> {
    type Stage = St;
    type With<W> = FlatFoldNode<W, It, P, Init, F, S>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(St) -> W) -> Self::With<W> {
        FlatFoldNode {
            flat: self.flat.wrap_stage(wrap),
            fold: self.fold,
        }
    }
}

/// One step of fused node `this`: expand inputs (parked ones first) into the accumulator of a
/// slot this step holds.
pub fn run_flat_fold<I, St, P, Init, F, S, A, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &FlatFoldNode<St, <St::Out as IntoIterator>::IntoIter, P, Init, F, S>,
    cx: &mut Cx<'_>,
) -> bool
where
    St: Stage<I>,
    St::Out: IntoIterator,
    P: Stage<<St::Out as IntoIterator>::Item>,
    Init: Fn() -> A,
    F: Fold<A, P::Out>,
    S: AsRef<[FoldSlot<A>]>,
{
    let fold = &node.fold;
    let Some(mut slot) = claim_slot(fold.slots.as_ref(), cx.worker()) else {
        cx.notify(this); // every slot is held: each is let go at the end of its step
        return false;
    };
    let into = FoldInto {
        acc: Cell::new(Some(slot.take().unwrap_or_else(&fold.init))),
        pre: &fold.pre,
        fold: &fold.fold,
        stopped: Cell::new(false),
    };
    let worked = expand(this, input, &node.flat, &into, cx, FLAT_FOLD_BATCH);
    *slot = into.acc.take();
    let _ = slot.release(); // a claimant that found it held went on to another slot
    if into.stopped.get() {
        cx.stop(); // the error is in the run's error slot
    }
    worked
}

/// The sender of a [`FlatFoldNode`]'s step: adds each output to the step's accumulator.
struct FoldInto<'a, A, P, F> {
    /// `None` once a `try fold` failed: the accumulator went with the error.
    acc: Cell<Option<A>>,
    pre: &'a P,
    fold: &'a F,
    /// A stage or the fold stopped the run.
    stopped: Cell<bool>,
}

impl<T, A, P, F> Sender<T> for &FoldInto<'_, A, P, F>
where
    P: Stage<T>,
    F: Fold<A, P::Out>,
{
    const COPIES: usize = 0;

    #[inline]
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        if self.stopped.get() {
            0
        } else {
            max
        }
    }

    #[inline]
    fn unreserve(&self, _n: usize, _cx: &mut Cx<'_>) {}

    #[inline]
    fn push(&self, value: T) {
        if self.stopped.get() {
            return; // dropped: the run is ending
        }
        let Some(acc) = self.acc.take() else {
            return;
        };
        match self.pre.call(value) {
            Flow::Emit(value) => match self.fold.add(acc, value) {
                Some(acc) => self.acc.set(Some(acc)),
                None => self.stopped.set(true),
            },
            Flow::Skip => self.acc.set(Some(acc)),
            Flow::Stop => {
                self.acc.set(Some(acc));
                self.stopped.set(true);
            }
        }
    }

    #[inline]
    fn notify(&self, _cx: &mut Cx<'_>) {}
}
