//! What `pipeline!`'s expansion calls beyond the wiring, on para-core alone (`para_macros::pipeline!`
//! on a bare-metal chip): the cores to run on, the source's conversion, fold sinks' slots, and
//! the run. para-std replaces the ones that differ with a thread pool (its `__private`).
//!
//! The source's conversion is shared with para-std. The expansion calls
//! `(&&&SourceArg::new(source)).source()`, and method lookup, by autoref specialisation, tries
//! one path per auto-dereference, the first whose bounds hold winning:
//!
//! 0. `ViaFeed::source`, for `&&&&SourceArg<&Feed<T, N>>`: a [`Feed`] filled from outside the
//!    run (an interrupt handler), drained until it is closed (`feed.rs`).
//! 1. `ViaSplit::source`, for `&&&SourceArg<T>` where `T` splits: several workers produce from
//!    it at once. Here `T` splits when it implements [`Split`] (integer ranges, slices);
//!    para-std's `IntoSplit` adds vectors and arrays.
//! 2. `ViaIter::source`, for `&&SourceArg<T>` where `T: IntoIterator`: one worker at a time.
//!    On para-core alone any core may drain it, so its iterator must be `Send` ([`SendSource`]);
//!    para-std asks that here, in the bounds.
//! 3. `ViaCaller::source`, for `&SourceArg<T>`: para-std's path for an iterator that is not
//!    `Send`, drained by the calling thread alone. para-core has none ([`ViaCaller`]).

use core::cell::Cell;
use core::marker::PhantomData;

use crate::cores::{Cores, OneCore, Sleep};
use crate::feed::{Feed, FeedNode};
use crate::fold::{fold_sink_in, reduce_sink_in, try_fold_sink_in, Add, FoldNode, FoldSlot};
use crate::fold::{Reduce, TryAdd};
use crate::graph::{Cx, Graph, NodeId, NodeInfo};
use crate::node::{SourceNode, SourceStep};
use crate::ordered::TagIter;
use crate::sender::Sender;
use crate::split::{Numbered, Plain, Split, SplitNode};
use crate::stage::{ErrorSlot, Pass};
use crate::stats::{Probe, Stats};
use crate::wiring::{Item, Ty};

/// The source expression, on its way to becoming a node.
pub struct SourceArg<T>(Cell<Option<T>>);

impl<T> core::fmt::Debug for SourceArg<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SourceArg")
    }
}

impl<T> SourceArg<T> {
    /// Wraps the source.
    pub fn new(source: T) -> Self {
        SourceArg(Cell::new(Some(source)))
    }

    /// The source, taken out (once).
    pub fn take(&self) -> T {
        self.0.take().expect("a source is turned into a node once")
    }
}

/// A source fed from outside the run (module docs).
pub trait ViaFeed {
    /// The node.
    type Node;
    /// The node, numbering items before an ordered stage.
    type Tagged;
    /// The items.
    type Item;
    /// Builds the source node.
    fn source(self) -> (Self::Node, Ty<Self::Item>);
    /// Builds the source node of a pipeline with an ordered stage.
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>);
}

impl<'f, T: Item, const N: usize> ViaFeed for &&&&SourceArg<&'f Feed<T, N>> {
    type Node = FeedNode<'f, T, N, Plain>;
    type Tagged = FeedNode<'f, T, N, Numbered>;
    type Item = T;
    fn source(self) -> (Self::Node, Ty<T>) {
        (FeedNode::new(self.take()), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<T>) {
        (FeedNode::new(self.take()), Ty::new())
    }
}

/// A source that workers split (module docs).
pub trait ViaSplit {
    /// The node.
    type Node;
    /// The node, numbering items before an ordered stage.
    type Tagged;
    /// The items.
    type Item;
    /// Builds the source node.
    fn source(self) -> (Self::Node, Ty<Self::Item>);
    /// Builds the source node of a pipeline with an ordered stage.
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>);
}

