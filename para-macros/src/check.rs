//! Semantic checks on a parsed [`Pipeline`], every mistake reported with the span of the token
//! that causes it.
//!
//! Mistakes come in two sorts. A *shape* mistake (no node after the source, an empty fan-out
//! group) leaves no graph to generate, so only the errors are emitted. A *value* mistake (a zero
//! thread count, an unknown option, `capacity = 0`) does not: the expansion is still generated,
//! with the bad value left out, so the closures keep being type-checked (and rust-analyzer keeps
//! completing inside them) while the error stands.

use syn::{Expr, Lit};

use crate::graph::{limit_value, priority_value, Kind, Node, Shape};
use crate::order::OrderPlan;
use crate::parse::{Chain, Elem, Marker, Pipeline};
use para_core::raw::{MAX_PARTS, MAX_STREAMS};

/// The options the macro understands, in the order error messages list them.
const OPTIONS: [&str; 6] = [
    "capacity",
    "error",
    "pin",
    "progress",
    "stack_size",
    "stats",
];

/// Why `async` takes no other kind marker.
const ASYNC_ALONE: &str = "an `async` stage keeps futures in flight and passes their outputs on \
                           as they complete; it cannot be `serial`, `parallel` or `ordered` \
                           (put an `ordered` stage after it to see source order)";

/// What the expansion uses, with every value that failed a check removed.
pub(crate) struct Settings<'a> {
    pub(crate) threads: Option<&'a Expr>,
    pub(crate) capacity: Option<&'a Expr>,
    pub(crate) pin: Option<&'a Expr>,
    pub(crate) stack_size: Option<&'a Expr>,
    /// `stats = &mut STATS`: where the run counts what its nodes do.
    pub(crate) stats: Option<&'a Expr>,
    /// `progress = HOOK`: told how many items reached a sink after each sink step.
    pub(crate) progress: Option<&'a Expr>,
    /// `error = Type`: the run's error type.
    pub(crate) error: Option<&'a syn::Type>,
}

pub(crate) struct Checked<'a> {
    pub(crate) settings: Settings<'a>,
    pub(crate) errors: Vec<syn::Error>,
    /// Whether the pipeline has a shape a graph can be built from.
    pub(crate) has_graph: bool,
}

pub(crate) fn check(pipeline: &Pipeline) -> Checked<'_> {
    let mut errors = Vec::new();
    let mut settings = Settings {
        threads: None,
        capacity: None,
        pin: None,
        stack_size: None,
        stats: None,
        progress: None,
        error: None,
    };

    for (i, error) in pipeline.error.iter().enumerate() {
        if i == 0 {
            settings.error = Some(&error.ty);
        } else {
            errors.push(syn::Error::new_spanned(
                &error.name,
                "the option `error` is given twice; give it once",
            ));
        }
    }

    if let Some(threads) = &pipeline.threads {
        if is_zero(threads) {
            errors.push(syn::Error::new_spanned(
                threads,
                "a pipeline needs at least 1 thread",
            ));
        } else if let Some(marker) = crate::parse::marker_word(threads) {
            errors.push(syn::Error::new_spanned(
                threads,
                format!(
                    "`{marker}` is a marker, and markers go in front of a stage \
                     (`source => {marker} |x| …`); the first argument of `pipeline!` is its \
                     thread count"
                ),
            ));
        } else {
            settings.threads = Some(threads);
        }
    }

    for opt in &pipeline.options {
        let name = opt.name.to_string();
        let slot = match name.as_str() {
            "capacity" => &mut settings.capacity,
            "pin" => &mut settings.pin,
            "stack_size" => &mut settings.stack_size,
            "stats" => &mut settings.stats,
            "progress" => &mut settings.progress,
            _ => {
                let expected = OPTIONS.map(|o| format!("`{o}`")).join(", ");
                errors.push(syn::Error::new_spanned(
                    &opt.name,
                    format!("unknown option `{name}`; expected one of {expected}"),
                ));
                continue;
            }
        };
        if slot.is_some() {
            errors.push(syn::Error::new_spanned(
                &opt.name,
                format!("the option `{name}` is given twice; give it once"),
            ));
        } else if name == "capacity" && is_zero(&opt.value) {
            errors.push(syn::Error::new_spanned(
                &opt.value,
                "`capacity` must be at least 1: every queue needs room for one item",
            ));
        } else if name == "stack_size" && is_zero(&opt.value) {
            errors.push(syn::Error::new_spanned(
                &opt.value,
                "`stack_size` is in bytes and must be at least 1; leave it out for the default",
            ));
        } else {
            *slot = Some(&opt.value);
        }
    }

    let mut has_graph = true;
    if pipeline.chain.elems.is_empty() {
        has_graph = false;
        errors.push(syn::Error::new_spanned(
            &pipeline.source,
            "a pipeline needs at least one node after its source: `source => sink`",
        ));
    }
    if !check_groups(&pipeline.chain, &mut errors) {
        has_graph = false;
    }

    Checked {
        settings,
        errors,
        has_graph,
    }
}

