//! loom models of para-core's concurrency protocols: the node queue, the claim of a serial node
//! and termination by counting. Run them with `scripts/loom.sh`, or:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test -p para-core --release --test loom -- --nocapture --test-threads=1
//! ```
//!
//! Under `--cfg loom` para-core takes its atomics, and the queue's slot cells, from loom (see
//! `src/sync.rs`), so these models run the real `Queue`, `Serial` and `Graph` code. A serial
//! node's value is reached through references (`Claim: DerefMut`), which loom's cell cannot
//! track, so `Serial` keeps a plain `core::cell::UnsafeCell` that loom does not see; the serial
//! model instead keeps the node's state in a loom `UnsafeCell` that it touches only under the
//! claim, so loom checks every access to it against the claim's happens-before order.
//!
//! Each model has its own preemption bound, the largest that keeps it to seconds on 2 cores;
//! `LOOM_MAX_PREEMPTIONS` overrides them all.
//!
//! Rules every model follows:
//! * every actor is a spawned thread and the main thread only joins them, then checks the
//!   outcome (loom issue #392: a model whose spawned thread starts with an atomic load may
//!   otherwise be explored in a single execution and pass whatever the code does);
//! * each prints its execution count and asserts that loom explored more than one execution;
//! * each has a deliberately broken variant, run as an expected failure, so the model is known
//!   to catch the class of bug it is about.
//!
//! "Blocking" in the models (a producer waiting for room, a consumer waiting for items) is a
//! `Notify` (a loom mutex and condvar): a lost wake-up is a thread that waits forever, which loom
//! reports as a deadlock.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Condvar, Mutex};
use loom::thread;
use para_core::{
    raw::{Outbox, Queue, Serial},
    Cx, Graph, NodeId, NodeInfo, NodeKind, Scheduler,
};

mod loom_harness;
#[allow(unused_imports)] // each file uses part of the harness
use loom_harness::{check, join_all, Arc};

// ------------------------------------------------------------------------------------------
// A one-shot wake-up for the models' blocking actors

/// A wake-up that is remembered until it is consumed (a binary semaphore): what the models use
/// for "a worker is told to run a node again". `wait` returns after at least one `notify` since
/// the last `wait` returned. (loom's own `Notify` also wakes spuriously, which multiplies the
/// executions to explore without adding anything here: a spurious run of a node is harmless by
/// design, and the models would only retry.)
struct Notify {
    notified: Mutex<bool>,
    changed: Condvar,
}

impl Notify {
    fn new() -> Self {
        Notify {
            notified: Mutex::new(false),
            changed: Condvar::new(),
        }
    }

    fn notify(&self) {
        *self.notified.lock().unwrap() = true;
        self.changed.notify_one();
    }

    fn wait(&self) {
        let mut notified = self.notified.lock().unwrap();
        while !*notified {
            notified = self.changed.wait(notified).unwrap();
        }
        *notified = false;
    }
}

// ------------------------------------------------------------------------------------------
// The node queue

/// The operations of the node queue the models use, so that one harness drives both the real
/// queue and the broken copy below.
trait ModelQueue: Send + Sync + 'static {
    const CAPACITY: usize;
    fn new() -> Self;
    fn reserve(&self, max: usize) -> usize;
    fn unreserve(&self, n: usize) -> bool;
    fn push_reserved(&self, value: usize);
    fn pop(&self) -> Option<usize>;
    fn release(&self, n: usize) -> bool;
    /// One claim for all of `values` (the real queue); one push each otherwise.
    fn push_many(&self, values: &[usize]) {
        values.iter().for_each(|&value| self.push_reserved(value));
    }
    /// One claim for up to `max` items (the real queue); one pop otherwise.
    fn pop_many(&self, max: usize) -> Vec<usize> {
        self.pop().into_iter().take(max).collect()
    }
}