impl<T> ViaSplit for &&&SourceArg<T>
where
    T: Split + Send,
    T::Item: Item,
{
    type Node = SplitNode<T, Plain>;
    type Tagged = SplitNode<T, Numbered>;
    type Item = T::Item;
    fn source(self) -> (Self::Node, Ty<Self::Item>) {
        (SplitNode::new(self.take()), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>) {
        (SplitNode::new(self.take()), Ty::new())
    }
}

/// A source drained by one worker at a time (module docs).
pub trait ViaIter {
    /// The node.
    type Node;
    /// The node, numbering items before an ordered stage.
    type Tagged;
    /// The items.
    type Item;
    /// Builds the source node.
    fn source(self) -> (Self::Node, Ty<Self::Item>);
    /// Builds the source node of a pipeline with an ordered stage.
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>);
}

impl<T> ViaIter for &&SourceArg<T>
where
    T: IntoIterator,
    T::IntoIter: Send,
    T::Item: Item,
{
    type Node = SourceNode<T::IntoIter>;
    type Tagged = SourceNode<TagIter<T::IntoIter>>;
    type Item = T::Item;
    fn source(self) -> (Self::Node, Ty<Self::Item>) {
        (SourceNode::new(self.take().into_iter()), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>) {
        (
            SourceNode::new(TagIter::new(self.take().into_iter())),
            Ty::new(),
        )
    }
}

/// The path of sources that are not `Send` (module docs). On para-core alone any core may
/// drain a source, so this path builds a [`NotSend`], which [`source_is_send`] refuses with a
/// message that names the rule; para-std drives such a source from the calling thread.
pub trait ViaCaller {
    /// The node.
    type Node;
    /// The node, numbering items before an ordered stage.
    type Tagged;
    /// The items.
    type Item;
    /// Builds the source node.
    fn source(self) -> (Self::Node, Ty<Self::Item>);
    /// Builds the source node of a pipeline with an ordered stage.
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>);
}

impl<T> ViaCaller for &SourceArg<T>
where
    T: IntoIterator,
    T::Item: Item,
{
    type Node = NotSend<T::IntoIter>;
    type Tagged = NotSend<TagIter<T::IntoIter>>;
    type Item = T::Item;
    fn source(self) -> (Self::Node, Ty<Self::Item>) {
        drop(self.take());
        (NotSend(PhantomData), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>) {
        drop(self.take());
        (NotSend(PhantomData), Ty::new())
    }
}

/// The source node of an iterator that is not `Send`, on para-core alone: it carries the
/// compile error, since [`source_is_send`] refuses it, and so never runs. It holds nothing
/// (the source is dropped when it is built), so that the graph around it still type-checks and
/// the error is the only one.
pub struct NotSend<I>(PhantomData<fn() -> I>);

impl<I> core::fmt::Debug for NotSend<I> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("NotSend")
    }
}

impl<I: Iterator> SourceStep for NotSend<I> {
    type Out = I::Item;
    fn step<S: Sender<I::Item>>(&self, _this: NodeId, _out: S, _cx: &mut Cx<'_>) -> bool {
        unreachable!("`source_is_send` refuses a `NotSend` source at compile time")
    }
}

/// A source node that workers may share: its iterator is `Send`, since whichever worker has
/// time drains it. The expansion checks this right after building the source (with
/// [`source_is_send`]), so that an iterator that is not `Send` is reported at the source as
/// not `Send`, rather than as a method that does not exist.
#[diagnostic::on_unimplemented(
    message = "this source's iterator is not `Send`, but any core may drain it",
    label = "not `Send`",
    note = "on para-core alone a source must be `Send`: build its iterator from `Send` parts \
            (no `Rc`, no `RefCell` borrow, no lock guard); para-std drives a source that is not \
            `Send` from the calling thread"
)]
pub trait SendSource {}

