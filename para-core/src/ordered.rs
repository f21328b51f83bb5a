//! Ordered stages: a serial stage that sees items in source order although the stages before
//! it run in parallel (oneTBB's `serial_in_order`).
//!
//! # Order
//!
//! The source numbers its items (`seq`). Every item between the source and the ordered stage
//! travels as a [`Tagged`] value: its `seq`, its *part* (which path through fan-outs it took)
//! and the value, or nothing (a *hole*: a filter dropped it, and the ordered stage must still
//! learn that nothing will come). The ordered stage consumes, for `seq = 0, 1, 2, …`, every
//! part of that `seq`, in its window's *order*.
//!
//! Parts are numbered by the predecessors a path enters each node through: at a node fed by
//! several (a merge), the paths through the first take the first numbers, and so on. The macro
//! gives each edge that offset ([`TaggedEdge`], [`OrderedEdge`]), so the parts of an item at
//! any node are `0..paths to it`, a number that does not depend on what lies after the node:
//! one tag serves every ordered stage its item reaches. The *order* lists the parts in branch
//! order (depth first, branches left to right), which the macro computes from the graph; so
//! after a fan-out and a merge the ordered stage sees, per source item, the branch outputs in
//! the order the branches are written, and after a fan-out, a merge and another fan-out, each
//! output of the first group through each branch of the second before the next one's.
//!
//! Tags are put on by the source (numbering) and kept by every stage up to the ordered stages
//! their items reach ([`TaggedStage`]); a branch that reaches none takes them off ([`Untag`]:
//! a hole is skipped there), and so does an ordered stage whose outputs reach none. An ordered
//! stage whose outputs do reach another is *transparent* unless it is a flat-map: it consumes
//! in order and passes each output on with its input's tag (a hole for a filtered item), so the
//! next ordered stage sees it as the part of that source item it is.
//!
//! # Several sources
//!
//! With `S` sources (`pipeline!((a, b) => …)`), each numbers its own items, and a tag also
//! carries its source's index (`src`, set by the source's [`Credit`] sender). Order is per
//! source: the ordered stage consumes each source's `seq`s in order, as above, and interleaves
//! the sources in any order (each step visits every source's window, starting with a different
//! one each time, so none is starved).
//!
//! # Ordered flat-maps
//!
//! An `ordered flat_map` consumes its inputs in the order above and emits each input's outputs
//! lazily, in emission order, all before the next input's ([`run_ordered_flat_map`]): when the
//! room downstream runs out mid-expansion, the iterator is parked under the stage's claim and
//! finished by the next step before any other part is consumed.
//!
//! # Several ordered stages
//!
//! A source takes a credit, for each item, in the window of every ordered stage its tags reach
//! (nested [`Credit`] senders, one per window): ordered stages in sibling branches, and a
//! transparent one and those after it. Each window is bounded by its own credits.
//!
//! An ordered flat-map whose outputs go on to other ordered stages is the *producer* of their
//! windows: [`Renumber`] numbers its outputs `0, 1, 2, …` in the order it emits them and takes
//! a credit for each in those windows, exactly as a source does (each window has one source:
//! this stage, which its `give_credits` wakes). So the next ordered stages see items in the
//! order the flat-map emitted them. A `flat_map` before an ordered stage is made such a
//! producer (`pipeline!` runs it as an `ordered flat_map`): its outputs are numbered as they
//! are emitted, input by input in order, each input's in emission order. (Its outputs must not
//! meet items numbered by another root before an ordered stage: `pipeline!` refuses a
//! `flat_map` in a fan-out branch there.)
//!
//! A producing ordered stage is serial, and a step gives back the credits it did not use (with
//! `return_unused`, without a wake-up) *before* it lets go of the stage's claim: so no other step
//! of it can be waiting for those credits meanwhile. A step that finds none sets `wanted` and is
//! woken by the next window's stage. (Giving them back after the release lost a wake-up: a
//! second step, started in between, found no credit and set `wanted`, and the credits came back
//! with nothing left in flight to return more; the stress test of two chained flat-maps with two
//! sources hung about one run in ten.)
//!
//! # Memory
//!
//! The ordered stage's input ([`OrderedBuffer`]) holds one window per source. A window has `W`
//! slots, one per `seq`, each holding the `P` parts of that `seq`. A source takes a *credit* in
//! its own window for `seq` before it emits it, and the ordered stage returns the credit when
//! it has consumed the whole `seq`. So every tagged item alive belongs to one of at most `W`
//! consecutive `seq`s of its source: a slow item holds back its source, not memory (and not
//! the other sources). At most `S × W × P` items (holes included) are between the sources and
//! the ordered stage, however slow one of them is.
//!
//! # Progress
//!
//! The window never refuses a part: its slot was reserved by the credit. So every stage before
//! the ordered one can always push, every part of the oldest `seq` eventually arrives, and the
//! ordered stage can always consume it: no deadlock for any capacity ≥ 1.
//!
//! # Waking the source
//!
//! Each window has its own credits and `wanted` flag, and wakes its own source: everything
//! below holds per source. A source step that finds no credit returns, and the ordered stage
//! wakes the source when it gives credits back. The handshake is the one of a full queue (`queue.rs`, "Blocked
//! producers"): the source sets `wanted` and retries, reading `free` with an RMW; the ordered
//! stage adds to `free`, then takes `wanted`. Of the two RMWs on `free`, one reads the other's
//! write: either the retry sees the credits, or the ordered stage synchronises with the retry
//! and sees `wanted` (acquire/release and RMW atomicity suffice, which loom checks).
//!
//! Whoever takes `wanted` owns the wake-up, so only the ordered stage takes it, and it always
//! notifies the source. Credits reach `free` from two other places, which leave `wanted` alone:
//!
//! * [`Credit::reserve`] takes the inner queues' room *first* and credits only for that room, so
//!   it never has credits to give back; room it cannot use goes back through the queues' own
//!   `unreserve`, which wakes the producers waiting for it.
//! * [`Credit::unreserve`] returns the credits of a source's last step, when it ran out of items
//!   (a source step waiting for credits then has nothing left to produce), and those an outer
//!   window's [`Credit`] could not match (a source feeding several windows): the step that
//!   returns them found the outer window short and set *its* `wanted`, so the outer stage wakes
//!   the source, and that step finds these credits back.
//!
//! It used to take credits first and give back, taking `wanted`, those a full queue left
//! unused, while several workers step a split source at once. The run could hang:
//!
//! ```text
//!   source step Y               consumer of queue Q           source step Z
//!   takes the last credit
//!   Q.reserve → 0 (full):
//!     sets Q.wanted
//!                               Q.release takes Q.wanted,
//!                               notifies the source ────────▶ no credit: sets `wanted`,
//!                                                             returns 0
//!   gives its credit back,
//!     takes `wanted`, drops
//!     the wake-up, returns 0
//! ```
//!
//! Both wake-ups are spent, and the seqs still in flight return their credits with `wanted`
//! clear: the window empties and the source is never stepped again (a hang seen under
//! qemu-arm; the loom model in `tests/loom_ordered.rs` finds it, and passes on this code).

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;

