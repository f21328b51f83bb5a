//! The bounded queue: FIFO, wrap-around, reservations, exactly-once under concurrency, and
//! dropping what is left.

use para_core::raw::Queue;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

#[test]
fn fifo_with_wrap_around_at_every_small_capacity() {
    fn check<const N: usize>() {
        let q = Queue::<u32, N>::new();
        let mut next_in = 0;
        let mut next_out = 0;
        for _ in 0..10 * N + 3 {
            let room = q.reserve(N);
            assert_eq!(room, N - q.len());
            for _ in 0..room {
                q.push_reserved(next_in);
                next_in += 1;
            }
            assert_eq!(q.reserve(1), 0, "full queue must refuse a reservation");
            let take = 1 + next_out as usize % N;
            for _ in 0..take {
                assert_eq!(q.pop(), Some(next_out));
                next_out += 1;
            }
            let _ = q.release(take);
        }
        while let Some(v) = q.pop() {
            assert_eq!(v, next_out);
            next_out += 1;
        }
        assert_eq!(next_in, next_out);
    }
    check::<1>();
    check::<2>();
    check::<3>();
    check::<4>();
    check::<7>();
    // The default capacity; too slow under miri, where the small ones cover the same code.
    #[cfg(not(miri))]
    check::<64>();
}

#[test]
fn release_reports_a_blocked_producer_once() {
    let q = Queue::<u8, 1>::new();
    assert_eq!(q.reserve(5), 1);
    q.push_reserved(1);
    assert_eq!(q.reserve(1), 0); // registers a waiting producer
    assert_eq!(q.pop(), Some(1));
    assert!(q.release(1), "the waiting producer must be woken");
    assert_eq!(q.reserve(1), 1);
    assert!(!q.unreserve(1), "nobody waits any more");
}

#[test]
fn unreserve_wakes_a_producer_blocked_by_the_reservation() {
    let q = Queue::<u8, 2>::new();
    assert_eq!(q.reserve(2), 2);
    assert_eq!(q.reserve(1), 0);
    assert!(q.unreserve(2));
}

struct CountsDrops(Arc<AtomicUsize>);
impl Drop for CountsDrops {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_a_queue_drops_exactly_the_items_it_holds() {
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let q = Queue::<CountsDrops, 4>::new();
        let mut pushed = 0;
        for _ in 0..3 {
            let room = q.reserve(4);
            for _ in 0..room {
                q.push_reserved(CountsDrops(drops.clone()));
            }
            pushed += room;
            drop(q.pop()); // one popped and dropped per round
            let _ = q.release(1);
        }
        assert_eq!(pushed, 6);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        // A reservation that was never pushed leaves nothing behind.
        assert_eq!(q.reserve(4), 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

/// Counts its drops; the one numbered `BOMB` panics in `Drop`.
struct DropBomb(u32, Arc<AtomicUsize>);
const BOMB: u32 = 2;
impl Drop for DropBomb {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
        assert_ne!(self.0, BOMB, "drop bomb");
    }
}

#[test]
fn a_panicking_drop_in_a_queue_does_not_leak_the_items_after_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Queue::<DropBomb, 8>::new();
    // Start past the wrap-around so the remaining positions span the end of the ring.
    for round in 0..2 {
        assert_eq!(q.reserve(5), 5);
        for i in 0..5 {
            q.push_reserved(DropBomb(10 + round * 5 + i, drops.clone()));
        }
        for _ in 0..5 {
            drop(q.pop());
        }
        let _ = q.release(5);
    }
    assert_eq!(q.reserve(6), 6);
    for i in 0..6 {
        q.push_reserved(DropBomb(i, drops.clone()));
    }
    let before = drops.load(Ordering::SeqCst);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(q)));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(
        drops.load(Ordering::SeqCst) - before,
        6,
        "every held item dropped"
    );
}

#[test]
fn a_panicking_drop_in_an_outbox_drain_does_not_leak_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut outbox = para_core::raw::Outbox::<DropBomb, 8>::new();
    for i in 0..6 {
        assert!(outbox.push(DropBomb(i, drops.clone())).is_ok());
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut items = outbox.drain();
        drop(items.next()); // item 0, then the drain drops 1..6 with 2 panicking
        drop(items);
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(drops.load(Ordering::SeqCst), 6, "every item dropped once");
    assert!(outbox.is_empty());
}

