//! One worker thread: node-index tasks in a work-stealing deque, around para-core's node steps.
//!
//! # Tokens
//!
//! A task is a *token* for a node: "this node may have work". Tokens live in per-worker LIFO
//! deques (crossbeam-deque), an injector holds the sources' first tokens, and idle workers steal.
//! LIFO matters: after a step pushes items downstream, the token it pushed for the consumer is
//! the next one this worker pops, so items are consumed while still in cache and queues stay
//! short.
//!
//! Priorities: each worker has one deque per priority level (`NodeInfo::priority`), and looks
//! for work from the highest level down — first in its own deques, then in the other workers'.
//!
//! The tokens outstanding for a node are counted in `pending[node]` and capped: one for a serial
//! node (it runs on one worker at a time anyway), the worker count for a parallel one. So the
//! deques hold at most `Σ caps` tokens, whatever the number of items.
//!
//! Why a capped notification is never lost: a notifier first changes the node's state (pushes
//! into its queue, …) and then increments `pending` with an AcqRel RMW; a worker decrements
//! `pending` with an AcqRel RMW *before* it runs the node. If the notifier finds the cap reached,
//! some token is still to be run, and the decrement of that run reads the notifier's increment
//! (or a later value in the same RMW chain), so the run sees the notifier's change.

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::{Backoff, CachePadded};
use para_core::{NodeId, NodeInfo, NodeKind, Scheduler, MAX_PRIORITY};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sleep::Sleep;

/// How many times an idle worker yields, after its spin, before it sleeps.
const IDLE_YIELDS: u32 = 64;

/// The number of priority levels, one deque each.
pub(crate) const LEVELS: usize = MAX_PRIORITY as usize + 1;

/// One worker's deques, one per priority level.
pub(crate) type Deques = [Worker<NodeId>; LEVELS];

/// New deques for one worker.
pub(crate) fn new_deques() -> Deques {
    std::array::from_fn(|_| Worker::new_lifo())
}

/// What all workers of one run share.
#[derive(Debug)]
pub(crate) struct Shared {
    pending: Box<[CachePadded<AtomicUsize>]>,
    caps: Box<[usize]>,
    levels: Box<[usize]>,
    injector: Injector<NodeId>,
    /// `stealers[worker][level]`.
    stealers: Box<[[Stealer<NodeId>; LEVELS]]>,
    pub(crate) sleep: Sleep,
}

impl Shared {
    /// Shared state for `workers` deques over a graph of `nodes`; seeds one token per source.
    pub(crate) fn new(
        nodes: &[NodeInfo],
        sources: impl Iterator<Item = NodeId>,
        workers: &[Deques],
    ) -> Self {
        let threads = workers.len();
        let shared = Shared {
            pending: nodes
                .iter()
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            caps: nodes
                .iter()
                // A source may be split between workers (`para_core::Split`); an iterator source
                // turns surplus tokens away with its claim.
                .map(|n| match n.kind {
                    NodeKind::Source => threads,
                    kind if kind.is_serial() => 1,
                    _ => threads,
                })
                .collect(),
            levels: nodes
                .iter()
                .map(|n| usize::from(n.priority.min(MAX_PRIORITY)))
                .collect(),
            injector: Injector::new(),
            stealers: workers
                .iter()
                .map(|deques| std::array::from_fn(|level| deques[level].stealer()))
                .collect(),
            sleep: Sleep::default(),
        };
        for source in sources {
            shared.pending[usize::from(source)].store(1, Ordering::Relaxed);
            shared.injector.push(source);
        }
        shared
    }

    /// Takes a token for `node` if fewer than its cap are outstanding.
    ///
    /// A CAS, never an increment undone afterwards: a transient increment would look like an
    /// outstanding token to a concurrent notifier, which would then rely on a token that never
    /// runs (a lost wake-up this test suite caught). When the cap is reached the CAS still
    /// writes the unchanged value: an RMW, so that the next `return_token` — which reads this
    /// write or a later one in the same release sequence — synchronises with this notifier and
    /// its run sees what the notifier published.
    #[inline]
    fn take_token(&self, node: NodeId) -> bool {
        let i = usize::from(node);
        let (pending, cap) = (&self.pending[i], self.caps[i]);
        let mut seen = pending.load(Ordering::Acquire);
        loop {
            let next = if seen < cap { seen + 1 } else { seen };
            match pending.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return seen < cap,
                Err(now) => seen = now,
            }
        }
    }

    /// Hands back the token of `node` just before running it.
    #[inline]
    fn return_token(&self, node: NodeId) {
        self.pending[usize::from(node)].fetch_sub(1, Ordering::AcqRel);
    }
}

