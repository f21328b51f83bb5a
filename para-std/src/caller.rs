//! Sources whose iterator is not `Send` — `std::io::stdin().lock().lines()`, an iterator over an
//! `Rc`, a handle bound to its thread — drained by the calling thread alone.
//!
//! # Why it is sound
//!
//! Every worker holds a `&` to the graph, so every node must be `Sync`; an iterator that is not
//! `Send` must not be touched by any thread but the one that made it. [`CallerSource`] asserts
//! `Sync` and keeps the promise three ways:
//!
//! * **Steps.** The scheduler hands its tokens to worker 0 only (`worker.rs`, "Caller tokens"),
//!   which is the thread that called `pipeline!` (`pool.rs`: the caller runs `work(0)`) and
//!   built the node. The step checks that, and panics on any other thread before it touches
//!   the iterator: a scheduler that broke the rule would fail the run, never race.
//! * **Drop.** The node is a local of the `pipeline!` expansion, so it is dropped by the
//!   calling thread (an iterator that runs out is dropped in a step, also there). It is `Send`
//!   only if its iterator is.
//! * **Nothing else.** No other method reads the iterator (`Debug` does not).
//!
//! The cost: only one thread produces from it, and only between its other steps, as an
//! iterator source that is `Send` would be drained one worker at a time anyway.

use std::fmt;
use std::thread::{self, ThreadId};

use para_core::__private::SourceArg;
use para_core::raw::Sender;
use para_core::raw::{FeedNode, Item, SourceNode, SourceStep, SplitNode, TagIter, Ty};
use para_core::{Cx, NodeId, Split};

/// A source drained by the thread that built it (module docs).
pub struct CallerSource<I> {
    node: SourceNode<I>,
    owner: ThreadId,
}

// SAFETY: other threads can reach the iterator only through `step`, which panics unless it
// runs on `owner`, the thread that built the node (module docs, "Why it is sound").
unsafe impl<I> Sync for CallerSource<I> {}

impl<I: Iterator> CallerSource<I> {
    /// Drains `iter` on the calling thread.
    pub fn new(iter: I) -> Self {
        CallerSource {
            node: SourceNode::new(iter),
            owner: thread::current().id(),
        }
    }
}

impl<I> fmt::Debug for CallerSource<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallerSource")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl<I: Iterator> SourceStep for CallerSource<I> {
    type Out = I::Item;
    #[inline]
    fn step<S: Sender<I::Item>>(&self, this: NodeId, out: S, cx: &mut Cx<'_>) -> bool {
        assert!(
            thread::current().id() == self.owner,
            "pipeline!: a source that is not `Send` ran on a thread other than the caller's"
        );
        self.node.step(this, out, cx)
    }
}

/// Whether a source node must be drained by the calling thread: the expansion tells the run
/// of each source (`Options::source`).
pub trait SourceThread {
    /// `true` for a [`CallerSource`].
    const ON_CALLER: bool;
}

impl<I> SourceThread for SourceNode<I> {
    const ON_CALLER: bool = false;
}

impl<S: Split, M> SourceThread for SplitNode<S, M> {
    const ON_CALLER: bool = false;
}

impl<T, const N: usize, E> SourceThread for FeedNode<'_, T, N, E> {
    const ON_CALLER: bool = false;
}

impl<I> SourceThread for CallerSource<I> {
    const ON_CALLER: bool = true;
}

/// The path of sources that are not `Send`: the calling thread drains them.
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
    type Node = CallerSource<T::IntoIter>;
    type Tagged = CallerSource<TagIter<T::IntoIter>>;
    type Item = T::Item;
    fn source(self) -> (Self::Node, Ty<Self::Item>) {
        (CallerSource::new(self.take().into_iter()), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>) {
        (
            CallerSource::new(TagIter::new(self.take().into_iter())),
            Ty::new(),
        )
    }
}

impl<I> para_core::__private::SendSource for CallerSource<I> {}