#[test]
fn a_panicking_drop_in_a_split_source_frees_the_rest_and_the_buffer() {
    use para_core::Split;
    static FREED: AtomicUsize = AtomicUsize::new(0);
    /// Frees a `Vec<DropBomb>`'s buffer without dropping items.
    unsafe fn free(ptr: *mut DropBomb, capacity: usize) {
        FREED.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller (`Owned`) passes back the pointer and capacity it was given, with
        // every item moved out or dropped.
        drop(unsafe { Vec::from_raw_parts(ptr, 0, capacity) });
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let items: Vec<DropBomb> = (0..6).map(|i| DropBomb(i, drops.clone())).collect();
    let mut items = std::mem::ManuallyDrop::new(items);
    // SAFETY: the vector's items and buffer now belong to `owned` alone; `free` frees that
    // buffer without touching items.
    let mut owned = unsafe {
        para_core::raw::Owned::from_raw(items.as_mut_ptr(), items.len(), free, items.capacity())
    };
    // SAFETY: index 0 is in range and taken once.
    drop(unsafe { owned.take(0) });
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: indices 1..6 were never taken.
        unsafe { owned.drop_untaken(1..6) };
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    assert_eq!(drops.load(Ordering::SeqCst), 6, "every item dropped once");
    assert_eq!(FREED.load(Ordering::SeqCst), 1, "the buffer freed once");
}

#[test]
fn concurrent_producers_and_consumers_deliver_each_item_once() {
    const PER_PRODUCER: usize = if cfg!(miri) { 40 } else { 200_000 };
    const PRODUCERS: usize = 3;
    let q = Queue::<usize, 8>::new();
    let seen: Vec<AtomicUsize> = (0..PER_PRODUCER * PRODUCERS)
        .map(|_| AtomicUsize::new(0))
        .collect();
    let consumed = AtomicUsize::new(0);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let q = &q;
            s.spawn(move || {
                let mut next = 0;
                while next < PER_PRODUCER {
                    let room = q.reserve(PER_PRODUCER - next);
                    for _ in 0..room {
                        q.push_reserved(p * PER_PRODUCER + next);
                        next += 1;
                    }
                    if room == 0 {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        for _ in 0..2 {
            s.spawn(|| {
                while consumed.load(Ordering::SeqCst) < PER_PRODUCER * PRODUCERS {
                    let mut got = 0;
                    while let Some(v) = q.pop() {
                        seen[v].fetch_add(1, Ordering::SeqCst);
                        got += 1;
                        if got == 5 {
                            break;
                        }
                    }
                    let _ = q.release(got);
                    consumed.fetch_add(got, Ordering::SeqCst);
                }
            });
        }
    });
    assert!(seen.iter().all(|c| c.load(Ordering::SeqCst) == 1));
    assert!(q.is_empty());
}

/// A queue built in place on the heap behaves as one built by `new`, and drops what it holds.
#[test]
fn a_queue_built_in_place_works_like_a_new_one() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut place = Box::new(std::mem::MaybeUninit::<Queue<DropBomb, 3>>::uninit());
    let q = Queue::init(&mut place);
    for round in 0..4u32 {
        assert_eq!(q.reserve(3), 3);
        for i in 0..3 {
            q.push_reserved(DropBomb(100 + round * 3 + i, drops.clone()));
        }
        assert_eq!(q.pop().map(|b| b.0), Some(100 + round * 3));
        let _ = q.release(1);
        assert_eq!(q.pop().map(|b| b.0), Some(101 + round * 3));
        assert_eq!(q.pop().map(|b| b.0), Some(102 + round * 3));
        let _ = q.release(2);
    }
    assert_eq!(q.reserve(2), 2);
    q.push_reserved(DropBomb(200, drops.clone()));
    q.push_reserved(DropBomb(201, drops.clone()));
    assert_eq!(drops.load(Ordering::SeqCst), 12);
    // SAFETY: `Queue::init` initialised it; dropped once, here.
    unsafe { place.assume_init_drop() };
    assert_eq!(drops.load(Ordering::SeqCst), 14);
}

/// Ordered windows built in place on the heap start empty, with every credit.
#[test]
fn ordered_windows_built_in_place_start_empty() {
    type Windows = para_core::raw::OrderedBuffer<String, 4, 2, 3>;
    let mut place = Box::new(std::mem::MaybeUninit::<Windows>::uninit());
    let windows = Windows::init(&mut place, &[1, 0], true);
    let shown = format!("{windows:?}");
    assert!(shown.contains("free: [4, 4, 4]"), "{shown}");
    // SAFETY: `OrderedBuffer::init` initialised it; dropped once, here (it holds no part).
    unsafe { place.assume_init_drop() };
}
