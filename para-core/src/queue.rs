//! The bounded input queue of a node.
//!
//! A multi-producer multi-consumer ring of `N` slots, after Dmitry Vyukov's bounded MPMC queue
//! (<https://www.1024cores.net/home/lock-free-algorithms/queues/bounded-mpmc-queue>), plus a
//! *reservation* counter that makes a full queue a scheduling fact instead of a wait:
//!
//! * A producer first [`reserve`](Queue::reserve)s slots (a counter, no item yet), computes its
//!   outputs, then [`push_reserved`](Queue::push_reserved)es them. A worker therefore never holds
//!   an item it has nowhere to put: if nothing can be reserved it does other work.
//! * A consumer [`pop`](Queue::pop)s items and, at the end of its batch,
//!   [`release`](Queue::release)s the slots it emptied back to the reservation counter.
//!
//! Written by hand because no crate offers this: heapless's `mpmc::Queue` is deprecated, caps
//! capacity at 128 and has no reservations; crossbeam's `ArrayQueue` needs `alloc`.
//!
//! # Slot protocol
//!
//! Positions count up forever (wrapping); position `p` lives in slot `p % N`. Each slot has a
//! sequence word, in steps of two so that a capacity of 1 is not ambiguous:
//!
//! ```text
//!   seq == 2p       slot is empty, ready for the push at position p
//!   seq == 2p + 1   slot holds the item pushed at position p, ready for the pop at p
//!   after the pop:  seq = 2(p + N), empty for the push one lap later
//! ```
//!
//! A pusher claims position `tail` with a CAS, writes the value, then publishes `2p + 1` with a
//! Release store; a popper that reads `2p + 1` with Acquire therefore sees the value. The same
//! pairing hands an emptied slot back to the next lap's pusher.
//!
//! # Reservations
//!
//! `free` counts slots that are neither filled, reserved, nor held by a popper that has not yet
//! called `release`. Since a popper marks its slot empty *before* it releases it, a producer
//! holding a reservation always finds its slot empty or about to be: `push_reserved` can only
//! wait for another thread's few instructions between its CAS and its slot store, never for user
//! code. `pop` can briefly see an empty queue while a pusher is between those two steps; nobody
//! decides to sleep or to stop from a failed pop (termination counts items, see `graph.rs`).
//!
//! # Blocked producers
//!
//! A producer that reserves nothing sets `wanted` and retries once; every `release` checks
//! `wanted` after returning slots (a store-buffer / Dekker pattern). Both sides touch `free`
//! with a read-modify-write: the release adds to it, and the retry reads it with `fetch_add(0)`
//! rather than a load. Of two RMWs on one location, one reads what the other wrote: either the
//! retry reads the release's write and sees the freed slots, or the release reads the retry's
//! write, so it synchronises with it and its check sees `wanted`, and tells the caller to wake
//! the node's producers. This needs acquire/release and RMW atomicity only, not the SeqCst
//! total order — which loom (it treats SeqCst accesses as AcqRel) and ThreadSanitizer can check;
//! the extra RMW costs nothing on the fast path, since the retry runs only when the queue is
//! full.
//!
//! # Batches
//!
//! [`pop_many`](Queue::pop_many) and [`push_many`](Queue::push_many) move up to a batch of
//! items with one CAS on `head` (resp. `tail`): the claimer first checks the sequence words of
//! the whole run of positions (each published, resp. empty), then moves the index past all of
//! them. Positions at or after `head` are never popped before `head` passes them, so a CAS from
//! the `head` the check started at proves that no other popper took any of them; likewise for
//! pushers and `tail`. A batch popper moves its items out and marks their slots empty at once,
//! before any user code runs, so a reserved pusher still waits for nobody's user code.
//!
//! The slots' cells come from `crate::sync`, so that under loom every access to a slot's value is
//! checked against the slot protocol.

use core::fmt;
use core::mem::MaybeUninit;

use crate::drop_all::drop_all;
use crate::outbox::Outbox;
use crate::pad::CachePadded;
use crate::sync::{spin_hint, AtomicBool, AtomicUsize, Ordering, UnsafeCell};

/// The default capacity of a node's input queue.
pub const DEFAULT_CAPACITY: usize = 64;

struct Slot<T> {
    seq: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded MPMC queue of `N` items with producer-side reservations. See the module docs.
pub struct Queue<T, const N: usize> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    free: CachePadded<AtomicUsize>,
    wanted: AtomicBool,
    slots: [Slot<T>; N],
}

