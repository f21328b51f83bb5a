//! Fold sinks: a reduction that keeps one accumulator per worker and merges them at the end.
//!
//! A stateful sink (`|x| total += x`) runs on one worker at a time, so every item of a run
//! passes through one core; with cheap items that sink bounds the whole run. A fold sink is
//! stateless from the graph's point of view — any number of steps run at once, like a
//! `parallel` sink — and each step folds its items into an accumulator of its own, taken from
//! a slot it holds for the step. After the run, [`Folded::result`] merges the slots'
//! accumulators into one (rayon's `fold` + `reduce`, oneTBB's `combinable`).
//!
//! # Slots
//!
//! A node has one slot per worker that can run it (a [`Serial`] each, cache-padded: a slot
//! is written by one worker at a time, and neighbours do not share a line). A step claims a
//! slot for its duration, trying its worker's own slot first ([`Cx::worker`]), then the
//! others in turn; each worker runs one step at a time, so with a slot per worker the first
//! try succeeds unless two workers report the same index (the bare-metal scan reports 0 on
//! every core: their claims then spread over the slots). If every slot is held — more steps
//! than slots, which only a hand-built graph can arrange — the step leaves its items queued
//! and asks to run again; a held slot is let go at the end of its step, so this cannot hang.
//!
//! A slot starts empty and gets its accumulator (`init`) on the first step that uses it, so
//! workers that never reach the node cost no accumulator. The result merges the filled slots
//! in slot order, or is `init()` if no item arrived.
//!
//! # Order and stop
//!
//! Items reach the accumulators in no particular order and are split among them in no
//! particular way, so `add` and `merge` should not care (a sum, a count, a map of counts, a
//! set, a minimum): the result is then the same as a sequential fold. A `try` fold's error
//! stops the run like any `try` stage's; an early stop elsewhere (a sink's `Break`) leaves the
//! accumulators holding what they had folded.

use crate::graph::{Cx, NodeId};
use crate::node::{batch, Claims};
use crate::pad::CachePadded;
use crate::queue::Queue;
use crate::sender::Discard;
use crate::serial::{Claim, Serial};
use crate::stage::{ErrorSlot, Flow, Pass, Stage};
use crate::wiring::{Ty, WrapStage};

/// One worker's accumulator of a fold sink: empty until the worker's first step there.
#[derive(Debug)]
pub struct FoldSlot<A>(CachePadded<Serial<Option<A>>>);

impl<A> FoldSlot<A> {
    /// An empty slot. (`const`, to fill an array: `[const { FoldSlot::new() }; CORES]`.)
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        FoldSlot(CachePadded(Serial::new(None)))
    }

    /// An empty slot.
    #[cfg(loom)]
    pub fn new() -> Self {
        FoldSlot(CachePadded(Serial::new(None)))
    }
}

impl<A> Default for FoldSlot<A> {
    fn default() -> Self {
        Self::new()
    }
}

/// How a fold sink adds one item to an accumulator.
pub trait Fold<A, J> {
    /// `acc` with `item` added, or `None` to stop the run (a `try` fold recorded an error).
    fn add(&self, acc: A, item: J) -> Option<A>;
}

/// `fold(init, add, merge)`: `add(acc, item)` returns the new accumulator.
#[derive(Debug)]
pub struct Add<F>(pub F);

impl<A, J, F: Fn(A, J) -> A> Fold<A, J> for Add<F> {
    #[inline]
    fn add(&self, acc: A, item: J) -> Option<A> {
        Some((self.0)(acc, item))
    }
}

/// `try fold(init, add, merge)`: `add(acc, item)` returns `Result`; the first error stops the
/// run and is returned.
#[derive(Debug)]
pub struct TryAdd<'e, F, E> {
    f: F,
    errors: &'e ErrorSlot<E>,
}

impl<'e, F, E> TryAdd<'e, F, E> {
    /// Wraps `f`, recording its errors in `errors`.
    pub fn new(f: F, errors: &'e ErrorSlot<E>) -> Self {
        TryAdd { f, errors }
    }
}

