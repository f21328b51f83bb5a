//! An ordered stage's input: per source, a window of `W` sequence numbers with `P` parts each,
//! its credits and the stage's cursor. See the module docs of `ordered` ("Windows", "Progress",
//! "Waking the source").

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;

use super::control::{Control, Entry};
use super::Tagged;
use crate::drop_all::drop_all;
use crate::graph::NodeId;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

/// One `seq`'s slot: the `P` parts, and which have arrived (bit `i` for part `i`).
struct Slot<T, const P: usize> {
    parts: [UnsafeCell<MaybeUninit<Option<T>>>; P],
    arrived: AtomicUsize,
    /// The tag of the `seq` besides its part: its lane (bits 17..25), the source of its input
    /// (bits 1..17: in a stream's window, or after an ordered flat-map) and whether it is that
    /// input's end marker (bit 0). Every part stores the same value (Relaxed, before its
    /// Release `fetch_or`), read after `arrived` is complete.
    meta: AtomicUsize,
}

/// In a window's steps: stream `j` is `STREAM | j` (module docs, "Streams"); anything below is a
/// part.
pub(crate) const STREAM: u8 = 0x80;

/// `0..MAX_PARTS`: the steps of a window consumed in part order.
const IDENTITY: [u8; MAX_PARTS] = {
    let mut parts = [0; MAX_PARTS];
    let mut i = 0;
    while i < MAX_PARTS {
        parts[i] = i as u8;
        i += 1;
    }
    parts
};

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
pub(super) struct Window<T, const W: usize, const P: usize> {
    slots: [Slot<T, P>; W],
    /// Credits: `seq`s the source may still emit (`W` minus those in flight).
    free: AtomicUsize,
    /// The source found no credit; the next release wakes it.
    wanted: AtomicBool,
    /// What the stage consumes of each `seq`, in order: part numbers, each of `0..P` once, and
    /// streams ([`STREAM`]` | j`) (module docs, "Numbering").
    steps: &'static [u8],
    /// The ordered stage's progress: the next `seq`, and how many of its `steps` are done.
    /// Touched only by the worker holding the ordered stage's claim (the claim's
    /// Acquire/Release orders it).
    cursor: UnsafeCell<(u64, usize)>,
    /// When the producer is an upstream ordered stage ([`RenumberSender`](super::RenumberSender)):
    /// the `seq` of its next output into this window. Touched only under that stage's claim.
    pub(super) produced: UnsafeCell<u64>,
}

impl<T, const W: usize, const P: usize> Window<T, W, P> {
    const COMPLETE: usize = if P == usize::BITS as usize {
        usize::MAX
    } else {
        (1 << P) - 1
    };

    fn new(steps: &'static [u8]) -> Self {
        Window {
            slots: core::array::from_fn(|_| Slot {
                parts: core::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
                arrived: AtomicUsize::new(0),
                meta: AtomicUsize::new(0),
            }),
            free: AtomicUsize::new(W),
            wanted: AtomicBool::new(false),
            steps,
            cursor: UnsafeCell::new((0, 0)),
            produced: UnsafeCell::new(0),
        }
    }

