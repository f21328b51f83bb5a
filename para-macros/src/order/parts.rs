//! Passes 3 and 4: which streams are filled per source, the lanes, each edge's part offsets,
//! and the order in which each ordered stage consumes an item's parts.

use para_core::raw::{MAX_PARTS, MAX_STREAMS};

use super::numbering::Numbering;
use super::{Draft, SOURCES};
use crate::graph::{reaches, Node};

/// Pass 3. With several sources, two flat-maps may interleave the sources differently, and a
/// stage reading each source's items in order from a window per source could wait on each
/// stream for the source the other one's head belongs to. So the streams into such a stage are
/// filled per source, each source's inputs expanded on their own (para-core's `ordered` module
/// docs, "Streams", "Filled per source"); one stream is safe as it is (its head's source
/// always gets there), unless its reader fills a stream per source itself: that reader
/// consumes a source's window only while it has credits for that source, so a stream it reads
/// whose head belongs to a source it has none for would hold back every other source (the
/// stream is filled per source too). A stage has a window per source when its numbering is
/// the sources', or a flat-map's that fills them per source: until nothing changes.
pub(super) fn fill_per_source(
    nodes: &[Node<'_>],
    sources: usize,
    draft: &mut [Draft],
    num: &Numbering,
) {
    loop {
        let mut changed = false;
        for n in 0..nodes.len() {
            let into_n: Vec<&Vec<usize>> = num
                .chains
                .iter()
                .filter(|(o, _)| *o == n)
                .map(|(_, c)| c)
                .collect();
            let per_source_windows =
                sources > 1 && draft[n].producer.is_none_or(|p| draft[p].per_source);
            // Several streams, or any into a stage that fills its own per source.
            let coupled = into_n.len() > 1 || (draft[n].per_source && !into_n.is_empty());
            if coupled && per_source_windows {
                for &c in into_n.into_iter().flatten() {
                    changed |= !draft[c].per_source;
                    draft[c].per_source = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    // A flat-map filling streams per source numbers its outputs per source: each window it
    // fills has one window per source (the plain ones of ordered stages inside its branch too).
    for n in 0..nodes.len() {
        for j in 0..draft[n].streams.len() {
            if draft[draft[n].streams[j].root].per_source {
                draft[n].streams[j].windows = sources;
            }
        }
    }
}

/// Each stream-filling node gets a lane of its own, for the nodes where its outputs go on
/// beside other numberings (0 is every other numbering's: they never meet one another).
pub(super) fn assign_lanes(draft: &mut [Draft]) {
    for (lane, node) in draft.iter_mut().filter(|node| node.ends).enumerate() {
        node.lane = lane + 1;
    }
}

/// An edge's offset, per numbering its source node carries: the paths of that numbering to
/// the predecessors of its target before it (the sources share theirs: all 0).
pub(super) fn edge_offsets(
    nodes: &[Node<'_>],
    sources: usize,
    draft: &mut [Draft],
    num: &Numbering,
) {
    for n in 0..nodes.len() {
        let offset = |s: usize, root: usize| {
            let before = nodes[s]
                .preds
                .iter()
                .take_while(|&&p| p != n)
                .filter(|&&p| p >= sources)
                .flat_map(|&p| num.paths_out[p].iter().filter(|&&(r, _)| r == root))
                .map(|&(_, paths)| paths)
                .fold(0, usize::saturating_add);
            u32::try_from(before).unwrap_or(u32::MAX)
        };
        draft[n].offsets = nodes[n]
            .succs
            .iter()
            .map(|&s| {
                num.paths_out[n]
                    .iter()
                    .map(|&(root, _)| (root, offset(s, root)))
                    .collect()
            })
            .collect();
    }
}

/// Each ordered stage's order of parts, and each of its streams' (beyond the limits `check`
/// reports, none).
pub(super) fn consumption_orders(nodes: &[Node<'_>], draft: &mut [Draft], num: &Numbering) {
    for o in 0..nodes.len() {
        let d = &draft[o];
        let too_many = d.parts > MAX_PARTS
            || d.streams.len() > MAX_STREAMS
            || d.streams.iter().any(|stream| stream.parts > MAX_PARTS);
        if !nodes[o].ordered || too_many {
            continue;
        }
        let Some(main) = num.root_in[o] else { continue };
        let reach = reaches(nodes, |n, _| n == o);
        let start = if main == SOURCES { 0 } else { main };
        // The main walk meets each stream at its chain's head; a head that ends its steps, at
        // every node its paths enter: itself, or the flat-maps it reads (one step of its window
        // each).
        let streams: Vec<usize> = d.streams.iter().map(|s| s.head).collect();
        let mut entries = Vec::new();
        for (j, &head) in streams.iter().enumerate() {
            if draft[head].ends_steps {
                entries.push((head, j));
                entries.extend(draft[head].streams.iter().map(|s| (s.head, j)));
            }
        }
        let walk = Walk {
            o,
            reach: &reach,
            streams: &streams,
            entries: &entries,
        };
        // A window of holes has them first, in part 0.
        let mut order = if d.main_holes { vec![0] } else { Vec::new() };
        walk.paths(nodes, draft, main, start, 0, &mut order);
        draft[o].order = order;
        for j in 0..draft[o].streams.len() {
            // A stream's paths may pass the heads of streams read inside it. A stream of holes
            // has them first, in part 0.
            let stream = &draft[o].streams[j];
            let mut order = if stream.holes { vec![0] } else { Vec::new() };
            let root = stream.root;
            walk.paths(nodes, draft, root, root, 0, &mut order);
            draft[o].streams[j].order = order;
        }
    }
}

/// The walk along the paths to ordered stage `o` (the nodes that `reach` it), with the stream
/// flat-maps it reads (`streams`: stream `j`'s head at index `j`), and the nodes where the
/// paths enter a stream filled by a stage that reads streams (`entries`: node, `j`).
#[derive(Clone, Copy)]
struct Walk<'w> {
    o: usize,
    reach: &'w [bool],
    streams: &'w [usize],
    entries: &'w [(usize, usize)],
}

impl Walk<'_> {
    /// Appends to `order` the parts of `root`'s numbering on the paths from `n` (reached with
    /// part `part`) to `o`, in branch order: depth first, successors in id order (branches left
    /// to right). Paths pass through stages and transparent ordered stages, not through another
    /// root; a path into stream `j`'s flat-map appends `STREAM_STEP | j` (para-core's) there
    /// instead: the stage reads that input's outputs from the stream at that point.
    fn paths(
        &self,
        nodes: &[Node<'_>],
        draft: &[Draft],
        root: usize,
        n: usize,
        part: u32,
        order: &mut Vec<u8>,
    ) {
        let stream_step = |j: usize| para_core::__private::STREAM_STEP | j as u8;
        for (&s, offsets) in nodes[n].succs.iter().zip(&draft[n].offsets) {
            let offset = offsets
                .iter()
                .find(|&&(r, _)| r == root)
                .map_or(0, |&(_, offset)| offset);
            let part = part.saturating_add(offset);
            if s == self.o {
                order.push(u8::try_from(part).unwrap_or(u8::MAX));
            } else if let Some(&(_, j)) = self.entries.iter().find(|&&(at, _)| at == s) {
                // A stream whose end markers end its filler's steps: one step per entry.
                order.push(stream_step(j));
            } else if let Some(j) = self.streams.iter().position(|&f| f == s) {
                order.push(stream_step(j));
            } else if self.reach[s] && !draft[s].renumbers {
                self.paths(nodes, draft, root, s, part, order);
            }
        }
    }
}
