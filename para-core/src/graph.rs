//! The graph: its static description, its run state, and the one entry point workers call.
//!
//! `pipeline!` generates, on the caller's stack, one queue per node input and one value per node,
//! and a *dispatch* closure that runs node `i` given its index. [`Graph`] bundles that closure
//! with the table of [`NodeInfo`] and the [`RunState`]. A task is a [`NodeId`]; running it is
//! [`Graph::run_node`]. Any loop on any core may call it: para-std's pinned, work-stealing
//! threads, a bare-metal hart, or a test's single thread.
//!
//! # Termination
//!
//! `in_flight` counts every item alive in the graph, plus one per source not yet exhausted. It
//! rises before items become visible (a source counts a batch before pushing it, a fan-out
//! counts its clones before pushing them) and falls after items are consumed (a sink retires a
//! batch after running it). So it reaches zero exactly when every source is exhausted and every
//! item has been consumed; the worker whose decrement reaches zero marks the run finished and
//! tells its scheduler, which wakes everybody. No one ever concludes "done" from an empty pop.
//!
//! # Scheduling contract
//!
//! Whoever changes the state of a node so that it may have work — pushes into its queue, frees
//! space it was blocked on, fails to claim it while another worker holds it — calls
//! [`Scheduler::notify`] for it afterwards. A scheduler must then run that node at some point
//! after the call (para-std: a token in a deque; bare metal: the scan always reaches it). A run
//! of a node that finds nothing to do is cheap and harmless, so spurious notifications are fine;
//! missing ones would hang, and every node-runner in `node.rs` documents where it notifies.

use core::fmt;

use crate::pad::CachePadded;
use crate::stats::Probe;
use crate::sync::{fence, AtomicU8, AtomicUsize, Ordering};

#[cfg(not(loom))]
use crate::sync::AtomicUsize as HintUsize;
/// The atomics of hints — the worker count and the idle count — which decide only how work is
/// split (`share.rs`), never whether it is done. Under loom they are plain atomics, so models
/// explore the protocols rather than every moment a hint could be read.
#[cfg(loom)]
use core::sync::atomic::AtomicUsize as HintUsize;

/// The index of a node in its graph. A task *is* a node index.
pub type NodeId = u16;

/// What kind of node this is, as far as scheduling cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeKind {
    /// Produces items from an iterator; run by one worker at a time.
    Source,
    /// A stateless `Fn + Sync` stage; any number of workers run it at once.
    Parallel,
    /// A stateful `FnMut` middle stage; run by one worker at a time.
    Serial,
    /// A stateful `FnMut` final stage; run by one worker at a time.
    Sink,
    /// A stateless `Fn + Sync` final stage; any number of workers run it at once.
    ParallelSink,
    /// An `async` stage: keeps futures in flight, polled by one worker at a time.
    Async,
}

impl NodeKind {
    /// Whether at most one worker runs the node at a time.
    pub const fn is_serial(self) -> bool {
        !matches!(self, NodeKind::Parallel | NodeKind::ParallelSink)
    }

    /// The default priority of a node of this kind (see [`NodeInfo::priority`]): sources
    /// lowest, so that items already in the graph drain before new ones enter; serial nodes
    /// highest, because they are the usual bottleneck and cannot be helped by other workers.
    pub const fn default_priority(self) -> u8 {
        match self {
            NodeKind::Source => 0,
            NodeKind::Parallel | NodeKind::ParallelSink => 1,
            NodeKind::Serial | NodeKind::Sink | NodeKind::Async => 2,
        }
    }
}

/// The static description of one node. Built with [`NodeInfo::new`] (fields may be added).
#[derive(Clone, Copy, Debug)]
pub struct NodeInfo {
    name: &'static str,
    kind: NodeKind,
    preds: &'static [NodeId],
    priority: u8,
}

impl NodeInfo {
    /// A node of `kind`, fed by `preds`, at its kind's default priority.
    pub const fn new(name: &'static str, kind: NodeKind, preds: &'static [NodeId]) -> Self {
        NodeInfo {
            name,
            kind,
            preds,
            priority: kind.default_priority(),
        }
    }

    /// The same node at scheduling priority `priority` (`0..=`[`MAX_PRIORITY`]).
    pub const fn with_priority(mut self, priority: u8) -> Self {
        self.priority = priority;
        self
    }

    /// The node's source text, for diagnostics.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Its kind.
    pub const fn kind(&self) -> NodeKind {
        self.kind
    }

    /// The nodes that push into its input queue (woken when the queue frees space).
    pub const fn preds(&self) -> &'static [NodeId] {
        self.preds
    }

    /// Scheduling priority, `0..=`[`MAX_PRIORITY`]: when a worker has a choice, it runs nodes of
    /// higher priority first. Defaults to [`NodeKind::default_priority`].
    pub const fn priority(&self) -> u8 {
        self.priority
    }
}