impl<I: Send> SendSource for SourceNode<I> {}
impl<S: Split + Send, M> SendSource for SplitNode<S, M> {}
impl<T: Send, const N: usize, E> SendSource for FeedNode<'_, T, N, E> {}

/// Checks that `node` may be shared by the workers (see [`SendSource`]).
pub fn source_is_send<N: SendSource>(_node: &N) {}

/// `pipeline!`'s first argument: the cores to run on. A reference to a `static` of them, such
/// as `&CORES` for a `static CORES: Harts<4>`, is `Copy`, as the expansion needs.
pub fn thread_count<C: Cores + Copy>(cores: C) -> C {
    cores
}

/// No first argument: the calling core alone.
pub fn all_cores() -> OneCore {
    OneCore
}

/// How a run uses its cores: nothing to set on para-core alone (`pin` and `stack_size` are
/// para-std's).
#[derive(Debug, Default, Clone, Copy)]
pub struct Options;

impl Options {
    /// The only options there are.
    pub fn new() -> Self {
        Options
    }

    /// Source `_id` is `_node`: nothing to note, since every source here may run on any core
    /// (para-std notes the ones its calling thread must drive).
    pub fn source<N>(self, _id: NodeId, _node: &N) -> Self {
        self
    }
}

/// Runs `graph` on `cores`: each calls the scanning loop ([`Graph::work`]) until the run ends.
pub fn run<D, C: Cores>(graph: &Graph<'_, D>, cores: C, _options: Options)
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    if graph.is_ended() {
        return; // no source: nothing will ever flow
    }
    graph.set_workers(cores.count());
    let sleep = cores.sleep();
    cores.run(&|core| {
        let working = AbortOnUnwind {
            graph,
            sleep,
            armed: true,
        };
        graph.work_on(core, sleep);
        working.disarm();
    });
}

/// Aborts the run if a core's loop unwinds (a stage panicked, where panics unwind): the other
/// cores then return instead of waiting for the items that core held.
struct AbortOnUnwind<'g, D> {
    graph: &'g Graph<'g, D>,
    /// Sleeping cores must be woken to see the abort.
    sleep: Option<Sleep>,
    armed: bool,
}

impl<D> AbortOnUnwind<'_, D> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl<D> Drop for AbortOnUnwind<'_, D> {
    fn drop(&mut self) {
        if self.armed {
            self.graph.abort();
            if let Some(sleep) = self.sleep {
                (sleep.wake)();
            }
        }
    }
}

/// Where a fold sink keeps its accumulators in a run on `Self`: on para-core's cores, a few
/// (4) on the stack, core `i`'s step trying slot `i % 4` first, then any free one; para-std's threads put one
/// per thread on the heap.
pub trait FoldSlots: Copy {
    /// The slots.
    type Slots<A>: AsRef<[FoldSlot<A>]>;
    /// Empty slots.
    fn fold_slots<A>(self) -> Self::Slots<A>;
}

/// How many accumulators a fold sink has on para-core's cores.
pub const FOLD_SLOTS: usize = 4;

impl<C: Cores + Copy> FoldSlots for C {
    type Slots<A> = [FoldSlot<A>; FOLD_SLOTS];
    fn fold_slots<A>(self) -> Self::Slots<A> {
        core::array::from_fn(|_| FoldSlot::new())
    }
}