    /// Writes an empty window at `window`, like `new`, without building it on the stack.
    ///
    /// # Safety
    /// `window` is valid for writes and aligned.
    unsafe fn init_at(window: *mut Self, steps: &'static [u8]) {
        // SAFETY: the caller's contract; writes through raw pointers only. Every field that
        // needs a value gets one: the counters, the cursors, and each slot's `arrived` and
        // `meta`. The part cells are `UnsafeCell<MaybeUninit<_>>`, valid uninitialised.
        unsafe {
            let slots = core::ptr::addr_of_mut!((*window).slots).cast::<Slot<T, P>>();
            for i in 0..W {
                let slot = slots.add(i);
                core::ptr::addr_of_mut!((*slot).arrived).write(AtomicUsize::new(0));
                core::ptr::addr_of_mut!((*slot).meta).write(AtomicUsize::new(0));
            }
            core::ptr::addr_of_mut!((*window).free).write(AtomicUsize::new(W));
            core::ptr::addr_of_mut!((*window).wanted).write(AtomicBool::new(false));
            core::ptr::addr_of_mut!((*window).steps).write(steps);
            core::ptr::addr_of_mut!((*window).cursor).write(UnsafeCell::new((0, 0)));
            core::ptr::addr_of_mut!((*window).produced).write(UnsafeCell::new(0));
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
    pub(super) fn take_credits(&self, max: usize) -> usize {
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
    pub(super) fn give_credits(&self, n: usize) -> bool {
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
    pub(super) fn return_unused(&self, n: usize) {
        if n > 0 {
            self.free.fetch_add(n, Ordering::Release);
        }
    }

    /// Stores one part. Its `seq` holds a credit, so its cell is free.
    pub(super) fn put(&self, item: Tagged<T>) {
        let slot = self.slot(item.seq);
        let part = item.part as usize;
        debug_assert!(part < P, "part {part} out of range {P}");
        // SAFETY: (seq, part) is unique among the parts alive (module docs), so this producer
        // is the only writer of the cell, and the consumer reads it only after every bit of
        // `arrived` is set, which happens after the Release `fetch_or` below.
        unsafe { (*slot.parts[part].get()).write(item.value) };
        let meta =
            usize::from(item.lane) << 17 | usize::from(item.src) << 1 | usize::from(item.end);
        slot.meta.store(meta, Ordering::Relaxed);
        slot.arrived.fetch_or(1 << part, Ordering::Release);
    }

    /// Consumes, in order, the steps of the next complete `seq`s through `process`, while it
    /// returns [`Control::More`]: each part as a [`Tagged`] value (its `src` is the window's
    /// source, or in a window after an ordered flat-map the source of its input), each stream as
    /// its index, for the caller to consume. With `origin`, a `seq` whose input came from another
    /// source waits (a stream's window, read for that source). Returns how many `seq`s were
    /// completed and why it stopped; the cursor is left at the first step not done.
    ///
    /// # Safety
    /// The caller holds the ordered stage's claim (the only consumer, and the cursor's owner).
    pub(super) unsafe fn consume(
        &self,
        origin: Option<u16>,
        mut process: impl FnMut(Entry<T>) -> Control,
    ) -> (usize, Control) {
        // SAFETY: the cursor is only touched under the ordered stage's claim (caller's contract).
        let cursor = unsafe { &mut *self.cursor.get() };
        let mut seqs_done = 0;
        loop {
            let (seq, first) = *cursor;
            let slot = self.slot(seq);
            if slot.arrived.load(Ordering::Acquire) != Self::COMPLETE {
                return (seqs_done, Control::Waiting);
            }
            // After the Acquire above: every part's store of it came before its `fetch_or`.
            let meta = slot.meta.load(Ordering::Relaxed);
            let (lane, from, end) = ((meta >> 17) as u8, (meta >> 1) as u16, meta & 1 == 1);
            if origin.is_some_and(|origin| origin != from) {
                return (seqs_done, Control::Waiting);
            }
            let mut ending = false;
            for (k, &step) in self.steps.iter().enumerate().skip(first) {
                if step & STREAM != 0 && end {
                    // An end marker's seq: no input, so no stream outputs to read for it.
                    *cursor = (seq, k + 1);
                    continue;
                }
                if step & STREAM != 0 {
                    // The cursor moves past a stream only once it is done.
                    match process(Entry::Stream(usize::from(step & !STREAM))) {
                        Control::More | Control::Ended => {
                            *cursor = (seq, k + 1);
                            match process(Entry::StreamDone) {
                                Control::Full => return (seqs_done, Control::Full),
                                Control::Stop => return (seqs_done, Control::Stop),
                                _ => {}
                            }
                        }
                        Control::Full => return (seqs_done, Control::Full),
                        Control::Waiting => return (seqs_done, Control::Waiting),
                        Control::Stop => return (seqs_done, Control::Stop),
                    }
                    continue;
                }
                let part = usize::from(step);
                // SAFETY: the slot is complete (Acquire above pairs with every part's Release
                // `fetch_or`), and parts from the cursor on are not consumed yet; only the
                // claim holder consumes.
                let value = unsafe { (*slot.parts[part].get()).assume_init_read() };
                // Control before the stage sees it: if the stage panics, the value is dropped
                // by the unwinding, and the window's `Drop` must not drop it again.
                *cursor = (seq, k + 1);
                let item = Tagged {
                    seq,
                    part: part as u32,
                    src: from,
                    end,
                    lane,
                    value,
                };
                match process(Entry::Part(item)) {
                    Control::More | Control::Waiting => {}
                    Control::Ended => ending = true,
                    Control::Full if k + 1 < self.steps.len() => return (seqs_done, Control::Full),
                    Control::Full => {
                        slot.arrived.store(0, Ordering::Relaxed);
                        *cursor = (seq + 1, 0);
                        return (seqs_done + 1, Control::Full);
                    }
                    Control::Stop => return (seqs_done, Control::Stop),
                }
            }
            slot.arrived.store(0, Ordering::Relaxed);
            *cursor = (seq + 1, 0);
            seqs_done += 1;
            if ending {
                return (seqs_done, Control::Ended);
            }
        }
    }
}

impl<T, const W: usize, const P: usize> Drop for Window<T, W, P> {
    fn drop(&mut self) {
        // A run that stopped early leaves parts behind: drop each exactly once. In the slot at
        // the cursor, the parts among the first `done` steps were consumed already.
        // A panicking `Drop` does not stop the loop (`drop_all`).
        let (next, done) = *self.cursor.get_mut();
        let this = &*self;
        let parts = (next..next + W as u64).flat_map(|seq| {
            let first = if seq == next { done } else { 0 };
            this.steps[first..].iter().map(move |&step| (seq, step))
        });
        drop_all(parts, |(seq, step)| {
            if step & STREAM != 0 {
                return;
            }
            let slot = this.slot(seq);
            let part = usize::from(step);
            if slot.arrived.load(Ordering::Acquire) & (1 << part) != 0 {
                // SAFETY: the bit says the cell was written; of the cursor's slot, the parts
                // consumed are those before `first` in `order`, no others; `&mut self` excludes
                // every other access, and each (slot, part) is visited once.
                unsafe { (*slot.parts[part].get()).assume_init_drop() };
            }
        });
    }
}

/// The input of an ordered stage: one window of `W` sequence numbers, `P` parts each, per
/// source (`N` sources). See the module docs.
pub struct OrderedBuffer<T, const W: usize, const P: usize, const N: usize = 1> {
    pub(super) windows: [Window<T, W, P>; N],
    /// The window the next step starts with, so that no source is starved. Touched only under
    /// the ordered stage's claim.
    pub(super) turn: UnsafeCell<usize>,
    /// One producer fills every window (an ordered flat-map filling them per source), rather
    /// than source `i` window `i`.
    one_producer: bool,
}

// SAFETY: parts move between threads (`T: Send`). A part cell is written once per lap by the
// one producer that holds its (src, seq, part) — tags are unique per lap because a source
// cannot emit `seq + W` before `seq` is consumed — and read by the one consumer holding the
// ordered stage's claim after it saw every bit of `arrived` set with Acquire (the writers'
// Release `fetch_or`s).
// The cursors and `turn` are only touched under that claim, `produced` only under the claim of
// the upstream ordered stage that feeds the window.
unsafe impl<T: Send, const W: usize, const P: usize, const N: usize> Sync
    for OrderedBuffer<T, W, P, N>
{
}

impl<T, const W: usize, const P: usize, const N: usize> OrderedBuffer<T, W, P, N> {
    const SHAPE_OK: () = assert!(
        W >= 1 && P <= MAX_PARTS && N >= 1 && N <= u16::MAX as usize,
        "an ordered window needs W >= 1, P <= 32 paths to it, 1 <= N <= 65535 sources"
    );

    /// Empty windows, whose stage consumes the parts of a `seq` in part order.
    pub fn new() -> Self {
        Self::with_order(&IDENTITY[..P])
    }

    /// Empty windows, whose stage consumes the parts of a `seq` in the order of `steps`: part
    /// numbers, each of `0..P` once, and streams (`0x80 | j`, stream `j`), in the order the
    /// stage sees them (module docs, "Numbering").
    ///
    /// # Panics
    /// If `steps` does not list each part once.
    pub fn with_order(steps: &'static [u8]) -> Self {
        Self::check_steps(steps);
        OrderedBuffer {
            windows: core::array::from_fn(|_| Window::new(steps)),
            turn: UnsafeCell::new(0),
            one_producer: false,
        }
    }

    /// Builds empty windows in `place`, where they will stay, without building them on the
    /// stack first (see [`Queue::init`](crate::raw::Queue::init)): consumed in the order of `steps`
    /// (as [`with_order`](Self::with_order)), and filled by one producer if `one_producer` (as
    /// [`filled_by_one`](Self::filled_by_one)).
    ///
    /// # Panics
    /// If `steps` does not list each part once.
    pub fn init<'a>(
        place: &'a mut MaybeUninit<Self>,
        steps: &'static [u8],
        one_producer: bool,
    ) -> &'a mut Self {
        Self::check_steps(steps);
        let buffer = place.as_mut_ptr();
        // SAFETY: `buffer` comes from a `&mut MaybeUninit<Self>`: valid for writes and
        // aligned. Each window is written by `Window::init_at`, the other fields here, all
        // through raw pointers, so the whole value is initialised at the end.
        unsafe {
            let windows = core::ptr::addr_of_mut!((*buffer).windows).cast::<Window<T, W, P>>();
            for i in 0..N {
                Window::init_at(windows.add(i), steps);
            }
            core::ptr::addr_of_mut!((*buffer).turn).write(UnsafeCell::new(0));
            core::ptr::addr_of_mut!((*buffer).one_producer).write(one_producer);
            place.assume_init_mut()
        }
    }

    /// Checks the shape and that `steps` lists each part once.
    fn check_steps(steps: &'static [u8]) {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE_OK;
        let mut seen = 0usize;
        for &part in steps.iter().filter(|&&step| step & STREAM == 0) {
            assert!(
                usize::from(part) < P && seen & (1 << part) == 0,
                "para: an ordered window's steps must list each part once"
            );
            seen |= 1 << part;
        }
        assert_eq!(
            seen.count_ones() as usize,
            P,
            "para: an ordered window's steps must list each part"
        );
    }

    /// The same windows, all filled by one producer, an ordered flat-map that numbers its
    /// outputs per source (module docs, "Streams"): they wake that
    /// one when they give credits back.
    pub fn filled_by_one(self) -> Self {
        OrderedBuffer {
            one_producer: true,
            ..self
        }
    }

    /// The node window `w` wakes when it gives credits back, where source `0` (or the only
    /// producer) is node `first`.
    pub(super) fn producer(&self, first: NodeId, w: usize) -> NodeId {
        if self.one_producer {
            first
        } else {
            first + w as NodeId
        }
    }

    /// Stores one part in its source's window (with one window, `src` is the source of an
    /// ordered flat-map's input, kept for the stream's consumer).
    pub(super) fn put(&self, item: Tagged<T>) {
        let window = if N == 1 { 0 } else { usize::from(item.src) };
        self.windows[window].put(item);
    }
}

impl<T, const W: usize, const P: usize, const N: usize> Default for OrderedBuffer<T, W, P, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const W: usize, const P: usize, const N: usize> fmt::Debug for OrderedBuffer<T, W, P, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut free = [0; N];
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
