//! The engine of [para](https://docs.rs/para-std): `#![no_std]`, no allocator.
//!
//! A para graph is static: `pipeline!` (in `para-macros`, re-exported by `para-std`) knows every
//! node, edge and queue capacity at compile time and generates one bounded [`Queue`] per node
//! input, the node values, and a dispatch closure, bundled into a [`Graph`]: all on the caller's
//! stack with para-core alone, the queues on the heap with para-std (built in place,
//! [`Queue::init`]). A node is identified by a small integer ([`NodeId`]) and a task *is* a node id
//! — never a boxed closure or a pointer.
//!
//! Any loop on any core runs a graph by calling [`Graph::run_node`] for node ids it picks:
//! [`Graph::work`] is the scanning loop every core of a bare-metal chip runs; para-std drives
//! the same steps from pinned threads with work-stealing deques and sleeping.
//!
//! # Promises the engine keeps
//!
//! * **Bounded memory.** Items alive during a run are at most
//!   `Σ queue capacities + workers` (a worker holds at most one item it has not placed: the one
//!   a sink is consuming). A worker reserves room downstream *before* it computes, so it never
//!   holds an output with nowhere to go. The iterator behind a source is not counted: it
//!   produces items on demand.
//! * **No blocking, no deadlock.** A full queue is never waited on: the producer's step returns
//!   and the queue wakes it when it drains. A serial node is claimed with a try-claim; a worker
//!   that fails does other work. Sinks always make progress, so for any DAG, any capacity ≥ 1
//!   and any number of workers ≥ 1, the run finishes.
//! * **Exactly once.** Every item reaches every sink it is routed to once per route (a fan-out
//!   clones it into all branches but the last, which gets the original); every value is dropped
//!   exactly once, also when a run is aborted (queues drop what they still hold).
//! * **Termination by counting**, never by an empty pop (see [`graph`]'s docs).
//!
//! # Atomics
//!
//! All atomics come from one module. With the `portable-atomic` feature they come from
//! `portable-atomic`, so the engine builds for chips without compare-and-swap (thumbv6m, the
//! RP2040's Cortex-M0+); the final binary then provides a multi-core-safe `critical-section`.
#![no_std]
#![warn(missing_docs)]
#![deny(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod drop_all;
mod flat_map;
mod fold;
pub mod graph;
mod limit;
mod node;
mod ordered;
mod outbox;
mod pad;
mod queue;
mod sender;
mod serial;
mod share;
mod split;
mod stage;
mod sync;
mod wiring;
mod worker;

pub use flat_map::{FlatMapNode, SerialFlatMapNode, PARKING};
pub use fold::{Add, Fold, FoldNode, FoldSlot, Folded, Reduce, TryAdd};
pub use graph::{Cx, Graph, NodeId, NodeInfo, NodeKind, RunState, Scheduler, MAX_PRIORITY};
pub use node::{ParallelNode, SerialNode, SourceNode, SourceStep, BATCH};
pub use ordered::{OrderedBuffer, Streams, Tagged, MAX_PARTS, MAX_STREAMS};
pub use outbox::{Drain, Outbox, SMALL_ITEM};
pub use queue::{Queue, DEFAULT_CAPACITY};
pub use sender::{Discard, Edge, EndMode, Sender};
pub use serial::{Claim, Serial};
pub use split::{Emit, Numbered, Owned, Plain, Split, SplitNode};
pub use stage::{ErrorSlot, Flow, Pass, SinkOutput, Stage, StageMut};
pub use worker::Scan;

/// What `pipeline!`'s expansion calls. Not a stable interface.
#[doc(hidden)]
pub mod __private {
    pub use crate::flat_map::{run_flat_map, run_serial_flat_map};
    pub use crate::fold::{fold_merge, fold_sink_in, reduce_sink_in, run_fold, try_fold_sink_in};
    pub use crate::limit::Limit;
    pub use crate::node::{run_parallel, run_parallel_limited, run_serial, run_source};
    pub use crate::ordered::{
        run_ordered, run_ordered_flat_map, CreditSender, CreditWindows, HoleEdge, LaneSplit,
        OrderedEdge, RenumberSender, Stream, TagIter, TaggedEdge, TaggedStage, Untag, WithHoles,
    };
    pub use crate::wiring::*;
    /// In an ordered window's steps (and `pipeline!`'s tables of them), stream `j` is
    /// `STREAM_STEP | j`; part numbers are below it.
    pub const STREAM_STEP: u8 = crate::ordered::STREAM;
    pub use crate::{
        Cx, Discard, Edge, ErrorSlot, Graph, NodeInfo, NodeKind, OrderedBuffer, Tagged,
        DEFAULT_CAPACITY,
    };
}
