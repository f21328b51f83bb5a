//! Tags: an item's place in its root's order, put on by the source ([`TagIter`]), kept by the
//! stages before an ordered stage ([`TaggedStage`]) and taken off after it ([`Untag`]). See the
//! module docs of `ordered`.

use core::future::Future;

use crate::async_node::{AsyncStage, Start};
use crate::batch::{Batch, BatchStage, Outcomes};
use crate::stage::{Flow, Stage, StageMut};

/// An item on its way to an ordered stage: its place in the source order, and its value or a
/// hole.
#[derive(Clone, Debug)]
pub struct Tagged<T> {
    pub(super) seq: u64,
    pub(super) part: u32,
    /// The index of its source (set by the source's [`CreditSender`](super::CreditSender)); after
    /// an ordered flat-map, the source of the input it came from.
    pub(super) src: u16,
    /// A hole that ends the outputs of one input of an ordered flat-map feeding a stream (module
    /// docs, "Streams").
    pub(super) end: bool,
    /// Which numbering it is in, where several meet at one node before an ordered stage: 0 for the
    /// sources' (or the main flat-map's), else the *lane* of the stream-filling flat-map that
    /// numbered it (set by its [`RenumberSender`](super::RenumberSender)). Edges out of such a node
    /// read it to pick the part offset and the window
    /// ([`TaggedEdge::per_lane`](super::TaggedEdge::per_lane), [`LaneSplit`](super::LaneSplit));
    /// everywhere else it is carried along unread (module docs, "Lanes").
    pub(super) lane: u8,
    pub(super) value: Option<T>,
}

impl<T> Tagged<T> {
    /// Item number `seq` of the source.
    pub fn new(seq: u64, value: T) -> Self {
        Tagged {
            seq,
            part: 0,
            src: 0,
            end: false,
            lane: 0,
            value: Some(value),
        }
    }

    /// The hole numbered `seq` in `lane` that ends the outputs of an input from source `src`.
    pub(super) fn end_marker(seq: u64, src: u16, lane: u8) -> Self {
        Tagged {
            seq,
            part: 0,
            src,
            end: true,
            lane,
            value: None,
        }
    }
}

/// A source iterator that numbers its items.
#[derive(Debug)]
pub struct TagIter<I> {
    iter: I,
    next: u64,
}

impl<I> TagIter<I> {
    /// Numbers the items of `iter` from 0.
    pub fn new(iter: I) -> Self {
        TagIter { iter, next: 0 }
    }
}

impl<I: Iterator> Iterator for TagIter<I> {
    type Item = Tagged<I::Item>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let value = self.iter.next()?;
        let seq = self.next;
        self.next += 1;
        Some(Tagged::new(seq, value))
    }
}

/// A stage before an ordered one: applies the inner stage to values, keeps tags, passes holes
/// on, and turns a filtered-out item into a hole.
#[derive(Debug)]
pub struct TaggedStage<S>(pub S);

#[inline]
fn retag<I, O>(t: &Tagged<I>, flow: Flow<O>) -> Flow<Tagged<O>> {
    let (seq, part, src, end, lane) = (t.seq, t.part, t.src, t.end, t.lane);
    match flow {
        Flow::Emit(value) => Flow::Emit(Tagged {
            seq,
            part,
            src,
            end,
            lane,
            value: Some(value),
        }),
        Flow::Skip => Flow::Emit(Tagged {
            seq,
            part,
            src,
            end,
            lane,
            value: None,
        }),
        Flow::Stop => Flow::Stop,
    }
}

impl<I, S: Stage<I>> Stage<Tagged<I>> for TaggedStage<S> {
    type Out = Tagged<S::Out>;
    #[inline]
    fn call(&self, t: Tagged<I>) -> Flow<Self::Out> {
        let mut t = t;
        match t.value.take() {
            Some(value) => retag(&t, self.0.call(value)),
            None => retag(&t, Flow::<S::Out>::Skip),
        }
    }
}

impl<I, S: StageMut<I>> StageMut<Tagged<I>> for TaggedStage<S> {
    type Out = Tagged<S::Out>;
    #[inline]
    fn call_mut(&mut self, t: Tagged<I>) -> Flow<Self::Out> {
        let mut t = t;
        match t.value.take() {
            Some(value) => retag(&t, self.0.call_mut(value)),
            None => retag(&t, Flow::<S::Out>::Skip),
        }
    }
}

/// A stage that takes tagged items and gives plain outputs: an ordered stage whose outputs
/// lead to no other ordered stage, or the first node of a branch that leads to none. Applies
/// the inner stage to values and skips holes (a filtered-out item: nothing to do).
#[derive(Debug)]
pub struct Untag<S>(pub S);

impl<I, S: Stage<I>> Stage<Tagged<I>> for Untag<S> {
    type Out = S::Out;
    #[inline]
    fn call(&self, t: Tagged<I>) -> Flow<Self::Out> {
        match t.value {
            Some(value) => self.0.call(value),
            None => Flow::Skip,
        }
    }
}

impl<I, S: StageMut<I>> StageMut<Tagged<I>> for Untag<S> {
    type Out = S::Out;
    #[inline]
    fn call_mut(&mut self, t: Tagged<I>) -> Flow<Self::Out> {
        match t.value {
            Some(value) => self.0.call_mut(value),
            None => Flow::Skip,
        }
    }
}

