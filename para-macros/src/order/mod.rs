//! The ordering plan: which nodes carry tagged items, how each ordered stage's parts are
//! numbered and consumed, which windows each root takes credits in, and where the streams that
//! ordered stages read are filled and ended (para-core's `ordered` module docs).
//!
//! [`OrderPlan::new`] computes it once, from the fused graph, by named passes over a draft
//! per node; then it is frozen, and codegen, the checks and `pipeline_dot!` only read it.
//!
//! # Terms
//! - A *root* numbers items: the sources together (every source has the same paths, and each
//!   numbers its own items), an ordered flat-map whose outputs lead to an ordered stage, or an
//!   ordered stage that reads streams (its outputs are no longer one per part of an item).
//!   Tags keep their root's numbering through stages and transparent ordered stages, up to the
//!   first ordered stages, whose windows the root takes a credit in for each item.
//! - A tag's *part* identifies the path the item took from its root: at a node fed by several
//!   predecessors, the paths through the first take the first numbers, and so on (an edge's
//!   *offset* is the number of paths to the predecessors before it). So the parts at any node
//!   are `0..paths`, however many ordered stages share the root, and an ordered stage's
//!   *order* lists them in branch order: depth first, branches left to right.
//! - A *stream* is a flat-map's numbering read by an ordered stage of another numbering (the
//!   branches meet): the stage reads each input's outputs from the stream, up to an end
//!   marker, at the step where the input's path enters the flat-map. A *chain* is a stream's
//!   flat-map and those before it in its branch that reach the stage only through it; its
//!   *head* is the first. Where a stream meets other branches before its ordered stage, it
//!   goes on beside them in a *lane* of its own.
//!
//! # Passes (in order)
//! 1. [`mark_tagged_outputs`]: which nodes' outputs lead to an ordered stage.
//! 2. [`numbering::number`]: per node, the numbering its inputs carry; per ordered stage, its
//!    parts, producer, streams and the chains that fill them; nodes whose numberings cannot
//!    meet are refused.
//! 3. [`parts::fill_per_source`]: flat-maps that must fill their streams per source.
//! 4. [`parts::assign_lanes`], [`parts::edge_offsets`], [`parts::consumption_orders`].
//! 5. `freeze`: the typed, immutable plan.

mod numbering;
mod parts;

use para_core::raw::EndMode;

use crate::graph::{Node, Shape};

/// Where a numbering is kept in the analysis: the sources' is this, a flat-map's its node id.
pub(crate) const SOURCES: usize = usize::MAX;

/// The ordering plan of a graph: one [`NodeOrder`] per node, by node id.
pub(crate) struct OrderPlan {
    nodes: Vec<NodeOrder>,
    /// How many sources the graph has (nodes `0..sources`, `graph.rs`).
    sources: usize,
}

/// What the plan says about one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeOrder {
    /// Its input is tagged: it lies after a root, before an ordered stage (or is one).
    pub(crate) tagged_in: bool,
    /// Its outputs are tagged: they lead to an ordered stage.
    pub(crate) tagged_out: bool,
    /// Its outputs lead to an ordered stage and it numbers them anew (a root).
    pub(crate) renumbers: bool,
    /// For a root: the windows it takes a credit in for each item it emits.
    pub(crate) feeds: Vec<Feed>,
    /// For an ordered stage: its window.
    pub(crate) window: Option<Window>,
    /// For a flat-map (or an ordered stage reading streams) that fills a stream: how.
    pub(crate) fills: Option<Fill>,
    /// Per successor (parallel to the node's `succs`), per numbering its outputs carry (the
    /// main one first, then the lanes): the part offset of that edge.
    pub(crate) offsets: Vec<Vec<(usize, u32)>>,
    /// Its outputs meet, before an ordered stage, items of a numbering they are no stream of;
    /// or it would end its inputs' outputs for one stage and pass on another's end markers
    /// for another. Refused (`check::order_limits`).
    pub(crate) conflict: bool,
    /// It reads streams and fills one, and the ordered stages after it want its outputs ended
    /// in two ways at once (per step of its window and per input), or per input where it
    /// reads holes. Refused (`check::order_limits`).
    pub(crate) ends_conflict: bool,
}

/// A window a root takes a credit in: ordered stage `stage`'s own, or its stream `stream`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Feed {
    pub(crate) stage: usize,
    pub(crate) stream: Option<usize>,
}

/// An ordered stage's window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Window {
    /// The paths from its root to it: parts per item.
    pub(crate) parts: usize,
    /// The root that fills it when that is an ordered flat-map; `None` for the sources.
    pub(crate) producer: Option<usize>,
    /// The order in which it consumes an item's parts; `STREAM_STEP | j` reads stream `j`.
    pub(crate) order: Vec<u8>,
    /// Its producer sends a hole per output (and its end markers) into part 0: every input of
    /// the stage is a stream.
    pub(crate) holes: bool,
    /// The streams it reads, in order.
    pub(crate) streams: Vec<StreamIn>,
}

