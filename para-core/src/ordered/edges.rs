//! The edges into and before ordered stages: each adds its path's part offset (per lane where
//! numberings meet), routes lanes into the stage's windows, or puts holes for a flat-map that
//! reaches the stage only through others. Module docs of `ordered` ("Numbering", "Lanes", "Holes").

use super::window::OrderedBuffer;
use super::Tagged;
use crate::graph::{Cx, NodeId};
use crate::sender::Sender;

/// A producer's edge into an ordered stage's windows, adding the part offset of this edge.
#[derive(Debug)]
pub struct OrderedEdge<'b, T, const W: usize, const P: usize, const N: usize = 1> {
    buffer: &'b OrderedBuffer<T, W, P, N>,
    to: NodeId,
    offset: u32,
}

impl<'b, T, const W: usize, const P: usize, const N: usize> OrderedEdge<'b, T, W, P, N> {
    /// The edge into `buffer`, the input of node `to`; parts sent here are shifted by `offset`.
    pub fn new(buffer: &'b OrderedBuffer<T, W, P, N>, to: NodeId, offset: u32) -> Self {
        OrderedEdge { buffer, to, offset }
    }
}

impl<T, const W: usize, const P: usize, const N: usize> Sender<Tagged<T>>
    for OrderedEdge<'_, T, W, P, N>
{
    const COPIES: usize = 1;

    /// Always room: the source took a credit for the whole `seq`.
    #[inline]
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        max
    }

    #[inline]
    fn unreserve(&self, _n: usize, _cx: &mut Cx<'_>) {}

    #[inline]
    fn push(&self, mut item: Tagged<T>) {
        item.part += self.offset;
        self.buffer.put(item);
    }

    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        cx.notify(self.to);
    }
}

/// An edge that puts a *hole* into an ordered stage's window for each item sent through it,
/// whatever the item's type: the tag alone (end markers included). For a flat-map whose outputs
/// reach the stage only through flat-maps after it, it carries the ends of its inputs' outputs
/// (module docs, "Holes"). Used through
/// [`WithHoles`].
#[derive(Debug)]
pub struct HoleEdge<'b, T, const W: usize, const P: usize, const N: usize = 1> {
    buffer: &'b OrderedBuffer<T, W, P, N>,
    to: NodeId,
    offset: u32,
}

impl<'b, T, const W: usize, const P: usize, const N: usize> HoleEdge<'b, T, W, P, N> {
    /// Holes into `buffer`, the input of node `to`, at part `offset`.
    pub fn new(buffer: &'b OrderedBuffer<T, W, P, N>, to: NodeId, offset: u32) -> Self {
        HoleEdge { buffer, to, offset }
    }

    fn put_hole<V>(&self, item: &Tagged<V>) {
        self.buffer.put(Tagged {
            seq: item.seq,
            part: item.part + self.offset,
            src: item.src,
            end: item.end,
            lane: item.lane,
            value: None,
        });
    }
}

/// `inner`, and for each item pushed through it a hole through `holes` ([`HoleEdge`]). The
/// holes count as copies of the items (the stage that reads them retires them).
#[derive(Debug)]
pub struct WithHoles<'b, S, T, const W: usize, const P: usize, const N: usize = 1> {
    inner: S,
    holes: HoleEdge<'b, T, W, P, N>,
}

impl<'b, S, T, const W: usize, const P: usize, const N: usize> WithHoles<'b, S, T, W, P, N> {
    /// `inner`, with a hole through `holes` for each item.
    pub fn new(inner: S, holes: HoleEdge<'b, T, W, P, N>) -> Self {
        WithHoles { inner, holes }
    }
}

impl<V, S, T, const W: usize, const P: usize, const N: usize> Sender<Tagged<V>>
    for WithHoles<'_, S, T, W, P, N>
where
    S: Sender<Tagged<V>>,
{
    const COPIES: usize = S::COPIES + 1;
    /// The inner room: the window always has room (the root took a credit for the `seq`).
    #[inline]
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        self.inner.reserve(max, cx)
    }
    #[inline]
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, item: Tagged<V>) {
        self.holes.put_hole(&item);
        self.inner.push(item);
    }
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        cx.notify(self.holes.to);
        self.inner.notify(cx);
    }
}

/// A producer's edge into a queue of tagged items, adding the part offset of this edge.
#[derive(Debug)]
pub struct TaggedEdge<S> {
    inner: S,
    offsets: Offsets,
}

/// The part offset of an edge: one, or one per lane where several numberings meet.
#[derive(Debug, Clone, Copy)]
enum Offsets {
    One(u32),
    /// Indexed by the item's lane.
    PerLane(&'static [u32]),
}

impl<S> TaggedEdge<S> {
    /// `inner`, with parts sent through it shifted by `offset`.
    pub fn new(inner: S, offset: u32) -> Self {
        TaggedEdge {
            inner,
            offsets: Offsets::One(offset),
        }
    }

    /// `inner`, from a node where several numberings meet: parts of lane `l` are shifted by
    /// `offsets[l]` (module docs, "Lanes").
    ///
    /// # Panics
    /// On an item whose lane has no offset (`pipeline!` lists every lane the node carries).
    pub fn per_lane(inner: S, offsets: &'static [u32]) -> Self {
        TaggedEdge {
            inner,
            offsets: Offsets::PerLane(offsets),
        }
    }
}

impl<T, S: Sender<Tagged<T>>> Sender<Tagged<T>> for TaggedEdge<S> {
    const COPIES: usize = S::COPIES;
    #[inline]
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        self.inner.reserve(max, cx)
    }
    #[inline]
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, mut item: Tagged<T>) {
        item.part += match self.offsets {
            Offsets::One(offset) => offset,
            Offsets::PerLane(offsets) => offsets[usize::from(item.lane)],
        };
        self.inner.push(item);
    }
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
}

/// An edge into an ordered stage from a node where several numberings meet: items of `lane` go
/// to `this` (the window of the stream that lane fills), the others to `other` (another
/// `LaneSplit`, or the stage's own window). Both are [`OrderedEdge`]s of the same stage, which
/// always have room. Module docs, "Lanes".
#[derive(Debug)]
pub struct LaneSplit<A, B> {
    lane: u8,
    this: A,
    other: B,
}

impl<A, B> LaneSplit<A, B> {
    /// Items of `lane` to `this`, the others to `other`.
    pub fn new(lane: u8, this: A, other: B) -> Self {
        LaneSplit { lane, this, other }
    }
}

impl<T, A: Sender<Tagged<T>>, B: Sender<Tagged<T>>> Sender<Tagged<T>> for LaneSplit<A, B> {
    const COPIES: usize = 1;
    /// Always room, as on each [`OrderedEdge`]: the items' roots took credits.
    #[inline]
    fn reserve(&self, max: usize, _cx: &mut Cx<'_>) -> usize {
        max
    }
    #[inline]
    fn unreserve(&self, _n: usize, _cx: &mut Cx<'_>) {}
    #[inline]
    fn push(&self, item: Tagged<T>) {
        if item.lane == self.lane {
            self.this.push(item);
        } else {
            self.other.push(item);
        }
    }
    /// Both lead to the same stage: waking it once is enough.
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        self.other.notify(cx);
    }
}
