//! Where a run's queues, ordered windows and fold accumulators live: on the heap, one
//! allocation each (the accumulators: one per thread).
//!
//! The macro's expansion calls these instead of para-core's `queue`, `tagged_queue` and
//! `ordered_buffer` (which return them by value, for no_std callers that keep a run on their
//! stack). A queue holds `capacity` items, so on a stack its size is the program's choice of
//! capacity times item size: `capacity = 100_000` of 64-byte items is 6.4 MB, and the default
//! capacity of 4 KiB items is 256 KiB per queue, which overflows a small thread's stack or not
//! depending on which thread runs the pipeline. On the heap, no capacity and no item size can
//! overflow a stack; the stack keeps only the nodes (closures and their state) and the graph.
//!
//! Each is built in place (`Queue::init`, `OrderedBuffer::init`), never on the stack first: a
//! `Box::new(Queue::new())` would build the queue on the stack and then copy it, at least in
//! debug builds.

use para_core::__private::FoldSlots;
use para_core::raw::{FoldSlot, OrderedBuffer, Queue, Tagged, Ty};

use crate::threads::Threads;

/// The input queue, of capacity `N`, of a node consuming `T`s.
pub fn queue<T, const N: usize>(_input: Ty<T>) -> Box<Queue<T, N>> {
    let mut queue = Box::new_uninit();
    Queue::init(&mut queue);
    // SAFETY: `Queue::init` initialised the whole value in place.
    unsafe { queue.assume_init() }
}

/// The input queue, of capacity `N`, of a node before an ordered stage.
pub fn tagged_queue<T, const N: usize>(_input: Ty<T>) -> Box<Queue<Tagged<T>, N>> {
    queue(Ty::new())
}

/// The input of an ordered stage: per source (`N` of them), a window of `W` sequence numbers
/// of `P` parts each, consumed in the order of `steps`, all filled by one producer if
/// `one_producer` (para-core's `ordered` module docs).
pub fn ordered_buffer<T, const W: usize, const P: usize, const N: usize>(
    _input: Ty<T>,
    steps: &'static [u8],
    one_producer: bool,
) -> Box<OrderedBuffer<T, W, P, N>> {
    let mut buffer = Box::new_uninit();
    OrderedBuffer::init(&mut buffer, steps, one_producer);
    // SAFETY: `OrderedBuffer::init` initialised the whole value in place (or panicked, and
    // the uninitialised box is freed without a drop).
    unsafe { buffer.assume_init() }
}

/// A fold sink's accumulators in a run on `Threads`: one per thread, so a worker's step finds
/// its own free (para-core's `fold.rs`).
impl FoldSlots for Threads {
    type Slots<A> = Box<[FoldSlot<A>]>;
    fn fold_slots<A>(self) -> Box<[FoldSlot<A>]> {
        (0..self.0).map(|_| FoldSlot::new()).collect()
    }
}
