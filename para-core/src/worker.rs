//! The plain worker loop: what every core of a bare-metal chip runs on one shared graph.
//!
//! It needs no deque, no allocator and no OS. Instead of remembering which nodes were notified, it
//! scans every node on each round: by priority, highest first, and within a priority from the last
//! node to the first (the reverse of the order `pipeline!` numbers them in), so the nodes closest
//! to the output — the serial ones that bound throughput, and the ones that free queue space — are
//! served first. A node with nothing to do costs a couple of loads. para-std replaces the scan with
//! work-stealing deques; the node steps it runs are the same.

use crate::graph::{Graph, NodeId, Scheduler, MAX_PRIORITY};
use crate::sync::spin_hint;
use crate::Cx;

/// The [`Scheduler`] of the scanning loop: the scan reaches every node, so notifications need no
/// memory of their own.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan;

impl Scheduler for Scan {
    fn notify(&mut self, _node: NodeId) {}
}

/// [`Scan`] on a core that knows its index among the run's cores: fold sinks' steps try that
/// core's accumulator first (`fold.rs`).
struct ScanOn(usize);

impl Scheduler for ScanOn {
    fn notify(&mut self, _node: NodeId) {}

    fn worker(&self) -> usize {
        self.0
    }
}

impl<D> Graph<'_, D>
where
    D: Fn(NodeId, &mut Cx<'_>) -> bool + Sync,
{
    /// Runs nodes until the run ends: every core of a chip calls this on the same graph.
    ///
    /// Returns the number of node steps this core ran that did work.
    pub fn work(&self) -> usize {
        self.work_on(0)
    }

    /// [`work`](Self::work) on core `core` of the run's cores.
    pub(crate) fn work_on(&self, core: usize) -> usize {
        let mut scan = ScanOn(core);
        let mut steps = 0;
        let count = self.nodes().len() as NodeId;
        self.join_worker();
        let mut idle = false;
        while !self.is_ended() {
            let mut progressed = false;
            for priority in (0..=MAX_PRIORITY).rev() {
                for node in (0..count).rev() {
                    if self.nodes()[usize::from(node)].priority().min(MAX_PRIORITY) == priority
                        && self.run_node(node, &mut scan)
                    {
                        steps += 1;
                        progressed = true;
                    }
                }
            }
            if progressed && idle {
                self.leave_idle();
            } else if !progressed && !idle {
                self.enter_idle();
            }
            idle = !progressed;
            if !progressed {
                spin_hint();
            }
        }
        if idle {
            self.leave_idle();
        }
        steps
    }
}
