//! The generator of `tests/tests/e2e/random_graphs/graphs.rs`: random pipelines the grammar
//! can express, each with a sequential reference, for the property tests of
//! `tests/tests/e2e/random_graphs.rs`.
//!
//! A graph is drawn from a seeded generator ([`draw`]) in one of three families — plain
//! chains, ordered stages anywhere in nested fan-outs, flat-maps whose outputs ordered stages
//! read as streams — with one fault stage (a `try` stage that panics or fails at a value), a
//! capacity of 1 to 8, one or two sources (split or iterators). **The macro itself decides
//! which graphs exist**: a drawn graph goes through this crate's own parse, checks, graph,
//! fusion and ordering plan, and one the macro refuses is drawn again. So no second copy of
//! the ordering analysis exists to keep in step; the plan only names the shapes a graph has
//! (its doc comment, and the targets below), it never predicts an order.
//!
//! **The reference does not need the analysis.** It runs each item through the graph depth
//! first, branch by branch left to right, each flat-map's outputs in emission order, filtered
//! values absent (`render::Closures`). That is the order every ordered stage promises to see,
//! per source — streams included: a stage reading a flat-map's outputs as a stream sees, per
//! input, all of them where the flat-map's branch takes its place. Each ordered middle stage
//! logs its inputs into an output of its own and, with one source, adds its count of inputs
//! seen to its outputs, so an input seen out of order changes the values downstream too. The
//! test compares an ordered output (a log, an ordered sink, a sink alone after an `ordered
//! flat_map`) as a sequence — with two sources, as an interleaving of the two sources' lists
//! — and any other as a multiset.
//!
//! **Coverage by targets.** The `streams` graphs are drawn, each in turn, until the plan shows
//! the shape of [`TARGETS`] the graph is drawn for: several streams into one stage, streams
//! filled per source, chains of flat-maps, streams of holes, a stream filled by a stage that
//! reads streams, lanes, and so on. A graph is drawn again from a generator seeded by the
//! seed, the graph's number and the attempt, so a change to one draw leaves the other graphs
//! alone.
//!
//! The test [`graphs_file_is_current`] renders the file and fails if the committed one
//! differs (but for formatting); `scripts/gen-random-graphs.sh` (`PARA_BLESS=1`) rewrites it,
//! formatted by rustfmt.

mod draw;
mod render;

use crate::graph::{Kind as NodeKind, Node, Shape};
use crate::order::OrderPlan;
use draw::{Family, Rng};
use para_core::raw::EndMode;
use render::Graph;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SEED: u64 = 20_261_206;
/// How many graphs each family has, in file order.
const FAMILIES: [(Family, usize); 3] = [
    (Family::Chains, 16),
    (Family::Branches, 30),
    (Family::Streams, 52),
];
/// Attempts at one graph before the generator gives up (a target no draw reaches).
const ATTEMPTS: usize = 20_000;

/// The shapes the `streams` graphs are drawn for, in turn, and whether the shape needs two
/// sources. Each is a fact of the ordering plan ([`shapes_of`]).
const TARGETS: [(&str, bool); 13] = [
    ("stream read by an ordered stage", false),
    ("several streams into one ordered stage", false),
    ("chain of flat-maps read as one stream", false),
    ("numberings meet before an ordered stage (lanes)", false),
    ("stream filled per source", true),
    ("stream of holes", false),
    ("stream filled by a stage reading streams", false),
    ("stream read by an ordered sink", false),
    ("streams read in an ordered flat-map's numbering", false),
    ("one stream read by two ordered stages", false),
    ("three streams into one ordered stage", false),
    ("stage reading streams numbers its outputs anew", false),
    ("stream read by an ordered stage, two sources", true),
];

/// What the macro makes of `graph`: `None` if it refuses it, else the shapes of its plan.
fn shapes(graph: &Graph) -> Option<BTreeSet<&'static str>> {
    let text = format!(
        "[::para_std] threads, capacity = {}, {}",
        graph.capacity,
        graph.pipeline_text()
    );
    let input: proc_macro2::TokenStream = text.parse().expect("the generator writes tokens");
    let mut shapes = None;
    let errors = crate::with_graph(input, |_, _, nodes, plan| {
        shapes = Some(shapes_of(nodes, plan));
        proc_macro2::TokenStream::new()
    });
    if errors.is_empty() {
        shapes
    } else {
        None
    }
}