use crate::flat_map::{drain, SerialFlatMapNode};
use crate::graph::{Cx, NodeId};
use crate::node::{SerialNode, BATCH};
use crate::outbox::Outbox;
use crate::sender::Sender;
use crate::stage::{Flow, Stage, StageMut};
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// An item on its way to an ordered stage: its place in the source order, and its value or a
/// hole.
#[derive(Clone, Debug)]
pub struct Tagged<T> {
    seq: u64,
    part: u32,
    /// The index of its source (set by the source's [`Credit`] sender).
    src: u16,
    value: Option<T>,
}

impl<T> Tagged<T> {
    /// Item number `seq` of the source.
    pub fn new(seq: u64, value: T) -> Self {
        Tagged {
            seq,
            part: 0,
            src: 0,
            value: Some(value),
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
        Some(Tagged {
            seq,
            part: 0,
            src: 0,
            value: Some(value),
        })
    }
}

/// A stage before an ordered one: applies the inner stage to values, keeps tags, passes holes
/// on, and turns a filtered-out item into a hole.
#[derive(Debug)]
pub struct TaggedStage<S>(pub S);

#[inline]
fn retag<I, O>(t: &Tagged<I>, flow: Flow<O>) -> Flow<Tagged<O>> {
    let (seq, part, src) = (t.seq, t.part, t.src);
    match flow {
        Flow::Emit(value) => Flow::Emit(Tagged {
            seq,
            part,
            src,
            value: Some(value),
        }),
        Flow::Skip => Flow::Emit(Tagged {
            seq,
            part,
            src,
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

/// One `seq`'s slot: the `P` parts, and which have arrived (bit `i` for part `i`).
struct Slot<T, const P: usize> {
    parts: [UnsafeCell<MaybeUninit<Option<T>>>; P],
    arrived: AtomicUsize,
}

/// The most parts per `seq` (paths from the source to the ordered stage): one bit each of a
/// `usize`, and the same on every target (32, not `usize::BITS`), so that a pipeline that
/// compiles on a 64-bit host compiles for a 32-bit chip too. `pipeline!` reports more at the
/// `ordered` marker.
pub const MAX_PARTS: usize = 32;

const _: () = assert!(
    usize::BITS as usize >= MAX_PARTS,
    "para needs a usize of 32 bits or more"
);

/// One source's window: `W` sequence numbers, `P` parts each, and that source's credits. See
/// the module docs.
struct Window<T, const W: usize, const P: usize> {
    slots: [Slot<T, P>; W],
    /// Credits: `seq`s the source may still emit (`W` minus those in flight).
    free: AtomicUsize,
    /// The source found no credit; the next release wakes it.
    wanted: AtomicBool,
    /// The order in which the stage consumes a `seq`'s parts: part numbers (module docs,
    /// "Order").
    order: [u8; P],
    /// The ordered stage's progress: the next `seq`, and how many of its parts (in `order`) are
    /// consumed. Touched only by the worker holding the ordered stage's claim (the claim's
    /// Acquire/Release orders it).
    cursor: UnsafeCell<(u64, usize)>,
}

impl<T, const W: usize, const P: usize> Window<T, W, P> {
    const COMPLETE: usize = if P == usize::BITS as usize {
        usize::MAX
    } else {
        (1 << P) - 1
    };

    fn new(order: [u8; P]) -> Self {
        Window {
            slots: core::array::from_fn(|_| Slot {
                parts: core::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
                arrived: AtomicUsize::new(0),
            }),
            free: AtomicUsize::new(W),
            wanted: AtomicBool::new(false),
            order,
            cursor: UnsafeCell::new((0, 0)),
        }
    }

    fn slot(&self, seq: u64) -> &Slot<T, P> {
        &self.slots[(seq % W as u64) as usize]
    }

    /// Takes up to `max` credits (0 if none; the next [`give_credits`](Self::give_credits)
    /// then reports a waiting source).
    ///
    /// The retry reads `free` with an RMW (`fetch_add(0)`), not a load, for the handshake with
    /// `give_credits` (module docs, "Waking the source").
    ///
    /// Acquire on success: a credit is the right to reuse a slot whose parts the ordered stage
    /// read (and whose `arrived` it reset) before it gave the credit back with a Release RMW.
    /// Taking it with Acquire orders those reads and that reset before every write of the next
    /// lap into the slot (the item travels from the source to the `put` through queues, each a
    /// Release/Acquire hand-off). With Relaxed, ThreadSanitizer reports the next lap's `put` racing
    /// with the stage's read, and the reset could even land after the next lap's `fetch_or`.
    fn take_credits(&self, max: usize) -> usize {
        let take = |mut free: usize| loop {
            if free == 0 {
                return 0;
            }
            let n = free.min(max);
            match self.free.compare_exchange_weak(
                free,
                free - n,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return n,
                Err(now) => free = now,
            }
        };
        let got = take(self.free.load(Ordering::Relaxed));
        if got > 0 || max == 0 {
            return got;
        }
        // Handshake with `give_credits`, as in `Queue::reserve`: an RMW, not a load, reads the
        // latest `free`, or `give_credits` reads our write and then sees `wanted`.
        self.wanted.swap(true, Ordering::SeqCst);
        take(self.free.fetch_add(0, Ordering::SeqCst))
    }

    /// The ordered stage returns `n` credits; `true` if the source waits for them, in which case
    /// the caller must wake it (module docs, "Waking the source"): the only place that takes
    /// `wanted`.
    fn give_credits(&self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        self.free.fetch_add(n, Ordering::SeqCst);
        self.wanted.load(Ordering::SeqCst) && self.wanted.swap(false, Ordering::SeqCst)
    }

    /// The source returns `n` credits it took and did not use, at its end (it ran out of items).
    /// Leaves `wanted` alone: a source step waiting for credits has nothing left to produce
    /// (module docs, "Waking the source").
    ///
    /// Relaxed would do: no slot was touched under these credits, and an RMW continues the
    /// release sequence of the ordered stage's returns, so a later taker's Acquire still
    /// synchronises with those. Release keeps every return of a credit a release, at no cost
    /// (once per source, at its end).
    fn return_unused(&self, n: usize) {
        if n > 0 {
            self.free.fetch_add(n, Ordering::Release);
        }
    }

    /// Stores one part. Its `seq` holds a credit, so its cell is free.
    fn put(&self, item: Tagged<T>) {
        let slot = self.slot(item.seq);
        let part = item.part as usize;
        debug_assert!(part < P, "part {part} out of range {P}");
        // SAFETY: (seq, part) is unique among the parts alive (module docs), so this producer
        // is the only writer of the cell, and the consumer reads it only after every bit of
        // `arrived` is set, which happens after the Release `fetch_or` below.
        unsafe { (*slot.parts[part].get()).write(item.value) };
        slot.arrived.fetch_or(1 << part, Ordering::Release);
    }

    /// Consumes, in order, the parts of the next complete `seq`s through `process`, while it
    /// returns [`Consumed::More`]: each as a [`Tagged`] value (`src` is this window's source),
    /// the parts of a `seq` in the window's `order`. Returns how many `seq`s were completed and
    /// whether `process` asked to stop; the cursor is left at the first part not consumed.
    ///
    /// # Safety
    /// The caller holds the ordered stage's claim (the only consumer, and the cursor's owner).
    unsafe fn consume(
        &self,
        src: u16,
        mut process: impl FnMut(Tagged<T>) -> Consumed,
    ) -> (usize, bool) {
        // SAFETY: the cursor is only touched under the ordered stage's claim (caller's contract).
        let cursor = unsafe { &mut *self.cursor.get() };
        let mut seqs_done = 0;
        loop {
            let (seq, first) = *cursor;
            let slot = self.slot(seq);
            if slot.arrived.load(Ordering::Acquire) != Self::COMPLETE {
                return (seqs_done, false);
            }
            for k in first..P {
                let part = self.order[k];
                // SAFETY: the slot is complete (Acquire above pairs with every part's Release
                // `fetch_or`), and parts from the cursor on are not consumed yet; only the
                // claim holder consumes.
                let value = unsafe { (*slot.parts[usize::from(part)].get()).assume_init_read() };
                // Consumed before the stage sees it: if the stage panics, the value is dropped
                // by the unwinding, and the window's `Drop` must not drop it again.
                *cursor = (seq, k + 1);
                let item = Tagged {
                    seq,
                    part: u32::from(part),
                    src,
                    value,
                };
                match process(item) {
                    Consumed::More => {}
                    Consumed::Full if k + 1 < P => return (seqs_done, false),
                    Consumed::Full => {
                        slot.arrived.store(0, Ordering::Relaxed);
                        *cursor = (seq + 1, 0);
                        return (seqs_done + 1, false);
                    }
                    Consumed::Stop => return (seqs_done, true),
                }
            }
            slot.arrived.store(0, Ordering::Relaxed);
            *cursor = (seq + 1, 0);
            seqs_done += 1;
        }
    }

    /// Whether the cursor is in the middle of a `seq`. Caller holds the claim, as for
    /// [`consume`](Self::consume).
    unsafe fn mid_slot(&self) -> bool {
        // SAFETY: under the claim (caller's contract).
        unsafe { (*self.cursor.get()).1 > 0 }
    }
}

/// What the ordered stage's step says after one part, to [`Window::consume`].
enum Consumed {
    /// Go on with the next part.
    More,
    /// This part is consumed; stop here (the room downstream is used up).
    Full,
    /// This part is consumed and the run stops.
    Stop,
}

impl<T, const W: usize, const P: usize> Drop for Window<T, W, P> {
    fn drop(&mut self) {
        // A run that stopped early leaves parts behind: drop each exactly once. In the slot at
        // the cursor, the first `consumed` parts of `order` were consumed already.
        let (next, consumed) = *self.cursor.get_mut();
        for seq in next..next + W as u64 {
            let slot = self.slot(seq);
            let arrived = slot.arrived.load(Ordering::Acquire);
            let first = if seq == next { consumed } else { 0 };
            for &part in &self.order[first..] {
                let part = usize::from(part);
                if arrived & (1 << part) != 0 {
                    // SAFETY: the bit says the cell was written; of the cursor's slot, the
                    // parts consumed are those before `first` in `order`, no others; `&mut
                    // self` excludes every other access.
                    unsafe { (*slot.parts[part].get()).assume_init_drop() };
                }
            }
        }
    }
}

/// The input of an ordered stage: one window of `W` sequence numbers, `P` parts each, per
/// source (`S` sources). See the module docs.
pub struct OrderedBuffer<T, const W: usize, const P: usize, const S: usize = 1> {
    windows: [Window<T, W, P>; S],
    /// The window the next step starts with, so that no source is starved. Touched only under
    /// the ordered stage's claim.
    turn: UnsafeCell<usize>,
    /// When the producer is an upstream ordered stage ([`Renumber`]): the `seq` of its next
    /// output. Touched only under that stage's claim.
    produced: UnsafeCell<u64>,
}

// SAFETY: parts move between threads (`T: Send`). A part cell is written once per lap by the
// one producer that holds its (src, seq, part) — tags are unique per lap because a source
// cannot emit `seq + W` before `seq` is consumed — and read by the one consumer holding the
// ordered stage's claim after it saw every bit of `arrived` set with Acquire (the writers'
// Release `fetch_or`s).
// The cursors and `turn` are only touched under that claim, `produced` only under the claim of
// the upstream ordered stage that feeds the window.
unsafe impl<T: Send, const W: usize, const P: usize, const S: usize> Sync
    for OrderedBuffer<T, W, P, S>
{
}

impl<T, const W: usize, const P: usize, const S: usize> OrderedBuffer<T, W, P, S> {
    const SHAPE_OK: () = assert!(
        W >= 1 && P >= 1 && P <= MAX_PARTS && S >= 1 && S <= u16::MAX as usize,
        "an ordered window needs W >= 1, 1 <= P <= 32 paths to it, 1 <= S <= 65535 sources"
    );

    /// Empty windows, whose stage consumes the parts of a `seq` in part order.
    pub fn new() -> Self {
        Self::with_order(core::array::from_fn(|part| part as u8))
    }

    /// Empty windows, whose stage consumes the parts of a `seq` in `order`: part numbers, each
    /// of `0..P` once (module docs, "Order").
    ///
    /// # Panics
    /// If `order` is not such a permutation.
    pub fn with_order(order: [u8; P]) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE_OK;
        let mut seen = 0usize;
        for &part in &order {
            assert!(
                usize::from(part) < P && seen & (1 << part) == 0,
                "para: an ordered window's order must list each part once"
            );
            seen |= 1 << part;
        }
        OrderedBuffer {
            windows: core::array::from_fn(|_| Window::new(order)),
            turn: UnsafeCell::new(0),
            produced: UnsafeCell::new(0),
        }
    }

    fn put(&self, item: Tagged<T>) {
        self.windows[usize::from(item.src)].put(item);
    }
}

impl<T, const W: usize, const P: usize, const S: usize> Default for OrderedBuffer<T, W, P, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const W: usize, const P: usize, const S: usize> fmt::Debug for OrderedBuffer<T, W, P, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut free = [0; S];
        for (free, window) in free.iter_mut().zip(&self.windows) {
            *free = window.free.load(Ordering::Relaxed);
        }
        f.debug_struct("OrderedBuffer")
            .field("window", &W)
            .field("parts", &P)
            .field("free", &free)
            .finish_non_exhaustive()
    }
}

/// A producer's edge into an ordered stage's windows, adding the part offset of this edge.
#[derive(Debug)]
pub struct OrderedEdge<'b, T, const W: usize, const P: usize, const S: usize = 1> {
    buffer: &'b OrderedBuffer<T, W, P, S>,
    to: NodeId,
    offset: u32,
}

impl<'b, T, const W: usize, const P: usize, const S: usize> OrderedEdge<'b, T, W, P, S> {
    /// The edge into `buffer`, the input of node `to`; parts sent here are shifted by `offset`.
    pub fn new(buffer: &'b OrderedBuffer<T, W, P, S>, to: NodeId, offset: u32) -> Self {
        OrderedEdge { buffer, to, offset }
    }
}

impl<T, const W: usize, const P: usize, const S: usize> Sender<Tagged<T>>
    for OrderedEdge<'_, T, W, P, S>
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

/// A producer's edge into a queue of tagged items, adding the part offset of this edge.
#[derive(Debug)]
pub struct TaggedEdge<S> {
    inner: S,
    offset: u32,
}

impl<S> TaggedEdge<S> {
    /// `inner`, with parts sent through it shifted by `offset`.
    pub fn new(inner: S, offset: u32) -> Self {
        TaggedEdge { inner, offset }
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
        item.part += self.offset;
        self.inner.push(item);
    }
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
}

/// A source's sender when an ordered stage is downstream: one credit per item in the source's
/// window, on top of the inner sender's room (taken first: module docs, "Waking the source");
/// stamps the source's index on its items.
#[derive(Debug)]
pub struct Credit<'b, T, S, const W: usize, const P: usize, const N: usize = 1> {
    buffer: &'b OrderedBuffer<T, W, P, N>,
    src: u16,
    inner: S,
}

