//! Analysis: the parsed chain flattened into numbered nodes with their edges.
//!
//! Nodes are numbered in the order they appear in the source text: the source is 0, then a
//! depth-first walk of the chain, branches left to right. Every edge runs from an earlier node
//! to a later one, so that order is topological, and since the expansion evaluates the node
//! expressions in that order, the user's closures are evaluated in the order they were written.

use proc_macro2::Span;
use syn::Expr;

use crate::name::node_name;
use crate::parse::{Chain, Elem, Marker, Pipeline};

/// What a node does, decided by where it stands in the graph and by its markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A source: the iterator the items come from (nodes `0..sources`).
    Source,
    /// A node with successors: a stateless stage any number of workers run at once.
    Parallel,
    /// `serial`, with successors: a stateful stage, one worker at a time.
    Serial,
    /// A node without successors: a stateful final stage.
    Sink,
    /// `parallel`, without successors: a stateless final stage.
    ParallelSink,
    /// `async`, with successors: keeps futures in flight, one worker at a time polling them.
    Async,
}

/// What a node does with each input, from its markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One output per input (or, for a sink, none).
    Map,
    /// `filter`: the input or nothing.
    Filter,
    /// `filter_map`: an output or nothing.
    FilterMap,
    /// `flat_map`: any number of outputs.
    FlatMap,
}

pub(crate) struct Node<'a> {
    /// Stateless stages fused in front of this node (`fuse.rs`), first first: the node runs
    /// them, then its own `expr`, on each input.
    pub(crate) prefix: Vec<Member<'a>>,
    pub(crate) expr: &'a Expr,
    pub(crate) markers: &'a [Marker],
    pub(crate) kind: Kind,
    pub(crate) shape: Shape,
    /// `try`: the closure returns `Result`; the first error ends the run.
    pub(crate) fallible: bool,
    /// `priority(N)`, checked to be an integer literal in range.
    pub(crate) priority: Option<u8>,
    /// `limit(N)`: at most N calls at once (for an `async` stage: N futures in flight), checked
    /// to be a positive integer literal.
    pub(crate) limit: Option<u32>,
    /// `batch(N)`: called with up to N inputs at once, checked to be a positive integer literal.
    pub(crate) batch: Option<u32>,
    /// `ordered`: this node sees items in source order. Also set for a `flat_map` before an ordered
    /// stage, which runs as an ordered flat-map (para-core's `ordered` module docs). An ordered
    /// stage that is not a flat-map and whose outputs lead to another is *transparent*: its outputs
    /// keep their tags, as from any stage.
    pub(crate) ordered: bool,
    /// The nodes whose outputs feed this node's input queue, ascending. More than one: a merge.
    pub(crate) preds: Vec<usize>,
    /// The nodes this node's outputs go to, ascending. More than one: a fan-out.
    pub(crate) succs: Vec<usize>,
    /// For a fan-out, the `(` of the group that causes it: the place to blame when the item
    /// type cannot be cloned.
    pub(crate) fan_out_span: Option<Span>,
    /// The node's source text, shortened, for `NodeInfo::name`.
    pub(crate) name: String,
    /// A fold sink's call (`fold.rs`): `fold(init, add, merge)` or `reduce(init, op)`.
    pub(crate) fold: Option<crate::fold::FoldCall<'a>>,
}

/// A stateless stage fused into the node after it.
#[derive(Clone, Copy)]
pub(crate) struct Member<'a> {
    pub(crate) expr: &'a Expr,
    pub(crate) shape: Shape,
    pub(crate) fallible: bool,
}

/// Flattens `pipeline` into its nodes, indexed by node id. `check` must have accepted its shape
/// (no empty group, at least one node after the source).
pub(crate) fn analyze(pipeline: &Pipeline) -> Vec<Node<'_>> {
    let sources = sources(&pipeline.source);
    let mut nodes: Vec<Node<'_>> = sources
        .iter()
        .map(|&source| new_node(source, &[], Vec::new()))
        .collect();
    walk_chain(&pipeline.chain, (0..sources.len()).collect(), &mut nodes);
    for id in 0..nodes.len() {
        for p in nodes[id].preds.clone() {
            nodes[p].succs.push(id);
        }
    }
    for node in nodes.iter_mut() {
        node.ordered = node.markers.iter().any(|m| m.name == "ordered");
    }
    // A flat-map before an ordered stage runs as an ordered flat-map: it numbers its outputs as
    // it emits them, one input's before the next input's.
    let reaches_ordered = reaches(&nodes, |_, n| n.ordered);
    for (id, node) in nodes.iter_mut().enumerate() {
        let is_flat_map = node.markers.iter().any(|m| m.name == "flat_map");
        if is_flat_map && id >= sources.len() && node.succs.iter().any(|&s| reaches_ordered[s]) {
            node.ordered = true;
        }
    }
    for (id, node) in nodes.iter_mut().enumerate() {
        if id >= sources.len() {
            node.fold = crate::fold::fold_call(node.expr);
        }
        let has = |word: &str| node.markers.iter().any(|m| m.name == word);
        let stateless_sink = has("parallel") || node.fold.is_some();
        node.kind = match (id < sources.len(), node.succs.is_empty()) {
            (true, _) => Kind::Source,
            (false, true) if stateless_sink && !node.ordered => Kind::ParallelSink,
            (false, true) => Kind::Sink,
            (false, false) if has("async") => Kind::Async,
            (false, false) if has("serial") || node.ordered => Kind::Serial,
            (false, false) => Kind::Parallel,
        };
        node.shape = if has("filter") {
            Shape::Filter
        } else if has("filter_map") {
            Shape::FilterMap
        } else if has("flat_map") {
            Shape::FlatMap
        } else {
            Shape::Map
        };
        node.fallible = has("try");
        node.priority = node
            .markers
            .iter()
            .find(|m| m.name == "priority")
            .and_then(|m| m.arg.as_ref())
            .and_then(priority_value);
        node.limit = node
            .markers
            .iter()
            .find(|m| m.name == "limit")
            .and_then(|m| m.arg.as_ref())
            .and_then(limit_value);
        node.batch = node
            .markers
            .iter()
            .find(|m| m.name == "batch")
            .and_then(|m| m.arg.as_ref())
            .and_then(limit_value);
    }
    nodes
}

