//! Async stages: a node whose work completes outside the workers — a GPU kernel, a DMA
//! transfer, a timer, a request to another thread — as a [`Future`], and that never holds a
//! worker while it waits.
//!
//! # The node
//!
//! An [`AsyncNode`] keeps up to `K` futures in flight in slots inside the node (no allocator:
//! their type is known at compile time). Each future works on a [`Batch`] of up to `B` inputs
//! (`B` = 1 for `async |x| …`, `B` = N for `batch(N) async |xs| …`: one device launch per
//! batch) and gives one outcome per input. The node is claimed by one worker per step, like a
//! serial node (`serial.rs`); a step
//!
//! 1. reserves room downstream (none: it returns; the full queue wakes it when it drains);
//! 2. sends what earlier steps could not: the outcomes of a completed batch that found too
//!    little room (a slot keeps them, *unsent*, until they are all sent);
//! 3. if the node was woken since its last full poll ([`Scheduler::wakes`]), polls every future
//!    it holds, and sends the outcomes of those that are ready;
//! 4. starts a future for each batch of queued inputs while a slot is free, polling each once
//!    at once (many futures are ready at their first poll);
//! 5. releases the inputs it took (their items now live in the futures), settles the counts,
//!    and notifies the consumers.
//!
//! # Filling batches
//!
//! A batch is started when `B` inputs are queued (or the queue is full, if it holds fewer); with
//! fewer, when no future is running (nothing else would bring the node back for them: a run's
//! last items must not wait), or when no input has arrived since the last step let them wait:
//! the queue has stopped filling (the run is ending, or an ordered stage's window holds the
//! source back). A step that lets a batch wait comes back once to look. So a lightly loaded
//! stage starts small batches at once, and under load, while futures run, the queue fills and
//! batches are full.
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
//! An item moves from its input slot into a future, which holds it until it completes, then
//! its outcome may wait in the slot for room: the items alive are at most the queues'
//! capacities plus `K × B` per async node. Each item stays
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

use crate::batch::{Batch, Outcomes};
use crate::graph::{Cx, NodeId};
use crate::observe::InFlight;
use crate::queue::Queue;
use crate::sender::Sender;
use crate::serial::Serial;
use crate::stage::{settle, Fallible, Flow};

/// The futures one async node keeps in flight unless `limit(K)` says otherwise.
pub const ASYNC_IN_FLIGHT: usize = 32;

/// What starting an async stage on a batch of inputs gave.
#[derive(Debug)]
pub enum Start<F, M, D> {
    /// A future to poll until it completes, and what [`AsyncStage::finish`] needs then.
    Wait(F, M),
    /// The outcomes at once, without a future (a batch of holes in an ordered run, …).
    Done(D),
}

/// A node's asynchronous work on a batch of up to `B` inputs: a future, then one outcome per
/// input, in the inputs' order.
pub trait AsyncStage<I, const B: usize> {
    /// The output type.
    type Out;
    /// The future one batch starts.
    type Fut: Future;
    /// What the outcomes need besides the future's output (an ordered run's tags).
    type Meta;
    /// Starts the work on `inputs` (at least one).
    fn start(&self, inputs: Batch<I, B>) -> Start<Self::Fut, Self::Meta, Outcomes<Self::Out, B>>;
    /// The outcomes, once the future gave `done`.
    fn finish(
        &self,
        meta: Self::Meta,
        done: <Self::Fut as Future>::Output,
    ) -> Outcomes<Self::Out, B>;
}

/// `async |x| y`: one future per input. `F` calls the user's async closure (`pipeline!` passes
/// `move |x| f(x)`, so the future may borrow the closure).
#[derive(Debug)]
pub struct AsyncMap<F>(pub F);

impl<I, F: Fn(I) -> Fut, Fut: Future> AsyncStage<I, 1> for AsyncMap<F> {
    type Out = Fut::Output;
    type Fut = Fut;
    type Meta = ();
    #[inline]
    fn start(&self, inputs: Batch<I, 1>) -> Start<Fut, (), Outcomes<Fut::Output, 1>> {
        match inputs.into_iter().next() {
            Some(input) => Start::Wait((self.0)(input), ()),
            None => Start::Done(Batch::new()),
        }
    }
    #[inline]
    fn finish(&self, (): (), done: Fut::Output) -> Outcomes<Fut::Output, 1> {
        Batch::of_one(Flow::Emit(done))
    }
}

impl<I, T, E, S, const B: usize> AsyncStage<I, B> for Fallible<'_, S, E>
where
    S: AsyncStage<I, B, Out = Result<T, E>>,
{
    type Out = T;
    type Fut = S::Fut;
    type Meta = S::Meta;
    #[inline]
    fn start(&self, inputs: Batch<I, B>) -> Start<S::Fut, S::Meta, Outcomes<T, B>> {
        match self.stage.start(inputs) {
            Start::Wait(fut, meta) => Start::Wait(fut, meta),
            Start::Done(flows) => Start::Done(self.settle_all(flows)),
        }
    }
    #[inline]
    fn finish(&self, meta: S::Meta, done: <S::Fut as Future>::Output) -> Outcomes<T, B> {
        self.settle_all(self.stage.finish(meta, done))
    }
}