/// The highest node priority.
pub const MAX_PRIORITY: u8 = 3;

/// What a worker loop provides to the engine: a way to make sure a node runs later.
///
/// The contract: whoever changes the state of a node so that it may have work — pushes into
/// its queue, frees space it was blocked on, fails to claim it while another worker holds it —
/// calls [`notify`](Scheduler::notify) for it afterwards, and the scheduler must then run that
/// node at some point after the call (para-std: a token in a deque; [`Scan`](crate::Scan):
/// the scan always reaches it). A run of a node that finds nothing to do is cheap and
/// harmless, so spurious notifications are fine; missing ones would hang. A run ends by
/// counting, never by an empty pop: every item alive is counted, and the step whose count
/// reaches zero ends the run and calls [`end`](Scheduler::end).
pub trait Scheduler {
    /// `node` may have work: it must run at some point after this call (see module docs).
    fn notify(&mut self, node: NodeId);

    /// Like [`notify`](Scheduler::notify), but this worker is busy right now, so an idle worker
    /// should take the node at once. Defaults to `notify`.
    fn offer(&mut self, node: NodeId) {
        self.notify(node);
    }

    /// Like [`notify`](Scheduler::notify), but the node has just run and would run on and on
    /// with nothing to stop it (no full queue downstream): let the worker's other notified
    /// nodes run first, or they could starve. Defaults to `notify`, which a scheduler that
    /// serves every node in turn (the scanning loop) may keep.
    fn defer(&mut self, node: NodeId) {
        self.notify(node);
    }

    /// Like [`defer`](Scheduler::defer), but the node found nothing to do and must only be
    /// asked again later (a [`Feed`](crate::Feed) waiting for its producer): no worker needs
    /// waking for it. Defaults to `defer`.
    fn poll_later(&mut self, node: NodeId) {
        self.defer(node);
    }

    /// The run has ended (finished or aborted): every worker should return.
    fn end(&mut self) {}

    /// A waker for the futures of async node `node`: waking it must make the node run at some
    /// point after the call, as [`notify`](Scheduler::notify) does, and it may be kept and
    /// called after the run has ended (it must then do no harm). The default counts the
    /// wake-up in a process-wide counter and holds no pointer (`wake.rs`): enough for a
    /// scheduler that runs every node in turn, as [`Scan`](crate::Scan) does.
    fn waker(&mut self, node: NodeId) -> core::task::Waker {
        let _ = node;
        crate::wake::counting_waker()
    }

    /// How many times the wakers of `node` have been woken (wrapping): an async node polls its
    /// futures when this has changed since it last did. Pairs with [`waker`](Scheduler::waker);
    /// the default reads the process-wide counter.
    fn wakes(&self, node: NodeId) -> usize {
        let _ = node;
        crate::wake::wakes()
    }

    /// This worker's index among the run's workers (`0..workers`), if the loop knows it:
    /// a fold sink's step tries that accumulator slot first (`fold.rs`). Defaults to 0.
    fn worker(&self) -> usize {
        0
    }
}

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABORTED: u8 = 2;
const STOPPED: u8 = 3;

/// Termination and cancellation state of one run. See the module docs.
pub struct RunState {
    in_flight: CachePadded<AtomicUsize>,
    phase: AtomicU8,
    /// How many workers run the graph: steps of parallel nodes share what is queued among them.
    workers: HintUsize,
    /// How many workers have found nothing to do for a while (read by every step between
    /// items, written only when a worker goes idle or finds work again).
    idle: CachePadded<HintUsize>,
    /// Cores that announced they are about to wait for a wake-up (`cores.rs`, "The idle
    /// protocol"); only counted when the cores can sleep.
    sleepers: AtomicUsize,
}

impl RunState {
    fn new(sources: usize) -> Self {
        RunState {
            in_flight: CachePadded(AtomicUsize::new(sources)),
            phase: AtomicU8::new(if sources == 0 { FINISHED } else { RUNNING }),
            workers: HintUsize::new(0),
            idle: CachePadded(HintUsize::new(0)),
            sleepers: AtomicUsize::new(0),
        }
    }
}

impl fmt::Debug for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunState")
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .field("phase", &self.phase.load(Ordering::Relaxed))
            .field("workers", &self.workers.load(Ordering::Relaxed))
            .field("idle", &self.idle.load(Ordering::Relaxed))
            .finish()
    }
}

/// A hook told how many items reached a sink, after each step of a sink that consumed some
/// (`progress = …` in `pipeline!`).
pub type Progress<'a> = &'a (dyn Fn(usize) + Sync);