impl<'b, T, S, const W: usize, const P: usize, const N: usize> Credit<'b, T, S, W, P, N> {
    /// `inner`, limited by the credits of `buffer`, for a pipeline's only source.
    pub fn new(buffer: &'b OrderedBuffer<T, W, P, N>, inner: S) -> Self {
        Self::for_source(buffer, 0, inner)
    }

    /// `inner`, limited by the credits of source number `src`'s window in `buffer`.
    pub fn for_source(buffer: &'b OrderedBuffer<T, W, P, N>, src: u16, inner: S) -> Self {
        assert!(
            usize::from(src) < N,
            "para: source {src} has no ordered window"
        );
        Credit { buffer, src, inner }
    }

    fn window(&self) -> &'b Window<T, W, P> {
        &self.buffer.windows[usize::from(self.src)]
    }
}

impl<T, V, S, const W: usize, const P: usize, const N: usize> Sender<Tagged<V>>
    for Credit<'_, T, S, W, P, N>
where
    S: Sender<Tagged<V>>,
{
    const COPIES: usize = S::COPIES;
    /// The inner room first, then credits for at most that room. So no credit is ever given
    /// back here, which could spend the wake-up of another step of a split source waiting for
    /// credits (module docs, "Waking the source").
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        let room = self.inner.reserve(max, cx);
        if room == 0 {
            return 0; // the full queue wakes the source when it drains
        }
        let credits = self.window().take_credits(room);
        if credits < room {
            // The queues' own `unreserve` wakes the producers waiting for this room; with no
            // credit, the ordered stage wakes the source when it returns credits.
            self.inner.unreserve(room - credits, cx);
        }
        credits
    }

    /// Room a source step reserved and did not fill, which happens only at its end (it ran out
    /// of items): see [`Window::return_unused`].
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.window().return_unused(n);
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, mut value: Tagged<V>) {
        value.src = self.src;
        self.inner.push(value);
    }
    #[inline]
    fn push_all<const K: usize>(&self, outbox: &mut Outbox<Tagged<V>, K>) {
        if N == 1 {
            // One source: its items already carry index 0.
            self.inner.push_all(outbox);
        } else {
            let mut stamped = Outbox::<Tagged<V>, K>::new();
            for mut value in outbox.drain() {
                value.src = self.src;
                let _ = stamped.push(value); // cannot fail: as many as `outbox` held
            }
            self.inner.push_all(&mut stamped);
        }
    }
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
}