impl<S, E> Fallible<'_, S, E> {
    fn settle_all<T, const B: usize>(&self, flows: Outcomes<Result<T, E>, B>) -> Outcomes<T, B> {
        flows
            .into_iter()
            .map(|flow| settle(flow, self.errors))
            .collect()
    }
}

/// An async stage before its input type is known: what its constructor returns, so that the
/// stage can be wrapped (tags) before [`async_node`](crate::raw::async_node) gives it slots.
#[derive(Debug)]
pub struct AsyncStageOf<S>(pub S);

/// A node that keeps up to `K` futures of stage `S`, each on up to `B` inputs, in flight
/// (module docs). Run it pinned.
pub struct AsyncNode<S: AsyncStage<I, B>, I, const B: usize, const K: usize> {
    stage: S,
    slots: Serial<Slots<S::Fut, S::Meta, S::Out, B, K>>,
    input: PhantomData<fn(I)>,
}

/// The futures in flight, each with its stage's `Meta`; the outcomes of completed batches not
/// sent yet; and the wake count of the last poll.
struct Slots<F, M, O, const B: usize, const K: usize> {
    /// Pinned in place: a future is dropped here, never moved out (module docs, "Pinning").
    futures: [Option<F>; K],
    metas: [Option<M>; K],
    unsent: [Option<arrayvec::IntoIter<Flow<O>, B>>; K],
    /// Slots with a future.
    running: usize,
    /// Slots with a future or unsent outcomes: not free.
    taken: usize,
    /// Slots with unsent outcomes.
    waiting: usize,
    /// [`Scheduler::wakes`](crate::Scheduler::wakes) when every running future was last polled.
    seen: usize,
    /// The futures running since the last step, for the statistics.
    in_flight: InFlight,
    /// The inputs queued when a step last let a partial batch wait (`usize::MAX`: none).
    declined: usize,
}

impl<S: AsyncStage<I, B>, I, const B: usize, const K: usize> AsyncNode<S, I, B, K> {
    /// A node running `stage` with `K` slots.
    pub fn new(stage: S) -> Self {
        const { assert!(K > 0, "an async stage needs room for one future") };
        const { assert!(B > 0, "a batch holds at least one item") };
        AsyncNode {
            stage,
            slots: Serial::new(Slots {
                futures: [const { None }; K],
                metas: [const { None }; K],
                unsent: [const { None }; K],
                running: 0,
                taken: 0,
                waiting: 0,
                seen: 0,
                in_flight: InFlight::default(),
                declined: usize::MAX,
            }),
            input: PhantomData,
        }
    }
}

impl<S: AsyncStage<I, B>, I, const B: usize, const K: usize> core::fmt::Debug
    for AsyncNode<S, I, B, K>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AsyncNode")
            .field("batch", &B)
            .field("slots", &K)
            .finish_non_exhaustive()
    }
}

/// What one step has done so far: the outputs it sent and the inputs it finished.
struct Tally {
    room: usize,
    emitted: usize,
    completed: usize,
    /// Cleared when an outcome says the run must stop.
    going: bool,
}

impl Tally {
    fn has_room(&self) -> bool {
        self.going && self.emitted < self.room
    }

    /// Sends what the room allows of `outcomes` (a skip or a stop needs none); returns whether
    /// they were all sent.
    #[inline]
    fn send<O, Out: Sender<O>, const B: usize>(
        &mut self,
        outcomes: &mut arrayvec::IntoIter<Flow<O>, B>,
        out: &Out,
    ) -> bool {
        while self.going {
            match outcomes.as_slice().first() {
                None => return true,
                Some(Flow::Emit(_)) if self.emitted == self.room => return false,
                Some(_) => {}
            }
            let Some(flow) = outcomes.next() else {
                return true;
            };
            self.completed += 1;
            match flow {
                Flow::Emit(value) => {
                    out.push(value);
                    self.emitted += 1;
                }
                Flow::Skip => {}
                Flow::Stop => self.going = false,
            }
        }
        outcomes.len() == 0
    }
}

impl<F, M, O, const B: usize, const K: usize> Slots<F, M, O, B, K> {
    /// Sends the outcomes of slot `i`'s batch; what finds no room stays in the slot.
    fn complete<Out: Sender<O>>(
        &mut self,
        i: usize,
        outcomes: Outcomes<O, B>,
        tally: &mut Tally,
        out: &Out,
    ) {
        let mut outcomes = outcomes.into_iter();
        if tally.send(&mut outcomes, out) {
            self.taken -= 1;
        } else {
            self.unsent[i] = Some(outcomes);
            self.waiting += 1;
        }
    }