// SAFETY: the queue moves `T`s between threads (so `T: Send`) and never hands out shared
// references to them, so `T: Sync` is not needed. Slot access is arbitrated by the sequence
// protocol in the module docs: a slot's value is written only by the pusher that won its
// position's CAS and read only by the popper that won the matching CAS.
unsafe impl<T: Send, const N: usize> Sync for Queue<T, N> {}
// SAFETY: owning the queue owns its items; sending it sends them.
unsafe impl<T: Send, const N: usize> Send for Queue<T, N> {}

impl<T, const N: usize> Queue<T, N> {
    const CAPACITY_OK: () = assert!(N >= 1, "a para queue needs a capacity of at least 1");

    /// An empty queue; `const`, so that a [`Feed`](crate::Feed) can live in a `static`.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_OK;
        let mut slots = [const {
            Slot {
                seq: AtomicUsize::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }; N];
        let mut i = 0;
        while i < N {
            slots[i].seq = AtomicUsize::new(i.wrapping_mul(2));
            i += 1;
        }
        Queue {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            free: CachePadded(AtomicUsize::new(N)),
            wanted: AtomicBool::new(false),
            slots,
        }
    }

    /// An empty queue (loom's atomics have no `const` constructor).
    #[cfg(loom)]
    pub fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_OK;
        Queue {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            free: CachePadded(AtomicUsize::new(N)),
            wanted: AtomicBool::new(false),
            slots: core::array::from_fn(|i| Slot {
                seq: AtomicUsize::new(i.wrapping_mul(2)),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }),
        }
    }

    /// Builds an empty queue in `place`, where it will stay, without building it on the stack
    /// first: para-std puts a run's queues on the heap this way, so that no capacity and no
    /// item size can overflow a stack. The slots' item cells are left uninitialised, as `new`
    /// leaves them; only their sequence words are written.
    pub fn init(place: &mut MaybeUninit<Self>) -> &mut Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_OK;
        let queue = place.as_mut_ptr();
        // Every field that needs a value gets one below, through raw pointers (no reference to
        // an uninitialised field is made): the counters, and each slot's sequence word. A
        // slot's item cell is an `UnsafeCell<MaybeUninit<T>>`, valid uninitialised (except
        // loom's cell, which is written too).
        // SAFETY: `queue` comes from a `&mut MaybeUninit<Self>`: valid for writes and aligned;
        // the writes below initialise the whole value before `assume_init_mut`.
        unsafe {
            core::ptr::addr_of_mut!((*queue).head).write(CachePadded(AtomicUsize::new(0)));
            core::ptr::addr_of_mut!((*queue).tail).write(CachePadded(AtomicUsize::new(0)));
            core::ptr::addr_of_mut!((*queue).free).write(CachePadded(AtomicUsize::new(N)));
            core::ptr::addr_of_mut!((*queue).wanted).write(AtomicBool::new(false));
            let slots = core::ptr::addr_of_mut!((*queue).slots).cast::<Slot<T>>();
            for i in 0..N {
                let slot = slots.add(i);
                core::ptr::addr_of_mut!((*slot).seq).write(AtomicUsize::new(i.wrapping_mul(2)));
                #[cfg(loom)]
                core::ptr::addr_of_mut!((*slot).value)
                    .write(UnsafeCell::new(MaybeUninit::uninit()));
            }
            place.assume_init_mut()
        }
    }

    /// The capacity `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    #[inline]
    fn slot(&self, pos: usize) -> &Slot<T> {
        // Constant-folded: a mask for powers of two, a division otherwise.
        let index = if N.is_power_of_two() {
            pos & (N - 1)
        } else {
            pos % N
        };
        &self.slots[index]
    }

    /// Reserves up to `max` slots for later pushes and returns how many it got (0 when full).
    ///
    /// On 0 the queue remembers that a producer is waiting; the next [`release`](Self::release)
    /// or [`unreserve`](Self::unreserve) then returns `true` so the caller wakes the producers.
    pub fn reserve(&self, max: usize) -> usize {
        let got = self.try_reserve(max, self.free.load(Ordering::Relaxed));
        if got > 0 || max == 0 {
            return got;
        }
        self.wanted.swap(true, Ordering::SeqCst);
        // An RMW, not a load: it reads the latest `free`, or a `release` reads it (module docs).
        self.try_reserve(max, self.free.fetch_add(0, Ordering::SeqCst))
    }

    /// Takes up to `max` of the `free` slots, starting from the value `free` was just read at.
    fn try_reserve(&self, max: usize, mut free: usize) -> usize {
        loop {
            if free == 0 {
                return 0;
            }
            let take = free.min(max);
            match self.free.compare_exchange_weak(
                free,
                free - take,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(now) => free = now,
            }
        }
    }

    /// Gives back `n` reservations that were not used. Returns `true` when a blocked producer
    /// must be woken (see [`reserve`](Self::reserve)).
    #[must_use]
    pub fn unreserve(&self, n: usize) -> bool {
        self.release(n)
    }

    /// Returns `n` slots emptied by [`pop`](Self::pop) to the reservation counter. Returns
    /// `true` when a blocked producer must be woken (see [`reserve`](Self::reserve)).
    #[must_use]
    pub fn release(&self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        self.free.fetch_add(n, Ordering::SeqCst);
        self.wanted.load(Ordering::SeqCst) && self.wanted.swap(false, Ordering::SeqCst)
    }

    /// Pushes an item into a slot reserved earlier with [`reserve`](Self::reserve).
    ///
    /// Pushing more items than were reserved breaks the capacity bound; it is caught by a debug
    /// assertion and otherwise makes this call wait for a consumer.
    pub fn push_reserved(&self, value: T) {
        let mut pos = self.tail.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(pos);
            let seq = slot.seq.load(Ordering::Acquire);
            let lag = seq.wrapping_sub(pos.wrapping_mul(2)) as isize;
            if lag == 0 {
                match self.tail.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        slot.value.with_mut(|cell| {
                            // SAFETY: winning the CAS for `pos` while `seq == 2 * pos` makes
                            // this thread the only one allowed to touch the slot until it
                            // publishes `2 * pos + 1` below (slot protocol in the module docs).
                            unsafe { (*cell).write(value) };
                        });
                        slot.seq
                            .store(pos.wrapping_mul(2).wrapping_add(1), Ordering::Release);
                        return;
                    }
                    Err(now) => pos = now,
                }
            } else if lag < 0 {
                // The previous lap's popper has claimed this slot but not yet marked it empty:
                // a few instructions of its time, never user code (module docs).
                spin_hint();
                pos = self.tail.load(Ordering::Relaxed);
            } else {
                pos = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Pushes every item of `outbox`, in order, into slots reserved earlier with
    /// [`reserve`](Self::reserve), claiming all their positions with one CAS (module docs).
    ///
    /// Pushing more items than were reserved breaks the capacity bound; it is caught by a debug
    /// assertion and otherwise makes this call wait for a consumer.
    pub fn push_many<const B: usize>(&self, outbox: &mut Outbox<T, B>) {
        let count = outbox.len();
        if count <= 1 {
            outbox.drain().for_each(|item| self.push_reserved(item));
            return;
        }
        debug_assert!(count <= N, "pushing {count} items into a queue of {N}");
        let mut pos = self.tail.load(Ordering::Relaxed);
        'claim: loop {
            for i in 0..count {
                let p = pos.wrapping_add(i);
                let seq = self.slot(p).seq.load(Ordering::Acquire);
                let lag = seq.wrapping_sub(p.wrapping_mul(2)) as isize;
                if lag != 0 {
                    if lag < 0 {
                        // The previous lap's popper is between its CAS and its store.
                        spin_hint();
                    }
                    pos = self.tail.load(Ordering::Relaxed);
                    continue 'claim;
                }
            }
            match self.tail.compare_exchange_weak(
                pos,
                pos.wrapping_add(count),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => pos = now,
            }
        }
        for (i, value) in outbox.drain().enumerate() {
            let p = pos.wrapping_add(i);
            let slot = self.slot(p);
            slot.value.with_mut(|cell| {
                // SAFETY: every position in `pos..pos + count` had `seq == 2p` when this thread
                // won the CAS that moved `tail` past them all, so it alone may write these slots
                // until it publishes them (module docs, "Batches").
                unsafe { (*cell).write(value) };
            });
            slot.seq
                .store(p.wrapping_mul(2).wrapping_add(1), Ordering::Release);
        }
    }

    /// Moves up to `max` of the oldest items (no more than `inbox` has room for) into `inbox`,
    /// claiming them with one CAS (module docs). Returns how many it took: 0 when the queue is
    /// (or momentarily looks) empty.
    ///
    /// Their slots stay counted as used until the caller [`release`](Self::release)s them.
    pub fn pop_many<const B: usize>(&self, inbox: &mut Outbox<T, B>, max: usize) -> usize {
        let max = max.min(inbox.room());
        if max == 0 {
            return 0;
        }
        let mut pos = self.head.load(Ordering::Relaxed);
        let count = loop {
            let mut count = 0;
            while count < max {
                let p = pos.wrapping_add(count);
                let seq = self.slot(p).seq.load(Ordering::Acquire);
                if seq != p.wrapping_mul(2).wrapping_add(1) {
                    break;
                }
                count += 1;
            }
            if count == 0 {
                let seq = self.slot(pos).seq.load(Ordering::Acquire);
                if (seq.wrapping_sub(pos.wrapping_mul(2).wrapping_add(1)) as isize) < 0 {
                    return 0; // not yet published: empty
                }
                pos = self.head.load(Ordering::Relaxed); // another popper took it
                continue;
            }
            match self.head.compare_exchange_weak(
                pos,
                pos.wrapping_add(count),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break count,
                Err(now) => pos = now,
            }
        };
        for i in 0..count {
            let p = pos.wrapping_add(i);
            let slot = self.slot(p);
            let value = slot.value.with(|cell| {
                // SAFETY: `seq == 2p + 1` was read with Acquire for every `p` in the claimed
                // run, so the pushers' writes are visible, and winning the CAS that moved `head`
                // past them all makes this thread their only reader (module docs, "Batches").
                unsafe { (*cell).assume_init_read() }
            });
            slot.seq
                .store(p.wrapping_add(N).wrapping_mul(2), Ordering::Release);
            // Cannot fail: `count <= inbox.room()`.
            let _ = inbox.push(value);
        }
        count
    }

    /// Takes the oldest item, or `None` when the queue is (or momentarily looks) empty.
    ///
    /// The slot stays counted as used until the caller [`release`](Self::release)s it.
    pub fn pop(&self) -> Option<T> {
        let mut pos = self.head.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(pos);
            let seq = slot.seq.load(Ordering::Acquire);
            let lag = seq.wrapping_sub(pos.wrapping_mul(2).wrapping_add(1)) as isize;
            if lag == 0 {
                match self.head.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let value = slot.value.with(|cell| {
                            // SAFETY: `seq == 2 * pos + 1` (Acquire): the pusher of `pos` wrote
                            // the value; winning the CAS makes us its only reader (module docs).
                            unsafe { (*cell).assume_init_read() }
                        });
                        slot.seq
                            .store(pos.wrapping_add(N).wrapping_mul(2), Ordering::Release);
                        return Some(value);
                    }
                    Err(now) => pos = now,
                }
            } else if lag < 0 {
                return None;
            } else {
                pos = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Whether the queue looks empty. A hint: a push may be completing concurrently.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of claimed push positions not yet popped. A hint under concurrency.
    #[inline]
    pub fn len(&self) -> usize {
        let tail = self.tail.load(Ordering::Acquire);
        let head = self.head.load(Ordering::Acquire);
        (tail.wrapping_sub(head) as isize).max(0) as usize
    }
}

