//! An ordered stage's input: per source, a window of `W` sequence numbers with `P` parts each,
//! its credits and the stage's cursor. See the module docs of `ordered` ("Memory", "Progress",
//! "Waking the source").

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;

use super::Tagged;
use crate::sync::{AtomicBool, AtomicUsize, Ordering};

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
pub(super) struct Window<T, const W: usize, const P: usize> {
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
        slot.arrived.fetch_or(1 << part, Ordering::Release);
    }

    /// Consumes, in order, the parts of the next complete `seq`s through `process`, while it
    /// returns [`Consumed::More`]: each as a [`Tagged`] value (`src` is this window's source),
    /// the parts of a `seq` in the window's `order`. Returns how many `seq`s were completed and
    /// why it stopped; the cursor is left at the first part not consumed.
    ///
    /// # Safety
    /// The caller holds the ordered stage's claim (the only consumer, and the cursor's owner).
    pub(super) unsafe fn consume(
        &self,
        src: u16,
        mut process: impl FnMut(Tagged<T>) -> Consumed,
    ) -> (usize, Halt) {
        // SAFETY: the cursor is only touched under the ordered stage's claim (caller's contract).
        let cursor = unsafe { &mut *self.cursor.get() };
        let mut seqs_done = 0;
        loop {
            let (seq, first) = *cursor;
            let slot = self.slot(seq);
            if slot.arrived.load(Ordering::Acquire) != Self::COMPLETE {
                return (seqs_done, Halt::Waiting);
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
                    Consumed::Full if k + 1 < P => return (seqs_done, Halt::Full),
                    Consumed::Full => {
                        slot.arrived.store(0, Ordering::Relaxed);
                        *cursor = (seq + 1, 0);
                        return (seqs_done + 1, Halt::Full);
                    }
                    Consumed::Stop => return (seqs_done, Halt::Stop),
                }
            }
            slot.arrived.store(0, Ordering::Relaxed);
            *cursor = (seq + 1, 0);
            seqs_done += 1;
        }
    }

    /// Whether the cursor is in the middle of a `seq`. Caller holds the claim, as for
    /// [`consume`](Self::consume).
    pub(super) unsafe fn mid_slot(&self) -> bool {
        // SAFETY: under the claim (caller's contract).
        unsafe { (*self.cursor.get()).1 > 0 }
    }
}

/// What the ordered stage's step says after one part, to [`Window::consume`].
pub(super) enum Consumed {
    /// Go on with the next part.
    More,
    /// This part is consumed; stop here (the room downstream is used up).
    Full,
    /// This part is consumed and the run stops.
    Stop,
}

/// Why [`Window::consume`] returned.
pub(super) enum Halt {
    /// The next part has not arrived.
    Waiting,
    /// The room downstream is used up.
    Full,
    /// The run stops.
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
    pub(super) windows: [Window<T, W, P>; S],
    /// The window the next step starts with, so that no source is starved. Touched only under
    /// the ordered stage's claim.
    pub(super) turn: UnsafeCell<usize>,
    /// When the producer is an upstream ordered stage ([`Renumber`]): the `seq` of its next
    /// output. Touched only under that stage's claim.
    pub(super) produced: UnsafeCell<u64>,
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

    pub(super) fn put(&self, item: Tagged<T>) {
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