/// `fold(init, add, merge)` in a run on `runners`.
pub fn fold_sink<I, A, Init, F, R: FoldSlots>(
    input: Ty<I>,
    runners: R,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, Add<F>, R::Slots<A>>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> A + Sync,
    A: Send,
{
    fold_sink_in(input, runners.fold_slots(), init, add)
}

/// `try fold(init, add, merge)` in a run on `runners`.
pub fn try_fold_sink<'e, I, A, E, Init, F, R: FoldSlots>(
    input: Ty<I>,
    runners: R,
    errors: &'e ErrorSlot<E>,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, TryAdd<'e, F, E>, R::Slots<A>>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> Result<A, E> + Sync,
    A: Send,
    E: Send,
{
    try_fold_sink_in(input, runners.fold_slots(), errors, init, add)
}

/// `reduce(init, op)` in a run on `runners`.
pub fn reduce_sink<A, Init, Op, R: FoldSlots>(
    input: Ty<A>,
    runners: R,
    init: Init,
    op: Op,
) -> FoldNode<Pass, Init, Reduce<Op>, R::Slots<A>>
where
    Init: Fn() -> A + Sync,
    Op: Fn(A, A) -> A + Sync,
    A: Send,
{
    reduce_sink_in(input, runners.fold_slots(), init, op)
}

/// What runs a pipeline, as far as its statistics care: how many workers it has.
pub trait Runners: Copy {
    /// The run's worker count.
    fn workers(self) -> usize;
}

impl<C: Cores + Copy> Runners for C {
    fn workers(self) -> usize {
        self.count()
    }
}

/// What `stats = &mut …` accepts: a [`Probe`] that each run resets, then ends.
#[diagnostic::on_unimplemented(
    message = "`stats = …` takes `&mut Stats`, not `&mut {Self}`",
    label = "not a `Stats`",
    note = "write `let mut stats = para_std::Stats::new();` before the pipeline and \
            `stats = &mut stats` in it (`para_core::Stats` on bare metal)"
)]
pub trait StatsArg: Probe {
    /// The most nodes it has room for.
    const NODES: usize;
    /// A run of the graph of `table` on `workers` workers begins.
    fn begin(&mut self, table: &'static [NodeInfo], workers: usize);
    /// The run has ended.
    fn end(&self);
}

impl<const N: usize, const W: usize> StatsArg for Stats<N, W> {
    const NODES: usize = N;
    fn begin(&mut self, table: &'static [NodeInfo], workers: usize) {
        Stats::begin(self, table, workers);
    }
    fn end(&self) {
        Stats::end(self);
    }
}

/// A graph's node count, as a type: [`stats_begin`]'s last argument.
#[derive(Debug, Clone, Copy)]
pub struct NodeCount<const N: usize>;

/// `stats = EXPR`: readies `stats` for a run of the graph of `table`, which has `NODES` nodes,
/// on `runners`.
pub fn stats_begin<'s, const NODES: usize, S: StatsArg, R: Runners>(
    stats: &'s mut S,
    table: &'static [NodeInfo],
    runners: R,
    _nodes: NodeCount<NODES>,
) -> StatsRun<'s> {
    const {
        assert!(
            NODES <= S::NODES,
            "pipeline!: this pipeline has more nodes than its `Stats` has room for: \
             write `Stats::<N>` with N at least the number of boxes `pipeline_dot!` draws"
        )
    };
    stats.begin(table, runners.workers());
    let stats: &'s S = stats;
    StatsRun {
        probe: stats,
        ending: stats,
    }
}

/// The statistics of a run under way: what the graph counts into, and what ends them. Of
/// one type whatever `stats = …` was, so that a wrong value is reported once, where it is
/// written.
#[derive(Clone, Copy)]
pub struct StatsRun<'s> {
    probe: &'s dyn Probe,
    ending: &'s dyn Ending,
}

impl<'s> StatsRun<'s> {
    /// What the graph counts into.
    pub fn probe(self) -> &'s dyn Probe {
        self.probe
    }

    /// The run has ended.
    pub fn end(self) {
        self.ending.end();
    }
}

impl core::fmt::Debug for StatsRun<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StatsRun")
    }
}

/// [`StatsArg::end`], callable through a reference without the type.
trait Ending {
    fn end(&self);
}

impl<S: StatsArg> Ending for S {
    fn end(&self) {
        StatsArg::end(self);
    }
}

/// `progress = EXPR`: gives the hook its type, so that a closure's argument needs no annotation.
pub fn progress_hook<F: Fn(usize) + Sync>(hook: F) -> F {
    hook
}
