//! Typed wiring for `pipeline!`: the functions its expansion calls to build nodes.
//!
//! The macro never names a type. It threads a zero-sized [`Ty<T>`] marker from node to node, so
//! that each closure is passed to a function whose bound (`F: Fn(I) -> O`) already knows `I`:
//! that is what lets `|x| x * 2` infer `x`'s type, and what turns a mistake (a non-`Clone` item
//! into a fan-out, a merge of different types, a sink returning a value) into an error at the
//! user's closure with a sentence that explains it.

use core::marker::PhantomData;

use crate::async_node::{AsyncMap, AsyncNode, AsyncStage, AsyncStageOf};
use crate::batch::{AsyncBatchMap, AsyncTryBatchMap, Batch, BatchMap};
use crate::flat_map::{FlatMapNode, SerialFlatMapNode};
use crate::node::{ParallelNode, SerialNode, SourceNode};
use crate::ordered::{OrderedBuffer, TagIter, Tagged, TaggedStage, Untag};
use crate::queue::Queue;
use crate::stage::{
    AsFlatMap, ErrorSlot, Fallible, Filter, FilterMap, Fused, Map, Sink, SinkOutput, StageMut,
    TryFilter, TryFilterMap, TrySink,
};

/// The type of the items on an edge, as a value the macro can pass around.
pub struct Ty<T>(PhantomData<fn() -> T>);

impl<T> Clone for Ty<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ty<T> {}

impl<T> core::fmt::Debug for Ty<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(core::any::type_name::<T>())
    }
}

impl<T> Ty<T> {
    /// The marker of items of type `T`.
    pub fn new() -> Self {
        Ty(PhantomData)
    }
}

impl<T> Default for Ty<T> {
    fn default() -> Self {
        Self::new()
    }
}

fn ty<T>() -> Ty<T> {
    Ty::new()
}

/// Items that travel between workers.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel between para's worker threads",
    label = "items of this type flow through the pipeline",
    note = "every item is handed from worker to worker, so its type must implement `Send`"
)]
pub trait Item: Send {}
impl<T: Send> Item for T {}

/// Items that may enter a fan-out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is sent into a fan-out, so it must implement `Clone`",
    label = "this fan-out gives every branch its own copy of each item",
    note = "each branch but the last receives a clone; derive or implement `Clone` for the item, \
            or wrap it in an `Arc`"
)]
pub trait FanOutItem: Clone + Send {}
impl<T: Clone + Send> FanOutItem for T {}

/// A source over `items`.
pub fn source<I>(items: I) -> (SourceNode<I::IntoIter>, Ty<I::Item>)
where
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Item,
{
    (SourceNode::new(items.into_iter()), ty())
}

