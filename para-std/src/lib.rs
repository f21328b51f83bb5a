#![doc = include_str!("guide.md")]
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

#[allow(unsafe_code)] // `Sync` for a source only the caller drives, see its SAFETY comment
mod caller;
#[allow(unsafe_code)] // building queues in place, see the SAFETY comments
mod placed;
#[allow(unsafe_code)] // one lifetime erasure, see its SAFETY comment
mod pool;
mod runtime;
mod sleep;
mod source;
mod stats;
mod threads;
mod trace;
mod wake;
mod worker;

pub use para_core::stats::{NodeStats, RunStats, WorkerStats};
pub use para_core::NodeKind;
pub use para_core::{Batch, Feed, Split};
pub use runtime::DEFAULT_STACK_SIZE;
pub use source::IntoSplit;
pub use stats::Stats;
pub use threads::{all_cores, ThreadCount, MAX_THREADS};

/// The capacity of every queue of a `pipeline!` that does not set `capacity = N`.
///
/// It bounds the items alive in a run (the sum of the queue capacities) and, since each call
/// of a parallel stage holds a slot of its input and one of its output, the calls of one stage
/// in flight: `min(threads, capacity)`. 256 lets every worker of a run of up to 256 threads be
/// inside one stage at once. (para-core's own default, for bare-metal graphs, is 64.)
pub const DEFAULT_CAPACITY: usize = 256;

/// Runs a graph of closures on every core: a source, stages, fan-outs, merges and sinks.
///
/// ```text
/// pipeline!( [THREADS ,] [OPTION = EXPR ,]* SOURCE => CHAIN [,] )
/// CHAIN  := ELEM ( => ELEM )*
/// ELEM   := NODE | ( CHAIN , CHAIN , … )     a group: every branch gets every item
/// NODE   := MARKER* EXPR                     a closure or a path to a function
///         | [try] FOLD                        a fold sink, last in its chain
/// MARKER := serial | parallel | ordered | filter | filter_map | flat_map | try
///         | priority(0..=3) | limit(N) | async | batch(N)
/// FOLD   := fold(INIT, ADD, MERGE) | reduce(INIT, OP)
/// OPTION := capacity | pin | stack_size | error
/// ```
///
/// - `THREADS`: the worker count, 1 to [`MAX_THREADS`] (an integer, a `NonZeroUsize`, or
///   `std::thread::available_parallelism()`); left out, every core. The calling thread is one of
///   the workers, and the call returns when all work is done, so closures may borrow locals.
/// - `SOURCE`: any `IntoIterator` whose items are `Send`; ranges, slices, `&Vec`s and `Vec`s are
///   split between workers; an iterator that is not `Send` (`stdin().lock().lines()`) is
///   drained by the calling thread. A tuple of sources feeds one graph.
/// - Stages are stateless (`Fn + Sync`) and run in parallel; the last node, the sink, is
///   stateful (`FnMut`) and runs on one worker at a time. A node after a group merges its
///   branches.
/// - Markers: `serial` (a stateful middle stage), `parallel` (a stateless sink), `ordered` (sees
///   items in source order), `filter |x| bool` (sees `&item`), `filter_map |x| Option<_>`,
///   `flat_map |x| iterable`, `try |x| Result<_, E>` (the first `Err` stops the run and is
///   returned: `pipeline!` then returns `Result<(), E>`), `priority(N)`, `limit(N)` (at most N
///   calls of the stage at once), `async |x| … .await …` (an async closure, or `async f` for an
///   `async fn`: up to `limit(K)` futures in flight, 32 if not given, none holding a worker
///   while it waits), `batch(N) |xs: Batch<T, N>| ys` (called with up to N queued items at once,
///   gives back one output per input, in order; `batch(N) async` starts one future per batch, a
///   device launch, and `try batch(N) async` fails the whole batch with one `Err`). A sink returning `ControlFlow::Break(())` stops the run.
/// - Fold sinks: `fold(|| init, |acc, x| acc', |a, b| merged)` keeps one accumulator per
///   worker and merges them after the run; `reduce(|| init, |a, b| c)` when items and
///   accumulators are of one type; `try fold(…)` when `add` returns `Result`. `pipeline!`
///   returns the result (a tuple of several, in the order written; `Result<_, E>` if any node
///   is `try`).
/// - Options: `capacity = N` (every queue's capacity, default [`DEFAULT_CAPACITY`]: the bound on
///   memory), `pin = false` (do not pin workers to cores), `stack_size = BYTES` (the pool
///   threads' stacks, default [`DEFAULT_STACK_SIZE`]), `error = Type` (the error type of the
///   `try` nodes, each converting its own errors with `?`; `pipeline!` then returns
///   `Result<_, Type>`).
///
/// A panic in any closure stops the run and resumes on the caller with its payload.
///
/// ```
/// use para_std::pipeline;
///
/// // A stateless stage on 4 workers, a stateful sink.
/// let mut sum = 0u64;
/// pipeline!(4, 0..1000u64 => |x| x * x => |x| sum += x);
/// assert_eq!(sum, (0..1000u64).map(|x| x * x).sum());
///
/// // A fan-out and a merge, then an ordered sink: it sees, per source item, one output per
/// // branch, in branch order.
/// let mut seen = Vec::new();
/// pipeline!(0..3 => (|x| x * 10, |x| x * 10 + 1) => ordered |x| seen.push(x));
/// assert_eq!(seen, [0, 1, 10, 11, 20, 21]);
///
/// // A fold sink: an accumulator per worker, merged at the end, returned.
/// let sum = pipeline!(4, 0..1000u64 => |x| x * x => fold(|| 0, |s, x| s + x, |a, b| a + b));
/// assert_eq!(sum, (0..1000u64).map(|x| x * x).sum());
///
/// // `try`: the first error stops the run and is returned.
/// let lines = ["1", "2", "x", "4"];
/// let mut total = 0;
/// let result = pipeline!(2, lines => try |s: &str| s.parse::<i32>() => |n| total += n);
/// assert!(result.is_err());
/// ```
#[macro_export]
macro_rules! pipeline {
    ($($tokens:tt)*) => {
        $crate::__private::pipeline_impl! { [$crate] $($tokens)* }
    };
}

