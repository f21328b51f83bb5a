//! How the steps of a parallel node share its queue among the workers: the claim rules.
//!
//! A step of a parallel node reserves room downstream, then claims inputs and runs them one by
//! one; every claimed input keeps its input slot, and every reserved output slot stays reserved,
//! until the step ends. So what one step holds is kept from every other worker for as long as
//! the step runs. The rules below must let T workers run T calls at once when T items are
//! queued, keep tiny items moving in batches, and not leave one worker alone with a batch of
//! slow items while others idle. They need no clock (bare metal has none), only two facts every
//! worker reads cheaply: the number of workers T ([`Cx::workers`]) and whether some worker is
//! idle ([`Cx::has_idle_workers`]).
//!
//! 1. **Room for a share of the queue.** A step reserves `CAP / T` slots downstream (at least 1,
//!    at most [`BATCH`]), where `CAP` is the capacity of its input queue, so T steps can hold
//!    room at once. (A whole batch per step let only `capacity / 32` steps run at once: two.)
//! 2. **Claims start at half a share and grow.** A step's first claim takes `⌈q / 2T⌉` of the
//!    `q` queued items. That leaves at least `q − ⌈q/T⌉` items, and from `r ≥ k` items
//!    (`k ≤ T`) at least `k − 1` are left, so from `q ≥ T` queued items each of T workers
//!    arriving one after another finds one, even if every call blocks. Half a share rather
//!    than a whole one: with a deep queue (the default capacity is 256) a whole share is
//!    several slow items held by one step, which the run's end then waits for; half of it
//!    measured 1–7% faster on 1 ms items at 8–64 threads and on the tiny shape at 2 threads.
//!    Each later claim of the same step takes at least twice what the step took before: a
//!    step that keeps finding work grows to a whole batch within a few claims, so tiny items
//!    move in batches and pay the cross-core costs of a step (its reservation, notifications,
//!    count updates) once per batch. This is the first move of oneTBB's `auto_partitioner`
//!    and of rayon's adaptive splitting: a few pieces per worker, then bigger pieces while
//!    nobody else asks for work.
//! 3. **Hand back when a worker goes idle.** Before each item and each claim, a step checks
//!    whether some worker has found nothing to do for a while (one relaxed load of a line
//!    written only when a worker goes idle or finds work again). If so it claims nothing more,
//!    pushes the last half of the inputs it has not started back into the queue — into the very
//!    slots they held, so the capacity bound is untouched and the push never waits — and offers
//!    the node to the idle worker. This is rayon's "split when stolen": work is cut finer only
//!    when someone is hungry. Slow items thus spread one per worker and the end of a run is not
//!    one worker alone with a batch; tiny items, where workers rarely go idle (they spin a few
//!    microseconds before they count as idle), keep their batches.
//!
//! What bounds the calls in flight: a stage runs at most `min(T, CAP_in, CAP_out)` calls at
//! once (each call holds an input slot and an output reservation), and every stage's step
//! still holds at most [`BATCH`] items, so the memory bound of the graph does not change.
//!
//! Why not time the items: a clock costs tens of nanoseconds per read on a desktop and does not
//! exist on the chips para runs on; and the cost of an item is not what matters — whether
//! another worker is waiting for work is, and that is what rule 3 reads.
//!
//! Items handed back may return to the queue in another order than they left it: a parallel
//! node promises no order (ordered stages restore source order from the items' tags).
//!
//! [`BATCH`]: crate::raw::BATCH
//! [`Cx::workers`]: crate::Cx::workers
//! [`Cx::has_idle_workers`]: crate::Cx::has_idle_workers

use crate::node::BATCH;
use crate::outbox::Outbox;
use crate::queue::Queue;

/// How much room downstream a step of a parallel node reserves, over an input queue of `CAP`
/// slots shared by `workers` workers (rule 1).
#[inline]
pub(crate) fn room<const CAP: usize>(workers: usize) -> usize {
    (CAP / workers.max(1)).clamp(1, BATCH)
}

/// How many of the `queued` items one claim of a step takes, with `left` of its room unused
/// (rule 2): `⌈queued / 2T⌉`.
#[inline]
pub(crate) fn claim(queued: usize, left: usize, workers: usize) -> usize {
    queued.div_ceil(2 * workers.max(1)).clamp(1, left)
}

/// Pushes the last half (rounded up) of `unstarted` back into `input`, into the slots those items
/// still hold (rule 3); returns how many. The slots were never released, so the push needs no
/// reservation: a claimed-but-unreleased slot counts as used exactly like a reserved one
/// (`queue.rs`, "Reservations"), and the push turns it into a filled one.
pub(crate) fn hand_back<I, const N: usize, const B: usize>(
    unstarted: &mut (impl DoubleEndedIterator<Item = I> + ExactSizeIterator),
    input: &Queue<I, N>,
) -> usize {
    let count = unstarted.len().div_ceil(2);
    let mut back = Outbox::<I, B>::new();
    for item in unstarted.by_ref().rev().take(count) {
        let _ = back.push(item); // cannot fail: they came out of an outbox of `B`
    }
    input.push_many(&mut back);
    count
}
