//! Tags for ordered stages: which nodes carry tagged items, how each ordered stage's parts are
//! numbered and consumed, and which windows each root takes credits in (para-core's
//! `ordered` module docs, "Order" and "Several ordered stages").

use crate::graph::{reaches, Node, Shape};

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
        node.feeds.clear();
        node.producer = None;
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
    // Per node: the root whose numbering its outputs carry (`SOURCES` for the sources'), and
    // how many paths from it lead there.
    const SOURCES: usize = usize::MAX;
    let mut root_out: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut paths_out = vec![0usize; nodes.len()];
    for n in 0..nodes.len() {
        let tagged_in = nodes[n].ordered || nodes[n].preds.iter().any(|&p| nodes[p].tagged_out);
        nodes[n].tagged_in = tagged_in;
        // The predecessors' roots (sources as one) and the paths to this node.
        let mut roots: Vec<usize> = Vec::new();
        let mut paths = 0usize;
        for &p in &nodes[n].preds {
            let Some(r) = root_out[p] else { continue };
            if !roots.contains(&r) {
                roots.push(r);
            }
            if p == 0 || p >= sources {
                paths = paths.saturating_add(paths_out[p]);
            }
        }
        if roots.len() > 1 {
            // Items of two numberings meet: an ordered flat-map in a fan-out branch.
            for &r in roots.iter().filter(|&&r| r != SOURCES) {
                nodes[r].conflict = true;
            }
        }
        let root_in = roots.first().copied();
        if nodes[n].ordered {
            if let Some(root) = root_in {
                nodes[n].parts = paths;
                nodes[n].producer = (root != SOURCES).then_some(root);
                let roots = if root == SOURCES {
                    0..sources
                } else {
                    root..root + 1
                };
                for r in roots {
                    nodes[r].feeds.push(n);
                }
            }
        }
        if !nodes[n].tagged_out {
            continue;
        }
        (root_out[n], paths_out[n]) = if n < sources {
            (Some(SOURCES), 1)
        } else if is_root(&nodes[n]) {
            (Some(n), 1)
        } else {
            (root_in, paths)
        };
    }
    // An edge's offset: the paths to the predecessors of its target before it (the sources
    // share theirs: all 0).
    for n in 0..nodes.len() {
        let offsets = nodes[n]
            .succs
            .iter()
            .map(|&s| {
                let before = nodes[s]
                    .preds
                    .iter()
                    .take_while(|&&p| p != n)
                    .filter(|&&p| p >= sources && root_out[p].is_some())
                    .map(|&p| paths_out[p])
                    .fold(0, usize::saturating_add);
                u32::try_from(before).unwrap_or(u32::MAX)
            })
            .collect();
        nodes[n].offsets = offsets;
    }
    for o in 0..nodes.len() {
        if !nodes[o].ordered || nodes[o].parts == 0 || nodes[o].parts > MAX_PARTS {
            continue; // too many paths: reported by `check`
        }
        let root = nodes[o].producer.unwrap_or(0);
        let reach = reaches(nodes, |n, _| n == o);
        let mut order = Vec::new();
        walk_paths(nodes, root, o, 0, &reach, &mut order);
        nodes[o].order = order;
    }
}

/// Whether `node` starts a numbering of its own: an ordered flat-map.
fn is_root(node: &Node<'_>) -> bool {
    node.ordered && node.shape == Shape::FlatMap
}

/// Appends to `order` the parts of the paths from `n` (reached with part `part`) to ordered
/// stage `o`, in branch order: depth first, successors in id order (branches left to right).
/// Paths pass through stages and transparent ordered stages, not through another root.
fn walk_paths(
    nodes: &[Node<'_>],
    n: usize,
    o: usize,
    part: u32,
    reach: &[bool],
    order: &mut Vec<u8>,
) {
    for (&s, &offset) in nodes[n].succs.iter().zip(&nodes[n].offsets) {
        let part = part.saturating_add(offset);
        if s == o {
            order.push(u8::try_from(part).unwrap_or(u8::MAX));
        } else if reach[s] && !is_root(&nodes[s]) {
            walk_paths(nodes, s, o, part, reach, order);
        }
    }
}

/// The most paths from a root to an ordered stage: one bit each in its window (para-core's
/// `MAX_PARTS`).
pub(crate) const MAX_PARTS: usize = 32;

#[cfg(test)]
mod tests {
    use crate::graph::analyze;
    use crate::parse::Pipeline;
    use quote::quote;

    /// Per node: (tagged_in, tagged_out, feeds, parts, order, conflict).
    type Tags = (bool, bool, Vec<usize>, usize, Vec<u8>, bool);

    fn tags(input: proc_macro2::TokenStream) -> Vec<Tags> {
        let pipeline: Pipeline = syn::parse2(quote!([k] #input)).unwrap();
        analyze(&pipeline)
            .into_iter()
            .map(|n| {
                (
                    n.tagged_in,
                    n.tagged_out,
                    n.feeds,
                    n.parts,
                    n.order,
                    n.conflict,
                )
            })
            .collect()
    }

    #[test]
    fn parts_are_numbered_by_merge_and_consumed_depth_first() {
        // src => (a, b) => (c, d) => ordered o: at c and d, the path through a is part 0 and
        // through b part 1; at o, c's paths come first: a-c 0, b-c 1, a-d 2, b-d 3. Depth first
        // is a-c, a-d, b-c, b-d.
        let got = tags(quote!(src => (a, b) => (c, d) => ordered o));
        assert_eq!(got[0].2, vec![5], "the source takes credits in o's window");
        assert_eq!(got[5].3, 4);
        assert_eq!(got[5].4, vec![0, 2, 1, 3]);
    }

    #[test]
    fn a_branch_leading_to_no_ordered_stage_takes_the_tags_off() {
        let got = tags(quote!(src => a => (ordered o, b => c)));
        assert_eq!(
            got[1],
            (true, true, vec![], 0, vec![], false),
            "a keeps tags"
        );
        assert_eq!(got[2].3, 1, "o has one part");
        assert_eq!((got[3].0, got[3].1), (true, false), "b takes them off");
        assert_eq!((got[4].0, got[4].1), (false, false), "c is plain");
    }

    #[test]
    fn sibling_and_transparent_ordered_stages_share_the_sources_numbering() {
        // Sibling ordered sinks: the source feeds both windows.
        let got = tags(quote!(src => (ordered a, f => ordered b)));
        assert_eq!(got[0].2, vec![1, 3]);
        // A transparent ordered stage in a branch: its outputs keep their tags for o.
        let got = tags(quote!(src => (ordered a, b) => ordered o));
        assert_eq!(got[0].2, vec![1, 3], "credits in a's and o's windows");
        assert_eq!((got[1].0, got[1].1), (true, true), "a is transparent");
        assert_eq!((got[3].3, got[3].4.clone()), (2, vec![0, 1]));
    }

    #[test]
    fn a_flat_map_in_a_branch_is_a_root_of_its_own() {
        // In a branch of its own up to the ordered stage: fine, it produces that window.
        let got = tags(quote!(src => (flat_map f => ordered a, ordered b)));
        assert_eq!(got[0].2, vec![1, 3], "the source feeds f's and b's windows");
        assert_eq!(got[1].2, vec![2], "f feeds a's");
        assert!(!got[1].5);
        // Meeting another branch before the ordered stage: refused.
        let got = tags(quote!(src => (flat_map f, g) => ordered o));
        assert!(got[1].5, "f conflicts");
    }
}
