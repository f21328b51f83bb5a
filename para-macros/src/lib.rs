//! The `pipeline!` procedural macro of [para](https://docs.rs/para-std).
//!
//! On a desktop or server, use it through `para_std::pipeline!`, a `macro_rules!` wrapper that
//! calls [`pipeline_impl!`](pipeline_impl) with its own path in front (`[$crate] tokens…`), so
//! that the expansion reaches para's internals however the user named or re-exported the crate.
//!
//! On a bare-metal chip, with para-core alone, use [`pipeline!`](pipeline) from this crate: the
//! same grammar, the graph on the caller's stack, run by the chip's cores (see its docs).
//!
//! # Grammar
//!
//! ```text
//! pipeline!( [THREADS ,] [OPTION = EXPR ,]* SOURCE => CHAIN [,] )
//! CHAIN := ELEM ( => ELEM )*
//! ELEM  := NODE | GROUP
//! GROUP := ( CHAIN , CHAIN , … [,] )       fan-out: every branch gets every item
//! NODE  := MARKER* EXPR                     EXPR: a closure, a path to a function
//!        | [try] [priority(N)] FOLD           a fold sink: last in its chain
//! MARKER := serial | parallel | ordered | filter | filter_map | flat_map | try | priority(0..=3)
//!         | limit(N) | async | batch(N)
//! FOLD  := fold(INIT, ADD, MERGE) | reduce(INIT, OP)
//! ```
//!
//! * A fold sink keeps an accumulator per worker (`INIT: Fn() -> A`, `ADD: Fn(A, item) -> A`,
//!   or `-> Result<A, E>` with `try`) and merges them after the run (`MERGE: FnMut(A, A) -> A`;
//!   `reduce`'s `OP: Fn(A, A) -> A` both adds and merges). `pipeline!` returns the result: a
//!   tuple of several, in the order written. In a node's place `fold(` and `reduce(` are
//!   reserved: a function of that name is reached by its path (`self::fold(…)`).
//!
//! * The source may be a tuple of sources, `(a, b) => …`: several iterators feed one graph.
//! * Markers: `serial` makes a middle stage stateful (`FnMut`, one worker at a time);
//!   `parallel` makes a sink stateless (`Fn + Sync`, many workers); `filter |x| bool` keeps the
//!   items the predicate accepts (it sees `&item`); `filter_map |x| Option<_>` passes on the
//!   `Some`s; `flat_map |x| iterable` passes on every output, lazily; `try |x| Result<_, E>`
//!   stops the run at the first `Err`, which `pipeline!` then returns, and combines with
//!   `filter`, `filter_map` and `flat_map` (whose closure then returns `Result<bool, E>`,
//!   `Result<Option<_>, E>`, `Result<iterable, E>`); `serial flat_map` is an `FnMut` flat-map;
//!   `priority(N)` sets the node's scheduling priority; `limit(N)` (N ≥ 1) runs at most N calls
//!   of a parallel stage or sink at once; `async |x| … .await …` (an async closure, or `async f`
//!   for an `async fn`) is a middle stage that keeps up to `limit(K)` futures in flight (32 if
//!   not given) in slots inside the node, polled by one worker at a time and woken by their
//!   wakers (para-core's `async_node.rs`); `batch(N)` calls a stateless stage with up to N
//!   queued items at once (a `Batch<T, N>`; one output per input, in order), and with `async`
//!   starts one future per batch. Markers may come in any order.
//!
//! * `THREADS` is told from the source by what follows it: `,` and more input.
//! * Options: `error = Type` (the run's error type: a type, parsed apart from the other
//!   options' expressions), `capacity = N` (a const `usize` ≥ 1: the capacity of every queue),
//!   `pin = BOOL` (pin workers to cores; on by default) and `stack_size = BYTES` (the stack of
//!   the pool threads that run it; 8 MiB by default).
//! * A node after a group consumes the outputs of all its branches (a merge). A node with no
//!   successor is a *sink* (`FnMut`, run by one worker at a time); every other node after the
//!   source is a *parallel stage* (`Fn + Sync`, run by any number of workers at once).
//!
//! # Pipeline of the macro
//!
//! As in RTIC, each step is its own module and the output depends on the input only:
//! `parse` (syntax into an AST) → `check` (semantic errors, all reported at once, each at the
//! token at fault) → `graph` (nodes numbered in textual order, with their edges) → `fuse`
//! (chains of stateless stages become one node) → `order` (the ordering analysis of the fused
//! graph, frozen into one `OrderPlan`: which items carry tags, windows, streams, lanes; the
//! checks of its limits) → `codegen` (one block expression that builds the graph and runs it)
//! or `dot` (its picture). `fold`, `state` and `try_hint` check and locate what their concepts
//! need; `name` prints a node's tokens for the graph's table of node names.

use proc_macro::TokenStream;

mod check;
mod codegen;
mod dot;
mod fold;
mod fuse;
mod graph;
mod name;
mod order;
mod parse;
mod state;
mod try_hint;