/// The sender of an ordered flat-map whose outputs go on to other ordered stages: it numbers
/// them in the order it emits them (a new `seq` each), and `inner`, the [`Credit`]s of those
/// stages' windows around the edges, takes a credit in each for every output, as for a
/// source. Module docs, "Several ordered stages".
#[derive(Debug)]
pub struct Renumber<'b, T, S, const W: usize, const P: usize> {
    counter: &'b OrderedBuffer<T, W, P, 1>,
    inner: S,
}

impl<'b, T, S, const W: usize, const P: usize> Renumber<'b, T, S, W, P> {
    /// `inner`, the credited edges of an ordered stage, numbering its outputs with the counter
    /// kept in `counter`, the window of one of the ordered stages it feeds. Only that stage's
    /// step pushes through it, while it holds the stage's claim (as `pipeline!` wires it): that
    /// claim is what orders the numbering, like the credits order the window's cells (module
    /// docs).
    pub fn new(counter: &'b OrderedBuffer<T, W, P, 1>, inner: S) -> Self {
        Renumber { counter, inner }
    }
}

impl<T, V, S, const W: usize, const P: usize> Sender<V> for Renumber<'_, T, S, W, P>
where
    S: Sender<Tagged<V>>,
{
    const COPIES: usize = S::COPIES;
    #[inline]
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        self.inner.reserve(max, cx)
    }
    /// Credits not used by a step: no other step of this (serial) stage can be waiting for
    /// them, so they go back without a wake-up ([`Window::return_unused`]).
    #[inline]
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, value: V) {
        // SAFETY: only the step of the producing stage pushes, under its claim (`new`), so this
        // is the only access to the counter, and the claim's Acquire/Release orders the steps.
        let next = unsafe { &mut *self.counter.produced.get() };
        let seq = *next;
        *next += 1;
        self.inner.push(Tagged::new(seq, value));
    }
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
}

