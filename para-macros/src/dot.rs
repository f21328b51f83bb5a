//! `pipeline_dot!`: the graph a `pipeline!` of the same tokens would run, as Graphviz DOT,
//! without running it (nor evaluating any of its expressions but the capacity).
//!
//! Built from the nodes after fusion, so the picture is what runs: a fused chain is one box
//! listing its stages. Each box names its kind (`source`, `parallel`, `serial`, `ordered`,
//! `sink`, `fold`, …) and, for a node with an input, what holds its queued items: a queue of
//! `capacity` items, or an ordered stage's windows. The graph's label states the bound those
//! give on queued items, the sum over every queue and window. (Items in the workers' hands
//! come on top: at most one step's claim per worker.)
//!
//! The expansion is a block returning a `String`: the capacity is a constant expression of the
//! user's (or para-std's default), known only when the program is compiled, so the numbers are
//! formatted then; the rest of the text is fixed by the macro.

use proc_macro2::TokenStream;
use quote::quote;

use crate::check::Settings;
use crate::graph::{Kind, Node, Shape};
use crate::order::OrderPlan;

/// The block that builds the DOT text of `nodes`.
pub(crate) fn expand(
    krate: &TokenStream,
    settings: &Settings<'_>,
    nodes: &[Node<'_>],
    plan: &OrderPlan,
) -> TokenStream {
    let capacity = capacity(krate, settings);
    // Each node's queue or windows hold `slots × capacity` items.
    let slots: Vec<usize> = (0..nodes.len()).map(|n| slots(nodes, plan, n)).collect();
    let total: usize = slots.iter().sum();
    let futures = futures(nodes);
    let mut lines = Vec::new();
    lines.push(quote!(dot.push_str("digraph pipeline {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");));
    for (i, node) in nodes.iter().enumerate() {
        let label = escape(&format!(
            "{}\n{}",
            kind(node),
            node.name.replace(" => ", "\n=> ")
        ));
        let count = slots[i];
        let held = match (node.kind, node.ordered) {
            (Kind::Source, _) => "",
            (_, true) => "\\nwindows: ",
            (_, false) => "\\nqueue: ",
        };
        let before = format!("  n{i} [label=\"{label}{held}");
        let after = match (in_flight(node), node.batch) {
            (0, _) => "\"];\n".to_owned(),
            (k, None) => format!("\\nfutures: {k}\"];\n"),
            (k, Some(b)) => format!("\\nfutures: {k} × {b} items\"];\n"),
        };
        if count == 0 {
            lines.push(quote!(dot.push_str(#before); dot.push_str(#after);));
        } else {
            // The items it holds, known once the capacity is.
            lines.push(quote! {
                dot.push_str(#before);
                dot.push_str(&::std::format!("{} items ({} × {})", #count * cap, #count, cap));
                dot.push_str(#after);
            });
        }
        for &p in &node.preds {
            let edge = format!("  n{p} -> n{i};\n");
            lines.push(quote!(dot.push_str(#edge);));
        }
    }
    let in_futures = if futures == 0 {
        String::new()
    } else {
        format!(", futures {futures} more")
    };
    lines.push(quote! {
        dot.push_str(&::std::format!(
            "  label=\"queues and windows hold at most {} items ({} × capacity {}){}\";\n  labelloc=b;\n}}\n",
            #total * cap, #total, cap, #in_futures
        ));
    });
    quote!({
        let cap: usize = #capacity;
        let mut dot = ::std::string::String::new();
        #(#lines)*
        dot
    })
}

/// The capacity of every queue: the `capacity` option, or the backend's default.
fn capacity(krate: &TokenStream, settings: &Settings<'_>) -> TokenStream {
    match settings.capacity {
        Some(capacity) => quote!(#capacity),
        None => quote!(#krate::__private::DEFAULT_CAPACITY),
    }
}

/// The block that computes the bound on the items the queues and windows of `nodes` hold: the
/// number `pipeline_dot!` prints in the graph's label, as a `usize`.
pub(crate) fn bound(
    krate: &TokenStream,
    settings: &Settings<'_>,
    nodes: &[Node<'_>],
    plan: &OrderPlan,
) -> TokenStream {
    let capacity = capacity(krate, settings);
    let total: usize = (0..nodes.len()).map(|n| slots(nodes, plan, n)).sum();
    let futures = futures(nodes);
    quote!({
        let cap: usize = #capacity;
        #total * cap + #futures
    })
}

/// The futures async node `node` keeps in flight at most (0 for any other node): each holds
/// one item.
fn in_flight(node: &Node<'_>) -> usize {
    match (node.kind, node.limit) {
        (Kind::Async, Some(limit)) => limit as usize,
        (Kind::Async, None) => para_core::raw::ASYNC_IN_FLIGHT,
        _ => 0,
    }
}

/// The items all async nodes' futures hold at most: a batch each for `batch(N) async`.
fn futures(nodes: &[Node<'_>]) -> usize {
    nodes
        .iter()
        .map(|node| in_flight(node) * node.batch.unwrap_or(1) as usize)
        .sum()
}

/// How many times the capacity node `node`'s input holds: 1 for a queue; an ordered stage's
/// parts times windows, plus its streams' windows (the same sizes `codegen.rs` allocates).
fn slots(nodes: &[Node<'_>], plan: &OrderPlan, n: usize) -> usize {
    if nodes[n].kind == Kind::Source {
        return 0;
    }
    let Some(window) = &plan[n].window else {
        return 1;
    };
    let (windows, _) = plan.window_sources(n);
    window.parts * windows
        + window
            .streams
            .iter()
            .map(|stream| stream.parts * stream.windows)
            .sum::<usize>()
}

/// The words that say what kind of node `node` is.
fn kind(node: &Node<'_>) -> String {
    let mut words: Vec<&str> = Vec::new();
    if node.fallible {
        words.push("try");
    }
    let batch = node.batch.map(|n| format!("batch {n}"));
    if let Some(batch) = &batch {
        words.push(batch);
    }
    words.push(match (node.kind, node.ordered) {
        (Kind::Source, _) => "source",
        (Kind::ParallelSink, _) if node.fold.is_some() => "fold sink",
        (Kind::ParallelSink, _) => "parallel sink",
        (Kind::Sink, true) => "ordered sink",
        (Kind::Sink, false) => "sink",
        (Kind::Serial, true) => "ordered",
        (Kind::Serial, false) => "serial",
        (Kind::Parallel, _) => "parallel",
        (Kind::Async, _) => "async",
    });
    words.push(match node.shape {
        Shape::Filter => "filter",
        Shape::FilterMap => "filter_map",
        Shape::FlatMap => "flat_map",
        Shape::Map => "",
    });
    let mut text = words.join(" ").trim().to_owned();
    if let Some(priority) = node.priority {
        text.push_str(&format!(", priority {priority}"));
    }
    if let Some(limit) = node.limit {
        text.push_str(&format!(", limit {limit}"));
    }
    text
}

/// `text` as the inside of a DOT string: quotes and backslashes escaped, lines as `\n`.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