impl<A, J, E, F: Fn(A, J) -> Result<A, E>> Fold<A, J> for TryAdd<'_, F, E> {
    #[inline]
    fn add(&self, acc: A, item: J) -> Option<A> {
        match (self.f)(acc, item) {
            Ok(acc) => Some(acc),
            Err(error) => {
                self.errors.set(error);
                None
            }
        }
    }
}

/// `reduce(init, op)`: items and accumulators have one type, and `op` both adds and merges.
#[derive(Debug)]
pub struct Reduce<F>(pub F);

impl<A, F: Fn(A, A) -> A> Fold<A, A> for Reduce<F> {
    #[inline]
    fn add(&self, acc: A, item: A) -> Option<A> {
        Some((self.0)(acc, item))
    }
}

/// A fold sink: stateless stages `pre` (fused in front, see `wiring::fuse`; `Pass` if none),
/// then `fold` into the accumulator of a slot of `slots` (module docs).
#[derive(Debug)]
pub struct FoldNode<P, Init, F, S> {
    pub(crate) pre: P,
    pub(crate) init: Init,
    pub(crate) fold: F,
    pub(crate) slots: S,
}

impl<P, Init, F, S> FoldNode<P, Init, F, S> {
    /// A fold sink running `pre` then `fold` on each input, with accumulators made by `init`
    /// in `slots` (one per worker that may run the graph: fewer only slow it down).
    ///
    /// # Panics
    /// If `slots` is empty: no step could ever run.
    pub fn new<A>(pre: P, init: Init, fold: F, slots: S) -> Self
    where
        S: AsRef<[FoldSlot<A>]>,
    {
        assert!(
            !slots.as_ref().is_empty(),
            "a fold sink needs at least one accumulator slot"
        );
        FoldNode {
            pre,
            init,
            fold,
            slots,
        }
    }

    /// How it makes an empty accumulator.
    pub fn init(&self) -> &Init {
        &self.init
    }

    /// The same node running `wrap(pre)` in front of its fold (to fuse stages or take tags).
    pub fn wrap_pre<W>(self, wrap: impl FnOnce(P) -> W) -> FoldNode<W, Init, F, S> {
        let FoldNode {
            pre,
            init,
            fold,
            slots,
        } = self;
        FoldNode {
            pre: wrap(pre),
            init,
            fold,
            slots,
        }
    }

    /// After the run: the accumulators, to be merged with `merge`. Drops the stages (and with
    /// them any borrow of the run's error slot).
    pub fn done<M>(self, merge: M) -> Folded<Init, S, M> {
        Folded {
            init: self.init,
            slots: self.slots,
            merge,
        }
    }
}

impl<P, Init, Op, S> FoldNode<P, Init, Reduce<Op>, S> {
    /// After the run of a `reduce` sink: the accumulators, merged with its own `op`.
    pub fn reduced(self) -> Folded<Init, S, Op> {
        Folded {
            init: self.init,
            slots: self.slots,
            merge: self.fold.0,
        }
    }
}

/// A fold sink's accumulators after the run, and how to merge them.
#[derive(Debug)]
pub struct Folded<Init, S, M> {
    init: Init,
    slots: S,
    merge: M,
}

impl<Init, S, M> Folded<Init, S, M> {
    /// The merged accumulators, in slot order; `init()` if no item was folded.
    pub fn result<A>(mut self) -> A
    where
        Init: Fn() -> A,
        S: AsMut<[FoldSlot<A>]>,
        M: FnMut(A, A) -> A,
    {
        self.slots
            .as_mut()
            .iter_mut()
            .filter_map(|slot| slot.0 .0.get_mut().take())
            .reduce(&mut self.merge)
            .unwrap_or_else(|| (self.init)())
    }
}