/// One step of ordered stage `this`: consume, in order, the parts of the next complete `seq`s
/// of each source's window. Source `i`'s node id is `first_source + i`: it is woken when its
/// window's credits come back.
pub fn run_ordered<T, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    node: &SerialNode<St>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<Tagged<T>>,
    S: Sender<St::Out>,
{
    let Some(mut stage) = node.stage().try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        return false; // stopped while we waited: the stage must not run again
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        if stage.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    let clones = S::COPIES.saturating_sub(1);
    cx.add_items(room * clones);
    // SAFETY: `turn` is only touched while holding this stage's claim, which we hold.
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    let (mut done, mut emitted, mut stop) = (0, 0, false);
    let mut seqs_done = [0usize; N];
    let mut mid_slot = false;
    for k in 0..N {
        if emitted == room || stop {
            break;
        }
        let w = (first + k) % N;
        let window = &input.windows[w];
        // SAFETY: we hold the ordered stage's claim.
        let (seqs, stopped) = unsafe {
            window.consume(w as u16, |item| {
                done += 1;
                match stage.call_mut(item) {
                    Flow::Emit(output) => {
                        out.push(output);
                        emitted += 1;
                        if emitted == room {
                            Consumed::Full
                        } else {
                            Consumed::More
                        }
                    }
                    Flow::Skip => Consumed::More,
                    Flow::Stop => Consumed::Stop,
                }
            })
        };
        seqs_done[w] = seqs;
        stop = stopped;
    }
    if stop {
        // Stop before letting go of the claim: the next claimant sees the run ended (below)
        // and never calls the stage again after it asked to stop.
        cx.stop();
        drop(stage);
        return true;
    }
    // Read under the claim: after `release` another worker may move the cursors.
    for window in &input.windows {
        // SAFETY: we still hold the claim.
        mid_slot |= unsafe { window.mid_slot() };
    }
    // Before letting go of the claim: when the stage feeds another ordered stage, these are
    // credits of its window, and no other step of this stage may be waiting for them while
    // they go back without a wake-up (module docs, "Several ordered stages").
    out.unreserve(room - emitted, cx);
    let notified = stage.release();
    let mut any_seq = false;
    for (w, (&seqs, window)) in seqs_done.iter().zip(&input.windows).enumerate() {
        any_seq |= seqs > 0;
        if window.give_credits(seqs) {
            cx.notify(first_source + w as NodeId);
        }
    }
    if emitted > 0 {
        out.notify(cx);
    }
    // More complete seqs may be waiting (in a window we completed seqs in, or one the room
    // did not reach: the room then ran out after completing a seq or in the middle of one), or
    // the room ran out in the middle of a seq (its cursor part is past 0): nothing else would
    // wake us for those. A spurious step costs a few loads.
    if notified || any_seq || mid_slot {
        cx.notify(this);
    }
    let skipped = done - emitted;
    let retired = if S::COPIES == 0 {
        done
    } else {
        (room - emitted) * clones + skipped
    };
    cx.retire_items(retired);
    done > 0
}

