//! [`Stats`]: what each stage and each worker of a run did, timed in nanoseconds, with a row
//! of counters per worker so that workers never share a counter's cache line.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use para_core::__private::StatsArg;
use para_core::stats::{
    self, NodeCounters, NodeMarks, NodeStats, Probe, RunStats, WorkerCounters, WorkerStats,
};
use para_core::{NodeId, NodeInfo, NodeKind};

use crate::threads::Threads;
use crate::trace::Trace;

/// Statistics of a run: `pipeline!(…, stats = &mut stats, …)` fills it; the program reads it
/// after the run.
///
/// Print it (`{}`) for a table: per stage, the items in and out, the steps, how often its
/// output was full (`blocked`), its busy time, its *load* (busy time over the run's: how many
/// workers were inside it on average) and the most items its queue held; per worker, busy
/// and idle time, steals and sleeps. [`Stats::node`] and [`Stats::worker`] give the same
/// values field by field, [`RunStats::bottleneck`] the stage to make faster first, and
/// [`Stats::dot`] the graph as Graphviz DOT with the figures on it.
///
/// ```
/// use para_std::{pipeline, Stats};
///
/// let mut stats = Stats::new();
/// let mut total = 0;
/// pipeline!(2, stats = &mut stats,
///     0..1000u32 => |x| x * 2 => filter |x| x % 3 != 0 => serial |x| total += x);
/// // The two stateless stages run as one node (a fused chain), named by both.
/// let stages = stats.node_named("|x| x * 2 => |x| x % 3 != 0").unwrap();
/// assert_eq!((stages.items_in, stages.items_out), (1000, 666));
/// assert_eq!(stats.node_named("|x| total += x").unwrap().items_in, 666);
/// println!("{stats}");
/// ```
///
/// Without `stats = …` nothing is counted and a run pays nothing for it. With it, each step
/// (a batch of up to 32 items) adds to a few counters of its worker's row and reads the clock
/// twice.
pub struct Stats {
    table: &'static [NodeInfo],
    /// `rows[worker][node]`.
    rows: Vec<Box<[NodeCounters]>>,
    /// The nodes' waits, shared by the workers.
    marks: Vec<NodeMarks>,
    workers: Vec<WorkerCounters>,
    start: Instant,
    /// Nanoseconds from `start` to the run's end.
    wall: AtomicU64,
    /// The timeline, if asked for ([`Stats::with_trace`]).
    trace: Option<Trace>,
}

impl Stats {
    /// Empty statistics, to be filled by a run.
    pub fn new() -> Self {
        Stats {
            table: &[],
            rows: Vec::new(),
            marks: Vec::new(),
            workers: Vec::new(),
            start: Instant::now(),
            wall: AtomicU64::new(0),
            trace: None,
        }
    }

    /// The same, also keeping a timeline of the run: per worker, a span for each step that did
    /// work (its node and items), each sleep, and a mark for each steal — the last
    /// `events_per_worker` of them (a ring per worker; older ones are let go and counted in
    /// [`trace_dropped`](Self::trace_dropped)). Write it with [`write_trace`](Self::write_trace).
    /// Each event takes 32 bytes.
    pub fn with_trace(mut self, events_per_worker: usize) -> Self {
        self.trace = Some(Trace::new(events_per_worker));
        self
    }

