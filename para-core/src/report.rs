//! Statistics read after a run: [`Stats`], para-core's probe, and the table and the annotated
//! Graphviz picture that any probe's totals print as ([`RunStats`]).

use core::fmt;

use crate::graph::{NodeId, NodeInfo, NodeKind};
use crate::stats::{Clock, NodeCounters, NodeMarks, NodeStats, Probe, WorkerCounters, WorkerStats};
use crate::sync::{AtomicUsize, Ordering};

/// The totals of a run, however they were counted: what the table and the picture print.
pub trait RunStats {
    /// The node table of the graph that ran (empty before any run).
    fn nodes(&self) -> &[NodeInfo];
    /// What node `node` did.
    fn node(&self, node: NodeId) -> NodeStats;
    /// How many workers ran the graph.
    fn workers(&self) -> usize;
    /// What worker `worker` did.
    fn worker(&self, worker: usize) -> WorkerStats;
    /// The run's length in ticks, from the start of the run to its end (0 without a clock).
    fn wall(&self) -> u64;
    /// Ticks per second of the clock, if known: times then print in milliseconds.
    fn ticks_per_second(&self) -> Option<u64>;

    /// A node's load: its busy time over the run's, i.e. how many workers were inside it on
    /// average. `None` without a clock.
    fn load(&self, node: NodeId) -> Option<f64> {
        let wall = self.wall();
        (wall > 0).then(|| self.node(node).busy as f64 / wall as f64)
    }

