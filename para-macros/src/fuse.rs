//! Fusion: a chain of stateless stages becomes one node.
//!
//! `|x| a => |y| b => sink` would hand every item through a queue between `a` and `b`, and
//! often from one core to another. Since `a` keeps no state and `b` is its only successor, one
//! node can run both on each input (para-core's `Fused` stage): the item crosses one queue per
//! chain instead of one per stage, and the run keeps the same parallelism (any worker runs any
//! item through the whole chain). A node is fused into its successor when it is a stateless
//! stage, with no `priority` or `limit` of its own, whose only successor has it as only
//! predecessor and is a stateless stage or a `parallel` or fold sink with no `priority` or
//! `limit` either. A flat-map's output is an iterator, so it fuses only into a chain that ends
//! in a fold sink (one flat-map per chain): its outputs are folded as they come, the way
//! `flat_map words => fold(count)` needs no queue per word. Stateful, ordered and other
//! flat-map stages, sinks, fan-outs and merges stay nodes of their own, so the order, state
//! and memory promises do not change (the memory bound only shrinks: fewer queues).

use crate::graph::{Kind, Member, Node, Shape};

/// `nodes` with every fusable chain merged into its last node, ids renumbered. `check` must
/// have accepted `nodes`.
pub(crate) fn fuse<'a>(mut nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
    let absorbed: Vec<bool> = (0..nodes.len()).map(|a| fusable(&nodes, a)).collect();
    if !absorbed.contains(&true) {
        return nodes;
    }
    // Each kept node takes the chain of absorbed nodes before it as its prefix.
    for n in 0..nodes.len() {
        if absorbed[n] {
            continue;
        }
        let mut prefix = Vec::new();
        let mut name = nodes[n].name.clone();
        let mut head = n;
        while let [p] = nodes[head].preds[..] {
            if !absorbed[p] {
                break;
            }
            let member = &nodes[p];
            prefix.push(Member {
                expr: member.expr,
                shape: member.shape,
                fallible: member.fallible,
            });
            // A flat-map is named as one, so that a fused chain reads as written.
            name = match member.shape {
                Shape::FlatMap => format!("flat_map {} => {name}", member.name),
                _ => format!("{} => {name}", member.name),
            };
            head = p;
        }
        if head != n {
            prefix.reverse();
            let preds = nodes[head].preds.clone();
            let node = &mut nodes[n];
            node.prefix = prefix;
            node.name = name;
            node.preds = preds;
        }
    }
    // New ids: the kept nodes in order. An absorbed node stands for the node it runs in.
    let mut new_id = vec![0; nodes.len()];
    let mut next = 0;
    for n in 0..nodes.len() {
        if !absorbed[n] {
            new_id[n] = next;
            next += 1;
        }
    }
    for n in (0..nodes.len()).rev() {
        if absorbed[n] {
            new_id[n] = new_id[nodes[n].succs[0]];
        }
    }
    let mut kept: Vec<Node<'a>> = nodes
        .into_iter()
        .zip(&absorbed)
        .filter(|(_, &gone)| !gone)
        .map(|(node, _)| node)
        .collect();
    for node in &mut kept {
        node.preds.iter_mut().for_each(|p| *p = new_id[*p]);
        node.succs.iter_mut().for_each(|s| *s = new_id[*s]);
    }
    kept
}

/// Whether node `a` runs inside its successor (module docs).
fn fusable(nodes: &[Node<'_>], a: usize) -> bool {
    let node = &nodes[a];
    let [b] = node.succs[..] else {
        return false;
    };
    let next = &nodes[b];
    let stateless_pair = node.kind == Kind::Parallel
        && !node.ordered
        && node.priority.is_none()
        && node.limit.is_none()
        && node.batch.is_none()
        && next.preds == [a]
        && matches!(next.kind, Kind::Parallel | Kind::ParallelSink)
        && !next.ordered
        && next.priority.is_none()
        && next.limit.is_none()
        && next.batch.is_none();
    stateless_pair && (node.shape != Shape::FlatMap || folds_without_flat_map(nodes, b))
}

/// Whether the chain from `b` on fuses into a fold sink with no flat-map on the way: a
/// flat-map just before `b` then fuses too, its outputs folded as they come (para-core's
/// `FlatFold`), so they need no queue. One flat-map per chain: a second would nest
/// expansions in one call.
fn folds_without_flat_map(nodes: &[Node<'_>], b: usize) -> bool {
    let node = &nodes[b];
    node.fold.is_some()
        || (node.shape != Shape::FlatMap
            && fusable(nodes, b)
            && folds_without_flat_map(nodes, node.succs[0]))
}