/// Per node: whether it is `target` or has a path to a node that is.
pub(crate) fn reaches(nodes: &[Node<'_>], target: impl Fn(usize, &Node<'_>) -> bool) -> Vec<bool> {
    let mut reach = vec![false; nodes.len()];
    // Edges go from lower to higher ids, so descending ids is a reverse topological order.
    for n in (0..nodes.len()).rev() {
        reach[n] = target(n, &nodes[n]) || nodes[n].succs.iter().any(|&s| reach[s]);
    }
    reach
}

/// The sources: the elements of a tuple `(a, b, …)` in source position, or the one source.
pub(crate) fn sources(source: &Expr) -> Vec<&Expr> {
    match source {
        Expr::Tuple(tuple) if tuple.elems.len() > 1 => tuple.elems.iter().collect(),
        source => vec![source],
    }
}

/// The value of `priority(N)` if `N` is an integer literal in `0..=3` (`check.rs` reports
/// anything else).
pub(crate) fn priority_value(arg: &Expr) -> Option<u8> {
    match arg {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse::<u8>().ok().filter(|&p| p <= 3),
        _ => None,
    }
}

/// The value of `limit(N)` if `N` is a positive integer literal that fits a `u32` (`check.rs`
/// reports anything else).
pub(crate) fn limit_value(arg: &Expr) -> Option<u32> {
    match arg {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse::<u32>().ok().filter(|&n| n >= 1),
        _ => None,
    }
}

fn new_node<'a>(expr: &'a Expr, markers: &'a [Marker], preds: Vec<usize>) -> Node<'a> {
    Node {
        prefix: Vec::new(),
        expr,
        markers,
        kind: Kind::Parallel,
        shape: Shape::Map,
        fallible: false,
        priority: None,
        limit: None,
        batch: None,
        ordered: false,
        preds,
        succs: Vec::new(),
        fan_out_span: None,
        name: node_name(expr),
        fold: None,
    }
}

/// Adds the nodes of `chain`, fed by the nodes `tails`; returns the nodes whose outputs leave
/// the chain (one for a chain ending in a node, one per branch end for a chain ending in a group).
fn walk_chain<'a>(
    chain: &'a Chain,
    mut tails: Vec<usize>,
    nodes: &mut Vec<Node<'a>>,
) -> Vec<usize> {
    for elem in &chain.elems {
        tails = match elem {
            Elem::Node(spec) => {
                nodes.push(new_node(&spec.expr, &spec.markers, tails));
                vec![nodes.len() - 1]
            }
            Elem::Group(group) => {
                if group.branches.len() > 1 {
                    // The outermost group wins: it is the one that first splits the stream.
                    for &t in &tails {
                        nodes[t].fan_out_span.get_or_insert(group.paren.span.open());
                    }
                }
                let mut ends = Vec::new();
                for branch in &group.branches {
                    ends.extend(walk_chain(branch, tails.clone(), nodes));
                }
                ends
            }
        };
    }
    tails
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn shape(input: proc_macro2::TokenStream) -> Vec<(Kind, Vec<usize>, Vec<usize>)> {
        let pipeline: Pipeline = syn::parse2(quote!([k] #input)).unwrap();
        let nodes = analyze(&pipeline);
        nodes
            .into_iter()
            .map(|n| (n.kind, n.preds, n.succs))
            .collect()
    }

    use Kind::{Parallel as P, Sink as K, Source as S};

    #[test]
    fn seed_example() {
        let got =
            shape(quote!(4, data => (|x| (x * 2, x) => |(x2, x)| x2 - x, |x| -x) => |x| sum += x));
        let want = vec![
            (S, vec![], vec![1, 3]),
            (P, vec![0], vec![2]),
            (P, vec![1], vec![4]),
            (P, vec![0], vec![4]),
            (K, vec![2, 3], vec![]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn nested_groups() {
        // src => (a => (b, c) => d, e) => f
        let got = shape(quote!(src => (a => (b, c) => d, e) => f));
        let want = vec![
            (S, vec![], vec![1, 5]),
            (P, vec![0], vec![2, 3]),
            (P, vec![1], vec![4]),
            (P, vec![1], vec![4]),
            (P, vec![2, 3], vec![6]),
            (P, vec![0], vec![6]),
            (K, vec![4, 5], vec![]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn group_at_the_end_makes_sinks() {
        let got = shape(quote!(src => (|x| a.push(x), |x| b.push(x))));
        let want = vec![
            (S, vec![], vec![1, 2]),
            (K, vec![0], vec![]),
            (K, vec![0], vec![]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn group_after_group() {
        let got = shape(quote!(src => (a, b) => (c, d)));
        let want = vec![
            (S, vec![], vec![1, 2]),
            (P, vec![0], vec![3, 4]),
            (P, vec![0], vec![3, 4]),
            (K, vec![1, 2], vec![]),
            (K, vec![1, 2], vec![]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn single_branch_group_is_inline() {
        assert_eq!(
            shape(quote!(src => (a => b) => c)),
            shape(quote!(src => a => b => c))
        );
        assert_eq!(
            shape(quote!(src => (a,) => c)),
            shape(quote!(src => a => c))
        );
    }
}
