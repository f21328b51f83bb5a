//! How the steps of a parallel node share its queue among the workers: the claim rule.
//!
//! A step reserves room downstream for what it claims, then claims it; every claimed item keeps
//! its input slot and its reserved output slot until the step ends. So what one step claims is
//! kept from every other worker — the queued items themselves, and the room downstream — for as
//! long as the step runs. The rule must let T workers run T calls at once when T items are
//! queued, keep tiny items moving in batches, and not leave one worker alone with a batch of
//! slow items while others idle. It works with no clock (bare metal has none), from two facts
//! every worker can read cheaply:
//!
//! 1. **Divide what is queued by the workers.** A step claims `⌈q / T⌉` of the `q` queued items,
//!    at least 1 and at most [`BATCH`], and reserves room downstream for exactly that many. A
//!    claim leaves `q − ⌈q/T⌉ ≥ (q − 1)(T − 1)/T` items, so from `q ≥ T` queued items each of T
//!    workers arriving one after another still finds one (from `r ≥ k` items, `k ≤ T`, at
//!    least `k − 1` are left). One worker alone takes whole batches. This is the first move of
//!    oneTBB's `auto_partitioner` and of rayon's adaptive splitting: about one piece per
//!    worker, not pieces of a fixed size.
//! 2. **Hand back when a worker goes idle.** Between two items a step checks whether some
//!    worker has found nothing to do for a while ([`Cx::has_idle_workers`], one relaxed load of
//!    a line written only when a worker goes idle or finds work again). If so it pushes half of
//!    the inputs it has not started back into the queue — into the very slots they held, so the
//!    capacity bound is untouched and the push never waits — offers the node to the idle worker,
//!    and claims nothing more in this step. This is rayon's "split when stolen": work is cut
//!    finer only when someone is hungry. Slow items thus spread one per worker, and the end of a
//!    run is not one worker alone with a batch; tiny items, where workers rarely go idle (they
//!    spin a few microseconds before they count as idle), keep their batches.
//!
//! Why not time the items: a clock costs tens of nanoseconds per read on a desktop and does not
//! exist on the chips para runs on; and the cost of an item is not what matters — whether
//! another worker is waiting for work is, and that is what rule 2 reads.
//!
//! Items handed back may return to the queue in another order than they left it: a parallel
//! node promises no order (ordered stages restore source order from the items' tags).
//!
//! [`BATCH`]: crate::BATCH

use crate::node::BATCH;
use crate::outbox::Outbox;
use crate::queue::Queue;

/// How many items a step of a parallel node claims, with `queued` items waiting for `workers`
/// workers (rule 1).
#[inline]
pub(crate) fn claim(queued: usize, workers: usize) -> usize {
    queued.div_ceil(workers.max(1)).clamp(1, BATCH)
}

/// Pushes the last half (rounded up) of `unstarted` back into `input`, into the slots those items
/// still hold (rule 2); returns how many. The slots were never released, so the push needs no
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
