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
//! # Caller tokens
//!
//! A source whose iterator is not `Send` must run on the calling thread, worker 0
//! (`caller.rs`). Its tokens go to a queue of their own that only worker 0 takes from, right
//! after its own deques; its cap is 1. A worker other than 0 that pushes one wakes every
//! sleeper, since `Sleep` cannot pick worker 0: the woken others find nothing and sleep again.
//! The sleep protocol's last look covers the queue as it covers the injector.
//!
//! Why a capped notification is never lost: a notifier first changes the node's state (pushes
//! into its queue, …) and then increments `pending` with an AcqRel RMW; a worker decrements
//! `pending` with an AcqRel RMW *before* it runs the node. If the notifier finds the cap reached,
//! some token is still to be run, and the decrement of that run reads the notifier's increment
//! (or a later value in the same RMW chain), so the run sees the notifier's change.

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::{Backoff, CachePadded};
use para_core::stats;
use para_core::{NodeId, NodeInfo, NodeKind, Scheduler, MAX_PRIORITY};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::task::Waker;

use crate::sleep::Sleep;
use crate::wake::NodeWaker;

/// How many times an idle worker yields, after its spin, before it sleeps.
const IDLE_YIELDS: u32 = 64;

/// The number of priority levels, one deque each.
pub(crate) const LEVELS: usize = MAX_PRIORITY as usize + 1;

/// One worker's deques, one per priority level.
type Deques = [Worker<NodeId>; LEVELS];

/// The other workers' handles on one worker's deques.
type Stealers = [Stealer<NodeId>; LEVELS];

/// What all workers of one run share.
///
/// # Cache lines
///
/// Data one worker writes often must not share a cache line with data another worker touches,
/// or the line bounces between the cores on every access. Which heap blocks end up neighbours
/// depends on everything the process allocated before, so this is arranged, not left to luck
/// (left to luck, the tiny shape at two threads ran at 52 or 88 ms depending on the
/// allocations made before it):
///
/// * every block here is padded to whole cache lines (`CachePadded`);
/// * each worker allocates its own deques, on its own thread, when it starts
///   ([`WorkerCx::start`]): a deque's buffer (crossbeam-deque does not pad it) is written on
///   every push and pop, and allocated by its owner it comes from that thread's malloc arena,
///   away from the other workers' buffers. Thieves skip a worker that has not published its
///   stealers yet: it has pushed no token.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Per node: its outstanding tokens, their cap and its priority level.
    nodes: Box<[CachePadded<NodeTokens>]>,
    injector: Injector<NodeId>,
    /// Tokens that only worker 0 takes ("Caller tokens").
    caller: CachePadded<Injector<NodeId>>,
    /// `stealers[worker][level]`, set by each worker when it starts.
    stealers: Box<[CachePadded<OnceLock<Stealers>>]>,
    pub(crate) sleep: Sleep,
    /// Per node: the waker of its futures, if it is an async node (`wake.rs`).
    wakers: Box<[Option<Waker>]>,
}

/// The tokens of one node.
#[derive(Debug)]
struct NodeTokens {
    pending: AtomicUsize,
    cap: usize,
    level: usize,
    /// Run by worker 0 only ("Caller tokens").
    on_caller: bool,
    /// How many times its futures' waker was woken (`wake.rs`).
    wakes: AtomicUsize,
}

