//! The pieces `pipeline!` wires a graph from, for the few who must wire one by hand.
//!
//! **Prefer `pipeline!`.** A hand-wired graph must keep promises the macro keeps for you: node
//! ids in topological order (every edge from a lower id to a higher one), one input queue per
//! node, a [`NodeInfo`](crate::NodeInfo) table whose `preds` list exactly the nodes that push
//! into each queue, the edges each node sends to, and a dispatch closure that runs node `i`'s
//! step for id `i`. Get one of them wrong and the run may hang or drop items; none of it is
//! checked at compile time. Reach for this module only for what the grammar cannot express,
//! and keep the graph small. These items may change in any release, with the engine.
//!
//! # The parts
//! - Nodes and their steps: [`source`], [`parallel_map`], [`sink`] and the other constructors
//!   infer the item types along the graph ([`Ty`] carries an edge's type); the `run_*`
//!   functions ([`run_source`], [`run_parallel`], [`run_serial`], …) run one step of a node.
//! - Queues and senders: [`queue`] (a node's bounded input, [`Queue`]); [`Edge`] (where a
//!   node's outputs go; a pair of senders is a fan-out, cloning into all branches but the
//!   last); [`Discard`] (a sink's outputs).
//! - Ordered stages: windows ([`ordered_buffer`]), tags, credits and streams; see the
//!   `ordered` module of para-core's sources, which `pipeline!` computes the wiring for.
//! - Fold sinks: [`FoldNode`], one [`FoldSlot`] per worker, [`run_fold`]; a flat-map fused
//!   into one: [`flat_fold`], [`run_flat_fold`].
//!
//! # Example
//!
//! `0..1000 => |x| x * 2 => sum`, wired by hand and run by two threads that each call
//! [`Graph::work`](crate::Graph::work), as the cores of a chip do:
//!
//! ```
//! use para_core::raw;
//! use para_core::{Graph, NodeInfo, NodeKind};
//!
//! const NODES: &[NodeInfo] = &[
//!     NodeInfo::new("0..1000", NodeKind::Source, &[]),
//!     NodeInfo::new("|x| x * 2", NodeKind::Parallel, &[0]),
//!     NodeInfo::new("sum", NodeKind::Sink, &[1]),
//! ];
//!
//! let mut sum = 0u64;
//! {
//!     let (n0, t0) = raw::source(0..1000u64);
//!     let (n1, t1) = raw::parallel_map(t0, |x| x * 2);
//!     let n2 = raw::sink(t1, |x| sum += x);
//!     let q1 = raw::queue::<_, 64>(t0);
//!     let q2 = raw::queue::<_, 64>(t1);
//!     let graph = Graph::new(NODES, |id, cx| match id {
//!         0 => raw::run_source(0, &n0, raw::Edge::new(&q1, 1), cx),
//!         1 => raw::run_parallel(1, &q1, &n1, raw::Edge::new(&q2, 2), cx),
//!         2 => raw::run_serial(2, &q2, &n2, raw::Discard, cx),
//!         _ => false,
//!     });
//!     std::thread::scope(|s| {
//!         s.spawn(|| graph.work());
//!         graph.work();
//!     });
//!     assert!(graph.is_finished());
//! }
//! assert_eq!(sum, 999 * 1000);
//! ```

pub use crate::async_node::{
    run_async, AsyncMap, AsyncNode, AsyncStage, AsyncStageOf, Start, ASYNC_IN_FLIGHT,
};
pub use crate::batch::{
    run_batch, AsyncBatchMap, AsyncTryBatchMap, BatchMap, BatchStage, Outcomes,
};
pub use crate::feed::FeedNode;
pub use crate::flat_fold::{flat_fold, run_flat_fold, FlatFoldNode, FLAT_FOLD_BATCH};
pub use crate::flat_map::PARKING;
pub use crate::flat_map::{run_flat_map, run_serial_flat_map, FlatMapNode, SerialFlatMapNode};
pub use crate::fold::{
    fold_merge, fold_sink_in, reduce_sink_in, run_fold, try_fold_sink_in, Add, Fold, FoldNode,
    FoldSlot, Folded, Reduce, TryAdd,
};
pub use crate::graph::RunState;
pub use crate::limit::Limit;
pub use crate::node::{
    run_parallel, run_parallel_limited, run_serial, run_source, ParallelNode, SerialNode,
    SourceNode, SourceStep, BATCH,
};
pub use crate::ordered::{
    run_ordered, run_ordered_flat_map, CreditSender, CreditWindows, HoleEdge, LaneSplit,
    OrderedBuffer, OrderedEdge, RenumberSender, Stream, Streams, TagIter, Tagged, TaggedEdge,
    TaggedStage, Untag, WithHoles, MAX_PARTS, MAX_STREAMS,
};
pub use crate::outbox::{Drain, Outbox, SMALL_ITEM};
pub use crate::queue::Queue;
pub use crate::sender::{Discard, Edge, EndMode, Sender};
pub use crate::serial::{Claim, Serial};
pub use crate::split::{Emit, Numbered, Owned, Plain, SplitNode};
pub use crate::stage::{ErrorSlot, Flow, Pass, SinkOutput, Stage, StageMut};
pub use crate::wiring::*;