impl<const N: usize> ModelQueue for Queue<usize, N> {
    const CAPACITY: usize = N;
    fn new() -> Self {
        Queue::new()
    }
    fn reserve(&self, max: usize) -> usize {
        Queue::reserve(self, max)
    }
    fn unreserve(&self, n: usize) -> bool {
        Queue::unreserve(self, n)
    }
    fn push_reserved(&self, value: usize) {
        Queue::push_reserved(self, value)
    }
    fn pop(&self) -> Option<usize> {
        Queue::pop(self)
    }
    fn release(&self, n: usize) -> bool {
        Queue::release(self, n)
    }
    fn push_many(&self, values: &[usize]) {
        let mut outbox = Outbox::<usize, 2>::new();
        values.iter().for_each(|&value| outbox.push(value).unwrap());
        Queue::push_many(self, &mut outbox);
    }
    fn pop_many(&self, max: usize) -> Vec<usize> {
        let mut inbox = Outbox::<usize, 2>::new();
        Queue::pop_many(self, &mut inbox, max);
        inbox.drain().collect()
    }
}

/// Whether a queue model's actors move one item per claim or batches (`push_many`/`pop_many`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ops {
    One,
    Many,
    /// Batches, and a consumer that claimed two items hands the second back (once), pushing it
    /// into the slot it still holds, as a step does for an idle worker (`share.rs`, rule 3).
    HandBack,
}

/// How a queue model's actors misbehave, if at all.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum QueueFault {
    None,
    /// Consumers ignore `release`'s answer: a blocked producer is never told about freed room.
    IgnoreWanted,
    /// A consumer that handed an item back also releases that item's slot, as if it had
    /// consumed it: the slot is then counted free while the item fills it.
    ReleaseHandedBack,
}

/// `producers` threads push `per_producer` items each (each producer reserves for up to two
/// items at a time and gives back what it does not use); `consumers` threads pop a fixed share
/// of them each. A producer that reserves nothing waits until a consumer's `release` (or another
/// producer's `unreserve`) reports a blocked producer; a consumer that pops nothing waits for a
/// push.
///
/// Checks: every item is popped exactly once; with one producer and one consumer, in FIFO
/// order; the queue is empty at the end. Loom checks that no slot is read and written
/// concurrently (the slot cells are loom cells) and that nobody waits forever.
fn queue_model<Q: ModelQueue>(
    producers: usize,
    per_producer: usize,
    consumers: usize,
    fault: QueueFault,
    ops: Ops,
) {
    let total = producers * per_producer;
    // Consumer `c` takes `share(c)` items, together `total`.
    let share = move |c: usize| total / consumers + usize::from(c < total % consumers);
    let queue = Arc::new(Q::new());
    let room: Arc<Vec<Notify>> = Arc::new((0..producers).map(|_| Notify::new()).collect());
    let items: Arc<Vec<Notify>> = Arc::new((0..consumers).map(|_| Notify::new()).collect());
    let seen: Arc<Vec<AtomicUsize>> = Arc::new((0..total).map(|_| AtomicUsize::new(0)).collect());
    let mut handles = Vec::new();

    for p in 0..producers {
        let (queue, room, items) = (queue.clone(), room.clone(), items.clone());
        handles.push(thread::spawn(move || {
            let mut next = 0;
            while next < per_producer {
                let left = per_producer - next;
                let got = queue.reserve(2);
                if got == 0 {
                    room[p].wait(); // told by a release
                    continue;
                }
                let pushing = got.min(left);
                if ops == Ops::Many {
                    let values: Vec<usize> = (next..next + pushing)
                        .map(|i| p * per_producer + i)
                        .collect();
                    queue.push_many(&values);
                    next += pushing;
                } else {
                    for _ in 0..pushing {
                        queue.push_reserved(p * per_producer + next);
                        next += 1;
                    }
                }
                if got > pushing && queue.unreserve(got - pushing) {
                    room.iter().for_each(Notify::notify);
                }
                items.iter().for_each(Notify::notify);
            }
        }));
    }

    for c in 0..consumers {
        let (queue, room, items, seen) = (queue.clone(), room.clone(), items.clone(), seen.clone());
        handles.push(thread::spawn(move || {
            let mut last = None;
            let mut got = 0;
            let mut may_hand_back = ops == Ops::HandBack;
            while got < share(c) {
                let mut popped = match ops {
                    Ops::One => queue.pop().into_iter().collect(),
                    Ops::Many | Ops::HandBack => queue.pop_many(share(c) - got),
                };
                if popped.is_empty() {
                    items[c].wait();
                    continue;
                }
                let mut handed_back = 0;
                if may_hand_back && popped.len() == 2 {
                    may_hand_back = false;
                    let back = popped.pop().expect("two items");
                    queue.push_many(&[back]); // no reservation: the slot is still ours
                    items.iter().for_each(Notify::notify);
                    handed_back = 1;
                }
                for &item in &popped {
                    got += 1;
                    seen[item].fetch_add(1, Ordering::Relaxed);
                    if producers == 1 && consumers == 1 {
                        assert!(
                            last < Some(item),
                            "FIFO order broken: {item} after {last:?}"
                        );
                        last = Some(item);
                    }
                }
                let released = match fault {
                    QueueFault::ReleaseHandedBack => popped.len() + handed_back,
                    _ => popped.len(),
                };
                if queue.release(released) && fault != QueueFault::IgnoreWanted {
                    room.iter().for_each(Notify::notify);
                }
            }
        }));
    }

    join_all(handles);
    for (item, count) in seen.iter().enumerate() {
        let count = count.load(Ordering::Relaxed);
        assert_eq!(count, 1, "item {item} was popped {count} times");
    }
    assert_eq!(queue.pop(), None, "an item was left in the queue");
    // Every slot is free again, and no more: the capacity bound still holds.
    assert_eq!(
        queue.reserve(Q::CAPACITY + 1),
        Q::CAPACITY,
        "free slots miscounted"
    );
}

