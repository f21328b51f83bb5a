//! Statistics of a run, opt-in: what each node and each worker did, and progress as it goes.
//!
//! A graph given a [`Probe`] ([`Graph::with_probe`](crate::Graph::with_probe)) counts, for every
//! step of every node: whether it did work (a *step*) or found nothing to do (a *poll*; a poll
//! that found no room downstream is also *blocked*), the items it took in and gave out, the
//! time it took on a clock the probe provides, and the most items its input queue held when a
//! step began. A worker loop adds its own counts (steals, sleeps) through
//! [`Graph::probe`](crate::Graph::probe). [`Stats`] is the probe of para-core (fixed capacity,
//! no allocator); para-std has one of its own with a row of counters per worker.
//!
//! # Cost
//!
//! Without a probe and without a progress hook, a step pays a branch on each (`None`), nothing
//! more: the tiny benchmark measures it. With a probe, a step makes a few relaxed atomic adds
//! and, with a clock, reads it twice.
//!
//! # Counting
//!
//! Counters are relaxed atomic adds into the row [`Probe::node_counters`] picks for the worker. They are
//! read after the run, whose end happens-after every step (every core has returned), so the
//! totals are exact; read during a run they are a recent approximation, which is all a progress
//! display needs. Counts and ticks are `usize` atomics, which every target has: on a 32-bit
//! chip they wrap at 2^32, so give such a chip a clock of coarse ticks (microseconds: 71
//! minutes).
//!
//! # Waits
//!
//! How long a node waited on its neighbours is measured between steps, by whichever workers
//! run them: a step that finds no room downstream marks the start of a wait on the output, a
//! step that leaves its input empty the start of a wait on the input (shared [`NodeMarks`],
//! set only if not set); the next step of the node that did work and *began after the mark*
//! ends the wait at its start and adds it to its worker's row. A step that began before the
//! mark (another worker, still on its batch) leaves it open. The run's end closes what is
//! open. So a wait includes the time the node's next step took to be scheduled, which is part
//! of waiting too.
//!
//! # What the counts say
//!
//! * A node's `busy` time against the run's `wall` time (times the calls it may run at once)
//!   is its load: the node with the highest share is the bottleneck.
//! * `blocked` polls mean the node's output was full: it waited on the node after it. Polls
//!   that were not blocked found an empty input or a claimed serial node: it waited on the
//!   node before it, or on itself.
//! * `items_in − items_out` is what a node filtered (or, for a flat-map, minus what it added);
//!   a sink gives out nothing.

pub use crate::report::{write_dot, write_table, RunStats, Stats};

use crate::graph::{NodeId, NodeInfo, NodeKind};
use crate::sync::{AtomicUsize, Ordering};

/// Where a probe's time comes from: ticks since any fixed moment, never decreasing (a cycle
/// counter, a timer). para-std counts nanoseconds.
pub type Clock = fn() -> u64;

/// One node's counters during a run, added to by the workers (module docs, "Counting").
#[derive(Debug, Default)]
pub struct NodeCounters {
    steps: AtomicUsize,
    polls: AtomicUsize,
    blocked: AtomicUsize,
    items_in: AtomicUsize,
    items_out: AtomicUsize,
    busy: AtomicUsize,
    queue_peak: AtomicUsize,
    waited_full: AtomicUsize,
    waited_empty: AtomicUsize,
    in_flight: AtomicUsize,
    in_flight_peak: AtomicUsize,
}

