//! Splittable sources: ranges, slices and `Vec`s that several workers produce from at once.
//!
//! A serial iterator is drained by one worker at a time; when producing an item is expensive,
//! that worker is the bottleneck. A [`Split`] source instead hands out *indices*: a worker
//! claims the next `k` indices with one CAS and produces those items itself, so producing scales
//! with the workers (rayon's splittable producers, without the tree). `pipeline!` picks this
//! path by itself for any source whose type implements [`Split`] (autoref specialisation in
//! `wiring.rs`); any other `IntoIterator` stays a serial source.
//!
//! # Order
//!
//! Items are numbered by index; before an ordered stage the index is the item's `seq`. Indices
//! are claimed in increasing order and each claim holds one ordered-window credit per index, so
//! the indices in flight always lie within the window.

use core::marker::PhantomData;
use core::ops::Range;

use crate::drop_all::drop_all;
use crate::graph::{Cx, NodeId};
use crate::node::{SourceStep, BATCH};
use crate::ordered::Tagged;
use crate::outbox::{Outbox, SMALL_ITEM};
use crate::sender::Sender;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// A source that produces the item at any index, so that workers can split it.
///
/// # Safety
///
/// `take(i)` is called at most once per index `i < len()`, possibly from several threads at
/// once for different indices (hence `Sync`). An implementation that moves items out (a `Vec`)
/// relies on that, and drops the untaken ones in `drop_untaken`.
pub unsafe trait Split: Sync {
    /// The items.
    type Item;
    /// The number of items.
    fn len(&self) -> usize;
    /// Whether there are no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Produces the item at `index`.
    ///
    /// # Safety
    /// `index < len()`, and no index is taken twice.
    unsafe fn take(&self, index: usize) -> Self::Item;
    /// Drops the items at `indices`, which were never taken. Called once, from `Drop`.
    ///
    /// # Safety
    /// None of `indices` was or will be taken.
    unsafe fn drop_untaken(&mut self, indices: Range<usize>) {
        let _ = indices;
    }
}

macro_rules! split_ranges {
    ($($t:ty),*) => {$(
        // SAFETY: producing `start + i` moves nothing out; any index may be produced any time.
        unsafe impl Split for Range<$t> {
            type Item = $t;
            fn len(&self) -> usize {
                // `ExactSizeIterator` is not implemented for every width: compute in i128.
                let n = (self.end as i128 - self.start as i128).max(0);
                usize::try_from(n).unwrap_or(usize::MAX)
            }
            unsafe fn take(&self, index: usize) -> $t {
                (self.start as i128 + index as i128) as $t
            }
        }
    )*};
}
split_ranges!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

// SAFETY: producing `&self[i]` moves nothing out.
unsafe impl<'a, T: Sync> Split for &'a [T] {
    type Item = &'a T;
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    unsafe fn take(&self, index: usize) -> &'a T {
        &self[index]
    }
}

/// Frees a buffer of items, given its pointer and capacity, dropping no item.
type FreeBuffer<T> = unsafe fn(*mut T, usize);

/// An owned buffer of items, split by moving each out once: what a `Vec<T>` source becomes.
///
/// Built by para-std from a `Vec` (para-core has no `alloc`): it takes the vector apart into
/// pointer, length and a function that frees the buffer.
pub struct Owned<T> {
    ptr: *mut T,
    len: usize,
    free: Option<(FreeBuffer<T>, usize)>,
    _owns: PhantomData<T>,
}

// SAFETY: `Owned` owns its items like a `Vec<T>`: sending it sends them.
unsafe impl<T: Send> Send for Owned<T> {}
// SAFETY: shared access only moves distinct items out (`take`, each index once) to the
// threads that claimed them, which needs `T: Send`, not `T: Sync`.
unsafe impl<T: Send> Sync for Owned<T> {}

impl<T> Owned<T> {
    /// Takes ownership of the `len` items at `ptr`; `free(ptr, capacity)` releases the buffer
    /// after the untaken items have been dropped.
    ///
    /// # Safety
    /// `ptr` points to `len` initialised items that nobody else drops or uses, and
    /// `free(ptr, capacity)` frees that buffer without dropping items.
    pub unsafe fn from_raw(
        ptr: *mut T,
        len: usize,
        free: unsafe fn(*mut T, usize),
        capacity: usize,
    ) -> Self {
        Owned {
            ptr,
            len,
            free: Some((free, capacity)),
            _owns: PhantomData,
        }
    }
}

