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
use std::fmt;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use para_core::{NodeId, NodeInfo};

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
    ///
    /// Written by hand rather than with serde_json: serde_json's `PartialEq<Value>` impls for
    /// the integer types would be seen by every crate that depends on para-std and break type
    /// inference there (`assert_eq!(n, iter.sum())`); the format is a few fixed shapes and one
    /// string escape ([`Json`]).
    pub(crate) fn write(&self, nodes: &[NodeInfo], out: impl Write) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")?;
        out.write_all(br#"{"ph":"M","pid":1,"name":"process_name","args":{"name":"para run"}}"#)?;
        for (worker, ring) in self.rings.iter().enumerate() {
            let ring = ring.lock().unwrap_or_else(PoisonError::into_inner);
            write!(
                out,
                ",\n{{\"ph\":\"M\",\"pid\":1,\"tid\":{worker},\"name\":\"thread_name\",\
                 \"args\":{{\"name\":\"worker {worker}\"}}}}"
            )?;
            for &event in &ring.events {
                out.write_all(b",\n")?;
                match event {
                    Event::Step {
                        node,
                        start,
                        end,
                        items,
                    } => write!(
                        out,
                        "{{\"ph\":\"X\",\"pid\":1,\"tid\":{worker},\"name\":{},\"cat\":\"step\",\
                         \"ts\":{},\"dur\":{},\"args\":{{\"node\":{node},\"items\":{items}}}}}",
                        Json(nodes[usize::from(node)].name()),
                        Micros(start),
                        Micros(end.saturating_sub(start)),
                    )?,
                    Event::Sleep { start, end } => write!(
                        out,
                        "{{\"ph\":\"X\",\"pid\":1,\"tid\":{worker},\"name\":\"sleep\",\
                         \"cat\":\"sleep\",\"ts\":{},\"dur\":{}}}",
                        Micros(start),
                        Micros(end.saturating_sub(start)),
                    )?,
                    Event::Steal { at } => write!(
                        out,
                        "{{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":{worker},\
                         \"name\":\"steal\",\"cat\":\"steal\",\"ts\":{}}}",
                        Micros(at),
                    )?,
                }
            }
        }
        out.write_all(b"\n]}\n")?;
        out.flush()
    }
}

/// Nanoseconds as trace-event microseconds, exactly: `1234567` is `1234.567`.
struct Micros(u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A string as a JSON string literal (RFC 8259: quote, backslash and control characters
/// escaped).
struct Json<'a>(&'a str);

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::{Json, Micros};

    #[test]
    fn strings_and_times_are_valid_json() {
        assert_eq!(
            Json("|x| \"a\\b\"\n\t").to_string(),
            r#""|x| \"a\\b\"\n\u0009""#
        );
        assert_eq!(Micros(1_234_567).to_string(), "1234.567");
        assert_eq!(Micros(5).to_string(), "0.005");
    }
}
