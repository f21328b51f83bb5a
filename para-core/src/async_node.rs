//! Async stages: a node whose work completes outside the workers — a GPU kernel, a DMA
//! transfer, a timer, a request to another thread — as a [`Future`], and that never holds a
//! worker while it waits.
//!
//! # The node
//!
//! An [`AsyncNode`] keeps up to `K` futures in flight in slots inside the node (no allocator:
//! their type is known at compile time). It is claimed by one worker per step, like a serial
//! node (`serial.rs`); a step
//!
//! 1. reserves room downstream (none: it returns; the full queue wakes it when it drains);
//! 2. if the node was woken since its last full poll ([`Scheduler::wakes`]), polls every future
//!    it holds, and sends the outputs of those that are ready;
//! 3. starts a future for each queued input while a slot is free, polling each once at once
//!    (many futures are ready at their first poll);
//! 4. releases the inputs it took (their items now live in the futures), settles the counts,
//!    and notifies the consumers.
//!
//! A pending future is never waited for: the worker goes on to other nodes. Its waker makes
//! the node run again when it is woken ([`Scheduler::waker`]): para-std's pushes a task for the
//! node; on a chip the cores scan every node anyway, and the waker counts the wake-up
//! (`wake.rs`), so the node polls again. A wake-up during a step is not lost: the step read the
//! wake count before it polled, and the token the wake-up pushed finds the node claimed, which
//! makes the claim's holder notify the node again when it lets go (`serial.rs`).
//!
//! # Memory and counting
//!
//! An item moves from its input slot into a future, which holds it until it completes: the
//! items alive are at most the queues' capacities plus `K` per async node. Each item stays
//! counted in the run's item count (`graph.rs`, "Termination") while its future is pending, so
//! a run never ends with futures in flight. If the run is stopped (an error, a sink's `Break`,
//! a panic), the pending futures are dropped with the node, once each.
//!
//! # Pinning
//!
//! A future is polled in its slot and must not move once polled. The node is therefore run
//! through a `Pin<&AsyncNode>` (`pipeline!` pins it on its stack with `core::pin::pin!`), and a
//! future leaves its slot only by being dropped there (`*slot = None`), never by a move.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::graph::{Cx, NodeId};
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;
use crate::stage::{settle, Fallible, Flow};

/// The futures one async node keeps in flight unless `limit(K)` says otherwise.
pub const ASYNC_IN_FLIGHT: usize = 32;

/// What starting an async stage on one input gave.
#[derive(Debug)]
pub enum Start<F, M, O> {
    /// A future to poll until it completes, and what [`AsyncStage::finish`] needs then.
    Wait(F, M),
    /// The outcome at once, without a future (a hole in an ordered run, …).
    Done(Flow<O>),
}

/// A node's asynchronous work on one input: a future, then an outcome.
pub trait AsyncStage<I> {
    /// The output type.
    type Out;
    /// The future one input starts.
    type Fut: Future;
    /// What the outcome needs besides the future's output (an ordered run's tag).
    type Meta;
    /// Starts the work on `input`.
    fn start(&self, input: I) -> Start<Self::Fut, Self::Meta, Self::Out>;
    /// The outcome, once the future gave `done`.
    fn finish(&self, meta: Self::Meta, done: <Self::Fut as Future>::Output) -> Flow<Self::Out>;
}

/// `async |x| y`: one output per input, once its future completes. `F` calls the user's async
/// closure (`pipeline!` passes `move |x| f(x)`, so the future may borrow the closure).
#[derive(Debug)]
pub struct AsyncMap<F>(pub F);

impl<I, F: Fn(I) -> Fut, Fut: Future> AsyncStage<I> for AsyncMap<F> {
    type Out = Fut::Output;
    type Fut = Fut;
    type Meta = ();
    #[inline]
    fn start(&self, input: I) -> Start<Fut, (), Fut::Output> {
        Start::Wait((self.0)(input), ())
    }
    #[inline]
    fn finish(&self, (): (), done: Fut::Output) -> Flow<Fut::Output> {
        Flow::Emit(done)
    }
}

impl<I, T, E, S: AsyncStage<I, Out = Result<T, E>>> AsyncStage<I> for Fallible<'_, S, E> {
    type Out = T;
    type Fut = S::Fut;
    type Meta = S::Meta;
    #[inline]
    fn start(&self, input: I) -> Start<S::Fut, S::Meta, T> {
        match self.stage.start(input) {
            Start::Wait(fut, meta) => Start::Wait(fut, meta),
            Start::Done(flow) => Start::Done(settle(flow, self.errors)),
        }
    }
    #[inline]
    fn finish(&self, meta: S::Meta, done: <S::Fut as Future>::Output) -> Flow<T> {
        settle(self.stage.finish(meta, done), self.errors)
    }
}

/// An async stage before its input type is known: what its constructor returns, so that the
/// stage can be wrapped (tags) before [`async_node`](crate::raw::async_node) gives it slots.
#[derive(Debug)]
pub struct AsyncStageOf<S>(pub S);

/// A node that keeps up to `K` futures of stage `S` in flight (module docs). Run it pinned.
pub struct AsyncNode<S: AsyncStage<I>, I, const K: usize> {
    stage: S,
    slots: Serial<Slots<S::Fut, S::Meta, K>>,
    input: PhantomData<fn(I)>,
}

/// The futures in flight, each with its stage's `Meta`, and the wake count of the last poll.
struct Slots<F, M, const K: usize> {
    /// Pinned in place: a future is dropped here, never moved out (module docs, "Pinning").
    futures: [Option<F>; K],
    metas: [Option<M>; K],
    pending: usize,
    /// [`Scheduler::wakes`](crate::Scheduler::wakes) when every pending future was last polled.
    seen: usize,
}