/// Reports every empty group in `chain`, nested ones included; returns whether there was none.
fn check_groups(chain: &Chain, errors: &mut Vec<syn::Error>) -> bool {
    let mut ok = true;
    for elem in &chain.elems {
        let Elem::Group(group) = elem else { continue };
        if group.branches.is_empty() {
            ok = false;
            errors.push(syn::Error::new(
                group.paren.span.join(),
                "a fan-out group needs at least one branch: `(node_a, node_b)`",
            ));
        }
        for branch in &group.branches {
            ok &= check_groups(branch, errors);
        }
    }
    ok
}

/// Whether `expr` is the integer literal 0 (suffixed or not, in parentheses or not).
fn is_zero(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(lit) => matches!(&lit.lit, Lit::Int(int) if int.base10_digits() == "0"),
        Expr::Paren(paren) => is_zero(&paren.expr),
        Expr::Group(group) => is_zero(&group.expr),
        _ => false,
    }
}

/// Checks every node's markers against the node's place in the graph; returns the mistakes.
///
/// These leave no sound expansion (a `filter` with nowhere to send items, `serial` and
/// `parallel` at once), so the caller emits only the errors.
pub(crate) fn markers(nodes: &[Node<'_>]) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for node in nodes {
        let mut seen: Vec<String> = Vec::new();
        for marker in node.markers {
            let word = marker.name.to_string();
            let at = &marker.name;
            let mut error = |message: String| errors.push(syn::Error::new_spanned(at, message));
            if seen.contains(&word) {
                error(format!("`{word}` is given twice; give it once"));
                continue;
            }
            let has = |other: &str| seen.iter().any(|s| s == other);
            let anywhere = |other: &str| node.markers.iter().any(|m| m.name == other);
            let is_sink = node.succs.is_empty();
            match word.as_str() {
                "ordered" if has("parallel") => {
                    error("an `ordered` stage is serial; it cannot be `parallel`".to_owned())
                }
                "parallel" if has("ordered") => {
                    error("an `ordered` stage is serial; it cannot be `parallel`".to_owned())
                }
                "async" if is_sink => error(
                    "an `async` stage passes its futures' outputs on, so it needs a node after \
                     it: `async |x| … => |y| …`"
                        .to_owned(),
                ),
                "async" if node.shape != Shape::Map => error(
                    "`async` cannot be combined with `filter`, `filter_map` or `flat_map` yet: \
                     give the future's output to a stage after it (`async |x| … => filter |y| …`)"
                        .to_owned(),
                ),
                "async" if has("serial") || has("parallel") || has("ordered") => {
                    error(ASYNC_ALONE.to_owned())
                }
                "serial" | "parallel" | "ordered" if has("async") => error(ASYNC_ALONE.to_owned()),
                "serial" if has("parallel") => {
                    error("a node is either `serial` or `parallel`, not both".to_owned())
                }
                "parallel" if has("serial") => {
                    error("a node is either `serial` or `parallel`, not both".to_owned())
                }
                "filter" | "filter_map" | "flat_map" if is_sink => error(format!(
                    "`{word}` passes items on, so it needs a node after it: `{word} |x| … => sink`"
                )),
                "filter" | "filter_map" | "flat_map"
                    if has("filter") || has("filter_map") || has("flat_map") =>
                {
                    error(format!(
                        "`{word}` cannot be combined with `filter`, `filter_map` or `flat_map`"
                    ))
                }
                "batch" => match &marker.arg {
                    None => error(
                        "`batch` needs a size: `batch(64) |xs| …` calls the stage with up to 64 \
                         items at once"
                            .to_owned(),
                    ),
                    Some(arg) if limit_value(arg).is_none() => {
                        errors.push(syn::Error::new_spanned(
                            arg,
                            "a batch size is an integer literal of at least 1",
                        ))
                    }
                    Some(_) if is_sink => error(
                        "a `batch` stage gives back one output per input, so it needs a node \
                         after it; a `batch` sink is not supported yet"
                            .to_owned(),
                    ),
                    Some(_)
                        if anywhere("serial") || anywhere("parallel") || anywhere("ordered") =>
                    {
                        error(
                            "`batch` cannot be combined with `serial`, `parallel` or `ordered`: a \
                         `batch(N)` stage is stateless (put an `ordered` stage after it: the \
                         order is kept)"
                                .to_owned(),
                        )
                    }
                    Some(_) if node.shape != Shape::Map => error(
                        "`batch` cannot be combined with `filter`, `filter_map` or `flat_map`: a \
                         `batch(N)` stage gives back one output per input"
                            .to_owned(),
                    ),
                    Some(_) if (anywhere("limit") || anywhere("try")) && !anywhere("async") => {
                        error(
                            "`limit` and `try` go with `batch` only on an async stage: \
                         `try batch(16) limit(4) async |xs| …`"
                                .to_owned(),
                        )
                    }
                    Some(_) => {}
                },
                "priority" => match &marker.arg {
                    None => error(
                        "`priority` needs a level: `priority(0)` (lowest) to `priority(3)` \
                         (highest)"
                            .to_owned(),
                    ),
                    Some(arg) if priority_value(arg).is_none() => {
                        errors.push(syn::Error::new_spanned(
                            arg,
                            "a priority is an integer literal from 0 (lowest) to 3 (highest)",
                        ))
                    }
                    Some(_) => {}
                },
                "limit" => match &marker.arg {
                    None => error(
                        "`limit` needs a number of calls: `limit(8) |x| …` runs at most 8 calls \
                         of this stage at once"
                            .to_owned(),
                    ),
                    Some(arg) if limit_value(arg).is_none() => {
                        errors.push(syn::Error::new_spanned(
                            arg,
                            "a concurrency limit is an integer literal of at least 1 (a stage \
                             limited to 0 calls would never run): write `limit(1)` or more",
                        ))
                    }
                    Some(_)
                        if !matches!(
                            node.kind,
                            Kind::Parallel | Kind::ParallelSink | Kind::Async
                        ) =>
                    {
                        error(
                            "`limit` applies to parallel stages and `parallel` sinks; this one \
                             is serial and runs one call at a time already"
                                .to_owned(),
                        )
                    }
                    Some(_) if node.shape == Shape::FlatMap => error(
                        "`limit` is not supported on a `flat_map` yet: limit a stage before or \
                         after it"
                            .to_owned(),
                    ),
                    Some(_) => {}
                },
                _ => {}
            }
            seen.push(word);
        }
    }
    errors
}

