//! Code generation: one block expression that builds the graph and runs it (the nodes on the
//! caller's stack; the queues where the crate's `queue` puts them: the stack for para-core
//! alone, the heap for para-std).
//!
//! The block, in order: the thread count; the node values (source first, then every node in
//! id order, so user expressions are evaluated in the order they were written), with the
//! `fan_out` and `merge` type checks between them; one input queue per node; the `NodeInfo`
//! table; the dispatch closure; the call to `run`. Types are never named: each node function
//! returns a `Ty<T>` marker of its output type, which the next node function and the queues
//! consume, so closures infer their argument types like any closure passed to a function.
//!
//! # Spans
//!
//! User expressions keep their own spans, so a type error inside a closure points into it.
//! Each wiring call is *located* over the node it builds, so that a bound it fails (`O: Item`,
//! `R: SinkOutput`) is reported over the user's closure rather than over the whole invocation;
//! a `fan_out` at the `(` of the group that fans out; a `merge`'s arguments at the last node of
//! each branch. Located means that only the line and column change: generated tokens all keep
//! one hygiene context, that of the `$crate` the wrapper passes in. That context resolves
//! `$crate`, hides the generated locals from user code (macro_rules hygiene), and is what rustc
//! needs: it joins two spans, or moves an error from an argument to its call, only within one
//! context.

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::check::Settings;
use crate::fold::FoldCall;
use crate::graph::{Kind, Node, Shape};
use crate::order::{OrderPlan, Window};
use para_core::raw::EndMode;