/// The graph a [`pipeline!`] of the same arguments would run, as Graphviz DOT text (a
/// `String`), without running it: one box per node after fusion (a fused chain lists its
/// stages), its kind and what its input holds (a queue, or an ordered stage's windows, in
/// items), and in the graph's label the bound on queued items. The closures are not called
/// (nor evaluated); the capacity is.
///
/// ```
/// use para_std::{pipeline_dot, pipeline};
///
/// let mut sum = 0;
/// let dot = pipeline_dot!(4, 0..100i64 => (|x| x * 2 => |x| x + 1, |x| -x) => |x| sum += x);
/// assert!(dot.starts_with("digraph pipeline {"));
/// assert!(dot.contains("|x| x * 2\\n=> |x| x + 1")); // a fused chain is one node
/// // The same tokens run as a pipeline.
/// pipeline!(4, 0..100i64 => (|x| x * 2 => |x| x + 1, |x| -x) => |x| sum += x);
/// assert_eq!(sum, (0..100i64).map(|x| x + 1).sum::<i64>());
/// ```
///
/// Render it with `dot -Tsvg pipeline.dot > pipeline.svg`.
#[macro_export]
macro_rules! pipeline_dot {
    ($($tokens:tt)*) => {
        $crate::__private::pipeline_dot_impl! { [$crate] $($tokens)* }
    };
}

/// The bound on the items a [`pipeline!`] of the same arguments holds in its queues and
/// ordered windows at any moment, plus one per future its `async` stages may keep in flight
/// (`limit(K)`, or 32 each), as a `usize`, without running it: the number [`pipeline_dot!`]
/// prints under its graph. It does not depend on the thread count: a step
/// reserves room downstream before it computes and an item keeps its queue slot until the step
/// that consumed it ends, so the items in workers' hands are inside it. Not counted: what a
/// source's iterator or a flat-map's iterator holds before it yields (the user's), and fold
/// sinks' accumulators (one per worker).
///
/// ```
/// use para_std::{pipeline_bound, pipeline};
///
/// let mut sum = 0;
/// // Two queues of 16: the fused stages' and the sink's.
/// let bound = pipeline_bound!(4, capacity = 16, 0..100i64 => |x| x * 2 => |x| sum += x);
/// assert_eq!(bound, 32);
/// # pipeline!(4, capacity = 16, 0..100i64 => |x| x * 2 => |x| sum += x);
/// ```
#[macro_export]
macro_rules! pipeline_bound {
    ($($tokens:tt)*) => {
        $crate::__private::pipeline_bound_impl! { [$crate] $($tokens)* }
    };
}

/// README.md's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What `pipeline!`'s expansion calls. Not a stable interface.
#[doc(hidden)]
pub mod __private {
    // These shadow para-core's (a glob import below): a run's queues go on the heap; the run
    // goes to a pool of threads, whose count also sizes the fold sinks' accumulators
    // (`Threads`); sources split through `IntoSplit`.
    pub use crate::caller::ViaCaller;
    pub use crate::placed::{ordered_buffer, queue, tagged_queue};
    pub use crate::runtime::run;
    pub use crate::runtime::Options;
    pub use crate::source::ViaSplit;
    pub use crate::threads::{default_threads as all_cores, thread_count, Threads};
    pub use crate::DEFAULT_CAPACITY;
    pub use para_core::__private::*;
    pub use para_macros::{pipeline_bound_impl, pipeline_dot_impl, pipeline_impl};
}