    /// The node whose load is closest to what it can take — 1 for a node one worker runs at
    /// a time, the worker count for the others: the one to make faster first. `None` without
    /// a clock or with no node.
    fn bottleneck(&self) -> Option<NodeId> {
        let workers = self.workers().max(1) as f64;
        let share = |i: usize| {
            let most = if self.nodes()[i].kind().is_serial() {
                1.0
            } else {
                workers
            };
            self.load(i as NodeId).map(|load| load / most)
        };
        (0..self.nodes().len())
            .filter_map(|i| Some((i, share(i)?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i as NodeId)
    }
}

/// A table of `stats`, one line per node and one per worker, for `{}`.
pub fn write_table(stats: &dyn RunStats, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let time = Time(stats.ticks_per_second());
    writeln!(
        f,
        "{:<4} {:<8} {:>10} {:>10} {:>8} {:>8} {:>10} {:>6} {:>10} {:>10} {:>6} {:>9}  stage",
        "node",
        "kind",
        "items in",
        "items out",
        "steps",
        "blocked",
        "busy",
        "load",
        "out full",
        "in empty",
        "peak",
        "futures"
    )?;
    let bottleneck = stats.bottleneck();
    for i in 0..stats.nodes().len() {
        let node = stats.node(i as NodeId);
        let load = stats.load(i as NodeId);
        writeln!(
            f,
            "{:<4} {:<8} {:>10} {:>10} {:>8} {:>8} {:>10} {:>6} {:>10} {:>10} {:>6} {:>9}  {}{}",
            i,
            kind(node.kind),
            node.items_in,
            node.items_out,
            node.steps,
            node.blocked,
            time.show(node.busy),
            Load(load),
            time.show(node.waited_full),
            time.show(node.waited_empty),
            node.queue_peak,
            Futures(in_flight(stats, &node)),
            first_line(node.name),
            if bottleneck == Some(i as NodeId) {
                "   <- most loaded"
            } else {
                ""
            },
        )?;
    }
    writeln!(
        f,
        "{:<6} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "worker", "steps", "busy", "idle", "steals", "sleeps"
    )?;
    for w in 0..stats.workers() {
        let worker = stats.worker(w);
        writeln!(
            f,
            "{:<6} {:>10} {:>10} {:>10} {:>8} {:>8}",
            w,
            worker.steps,
            time.show(worker.busy),
            time.show(worker.idle),
            worker.steals,
            worker.sleeps
        )?;
    }
    write!(f, "run: {}", time.show(stats.wall()))
}

/// The graph as Graphviz DOT, each node annotated with its items, steps and load; the most
/// loaded node ([`RunStats::bottleneck`]) is filled red.
pub fn write_dot(stats: &dyn RunStats, out: &mut dyn fmt::Write) -> fmt::Result {
    let time = Time(stats.ticks_per_second());
    let bottleneck = stats.bottleneck();
    out.write_str(
        "digraph pipeline {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    )?;
    for (i, info) in stats.nodes().iter().enumerate() {
        let node = stats.node(i as NodeId);
        write!(out, "  n{i} [label=\"{}\\n", kind(node.kind))?;
        for (n, line) in node.name.split(" => ").enumerate() {
            let arrow = if n == 0 { "" } else { "=> " };
            write!(out, "{arrow}{}\\n", Escaped(line))?;
        }
        write!(
            out,
            "in {} / out {} / steps {} / blocked {}",
            node.items_in, node.items_out, node.steps, node.blocked
        )?;
        if let Some(load) = stats.load(i as NodeId) {
            write!(
                out,
                "\\nbusy {} / load {load:.2}\\nwaited: output full {} / input empty {}",
                time.show(node.busy),
                time.show(node.waited_full),
                time.show(node.waited_empty)
            )?;
        }
        if let Some((average, peak)) = in_flight(stats, &node) {
            write!(
                out,
                "\\nfutures in flight: {average:.1} on average, {peak} at most"
            )?;
        }
        out.write_str("\"")?;
        if bottleneck == Some(i as NodeId) {
            out.write_str(", style=filled, fillcolor=\"#f4b6b6\"")?;
        }
        out.write_str("];\n")?;
        for &pred in info.preds() {
            writeln!(out, "  n{pred} -> n{i};")?;
        }
    }
    writeln!(
        out,
        "  label=\"{} workers, run {}\";\n  labelloc=b;\n}}",
        stats.workers(),
        time.show(stats.wall())
    )
}

fn kind(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Source => "source",
        NodeKind::Parallel => "parallel",
        NodeKind::Serial => "serial",
        NodeKind::Sink => "sink",
        NodeKind::ParallelSink => "sink",
        NodeKind::Async => "async",
    }
}

/// The first line of a stage's text: the table keeps one line per node.
fn first_line(name: &str) -> &str {
    name.lines().next().unwrap_or("")
}

/// Ticks shown in milliseconds when the clock's rate is known, else as ticks.
#[derive(Clone, Copy)]
struct Time(Option<u64>);

impl Time {
    fn show(self, ticks: u64) -> impl fmt::Display {
        struct Shown(Option<u64>, u64);
        impl fmt::Display for Shown {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0 {
                    Some(rate) => {
                        let ms = self.1 as f64 * 1000.0 / rate.max(1) as f64;
                        f.pad(&Fixed(ms).text())
                    }
                    None => fmt::Display::fmt(&self.1, f),
                }
            }
        }
        Shown(self.0, ticks)
    }
}

/// A number with one decimal and " ms", formatted without an allocator.
struct Fixed(f64);

impl Fixed {
    fn text(&self) -> arrayvec::ArrayString<32> {
        let mut text = arrayvec::ArrayString::new();
        let _ = fmt::write(&mut text, format_args!("{:.1} ms", self.0));
        text
    }
}

struct Load(Option<f64>);

impl fmt::Display for Load {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(load) => {
                let mut text = arrayvec::ArrayString::<32>::new();
                let _ = fmt::write(&mut text, format_args!("{load:.2}"));
                f.pad(&text)
            }
            None => f.pad("-"),
        }
    }
}

/// An async node's futures in flight: on average (if the run was timed) and at most.
fn in_flight(stats: &dyn RunStats, node: &NodeStats) -> Option<(f64, usize)> {
    if node.kind != NodeKind::Async {
        return None;
    }
    let average = match stats.wall() {
        0 => 0.0,
        wall => node.in_flight as f64 / wall as f64,
    };
    Some((average, node.in_flight_peak))
}

/// The futures column: average/peak, or `-` for a node that is not async.
struct Futures(Option<(f64, usize)>);

impl fmt::Display for Futures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some((average, peak)) => {
                let mut text = arrayvec::ArrayString::<32>::new();
                let _ = fmt::write(&mut text, format_args!("{average:.1}/{peak}"));
                f.pad(&text)
            }
            None => f.pad("-"),
        }
    }
}

/// A stage's text inside a DOT string: quotes and backslashes escaped.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '"' | '\\' => write!(f, "\\{c}")?,
                '\n' => f.write_str("\\n")?,
                c => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// Statistics of a run on para-core, with no allocator: room for `NODES` nodes and `WORKERS`
