#![doc = include_str!("../README.md")]
//!
//! # The crate
//!
//! `para-std` is the crate applications depend on. It re-exports [`pipeline!`] and runs the
//! graphs it builds on worker threads: pinned to cores with `core_affinity` (unless
//! `pin = false`), exchanging node-index tasks through `crossbeam-deque` work-stealing deques,
//! sleeping when idle. The engine itself — queues, claims, node steps, termination — is
//! `para-core`, the same `no_std` code a bare-metal chip runs; this crate adds threads, stealing,
//! sleeping and panic propagation around it, never a second scheduler.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[allow(unsafe_code)] // building queues in place, see the SAFETY comments
mod placed;
#[allow(unsafe_code)] // one lifetime erasure, see its SAFETY comment
mod pool;
mod runtime;
mod sleep;
mod source;
mod threads;
mod worker;

pub use para_core::{NodeId, NodeInfo, NodeKind};
pub use runtime::{Options, DEFAULT_STACK_SIZE};
pub use source::IntoSplit;
pub use threads::{all_cores, ThreadCount, MAX_THREADS};

/// The capacity of every queue of a `pipeline!` that does not set `capacity = N`.
///
/// It bounds the items alive in a run (the sum of the queue capacities) and, since each call
/// of a parallel stage holds a slot of its input and one of its output, the calls of one stage
/// in flight: `min(threads, capacity)`. 256 lets every worker of a run of up to 256 threads be
/// inside one stage at once. (para-core's own default, for bare-metal graphs, is 64.)
pub const DEFAULT_CAPACITY: usize = 256;

/// Runs a graph of closures on every core. See the crate docs.
#[macro_export]
macro_rules! pipeline {
    ($($tokens:tt)*) => {
        $crate::__private::pipeline_impl! { [$crate] $($tokens)* }
    };
}

/// What `pipeline!`'s expansion calls. Not a stable interface.
#[doc(hidden)]
pub mod __private {
    // These three shadow para-core's (a glob import below): a run's queues go on the heap.
    pub use crate::placed::{ordered_buffer, queue, tagged_queue};
    pub use crate::runtime::run;
    pub use crate::source::{SourceArg, ViaIter, ViaSplit};
    pub use crate::threads::{all_cores, thread_count};
    pub use crate::Options;
    pub use crate::DEFAULT_CAPACITY;
    pub use para_core::__private::*;
    pub use para_macros::pipeline_impl;
}
