//! The plain worker loop: what every core of a bare-metal chip runs on one shared graph.
//!
//! It needs no deque, no allocator and no OS. Instead of remembering which nodes were notified, it
//! scans every node on each round: by priority, highest first, and within a priority from the last
//! node to the first (the reverse of the order `pipeline!` numbers them in), so the nodes closest
//! to the output — the serial ones that bound throughput, and the ones that free queue space — are
//! served first. A node with nothing to do costs a couple of loads. para-std replaces the scan with
//! work-stealing deques; the node steps it runs are the same.
//!
//! A core that finds nothing for a while spins, or, when the chip's cores can sleep
//! ([`Sleep`]), announces itself and waits; a core whose step did work wakes the announced ones
//! right after that step. The protocol is in `cores.rs`, "The idle protocol".

use crate::cores::Sleep;
use crate::graph::{Graph, NodeId, Scheduler, MAX_PRIORITY};
use crate::stats;
use crate::sync::spin_hint;
use crate::Cx;

/// The [`Scheduler`] of the scanning loop: the scan reaches every node, so notifications need no
/// memory of their own.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan;

impl Scheduler for Scan {
    fn notify(&mut self, _node: NodeId) {}
}

/// Rounds that found nothing to run before a core that can sleep announces it: short gaps
/// (a queue momentarily empty while another core computes) cost a few spins, not a wake-up.
const SPINS_BEFORE_SLEEP: u32 = 64;

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
        self.work_on(0, None)
    }

    /// [`work`](Self::work) on core `core` of the run's cores, waiting with `sleep` (if any)
    /// when there is nothing to run: the idle protocol in `cores.rs`.
    pub(crate) fn work_on(&self, core: usize, sleep: Option<Sleep>) -> usize {
        let mut scan = ScanOn(core);
        let mut steps = 0;
        self.join_worker();
        let mut idle = false;
        let mut empty_rounds = 0u32;
        let mut announced = false;
        while !self.is_ended() {
            let progressed = self.scan_once(&mut scan, &mut steps, sleep);
            if progressed && idle {
                self.leave_idle();
            } else if !progressed && !idle {
                self.enter_idle();
            }
            idle = !progressed;
            if progressed {
                empty_rounds = 0;
                if announced {
                    self.cancel_sleep();
                    announced = false;
                }
                continue;
            }
            empty_rounds = empty_rounds.saturating_add(1);
            match sleep {
                Some(_) if empty_rounds >= SPINS_BEFORE_SLEEP && !announced => {
                    // Announce, then scan once more before waiting (the Dekker pair).
                    self.announce_sleep();
                    announced = true;
                }
                Some(sleep) if announced => {
                    let since = self.probe().and_then(|probe| stats::sleeping(probe, core));
                    (sleep.wait)(core);
                    if let Some(probe) = self.probe() {
                        stats::slept(probe, core, since);
                    }
                }
                _ => spin_hint(),
            }
        }
        if idle {
            self.leave_idle();
        }
        if announced {
            self.cancel_sleep();
        }
        if let Some(sleep) = sleep {
            // The run has ended: every waiting core must see it and return.
            if self.has_sleepers() {
                (sleep.wake)();
            }
        }
        steps
    }

    /// One round over every node: by priority, highest first, and within a priority from the
    /// last node to the first. Returns whether any step did work.
    ///
    /// With cores that sleep, every step that did work wakes the announced ones at once, not at
    /// the end of the round: a later node of the same round may hold this core for long (a
    /// slow call), and the work the step made must not wait for it.
    fn scan_once(&self, scan: &mut ScanOn, steps: &mut usize, sleep: Option<Sleep>) -> bool {
        let count = self.nodes().len() as NodeId;
        let mut progressed = false;
        for priority in (0..=MAX_PRIORITY).rev() {
            for node in (0..count).rev() {
                if self.nodes()[usize::from(node)].priority().min(MAX_PRIORITY) == priority
                    && self.run_node(node, scan)
                {
                    *steps += 1;
                    progressed = true;
                    if let Some(sleep) = sleep {
                        if self.has_sleepers() {
                            (sleep.wake)();
                        }
                    }
                }
            }
        }
        progressed
    }
}