impl<S: AsyncStage<I>, I, const K: usize> AsyncNode<S, I, K> {
    /// A node running `stage` with `K` slots.
    pub fn new(stage: S) -> Self {
        const { assert!(K > 0, "an async stage needs room for one future") };
        AsyncNode {
            stage,
            slots: Serial::new(Slots {
                futures: [const { None }; K],
                metas: [const { None }; K],
                pending: 0,
                seen: 0,
            }),
            input: PhantomData,
        }
    }
}

impl<S: AsyncStage<I>, I, const K: usize> core::fmt::Debug for AsyncNode<S, I, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncNode")
            .field("slots", &K)
            .finish_non_exhaustive()
    }
}

/// What one step has done so far: the outputs it sent and the inputs it finished.
struct Tally {
    room: usize,
    emitted: usize,
    completed: usize,
}

impl Tally {
    /// Sends `flow`'s output; returns `false` if the run must stop.
    #[inline]
    fn settle<O, Out: Sender<O>>(&mut self, flow: Flow<O>, out: &Out) -> bool {
        self.completed += 1;
        match flow {
            Flow::Emit(value) => {
                out.push(value);
                self.emitted += 1;
                true
            }
            Flow::Skip => true,
            Flow::Stop => false,
        }
    }

    fn has_room(&self) -> bool {
        self.emitted < self.room
    }
}

/// Polls the future in `slot` once; if it completed, drops it in place and returns its
/// outcome.
#[inline]
fn poll_slot<S: AsyncStage<I>, I>(
    stage: &S,
    future: &mut Option<S::Fut>,
    meta: &mut Option<S::Meta>,
    cx: &mut Context<'_>,
) -> Option<Flow<S::Out>> {
    let fut = future.as_mut()?;
    // SAFETY: the future sits in a slot of a node reached through a `Pin` (`run_async`), so it
    // never moves until it is dropped: it leaves the slot only by `*future = None` below, which
    // drops it in place, or with the node.
    let done = match unsafe { Pin::new_unchecked(fut) }.poll(cx) {
        Poll::Pending => return None,
        Poll::Ready(done) => done,
    };
    *future = None;
    let meta = meta.take().expect("a running future has its meta");
    Some(stage.finish(meta, done))
}

/// One step of async node `this` (module docs).
pub fn run_async<I, St, S, const N: usize, const K: usize>(
    this: NodeId,
    input: &Queue<I, N>,
    node: Pin<&AsyncNode<St, I, K>>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: AsyncStage<I>,
    S: Sender<St::Out>,
{
    let node = node.get_ref();
    let Some(mut claim) = node.slots.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() || (claim.pending == 0 && input.is_empty()) {
        if claim.release() {
            cx.notify(this);
        }
        return false;
    }
    cx.count_queued(this, || input.len());
    let room = out.reserve(crate::node::BATCH, cx);
    if room == 0 {
        cx.count_blocked(this);
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    let mut tally = Tally {
        room,
        emitted: 0,
        completed: 0,
    };
    // Read before polling (`wake.rs`, "Memory ordering").
    let wakes = cx.wakes(this);
    let waker = cx.waker(this);
    let mut context = Context::from_waker(&waker);
    let slots = &mut *claim;
    let mut going = true;

    if wakes != slots.seen && slots.pending > 0 {
        let mut all = true;
        for (future, meta) in slots.futures.iter_mut().zip(&mut slots.metas) {
            if !tally.has_room() {
                all = false; // the rest next step: `seen` stays behind
                break;
            }
            if let Some(flow) = poll_slot(&node.stage, future, meta, &mut context) {
                slots.pending -= 1;
                going = tally.settle(flow, &out);
                if !going {
                    break;
                }
            }
        }
        if all {
            slots.seen = wakes;
        }
    }

    let mut taken = 0;
    while going && slots.pending < K && tally.has_room() {
        let Some(item) = input.pop() else { break };
        taken += 1;
        let flow = match node.stage.start(item) {
            Start::Done(flow) => flow,
            Start::Wait(fut, meta) => {
                let free = slots.futures.iter().position(Option::is_none);
                let free = free.expect("fewer than K futures pending leaves a slot free");
                slots.futures[free] = Some(fut);
                slots.metas[free] = Some(meta);
                let (future, meta) = (&mut slots.futures[free], &mut slots.metas[free]);
                match poll_slot(&node.stage, future, meta, &mut context) {
                    Some(flow) => flow,
                    None => {
                        slots.pending += 1;
                        continue;
                    }
                }
            }
        };
        going = tally.settle(flow, &out);
    }
    let pending = slots.pending;
    if !going {
        // The run ends; the counts no longer matter. The futures are dropped with the node.
        cx.stop();
        return true;
    }

    let Tally {
        room,
        emitted,
        completed,
    } = tally;
    cx.count(this, taken, emitted);
    cx.count_left(this, || input.len());
    if taken > 0 && input.release(taken) {
        cx.wake_producers(this);
    }
    out.unreserve(room - emitted, cx);
    if emitted > 0 {
        out.notify(cx);
    }
    // Out of room with more to do: come back. Otherwise a wake-up or an input brings us back.
    let more = emitted == room && (pending > 0 || !input.is_empty());
    if claim.release() || more {
        cx.notify(this);
    }
    let retired = if S::COPIES == 0 {
        completed
    } else {
        (room - emitted) * clones + (completed - emitted)
    };
    cx.retire_items(retired);
    taken > 0 || completed > 0
}
