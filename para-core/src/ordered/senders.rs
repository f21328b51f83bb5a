//! The senders of roots before ordered stages: a root's credits in the windows its items reach,
//! and the renumbering of an ordered flat-map's outputs. See the module docs of `ordered`
//! ("Credits", "Waking the source", "Streams").

use core::cell::Cell;

use super::window::{OrderedBuffer, Window};
use super::Tagged;
use crate::graph::Cx;
use crate::outbox::Outbox;
use crate::sender::{EndMode, Sender};

/// The windows a root takes credits in: one per ordered stage its numbering reaches (module
/// docs, "Credits"). One window is an `&OrderedBuffer`; a pair `(outer, inner)`
/// of sets is a set. `pipeline!` nests the pairs as a balanced tree, so that a chain of
/// hundreds of ordered stages is a type a few levels deep (nested [`CreditSender`]s, one per stage,
/// made rustc's trait solver recurse once per stage and overflow at about 125).
///
/// A set takes credits innermost first: in `(outer, inner)`, `inner`'s before `outer`'s, each
/// for at most what the one before it got; whoever got more than the next one matched gives
/// the surplus back at once (`return_unused`, which leaves `wanted` alone). A pair behaves
/// exactly as `CreditSender::new(outer, CreditSender::new(inner, …))` did.
pub trait CreditWindows {
    /// Some window has several sources: items carry the index of theirs.
    const PER_SOURCE: bool;
    /// Whether every window of the set has a window for source `src`.
    fn has_source(&self, src: u16) -> bool;
    /// Takes up to `max` credits in source `src`'s window of every window of the set; returns
    /// how many it now holds in each.
    fn take(&self, src: u16, max: usize) -> usize;
    /// Gives back `n` credits taken and not used, in each window of the set.
    fn return_unused(&self, src: u16, n: usize);
}

impl<T, const W: usize, const P: usize, const N: usize> CreditWindows
    for &OrderedBuffer<T, W, P, N>
{
    const PER_SOURCE: bool = N > 1;
    #[inline]
    fn has_source(&self, src: u16) -> bool {
        usize::from(src) < N
    }
    #[inline]
    fn take(&self, src: u16, max: usize) -> usize {
        window(self, src).take_credits(max)
    }
    #[inline]
    fn return_unused(&self, src: u16, n: usize) {
        window(self, src).return_unused(n);
    }
}

impl<A: CreditWindows, B: CreditWindows> CreditWindows for (A, B) {
    const PER_SOURCE: bool = A::PER_SOURCE || B::PER_SOURCE;
    #[inline]
    fn has_source(&self, src: u16) -> bool {
        self.0.has_source(src) && self.1.has_source(src)
    }
    #[inline]
    fn take(&self, src: u16, max: usize) -> usize {
        let inner = self.1.take(src, max);
        if inner == 0 {
            return 0;
        }
        let outer = self.0.take(src, inner);
        if outer < inner {
            self.1.return_unused(src, inner - outer);
        }
        outer
    }
    #[inline]
    fn return_unused(&self, src: u16, n: usize) {
        self.0.return_unused(src, n);
        self.1.return_unused(src, n);
    }
}

fn window<T, const W: usize, const P: usize, const N: usize>(
    buffer: &OrderedBuffer<T, W, P, N>,
    src: u16,
) -> &Window<T, W, P> {
    &buffer.windows[usize::from(src)]
}

/// A source's sender when ordered stages are downstream: one credit per item in the source's
/// window of each of them (a [`CreditWindows`] set), on top of the inner sender's room (taken
/// first: module docs, "Waking the source"); stamps the source's index on its items. Or, for
/// an ordered flat-map filling streams per source ([`per_source`](Self::per_source)), a credit
/// in the window of the source of the input it expands.
#[derive(Debug)]
pub struct CreditSender<C, S> {
    windows: C,
    src: Cell<u16>,
    /// The window follows [`Sender::set_origin`]; items keep their `src`.
    by_origin: bool,
    inner: S,
}