/// Generates the wiring function of one stage kind, in its parallel (`Fn + Sync`, run by many
/// workers at once) and serial (`FnMut + Send`, one at a time) variants.
macro_rules! stage_kind {
    ($(#[$doc:meta])* $parallel:ident, $serial:ident, $adapter:ident,
     <$($gen:ident),*> ($arg:ty) -> $ret:ty, $out:ty) => {
        $(#[$doc])*
        #[doc = "\n\nParallel variant: any number of workers call `f` at once."]
        pub fn $parallel<I, $($gen,)* F>(_input: Ty<I>, f: F) -> (ParallelNode<$adapter<F>>, Ty<$out>)
        where
            F: Fn($arg) -> $ret + Sync,
            $out: Item,
        {
            (ParallelNode::new($adapter(f)), ty())
        }

        $(#[$doc])*
        #[doc = "\n\nSerial variant: one worker at a time calls `f`, which may keep state."]
        pub fn $serial<I, $($gen,)* F>(_input: Ty<I>, f: F) -> (SerialNode<$adapter<F>>, Ty<$out>)
        where
            F: FnMut($arg) -> $ret + Send,
            $out: Item,
        {
            (SerialNode::new($adapter(f)), ty())
        }
    };
}

stage_kind!(
    /// `|x| y`: a stage with one output per input.
    parallel_map, serial_map, Map, <O> (I) -> O, O
);
stage_kind!(
    /// `filter |x| keep`: passes on the items for which `f(&item)` is true.
    parallel_filter, serial_filter, Filter, <> (&I) -> bool, I
);
stage_kind!(
    /// `filter_map |x| option`: passes on the `Some` outputs.
    parallel_filter_map, serial_filter_map, FilterMap, <O> (I) -> Option<O>, O
);

/// Generates the wiring function of one fallible stage kind (`try …`), parallel and serial: the
/// adapter emits `Result`s, which [`Fallible`] settles into the run's [`ErrorSlot`].
macro_rules! try_stage_kind {
    ($(#[$doc:meta])* $parallel:ident, $serial:ident, $adapter:ident,
     <$($gen:ident),*> ($arg:ty) -> $ret:ty, $out:ty) => {
        $(#[$doc])*
        #[doc = "\n\nParallel variant: any number of workers call `f` at once."]
        pub fn $parallel<'e, I, $($gen,)* E, F>(
            _input: Ty<I>,
            errors: &'e ErrorSlot<E>,
            f: F,
        ) -> (ParallelNode<Fallible<'e, $adapter<F>, E>>, Ty<$out>)
        where
            F: Fn($arg) -> $ret + Sync,
            $out: Item,
            E: Send,
        {
            (ParallelNode::new(Fallible::new($adapter(f), errors)), ty())
        }

        $(#[$doc])*
        #[doc = "\n\nSerial variant: one worker at a time calls `f`, which may keep state."]
        pub fn $serial<'e, I, $($gen,)* E, F>(
            _input: Ty<I>,
            errors: &'e ErrorSlot<E>,
            f: F,
        ) -> (SerialNode<Fallible<'e, $adapter<F>, E>>, Ty<$out>)
        where
            F: FnMut($arg) -> $ret + Send,
            $out: Item,
            E: Send,
        {
            (SerialNode::new(Fallible::new($adapter(f), errors)), ty())
        }
    };
}

try_stage_kind!(
    /// `try |x| result`: the first `Err` stops the run and is returned by `pipeline!`.
    parallel_try_map, serial_try_map, Map, <O> (I) -> Result<O, E>, O
);
try_stage_kind!(
    /// `try filter |x| Ok(keep)`: as `filter`; the first `Err` stops the run.
    parallel_try_filter, serial_try_filter, TryFilter, <> (&I) -> Result<bool, E>, I
);
try_stage_kind!(
    /// `try filter_map |x| Ok(option)`: as `filter_map`; the first `Err` stops the run.
    parallel_try_filter_map, serial_try_filter_map, TryFilterMap,
    <O> (I) -> Result<Option<O>, E>, O
);

/// A parallel flat-map node running `St` over inputs that expand into `R`s, and its output type.
type FlatMapped<St, R> = (
    FlatMapNode<St, <R as IntoIterator>::IntoIter>,
    Ty<<R as IntoIterator>::Item>,
);

/// A serial flat-map node running `St` over inputs that expand into `R`s, and its output type.
type SerialFlatMapped<St, R> = (
    SerialFlatMapNode<St, <R as IntoIterator>::IntoIter>,
    Ty<<R as IntoIterator>::Item>,
);

/// `flat_map |x| iterable`: every output of the iterable, emitted lazily (see `flat_map.rs`).
pub fn parallel_flat_map<I, R, F>(_input: Ty<I>, f: F) -> FlatMapped<Map<F>, R>
where
    F: Fn(I) -> R + Sync,
    R: IntoIterator,
    R::IntoIter: Send,
    R::Item: Item,
{
    (FlatMapNode::new(Map(f)), ty())
}

/// `serial flat_map |x| iterable`: as [`parallel_flat_map`], one input at a time, `f` may keep
/// state; one input's outputs all leave before the next input's.
pub fn serial_flat_map<I, R, F>(_input: Ty<I>, f: F) -> SerialFlatMapped<Map<F>, R>
where
    F: FnMut(I) -> R + Send,
    R: IntoIterator,
    R::IntoIter: Send,
    R::Item: Item,
{
    (SerialFlatMapNode::new(Map(f)), ty())
}

/// `try flat_map |x| Ok(iterable)`: as [`parallel_flat_map`]; the first `Err` stops the run. An
/// error can only come before an input's outputs: the iterable's items are not `Result`s to
/// settle (an iterator of `Result`s flows on as items; `=> try |r| r` after it settles them).
pub fn parallel_try_flat_map<'e, I, R, E, F>(
    _input: Ty<I>,
    errors: &'e ErrorSlot<E>,
    f: F,
) -> FlatMapped<Fallible<'e, Map<F>, E>, R>
where
    F: Fn(I) -> Result<R, E> + Sync,
    R: IntoIterator,
    R::IntoIter: Send,
    R::Item: Item,
    E: Send,
{
    (FlatMapNode::new(Fallible::new(Map(f), errors)), ty())
}

/// `serial try flat_map |x| Ok(iterable)`: as [`serial_flat_map`]; the first `Err` stops the run.
pub fn serial_try_flat_map<'e, I, R, E, F>(
    _input: Ty<I>,
    errors: &'e ErrorSlot<E>,
    f: F,
) -> SerialFlatMapped<Fallible<'e, Map<F>, E>, R>
where
    F: FnMut(I) -> Result<R, E> + Send,
    R: IntoIterator,
    R::IntoIter: Send,
    R::Item: Item,
    E: Send,
{
    (SerialFlatMapNode::new(Fallible::new(Map(f), errors)), ty())
}

/// A sink `f` on items of type `I`: one worker at a time; may keep state.
pub fn sink<I, R, F>(_input: Ty<I>, f: F) -> SerialNode<Sink<F>>
where
    F: FnMut(I) -> R + Send,
    R: SinkOutput,
{
    SerialNode::new(Sink(f))
}

/// `parallel |x| …` as the last node: a stateless sink many workers run at once.
pub fn parallel_sink<I, R, F>(_input: Ty<I>, f: F) -> ParallelNode<Sink<F>>
where
    F: Fn(I) -> R + Sync,
    R: SinkOutput,
{
    ParallelNode::new(Sink(f))
}

/// `try |x| result` as the last node: a fallible sink.
pub fn try_sink<'e, I, R, E, F>(
    _input: Ty<I>,
    errors: &'e ErrorSlot<E>,
    f: F,
) -> SerialNode<TrySink<'e, F, E>>
where
    F: FnMut(I) -> Result<R, E> + Send,
    R: SinkOutput,
    E: Send,
{
    SerialNode::new(TrySink::new(f, errors))
}

/// `parallel try |x| result` as the last node: a fallible stateless sink.
pub fn parallel_try_sink<'e, I, R, E, F>(
    _input: Ty<I>,
    errors: &'e ErrorSlot<E>,
    f: F,
) -> ParallelNode<TrySink<'e, F, E>>
where
    F: Fn(I) -> Result<R, E> + Sync,
    R: SinkOutput,
    E: Send,
{
    ParallelNode::new(TrySink::new(f, errors))
}

/// The slot that keeps a run's first error.
pub fn error_slot<E: Send>() -> ErrorSlot<E> {
    ErrorSlot::new()
}

/// A source whose items are numbered for an ordered stage downstream.
pub fn tagged_source<I>(items: I) -> (SourceNode<TagIter<I::IntoIter>>, Ty<I::Item>)
where
    I: IntoIterator,
    I::IntoIter: Send,
    I::Item: Item,
{
    (SourceNode::new(TagIter::new(items.into_iter())), ty())
}

/// An ordered stage `node` run as an ordered flat-map of its outputs (one or none per input),
/// because it fills a stream per item: see `AsFlatMap` (para-core's `stage.rs`).
pub fn as_flat_map<S, I>(
    node: SerialNode<S>,
    _input: Ty<I>,
) -> SerialFlatMapNode<AsFlatMap<S>, core::option::IntoIter<S::Out>>
where
    S: StageMut<I>,
{
    SerialFlatMapNode::new(AsFlatMap(node.into_stage()))
}

/// A node whose stage can be wrapped: to make it work on tagged items ([`tag`], [`untag`]).
pub trait WrapStage: Sized {
    /// The node's stage.
    type Stage;
    /// The same kind of node, running stage `W`.
    type With<W>;
    /// The node running `wrap(stage)`.
    fn wrap_stage<W>(self, wrap: impl FnOnce(Self::Stage) -> W) -> Self::With<W>;
}

impl<S> WrapStage for ParallelNode<S> {
    type Stage = S;
    type With<W> = ParallelNode<W>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(S) -> W) -> ParallelNode<W> {
        ParallelNode::new(wrap(self.into_stage()))
    }
}

impl<S> WrapStage for SerialNode<S> {
    type Stage = S;
    type With<W> = SerialNode<W>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(S) -> W) -> SerialNode<W> {
        SerialNode::new(wrap(self.into_stage()))
    }
}