/// One worker's view: its own deque plus the shared state. The [`Scheduler`] para-core calls.
#[derive(Debug)]
pub(crate) struct WorkerCx<'s> {
    index: usize,
    local: Deques,
    shared: &'s Shared,
}

impl<'s> WorkerCx<'s> {
    pub(crate) fn new(index: usize, local: Deques, shared: &'s Shared) -> Self {
        WorkerCx {
            index,
            local,
            shared,
        }
    }

    /// The next token: our own deques, highest priority first, then the injector (sources),
    /// then the other workers' deques, highest priority first (crossbeam-deque's `find_task`
    /// loop, retried while a steal reports contention).
    ///
    /// An empty deque is skipped with `is_empty` (two loads) before `steal`: a steal pins
    /// crossbeam-epoch, and every so many pins advance the global epoch by walking every thread
    /// registered with it. With hundreds of workers, idle ones scanning empty deques spent most
    /// of the CPU there (`Global::try_advance`, 55% of a 256-thread run). Skipping keeps the
    /// sleep protocol's last look sound: `is_empty` reads `back` after the sleeper's SeqCst
    /// fence, as `steal` does.
    fn find_task(&self) -> Option<NodeId> {
        if let Some(node) = self.local.iter().rev().find_map(Worker::pop) {
            return Some(node);
        }
        let stealers = &self.shared.stealers;
        loop {
            let mut retry = false;
            for level in (0..LEVELS).rev() {
                for offset in 1..stealers.len() {
                    let victim = &stealers[(self.index + offset) % stealers.len()][level];
                    if victim.is_empty() {
                        continue;
                    }
                    match victim.steal() {
                        Steal::Success(node) => return Some(node),
                        Steal::Retry => retry = true,
                        Steal::Empty => {}
                    }
                }
            }
            if self.shared.injector.is_empty() {
                if !retry {
                    return None;
                }
                continue;
            }
            match self.shared.injector.steal() {
                Steal::Success(node) => return Some(node),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            if !retry {
                return None;
            }
        }
    }

    /// Pushes a token for `node` into our deque of its level; returns how many tokens our
    /// deques hold now.
    fn push(&self, node: NodeId) -> usize {
        self.local[self.shared.levels[usize::from(node)]].push(node);
        self.local.iter().map(Worker::len).sum()
    }

    /// Runs node steps until the run ends: spins and yields briefly when idle, then sleeps.
    pub(crate) fn run<D>(&mut self, graph: &para_core::Graph<'_, D>)
    where
        D: Fn(NodeId, &mut para_core::Cx<'_>) -> bool + Sync,
    {
        let backoff = Backoff::new();
        let mut idle_yields = 0;
        let mut idle = false;
        while !graph.is_ended() {
            if let Some(node) = self.find_task() {
                if std::mem::take(&mut idle) {
                    graph.leave_idle();
                }
                self.shared.return_token(node);
                graph.run_node(node, self);
                backoff.reset();
                idle_yields = 0;
                continue;
            }
            if !backoff.is_completed() {
                backoff.snooze();
                continue;
            }
            // Past the spin this worker counts as idle: steps holding inputs they have not
            // started hand some back to it (para-core's `share.rs`).
            if !idle {
                idle = true;
                graph.enter_idle();
            }
            // Sleeping and being woken costs two syscalls and a context switch; a worker that
            // went idle between two batches of a busy pipeline would pay them per batch. So
            // keep yielding for a while (tens of microseconds) before sleeping.
            if idle_yields < IDLE_YIELDS {
                idle_yields += 1;
                std::thread::yield_now();
                continue;
            }
            idle_yields = 0;
            let sleep = &self.shared.sleep;
            let epoch = sleep.prepare();
            if let Some(node) = self.find_task() {
                sleep.cancel();
                idle = false;
                graph.leave_idle();
                self.shared.return_token(node);
                graph.run_node(node, self);
            } else {
                sleep.wait(epoch, || graph.is_ended());
            }
            backoff.reset();
        }
        if idle {
            graph.leave_idle();
        }
    }
}

impl Scheduler for WorkerCx<'_> {
    #[inline]
    fn notify(&mut self, node: NodeId) {
        // We pop one token next ourselves; wake a sleeper only for the surplus.
        if self.shared.take_token(node) && self.push(node) > 1 {
            self.shared.sleep.wake_one();
        }
    }

    #[inline]
    fn offer(&mut self, node: NodeId) {
        if self.shared.take_token(node) {
            self.push(node);
            self.shared.sleep.wake_one();
        }
    }

    fn end(&mut self) {
        self.shared.sleep.wake_all();
    }
}
