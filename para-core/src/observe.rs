//! How a run is observed: each step counted and timed into the graph's [`Probe`] (the
//! statistics, `stats.rs`), and the items reaching a sink reported to the progress hook.
//!
//! Every step kind calls the `Cx::count*` methods at fixed points of its protocol (`node.rs`,
//! "Item accounting"): [`Cx::count`] once per step that moved items, [`Cx::count_blocked`] when
//! the reservation downstream found no room, [`Cx::count_queued`] as it begins and
//! [`Cx::count_left`] as it ends. A run nobody observes pays a test of two `None`s per call;
//! the work is out of line and `#[cold]`, so it stays out of the steps' hot code.

use crate::graph::{Cx, Graph, NodeId, NodeKind};
use crate::stats::Probe;

impl Cx<'_> {
    /// A step of `node` took `items_in` items from its input and gave out `items_out` (the
    /// statistics, `stats.rs`, and the progress hook of a sink). Every step that moved items
    /// calls it once, before it ends.
    #[inline]
    pub fn count(&mut self, node: NodeId, items_in: usize, items_out: usize) {
        if self.probe.is_some() || self.progress.is_some() {
            self.count_observed(node, items_in, items_out);
        }
    }

    /// [`count`](Self::count) when something observes the run: out of line, so that the steps
    /// of a run that nobody observes carry only the test.
    #[cold]
    #[inline(never)]
    fn count_observed(&mut self, node: NodeId, items_in: usize, items_out: usize) {
        let sink = matches!(
            self.nodes[usize::from(node)].kind(),
            NodeKind::Sink | NodeKind::ParallelSink
        );
        if let Some(probe) = self.probe {
            // What a sink's closure returns goes nowhere: it gives out no items.
            let items_out = if sink { 0 } else { items_out };
            self.step_items += items_in + items_out;
            let counters = probe.node_counters(self.sched.worker(), node);
            counters.items(items_in, items_out);
            if let Some(start) = self.step_start {
                // This step found room and items: waits that began before it are over.
                probe.node_marks(node).end_waits(start, counters);
            }
        }
        if let (Some(progress), true) = (self.progress, sink && items_in > 0) {
            progress(items_in);
        }
    }

    /// A step of `node` found no room downstream: it waits on the node after it.
    #[inline]
    pub fn count_blocked(&mut self, node: NodeId) {
        if let Some(probe) = self.probe {
            count_blocked(probe, self.sched.worker(), node);
        }
    }

    /// A step of `node` that took items ends with `queued()` items left in its input: if none,
    /// the node waits on the nodes before it from now on (`queued` is only called when
    /// statistics are kept with a clock).
    #[inline]
    pub fn count_left(&mut self, node: NodeId, queued: impl FnOnce() -> usize) {
        if let Some(probe) = self.probe {
            if queued() == 0 {
                count_emptied(probe, node);
            }
        }
    }

    /// A step of async node `node` leaves `now` futures in flight; `seen` keeps, in the node,
    /// how many there were since when (`in_flight` in [`NodeStats`](crate::stats::NodeStats)).
    #[inline]
    pub fn count_in_flight(&mut self, node: NodeId, seen: &mut InFlight, now: usize) {
        if let Some(probe) = self.probe {
            count_in_flight(probe, self.sched.worker(), node, seen, now);
        }
    }

    /// A step of `node` begins with `queued()` items in its input (for the high-water mark;
    /// `queued` is only called when statistics are kept).
    #[inline]
    pub fn count_queued(&mut self, node: NodeId, queued: impl FnOnce() -> usize) {
        if let Some(probe) = self.probe {
            probe
                .node_counters(self.sched.worker(), node)
                .queued(queued());
        }
    }
}

/// An async node's futures in flight since its last step (claimed: one step at a time).
#[derive(Debug, Default)]
pub struct InFlight {
    count: usize,
    since: u64,
}

#[cold]
#[inline(never)]
fn count_in_flight(
    probe: &dyn Probe,
    worker: usize,
    node: NodeId,
    seen: &mut InFlight,
    now: usize,
) {
    let tick = probe.now();
    let ticks = match tick {
        Some(tick) if seen.count > 0 => tick.wrapping_sub(seen.since) as usize,
        _ => 0,
    };
    probe
        .node_counters(worker, node)
        .in_flight(seen.count, ticks, now);
    *seen = InFlight {
        count: now,
        since: tick.unwrap_or(0),
    };
}

#[cold]
#[inline(never)]
fn count_blocked(probe: &dyn Probe, worker: usize, node: NodeId) {
    probe.node_counters(worker, node).blocked();
    if let Some(now) = probe.now() {
        probe.node_marks(node).output_full(now);
    }
}

#[cold]
#[inline(never)]
fn count_emptied(probe: &dyn Probe, node: NodeId) {
    if let Some(now) = probe.now() {
        probe.node_marks(node).input_empty(now);
    }
}

impl<D> Graph<'_, D>
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    /// [`run_node`](Self::run_node) with statistics: the step is counted and timed.
    #[cold]
    #[inline(never)]
    pub(crate) fn run_node_probed(&self, node: NodeId, mut cx: Cx<'_>, probe: &dyn Probe) -> bool {
        let worker = cx.worker();
        let start = probe.now();
        cx.step_start = start;
        let worked = (self.dispatch)(node, &mut cx);
        let mut ticks = 0;
        if let (Some(start), Some(end)) = (start, probe.now()) {
            ticks = end.wrapping_sub(start) as usize;
            if worked {
                probe.trace_step(worker, node, start, end, cx.step_items);
            }
        }
        probe.node_counters(worker, node).step(worked, ticks);
        if worked {
            probe.worker_counters(worker).step(ticks);
        }
        worked
    }
}