#[test]
fn queue_capacity_1_wraps_around_and_wakes_the_blocked_producer() {
    // Three laps of a one-slot ring; the producer blocks on every push after the first.
    check("queue cap 1, 1 producer x 3, 1 consumer", 4, || {
        queue_model::<Queue<usize, 1>>(1, 3, 1, QueueFault::None, Ops::One)
    });
}

#[test]
fn queue_capacity_2_two_producers_wrap_around() {
    check("queue cap 2, 2 producers x 2, 1 consumer", 2, || {
        queue_model::<Queue<usize, 2>>(2, 2, 1, QueueFault::None, Ops::One)
    });
}

#[test]
fn queue_capacity_1_two_consumers_pop_each_item_once() {
    check("queue cap 1, 1 producer x 2, 2 consumers", 2, || {
        queue_model::<Queue<usize, 1>>(1, 2, 2, QueueFault::None, Ops::One)
    });
}

#[test]
fn queue_capacity_2_two_consumers_wrap_around() {
    check("queue cap 2, 1 producer x 3, 2 consumers", 2, || {
        queue_model::<Queue<usize, 2>>(1, 3, 2, QueueFault::None, Ops::One)
    });
}

#[test]
fn queue_capacity_2_batches_two_producers_wrap_around() {
    check(
        "queue cap 2, batches, 2 producers x 2, 1 consumer",
        2,
        || queue_model::<Queue<usize, 2>>(2, 2, 1, QueueFault::None, Ops::Many),
    );
}

#[test]
fn queue_capacity_2_batches_two_consumers_wrap_around() {
    check(
        "queue cap 2, batches, 1 producer x 3, 2 consumers",
        2,
        || queue_model::<Queue<usize, 2>>(1, 3, 2, QueueFault::None, Ops::Many),
    );
}

#[test]
fn queue_capacity_2_a_handed_back_item_is_consumed_once() {
    check(
        "queue cap 2, hand-back, 1 producer x 3, 2 consumers",
        2,
        || queue_model::<Queue<usize, 2>>(1, 3, 2, QueueFault::None, Ops::HandBack),
    );
}

/// Broken: the consumer that handed an item back releases its slot too. The queue then counts
/// one slot more than it has.
#[test]
#[should_panic(expected = "free slots miscounted")]
fn broken_queue_hand_back_that_releases_the_slot_miscounts_room() {
    check("BROKEN queue: hand-back releases its slot", 2, || {
        queue_model::<Queue<usize, 2>>(1, 3, 2, QueueFault::ReleaseHandedBack, Ops::HandBack)
    });
}

