//! How `pipeline!` turns its source expression into a source node: a *split* source (several
//! workers produce from it at once) when the source is a range of integers, a slice or a `Vec`,
//! otherwise an iterator drained by one worker at a time (`caller.rs`: by the calling thread
//! if the iterator is not `Send`).
//!
//! The choice is made on the source's type at the call site, by autoref specialisation: method
//! lookup tries [`ViaSplit::source`] (implemented for `&&&SourceArg<T>` where `T: IntoSplit`),
//! then `ViaIter::source` (`&&SourceArg<T>`, a `Send` iterator), then `ViaCaller::source`
//! (`&SourceArg<T>`), one auto-dereference each (para-core's `expansion.rs` lists the paths).
#![allow(unsafe_code)] // `Vec` → para-core's `Owned`: taking a vector apart (SAFETY below).

use std::mem::ManuallyDrop;
use std::ops::Range;

use para_core::__private::SourceArg;
use para_core::raw::{Item, Numbered, Owned, Plain, SplitNode, Ty};
use para_core::Split;

/// Sources that workers can split: they produce any item by index, so several workers produce
/// at once (each claims a run of indices), where an iterator is drained by one at a time.
///
/// `pipeline!` takes this path for any source whose type implements `IntoSplit`: integer
/// ranges, slices, arrays, `&Vec`s and `Vec`s, and your own types. A type becomes one by
/// converting into a [`Split`], an `unsafe` trait whose contract is: `take(i)` is called at most
/// once per index `i < len()`, possibly from several threads at once for different indices
/// (so the type is `Sync`), and the indices never taken are handed to `drop_untaken` once
/// (where a type that moves items out drops them). A type that computes each item from its
/// index, as below, moves nothing out and meets the contract at once.
///
/// ```
/// use para_std::{pipeline, IntoSplit, Split};
///
/// /// The first `n` squares, each computed by the worker that claims its index.
/// struct Squares {
///     n: usize,
/// }
///
/// // SAFETY: `take` computes the item from its index and moves nothing out, so any index may
/// // be taken at any time, from any thread, any number of times.
/// unsafe impl Split for Squares {
///     type Item = u64;
///     fn len(&self) -> usize {
///         self.n
///     }
///     unsafe fn take(&self, index: usize) -> u64 {
///         (index as u64) * (index as u64)
///     }
/// }
///
/// impl IntoSplit for Squares {
///     type Split = Squares;
///     fn into_split(self) -> Squares {
///         self
///     }
/// }
///
/// let sum = pipeline!(2, Squares { n: 1000 } => reduce(|| 0, |a, b| a + b));
/// assert_eq!(sum, (0..1000u64).map(|i| i * i).sum());
///
/// // Split sources keep their order promise: an ordered stage sees index order.
/// let mut seen = Vec::new();
/// pipeline!(2, Squares { n: 5 } => |x| x + 1 => ordered |x| seen.push(x));
/// assert_eq!(seen, [1, 2, 5, 10, 17]);
/// ```
pub trait IntoSplit {
    /// The split source.
    type Split: Split + Send;
    /// Converts.
    fn into_split(self) -> Self::Split;
}

macro_rules! range_sources {
    ($($t:ty),*) => {$(
        impl IntoSplit for Range<$t> {
            type Split = Range<$t>;
            fn into_split(self) -> Range<$t> {
                self
            }
        }
    )*};
}
range_sources!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<'a, T: Sync> IntoSplit for &'a [T] {
    type Split = &'a [T];
    fn into_split(self) -> &'a [T] {
        self
    }
}

impl<'a, T: Sync> IntoSplit for &'a Vec<T> {
    type Split = &'a [T];
    fn into_split(self) -> &'a [T] {
        self
    }
}

impl<'a, T: Sync, const N: usize> IntoSplit for &'a [T; N] {
    type Split = &'a [T];
    fn into_split(self) -> &'a [T] {
        self
    }
}

/// Frees a vector's buffer whose items were all moved out or dropped.
///
/// # Safety
/// `ptr` and `capacity` come from a `Vec<T>` taken apart by `into_split`, and none of its items
/// is still to be dropped.
unsafe fn free_vec<T>(ptr: *mut T, capacity: usize) {
    // SAFETY: rebuilt with length 0 from the vector's own pointer and capacity (the caller's
    // contract): dropping it frees the buffer and drops no item.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, capacity) });
}

impl<T: Send> IntoSplit for Vec<T> {
    type Split = Owned<T>;
    fn into_split(self) -> Owned<T> {
        let mut items = ManuallyDrop::new(self);
        let (ptr, len, capacity) = (items.as_mut_ptr(), items.len(), items.capacity());
        // SAFETY: the vector is forgotten (ManuallyDrop), so `Owned` alone owns its `len`
        // initialised items and its buffer, which `free_vec` frees as a `Vec` of that capacity.
        unsafe { Owned::from_raw(ptr, len, free_vec::<T>, capacity) }
    }
}

/// The split path: preferred for sources that implement [`IntoSplit`].
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
    T: IntoSplit,
    <T::Split as Split>::Item: Item,
{
    type Node = SplitNode<T::Split, Plain>;
    type Tagged = SplitNode<T::Split, Numbered>;
    type Item = <T::Split as Split>::Item;
    fn source(self) -> (Self::Node, Ty<Self::Item>) {
        (SplitNode::new(self.take().into_split()), Ty::new())
    }
    fn tagged_source(self) -> (Self::Tagged, Ty<Self::Item>) {
        (SplitNode::new(self.take().into_split()), Ty::new())
    }
}
