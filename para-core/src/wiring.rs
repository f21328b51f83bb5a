//! Typed wiring for `pipeline!`: the functions its expansion calls to build nodes.
//!
//! The macro never names a type. It threads a zero-sized [`Ty<T>`] marker from node to node, so
//! that each closure is passed to a function whose bound (`F: Fn(I) -> O`) already knows `I`:
//! that is what lets `|x| x * 2` infer `x`'s type, and what turns a mistake (a non-`Clone` item
//! into a fan-out, a merge of different types, a sink returning a value) into an error at the
//! user's closure with a sentence that explains it.

use core::marker::PhantomData;

use crate::node::{ParallelNode, SinkNode, SinkOutput, SourceNode};
use crate::queue::Queue;

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

fn ty<T>() -> Ty<T> {
    Ty(PhantomData)
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

/// A parallel stage `f` on items of type `I`.
pub fn parallel<I, O, F>(_input: Ty<I>, f: F) -> (ParallelNode<F>, Ty<O>)
where
    F: Fn(I) -> O + Sync,
    O: Item,
{
    (ParallelNode::new(f), ty())
}

/// A sink `f` on items of type `I`.
pub fn sink<I, R, F>(_input: Ty<I>, f: F) -> SinkNode<F>
where
    F: FnMut(I) -> R + Send,
    R: SinkOutput,
{
    SinkNode::new(f)
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
pub fn queue<T, const N: usize>(_input: Ty<T>) -> Queue<T, N> {
    Queue::new()
}