impl<T> Tagged<T> {
    /// Its value, and its tag without it.
    fn split(mut self) -> (Option<T>, Tagged<()>) {
        let value = self.value.take();
        let tag = Tagged {
            seq: self.seq,
            part: self.part,
            src: self.src,
            end: self.end,
            lane: self.lane,
            value: None,
        };
        (value, tag)
    }
}

/// A batch's tags, each with whether its item had a value (or was a hole).
type Tags<const N: usize> = Batch<(Tagged<()>, bool), N>;

/// The tags of a batch of tagged items, and the values of those that are not holes: what a
/// batch stage before an ordered stage is called with.
fn split_tags<I, const N: usize>(inputs: Batch<Tagged<I>, N>) -> (Tags<N>, Batch<I, N>) {
    let (mut tags, mut values) = (Batch::new(), Batch::new());
    for t in inputs {
        let (value, tag) = t.split();
        let _ = tags.push((tag, value.is_some())); // cannot fail: as many as the inputs
        if let Some(value) = value {
            let _ = values.push(value);
        }
    }
    (tags, values)
}

/// The outcomes for the values of a batch, tagged again; a hole stays a hole.
fn merge_tags<O, const N: usize>(tags: Tags<N>, flows: Outcomes<O, N>) -> Outcomes<Tagged<O>, N> {
    let mut flows = flows.into_iter();
    tags.into_iter()
        .map(|(tag, has_value)| match has_value {
            true => retag(&tag, flows.next().expect("one flow per value")),
            false => retag(&tag, Flow::<O>::Skip),
        })
        .collect()
}

/// Where a batch of tagged items after an ordered stage has holes, and its values.
fn split_holes<I, const N: usize>(inputs: Batch<Tagged<I>, N>) -> (Batch<bool, N>, Batch<I, N>) {
    let (mut holes, mut values) = (Batch::new(), Batch::new());
    for t in inputs {
        let _ = holes.push(t.value.is_none()); // cannot fail: as many as the inputs
        if let Some(value) = t.value {
            let _ = values.push(value);
        }
    }
    (holes, values)
}

/// The outcomes for the values of a batch, a hole skipped in its place.
fn merge_holes<O, const N: usize>(holes: Batch<bool, N>, flows: Outcomes<O, N>) -> Outcomes<O, N> {
    let mut flows = flows.into_iter();
    holes
        .into_iter()
        .map(|hole| match hole {
            true => Flow::Skip,
            false => flows.next().expect("one flow per value"),
        })
        .collect()
}

impl<I, S: AsyncStage<I, N>, const N: usize> AsyncStage<Tagged<I>, N> for TaggedStage<S> {
    type Out = Tagged<S::Out>;
    type Fut = S::Fut;
    /// The batch's tags, its values taken into the future, and the inner stage's meta.
    type Meta = (Tags<N>, S::Meta);
    #[inline]
    fn start(
        &self,
        inputs: Batch<Tagged<I>, N>,
    ) -> Start<S::Fut, Self::Meta, Outcomes<Self::Out, N>> {
        let (tags, values) = split_tags(inputs);
        if values.is_empty() {
            return Start::Done(merge_tags(tags, Batch::new()));
        }
        match self.0.start(values) {
            Start::Wait(fut, meta) => Start::Wait(fut, (tags, meta)),
            Start::Done(flows) => Start::Done(merge_tags(tags, flows)),
        }
    }
    #[inline]
    fn finish(
        &self,
        (tags, meta): Self::Meta,
        done: <S::Fut as Future>::Output,
    ) -> Outcomes<Self::Out, N> {
        merge_tags(tags, self.0.finish(meta, done))
    }
}

impl<I, S: AsyncStage<I, N>, const N: usize> AsyncStage<Tagged<I>, N> for Untag<S> {
    type Out = S::Out;
    type Fut = S::Fut;
    type Meta = (Batch<bool, N>, S::Meta);
    #[inline]
    fn start(&self, inputs: Batch<Tagged<I>, N>) -> Start<S::Fut, Self::Meta, Outcomes<S::Out, N>> {
        let (holes, values) = split_holes(inputs);
        if values.is_empty() {
            return Start::Done(merge_holes(holes, Batch::new()));
        }
        match self.0.start(values) {
            Start::Wait(fut, meta) => Start::Wait(fut, (holes, meta)),
            Start::Done(flows) => Start::Done(merge_holes(holes, flows)),
        }
    }
    #[inline]
    fn finish(
        &self,
        (holes, meta): Self::Meta,
        done: <S::Fut as Future>::Output,
    ) -> Outcomes<S::Out, N> {
        merge_holes(holes, self.0.finish(meta, done))
    }
}

impl<I, S: BatchStage<I, N>, const N: usize> BatchStage<Tagged<I>, N> for TaggedStage<S> {
    type Out = Tagged<S::Out>;
    fn call_batch(&self, inputs: Batch<Tagged<I>, N>) -> Outcomes<Self::Out, N> {
        let (tags, values) = split_tags(inputs);
        merge_tags(tags, self.0.call_batch(values))
    }
}

impl<I, S: BatchStage<I, N>, const N: usize> BatchStage<Tagged<I>, N> for Untag<S> {
    type Out = S::Out;
    fn call_batch(&self, inputs: Batch<Tagged<I>, N>) -> Outcomes<S::Out, N> {
        let (holes, values) = split_holes(inputs);
        merge_holes(holes, self.0.call_batch(values))
    }
}