    /// Writes the timeline of the last run as Chrome trace-event JSON (open it in
    /// [Perfetto](https://ui.perfetto.dev) or `chrome://tracing`): one row per worker, times in
    /// microseconds from the run's start.
    ///
    /// # Errors
    /// Those of `out`; [`io::ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) if
    /// these statistics keep no trace (made without [`with_trace`](Self::with_trace)).
    pub fn write_trace(&self, out: impl std::io::Write) -> std::io::Result<()> {
        match &self.trace {
            Some(trace) => trace.write(self.table, out),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "para: these statistics keep no trace: make them with `Stats::with_trace`",
            )),
        }
    }

    /// Events of the last run's trace that did not fit in their worker's ring (0 without a
    /// trace).
    pub fn trace_dropped(&self) -> u64 {
        self.trace.as_ref().map_or(0, Trace::dropped)
    }

    /// What node `node` did, summed over the workers.
    pub fn node(&self, node: NodeId) -> NodeStats {
        RunStats::node(self, node)
    }

    /// What the node written `text` in `pipeline!` did (a fused chain of stages is one node:
    /// its text is theirs joined by ` => `), if there is one.
    pub fn node_named(&self, text: &str) -> Option<NodeStats> {
        let i = self.table.iter().position(|info| info.name() == text)?;
        Some(self.node(i as NodeId))
    }

    /// What every node did, in the order `pipeline!` numbers them (sources first).
    pub fn nodes(&self) -> impl Iterator<Item = NodeStats> + '_ {
        (0..self.table.len()).map(|i| self.node(i as NodeId))
    }

    /// What worker `worker` (0 is the calling thread) did.
    pub fn worker(&self, worker: usize) -> WorkerStats {
        RunStats::worker(self, worker)
    }

    /// The run's length.
    pub fn wall(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(RunStats::wall(self))
    }

    /// The graph that ran, as Graphviz DOT, each box with its figures and the most loaded
    /// one filled red.
    pub fn dot(&self) -> String {
        let mut dot = String::new();
        let _ = stats::write_dot(self, &mut dot);
        dot
    }
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

impl Probe for Stats {
    fn now(&self) -> Option<u64> {
        Some(self.start.elapsed().as_nanos() as u64)
    }

    fn node_counters(&self, worker: usize, node: NodeId) -> &NodeCounters {
        &self.rows[worker % self.rows.len()][usize::from(node)]
    }

    fn worker_counters(&self, worker: usize) -> &WorkerCounters {
        &self.workers[worker % self.workers.len()]
    }

    fn node_marks(&self, node: NodeId) -> &NodeMarks {
        &self.marks[usize::from(node)]
    }

    fn trace_step(&self, worker: usize, node: NodeId, start: u64, end: u64, items: usize) {
        if let Some(trace) = &self.trace {
            trace.step(worker, node, start, end, items);
        }
    }

    fn trace_steal(&self, worker: usize, at: u64) {
        if let Some(trace) = &self.trace {
            trace.steal(worker, at);
        }
    }

    fn trace_sleep(&self, worker: usize, start: u64, end: u64) {
        if let Some(trace) = &self.trace {
            trace.sleep(worker, start, end);
        }
    }
}

impl RunStats for Stats {
    fn nodes(&self) -> &[NodeInfo] {
        self.table
    }

    fn node(&self, node: NodeId) -> NodeStats {
        let mut stats = NodeStats::new(&self.table[usize::from(node)]);
        for row in &self.rows {
            row[usize::from(node)].add_to(&mut stats);
        }
        stats
    }

    fn workers(&self) -> usize {
        self.workers.len()
    }

    fn worker(&self, worker: usize) -> WorkerStats {
        self.workers[worker].read(RunStats::wall(self))
    }

    fn wall(&self) -> u64 {
        self.wall.load(Ordering::Relaxed)
    }

    fn ticks_per_second(&self) -> Option<u64> {
        Some(1_000_000_000)
    }
}

impl StatsArg for Stats {
    const NODES: usize = usize::MAX;

    fn begin(&mut self, table: &'static [NodeInfo], workers: usize) {
        let workers = workers.max(1);
        self.table = table;
        self.rows = (0..workers)
            .map(|_| table.iter().map(|_| NodeCounters::new()).collect())
            .collect();
        self.workers = (0..workers).map(|_| WorkerCounters::new()).collect();
        // Every node but a source waits for its first items from the start.
        self.marks = table
            .iter()
            .map(|info| {
                let marks = NodeMarks::new();
                if info.kind() != NodeKind::Source {
                    marks.input_empty(0);
                }
                marks
            })
            .collect();
        self.wall.store(0, Ordering::Relaxed);
        if let Some(trace) = &mut self.trace {
            trace.begin(workers);
        }
        self.start = Instant::now();
    }

    fn end(&self) {
        let wall = self.start.elapsed().as_nanos() as u64;
        self.wall.store(wall, Ordering::Relaxed);
        for (node, marks) in self.marks.iter().enumerate() {
            marks.end_run(wall, &self.rows[0][node]);
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stats::write_table(self, f)
    }
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("nodes", &self.nodes().collect::<Vec<_>>())
            .field("wall", &self.wall())
            .finish_non_exhaustive()
    }
}

impl para_core::__private::Runners for Threads {
    fn workers(self) -> usize {
        self.0
    }
}