impl<C: CreditWindows, S> CreditSender<C, S> {
    /// `inner`, limited by the credits of `windows`, for a pipeline's only source.
    pub fn new(windows: C, inner: S) -> Self {
        Self::for_source(windows, 0, inner)
    }

    /// `inner`, limited by the credits of source number `src`'s window in each of `windows`.
    pub fn for_source(windows: C, src: u16, inner: S) -> Self {
        assert!(
            windows.has_source(src),
            "para: source {src} has no ordered window"
        );
        CreditSender {
            windows,
            src: Cell::new(src),
            by_origin: false,
            inner,
        }
    }

    /// `inner`, limited by the credits of the window of the source its producer, an ordered
    /// flat-map filling streams per source, last named with [`Sender::set_origin`] (module
    /// docs, "Streams"). Its items keep their `src`.
    pub fn per_source(windows: C, inner: S) -> Self {
        CreditSender {
            windows,
            src: Cell::new(0),
            by_origin: true,
            inner,
        }
    }
}

impl<C, V, S> Sender<Tagged<V>> for CreditSender<C, S>
where
    C: CreditWindows,
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
        let credits = self.windows.take(self.src.get(), room);
        if credits < room {
            // The queues' own `unreserve` wakes the producers waiting for this room; with no
            // credit, the ordered stage wakes the source when it returns credits.
            self.inner.unreserve(room - credits, cx);
        }
        credits
    }

    /// Room a source step reserved and did not fill, which happens only at its end (it ran out
    /// of items): see `Window::return_unused`.
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.windows.return_unused(self.src.get(), n);
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, mut value: Tagged<V>) {
        if C::PER_SOURCE && !self.by_origin {
            // With one source its items carry index 0 already; after an ordered flat-map,
            // `src` is the source of the input they came from, which a stream needs.
            value.src = self.src.get();
        }
        self.inner.push(value);
    }
    #[inline]
    fn push_all<const K: usize>(&self, outbox: &mut Outbox<Tagged<V>, K>) {
        if !C::PER_SOURCE || self.by_origin {
            // One source: its items already carry index 0.
            self.inner.push_all(outbox);
        } else {
            let mut stamped = Outbox::<Tagged<V>, K>::new();
            for mut value in outbox.drain() {
                value.src = self.src.get();
                let _ = stamped.push(value); // cannot fail: as many as `outbox` held
            }
            self.inner.push_all(&mut stamped);
        }
    }
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
    #[inline]
    fn set_origin(&self, src: u16) {
        if self.by_origin {
            debug_assert!(
                self.windows.has_source(src),
                "para: source {src} has no stream window"
            );
            self.src.set(src);
        }
        self.inner.set_origin(src);
    }
}

/// The sender of an ordered flat-map whose outputs go on to other ordered stages: it numbers
/// them in the order it emits them (a new `seq` each), and `inner`, the [`CreditSender`]s of those
/// stages' windows around the edges, takes a credit in each for every output, as for a
/// source. Module docs, "Credits". With `ENDS`, the outputs feed a stream
/// (module docs, "Streams"): each input's outputs end with an end
/// marker, numbered like an output, and every tag keeps the source of its input.
#[derive(Debug)]
pub struct RenumberSender<
    'b,
    T,
    S,
    const W: usize,
    const P: usize,
    const ENDS: bool = false,
    const N: usize = 1,
> {
    /// Its windows: one, or one per source when it fills streams per source (then each
    /// numbers the outputs of its source's inputs).
    counter: &'b OrderedBuffer<T, W, P, N>,
    inner: S,
    origin: Cell<u16>,
    lane: u8,
    /// What its end markers end ([`Sender::end_mode`]).
    mode: EndMode,
}

impl<'b, T, S, const W: usize, const P: usize> RenumberSender<'b, T, S, W, P> {
    /// `inner`, the credited edges of an ordered stage, numbering its outputs with the counter
    /// kept in `counter`, the window of one of the ordered stages it feeds. Only that stage's
    /// step pushes through it, while it holds the stage's claim (as `pipeline!` wires it): that
    /// claim is what orders the numbering, like the credits order the window's cells (module
    /// docs).
    pub fn new(counter: &'b OrderedBuffer<T, W, P, 1>, inner: S) -> Self {
        RenumberSender {
            counter,
            inner,
            origin: Cell::new(0),
            lane: 0,
            mode: EndMode::PerInput,
        }
    }
}