pub(crate) fn expand(
    krate: &TokenStream,
    settings: &Settings<'_>,
    nodes: &[Node<'_>],
    plan: &OrderPlan,
) -> TokenStream {
    let g = Gen::new(krate, nodes, plan);
    let k = &g.k;
    // Every name a statement declares is an `Ident` built by `Gen`, never a word inside
    // `quote!`, so that all of them share one hygiene context.
    let threads = g.name("__para_threads");
    let table = g.name("__PARA_NODES");
    let graph = g.name("__para_graph");
    let result = g.name("__para_result");
    let id = g.name("__para_id");
    let cx = g.name("__para_cx");
    let errors = g.name("__para_errors");
    let fallible = settings.error.is_some()
        || nodes
            .iter()
            .any(|node| node.fallible || node.prefix.iter().any(|member| member.fallible));
    let mut stmts = Vec::new();

    stmts.push(match settings.threads {
        Some(expr) => {
            let call = g.call("thread_count", Place::of(expr), quote!(#expr));
            quote!(let #threads = #call;)
        }
        None => quote!(let #threads = #k::all_cores();),
    });

    // Nodes, in id order, each preceded by the merge of its inputs and followed by its fan-out.
    for (i, node) in nodes.iter().enumerate() {
        let expr = node.expr;
        let place = Place::of(expr);
        let n = g.local("__para_n", i, "");
        let t = g.local("__para_t", i, "");
        if node.preds.len() > 1 {
            // Each branch's marker is located at the branch's last node, where a mismatch is.
            let mut preds = node.preds.iter().map(|&p| {
                let at = Place::of(nodes[p].expr).first;
                g.output_ty(p, at).into_token_stream()
            });
            let first = preds.next().expect("a merge has inputs");
            let merged = preds.fold(first, |a, b| g.call("merge", place, quote!(#a, #b)));
            let m = g.input_ty(i);
            stmts.push(quote!(let #m = #merged;));
        }
        stmts.push(match node.kind {
            Kind::Source => {
                // A split source if the type allows, else an iterator (`para-std/src/source.rs`).
                let method = if plan[i].tagged_out {
                    "tagged_source"
                } else {
                    "source"
                };
                let method = g.at(g.name(method), place.first);
                let arg = quote!(#k::SourceArg::new(#expr));
                // Located at the source, where rustc then reports an iterator that is not
                // `Send` (the argument's span is the error's).
                let node = g.located(&quote!(&#n), place.first);
                let check = g.call("source_is_send", place, node);
                quote! {
                    let (#n, #t) = {
                        use #k::{ViaCaller as _, ViaFeed as _, ViaIter as _, ViaSplit as _};
                        (&&&&#arg).#method()
                    };
                    #check;
                }
            }
            kind => {
                // Stages fused in front of this one (`fuse.rs`): each built by its own typed
                // constructor, so its closure infers its types as usual, then composed.
                let mut input = g.input_ty(i);
                let mut prefix = Vec::new();
                let mut fused = Vec::new();
                for (j, member) in node.prefix.iter().enumerate() {
                    let pn = g.local("__para_p", i, &format!("_{j}"));
                    let pt = g.local("__para_pt", i, &format!("_{j}"));
                    let func = constructor(Kind::Parallel, member.shape, member.fallible);
                    let m = member.expr;
                    let args = if member.fallible {
                        quote!(#input, &#errors, #m)
                    } else {
                        quote!(#input, #m)
                    };
                    let call = g.call(func, Place::of(m), args);
                    prefix.push(quote!(let (#pn, #pt) = #call;));
                    fused.push(pn);
                    input = pt;
                }
                let (call, merge) = match node.fold {
                    Some(fold) => {
                        let call = fold_sink(&g, i, fold, node.fallible, &input);
                        let merge = fold.merge().map(|merge| {
                            let m = g.local("__para_m", i, "");
                            let args = quote!(#n.init(), #merge);
                            let call = g.call("fold_merge", Place::of(merge), args);
                            quote!(let #m = #call;)
                        });
                        (call, merge)
                    }
                    None if node.batch.is_some() && kind != Kind::Async => {
                        let size = batch_size(k, node);
                        let args = quote!(#input, #size, #expr);
                        (g.call("batch_map", place, args), None)
                    }
                    None => {
                        // An async node's stage is the user's async closure, given its
                        // argument type (a batch's, for `batch(N)`) by a bound, then called
                        // through a reference by a plain closure, whose future type the node's
                        // slots hold (para-core's `async_node.rs`).
                        let stage = if kind == Kind::Async {
                            let a = g.local("__para_a", i, "");
                            let body = async_closure(node);
                            let takes = match node.batch {
                                Some(_) => {
                                    let size = batch_size(k, node);
                                    quote!(#k::batch_of(#input, #size))
                                }
                                None => quote!(#input),
                            };
                            let wrap = g.call("async_fn", place, quote!(#takes, #body));
                            prefix.push(quote!(let #a = #wrap;));
                            quote!({ let __para_f = &#a; move |__para_x| #k::async_call(__para_f, __para_x) })
                        } else {
                            quote!(#expr)
                        };
                        let func = constructor(kind, node.shape, node.fallible);
                        let (func, input) = match node.batch {
                            Some(_) => {
                                let size = batch_size(k, node);
                                let func = match node.fallible {
                                    true => "async_try_batch_map",
                                    false => "async_batch_map",
                                };
                                (func, quote!(#input, #size))
                            }
                            None => (func, quote!(#input)),
                        };
                        let args = if node.fallible {
                            quote!(#input, &#errors, #stage)
                        } else {
                            quote!(#input, #stage)
                        };
                        (g.call(func, place, args), None)
                    }
                };
                // A flat-map in the prefix (only ever before a fold sink: `fuse.rs`) splits
                // it: the stages after it run on its outputs inside the fold, the ones before
                // it in front of the whole (para-core's `FlatFold`).
                let flat = node.prefix.iter().position(|m| m.shape == Shape::FlatMap);
                let fuse = match flat {
                    None => fuse_prefix(k, &n, &fused),
                    Some(j) => {
                        let post = fuse_prefix(k, &n, &fused[j + 1..]);
                        let flat = &fused[j];
                        let head = fuse_prefix(k, &n, &fused[..j]);
                        quote!(#post let #n = #k::flat_fold(#flat, #n); #head)
                    }
                };
                // An ordered stage that marks ends in a stream (its seqs', or those it reads)
                // runs as an ordered flat-map of its outputs (one or none per input).
                let fuse = if plan[i].fills.is_some() && node.shape != Shape::FlatMap {
                    let ty = g.input_ty(i);
                    quote!(#fuse let #n = #k::as_flat_map(#n, #ty);)
                } else {
                    fuse
                };
                // On tagged inputs, a stage keeps the tags if its outputs lead to an ordered
                // stage (a transparent ordered stage too), else takes them off; an ordered
                // flat-map numbers its outputs anew (its sender does).
                let tag = if !plan[i].tagged_in {
                    quote!()
                } else if plan[i].tagged_out && !plan[i].renumbers {
                    quote!(let #n = #k::tag(#n);)
                } else {
                    quote!(let #n = #k::untag(#n);)
                };
                // A flat-map filling streams per source parks one input per source.
                let parking = if plan[i].fills.is_some_and(|fill| fill.per_source) {
                    let sources = plan.sources();
                    quote!(let #n = #n.with_parking::<#sources>();)
                } else {
                    quote!()
                };
                // An async stage gets its slots once its input type is known (tags included),
                // pinned on the stack: its futures are polled in place.
                let parking = if kind == Kind::Async {
                    let input = g.input_ty(i);
                    let input = if plan[i].tagged_in {
                        quote!(#k::tagged(#input))
                    } else {
                        quote!(#input)
                    };
                    let slots = match node.limit {
                        Some(limit) => {
                            let limit = limit as usize;
                            quote!(#limit)
                        }
                        None => quote!(#k::ASYNC_IN_FLIGHT),
                    };
                    let batch = node.batch.unwrap_or(1) as usize;
                    quote! {
                        #parking
                        let #n = #k::async_node::<_, _, #batch, { #slots }>(#n, #input);
                        let #n = ::core::pin::pin!(#n);
                    }
                } else {
                    parking
                };
                if matches!(kind, Kind::Sink | Kind::ParallelSink) {
                    quote!(#(#prefix)* let #n = #call; #merge #fuse #tag)
                } else {
                    quote!(#(#prefix)* let (#n, #t) = #call; #fuse #tag #parking)
                }
            }
        });
        if node.succs.len() > 1 {
            let paren = node.fan_out_span.unwrap_or(place.first);
            let t = g.at(t, paren);
            let tf = g.local("__para_t", i, "f");
            let call = g.call("fan_out", Place::at(paren), quote!(#t));
            stmts.push(quote!(let #tf = #call;));
        }
    }

    let capacity = match settings.capacity {
        Some(capacity) => quote!(#capacity),
        None => quote!(#k::DEFAULT_CAPACITY),
    };
    for i in (0..nodes.len()).filter(|&i| nodes[i].kind != Kind::Source) {
        let q = g.local("__para_q", i, "");
        let input = g.input_ty(i);
        stmts.push(if let Some(window) = &plan[i].window {
            let parts = window.parts;
            // A window per source, or one, for the ordered stage that produces into it (one
            // per source again if it fills them per source).
            let (sources, one_producer) = plan.window_sources(i);
            let order = window
                .order
                .iter()
                .map(|&part| Literal::u8_unsuffixed(part));
            // Its streams' windows: one each, numbered by the flat-map that fills it.
            let streams = window.streams.iter().enumerate().map(|(j, stream)| {
                let x = g.window(i, Some(j));
                let (parts, windows) = (stream.parts, stream.windows);
                let order = stream
                    .order
                    .iter()
                    .map(|&part| Literal::u8_unsuffixed(part));
                quote! {
                    let #x = #k::ordered_buffer::<_, { #capacity }, #parts, #windows>(
                        #input,
                        &[#(#order),*],
                        false,
                    );
                }
            });
            quote! {
                let #q = #k::ordered_buffer::<_, { #capacity }, #parts, #sources>(
                    #input,
                    &[#(#order),*],
                    #one_producer,
                );
                #(#streams)*
            }
        } else if plan[i].tagged_in {
            quote!(let #q = #k::tagged_queue::<_, { #capacity }>(#input);)
        } else {
            quote!(let #q = #k::queue::<_, { #capacity }>(#input);)
        });
    }

    let infos = nodes.iter().map(|node| {
        let name = Literal::string(&node.name);
        let kind = match node.kind {
            Kind::Source => quote!(Source),
            Kind::Parallel => quote!(Parallel),
            Kind::Serial => quote!(Serial),
            Kind::Sink => quote!(Sink),
            Kind::ParallelSink => quote!(ParallelSink),
            Kind::Async => quote!(Async),
        };
        let preds = node.preds.iter().map(|&p| id_lit(p));
        let priority = node.priority.map(|level| quote!(.with_priority(#level)));
        quote!(#k::NodeInfo::new(#name, #k::NodeKind::#kind, &[#(#preds),*])#priority)
    });
    stmts.push(quote!(const #table: &[#k::NodeInfo] = &[#(#infos),*];));

    let arms = nodes.iter().enumerate().map(|(i, node)| {
        let lit = id_lit(i);
        let n = g.local("__para_n", i, "");
        let q = g.local("__para_q", i, "");
        // Located at the node too: a bound these fail (only ever as a consequence of an error
        // already reported at the node) then points at the node, not at the whole invocation.
        // The sender, which fails when the item type does, goes to the fan-out if there is one.
        let place = Place::of(node.expr);
        let out = || g.located(&g.sender(i), node.fan_out_span.unwrap_or(place.first));
        // The node an ordered stage's window wakes when it gives credits back: its producer,
        // or the first source (source `i` of the window is node `i`).
        let no_window = Window::default();
        let window = plan[i].window.as_ref().unwrap_or(&no_window);
        let producer = id_lit(window.producer.unwrap_or(0));
        // The streams it reads, `(Stream, (Stream, ()))`, each with the flat-map it wakes.
        let streams =
            window
                .streams
                .iter()
                .enumerate()
                .rev()
                .fold(quote!(()), |rest, (j, stream)| {
                    let x = g.window(i, Some(j));
                    let f = id_lit(stream.root);
                    quote!((#k::Stream::new(&*#x, #f), #rest))
                });
        let call = match node.kind {
            Kind::Source => {
                let out = out();
                g.call("run_source", place, quote!(#lit, &#n, #out, #cx))
            }
            Kind::Async => {
                let out = out();
                g.call(
                    "run_async",
                    place,
                    quote!(#lit, &*#q, #n.as_ref(), #out, #cx),
                )
            }
            Kind::Parallel if node.shape == Shape::FlatMap => {
                let out = out();
                g.call("run_flat_map", place, quote!(#lit, &*#q, &#n, #out, #cx))
            }
            Kind::Parallel if node.batch.is_some() => {
                let out = out();
                g.call("run_batch", place, quote!(#lit, &*#q, &#n, #out, #cx))
            }
            Kind::Parallel => {
                let out = out();
                match node.limit {
                    Some(limit) => {
                        let limit = limit as usize;
                        g.call(
                            "run_parallel_limited",
                            place,
                            quote!(#lit, &*#q, &#n, #limit, #out, #cx),
                        )
                    }
                    None => g.call("run_parallel", place, quote!(#lit, &*#q, &#n, #out, #cx)),
                }
            }
            Kind::Serial
                if node.ordered && (node.shape == Shape::FlatMap || plan[i].fills.is_some()) =>
            {
                let out = out();
                g.call(
                    "run_ordered_flat_map",
                    place,
                    quote!(#lit, &*#q, &#streams, &#n, #out, #producer, #cx),
                )
            }
            Kind::Serial if node.ordered => {
                let out = out();
                g.call(
                    "run_ordered",
                    place,
                    quote!(#lit, &*#q, &#streams, &#n, #out, #producer, #cx),
                )
            }
            Kind::Sink if node.ordered => g.call(
                "run_ordered",
                place,
                quote!(#lit, &*#q, &#streams, &#n, #k::Discard, #producer, #cx),
            ),
            Kind::Serial if node.shape == Shape::FlatMap => {
                let out = out();
                g.call(
                    "run_serial_flat_map",
                    place,
                    quote!(#lit, &*#q, &#n, #out, #cx),
                )
            }
            Kind::Serial => {
                let out = out();
                g.call("run_serial", place, quote!(#lit, &*#q, &#n, #out, #cx))
            }
            Kind::Sink => g.call(
                "run_serial",
                place,
                quote!(#lit, &*#q, &#n, #k::Discard, #cx),
            ),
            Kind::ParallelSink if node.fold.is_some() => {
                let flat = node.prefix.iter().any(|m| m.shape == Shape::FlatMap);
                let run = if flat { "run_flat_fold" } else { "run_fold" };
                g.call(run, place, quote!(#lit, &*#q, &#n, #cx))
            }
            Kind::ParallelSink => match node.limit {
                Some(limit) => {
                    let limit = limit as usize;
                    g.call(
                        "run_parallel_limited",
                        place,
                        quote!(#lit, &*#q, &#n, #limit, #k::Discard, #cx),
                    )
                }
                None => g.call(
                    "run_parallel",
                    place,
                    quote!(#lit, &*#q, &#n, #k::Discard, #cx),
                ),
            },
        };
        quote!(#lit => #call,)
    });
    stmts.push(quote! {
        let #graph = #k::Graph::new(#table, |#id: u16, #cx: &mut #k::Cx<'_>| -> bool {
            match #id {
                #(#arms)*
                _ => false,
            }
        });
    });
    // `stats = …` and `progress = …`: what observes the run (para-core's `stats.rs`).
    let stats = g.name("__para_stats");
    if let Some(expr) = settings.stats {
        let count = nodes.len();
        // Located at the expression: a value that is not a `Stats` is reported there.
        let begin = g.call(
            "stats_begin",
            Place::of(expr),
            quote!(#expr, #table, #threads, #k::NodeCount::<#count>),
        );
        stmts.push(quote! {
            let #stats = #begin;
            let #graph = #graph.with_probe(#stats.probe());
        });
    }
    if let Some(expr) = settings.progress {
        let progress = g.name("__para_progress");
        let hook = g.call("progress_hook", Place::of(expr), quote!(#expr));
        stmts.push(quote! {
            let #progress = #hook;
            let #graph = #graph.with_progress(&#progress);
        });
    }

    let pin = settings.pin.map(|pin| quote!(.pin(#pin)));
    let stack_size = settings.stack_size.map(|bytes| quote!(.stack_size(#bytes)));
    // Each source, so that the run knows which ones only the calling thread may drive
    // (para-std's `caller.rs`).
    let sources = nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.kind == Kind::Source);
    let sources = sources.map(|(i, _)| {
        let (lit, n) = (id_lit(i), g.local("__para_n", i, ""));
        quote!(.source(#lit, &#n))
    });
    let options = quote!(#k::Options::new() #pin #stack_size #(#sources)*);
    // Bound to a local rather than left as the block's tail: a tail expression's temporaries
    // outlive the block's locals, which would break if `run`'s result borrowed the graph.
    stmts.push(quote!(let #result = #k::run(&#graph, #threads, #options);));
    if settings.stats.is_some() {
        stmts.push(quote!(#stats.end();));
    }

    // The fold sinks' accumulators, taken from their nodes after the run, and their results:
    // the one's, a tuple of several in the order they are written, or `()` if there is none.
    let folded = g.name("__para_folded");
    let folds: Vec<TokenStream> = nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let fold = node.fold?;
            let n = g.local("__para_n", i, "");
            Some(if fold.reduce {
                quote!(#n.reduced())
            } else {
                let m = g.local("__para_m", i, "");
                quote!(#n.done(#m))
            })
        })
        .collect();
    let (kept, results) = match &folds[..] {
        [] => (quote!(#result), quote!(#folded)),
        [one] => (quote!(#one), quote!(#folded.result())),
        several => {
            let each = (0..several.len()).map(syn::Index::from);
            (quote!((#(#folds),*)), quote!((#(#folded.#each.result()),*)))
        }
    };

    if fallible {
        // The error slot outlives the nodes that borrow it: the inner block drops them first,
        // then the slot gives up the first error (and the accumulators are merged only if
        // there was none).
        let slot = match settings.error {
            Some(ty) => {
                let call = g.call("error_slot", Place::at(ty.span()), quote!());
                quote!(let #errors: #k::ErrorSlot<#ty> = #call;)
            }
            None => quote!(let #errors = #k::error_slot();),
        };
        quote!({
            #slot
            let #folded = { #(#stmts)* #kept };
            #errors.into_result().map(|()| #results)
        })
    } else if folds.is_empty() {
        quote!({ #(#stmts)* #result })
    } else {
        quote!({ #(#stmts)* let #folded = #kept; #results })
    }
}

/// The call building fold sink `i` on items of `input`.
fn fold_sink(
    g: &Gen<'_>,
    i: usize,
    fold: FoldCall<'_>,
    fallible: bool,
    input: &Ident,
) -> TokenStream {
    let place = Place::of(g.nodes[i].expr);
    let threads = g.name("__para_threads");
    let errors = g.name("__para_errors");
    let (init, add) = (fold.init(), fold.add());
    match (fold.reduce, fallible) {
        (true, _) => g.call("reduce_sink", place, quote!(#input, #threads, #init, #add)),
        (false, false) => g.call("fold_sink", place, quote!(#input, #threads, #init, #add)),
        (false, true) => g.call(
            "try_fold_sink",
            place,
            quote!(#input, #threads, &#errors, #init, #add),
        ),
    }
}

/// The stateless stages `nodes`, in order, fused into one node as a balanced tree of `fuse`
/// calls: `Fused<Fused<a, b>, Fused<c, d>>`, not `Fused<a, Fused<b, Fused<c, d>>>`. Composition is
/// associative, and the trait solver then recurses about log2(n) deep instead of n, so a chain
/// of hundreds of stages compiles without raising `recursion_limit`.
fn balanced_fuse(k: &TokenStream, nodes: &[Ident]) -> TokenStream {
    match nodes {
        [] => unreachable!("a fused prefix has a stage"),
        [one] => quote!(#one),
        _ => {
            let (left, right) = nodes.split_at(nodes.len() / 2);
            let (left, right) = (balanced_fuse(k, left), balanced_fuse(k, right));
            quote!(#k::fuse(#left, #right))
        }
    }
}

/// `items` as nested pairs, a balanced tree: `((a, b), (c, d))`. Left to right, an item is
/// outside those after it, as in `(a, (b, (c, d)))`, but the type is log2(n) deep.
fn balanced_pairs(items: &[TokenStream]) -> TokenStream {
    match items {
        [] => unreachable!("a root feeds at least one ordered stage"),
        [one] => one.clone(),
        _ => {
            let (outer, inner) = items.split_at(items.len() / 2);
            let (outer, inner) = (balanced_pairs(outer), balanced_pairs(inner));
            quote!((#outer, #inner))
        }
    }
}

/// The wiring function that builds a node of this kind and shape.
fn constructor(kind: Kind, shape: Shape, fallible: bool) -> &'static str {
    match (kind, shape, fallible) {
        (Kind::Parallel, Shape::Map, false) => "parallel_map",
        (Kind::Parallel, Shape::Map, true) => "parallel_try_map",
        (Kind::Parallel, Shape::Filter, false) => "parallel_filter",
        (Kind::Parallel, Shape::Filter, true) => "parallel_try_filter",
        (Kind::Parallel, Shape::FilterMap, false) => "parallel_filter_map",
        (Kind::Parallel, Shape::FilterMap, true) => "parallel_try_filter_map",
        (Kind::Parallel, Shape::FlatMap, false) => "parallel_flat_map",
        (Kind::Parallel, Shape::FlatMap, true) => "parallel_try_flat_map",
        (Kind::Serial, Shape::Map, false) => "serial_map",
        (Kind::Serial, Shape::Map, true) => "serial_try_map",
        (Kind::Serial, Shape::Filter, false) => "serial_filter",
        (Kind::Serial, Shape::Filter, true) => "serial_try_filter",
        (Kind::Serial, Shape::FilterMap, false) => "serial_filter_map",
        (Kind::Serial, Shape::FilterMap, true) => "serial_try_filter_map",
        (Kind::Serial, Shape::FlatMap, false) => "serial_flat_map",
        (Kind::Serial, Shape::FlatMap, true) => "serial_try_flat_map",
        (Kind::Sink, _, false) => "sink",
        (Kind::Sink, _, true) => "try_sink",
        (Kind::ParallelSink, _, false) => "parallel_sink",
        (Kind::ParallelSink, _, true) => "parallel_try_sink",
        (Kind::Async, _, false) => "async_map",
        (Kind::Async, _, true) => "async_try_map",
        (Kind::Source, ..) => unreachable!("sources are built by `source`"),
    }
}

/// `batch(N)`'s size as a value para-core's constructors take.
fn batch_size(k: &TokenStream, node: &Node<'_>) -> TokenStream {
    let size = node.batch.unwrap_or(1) as usize;
    quote!(#k::BatchSize::<#size>)
}

/// An `async` node's expression as the user meant it: a closure after the marker `async` is an
/// async closure (the marker was parsed apart from it); a path stays as it is (an `async fn`).
fn async_closure(node: &Node<'_>) -> TokenStream {
    match node.expr {
        Expr::Closure(closure) if closure.asyncness.is_none() => {
            let span = node
                .markers
                .iter()
                .find(|m| m.name == "async")
                .map_or_else(Span::call_site, |m| m.name.span());
            let mut closure = closure.clone();
            closure.asyncness = Some(syn::Token![async](span));
            quote!(#closure)
        }
        expr => quote!(#expr),
    }
}

/// `let n = fuse(prefix, n);` for the stages `fused` (built in order) in front of node `n`;
/// nothing if there are none.
fn fuse_prefix(k: &TokenStream, n: &Ident, fused: &[Ident]) -> TokenStream {
    if fused.is_empty() {
        return quote!();
    }
    let prefix = balanced_fuse(k, fused);
    quote!(let #n = #k::fuse(#prefix, #n);)
}

/// What every generated piece needs: the path to para's internals, the hygiene context of
/// generated tokens (see the module docs), and the graph.
struct Gen<'a> {
    /// `$crate::__private`.
    k: TokenStream,
    ctxt: Span,
    nodes: &'a [Node<'a>],
    plan: &'a OrderPlan,
}

impl<'a> Gen<'a> {
    fn new(krate: &TokenStream, nodes: &'a [Node<'a>], plan: &'a OrderPlan) -> Self {
        // `$crate`'s context when the wrapper passes it (always, in real use). Otherwise
        // (unit tests, a direct call) `mixed_site` still keeps the locals from user code.
        let ctxt = match krate.clone().into_iter().next() {
            Some(TokenTree::Ident(ident)) if ident == "$crate" => ident.span(),
            _ => Span::mixed_site(),
        };
        Gen {
            k: quote!(#krate::__private),
            ctxt,
            nodes,
            plan,
        }
    }

    fn name(&self, name: &str) -> Ident {
        Ident::new(name, self.ctxt)
    }

    /// The generated local `{prefix}{id}{suffix}`.
    fn local(&self, prefix: &str, id: usize, suffix: &str) -> Ident {
        self.name(&format!("{prefix}{id}{suffix}"))
    }

    /// `ident`, located at `span`.
    fn at(&self, mut ident: Ident, span: Span) -> Ident {
        ident.set_span(self.ctxt.located_at(span));
        ident
    }

    /// The `Ty` marker carrying node `id`'s outputs to a successor, located at `span`.
    fn output_ty(&self, id: usize, span: Span) -> Ident {
        let suffix = if self.nodes[id].succs.len() > 1 {
            "f"
        } else {
            ""
        };
        self.at(self.local("__para_t", id, suffix), span)
    }

    /// The `Ty` marker of node `id`'s input: its predecessor's output, or the merge of several.
    fn input_ty(&self, id: usize) -> Ident {
        match self.nodes[id].preds.as_slice() {
            [] => unreachable!("the source has no input"),
            [p] => self.output_ty(*p, Span::call_site()),
            _ => self.local("__para_m", id, ""),
        }
    }

    /// Where node outputs go: an `Edge` into one queue, or nested pairs `(e1, (e2, e3))` for a
    /// fan-out, in which the last branch receives the original item and the others clones.
    fn sender(&self, from: usize) -> TokenStream {
        let node = &self.nodes[from];
        let plan = &self.plan[from];
        let k = &self.k;
        let mut edges = self.edges(from, &node.succs, &plan.offsets);
        // A hole per output into the streams of holes it fills, and the windows of holes.
        for o in 0..self.nodes.len() {
            let Some(stage) = &self.plan[o].window else {
                continue;
            };
            if stage.holes && stage.producer == Some(from) {
                let window = self.window(o, None);
                let lit = id_lit(o);
                edges = quote!(#k::WithHoles::new(#edges, #k::HoleEdge::new(&*#window, #lit, 0)));
            }
            for (j, stream) in stage.streams.iter().enumerate() {
                if stream.holes && stream.root == from {
                    let window = self.window(o, Some(j));
                    let lit = id_lit(o);
                    edges =
                        quote!(#k::WithHoles::new(#edges, #k::HoleEdge::new(&*#window, #lit, 0)));
                }
            }
        }
        if plan.feeds.is_empty() {
            return edges;
        }
        // A root takes a credit in the window of every ordered stage its numbering reaches:
        // one `CreditSender` over all those windows, paired as a balanced tree.
        let src = (node.kind == Kind::Source)
            .then(|| u16::try_from(from).expect("a source's id is its index"));
        let windows: Vec<TokenStream> = plan
            .feeds
            .iter()
            .map(|feed| {
                let window = self.window(feed.stage, feed.stream);
                quote!(&*#window)
            })
            .collect();
        let windows = balanced_pairs(&windows);
        let credited = match src {
            Some(src) => quote!(#k::CreditSender::for_source(#windows, #src, #edges)),
            // Per source: the window of the source of the input it expands.
            None if plan.fills.is_some_and(|fill| fill.per_source) => {
                quote!(#k::CreditSender::per_source(#windows, #edges))
            }
            None => quote!(#k::CreditSender::new(#windows, #edges)),
        };
        if src.is_some() {
            credited
        } else {
            // An ordered flat-map numbers its outputs anew; the counter lives in the first
            // window it feeds. Filling a stream, it ends each input's outputs with a marker.
            let window = self.window(plan.feeds[0].stage, plan.feeds[0].stream);
            match plan.fills {
                Some(fill) => {
                    let lane = self.plan.lane(from);
                    let ending = match fill.end {
                        EndMode::PerInput => quote!(),
                        EndMode::Forward => quote!(.forwarding_ends()),
                        EndMode::PerStep => quote!(.ending_steps()),
                    };
                    quote!(#k::RenumberSender::with_ends(&*#window, #credited).in_lane(#lane)#ending)
                }
                None => quote!(#k::RenumberSender::new(&*#window, #credited)),
            }
        }
    }

    /// The window of ordered stage `ordered`: its own, or that of its stream `j`.
    fn window(&self, ordered: usize, stream: Option<usize>) -> Ident {
        match stream {
            None => self.local("__para_q", ordered, ""),
            Some(j) => self.local("__para_q", ordered, &format!("x{j}")),
        }
    }

    /// The edges from node `from` to `succs` (nested pairs for a fan-out, the last branch
    /// receiving the original item), tagged edges with their part offsets (per numbering the
    /// node carries: `offsets`, parallel to `succs`) before an ordered stage.
    fn edges(&self, from: usize, succs: &[usize], offsets: &[Vec<(usize, u32)>]) -> TokenStream {
        let k = &self.k;
        match succs {
            [] => unreachable!("only sinks have no successor, and they send nothing"),
            [s] => {
                let q = self.local("__para_q", *s, "");
                let lit = id_lit(*s);
                let offsets = offsets.first().map_or(&[][..], Vec::as_slice);
                if let Some(window) = &self.plan[*s].window {
                    // Each numbering into the stage's own window, or the stream it fills;
                    // several (streams meeting other branches before it): split by lane.
                    let mut edges = offsets.iter().map(|&(root, offset)| {
                        let stream = window.streams.iter().position(|x| x.root == root);
                        let q = self.window(*s, stream);
                        (root, quote!(#k::OrderedEdge::new(&*#q, #lit, #offset)))
                    });
                    let (_, last) = edges
                        .next_back()
                        .unwrap_or_else(|| (0, quote!(#k::OrderedEdge::new(&*#q, #lit, 0))));
                    edges.rev().fold(last, |other, (root, edge)| {
                        let lane = self.plan.lane(root);
                        quote!(#k::LaneSplit::new(#lane, #edge, #other))
                    })
                } else if self.plan[from].tagged_out {
                    let edge = quote!(#k::Edge::new(&*#q, #lit));
                    match offsets {
                        [] => quote!(#k::TaggedEdge::new(#edge, 0)),
                        [(_, offset)] => quote!(#k::TaggedEdge::new(#edge, #offset)),
                        _ => {
                            // Indexed by lane.
                            let lanes = offsets
                                .iter()
                                .map(|&(root, _)| usize::from(self.plan.lane(root)));
                            let mut table = vec![0; lanes.max().map_or(0, |lane| lane + 1)];
                            for &(root, offset) in offsets {
                                table[usize::from(self.plan.lane(root))] = offset;
                            }
                            quote!(#k::TaggedEdge::per_lane(#edge, &[#(#table),*]))
                        }
                    }
                } else {
                    quote!(#k::Edge::new(&*#q, #lit))
                }
            }
            [first, rest @ ..] => {
                let first = self.edges(from, &[*first], &offsets[..offsets.len().min(1)]);
                let rest = self.edges(from, rest, offsets.get(1..).unwrap_or(&[]));
                quote!((#first, #rest))
            }
        }
    }

    /// `k::func(args)`, located over `place`. rustc reports a bound the call fails over the
    /// function's path, from its first segment to its last, and the call from the path to its
    /// `)`: those go to the node's first and last tokens. The arguments keep their own spans.
    fn call(&self, func: &str, place: Place, args: TokenStream) -> TokenStream {
        let path = self.located(&self.k, place.first);
        let func = self.at(self.name(func), place.last);
        let mut args = Group::new(Delimiter::Parenthesis, args);
        args.set_span(self.ctxt.located_at(place.last));
        quote!(#path::#func #args)
    }

    /// `tokens`, located at `span`. Identifiers keep their context, which resolves them; the
    /// rest (punctuation, delimiters) takes the generated one, so that rustc can join spans.
    fn located(&self, tokens: &TokenStream, span: Span) -> TokenStream {
        let at = self.ctxt.located_at(span);
        tokens
            .clone()
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Group(group) => {
                    let mut inner =
                        Group::new(group.delimiter(), self.located(&group.stream(), span));
                    inner.set_span(at);
                    TokenTree::Group(inner)
                }
                TokenTree::Ident(mut ident) => {
                    ident.set_span(ident.span().located_at(span));
                    TokenTree::Ident(ident)
                }
                mut tt => {
                    tt.set_span(at);
                    tt
                }
            })
            .collect()
    }
}

/// A node id as an unsuffixed literal, so that it takes the type `NodeId` wherever it goes.
fn id_lit(id: usize) -> Literal {
    Literal::usize_unsuffixed(id)
}

/// Where in the user's code a generated call is reported: its first and last tokens.
#[derive(Clone, Copy)]
struct Place {
    first: Span,
    last: Span,
}

impl Place {
    fn at(span: Span) -> Place {
        Place {
            first: span,
            last: span,
        }
    }

    /// The extent of `expr`. (On stable Rust, spans cannot be joined, so its two ends are kept.)
    fn of(expr: &Expr) -> Place {
        let tokens = expr.to_token_stream();
        let first = tokens.clone().into_iter().next().map(|tt| match tt {
            TokenTree::Group(group) => group.span_open(),
            tt => tt.span(),
        });
        let last = tokens.into_iter().last().map(|tt| match tt {
            TokenTree::Group(group) => group.span_close(),
            tt => tt.span(),
        });
        let first = first.unwrap_or_else(Span::call_site);
        Place {
            first,
            last: last.unwrap_or(first),
        }
    }
}