impl<S, It> WrapStage for FlatMapNode<S, It> {
    type Stage = S;
    type With<W> = FlatMapNode<W, It>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(S) -> W) -> FlatMapNode<W, It> {
        FlatMapNode::new(wrap(self.into_stage()))
    }
}

impl<S, It> WrapStage for SerialFlatMapNode<S, It> {
    type Stage = S;
    type With<W> = SerialFlatMapNode<W, It>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(S) -> W) -> SerialFlatMapNode<W, It> {
        SerialFlatMapNode::new(wrap(self.into_stage()))
    }
}

/// A stateless node fused in front of `tail`: one node that runs `head`'s stage, then
/// `tail`'s, on each input (`Fused`).
pub fn fuse<A, N: WrapStage>(head: ParallelNode<A>, tail: N) -> N::With<Fused<A, N::Stage>> {
    let head = head.into_stage();
    tail.wrap_stage(|tail| Fused(head, tail))
}

impl<S> WrapStage for AsyncStageOf<S> {
    type Stage = S;
    type With<W> = AsyncStageOf<W>;
    fn wrap_stage<W>(self, wrap: impl FnOnce(S) -> W) -> AsyncStageOf<W> {
        AsyncStageOf(wrap(self.0))
    }
}

/// `async f` on items of type `I`: `f` itself, given to a bound that tells an async closure its
/// argument's type (as [`parallel_map`]'s bound does for a closure).
pub fn async_fn<I, O, F: core::ops::AsyncFn(I) -> O>(_input: Ty<I>, f: F) -> F {
    f
}