/// The pipeline of the crate docs' grammar, on para-core alone (no `std`, no allocator): its
/// queues and nodes on the caller's stack, run by the cores `THREADS` names.
///
/// `THREADS` is any `Copy` value that implements [`para_core::Cores`], typically `&CORES` for
/// a `static CORES: para_core::Harts<N>` whose other cores serve it; without it, the calling
/// core runs the pipeline alone. The call returns when every core is done with the graph. The
/// crate `para_core` must be a dependency under that name. Fold sinks keep a few accumulators
/// (4), whatever the number of cores; `pin` and `stack_size` are para-std's options. A panic
/// goes to the chip's panic handler.
///
/// ```
/// use para_core::{Harts, OneCore};
/// use para_macros::pipeline;
///
/// // On the calling core alone:
/// let mut sum = 0u64;
/// pipeline!(0..1000u64 => |x| x * 2 => |x| sum += x);
/// assert_eq!(sum, 999 * 1000);
///
/// // On every core of a chip: threads stand in for cores here.
/// static CORES: Harts<2> = Harts::new();
/// std::thread::spawn(|| CORES.serve(1));
/// assert_eq!(CORES.wait_online(usize::MAX), 2);
/// let squares = pipeline!(&CORES, 0..1000u64 => |x| x * x => reduce(|| 0, |a, b| a + b));
/// assert_eq!(squares, (0..1000u64).map(|x| x * x).sum());
/// # let _ = OneCore;
/// ```
#[proc_macro]
pub fn pipeline(input: TokenStream) -> TokenStream {
    let input: proc_macro2::TokenStream = input.into();
    expand(quote::quote!([::para_core] #input)).into()
}

/// Expands `[krate] pipeline-body`. Called by `para_std::pipeline!`; see the crate docs.
#[proc_macro]
pub fn pipeline_impl(input: TokenStream) -> TokenStream {
    expand(input.into()).into()
}

/// Expands `[krate] pipeline-body` into the DOT text of the graph `pipeline!` would run (a
/// `String`). Called by `para_std::pipeline_dot!`.
#[proc_macro]
pub fn pipeline_dot_impl(input: TokenStream) -> TokenStream {
    with_graph(input.into(), dot::expand).into()
}

/// The bound on the items the queues and windows of the graph a [`pipeline!`] of the same
/// arguments would run hold at any moment, as a `usize`, without running it (para-std's
/// `pipeline_bound!` documents it); with para-core's default capacity here.
#[proc_macro]
pub fn pipeline_bound(input: TokenStream) -> TokenStream {
    let input: proc_macro2::TokenStream = input.into();
    with_graph(quote::quote!([::para_core] #input), dot::bound).into()
}

/// Expands `[krate] pipeline-body` into the bound on the items the queues and windows of the
/// graph `pipeline!` would run hold (a `usize`). Called by `para_std::pipeline_bound!`.
#[proc_macro]
pub fn pipeline_bound_impl(input: TokenStream) -> TokenStream {
    with_graph(input.into(), dot::bound).into()
}

/// The whole macro on `proc_macro2` tokens, so unit tests can run it.
fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    with_graph(input, codegen::expand)
}

/// Parses and checks `input`, builds its graph, and hands it to `emit`; or the errors.
fn with_graph(
    input: proc_macro2::TokenStream,
    emit: impl FnOnce(
        &proc_macro2::TokenStream,
        &check::Settings<'_>,
        &[graph::Node<'_>],
        &order::OrderPlan,
    ) -> proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let pipeline: parse::Pipeline = match syn::parse2(input) {
        Ok(pipeline) => pipeline,
        Err(error) => return error.to_compile_error(),
    };
    let checked = check::check(&pipeline);
    let errors = checked.errors.iter().map(syn::Error::to_compile_error);
    if !checked.has_graph {
        return quote::quote!({ #(#errors)* });
    }
    let nodes = graph::analyze(&pipeline);
    let mut marker_errors = check::markers(&nodes);
    marker_errors.extend(fold::check(&nodes));
    if !marker_errors.is_empty() {
        let all = checked.errors.iter().chain(&marker_errors);
        let all = all.map(syn::Error::to_compile_error);
        return quote::quote!({ #(#all)* });
    }
    // Still expanded with these: rustc reports the same mistakes, without the fix.
    let mut state_errors = state::captured_assignments(&nodes);
    state_errors.extend(try_hint::question_marks_without_try(&nodes));
    let sources = graph::sources(&pipeline.source).len();
    let nodes = fuse::fuse(nodes);
    let plan = order::OrderPlan::new(&nodes, sources);
    let order_errors = check::order_limits(&nodes, &plan);
    if !order_errors.is_empty() {
        let all = checked.errors.iter().chain(&order_errors);
        let all = all.map(syn::Error::to_compile_error);
        return quote::quote!({ #(#all)* });
    }
    let expansion = emit(&pipeline.krate, &checked.settings, &nodes, &plan);
    if checked.errors.is_empty() && state_errors.is_empty() {
        expansion
    } else {
        // Still expand, so the closures are type-checked while the errors stand.
        let errors = errors.chain(state_errors.iter().map(syn::Error::to_compile_error));
        quote::quote!({ #(#errors)* #expansion })
    }
}

#[cfg(test)]
mod random_graphs;
#[cfg(test)]
mod tests;
