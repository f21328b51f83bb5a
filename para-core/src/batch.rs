//! [`Batch`]: up to `N` items at once, without an allocator — what a `batch(N)` stage takes and
//! gives back, and what a device wants for one launch.
//!
//! A `batch(N)` stage is called with the items queued at its input, up to `N` of them, and must
//! give back one output per input, in the same order: the outputs then leave one by one, each in
//! its input's place (an `ordered` stage after it still sees source order). Batches are not
//! padded or held back to fill: a step takes what is queued, so the last items of a run are
//! never left waiting, and under load, when the queue is full, batches are full too.

use core::fmt;
use core::future::Future;
use core::ops::{Deref, DerefMut};

use arrayvec::ArrayVec;

use crate::async_node::{AsyncStage, Start};
use crate::graph::{Cx, NodeId};
use crate::node::ParallelNode;
use crate::queue::Queue;
use crate::sender::Sender;
use crate::stage::Flow;

/// Up to `N` items, inline (no allocator). Reads as a slice; iterates by value; collects from
/// an iterator of at most `N` items.
pub struct Batch<T, const N: usize>(ArrayVec<T, N>);

impl<T, const N: usize> Batch<T, N> {
    /// An empty batch.
    pub const fn new() -> Self {
        Batch(ArrayVec::new_const())
    }

    /// Adds `item`; gives it back if the batch is full.
    pub fn push(&mut self, item: T) -> Result<(), T> {
        self.0.try_push(item).map_err(|full| full.element())
    }

    /// A batch of `item` alone.
    pub fn of_one(item: T) -> Self {
        let mut batch = Batch::new();
        let _ = batch.push(item); // cannot fail: `N` ≥ 1 where a batch is built
        batch
    }

    /// The most items it holds: `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Whether it holds `N` items.
    pub fn is_full(&self) -> bool {
        self.0.is_full()
    }
}

impl<T, const N: usize> Default for Batch<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Deref for Batch<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T, const N: usize> DerefMut for Batch<T, N> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for Batch<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Clone, const N: usize> Clone for Batch<T, N> {
    fn clone(&self) -> Self {
        Batch(self.0.clone())
    }
}

impl<T: PartialEq, const N: usize> PartialEq for Batch<T, N> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T, const N: usize> IntoIterator for Batch<T, N> {
    type Item = T;
    type IntoIter = arrayvec::IntoIter<T, N>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a Batch<T, N> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T, const N: usize> FromIterator<T> for Batch<T, N> {
    /// # Panics
    /// If the iterator yields more than `N` items.
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut batch = Batch::new();
        for item in items {
            assert!(
                batch.push(item).is_ok(),
                "para: more than {N} items collected into a Batch<_, {N}>"
            );
        }
        batch
    }
}

impl<T, const N: usize> Extend<T> for Batch<T, N> {
    /// # Panics
    /// If the batch would hold more than `N` items.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            assert!(
                self.push(item).is_ok(),
                "para: more than {N} items in a Batch<_, {N}>"
            );
        }
    }
}

/// One [`Flow`] per input of a batch, in the inputs' order.
pub type Outcomes<O, const N: usize> = Batch<Flow<O>, N>;

/// A node's work on a batch of inputs: one [`Flow`] per input, in the inputs' order.
pub trait BatchStage<I, const N: usize> {
    /// The output type.
    type Out;
    /// Processes `inputs`.
    fn call_batch(&self, inputs: Batch<I, N>) -> Outcomes<Self::Out, N>;
}

/// `batch(N) |xs| ys`: the closure takes the batch and gives back one output per input.
#[derive(Debug)]
pub struct BatchMap<F>(pub F);

impl<I, O, B, F, const N: usize> BatchStage<I, N> for BatchMap<F>
where
    F: Fn(Batch<I, N>) -> B,
    B: IntoIterator<Item = O>,
{
    type Out = O;
    fn call_batch(&self, inputs: Batch<I, N>) -> Outcomes<O, N> {
        match inputs.len() {
            0 => Batch::new(), // a batch of holes in an ordered run: nothing to call it with
            given => one_per_input(given, (self.0)(inputs)),
        }
    }
}

/// `batch(N) async |xs| ys`: the async closure takes the batch, and its future gives back one
/// output per input. One future per batch (one device launch), several in flight
/// (`async_node.rs`).
#[derive(Debug)]
pub struct AsyncBatchMap<F, const N: usize>(pub F);