/// One step of an `ordered flat_map` node `this`: the ordered stage is a flat-map. It finishes
/// its parked iterator (the outputs of an input the room could not hold), then consumes, in
/// order, the parts of the next complete `seq`s of each source's window, as [`run_ordered`]
/// does, expanding each value lazily into the room reserved downstream. An iterator the room
/// cannot hold is parked, and no part is consumed before it is exhausted: the outputs of one
/// input all leave, in emission order, before the next input's.
///
/// Accounting as in `flat_map.rs`: an input counts as one item until its iterator is
/// exhausted; a hole or a skipped input is settled when consumed.
pub fn run_ordered_flat_map<T, St, S, const W: usize, const P: usize, const N: usize>(
    this: NodeId,
    input: &OrderedBuffer<T, W, P, N>,
    node: &SerialFlatMapNode<St, <St::Out as IntoIterator>::IntoIter>,
    out: S,
    first_source: NodeId,
    cx: &mut Cx<'_>,
) -> bool
where
    St: StageMut<Tagged<T>>,
    St::Out: IntoIterator,
    S: Sender<<St::Out as IntoIterator>::Item>,
{
    let Some(mut claim) = node.state().try_claim() else {
        return false; // the holder is told and re-notifies us
    };
    if cx.is_ended() {
        return false; // stopped while we waited: the stage must not run again
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        if claim.release() {
            cx.notify(this);
        }
        return false; // the full queue wakes us when it drains
    }
    cx.add_items(room * S::COPIES);
    let state = &mut *claim;
    let (mut emitted, mut finished, mut stop) = (0, 0, false);
    let mut seqs_done = [0usize; N];
    if let Some(iter) = state.parked.as_mut() {
        if drain(iter, &out, &mut emitted, room) {
            state.parked = None;
            finished += 1;
        }
    }
    // SAFETY: `turn` is only touched while holding this stage's claim, which we hold.
    let turn = unsafe { &mut *input.turn.get() };
    let first = *turn;
    *turn = (first + 1) % N;
    for k in 0..N {
        if emitted == room || stop || state.parked.is_some() {
            break;
        }
        let w = (first + k) % N;
        // SAFETY: we hold the ordered stage's claim.
        let (seqs, stopped) = unsafe {
            input.windows[w].consume(w as u16, |item| match state.stage.call_mut(item) {
                Flow::Emit(outputs) => {
                    let mut iter = outputs.into_iter();
                    if drain(&mut iter, &out, &mut emitted, room) {
                        finished += 1;
                    } else {
                        state.parked = Some(iter);
                    }
                    if emitted == room {
                        Consumed::Full
                    } else {
                        Consumed::More
                    }
                }
                Flow::Skip => {
                    finished += 1;
                    Consumed::More
                }
                Flow::Stop => Consumed::Stop,
            })
        };
        seqs_done[w] = seqs;
        stop = stopped;
    }
    if stop {
        // Stop before letting go, so no worker calls the stopped stage (`run_serial`).
        cx.stop();
        drop(claim);
        return true;
    }
    let parked_left = state.parked.is_some();
    let mut mid_slot = false;
    for window in &input.windows {
        // SAFETY: we still hold the claim.
        mid_slot |= unsafe { window.mid_slot() };
    }
    // Before letting go of the claim: when the stage feeds another ordered stage, these are
    // credits of its window, and no other step of this stage may be waiting for them while
    // they go back without a wake-up (module docs, "Several ordered stages").
    out.unreserve(room - emitted, cx);
    let notified = claim.release();
    let mut any_seq = false;
    for (w, (&seqs, window)) in seqs_done.iter().zip(&input.windows).enumerate() {
        any_seq |= seqs > 0;
        if window.give_credits(seqs) {
            cx.notify(first_source + w as NodeId);
        }
    }
    if emitted > 0 {
        out.notify(cx);
    }
    // As in `run_ordered`, and a parked iterator: the room ran out, so nothing else wakes us.
    if notified || any_seq || mid_slot || parked_left {
        cx.notify(this);
    }
    cx.retire_items((room - emitted) * S::COPIES + finished);
    emitted > 0 || finished > 0
}