/// Calls the async closure `f` (checked by [`async_fn`]) on `input`: what the starter closure
/// `pipeline!` passes to [`async_map`] does. Its future is opaque, so a closure that is not
/// async is reported once, at [`async_fn`], and not again at every node built from it.
pub fn async_call<'f, I: 'f, O, F: core::ops::AsyncFn(I) -> O>(
    f: &'f F,
    input: I,
) -> impl core::future::Future<Output = O> + 'f {
    f(input)
}

/// `async |x| …`: the stage that calls `starter` (`move |x| f(x)`, for the `f` that
/// [`async_fn`] returned) and waits for its future; a node once [`async_node`] gives it slots.
pub fn async_map<I, O, F, Fut>(_input: Ty<I>, starter: F) -> (AsyncStageOf<AsyncMap<F>>, Ty<O>)
where
    F: Fn(I) -> Fut,
    Fut: core::future::Future<Output = O>,
{
    (AsyncStageOf(AsyncMap(starter)), ty())
}

/// `try async |x| …`: the same for a future that gives a `Result`; the first error stops the
/// run.
pub fn async_try_map<'e, I, T, E, F, Fut>(
    _input: Ty<I>,
    errors: &'e ErrorSlot<E>,
    starter: F,
) -> (AsyncStageOf<Fallible<'e, AsyncMap<F>, E>>, Ty<T>)
where
    F: Fn(I) -> Fut,
    Fut: core::future::Future<Output = Result<T, E>>,
{
    (AsyncStageOf(Fallible::new(AsyncMap(starter), errors)), ty())
}

/// `batch(N) async |xs| …`: the stage that calls `starter` on batches of up to `N` inputs and
/// waits for its future, which gives back one output per input.
pub fn async_batch_map<I, O, F, Fut, const N: usize>(
    _input: Ty<I>,
    _size: BatchSize<N>,
    starter: F,
) -> (AsyncStageOf<AsyncBatchMap<F, N>>, Ty<O>)
where
    F: Fn(Batch<I, N>) -> Fut,
    Fut: core::future::Future,
    Fut::Output: IntoIterator<Item = O>,
{
    (AsyncStageOf(AsyncBatchMap(starter)), ty())
}

/// `try batch(N) async |xs| …`: the same for a future that gives `Ok(outputs)` or an error for
/// the whole batch, which stops the run.
pub fn async_try_batch_map<'e, I, T, E, F, Fut, Os, const N: usize>(
    _input: Ty<I>,
    _size: BatchSize<N>,
    errors: &'e ErrorSlot<E>,
    starter: F,
) -> (AsyncStageOf<Fallible<'e, AsyncTryBatchMap<F, N>, E>>, Ty<T>)
where
    F: Fn(Batch<I, N>) -> Fut,
    Fut: core::future::Future<Output = Result<Os, E>>,
    Os: IntoIterator<Item = T>,
{
    (
        AsyncStageOf(Fallible::new(AsyncTryBatchMap(starter), errors)),
        ty(),
    )
}

/// The type of the batches of up to `N` items of type `T` a `batch(N)` stage is called with.
pub fn batch_of<T, const N: usize>(_input: Ty<T>, _size: BatchSize<N>) -> Ty<Batch<T, N>> {
    ty()
}

/// The async node of `stage` on inputs of type `I`, with `K` futures in flight at most, each
/// on a batch of up to `B` inputs: built after the stage is wrapped for tags, when its input
/// type is known.
pub fn async_node<S: AsyncStage<I, B>, I, const B: usize, const K: usize>(
    stage: AsyncStageOf<S>,
    _input: Ty<I>,
) -> AsyncNode<S, I, B, K> {
    AsyncNode::new(stage.0)
}

/// The size of a `batch(N)` stage's batches, as a value the macro can pass.
#[derive(Debug, Clone, Copy)]
pub struct BatchSize<const N: usize>;

/// `batch(N) |xs| ys`: a stateless stage called with up to `N` queued inputs at once, giving
/// back one output per input (`batch.rs`).
pub fn batch_map<I, O, B, F, const N: usize>(
    _input: Ty<I>,
    _size: BatchSize<N>,
    f: F,
) -> (ParallelNode<BatchMap<F>>, Ty<O>)
where
    F: Fn(Batch<I, N>) -> B,
    B: IntoIterator<Item = O>,
{
    const { assert!(N > 0, "a batch holds at least one item") };
    (ParallelNode::new(BatchMap(f)), ty())
}

/// The type of the items in a queue before an ordered stage: `T`, tagged.
pub fn tagged<T>(_input: Ty<T>) -> Ty<Tagged<T>> {
    ty()
}

/// A node before an ordered stage (or a transparent ordered stage): works on tagged items and
/// keeps their tags.
pub fn tag<N: WrapStage>(node: N) -> N::With<TaggedStage<N::Stage>> {
    node.wrap_stage(TaggedStage)
}

/// A node whose input is tagged and whose outputs lead to no ordered stage: an ordered stage,
/// or the first node of a branch that leaves the ordered stages' paths. Strips the tags and
/// skips holes.
pub fn untag<N: WrapStage>(node: N) -> N::With<Untag<N::Stage>> {
    node.wrap_stage(Untag)
}

/// A queue or window held by value: where a no_std run keeps its memory (the caller's stack).
/// para-std's expansion holds them in a `Box` instead (its own `queue`, `tagged_queue` and
/// `ordered_buffer`); the generated code reaches both through `Deref`.
#[derive(Debug)]
pub struct Inline<T>(pub T);

impl<T> core::ops::Deref for Inline<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The input queue, of capacity `N`, of a node before an ordered stage.
pub fn tagged_queue<T, const N: usize>(_input: Ty<T>) -> Inline<Queue<Tagged<T>, N>> {
    Inline(Queue::new())
}

/// The input of an ordered stage: per source (`N` of them), a window of `W` sequence numbers
/// of `P` parts each, consumed in the order of `steps` (para-core's `ordered` module docs,
/// "Numbering"), all filled by one producer if `one_producer`.
pub fn ordered_buffer<T, const W: usize, const P: usize, const N: usize>(
    _input: Ty<T>,
    steps: &'static [u8],
    one_producer: bool,
) -> Inline<OrderedBuffer<T, W, P, N>> {
    let buffer = OrderedBuffer::with_order(steps);
    Inline(if one_producer {
        buffer.filled_by_one()
    } else {
        buffer
    })
}

/// Checks that items of type `T` may be fanned out.
pub fn fan_out<T: FanOutItem>(input: Ty<T>) -> Ty<T> {
    input
}

/// The merge of two branches carrying the same item type.
pub fn merge<T>(_a: Ty<T>, b: Ty<T>) -> Ty<T> {
    b
}

/// The input queue, of capacity `N`, of a node consuming `T`s.
pub fn queue<T, const N: usize>(_input: Ty<T>) -> Inline<Queue<T, N>> {
    Inline(Queue::new())
}