impl<T> core::fmt::Debug for Owned<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Owned").field("len", &self.len).finish()
    }
}

// SAFETY: `take` moves item `index` out; the contract (each index at most once) makes that a
// unique move, and `drop_untaken` drops exactly the rest.
unsafe impl<T: Send> Split for Owned<T> {
    type Item = T;
    fn len(&self) -> usize {
        self.len
    }
    unsafe fn take(&self, index: usize) -> T {
        debug_assert!(index < self.len);
        // SAFETY: `index < len` and never taken before (caller's contract): the item is
        // initialised and this is its only move.
        unsafe { self.ptr.add(index).read() }
    }
    unsafe fn drop_untaken(&mut self, indices: Range<usize>) {
        /// Frees the buffer once the items are dropped, also when one of their drops panics.
        struct FreeOnExit<T> {
            ptr: *mut T,
            free: Option<(FreeBuffer<T>, usize)>,
        }
        impl<T> Drop for FreeOnExit<T> {
            fn drop(&mut self) {
                if let Some((free, capacity)) = self.free.take() {
                    // SAFETY: runs after `drop_all` below has visited every untaken item (it
                    // goes on through a panic), so each item is moved out or dropped; `free`
                    // releases the buffer only.
                    unsafe { free(self.ptr, capacity) };
                }
            }
        }
        let _free = FreeOnExit {
            ptr: self.ptr,
            free: self.free.take(),
        };
        let ptr = self.ptr;
        drop_all(indices, |index| {
            // SAFETY: untaken (caller's contract), so still initialised and owned by us; each
            // index is visited once.
            unsafe { ptr.add(index).drop_in_place() };
        });
    }
}

/// What a split source sends: its items, or its items tagged with their index (before an
/// ordered stage).
pub trait Emit<T> {
    /// The item as sent.
    type Out;
    /// Wraps item number `index`.
    fn wrap(index: usize, item: T) -> Self::Out;
    /// Wraps item number `seq` of a source that may run past `usize::MAX` items (a feed on a
    /// 32-bit chip).
    #[inline]
    fn wrap_seq(seq: u64, item: T) -> Self::Out {
        Self::wrap(seq as usize, item)
    }
}

/// Sends items as they are.
#[derive(Debug)]
pub enum Plain {}
impl<T> Emit<T> for Plain {
    type Out = T;
    #[inline]
    fn wrap(_index: usize, item: T) -> T {
        item
    }
}

/// Sends items tagged with their index, for an ordered stage downstream.
#[derive(Debug)]
pub enum Numbered {}
impl<T> Emit<T> for Numbered {
    type Out = Tagged<T>;
    #[inline]
    fn wrap(index: usize, item: T) -> Tagged<T> {
        Tagged::new(index as u64, item)
    }
    #[inline]
    fn wrap_seq(seq: u64, item: T) -> Tagged<T> {
        Tagged::new(seq, item)
    }
}

/// A split source node: the source, the next unclaimed index, and whether the end was seen.
pub struct SplitNode<S: Split, E> {
    source: S,
    next: AtomicUsize,
    ended: AtomicBool,
    _emit: PhantomData<fn() -> E>,
}

impl<S: Split, E> SplitNode<S, E> {
    /// A node producing the items of `source`.
    pub fn new(source: S) -> Self {
        SplitNode {
            source,
            next: AtomicUsize::new(0),
            ended: AtomicBool::new(false),
            _emit: PhantomData,
        }
    }

    /// Claims up to `max` indices; returns the first and how many.
    ///
    /// Acquire/Release: a worker that sees the end (every index claimed) retires the source's
    /// reference; it must do so after the last claimant counted its items in, which that
    /// claimant did before its claim.
    fn claim(&self, max: usize) -> (usize, usize) {
        let len = self.source.len();
        let mut next = self.next.load(Ordering::Acquire);
        loop {
            let n = max.min(len.saturating_sub(next));
            if n == 0 {
                return (next, 0);
            }
            match self.next.compare_exchange_weak(
                next,
                next + n,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return (next, n),
                Err(now) => next = now,
            }
        }
    }
}