/// Broken: consumers ignore `release`'s report of a blocked producer. The producer of the second
/// item waits forever.
#[test]
#[should_panic(expected = "deadlock")]
fn broken_queue_release_that_ignores_wanted_loses_the_producer() {
    check("BROKEN queue: release ignores wanted", 2, || {
        queue_model::<Queue<usize, 1>>(1, 2, 1, QueueFault::IgnoreWanted, Ops::One)
    });
}

/// Broken: a copy of the queue that publishes a pushed item with a Relaxed store of its slot's
/// sequence word (the real queue uses Release). A popper then reads the slot without
/// happens-before with the write.
#[test]
#[should_panic(expected = "Causality violation")]
fn broken_queue_relaxed_publish_is_a_data_race() {
    check("BROKEN queue: Relaxed publish", 2, || {
        queue_model::<RelaxedPublishQueue<1>>(1, 2, 1, QueueFault::None, Ops::One)
    });
}

/// A copy of `para_core::raw::Queue` (src/queue.rs) that differs in one ordering: `push_reserved`
/// publishes with `Relaxed` instead of `Release`.
struct RelaxedPublishQueue<const N: usize> {
    head: AtomicUsize,
    tail: AtomicUsize,
    free: AtomicUsize,
    wanted: AtomicBool,
    slots: [(AtomicUsize, UnsafeCell<Option<usize>>); N],
}

// SAFETY: as for `Queue`: a slot's cell is accessed only by the thread that won its position
// (and loom checks every access).
unsafe impl<const N: usize> Sync for RelaxedPublishQueue<N> {}

impl<const N: usize> ModelQueue for RelaxedPublishQueue<N> {
    const CAPACITY: usize = N;
    fn new() -> Self {
        RelaxedPublishQueue {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            free: AtomicUsize::new(N),
            wanted: AtomicBool::new(false),
            slots: std::array::from_fn(|i| (AtomicUsize::new(2 * i), UnsafeCell::new(None))),
        }
    }

    fn reserve(&self, max: usize) -> usize {
        let try_reserve = |mut free: usize| loop {
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
        };
        let got = try_reserve(self.free.load(Ordering::Relaxed));
        if got > 0 || max == 0 {
            return got;
        }
        self.wanted.swap(true, Ordering::SeqCst);
        try_reserve(self.free.fetch_add(0, Ordering::SeqCst))
    }

    fn unreserve(&self, n: usize) -> bool {
        self.release(n)
    }

    fn release(&self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        self.free.fetch_add(n, Ordering::SeqCst);
        self.wanted.load(Ordering::SeqCst) && self.wanted.swap(false, Ordering::SeqCst)
    }