/// What a node-runner sees of the run: the graph's shape, the run state, the scheduler.
pub struct Cx<'a> {
    pub(crate) nodes: &'a [NodeInfo],
    state: &'a RunState,
    pub(crate) sched: &'a mut dyn Scheduler,
    pub(crate) probe: Option<&'a dyn Probe>,
    pub(crate) progress: Option<Progress<'a>>,
    /// Items this step counted in and out, for a trace (only kept when observed).
    pub(crate) step_items: usize,
    /// When this step began on the probe's clock, if it has one (only kept when observed).
    pub(crate) step_start: Option<u64>,
}

impl Cx<'_> {
    /// Makes sure `node` runs later.
    #[inline]
    pub fn notify(&mut self, node: NodeId) {
        self.sched.notify(node);
    }

    /// Asks an idle worker to run `node` now.
    #[inline]
    pub fn offer(&mut self, node: NodeId) {
        self.sched.offer(node);
    }

    /// Makes sure `node`, which has just run, runs again after the other nodes notified here
    /// ([`Scheduler::defer`]).
    #[inline]
    pub fn defer(&mut self, node: NodeId) {
        self.sched.defer(node);
    }

    /// Makes sure `node`, which found nothing to do, is asked again later
    /// ([`Scheduler::poll_later`]).
    #[inline]
    pub fn poll_later(&mut self, node: NodeId) {
        self.sched.poll_later(node);
    }

    /// Notifies the producers of `node`: its queue has freed space they were waiting for.
    pub fn wake_producers(&mut self, node: NodeId) {
        for &pred in self.nodes[usize::from(node)].preds {
            self.sched.notify(pred);
        }
    }

    /// Counts `n` items about to enter the graph (or clones about to be made).
    #[inline]
    pub fn add_items(&mut self, n: usize) {
        if n > 0 {
            self.state.in_flight.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts `n` items (or source references) gone; finishes the run when none remain.
    #[inline]
    pub fn retire_items(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        // AcqRel: the worker that reaches zero must see every other worker's effects (their
        // sinks' side effects included) before it declares the run finished.
        if self.state.in_flight.fetch_sub(n, Ordering::AcqRel) == n
            && self
                .state
                .phase
                .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.sched.end();
        }
    }

    /// Ends the run early, as asked by a node (an error, a sink that has seen enough): workers
    /// return after their current step and the items still queued are dropped.
    pub fn stop(&mut self) {
        if self
            .state
            .phase
            .compare_exchange(RUNNING, STOPPED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.sched.end();
        }
    }

    /// Whether the run has ended; long-running node loops check it between items.
    #[inline]
    pub fn is_ended(&self) -> bool {
        self.state.phase.load(Ordering::Relaxed) != RUNNING
    }

    /// How many workers run the graph (at least 1): see [`Graph::set_workers`].
    #[inline]
    pub fn workers(&self) -> usize {
        self.state.workers.load(Ordering::Relaxed).max(1)
    }

    /// A waker that makes async node `node` run again ([`Scheduler::waker`]).
    #[inline]
    pub fn waker(&mut self, node: NodeId) -> core::task::Waker {
        self.sched.waker(node)
    }

    /// How often the wakers of `node` were woken ([`Scheduler::wakes`]).
    #[inline]
    pub fn wakes(&self, node: NodeId) -> usize {
        self.sched.wakes(node)
    }

    /// This worker's index, as its loop reports it ([`Scheduler::worker`]).
    #[inline]
    pub fn worker(&self) -> usize {
        self.sched.worker()
    }

    /// Whether some worker has found nothing to do for a while (see [`Graph::enter_idle`]): a
    /// step holding inputs it has not started hands some back (`share.rs`).
    #[inline]
    pub fn has_idle_workers(&self) -> bool {
        self.state.idle.load(Ordering::Relaxed) > 0
    }
}

impl fmt::Debug for Cx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cx")
            .field("state", self.state)
            .finish_non_exhaustive()
    }
}

/// A runnable graph: node table, dispatch closure, run state, and what observes the run.
pub struct Graph<'n, D> {
    nodes: &'n [NodeInfo],
    pub(crate) dispatch: D,
    state: RunState,
    probe: Option<&'n dyn Probe>,
    progress: Option<Progress<'n>>,
}