impl<T, const N: usize> Default for Queue<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Drop for Queue<T, N> {
    fn drop(&mut self) {
        // `&mut self`: no other thread can be inside. Drop every published, unpopped item
        // exactly once. Reserved-but-unwritten positions (a run that stopped mid-batch) are
        // never claimed, so they hold nothing.
        // A panicking `Drop` does not stop the loop (`drop_all`).
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed);
        let positions = core::iter::successors(Some(head), |&pos| Some(pos.wrapping_add(1)))
            .take_while(|&pos| pos != tail);
        drop_all(positions, |pos| {
            let published = pos.wrapping_mul(2).wrapping_add(1);
            let slot = self.slot(pos);
            if slot.seq.load(Ordering::Relaxed) == published {
                slot.value.with_mut(|cell| {
                    // SAFETY: `seq == 2 * pos + 1` means the slot holds the initialised item
                    // pushed at `pos`, never popped (pos >= head); we own the queue exclusively.
                    // Each position is visited once, also when an earlier drop panicked.
                    unsafe { (*cell).assume_init_drop() };
                });
            }
        });
    }
}

impl<T, const N: usize> fmt::Debug for Queue<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &N)
            .field("len", &self.len())
            .field("free", &self.free.load(Ordering::Relaxed))
            .finish()
    }
}