    /// Sends the outcomes earlier steps kept for lack of room.
    fn send_unsent<Out: Sender<O>>(&mut self, tally: &mut Tally, out: &Out) {
        for unsent in &mut self.unsent {
            if !tally.going {
                return;
            }
            if let Some(outcomes) = unsent {
                if tally.send(outcomes, out) {
                    *unsent = None;
                    self.waiting -= 1;
                    self.taken -= 1;
                }
            }
        }
    }
}

/// Polls the future in `slot` once; if it completed, drops it in place and returns its
/// outcomes.
#[inline]
fn poll_slot<S: AsyncStage<I, B>, I, const B: usize>(
    stage: &S,
    future: &mut Option<S::Fut>,
    meta: &mut Option<S::Meta>,
    cx: &mut Context<'_>,
) -> Option<Outcomes<S::Out, B>> {
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

/// The next batch of queued inputs to start, if one is due ("Filling batches"). `declined`
/// is what was queued when a step last let a partial batch wait.
fn next_batch<I, const Q: usize, const B: usize>(
    input: &Queue<I, Q>,
    running: usize,
    declined: &mut usize,
) -> Option<Batch<I, B>> {
    let queued = input.len();
    if queued == 0 {
        return None;
    }
    if queued < B.min(Q) && running > 0 && queued != *declined {
        *declined = queued; // more may come; if none has by the next step, it starts
        return None;
    }
    let mut batch = Batch::new();
    while !batch.is_full() {
        let Some(item) = input.pop() else { break };
        let _ = batch.push(item); // cannot fail: not full
    }
    // Empty when a producer has claimed a slot but not yet written it: it notifies us after.
    (!batch.is_empty()).then(|| {
        *declined = usize::MAX;
        batch
    })
}

/// One step of async node `this` (module docs).
pub fn run_async<I, St, S, const Q: usize, const B: usize, const K: usize>(
    this: NodeId,
    input: &Queue<I, Q>,
    node: Pin<&AsyncNode<St, I, B, K>>,
    out: S,
    cx: &mut Cx<'_>,
) -> bool
where
    St: AsyncStage<I, B>,
    S: Sender<St::Out>,
{
    let node = node.get_ref();
    let Some(mut claim) = node.slots.try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() || (claim.taken == 0 && input.is_empty()) {
        if claim.release() {
            cx.notify(this);
        }
        return false;
    }
    cx.count_queued(this, || input.len());
    let room = out.reserve(crate::node::BATCH.max(B), cx);
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
        going: true,
    };
    // Read before polling (`wake.rs`, "Memory ordering").
    let wakes = cx.wakes(this);
    let waker = cx.waker(this);
    let mut context = Context::from_waker(&waker);
    let slots = &mut *claim;

    if slots.waiting > 0 {
        slots.send_unsent(&mut tally, &out);
    }
    if wakes != slots.seen && slots.running > 0 {
        let mut all = true;
        for i in 0..K {
            if !tally.has_room() {
                all = false; // the rest next step: `seen` stays behind
                break;
            }
            let (future, meta) = (&mut slots.futures[i], &mut slots.metas[i]);
            if let Some(outcomes) = poll_slot(&node.stage, future, meta, &mut context) {
                slots.running -= 1;
                slots.complete(i, outcomes, &mut tally, &out);
            }
        }
        if all {
            slots.seen = wakes;
        }
    }

    let mut taken = 0;
    let declined = slots.declined;
    while slots.taken < K && tally.has_room() {
        let Some(batch) = next_batch::<I, Q, B>(input, slots.running, &mut slots.declined) else {
            break;
        };
        taken += batch.len();
        let free = (0..K).find(|&i| slots.futures[i].is_none() && slots.unsent[i].is_none());
        let free = free.expect("fewer than K slots taken leaves one free");
        slots.taken += 1;
        let outcomes = match node.stage.start(batch) {
            Start::Done(outcomes) => outcomes,
            Start::Wait(fut, meta) => {
                slots.futures[free] = Some(fut);
                slots.metas[free] = Some(meta);
                let (future, meta) = (&mut slots.futures[free], &mut slots.metas[free]);
                match poll_slot(&node.stage, future, meta, &mut context) {
                    Some(outcomes) => outcomes,
                    None => {
                        slots.running += 1;
                        continue;
                    }
                }
            }
        };
        slots.complete(free, outcomes, &mut tally, &out);
    }
    cx.count_in_flight(this, &mut slots.in_flight, slots.running);
    // A partial batch was left to fill: come back once to see whether more came.
    let filling = slots.declined != declined && slots.declined != usize::MAX;
    let busy = slots.taken;
    if !tally.going {
        // The run ends; the counts no longer matter. The futures are dropped with the node.
        cx.stop();
        return true;
    }

    let Tally {
        room,
        emitted,
        completed,
        ..
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
    // Out of room with more to do, or a batch filling: come back. Otherwise a wake-up, an
    // input or room brings us back.
    let more = filling || (emitted == room && (busy > 0 || !input.is_empty()));
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