/// workers (cores beyond it share rows), filled by `pipeline!(…, stats = &mut stats, …)`.
///
/// Times need a clock ([`Stats::with_clock`], e.g. a cycle counter); without one the counts
/// are still kept. Print it with `{}` for a table, or [`write_dot`] for a picture.
pub struct Stats<const NODES: usize = 32, const WORKERS: usize = 8> {
    table: &'static [NodeInfo],
    counters: [NodeCounters; NODES],
    marks: [NodeMarks; NODES],
    worker_counters: [WorkerCounters; WORKERS],
    workers: usize,
    clock: Option<(Clock, u64)>,
    started: u64,
    /// Ticks from `started` to the run's end (`usize`: see the stats module's "Counting").
    wall: AtomicUsize,
}

impl<const NODES: usize, const WORKERS: usize> Stats<NODES, WORKERS> {
    /// Statistics without a clock: counts only.
    pub fn new() -> Self {
        Stats {
            table: &[],
            counters: core::array::from_fn(|_| NodeCounters::new()),
            marks: core::array::from_fn(|_| NodeMarks::new()),
            worker_counters: core::array::from_fn(|_| WorkerCounters::new()),
            workers: 0,
            clock: None,
            started: 0,
            wall: AtomicUsize::new(0),
        }
    }

    /// The same, timed by `clock`, which ticks `ticks_per_second` times a second.
    pub fn with_clock(mut self, clock: Clock, ticks_per_second: u64) -> Self {
        self.clock = Some((clock, ticks_per_second));
        self
    }

    /// A run of the graph of `table` on `workers` cores starts: counters back to zero.
    ///
    /// # Panics
    /// If the graph has more than `NODES` nodes (`pipeline!` checks it when it compiles).
    pub fn begin(&mut self, table: &'static [NodeInfo], workers: usize) {
        assert!(
            table.len() <= NODES,
            "para: this pipeline has {} nodes and its Stats room for {NODES}: write Stats::<{}>",
            table.len(),
            table.len()
        );
        self.table = table;
        self.workers = workers.clamp(1, WORKERS);
        self.counters.iter().for_each(NodeCounters::reset);
        self.worker_counters.iter().for_each(WorkerCounters::reset);
        self.wall.store(0, Ordering::Relaxed);
        self.started = self.now().unwrap_or(0);
        for (info, marks) in table.iter().zip(&self.marks) {
            marks.reset();
            if info.kind() != NodeKind::Source && self.clock.is_some() {
                marks.input_empty(self.started); // nothing has arrived yet
            }
        }
    }

    /// The run has ended: its length is taken.
    pub fn end(&self) {
        if let Some(now) = self.now() {
            let wall = now.wrapping_sub(self.started) as usize;
            self.wall.store(wall, Ordering::Relaxed);
            for (marks, counters) in self.marks.iter().zip(&self.counters) {
                marks.end_run(now, counters);
            }
        }
    }
}

impl<const NODES: usize, const WORKERS: usize> Default for Stats<NODES, WORKERS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const NODES: usize, const WORKERS: usize> Probe for Stats<NODES, WORKERS> {
    fn now(&self) -> Option<u64> {
        self.clock.map(|(clock, _)| clock())
    }

    fn node_counters(&self, _worker: usize, node: NodeId) -> &NodeCounters {
        &self.counters[usize::from(node)]
    }

    fn worker_counters(&self, worker: usize) -> &WorkerCounters {
        &self.worker_counters[worker % WORKERS]
    }

    fn node_marks(&self, node: NodeId) -> &NodeMarks {
        &self.marks[usize::from(node)]
    }
}

impl<const NODES: usize, const WORKERS: usize> RunStats for Stats<NODES, WORKERS> {
    fn nodes(&self) -> &[NodeInfo] {
        self.table
    }

    fn node(&self, node: NodeId) -> NodeStats {
        let mut stats = NodeStats::new(&self.table[usize::from(node)]);
        self.counters[usize::from(node)].add_to(&mut stats);
        stats
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn worker(&self, worker: usize) -> WorkerStats {
        self.worker_counters[worker].read(self.wall())
    }

    fn wall(&self) -> u64 {
        self.wall.load(Ordering::Relaxed) as u64
    }

    fn ticks_per_second(&self) -> Option<u64> {
        self.clock.map(|(_, rate)| rate)
    }
}

impl<const NODES: usize, const WORKERS: usize> fmt::Display for Stats<NODES, WORKERS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_table(self, f)
    }
}

impl<const NODES: usize, const WORKERS: usize> fmt::Debug for Stats<NODES, WORKERS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("nodes", &self.table.len())
            .field("workers", &self.workers)
            .field("wall", &self.wall())
            .finish_non_exhaustive()
    }
}