impl Shared {
    /// Shared state for `threads` workers over a graph of `nodes`, of which the calling thread
    /// alone runs `on_caller`; seeds one token per source. `this` is the `Arc` it goes into,
    /// for the async nodes' wakers (`wake.rs`).
    pub(crate) fn new(
        nodes: &[NodeInfo],
        sources: impl Iterator<Item = NodeId>,
        on_caller: &[NodeId],
        threads: usize,
        this: &Weak<Shared>,
    ) -> Self {
        let shared = Shared {
            nodes: nodes
                .iter()
                .zip(0..)
                .map(|(n, id)| {
                    let on_caller = on_caller.contains(&id);
                    CachePadded::new(NodeTokens {
                        pending: AtomicUsize::new(0),
                        // A source may be split between workers (`para_core::Split`); an
                        // iterator source turns surplus tokens away with its claim.
                        cap: match n.kind() {
                            _ if on_caller => 1,
                            NodeKind::Source => threads,
                            kind if kind.is_serial() => 1,
                            _ => threads,
                        },
                        level: usize::from(n.priority().min(MAX_PRIORITY)),
                        on_caller,
                        wakes: AtomicUsize::new(0),
                    })
                })
                .collect(),
            injector: Injector::new(),
            caller: CachePadded::new(Injector::new()),
            stealers: (0..threads)
                .map(|_| CachePadded::new(OnceLock::new()))
                .collect(),
            sleep: Sleep::default(),
            wakers: nodes
                .iter()
                .zip(0..)
                .map(|(n, node)| {
                    (n.kind() == NodeKind::Async).then(|| {
                        Waker::from(Arc::new(NodeWaker {
                            shared: this.clone(),
                            node,
                        }))
                    })
                })
                .collect(),
        };
        for source in sources {
            let tokens = &shared.nodes[usize::from(source)];
            tokens.pending.store(1, Ordering::Relaxed);
            if tokens.on_caller {
                shared.caller.push(source);
            } else {
                shared.injector.push(source);
            }
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
        let tokens = &self.nodes[usize::from(node)];
        let (pending, cap) = (&tokens.pending, tokens.cap);
        let mut seen = pending.load(Ordering::Acquire);
        loop {
            let next = if seen < cap { seen + 1 } else { seen };
            match pending.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return seen < cap,
                Err(now) => seen = now,
            }
        }
    }

    /// A waker of async node `node` was woken (`wake.rs`, "Protocol").
    pub(crate) fn wake_node(&self, node: NodeId) {
        self.nodes[usize::from(node)]
            .wakes
            .fetch_add(1, Ordering::Release);
        if self.take_token(node) {
            self.injector.push(node);
            self.sleep.wake_one();
        }
    }