impl<S: Split, E> Drop for SplitNode<S, E> {
    fn drop(&mut self) {
        let len = self.source.len();
        let next = self.next.load(Ordering::Relaxed).min(len);
        // SAFETY: indices below `next` were claimed, and a claim takes every index it holds
        // (or drops it, on unwind: `Claimed`); indices from `next` on were never claimed.
        unsafe { self.source.drop_untaken(next..len) };
    }
}

impl<S: Split, E> core::fmt::Debug for SplitNode<S, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SplitNode")
            .field("len", &self.source.len())
            .field("next", &self.next.load(Ordering::Relaxed))
            .finish()
    }
}

/// Indices claimed by one step and not yet taken; on unwind, drops them so nothing leaks.
struct Claimed<'a, S: Split> {
    source: &'a S,
    range: Range<usize>,
}

impl<S: Split> Drop for Claimed<'_, S> {
    fn drop(&mut self) {
        let source = self.source;
        drop_all(self.range.clone(), |index| {
            // SAFETY: claimed by this step (so by no one else) and not taken yet; each index
            // is visited once.
            drop(unsafe { source.take(index) });
        });
    }
}

impl<Src: Split, E: Emit<Src::Item>> SourceStep for SplitNode<Src, E> {
    type Out = E::Out;
    #[inline]
    fn step<S: Sender<E::Out>>(&self, this: NodeId, out: S, cx: &mut Cx<'_>) -> bool {
        run_split(this, self, out, cx)
    }
}

/// Takes the items of `claimed` and pushes them into `out`'s reserved room, `B` at a time (see
/// `outbox.rs`). Not inlined, so that a step over big items never has the buffer in its frame.
#[cfg_attr(not(loom), inline(never))]
fn emit<Src, E, S, const B: usize>(claimed: &mut Claimed<'_, Src>, out: &S)
where
    Src: Split,
    E: Emit<Src::Item>,
    S: Sender<E::Out>,
{
    let mut outbox = Outbox::<E::Out, B>::new();
    // `by_ref`: what is left in the range on unwind is dropped by `claimed`.
    for index in claimed.range.by_ref() {
        // SAFETY: `index` is in this step's claim: below `len`, and claimed by no one else.
        let item = unsafe { claimed.source.take(index) };
        let _ = outbox.push(E::wrap(index, item)); // cannot fail: flushed when full below
        if outbox.room() == 0 {
            out.push_all(&mut outbox);
        }
    }
    out.push_all(&mut outbox);
}

/// One step of split source `this`: claim up to a batch of indices and produce their items.
fn run_split<Src, E, S>(this: NodeId, node: &SplitNode<Src, E>, out: S, cx: &mut Cx<'_>) -> bool
where
    Src: Split,
    E: Emit<Src::Item>,
    S: Sender<E::Out>,
{
    if node.ended.load(Ordering::Relaxed) {
        return false;
    }
    let room = out.reserve(BATCH, cx);
    if room == 0 {
        cx.count_blocked(this);
        return false; // the full queue wakes us when it drains
    }
    // Count the items in before claiming them (see `claim`).
    cx.add_items(room * S::COPIES);
    let (first, n) = node.claim(room);
    if n > 0 && first + n < node.source.len() {
        cx.offer(this); // more to claim: let idle workers produce in parallel
    }
    let mut claimed = Claimed {
        source: &node.source,
        range: first..first + n,
    };
    if core::mem::size_of::<E::Out>() <= SMALL_ITEM {
        emit::<Src, E, S, BATCH>(&mut claimed, &out);
    } else {
        emit::<Src, E, S, 1>(&mut claimed, &out);
    }
    drop(claimed);
    cx.count(this, 0, n);
    out.unreserve(room - n, cx);
    if n > 0 {
        out.notify(cx);
    }
    // The end: whoever first sees every index claimed retires the source's reference, once.
    let exhausted = first + n >= node.source.len();
    let retire_source = exhausted && !node.ended.swap(true, Ordering::AcqRel);
    if !exhausted && n == room {
        cx.notify(this);
    }
    cx.retire_items((room - n) * S::COPIES + usize::from(retire_source));
    n > 0 || retire_source
}
