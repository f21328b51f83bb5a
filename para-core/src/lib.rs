//! The engine of [para](https://docs.rs/para-std): `#![no_std]`, no allocator.
//!
//! A para graph is static: `pipeline!` (in `para-macros`, re-exported by `para-std`) knows every
//! node, edge and queue capacity at compile time and generates one bounded
//! [`Queue`](raw::Queue) per node input, the node values, and a dispatch closure, bundled into a
//! [`Graph`]: all on the caller's stack with para-core alone, the queues on the heap with
//! para-std (built in place, [`Queue::init`](raw::Queue::init)). A node is identified by a small
//! integer ([`NodeId`]) and a task *is* a node id — never a boxed closure or a pointer.
//!
//! Any loop on any core runs a graph by calling [`Graph::run_node`] for node ids it picks:
//! [`Graph::work`] is the scanning loop every core of a bare-metal chip runs; para-std drives
//! the same steps from pinned threads with work-stealing deques and sleeping.
//!
//! On a chip, with para-core alone, write pipelines with `para_macros::pipeline!`: its first
//! argument is the [`Cores`] that run it — [`Harts`], whose other cores serve jobs from core 0,
//! or [`OneCore`] — and it returns when every core is done with the graph.
//!
//! The crate root holds what a program names to run a graph and to feed it: [`Graph`], its
//! [`NodeInfo`] table, the [`Scheduler`] a worker loop implements, the [`Cores`] that run it,
//! [`Split`] for sources that split. The pieces a graph is wired from are in [`raw`], for the
//! few who wire one by hand.
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
//! * **Termination by counting**, never by an empty pop (see [`Scheduler`] for the contract every worker loop keeps).
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

mod async_node;
mod batch;
mod cores;
mod drop_all;
mod expansion;
mod feed;
mod flat_fold;
mod flat_map;
mod fold;
mod graph;
mod limit;
mod node;
mod observe;
mod ordered;
mod outbox;
mod pad;
mod queue;
pub mod raw;
mod report;
mod sender;
mod serial;
mod share;
mod split;
mod stage;
pub mod stats;
mod sync;
mod wake;
mod wiring;
mod worker;

pub use batch::Batch;
pub use cores::{Cores, Harts, OneCore, Sleep};
pub use feed::Feed;
pub use graph::{Cx, Graph, NodeId, NodeInfo, NodeKind, Progress, Scheduler, MAX_PRIORITY};
pub use queue::DEFAULT_CAPACITY;
pub use split::Split;
pub use stats::{RunStats, Stats};
pub use worker::Scan;

/// What `pipeline!`'s expansion calls. Not a stable interface: hand-wired graphs use [`raw`].
#[doc(hidden)]
pub mod __private {
    pub use crate::expansion::*;
    pub use crate::raw::*;
    /// In an ordered window's steps (and `pipeline!`'s tables of them), stream `j` is
    /// `STREAM_STEP | j`; part numbers are below it.
    pub const STREAM_STEP: u8 = crate::ordered::STREAM;
    pub use crate::{Cx, Graph, NodeInfo, NodeKind, DEFAULT_CAPACITY};
}
