//! Where a node's outputs go: one queue ([`Edge`]) or a fan-out of several (a pair of senders).
//!
//! `pipeline!` writes a fan-out into `k` branches as nested pairs `(e1, (e2, … ek))`. Each item is
//! cloned into every branch but the last, which receives the original.

use crate::graph::{Cx, NodeId};
use crate::node::BATCH;
use crate::outbox::{Outbox, SMALL_ITEM};
use crate::queue::Queue;

/// A destination for a node's outputs, with room reserved before any output is computed.
pub trait Sender<T> {
    /// How many queues one item lands in (1 for an edge; the sum for a fan-out).
    const COPIES: usize;

    /// Reserves room for up to `max` items in every destination queue; returns how many.
    /// 0 means some destination is full; it will wake this node's worker when it drains.
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize;

    /// Gives back `n` reservations that were not used.
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>);

    /// Pushes one item (cloned as needed) into reserved room.
    fn push(&self, value: T);

    /// Pushes every item of `outbox`, in order, into reserved room (one claim per queue where
    /// the destination can: see `outbox.rs`).
    #[inline]
    fn push_all<const K: usize>(&self, outbox: &mut Outbox<T, K>) {
        outbox.drain().for_each(|value| self.push(value));
    }

    /// Pushes a clone of every item of `values`, in order, into reserved room.
    #[inline]
    fn push_clones(&self, values: &[T])
    where
        T: Clone,
    {
        values.iter().for_each(|value| self.push(value.clone()));
    }

    /// Tells the consumers that items arrived.
    fn notify(&self, cx: &mut Cx<'_>);

    /// Whether an ordered flat-map sending here ends each input's outputs with an end marker,
    /// which takes one unit of reserved room (its outputs feed a stream: the `ordered` module
    /// docs, "Streams").
    const MARKS_ENDS: bool = false;

    /// Pushes the end marker of the input whose outputs were pushed last, into reserved room.
    /// Only called when [`MARKS_ENDS`](Self::MARKS_ENDS).
    fn push_end(&self) {}

    /// With [`MARKS_ENDS`](Self::MARKS_ENDS): what the end markers of the ordered flat-map
    /// sending here end.
    fn end_mode(&self) -> EndMode {
        EndMode::PerInput
    }

    /// Says which source the input whose outputs are pushed next came from (an ordered
    /// flat-map's sender keeps it in their tags).
    fn set_origin(&self, _src: u16) {}
}

/// What an ordered flat-map's end markers end (`ordered` module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndMode {
    /// The outputs of each of its inputs ("Streams").
    PerInput,
    /// The outputs of each input of the flat-map before it: it passes on the end markers it
    /// reads ("Streams").
    Forward,
    /// The outputs of each step of its own window: each input from a part, and all the inputs
    /// read from a stream at one step ("Streams").
    PerStep,
}

/// The input queue of node `to`, seen from a producer.
#[derive(Debug)]
pub struct Edge<'q, T, const N: usize> {
    queue: &'q Queue<T, N>,
    to: NodeId,
}

impl<'q, T, const N: usize> Edge<'q, T, N> {
    /// The edge into `queue`, the input queue of node `to`.
    #[inline]
    pub fn new(queue: &'q Queue<T, N>, to: NodeId) -> Self {
        Edge { queue, to }
    }
}

impl<T, const N: usize> Sender<T> for Edge<'_, T, N> {
    const COPIES: usize = 1;

    #[inline]
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        self.queue.reserve(max)
    }

    #[inline]
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        if self.queue.unreserve(n) {
            cx.wake_producers(self.to);
        }
    }

    #[inline]
    fn push(&self, value: T) {
        self.queue.push_reserved(value);
    }

    #[inline]
    fn push_all<const K: usize>(&self, outbox: &mut Outbox<T, K>) {
        self.queue.push_many(outbox);
    }

    fn push_clones(&self, values: &[T])
    where
        T: Clone,
    {
        if core::mem::size_of::<T>() <= SMALL_ITEM {
            push_clones_batched(self.queue, values);
        } else {
            values.iter().for_each(|value| self.push(value.clone()));
        }
    }

    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        cx.notify(self.to);
    }
}

impl<T: Clone, A: Sender<T>, B: Sender<T>> Sender<T> for (A, B) {
    const COPIES: usize = A::COPIES + B::COPIES;

    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        let a = self.0.reserve(max, cx);
        if a == 0 {
            return 0;
        }
        let b = self.1.reserve(a, cx);
        if b < a {
            self.0.unreserve(a - b, cx);
        }
        b
    }

    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.0.unreserve(n, cx);
        self.1.unreserve(n, cx);
    }

    #[inline]
    fn push(&self, value: T) {
        self.0.push(value.clone());
        self.1.push(value);
    }

    #[inline]
    fn push_all<const K: usize>(&self, outbox: &mut Outbox<T, K>) {
        self.0.push_clones(outbox.as_slice());
        self.1.push_all(outbox);
    }

    fn push_clones(&self, values: &[T])
    where
        T: Clone,
    {
        self.0.push_clones(values);
        self.1.push_clones(values);
    }

    fn notify(&self, cx: &mut Cx<'_>) {
        self.0.notify(cx);
        self.1.notify(cx);
    }
}

/// Clones `values` into `queue`'s reserved room a batch at a time. Clone first, claim after, so
/// user code (`clone`) never runs while queue positions are claimed. Not inlined: only small
/// items call it, and its buffer must not sit in the frame of a step over big ones.
#[inline(never)]
fn push_clones_batched<T: Clone, const N: usize>(queue: &Queue<T, N>, values: &[T]) {
    for chunk in values.chunks(BATCH) {
        let mut clones = Outbox::<T, BATCH>::new();
        for value in chunk {
            let _ = clones.push(value.clone()); // cannot fail: a chunk fits
        }
        queue.push_many(&mut clones);
    }
}

/// Where a sink's outputs go: nowhere. A sink consumes its inputs (`COPIES = 0`).
#[derive(Debug, Clone, Copy)]
pub struct Discard;

impl Sender<()> for Discard {
    const COPIES: usize = 0;

    #[inline]
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        max
    }

    #[inline]
    fn unreserve(&self, _n: usize, _cx: &mut Cx<'_>) {}

    #[inline]
    fn push(&self, _value: ()) {}

    #[inline]
    fn notify(&self, _cx: &mut Cx<'_>) {}
}