    /// Hands back the token of `node` just before running it.
    #[inline]
    fn return_token(&self, node: NodeId) {
        self.nodes[usize::from(node)]
            .pending
            .fetch_sub(1, Ordering::AcqRel);
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
    /// Worker `index` of the run: allocates its deques on the calling thread and publishes
    /// their stealers (see [`Shared`], "Cache lines").
    pub(crate) fn start(index: usize, shared: &'s Shared) -> Self {
        let local: Deques = std::array::from_fn(|_| Worker::new_lifo());
        let stealers: Stealers = std::array::from_fn(|level| local[level].stealer());
        if shared.stealers[index].set(stealers).is_err() {
            unreachable!("each worker index runs once");
        }
        WorkerCx {
            index,
            local,
            shared,
        }
    }

    /// The next token: our own deques, highest priority first, then the other workers'
    /// deques, highest priority first, then the injector (the sources' first tokens); retried
    /// while a steal reports contention (crossbeam-deque's `find_task` loop).
    ///
    /// An empty deque is skipped with `is_empty` (two loads) before `steal`: a steal pins
    /// crossbeam-epoch, and every so many pins advance the global epoch by walking every thread
    /// registered with it. With hundreds of workers, idle ones scanning empty deques spent most
    /// of the CPU there (`Global::try_advance`, 55% of a 256-thread run). Skipping keeps the
    /// sleep protocol's last look sound: `is_empty` reads `back` after the sleeper's SeqCst
    /// fence, as `steal` does.
    ///
    /// Returns the node and whether it was stolen from another worker's deque.
    fn find_task(&self) -> Option<(NodeId, bool)> {
        if let Some(node) = self.local.iter().rev().find_map(Worker::pop) {
            return Some((node, false));
        }
        if self.index == 0 && !self.shared.caller.is_empty() {
            loop {
                match self.shared.caller.steal() {
                    Steal::Success(node) => return Some((node, false)),
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        let stealers = &self.shared.stealers;
        loop {
            let mut retry = false;
            for level in (0..LEVELS).rev() {
                for offset in 1..stealers.len() {
                    let Some(victim) = stealers[(self.index + offset) % stealers.len()].get()
                    else {
                        continue; // not started: no token to steal
                    };
                    let victim = &victim[level];
                    if victim.is_empty() {
                        continue;
                    }
                    match victim.steal() {
                        Steal::Success(node) => return Some((node, true)),
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
                Steal::Success(node) => return Some((node, false)),
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
        self.local[self.shared.nodes[usize::from(node)].level].push(node);
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
        let probe = graph.probe();
        while !graph.is_ended() {
            if let Some((node, stolen)) = self.find_task() {
                if let (true, Some(probe)) = (stolen, probe) {
                    stats::stole(probe, self.index);
                }
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
            if let Some((node, _)) = self.find_task() {
                sleep.cancel();
                idle = false;
                graph.leave_idle();
                self.shared.return_token(node);
                graph.run_node(node, self);
            } else {
                let since = probe.and_then(|probe| stats::sleeping(probe, self.index));
                sleep.wait(epoch, || graph.is_ended());
                if let Some(probe) = probe {
                    stats::slept(probe, self.index, since);
                }
            }
            backoff.reset();
        }
        if idle {
            graph.leave_idle();
        }
    }
}

impl WorkerCx<'_> {
    /// Hands a token for a node only worker 0 runs to worker 0 ("Caller tokens").
    #[cold]
    fn to_caller(&self, node: NodeId) {
        self.shared.caller.push(node);
        if self.index != 0 {
            self.shared.sleep.wake_all_sleeping();
        }
    }
}

impl Scheduler for WorkerCx<'_> {
    #[inline]
    fn notify(&mut self, node: NodeId) {
        if !self.shared.take_token(node) {
            return;
        }
        if self.shared.nodes[usize::from(node)].on_caller {
            self.to_caller(node);
        } else if self.push(node) > 1 {
            // We pop one token next ourselves; wake a sleeper only for the surplus.
            self.shared.sleep.wake_one();
        }
    }

    #[inline]
    fn offer(&mut self, node: NodeId) {
        if !self.shared.take_token(node) {
            return;
        }
        if self.shared.nodes[usize::from(node)].on_caller {
            self.to_caller(node);
        } else {
            self.push(node);
            self.shared.sleep.wake_one();
        }
    }

    /// Behind everything: the injector, which a worker looks at after its own deques and the
    /// other workers' (and which has no priority levels).
    fn defer(&mut self, node: NodeId) {
        if !self.shared.take_token(node) {
            return;
        }
        if self.shared.nodes[usize::from(node)].on_caller {
            self.to_caller(node);
        } else {
            self.shared.injector.push(node);
            self.shared.sleep.wake_one();
        }
    }

    fn poll_later(&mut self, node: NodeId) {
        // As `defer`, without waking a sleeper: the node has nothing to do yet, and this
        // worker, awake, finds the token in the injector itself before it could sleep.
        if self.shared.take_token(node) {
            self.shared.injector.push(node);
        }
    }

    fn end(&mut self) {
        self.shared.sleep.wake_all();
    }

    fn worker(&self) -> usize {
        self.index
    }

    fn waker(&mut self, node: NodeId) -> Waker {
        match &self.shared.wakers[usize::from(node)] {
            Some(waker) => waker.clone(),
            None => Waker::noop().clone(),
        }
    }

    fn wakes(&self, node: NodeId) -> usize {
        self.shared.nodes[usize::from(node)]
            .wakes
            .load(Ordering::Acquire)
    }
}