impl<'n, D> Graph<'n, D>
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    /// A graph over `nodes` whose node `i` is run by `dispatch(i, cx)`, which returns whether
    /// the node did any work. Generated by `pipeline!`; a hand-written graph must follow the
    /// scheduling contract in the module docs.
    pub fn new(nodes: &'n [NodeInfo], dispatch: D) -> Self {
        assert!(
            nodes.len() <= usize::from(NodeId::MAX),
            "para: too many nodes in one graph"
        );
        let sources = nodes.iter().filter(|n| n.kind == NodeKind::Source).count();
        Graph {
            nodes,
            dispatch,
            state: RunState::new(sources),
            probe: None,
            progress: None,
        }
    }

    /// The same graph, counting what its nodes do into `probe` (`stats.rs`).
    pub fn with_probe(mut self, probe: &'n dyn Probe) -> Self {
        self.probe = Some(probe);
        self
    }

    /// The same graph, telling `progress` how many items reached a sink after each sink step
    /// that consumed some. It runs on the worker that ran the step: keep it short.
    pub fn with_progress(mut self, progress: Progress<'n>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Runs one step of `node`: at most one batch. Returns whether it did any work.
    #[inline]
    pub fn run_node(&self, node: NodeId, sched: &mut dyn Scheduler) -> bool {
        let mut cx = Cx {
            nodes: self.nodes,
            state: &self.state,
            sched,
            probe: self.probe,
            progress: self.progress,
            step_items: 0,
            step_start: None,
        };
        match self.probe {
            None => (self.dispatch)(node, &mut cx),
            Some(probe) => self.run_node_probed(node, cx, probe),
        }
    }
}

impl<'n, D> Graph<'n, D> {
    /// What counts this graph's steps, if anything does: a worker loop adds its own counts
    /// (steals, sleeps) to its [`WorkerCounters`](crate::stats::WorkerCounters).
    pub fn probe(&self) -> Option<&'n dyn Probe> {
        self.probe
    }

    /// The node table.
    pub fn nodes(&self) -> &[NodeInfo] {
        self.nodes
    }

    /// The source nodes, where a run starts.
    pub fn sources(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].kind == NodeKind::Source)
            .map(|i| i as NodeId)
    }

    /// Whether the run has ended, finished or aborted. Workers return when it has.
    #[inline]
    pub fn is_ended(&self) -> bool {
        self.state.phase.load(Ordering::Acquire) != RUNNING
    }

    /// Whether a node stopped the run early (an error, or a sink that asked to stop).
    pub fn is_stopped(&self) -> bool {
        self.state.phase.load(Ordering::Acquire) == STOPPED
    }

    /// Whether every item reached every sink it was routed to.
    pub fn is_finished(&self) -> bool {
        self.state.phase.load(Ordering::Acquire) == FINISHED
    }

    /// Says how many workers will run the graph, before they start; steps of parallel nodes
    /// divide what is queued among that many (`share.rs`). [`Graph::work`] counts the cores
    /// that call it, so a bare-metal program that starts its cores one by one may call this
    /// first, so that the first steps already share with all of them.
    pub fn set_workers(&self, workers: usize) {
        self.state.workers.store(workers, Ordering::Relaxed);
    }

    /// Counts one more worker, for [`Graph::work`], whose callers are counted as they come.
    pub(crate) fn join_worker(&self) {
        self.state.workers.fetch_add(1, Ordering::Relaxed);
    }

    /// A worker has found no work for a while (it is about to yield or sleep): steps of
    /// parallel nodes then hand back inputs they hold but have not started. Every call is
    /// paired with a later [`leave_idle`](Self::leave_idle) by the same worker.
    #[inline]
    pub fn enter_idle(&self) {
        // Under loom no worker counts as idle: the models of the ordered protocols would
        // otherwise explore every hand-back too and run for many minutes; the hand-back is
        // argued in `share.rs` and exercised by the scaling tests.
        #[cfg(not(loom))]
        self.state.idle.fetch_add(1, Ordering::Relaxed);
    }

    /// The worker that called [`enter_idle`](Self::enter_idle) has work again.
    #[inline]
    pub fn leave_idle(&self) {
        #[cfg(not(loom))]
        self.state.idle.fetch_sub(1, Ordering::Relaxed);
    }

    /// This core is about to wait for a wake-up (`cores.rs`, "The idle protocol"): counted,
    /// then a full fence, so that the scan it runs next sees any work whose producer did not
    /// see the count.
    pub(crate) fn announce_sleep(&self) {
        self.state.sleepers.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// This core, which announced it would wait, has found work or is leaving.
    pub(crate) fn cancel_sleep(&self) {
        self.state.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    /// After this core made work available (or ended the run): whether a core announced that
    /// it waits, and so must be woken. The fence pairs with [`announce_sleep`](Self::announce_sleep)'s.
    pub(crate) fn has_sleepers(&self) -> bool {
        fence(Ordering::SeqCst);
        self.state.sleepers.load(Ordering::Relaxed) > 0
    }

    /// Stops the run: workers return after their current node step; items still queued are
    /// dropped with the queues. Returns `false` if the run had already ended.
    pub fn abort(&self) -> bool {
        self.state
            .phase
            .compare_exchange(RUNNING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

impl<D> fmt::Debug for Graph<'_, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Graph")
            .field("nodes", &self.nodes)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