impl NodeCounters {
    /// All zero.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        NodeCounters {
            steps: AtomicUsize::new(0),
            polls: AtomicUsize::new(0),
            blocked: AtomicUsize::new(0),
            items_in: AtomicUsize::new(0),
            items_out: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
            queue_peak: AtomicUsize::new(0),
            waited_full: AtomicUsize::new(0),
            waited_empty: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            in_flight_peak: AtomicUsize::new(0),
        }
    }

    /// All zero.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn step(&self, worked: bool, ticks: usize) {
        if worked {
            self.steps.fetch_add(1, Ordering::Relaxed);
            self.busy.fetch_add(ticks, Ordering::Relaxed);
        } else {
            self.polls.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn items(&self, items_in: usize, items_out: usize) {
        self.items_in.fetch_add(items_in, Ordering::Relaxed);
        self.items_out.fetch_add(items_out, Ordering::Relaxed);
    }

    pub(crate) fn blocked(&self) {
        self.blocked.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn queued(&self, len: usize) {
        if len > self.queue_peak.load(Ordering::Relaxed) {
            self.queue_peak.fetch_max(len, Ordering::Relaxed);
        }
    }

    /// An async node's futures in flight: `count` of them for `ticks`, and `now` after a step.
    pub(crate) fn in_flight(&self, count: usize, ticks: usize, now: usize) {
        self.in_flight
            .fetch_add(count.wrapping_mul(ticks), Ordering::Relaxed);
        if now > self.in_flight_peak.load(Ordering::Relaxed) {
            self.in_flight_peak.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// Adds this row's counts to `stats` (rows of several workers sum; peaks take the max).
    pub fn add_to(&self, stats: &mut NodeStats) {
        let read = |counter: &AtomicUsize| counter.load(Ordering::Relaxed) as u64;
        stats.steps += read(&self.steps);
        stats.polls += read(&self.polls);
        stats.blocked += read(&self.blocked);
        stats.items_in += read(&self.items_in);
        stats.items_out += read(&self.items_out);
        stats.busy += read(&self.busy);
        stats.waited_full += read(&self.waited_full);
        stats.waited_empty += read(&self.waited_empty);
        stats.in_flight += read(&self.in_flight);
        stats.in_flight_peak = stats
            .in_flight_peak
            .max(self.in_flight_peak.load(Ordering::Relaxed));
        stats.queue_peak = stats
            .queue_peak
            .max(self.queue_peak.load(Ordering::Relaxed));
    }

    /// Back to zero, for the next run.
    pub fn reset(&self) {
        for counter in [
            &self.steps,
            &self.polls,
            &self.blocked,
            &self.items_in,
            &self.items_out,
            &self.busy,
            &self.queue_peak,
            &self.waited_full,
            &self.waited_empty,
            &self.in_flight,
            &self.in_flight_peak,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// When a node began to wait, shared by the workers (module docs, "Waits"): the start of a
/// wait on a full output, and of a wait on an empty input, in the probe's ticks (0: none).
#[derive(Debug, Default)]
pub struct NodeMarks {
    full_since: AtomicUsize,
    empty_since: AtomicUsize,
}

impl NodeMarks {
    /// No wait begun.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        NodeMarks {
            full_since: AtomicUsize::new(0),
            empty_since: AtomicUsize::new(0),
        }
    }

    /// No wait begun.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::default()
    }

    /// A tick as a mark: never 0, which means "no wait".
    fn mark(now: u64) -> usize {
        (now as usize).max(1)
    }

    /// A step found no room downstream at `now`: a wait on the output begins, unless one has.
    pub(crate) fn output_full(&self, now: u64) {
        let _ = self.full_since.compare_exchange(
            0,
            Self::mark(now),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// A step left the input empty at `now`: a wait on the input begins, unless one has.
    pub fn input_empty(&self, now: u64) {
        let _ = self.empty_since.compare_exchange(
            0,
            Self::mark(now),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// A step that began at `start` found room and items: the waits that began before it end
    /// there, and are added to `counters` (a wait that began after it is left open).
    pub(crate) fn end_waits(&self, start: u64, counters: &NodeCounters) {
        let start = start as usize;
        for (since, total) in [
            (&self.full_since, &counters.waited_full),
            (&self.empty_since, &counters.waited_empty),
        ] {
            let began = since.load(Ordering::Relaxed);
            // Wrapping comparison: ticks may wrap a 32-bit `usize`.
            if began != 0
                && (start.wrapping_sub(began) as isize) > 0
                && since
                    .compare_exchange(began, 0, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                total.fetch_add(start.wrapping_sub(began), Ordering::Relaxed);
            }
        }
    }

    /// The run ended at `end`: the waits still open end there.
    pub fn end_run(&self, end: u64, counters: &NodeCounters) {
        let end = end as usize;
        for (since, total) in [
            (&self.full_since, &counters.waited_full),
            (&self.empty_since, &counters.waited_empty),
        ] {
            let began = since.swap(0, Ordering::Relaxed);
            if began != 0 && (end.wrapping_sub(began) as isize) > 0 {
                total.fetch_add(end.wrapping_sub(began), Ordering::Relaxed);
            }
        }
    }

    /// Back to no wait, for the next run.
    pub fn reset(&self) {
        self.full_since.store(0, Ordering::Relaxed);
        self.empty_since.store(0, Ordering::Relaxed);
    }
}

/// One worker's counters during a run.
#[derive(Debug, Default)]
pub struct WorkerCounters {
    steps: AtomicUsize,
    busy: AtomicUsize,
    steals: AtomicUsize,
    sleeps: AtomicUsize,
}

impl WorkerCounters {
    /// All zero.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        WorkerCounters {
            steps: AtomicUsize::new(0),
            busy: AtomicUsize::new(0),
            steals: AtomicUsize::new(0),
            sleeps: AtomicUsize::new(0),
        }
    }

    /// All zero.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn step(&self, ticks: usize) {
        self.steps.fetch_add(1, Ordering::Relaxed);
        self.busy.fetch_add(ticks, Ordering::Relaxed);
    }

    /// The worker took a task from another worker's deque.
    pub fn steal(&self) {
        self.steals.fetch_add(1, Ordering::Relaxed);
    }

    /// The worker went to sleep for want of work.
    pub fn sleep(&self) {
        self.sleeps.fetch_add(1, Ordering::Relaxed);
    }

    /// What the worker did, in a run of `wall` ticks.
    pub fn read(&self, wall: u64) -> WorkerStats {
        let read = |counter: &AtomicUsize| counter.load(Ordering::Relaxed) as u64;
        let busy = read(&self.busy);
        WorkerStats {
            steps: read(&self.steps),
            busy,
            idle: wall.saturating_sub(busy),
            steals: read(&self.steals),
            sleeps: read(&self.sleeps),
        }
    }

    /// Back to zero, for the next run.
    pub fn reset(&self) {
        for counter in [&self.steps, &self.busy, &self.steals, &self.sleeps] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// What a graph counts into (module docs): a row of [`NodeCounters`] per node, chosen per
/// worker, [`WorkerCounters`] per worker, and a clock.
pub trait Probe: Sync {
    /// The time now in the probe's ticks, or `None` if it has no clock (times then stay 0).
    fn now(&self) -> Option<u64>;

    /// The counters that worker `worker`'s steps of `node` add to.
    fn node_counters(&self, worker: usize, node: NodeId) -> &NodeCounters;

    /// The counters of worker `worker`.
    fn worker_counters(&self, worker: usize) -> &WorkerCounters;

    /// The marks of `node`'s waits, shared by every worker.
    fn node_marks(&self, node: NodeId) -> &NodeMarks;

    /// A step of `node` on `worker` did work from `start` to `end` (ticks), moving `items`
    /// items (in and out): for a timeline trace. Called only with a clock. Default: nothing.
    fn trace_step(&self, worker: usize, node: NodeId, start: u64, end: u64, items: usize) {
        let _ = (worker, node, start, end, items);
    }

    /// `worker` took a task from another worker at `at`. Default: nothing.
    fn trace_steal(&self, worker: usize, at: u64) {
        let _ = (worker, at);
    }

    /// `worker` slept from `start` to `end`. Default: nothing.
    fn trace_sleep(&self, worker: usize, start: u64, end: u64) {
        let _ = (worker, start, end);
    }
}

/// A worker loop took a task from another worker's deque: counted, and traced with a clock.
pub fn stole(probe: &dyn Probe, worker: usize) {
    probe.worker_counters(worker).steal();
    if let Some(at) = probe.now() {
        probe.trace_steal(worker, at);
    }
}

/// A worker loop is about to sleep for want of work: counted. Returns what [`slept`] needs.
pub fn sleeping(probe: &dyn Probe, worker: usize) -> Option<u64> {
    probe.worker_counters(worker).sleep();
    probe.now()
}

/// The worker that called [`sleeping`] (which returned `since`) is awake: traced.
pub fn slept(probe: &dyn Probe, worker: usize, since: Option<u64>) {
    if let (Some(start), Some(end)) = (since, probe.now()) {
        probe.trace_sleep(worker, start, end);
    }
}

/// What one node did in a run: read from a probe after the run ([`Stats::node`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NodeStats {
    /// The node's text, as written in `pipeline!` (a fused chain lists its stages).
    pub name: &'static str,
    /// Its kind.
    pub kind: NodeKind,
    /// Steps that did work (a step handles up to a batch of items).
    pub steps: u64,
    /// Steps that found nothing to do: an empty input, a claimed serial node, or no room
    /// downstream.
    pub polls: u64,
    /// Polls that found no room downstream: the node waited on the one after it.
    pub blocked: u64,
    /// Items taken from its input (for a source: 0).
    pub items_in: u64,
    /// Items given to the nodes after it, counted once however many branches get a copy (for a
    /// sink: 0).
    pub items_out: u64,
    /// Ticks spent in steps that did work (0 without a clock).
    pub busy: u64,
    /// Ticks its output was full: from a step that found no room downstream to the start of
    /// the next step that did work (0 without a clock).
    pub waited_full: u64,
    /// Ticks its input was empty: from the run's start, and from each step that left its queue
    /// empty, to the start of the next step that did work (0 without a clock; for a source, 0;
    /// for an ordered stage, only the wait for its first items).
    pub waited_empty: u64,
    /// The most items its input queue held when one of its steps began.
    pub queue_peak: usize,
    /// An async node's futures in flight, times the ticks they were in flight, summed: divided
    /// by the run's wall time, how many were waiting on average (0 for other nodes, and
    /// without a clock). For `batch(N) async`, a future is a batch.
    pub in_flight: u64,
    /// The most futures an async node had in flight after one of its steps.
    pub in_flight_peak: usize,
}

impl NodeStats {
    /// A node that did nothing yet.
    pub const fn new(info: &NodeInfo) -> Self {
        NodeStats {
            name: info.name(),
            kind: info.kind(),
            steps: 0,
            polls: 0,
            blocked: 0,
            items_in: 0,
            items_out: 0,
            busy: 0,
            waited_full: 0,
            waited_empty: 0,
            queue_peak: 0,
            in_flight: 0,
            in_flight_peak: 0,
        }
    }
}

/// What one worker did in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Node steps that did work.
    pub steps: u64,
    /// Ticks inside those steps.
    pub busy: u64,
    /// Ticks of the run outside them: looking for work, polling, sleeping.
    pub idle: u64,
    /// Tasks taken from another worker (para-std's work stealing; 0 on para-core's cores).
    pub steals: u64,
    /// Times the worker went to sleep for want of work.
    pub sleeps: u64,
}
