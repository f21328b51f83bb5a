//! The timeline of a run, for [`Stats::with_trace`](crate::Stats::with_trace): per worker, a
//! span for every step that did work (the node, its items), every sleep, and a mark for every
//! steal, written as Chrome's trace-event JSON (Perfetto and `chrome://tracing` open it).
//!
//! # Memory
//!
//! Each worker keeps its last `capacity` events in a ring: a long run keeps its end, and
//! [`Trace::dropped`] says how many older events were let go. A worker only ever locks its own
//! ring during the run, so the locks are uncontended; they are read after the run.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use para_core::{NodeId, NodeInfo};
use serde_json::json;

/// What happened on a worker.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A step of a node that did work, moving `items` items (in and out).
    Step {
        node: NodeId,
        start: u64,
        end: u64,
        items: usize,
    },
    /// The worker slept for want of work.
    Sleep { start: u64, end: u64 },
    /// The worker took a task from another worker's deque.
    Steal { at: u64 },
}

/// The last events of one worker.
#[derive(Debug)]
struct Ring {
    events: VecDeque<Event>,
    dropped: u64,
}

/// Every worker's ring.
#[derive(Debug)]
pub(crate) struct Trace {
    capacity: usize,
    rings: Vec<Mutex<Ring>>,
}

impl Trace {
    /// Rings of `capacity` events (at least 1) per worker; sized by [`begin`](Self::begin).
    pub(crate) fn new(capacity: usize) -> Self {
        Trace {
            capacity: capacity.max(1),
            rings: Vec::new(),
        }
    }

    /// A run on `workers` workers starts: empty rings. Their memory is taken as they fill.
    pub(crate) fn begin(&mut self, workers: usize) {
        self.rings = (0..workers)
            .map(|_| {
                Mutex::new(Ring {
                    events: VecDeque::new(),
                    dropped: 0,
                })
            })
            .collect();
    }

    fn push(&self, worker: usize, event: Event) {
        let Some(ring) = self.rings.get(worker) else {
            return;
        };
        let mut ring = ring.lock().unwrap_or_else(PoisonError::into_inner);
        if ring.events.len() == self.capacity {
            ring.events.pop_front();
            ring.dropped += 1;
        }
        ring.events.push_back(event);
    }

    pub(crate) fn step(&self, worker: usize, node: NodeId, start: u64, end: u64, items: usize) {
        self.push(
            worker,
            Event::Step {
                node,
                start,
                end,
                items,
            },
        );
    }

    pub(crate) fn sleep(&self, worker: usize, start: u64, end: u64) {
        self.push(worker, Event::Sleep { start, end });
    }

    pub(crate) fn steal(&self, worker: usize, at: u64) {
        self.push(worker, Event::Steal { at });
    }

    /// Events let go because a ring was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.rings
            .iter()
            .map(|ring| ring.lock().unwrap_or_else(PoisonError::into_inner).dropped)
            .sum()
    }

    /// Writes the trace-event JSON of the events kept; `nodes` names the steps' nodes.
    pub(crate) fn write(&self, nodes: &[NodeInfo], out: impl Write) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        let mut first = true;
        let mut event = |out: &mut io::BufWriter<_>, value: serde_json::Value| -> io::Result<()> {
            if !std::mem::take(&mut first) {
                out.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut *out, &value).map_err(io::Error::from)
        };
        event(
            &mut out,
            json!({"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "para run"}}),
        )?;
        for (worker, ring) in self.rings.iter().enumerate() {
            let ring = ring.lock().unwrap_or_else(PoisonError::into_inner);
            let name = format!("worker {worker}");
            event(
                &mut out,
                json!({"ph": "M", "pid": 1, "tid": worker, "name": "thread_name",
                       "args": {"name": name}}),
            )?;
            for &e in &ring.events {
                // Trace-event times are microseconds; ours are nanoseconds.
                let us = |ns: u64| ns as f64 / 1000.0;
                let value = match e {
                    Event::Step {
                        node,
                        start,
                        end,
                        items,
                    } => {
                        let info = &nodes[usize::from(node)];
                        json!({"ph": "X", "pid": 1, "tid": worker, "name": info.name(),
                               "cat": "step", "ts": us(start), "dur": us(end - start),
                               "args": {"node": node, "items": items}})
                    }
                    Event::Sleep { start, end } => {
                        json!({"ph": "X", "pid": 1, "tid": worker, "name": "sleep",
                               "cat": "sleep", "ts": us(start), "dur": us(end - start)})
                    }
                    Event::Steal { at } => {
                        json!({"ph": "i", "s": "t", "pid": 1, "tid": worker, "name": "steal",
                               "cat": "steal", "ts": us(at)})
                    }
                };
                event(&mut out, value)?;
            }
        }
        out.write_all(b"\n]}\n")?;
        out.flush()
    }
}