impl<I, O, F, Fut, const N: usize> AsyncStage<I, N> for AsyncBatchMap<F, N>
where
    F: Fn(Batch<I, N>) -> Fut,
    Fut: Future,
    Fut::Output: IntoIterator<Item = O>,
{
    type Out = O;
    type Fut = Fut;
    /// How many inputs the batch had.
    type Meta = usize;
    fn start(&self, inputs: Batch<I, N>) -> Start<Fut, usize, Outcomes<O, N>> {
        match inputs.len() {
            0 => Start::Done(Batch::new()),
            given => Start::Wait((self.0)(inputs), given),
        }
    }
    fn finish(&self, given: usize, done: Fut::Output) -> Outcomes<O, N> {
        one_per_input(given, done)
    }
}

/// `try batch(N) async |xs| …`: the same for a future that gives `Ok(outputs)`, one per input,
/// or `Err(e)` for the whole batch (a failed launch), which stops the run.
#[derive(Debug)]
pub struct AsyncTryBatchMap<F, const N: usize>(pub F);

impl<I, O, E, F, Fut, Os, const N: usize> AsyncStage<I, N> for AsyncTryBatchMap<F, N>
where
    F: Fn(Batch<I, N>) -> Fut,
    Fut: Future<Output = Result<Os, E>>,
    Os: IntoIterator<Item = O>,
{
    type Out = Result<O, E>;
    type Fut = Fut;
    /// How many inputs the batch had.
    type Meta = usize;
    fn start(&self, inputs: Batch<I, N>) -> Start<Fut, usize, Outcomes<Result<O, E>, N>> {
        match inputs.len() {
            0 => Start::Done(Batch::new()),
            given => Start::Wait((self.0)(inputs), given),
        }
    }
    fn finish(&self, given: usize, done: Result<Os, E>) -> Outcomes<Result<O, E>, N> {
        match done {
            Ok(outputs) => one_per_input(given, outputs.into_iter().map(Ok)),
            // The error in the first input's place, the others skipped: the error stops the run.
            Err(error) => {
                let mut flows = Batch::of_one(Flow::Emit(Err(error)));
                flows.extend((1..given).map(|_| Flow::Skip));
                flows
            }
        }
    }
}

/// A batch stage's `outputs` for `given` inputs, checked to be one per input.
///
/// # Panics
/// If there are more or fewer outputs than inputs: which input an output belongs to (and its
/// tag, before an ordered stage) would be lost.
fn one_per_input<O, const N: usize>(
    given: usize,
    outputs: impl IntoIterator<Item = O>,
) -> Outcomes<O, N> {
    let mut flows = Batch::new();
    for output in outputs {
        assert!(
            flows.len() < given && flows.push(Flow::Emit(output)).is_ok(),
            "para: a `batch` stage gave back more outputs than the {given} inputs it was given; \
             it must give back one output per input, in order"
        );
    }
    assert!(
        flows.len() == given,
        "para: a `batch` stage gave back {} outputs for {given} inputs; it must give back one \
         output per input, in order",
        flows.len()
    );
    flows
}

/// One step of batch node `this`: the queued inputs, up to `N` and the room downstream, through
/// `node`'s stage in one call; its outputs leave one by one.
pub fn run_batch<I, St, S, const Q: usize, const N: usize>(
    this: NodeId,
    input: &Queue<I, Q>,
    node: &ParallelNode<St>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: BatchStage<I, N>,
    S: Sender<St::Out>,
{
    if input.is_empty() {
        return false;
    }
    cx.count_queued(this, || input.len());
    let room = out.reserve(N, cx);
    if room == 0 {
        cx.count_blocked(this);
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    let mut inputs = Batch::<I, N>::new();
    while inputs.len() < room {
        let Some(item) = input.pop() else { break };
        let _ = inputs.push(item); // cannot fail: room ≤ N
    }
    let done = inputs.len();
    if !input.is_empty() {
        cx.offer(this); // more than one batch queued: another worker may take the next
    }
    let mut emitted = 0;
    if done > 0 {
        for flow in node.stage().call_batch(inputs) {
            match flow {
                Flow::Emit(output) => {
                    out.push(output);
                    emitted += 1;
                }
                Flow::Skip => {}
                Flow::Stop => {
                    cx.stop();
                    return true;
                }
            }
        }
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
    let retired = if S::COPIES == 0 {
        done
    } else {
        (room - emitted) * clones + (done - emitted)
    };
    cx.retire_items(retired);
    done > 0
}
