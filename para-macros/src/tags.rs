//! Tags for ordered stages: which nodes carry tagged items, how each ordered stage's parts are
//! numbered and consumed, and which windows each root takes credits in (para-core's
//! `ordered` module docs, "Order" and "Several ordered stages").

use crate::graph::{reaches, Node, Shape};
use para_core::{MAX_PARTS, MAX_STREAMS};

/// Decides which nodes carry tagged items, numbers the parts of each ordered stage, and gives
/// each edge its part offset (para-core's `ordered.rs`, "Order").
///
/// A *root* numbers items: the sources (together: every source has the same paths, and each
/// numbers its own items), or an ordered flat-map whose outputs lead to an ordered stage. Tags
/// keep their root's numbering through stages and transparent ordered stages, up to the first
/// ordered stages, whose windows the root takes a credit in for each item.
///
/// A tag's part identifies the path the item took from its root: at a node fed by several
/// predecessors, the paths through the first take the first numbers, and so on (an edge's
/// offset is the number of paths to the predecessors before it). So the parts at any node are
/// `0..paths`, however many ordered stages share the root, and an ordered stage's `order` lists
/// them in branch order.
pub(crate) fn mark_tags(nodes: &mut [Node<'_>], sources: usize) {
    for node in nodes.iter_mut() {
        node.tagged_in = false;
        node.tagged_out = false;
        node.root_out = None;
        node.lanes_out.clear();
        node.lane = 0;
        node.feeds.clear();
        node.producer = None;
        node.streams.clear();
        node.ends = false;
        node.renumbers = false;
        node.per_source = false;
        node.forwards = false;
        node.ends_steps = false;
        node.main_holes = false;
        node.marks_inputs = false;
        node.conflict = false;
        node.offsets.clear();
        node.parts = 0;
        node.order.clear();
    }
    for n in (0..nodes.len()).rev() {
        let out = nodes[n]
            .succs
            .iter()
            .any(|&s| nodes[s].ordered || nodes[s].tagged_out);
        nodes[n].tagged_out = out;
    }
    // Per node: the numbering its inputs carry (`SOURCES` for the sources'; where several meet,
    // the main one), and per numbering its outputs carry (the main one first), how many paths
    // from its root lead to them.
    let mut root_in: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut paths_out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes.len()];
    // Per stream into an ordered stage: the stage, and the stream's chain (root first).
    let mut chains: Vec<(usize, Vec<usize>)> = Vec::new();
    for n in 0..nodes.len() {
        let tagged_in = nodes[n].ordered || nodes[n].preds.iter().any(|&p| nodes[p].tagged_out);
        nodes[n].tagged_in = tagged_in;
        if n < sources {
            if nodes[n].tagged_out {
                nodes[n].root_out = Some(SOURCES);
                paths_out[n] = vec![(SOURCES, 1)];
            }
            continue;
        }
        // The predecessors' numberings, each with the paths from its root to this node (the
        // sources count as one: each numbers its own items along the same paths).
        let mut roots: Vec<(usize, usize)> = Vec::new();
        for &p in &nodes[n].preds {
            for &(r, paths) in &paths_out[p] {
                let paths = if p < sources && p > 0 { 0 } else { paths };
                match roots.iter_mut().find(|(root, _)| *root == r) {
                    Some((_, sum)) => *sum = sum.saturating_add(paths),
                    None => roots.push((r, paths)),
                }
            }
        }
        let main = main_root(nodes, &roots, &root_in);
        // Numberings meet only as streams of a main one: flat-maps' outputs with the numbering
        // of their inputs. At an ordered stage, it reads them as streams; at any other node,
        // they go on side by side, each in its lane, to the ordered stages that read them.
        // Anywhere else (two unrelated numberings): refused.
        if roots.len() > 1 && main.is_none() {
            // Reported at the inner flat-maps (whose inputs' numbering reaches here too), or
            // at every flat-map if none is.
            let flat_maps = || roots.iter().map(|&(r, _)| r).filter(|&r| r != SOURCES);
            let inner = |r: usize| flat_maps().any(|q| Some(q) == root_in[r]);
            let any_inner = flat_maps().any(inner);
            for r in flat_maps()
                .filter(|&r| !any_inner || inner(r))
                .collect::<Vec<_>>()
            {
                nodes[r].conflict = true;
            }
        }
        let Some(main) = main else { continue };
        root_in[n] = Some(main);
        let paths = roots
            .iter()
            .find(|(r, _)| *r == main)
            .map_or(0, |&(_, paths)| paths);
        if nodes[n].ordered {
            nodes[n].parts = paths;
            nodes[n].producer = (main != SOURCES).then_some(main);
            let feeding = if main == SOURCES {
                0..sources
            } else {
                main..main + 1
            };
            for r in feeding {
                nodes[r].feeds.push((n, None));
            }
            // The other numberings are streams: ordered flat-maps in fan-out branches.
            let mut streams: Vec<(usize, usize)> =
                roots.iter().copied().filter(|&(r, _)| r != main).collect();
            // A flat-map heading two chains or more without reaching here itself: read as a
            // stream of its own, of holes (one per output, and its end markers), inside which
            // its chains are read (para-core's `ordered` module docs, "Flat-maps after one
            // that reaches no ordered stage").
            let mut holes = Vec::new();
            loop {
                let stream_roots: Vec<usize> = streams.iter().map(|&(r, _)| r).collect();
                let heads: Vec<usize> = stream_roots
                    .iter()
                    .map(|&f| chain(&root_in, f, main, &stream_roots).pop().unwrap_or(f))
                    .collect();
                let shared = (1..heads.len()).find(|&i| heads[..i].contains(&heads[i]));
                match shared {
                    Some(i) => {
                        streams.push((heads[i], 1));
                        holes.push(heads[i]);
                    }
                    None => break,
                }
            }
            streams.sort_unstable();
            let stream_roots: Vec<usize> = streams.iter().map(|&(r, _)| r).collect();
            for (j, &(f, parts)) in streams.iter().enumerate() {
                // A flat-map after others in its branch that do not reach here themselves (a
                // chain up to the one whose inputs carry `main` or another stream, the head):
                // the head ends each input's outputs, the others pass those end markers on
                // (para-core's `ordered` module docs, "Nested flat-maps in a stream branch").
                let chain = chain(&root_in, f, main, &stream_roots);
                let head = *chain.last().expect("not empty");
                chains.push((n, chain.clone()));
                for &c in &chain {
                    nodes[c].ends = true;
                    if c != head {
                        nodes[c].forwards = true;
                        if nodes[c].parts == 0 {
                            // Every input of it is a stream: the end markers it passes on
                            // need a part of its window to come in, holes from its producer.
                            nodes[c].main_holes = true;
                            nodes[c].parts = 1;
                        }
                    } else if nodes[c].streams.is_empty() {
                        nodes[c].marks_inputs = true;
                    } else {
                        // A head that reads streams itself has several inputs at a stream step
                        // of its window, which this stage reads at one step (where the paths
                        // enter that stream's flat-map): it ends each step of its window
                        // (para-core's `ordered` module docs, "Streams filled by a stage that
                        // reads streams").
                        nodes[c].ends_steps = true;
                    }
                }
                nodes[f].feeds.push((n, Some(j)));
                nodes[n].streams.push(StreamIn {
                    root: f,
                    head,
                    parts,
                    holes: holes.contains(&f),
                    windows: 1,
                    order: Vec::new(),
                });
            }
        }
        if !nodes[n].tagged_out {
            continue;
        }
        // An ordered stage that reads streams numbers its outputs anew, like a flat-map: they
        // are no longer one per part of a source item.
        nodes[n].renumbers =
            is_root(&nodes[n]) || (nodes[n].ordered && !nodes[n].streams.is_empty());
        if nodes[n].renumbers {
            nodes[n].root_out = Some(n);
            paths_out[n] = vec![(n, 1)];
        } else {
            nodes[n].root_out = Some(main);
            // The main numbering first, then the streams going on in their lanes.
            paths_out[n] = vec![(main, paths)];
            paths_out[n].extend(roots.iter().copied().filter(|&(r, _)| r != main));
            nodes[n].lanes_out = paths_out[n][1..].iter().map(|&(r, _)| r).collect();
        }
    }
    // A flat-map that ends each input's outputs for one ordered stage and passes another
    // flat-map's end markers on for another: refused.
    for node in nodes.iter_mut() {
        if node.forwards && node.marks_inputs {
            node.conflict = true;
        }
    }
    // With several sources, two flat-maps may interleave the sources differently, and a stage
    // reading each source's items in order from a window per source could wait on each stream
    // for the source the other one's head belongs to. So the streams into such a stage are
    // filled per source, each source's inputs expanded on their own (para-core's `ordered`
    // module docs, "Several sources and several streams"); one stream is safe as it is (its
    // head's source always gets there). A stage has a window per source when its numbering is
    // the sources', or a flat-map's that fills them per source: until nothing changes.
    loop {
        let mut changed = false;
        for n in 0..nodes.len() {
            let into_n: Vec<&Vec<usize>> = chains
                .iter()
                .filter(|(o, _)| *o == n)
                .map(|(_, c)| c)
                .collect();
            let per_source_windows =
                sources > 1 && nodes[n].producer.is_none_or(|p| nodes[p].per_source);
            if into_n.len() > 1 && per_source_windows {
                for &c in into_n.into_iter().flatten() {
                    changed |= !nodes[c].per_source;
                    nodes[c].per_source = true;
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
        for j in 0..nodes[n].streams.len() {
            if nodes[nodes[n].streams[j].root].per_source {
                nodes[n].streams[j].windows = sources;
            }
        }
    }
    // Each stream-filling flat-map gets a lane of its own, for the nodes where its outputs go
    // on beside other numberings (0 is every other numbering's: they never meet one another).
    let mut lanes = 0usize;
    for node in nodes.iter_mut().filter(|node| node.ends) {
        lanes += 1;
        node.lane = lanes;
    }
    // An edge's offset, per numbering its source node carries: the paths of that numbering to
    // the predecessors of its target before it (the sources share theirs: all 0).
    for n in 0..nodes.len() {
        let offsets = nodes[n]
            .succs
            .iter()
            .map(|&s| {
                paths_out[n]
                    .iter()
                    .map(|&(root, _)| {
                        let before = nodes[s]
                            .preds
                            .iter()
                            .take_while(|&&p| p != n)
                            .filter(|&&p| p >= sources)
                            .flat_map(|&p| paths_out[p].iter().filter(|&&(r, _)| r == root))
                            .map(|&(_, paths)| paths)
                            .fold(0, usize::saturating_add);
                        (root, u32::try_from(before).unwrap_or(u32::MAX))
                    })
                    .collect()
            })
            .collect();
        nodes[n].offsets = offsets;
    }
    for o in 0..nodes.len() {
        if !nodes[o].ordered || nodes[o].parts > MAX_PARTS || nodes[o].streams.len() > MAX_STREAMS {
            continue; // reported by `check`
        }
        if nodes[o]
            .streams
            .iter()
            .any(|stream| stream.parts > MAX_PARTS)
        {
            continue;
        }
        let Some(main) = root_in[o] else { continue };
        let reach = reaches(nodes, |n, _| n == o);
        let start = if main == SOURCES { 0 } else { main };
        // The main walk meets each stream at its chain's head; a head that ends its steps, at
        // every node its paths enter: itself, or the flat-maps it reads (one step of its window
        // each).
        let streams: Vec<usize> = nodes[o].streams.iter().map(|s| s.head).collect();
        let mut entries = Vec::new();
        for (j, &head) in streams.iter().enumerate() {
            if nodes[head].ends_steps {
                entries.push((head, j));
                entries.extend(nodes[head].streams.iter().map(|s| (s.head, j)));
            }
        }
        // A window of holes has them first, in part 0.
        let mut order = if nodes[o].main_holes {
            vec![0]
        } else {
            Vec::new()
        };
        let walk = Walk {
            o,
            reach: &reach,
            streams: &streams,
            entries: &entries,
        };
        walk.paths(nodes, main, start, 0, &mut order);
        nodes[o].order = order;
        let roots: Vec<usize> = nodes[o].streams.iter().map(|s| s.root).collect();
        for (j, &f) in roots.iter().enumerate() {
            // A stream's paths may pass the heads of streams read inside it. A stream of holes
            // has them first, in part 0.
            let mut order = Vec::new();
            if nodes[o].streams[j].holes {
                order.push(0);
            }
            walk.paths(nodes, f, f, 0, &mut order);
            nodes[o].streams[j].order = order;
        }
    }
}

/// The numbering a node's inputs belong to, given its predecessors' `roots`: the only one, or,
/// where an ordered flat-map's outputs (a stream) meet the numbering its inputs came from, that
/// one. `None` if there is none, or if they do not meet that way.
fn main_root(
    nodes: &[Node<'_>],
    roots: &[(usize, usize)],
    root_in: &[Option<usize>],
) -> Option<usize> {
    // A stream: a flat-map's numbering whose inputs carry `main`, or another stream's (nested
    // flat-maps in one branch).
    let stream_of = |r: usize, main: usize| {
        let mut r = r;
        loop {
            if r == SOURCES || !numbers(&nodes[r]) {
                return false;
            }
            let x = root_in[r].unwrap_or(SOURCES);
            if x == main {
                return true;
            }
            // Its input's numbering: another stream (it reaches here too: a stream read inside
            // that one's), or a flat-map's that reaches here only through it (a chain).
            r = x;
        }
    };
    match roots {
        [] => None,
        [(r, _)] => Some(*r),
        _ => {
            // The main numbering is one of them, the others its streams; or, when every branch
            // is a flat-map, the nearest one all their inputs come from (among the first one's
            // ancestors, nearest first).
            let fits = |main: usize| roots.iter().all(|&(r, _)| r == main || stream_of(r, main));
            let among = roots.iter().map(|&(r, _)| r).find(|&m| fits(m));
            let (mut up, _) = roots[0];
            let beneath = std::iter::from_fn(|| {
                if up == SOURCES || !numbers(&nodes[up]) {
                    return None;
                }
                up = root_in[up].unwrap_or(SOURCES);
                Some(up)
            })
            .find(|&m| fits(m));
            among.or(beneath)
        }
    }
}

/// Where a root's numbering is kept in `Node::root_out`: the sources' is this, a flat-map's its
/// node id.
pub(crate) const SOURCES: usize = usize::MAX;

/// A stream into an ordered stage: the ordered flat-map that numbers it, the paths from that
/// flat-map to the stage, and the order of their parts.
#[derive(Clone, Debug)]
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

/// The chain of stream `f` into a stage whose main numbering is `main`: `f`, then the
/// flat-maps before it in its branch whose outputs reach the stage only through it, up to the
/// one (the *head*) whose inputs carry `main` or another of the stage's `streams`.
fn chain(root_in: &[Option<usize>], f: usize, main: usize, streams: &[usize]) -> Vec<usize> {
    let mut chain = vec![f];
    while let Some(x) = root_in[*chain.last().expect("not empty")] {
        if x == main || x == SOURCES || streams.contains(&x) {
            break;
        }
        chain.push(x);
    }
    chain
}

/// Whether `node` starts a numbering of its own: an ordered flat-map.
fn is_root(node: &Node<'_>) -> bool {
    node.ordered && node.shape == Shape::FlatMap
}

/// Whether `node`'s outputs carry a numbering of its own: a root, or an ordered stage that
/// reads streams (known once `mark_tags` has passed it).
fn numbers(node: &Node<'_>) -> bool {
    is_root(node) || node.renumbers
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
    /// root; a path into stream `j`'s flat-map appends `STREAM_STEP | j` (para-core's) there instead: the stage
    /// reads that input's outputs from the stream at that point.
    fn paths(&self, nodes: &[Node<'_>], root: usize, n: usize, part: u32, order: &mut Vec<u8>) {
        for (&s, offsets) in nodes[n].succs.iter().zip(&nodes[n].offsets) {
            let offset = offsets
                .iter()
                .find(|&&(r, _)| r == root)
                .map_or(0, |&(_, offset)| offset);
            let part = part.saturating_add(offset);
            if s == self.o {
                order.push(u8::try_from(part).unwrap_or(u8::MAX));
            } else if let Some(&(_, j)) = self.entries.iter().find(|&&(at, _)| at == s) {
                // A stream whose end markers end its filler's steps: one step per entry.
                order.push(para_core::__private::STREAM_STEP | j as u8);
            } else if let Some(j) = self.streams.iter().position(|&f| f == s) {
                order.push(para_core::__private::STREAM_STEP | j as u8);
            } else if self.reach[s] && !nodes[s].renumbers {
                self.paths(nodes, root, s, part, order);
            }
        }
    }
}

#[cfg(test)]
mod tests;