/// One step of fold sink `this`: a share of the queued items into the accumulator of a slot.
pub fn run_fold<I, P, Init, F, S, A, const N: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: &FoldNode<P, Init, F, S>,
    cx: &mut Cx<'_>,
) -> bool
where
    P: Stage<I>,
    Init: Fn() -> A,
    F: Fold<A, P::Out>,
    S: AsRef<[FoldSlot<A>]>,
{
    if input.is_empty() {
        return false;
    }
    let Some(mut slot) = claim_slot(node.slots.as_ref(), cx.worker()) else {
        cx.notify(this); // every slot is held: each is let go at the end of its step
        return false;
    };
    let mut acc = Some(slot.take().unwrap_or_else(&node.init));
    let claims = Claims::Share { limit: usize::MAX };
    let worked = batch(this, input, Discard, cx, claims, |item, _| {
        let item = match node.pre.call(item) {
            Flow::Emit(item) => item,
            Flow::Skip => return Flow::Skip,
            Flow::Stop => return Flow::Stop,
        };
        let Some(a) = acc.take() else {
            return Flow::Stop; // unreachable: a stop ends the step
        };
        match node.fold.add(a, item) {
            Some(a) => {
                acc = Some(a);
                Flow::Emit(())
            }
            None => Flow::Stop,
        }
    });
    *slot = acc;
    let _ = slot.release(); // a claimant that found it held went on to another slot
    worked
}

/// The first slot free to claim, starting at `hint`.
pub(crate) fn claim_slot<A>(slots: &[FoldSlot<A>], hint: usize) -> Option<Claim<'_, Option<A>>> {
    (0..slots.len()).find_map(|i| slots[(hint + i) % slots.len()].0.try_claim())
}

// Wiring: what `pipeline!`'s expansion calls for `fold(…)`, `try fold(…)` and `reduce(…)`
// (with the slots para-std allocates, one per thread; see `wiring.rs` for the conventions).

impl<P, Init, F, S> WrapStage for FoldNode<P, Init, F, S> {
    type Stage = P;
    type With<W> = FoldNode<W, Init, F, S>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(P) -> W) -> FoldNode<W, Init, F, S> {
        self.wrap_pre(wrap)
    }
}

/// `fold(init, add, merge)` on items of type `I`, with accumulators in `slots`.
pub fn fold_sink_in<I, A, Init, F, S>(
    _input: Ty<I>,
    slots: S,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, Add<F>, S>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> A + Sync,
    A: Send,
    S: AsRef<[FoldSlot<A>]>,
{
    FoldNode::new(Pass, init, Add(add), slots)
}

/// `try fold(init, add, merge)`: `add` returns `Result`, its first error ends the run.
pub fn try_fold_sink_in<'e, I, A, E, Init, F, S>(
    _input: Ty<I>,
    slots: S,
    errors: &'e ErrorSlot<E>,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, TryAdd<'e, F, E>, S>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> Result<A, E> + Sync,
    A: Send,
    E: Send,
    S: AsRef<[FoldSlot<A>]>,
{
    FoldNode::new(Pass, init, TryAdd::new(add, errors), slots)
}

/// `reduce(init, op)` on items of type `A`: `op` adds an item and merges two accumulators.
pub fn reduce_sink_in<A, Init, Op, S>(
    _input: Ty<A>,
    slots: S,
    init: Init,
    op: Op,
) -> FoldNode<Pass, Init, Reduce<Op>, S>
where
    Init: Fn() -> A + Sync,
    Op: Fn(A, A) -> A + Sync,
    A: Send,
    S: AsRef<[FoldSlot<A>]>,
{
    FoldNode::new(Pass, init, Reduce(op), slots)
}

/// The `merge` of a fold sink whose `init` is `_init`, passed through here where it is
/// written so that its closure infers its argument types from the accumulator's, and a mistake
/// in it is reported there, once (the opaque type returned meets [`Folded::result`]'s bound by
/// definition).
pub fn fold_merge<Init, A, M>(_init: &Init, merge: M) -> impl FnMut(A, A) -> A
where
    Init: Fn() -> A,
    M: FnMut(A, A) -> A,
{
    merge
}