    fn push_reserved(&self, value: usize) {
        let mut pos = self.tail.load(Ordering::Relaxed);
        loop {
            let (seq, cell) = &self.slots[pos % N];
            let lag = seq.load(Ordering::Acquire).wrapping_sub(2 * pos) as isize;
            if lag == 0 {
                match self.tail.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        cell.with_mut(|slot| {
                            // SAFETY: the CAS gave this thread position `pos` (slot protocol).
                            unsafe { *slot = Some(value) }
                        });
                        seq.store(2 * pos + 1, Ordering::Relaxed); // THE BUG: not Release
                        return;
                    }
                    Err(now) => pos = now,
                }
            } else {
                if lag < 0 {
                    thread::yield_now();
                }
                pos = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    fn pop(&self) -> Option<usize> {
        let mut pos = self.head.load(Ordering::Relaxed);
        loop {
            let (seq, cell) = &self.slots[pos % N];
            let lag = seq.load(Ordering::Acquire).wrapping_sub(2 * pos + 1) as isize;
            if lag == 0 {
                match self.head.compare_exchange_weak(
                    pos,
                    pos + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the CAS gave this thread position `pos` (slot protocol).
                        let value = cell.with_mut(|slot| unsafe { (*slot).take() });
                        seq.store(2 * (pos + N), Ordering::Release);
                        return value;
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
}

// ------------------------------------------------------------------------------------------
// The claim of a serial node

/// A claim as the serial model uses it: `with_claim(f)` runs `f` while holding the claim and
/// returns `release`'s report, or `None` if the claim failed.
trait ModelSerial: Send + Sync + 'static {
    fn new() -> Self;
    fn with_claim(&self, f: impl FnOnce()) -> Option<bool>;
}

impl ModelSerial for Serial<()> {
    fn new() -> Self {
        Serial::new(())
    }
    fn with_claim(&self, f: impl FnOnce()) -> Option<bool> {
        let claim = self.try_claim()?;
        f();
        Some(claim.release())
    }
}

/// Three workers each publish one piece of work for a serial node (in para: push an item into
/// its queue) and then try to claim it. The holder processes all the work it can see; when its
/// `release` reports that a claim failed meanwhile, it claims again and processes again (in
/// para: it re-notifies the node). A failed claimant simply leaves.
///
/// Checks: at the end every piece of work was processed (a failed claim is never lost), and the
/// node's state is never accessed by two workers at once (it is a loom cell, accessed only
/// under the claim).
fn serial_model<S: ModelSerial>(honour_the_note: bool) {
    const WORKERS: usize = 3;
    struct Node<S> {
        serial: S,
        state: UnsafeCell<[bool; WORKERS]>,
        work: [AtomicBool; WORKERS],
    }
    // SAFETY: `state` is accessed only under the claim (and loom checks every access).
    unsafe impl<S: Sync> Sync for Node<S> {}

    let node = Arc::new(Node {
        serial: S::new(),
        state: UnsafeCell::new([false; WORKERS]),
        work: std::array::from_fn(|_| AtomicBool::new(false)),
    });
    let handles = (0..WORKERS)
        .map(|me| {
            let node = node.clone();
            thread::spawn(move || {
                node.work[me].store(true, Ordering::Relaxed);
                let process = || {
                    node.state.with_mut(|done| {
                        // SAFETY: under the claim; loom checks that no access is concurrent.
                        let done = unsafe { &mut *done };
                        for (done, work) in done.iter_mut().zip(&node.work) {
                            *done |= work.load(Ordering::Relaxed);
                        }
                    })
                };
                while let Some(notified) = node.serial.with_claim(process) {
                    if !notified || !honour_the_note {
                        break;
                    }
                }
            })
        })
        .collect();
    join_all(handles);
    let mut done = [false; WORKERS];
    let notified = node.serial.with_claim(|| {
        // SAFETY: under the claim, every worker joined.
        done = node.state.with(|state| unsafe { *state });
    });
    assert_eq!(
        notified,
        Some(false),
        "a note was left after every worker returned"
    );
    assert!(done.iter().all(|&d| d), "work was lost: processed {done:?}");
}

#[test]
fn serial_failed_claims_are_never_lost() {
    check("serial claim, 3 workers", 4, || {
        serial_model::<Serial<()>>(true)
    });
}

/// A concurrency limit of one (`limit.rs`) as a serial claim: the same protocol with a count.
struct LimitOfOne(para_core::raw::Limit);

impl ModelSerial for LimitOfOne {
    fn new() -> Self {
        LimitOfOne(para_core::raw::Limit::new())
    }
    fn with_claim(&self, f: impl FnOnce()) -> Option<bool> {
        if !self.0.try_enter(1) {
            return None;
        }
        f();
        Some(self.0.leave())
    }
}

#[test]
fn limit_turned_away_steps_are_never_lost() {
    check("limit(1), 3 workers", 4, || {
        serial_model::<LimitOfOne>(true)
    });
}

/// Broken: the leaver ignores what `leave` reports, so a turned-away worker's work is lost.
#[test]
#[should_panic(expected = "work was lost")]
fn broken_limit_leave_without_the_note_loses_work() {
    check("BROKEN limit: leave without the note", 4, || {
        serial_model::<LimitOfOne>(false)
    });
}

/// Broken: the holder ignores what `release` reports, so the work of a worker whose claim
/// failed is never processed.
#[test]
#[should_panic(expected = "work was lost")]
fn broken_serial_release_without_the_notified_check_loses_work() {
    check(
        "BROKEN serial: release without the notified check",
        4,
        || serial_model::<Serial<()>>(false),
    );
}

/// Broken: a copy of `Serial::try_claim` as it was before this model found the bug: a claimant
/// that found the note already left (`HELD_NOTIFIED`) returned on the strength of a load, so the
/// holder did not synchronise with it and could miss its work.
#[test]
#[should_panic(expected = "work was lost")]
fn broken_serial_claim_that_only_reads_an_existing_note_loses_work() {
    check("BROKEN serial: an existing note only read", 4, || {
        serial_model::<ReadOnlyNoteSerial>(true)
    });
}

/// The claim of `src/serial.rs` before the fix, reduced to its state word.
struct ReadOnlyNoteSerial(loom::sync::atomic::AtomicU8);

const FREE: u8 = 0;
const HELD: u8 = 1;
const HELD_NOTIFIED: u8 = 2;

impl ModelSerial for ReadOnlyNoteSerial {
    fn new() -> Self {
        ReadOnlyNoteSerial(loom::sync::atomic::AtomicU8::new(FREE))
    }

    fn with_claim(&self, f: impl FnOnce()) -> Option<bool> {
        let state = &self.0;
        let mut seen = FREE;
        loop {
            let outcome = if seen == FREE {
                state.compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            } else {
                state.compare_exchange(HELD, HELD_NOTIFIED, Ordering::Release, Ordering::Relaxed)
            };
            match (seen, outcome) {
                (FREE, Ok(_)) => break,
                (_, Ok(_)) => return None,
                (_, Err(HELD_NOTIFIED)) => return None, // THE BUG: leaves after a mere load
                (_, Err(now)) => seen = now,
            }
        }
        f();
        Some(state.swap(FREE, Ordering::AcqRel) == HELD_NOTIFIED)
    }
}

// ------------------------------------------------------------------------------------------
// Termination by counting

/// How the termination model's nodes misbehave, if at all.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Counting {
    /// As `node.rs` does: a source counts its items before pushing them.
    Correct,
    /// The source counts its items only after pushing them.
    CountsLate,
    /// A copy of `Cx::retire_items` whose decrement is Relaxed instead of AcqRel.
    RelaxedRetire,
}

const TERMINATION_NODES: &[NodeInfo] = &[
    NodeInfo::new("source", NodeKind::Source, &[]),
    NodeInfo::new("sink", NodeKind::Sink, &[0]),
];

/// What the workers of the termination model share.
struct Run {
    queue: Queue<usize, 2>,
    /// One per sink worker: "an item arrived".
    arrived: [Notify; 2],
    /// Each sink worker's side effect, a loom cell: the worker that finishes the run reads them
    /// all, so loom checks that they happen-before the end.
    effects: [UnsafeCell<usize>; 2],
    consumed: AtomicUsize,
    ends: AtomicUsize,
    /// The Relaxed copy of the run's counter (variant `RelaxedRetire` only).
    copy_in_flight: AtomicUsize,
}

// SAFETY: each effect cell is written by the sink worker that popped its item and read by the
// worker that ends the run; loom checks that these accesses are ordered.
unsafe impl Sync for Run {}

impl Run {
    /// What a scheduler's `end` sees: the run must be over.
    fn end(&self) {
        self.ends.fetch_add(1, Ordering::Relaxed);
        assert_eq!(
            self.consumed.load(Ordering::Relaxed),
            2,
            "the run finished before the last item was retired"
        );
        for effect in &self.effects {
            // SAFETY: loom checks that both writes happen-before this read.
            let value = effect.with(|e| unsafe { *e });
            assert_ne!(value, 0, "the run finished before a sink's effect");
        }
    }
}

struct ModelScheduler(Arc<Run>);

impl Scheduler for ModelScheduler {
    fn notify(&mut self, _node: NodeId) {}
    fn end(&mut self) {
        self.0.end();
    }
}

/// A graph `source -> sink` wired by hand, its source producing two items. One worker runs the
/// source step; two workers each run one step of the sink, which consumes one item. The real
/// `Graph` and `Cx` count the items.
///
/// Checks: the run finishes exactly once, and only after both items were consumed and both
/// sink effects are visible to the worker that finishes it.
fn termination_model(counting: Counting) {
    let run = Arc::new(Run {
        queue: Queue::new(),
        arrived: [Notify::new(), Notify::new()],
        effects: [UnsafeCell::new(0), UnsafeCell::new(0)],
        consumed: AtomicUsize::new(0),
        ends: AtomicUsize::new(0),
        copy_in_flight: AtomicUsize::new(1),
    });
    let retire = {
        let run = run.clone();
        move |cx: &mut Cx<'_>, n: usize| {
            if counting == Counting::RelaxedRetire {
                if run.copy_in_flight.fetch_sub(n, Ordering::Relaxed) == n {
                    run.end();
                }
            } else {
                cx.retire_items(n);
            }
        }
    };
    let add = {
        let run = run.clone();
        move |cx: &mut Cx<'_>, n: usize| {
            if counting == Counting::RelaxedRetire {
                run.copy_in_flight.fetch_add(n, Ordering::Relaxed);
            } else {
                cx.add_items(n);
            }
        }
    };
    let dispatch = {
        let run = run.clone();
        move |node: NodeId, cx: &mut Cx<'_>| -> bool {
            match node {
                0 => {
                    let room = run.queue.reserve(2);
                    assert_eq!(room, 2);
                    if counting != Counting::CountsLate {
                        add(cx, 2);
                    }
                    run.queue.push_reserved(1);
                    run.queue.push_reserved(2);
                    run.arrived.iter().for_each(Notify::notify);
                    if counting == Counting::CountsLate {
                        add(cx, 2);
                    }
                    retire(cx, 1); // the source is exhausted
                    true
                }
                _ => {
                    let Some(item) = run.queue.pop() else {
                        return false;
                    };
                    // SAFETY: items 1 and 2 each have their own cell, and each is popped once.
                    run.effects[item - 1].with_mut(|e| unsafe { *e = item });
                    run.consumed.fetch_add(1, Ordering::Relaxed);
                    let _ = run.queue.release(1);
                    retire(cx, 1);
                    true
                }
            }
        }
    };
    let graph = Arc::new(Graph::new(TERMINATION_NODES, dispatch));
    let mut handles = Vec::new();
    {
        let (graph, run) = (graph.clone(), run.clone());
        handles.push(thread::spawn(move || {
            graph.run_node(0, &mut ModelScheduler(run));
        }));
    }
    for worker in 0..2 {
        let (graph, run) = (graph.clone(), run.clone());
        handles.push(thread::spawn(move || {
            let mut sched = ModelScheduler(run.clone());
            while !graph.run_node(1, &mut sched) {
                run.arrived[worker].wait();
            }
        }));
    }
    join_all(handles);
    assert_eq!(
        run.ends.load(Ordering::Relaxed),
        1,
        "the run must end exactly once"
    );
    if counting != Counting::RelaxedRetire {
        assert!(graph.is_finished());
    }
}

#[test]
fn termination_finishes_exactly_once_after_the_last_item() {
    check("termination, 1 source + 2 sink workers", 3, || {
        termination_model(Counting::Correct)
    });
}

/// Broken: the source counts its items after they became visible, so a sink can retire one
/// before it was counted and the count reaches zero while the other item is still in flight.
#[test]
#[should_panic(expected = "the run finished before the last item was retired")]
fn broken_termination_counting_late_finishes_early() {
    check(
        "BROKEN termination: items counted after they are pushed",
        3,
        || termination_model(Counting::CountsLate),
    );
}

/// Broken: a Relaxed decrement. The worker that reaches zero does not synchronise with the
/// other sink worker, whose effect it may not see.
#[test]
#[should_panic(expected = "the run finished before")]
fn broken_termination_relaxed_retire_misses_effects() {
    check("BROKEN termination: Relaxed retire", 3, || {
        termination_model(Counting::RelaxedRetire)
    });
}