/// Checks the ordering plan of the fused graph against what para-core supports; returns the
/// mistakes, each at the marker or node at fault. These leave no sound expansion either.
pub(crate) fn order_limits(nodes: &[Node<'_>], plan: &OrderPlan) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let marker = |name: &str| node.markers.iter().find(|m| m.name == name);
        let at = |marker: Option<&Marker>, message: &str| match marker {
            Some(m) => syn::Error::new_spanned(&m.name, message),
            None => syn::Error::new_spanned(node.expr, message),
        };
        let order = &plan[n];
        let parts = order.window.as_ref().map_or(0, |w| w.parts);
        let streams = order.window.as_ref().map_or(&[][..], |w| &w.streams);
        if let Some(ordered) = marker("ordered").filter(|_| parts > MAX_PARTS) {
            errors.push(syn::Error::new_spanned(
                &ordered.name,
                format!(
                    "{parts} paths lead from the source to this `ordered` stage; at most \
                     {MAX_PARTS} are supported"
                ),
            ));
        }
        if order.conflict {
            errors.push(at(
                marker("flat_map"),
                "the outputs of this node meet items of another numbering before the `ordered` \
                 stage after them, and it is no `flat_map` that could go on beside them as a \
                 stream (an `ordered` stage reading a `flat_map` branch numbers its outputs \
                 anew): not supported yet; let the branches meet at an `ordered` stage",
            ));
        }
        if order.ends_conflict {
            errors.push(syn::Error::new_spanned(
                node.expr,
                "this `ordered` stage reads `flat_map` branches as streams, and an `ordered` stage \
                 after it must see its outputs per input (those branches reach that stage beside \
                 this one, or through another stage reading them too); not supported yet where \
                 this stage is itself inside a `flat_map`'s stream, reads a stream of holes, or \
                 is read per step of its window too: let the `flat_map` branches reach later \
                 `ordered` stages only through this stage",
            ));
        }
        if order.fills.is_some_and(|f| f.lane > usize::from(u8::MAX)) {
            errors.push(at(
                marker("flat_map"),
                "more than 255 `flat_map` branches meet other branches before an `ordered` \
                 stage in this pipeline; at most 255 are supported",
            ));
        }
        if streams.len() > MAX_STREAMS {
            errors.push(syn::Error::new_spanned(
                node.expr,
                format!(
                    "{} `flat_map` branches feed this `ordered` stage; at most {MAX_STREAMS} are \
                     supported",
                    streams.len()
                ),
            ));
        }
        if let Some(stream) = streams.iter().find(|s| s.parts > MAX_PARTS) {
            errors.push(syn::Error::new_spanned(
                node.expr,
                format!(
                    "{} paths lead from a `flat_map` to this `ordered` stage; at most {MAX_PARTS} \
                     are supported",
                    stream.parts
                ),
            ));
        }
        if marker("ordered").is_none() && parts > MAX_PARTS {
            let message = format!(
                "{parts} paths lead to this `flat_map`, which runs in order because an `ordered` \
                 stage follows it; at most {MAX_PARTS} are supported"
            );
            errors.push(at(marker("flat_map"), &message));
        }
    }
    errors
}