/// A stream into an ordered stage: the ordered flat-map that numbers it, the paths from that
/// flat-map to the stage, and the order of their parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamIn {
    pub(crate) root: usize,
    /// The flat-map whose inputs carry the stage's own numbering: `root`, or the first of a
    /// chain of flat-maps in the branch ending with `root`.
    pub(crate) head: usize,
    pub(crate) parts: usize,
    /// Its flat-map's outputs reach the stage only through the flat-maps after it: it sends a
    /// hole per output into part 0 of this window (para-core's `WithHoles`).
    pub(crate) holes: bool,
    /// Its windows: one, or one per source (the flat-map fills it per source).
    pub(crate) windows: usize,
    pub(crate) order: Vec<u8>,
}

/// How a node fills a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fill {
    /// What its end markers end.
    pub(crate) end: EndMode,
    /// Its lane, from 1 (0 is every other numbering's: they never meet one another).
    pub(crate) lane: usize,
    /// It fills its streams per source, expanding one input per source at a time.
    pub(crate) per_source: bool,
}

impl OrderPlan {
    /// The plan of `nodes`, whose first `sources` are the sources.
    pub(crate) fn new(nodes: &[Node<'_>], sources: usize) -> Self {
        let mut draft = vec![Draft::default(); nodes.len()];
        mark_tagged_outputs(nodes, &mut draft);
        let numbering = numbering::number(nodes, sources, &mut draft);
        parts::fill_per_source(nodes, sources, &mut draft, &numbering);
        parts::assign_lanes(&mut draft);
        parts::edge_offsets(nodes, sources, &mut draft, &numbering);
        parts::consumption_orders(nodes, &mut draft, &numbering);
        let nodes = draft
            .into_iter()
            .zip(nodes)
            .map(|(draft, node)| draft.freeze(node))
            .collect();
        OrderPlan { nodes, sources }
    }

    /// How many sources the graph has.
    pub(crate) fn sources(&self) -> usize {
        self.sources
    }

    /// How many windows of its input ordered stage `n` has (one per source, or one after an
    /// ordered flat-map), and whether one producer fills them all (a flat-map that fills them
    /// per source).
    pub(crate) fn window_sources(&self, n: usize) -> (usize, bool) {
        let producer = self[n].window.as_ref().and_then(|w| w.producer);
        match producer.map(|p| self[p].fills.is_some_and(|f| f.per_source)) {
            Some(true) => (self.sources, true),
            Some(false) => (1, false),
            None => (self.sources, false),
        }
    }

    /// The lane of `root`'s numbering: a stream-filling node's own, else 0.
    pub(crate) fn lane(&self, root: usize) -> u8 {
        match self.nodes.get(root).and_then(|node| node.fills) {
            Some(fill) => u8::try_from(fill.lane).unwrap_or(u8::MAX),
            None => 0,
        }
    }
}

impl std::ops::Index<usize> for OrderPlan {
    type Output = NodeOrder;

    fn index(&self, n: usize) -> &NodeOrder {
        &self.nodes[n]
    }
}

/// A node's plan while the passes write it.
#[derive(Clone, Debug, Default)]
struct Draft {
    tagged_in: bool,
    tagged_out: bool,
    renumbers: bool,
    feeds: Vec<Feed>,
    parts: usize,
    producer: Option<usize>,
    order: Vec<u8>,
    main_holes: bool,
    streams: Vec<StreamIn>,
    /// It fills a stream (it is in a chain).
    ends: bool,
    /// Its end markers, as the chains it is in want them: passed on from the flat-map before
    /// it, after each of its inputs' outputs, after each step of its own window.
    forwards: bool,
    marks_inputs: bool,
    ends_steps: bool,
    per_source: bool,
    lane: usize,
    offsets: Vec<Vec<(usize, u32)>>,
    conflict: bool,
    ends_conflict: bool,
}

impl Draft {
    fn freeze(self, node: &Node<'_>) -> NodeOrder {
        // One chain may want the end markers passed on and another each input's outputs
        // ended: refused (`conflict`). Passing on takes precedence over ending steps.
        let end = if self.forwards {
            EndMode::Forward
        } else if self.ends_steps {
            EndMode::PerStep
        } else {
            EndMode::PerInput
        };
        NodeOrder {
            tagged_in: self.tagged_in,
            tagged_out: self.tagged_out,
            renumbers: self.renumbers,
            feeds: self.feeds,
            window: node.ordered.then_some(Window {
                parts: self.parts,
                producer: self.producer,
                order: self.order,
                holes: self.main_holes,
                streams: self.streams,
            }),
            fills: self.ends.then_some(Fill {
                end,
                lane: self.lane,
                per_source: self.per_source,
            }),
            offsets: self.offsets,
            conflict: self.conflict || (self.forwards && self.marks_inputs),
            ends_conflict: self.ends_conflict || (self.marks_inputs && self.ends_steps),
        }
    }
}

/// Pass 1: a node's outputs are tagged when a successor is ordered or passes tags on.
fn mark_tagged_outputs(nodes: &[Node<'_>], draft: &mut [Draft]) {
    // Edges go from lower to higher ids: descending ids see every successor first.
    for n in (0..nodes.len()).rev() {
        draft[n].tagged_out = nodes[n]
            .succs
            .iter()
            .any(|&s| nodes[s].ordered || draft[s].tagged_out);
    }
}

/// Whether `node` starts a numbering of its own: an ordered flat-map.
fn is_root(node: &Node<'_>) -> bool {
    node.ordered && node.shape == Shape::FlatMap
}

#[cfg(test)]
mod tests;