/// The shapes the ordering plan shows (the names of [`TARGETS`], and a few more).
fn shapes_of(nodes: &[Node<'_>], plan: &OrderPlan) -> BTreeSet<&'static str> {
    let mut found = BTreeSet::new();
    let mut readers: BTreeMap<usize, usize> = BTreeMap::new();
    for (n, node) in nodes.iter().enumerate() {
        let order = &plan[n];
        if node.limit.is_some() {
            found.insert("limit(N) stage");
        }
        if let Some(window) = &order.window {
            found.insert("ordered stage");
            if window.parts >= 4 {
                found.insert("four or more paths into an ordered stage");
            }
            if window.producer.is_some() {
                found.insert("ordered stage after an ordered flat-map");
            }
            let streams = &window.streams;
            if !streams.is_empty() {
                found.insert("stream read by an ordered stage");
                if plan.sources() == 2 {
                    found.insert("stream read by an ordered stage, two sources");
                }
                if window.producer.is_some() {
                    found.insert("streams read in an ordered flat-map's numbering");
                }
                if node.kind == NodeKind::Sink {
                    found.insert("stream read by an ordered sink");
                }
                if order.renumbers && node.shape != Shape::FlatMap {
                    found.insert("stage reading streams numbers its outputs anew");
                }
            }
            if streams.len() >= 2 {
                found.insert("several streams into one ordered stage");
            }
            if streams.len() >= 3 {
                found.insert("three streams into one ordered stage");
            }
            if window.holes || streams.iter().any(|s| s.holes) {
                found.insert("stream of holes");
            }
            if streams.iter().any(|s| s.head != s.root) {
                found.insert("chain of flat-maps read as one stream");
            }
            for stream in streams {
                *readers.entry(stream.root).or_default() += 1;
            }
        } else if order.offsets.iter().any(|numberings| numberings.len() > 1) {
            found.insert("numberings meet before an ordered stage (lanes)");
        }
        if let Some(fill) = order.fills {
            if fill.per_source {
                found.insert("stream filled per source");
            }
            match fill.end {
                EndMode::PerStep => found.insert("stream filled by a stage reading streams"),
                EndMode::Forward => found.insert("flat-map passing end markers on"),
                EndMode::PerInput => false,
            };
        }
    }
    if readers.values().any(|&count| count >= 2) {
        found.insert("one stream read by two ordered stages");
    }
    found
}

/// A generator for attempt `attempt` at graph `g`.
fn rng_for(g: usize, attempt: usize) -> Rng {
    Rng::new(SEED ^ ((g as u64) << 32) ^ (attempt as u64).wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// Draws graph `g` of `family` (aiming at `target`, if any) until the macro accepts it and it
/// has the target's shape; returns it with its shapes.
fn draw_graph(
    g: usize,
    family: Family,
    target: Option<(&str, bool)>,
) -> (Graph, BTreeSet<&'static str>) {
    for attempt in 0..ATTEMPTS {
        let mut rng = rng_for(g, attempt);
        let streams = family == Family::Streams;
        let capacity = if family != Family::Chains && rng.chance(30) {
            1
        } else {
            rng.range(1, 8)
        };
        let split = rng.chance(50);
        let two_sources = target.is_some_and(|(_, two)| two) || rng.chance(35);
        let chain = family.draw(&mut rng);
        let graph = Graph {
            chain,
            capacity,
            two_sources,
            split,
        };
        let Some(mut found) = shapes(&graph) else {
            continue;
        };
        if target.is_some_and(|(want, _)| !found.contains(want)) {
            continue;
        }
        if streams && capacity == 1 {
            found.insert("streams at capacity 1");
        }
        return (graph, found);
    }
    panic!("graph_{g}: no draw in {ATTEMPTS} has the shape {target:?}");
}

/// The whole file, before rustfmt.
fn generate() -> String {
    let mut functions = String::new();
    let mut table = String::new();
    let mut tally: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut g = 0;
    let mut streams = 0;
    for (family, count) in FAMILIES {
        for _ in 0..count {
            let target = (family == Family::Streams).then(|| TARGETS[streams % TARGETS.len()]);
            streams += usize::from(family == Family::Streams);
            let (mut graph, found) = draw_graph(g, family, target);
            let outputs = graph.number_outputs();
            let mut doc = vec![
                family.name().to_string(),
                format!("capacity {}", graph.capacity),
                format!(
                    "{} source{}",
                    if graph.split { "split" } else { "iterator" },
                    if graph.two_sources { "s: 2" } else { "" }
                ),
            ];
            if !found.is_empty() {
                let names: Vec<&str> = found.iter().copied().collect();
                doc.push(names.join(", "));
            }
            for &shape in &found {
                tally.entry(shape).or_default().push(g);
            }
            functions.push_str(&graph.functions(g, &doc.join("; "), &outputs));
            let outs: Vec<String> = outputs
                .iter()
                .map(|(name, ordered)| format!("(\"{name}\", {ordered})"))
                .collect();
            table.push_str(&format!(
                "(\"graph_{g}\", graph_{g}, reference_{g}, &[{}]),\n",
                outs.join(", ")
            ));
            g += 1;
        }
    }
    header(g, &tally) + &functions + FOOTER + &table + "];\n"
}

fn header(total: usize, tally: &BTreeMap<&str, Vec<usize>>) -> String {
    let families: Vec<String> = FAMILIES
        .iter()
        .map(|(family, count)| format!("{count} `{}`", family.name()))
        .collect();
    let mut text = format!(
        "// @generated by para-macros' `random_graphs` test (scripts/gen-random-graphs.sh): do \
         not edit.\n// Seed {SEED}, {total} graphs: {}. Graphs per shape:\n",
        families.join(", ")
    );
    for (shape, graphs) in tally {
        let list: Vec<String> = graphs.iter().map(usize::to_string).collect();
        text.push_str(&format!("// - {shape}: {}\n", list.join(", ")));
    }
    text + "#![allow(clippy::all, unused_imports, unused_mut, unused_variables, unused_parens, \
            unreachable_pub)]\n\nuse super::{Fault, Faulted};\nuse crate::common::{Counters, \
            Tracked};\nuse para_std::pipeline;\nuse std::cell::Cell;\n\n"
}

const FOOTER: &str = "\
/// A graph's run: the pipeline's result and, per output (`o0`, `o1`, …), what it received.
pub type Run = fn(usize, &[i64], &'static Counters, &Fault) -> (Result<(), i64>, Vec<Vec<i64>>);
/// A graph's reference: per source, per output, the values in order.
pub type Reference = fn(&[i64], &Fault) -> Result<Vec<Vec<Vec<i64>>>, Faulted>;
/// Every graph: (name, run, reference, outputs), each output named and `true` if it is
/// compared in order (per source), `false` as a multiset.
pub const GRAPHS: &[(&str, Run, Reference, &[(&str, bool)])] = &[
";

/// `text` as rustfmt formats it.
fn rustfmt(text: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect(
            "the generated file is formatted by rustfmt: install it (rustup component add rustfmt)",
        );
    let mut stdin = child.stdin.take().expect("piped");
    stdin
        .write_all(text.as_bytes())
        .expect("rustfmt reads the file");
    drop(stdin);
    let output = child.wait_with_output().expect("rustfmt runs");
    assert!(
        output.status.success(),
        "rustfmt refused the generated file"
    );
    String::from_utf8(output.stdout).expect("rustfmt writes UTF-8")
}

/// `text` without what rustfmt may change: whitespace, and commas before a closing bracket.
/// So the check needs no rustfmt, nor the one version of it that wrote the file.
fn normalized(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for close in [")", "]", "}"] {
        out = out.replace(&format!(",{close}"), close);
    }
    out
}

#[test]
fn graphs_file_is_current() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tests/e2e/random_graphs/graphs.rs");
    let text = generate();
    if std::env::var_os("PARA_BLESS").is_some() {
        std::fs::write(&path, rustfmt(&text)).expect("writes graphs.rs");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        normalized(&committed) == normalized(&text),
        "{} is not what the generator gives: run scripts/gen-random-graphs.sh and commit it",
        path.display()
    );
}

#[test]
fn the_macro_decides_which_graphs_exist() {
    use draw::{Elem, Kind, Stage};
    let pair = || Elem::Group(vec![vec![Elem::Stage(Stage::new(Kind::Map))]; 2]);
    let graph = |pairs: usize| Graph {
        chain: (0..pairs)
            .map(|_| pair())
            .chain([Elem::Stage(Stage::new(Kind::Sink { ordered: true }))])
            .collect(),
        capacity: 2,
        two_sources: false,
        split: false,
    };
    // Five nested pairs of branches give 32 paths into the ordered sink, the most a window
    // tracks; six give 64, and the macro refuses the graph.
    let accepted = shapes(&graph(5)).expect("32 paths are accepted");
    assert!(accepted.contains("four or more paths into an ordered stage"));
    assert_eq!(shapes(&graph(6)), None);
}
