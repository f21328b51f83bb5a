//! Where a run's queues, ordered windows and fold accumulators live: on the heap, one
//! allocation each.
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

use para_core::raw::{
    fold_sink_in, reduce_sink_in, try_fold_sink_in, Add, ErrorSlot, FoldNode, FoldSlot,
    OrderedBuffer, Pass, Queue, Reduce, Tagged, TryAdd, Ty,
};

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

/// A fold sink's accumulator slots: one per worker (para-core's `fold.rs`).
type Slots<A> = Box<[FoldSlot<A>]>;

/// Empty slots for `threads` workers.
fn fold_slots<A>(threads: usize) -> Slots<A> {
    (0..threads).map(|_| FoldSlot::new()).collect()
}

/// `fold(init, add, merge)` in a run of `threads` workers.
pub fn fold_sink<I, A, Init, F>(
    input: Ty<I>,
    threads: usize,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, Add<F>, Slots<A>>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> A + Sync,
    A: Send,
{
    fold_sink_in(input, fold_slots(threads), init, add)
}

/// `try fold(init, add, merge)` in a run of `threads` workers.
pub fn try_fold_sink<'e, I, A, E, Init, F>(
    input: Ty<I>,
    threads: usize,
    errors: &'e ErrorSlot<E>,
    init: Init,
    add: F,
) -> FoldNode<Pass, Init, TryAdd<'e, F, E>, Slots<A>>
where
    Init: Fn() -> A + Sync,
    F: Fn(A, I) -> Result<A, E> + Sync,
    A: Send,
    E: Send,
{
    try_fold_sink_in(input, fold_slots(threads), errors, init, add)
}

/// `reduce(init, op)` in a run of `threads` workers.
pub fn reduce_sink<A, Init, Op>(
    input: Ty<A>,
    threads: usize,
    init: Init,
    op: Op,
) -> FoldNode<Pass, Init, Reduce<Op>, Slots<A>>
where
    Init: Fn() -> A + Sync,
    Op: Fn(A, A) -> A + Sync,
    A: Send,
{
    reduce_sink_in(input, fold_slots(threads), init, op)
}