impl<'b, T, S, const W: usize, const P: usize, const ENDS: bool, const N: usize>
    RenumberSender<'b, T, S, W, P, ENDS, N>
{
    /// The next `seq` (of the origin's window, with one per source).
    fn next_seq(&self) -> u64 {
        let window = if N == 1 {
            0
        } else {
            usize::from(self.origin.get())
        };
        // SAFETY: only the step of the producing stage pushes, under its claim (`new`), so this
        // is the only access to the counter, and the claim's Acquire/Release orders the steps.
        let next = unsafe { &mut *self.counter.windows[window].produced.get() };
        let seq = *next;
        *next += 1;
        seq
    }
}

impl<'b, T, S, const W: usize, const P: usize, const N: usize>
    RenumberSender<'b, T, S, W, P, true, N>
{
    /// As [`new`](RenumberSender::new), for an ordered flat-map that fills a stream: each input's
    /// outputs end with an end marker. With `N` windows in `counter` (one per source), it
    /// fills the streams per source: each window numbers the outputs of its source's inputs
    /// (module docs, "Streams").
    pub fn with_ends(counter: &'b OrderedBuffer<T, W, P, N>, inner: S) -> Self {
        RenumberSender {
            counter,
            inner,
            origin: Cell::new(0),
            lane: 0,
            mode: EndMode::PerInput,
        }
    }

    /// Passes on the end markers its stage reads (one per input of the flat-map before it)
    /// instead of ending each of its own inputs' outputs: a flat-map after another in a stream
    /// branch (module docs, "Streams").
    pub fn forwarding_ends(self) -> Self {
        RenumberSender {
            mode: EndMode::Forward,
            ..self
        }
    }

    /// Ends the outputs of each step of its stage's window rather than of each input: a stage
    /// that reads streams itself, whose stream steps hold several inputs (module docs, "Streams
    /// filled by a stage that reads streams").
    pub fn ending_steps(self) -> Self {
        RenumberSender {
            mode: EndMode::PerStep,
            ..self
        }
    }

    /// Marks its outputs (and end markers) with `lane`, for the nodes where they meet items
    /// of another numbering before the ordered stage reads them as a stream (module docs,
    /// "Lanes").
    pub fn in_lane(self, lane: u8) -> Self {
        RenumberSender { lane, ..self }
    }
}

impl<T, V, S, const W: usize, const P: usize, const ENDS: bool, const N: usize> Sender<V>
    for RenumberSender<'_, T, S, W, P, ENDS, N>
where
    S: Sender<Tagged<V>>,
{
    const COPIES: usize = S::COPIES;
    const MARKS_ENDS: bool = ENDS;
    #[inline]
    fn reserve(&self, max: usize, cx: &mut Cx<'_>) -> usize {
        self.inner.reserve(max, cx)
    }
    /// Credits not used by a step: no other step of this (serial) stage can be waiting for
    /// them, so they go back without a wake-up (`Window::return_unused`).
    #[inline]
    fn unreserve(&self, n: usize, cx: &mut Cx<'_>) {
        self.inner.unreserve(n, cx);
    }
    #[inline]
    fn push(&self, value: V) {
        let mut item = Tagged::new(self.next_seq(), value);
        item.src = self.origin.get();
        item.lane = self.lane;
        self.inner.push(item);
    }
    #[inline]
    fn notify(&self, cx: &mut Cx<'_>) {
        self.inner.notify(cx);
    }
    fn push_end(&self) {
        self.inner.push(Tagged::end_marker(
            self.next_seq(),
            self.origin.get(),
            self.lane,
        ));
    }
    #[inline]
    fn set_origin(&self, src: u16) {
        self.origin.set(src);
        self.inner.set_origin(src);
    }
    #[inline]
    fn end_mode(&self) -> EndMode {
        self.mode
    }
}
