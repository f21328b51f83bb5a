//! Analysis: the parsed chain flattened into numbered nodes with their edges.
//!
//! Nodes are numbered in the order they appear in the source text: the source is 0, then a
//! depth-first walk of the chain, branches left to right. Every edge runs from an earlier node
//! to a later one, so that order is topological, and since the expansion evaluates the node
//! expressions in that order, the user's closures are evaluated in the order they were written.

use proc_macro2::Span;
use syn::Expr;

use crate::name::node_name;
use crate::parse::{Chain, Elem, Pipeline};

/// What a node does, decided by where it stands in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Node 0: the iterator the items come from.
    Source,
    /// A node with successors: a stateless stage any number of workers run at once.
    Parallel,
    /// A node without successors: a stateful final stage.
    Sink,
}

pub(crate) struct Node<'a> {
    pub(crate) expr: &'a Expr,
    pub(crate) kind: Kind,
    /// The nodes whose outputs feed this node's input queue, ascending. More than one: a merge.
    pub(crate) preds: Vec<usize>,
    /// The nodes this node's outputs go to, ascending. More than one: a fan-out.
    pub(crate) succs: Vec<usize>,
    /// For a fan-out, the `(` of the group that causes it: the place to blame when the item
    /// type cannot be cloned.
    pub(crate) fan_out_span: Option<Span>,
    /// The node's source text, shortened, for `NodeInfo::name`.
    pub(crate) name: String,
}

/// Flattens `pipeline` into its nodes, indexed by node id. `check` must have accepted its shape
/// (no empty group, at least one node after the source).
pub(crate) fn analyze(pipeline: &Pipeline) -> Vec<Node<'_>> {
    let mut nodes = vec![new_node(&pipeline.source, Vec::new())];
    walk_chain(&pipeline.chain, vec![0], &mut nodes);
    for id in 0..nodes.len() {
        for p in nodes[id].preds.clone() {
            nodes[p].succs.push(id);
        }
    }
    for (id, node) in nodes.iter_mut().enumerate() {
        node.kind = match (id, node.succs.is_empty()) {
            (0, _) => Kind::Source,
            (_, true) => Kind::Sink,
            (_, false) => Kind::Parallel,
        };
    }
    nodes
}

fn new_node(expr: &Expr, preds: Vec<usize>) -> Node<'_> {
    Node {
        expr,
        kind: Kind::Parallel,
        preds,
        succs: Vec::new(),
        fan_out_span: None,
        name: node_name(expr),
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
            Elem::Node(expr) => {
                nodes.push(new_node(expr, tails));
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
