//! A drawn graph as Rust text: its `pipeline!` run and its sequential reference.

use super::draw::{Elem, Kind, Stage};
use std::fmt::Write;

/// A graph ready to render: its chain (outputs numbered), its sources and capacity.
pub(super) struct Graph {
    pub(super) chain: Vec<Elem>,
    pub(super) capacity: usize,
    /// Two sources (the second the items reversed), or one.
    pub(super) two_sources: bool,
    /// Split sources (`Vec`s, then a map making the tracked items), or iterators.
    pub(super) split: bool,
}

/// One output of a graph: its name, and whether it is compared in order (per source).
pub(super) type Output = (String, bool);

impl Graph {
    /// The sources and the chain as `pipeline!` arguments after the thread count and options.
    pub(super) fn pipeline_text(&self) -> String {
        let source = match (self.split, self.two_sources) {
            (false, false) => "items.iter().map(|&v| counters.item(v))",
            (false, true) => {
                "(items.iter().map(|&v| counters.item(v)), \
                 items.iter().rev().map(|&v| counters.item(v)))"
            }
            (true, false) => "items.to_vec()",
            (true, true) => "(items.to_vec(), items.iter().rev().copied().collect::<Vec<i64>>())",
        };
        let head = if self.split {
            "|v: i64| counters.item(v)\n        => "
        } else {
            ""
        };
        let chain = chain_text(&self.chain, "        ");
        format!("{source}\n        => {head}{chain}")
    }

    /// Numbers the outputs in text order (each sink's, each ordered middle stage's log) and
    /// marks the counting stages; returns the outputs.
    pub(super) fn number_outputs(&mut self) -> Vec<Output> {
        let mut outputs = Vec::new();
        let counted = !self.two_sources;
        number(&mut self.chain, &mut outputs, counted);
        outputs
    }

    /// `graph_{g}` and `reference_{g}`, documented by `doc`.
    pub(super) fn functions(&self, g: usize, doc: &str, outputs: &[Output]) -> String {
        let mut counted = Vec::new();
        visit(&self.chain, &mut |s| {
            if s.counted {
                counted.extend(s.out);
            }
        });
        let mut text = String::new();
        let t = &mut text;
        let _ = writeln!(t, "/// graph_{g}: {doc}.");
        let _ = writeln!(
            t,
            "pub fn graph_{g}(threads: usize, items: &[i64], counters: &'static Counters, \
             fault: &Fault) -> (Result<(), i64>, Vec<Vec<i64>>) {{"
        );
        for o in 0..outputs.len() {
            let _ = writeln!(t, "let mut o{o}: Vec<i64> = Vec::new();");
        }
        for o in &counted {
            let _ = writeln!(t, "let mut n{o} = 0i64;");
        }
        let _ = writeln!(
            t,
            "let result = pipeline!(threads, capacity = {}, {});",
            self.capacity,
            self.pipeline_text()
        );
        let all: Vec<String> = (0..outputs.len()).map(|o| format!("o{o}")).collect();
        let _ = writeln!(t, "(result, vec![{}])\n}}\n", all.join(", "));

        let _ = writeln!(
            t,
            "/// The sequential reference of `graph_{g}`: per source, per output, every value \
             in source order, each item depth first."
        );
        let _ = writeln!(
            t,
            "pub fn reference_{g}(items: &[i64], fault: &Fault) \
             -> Result<Vec<Vec<Vec<i64>>>, Faulted> {{\nlet mut all = Vec::new();"
        );
        for o in &counted {
            let _ = writeln!(t, "let n{o} = Cell::new(0i64);");
        }
        let mut closures = Closures::default();
        let top = closures.chain(&self.chain, None);
        t.push_str(&closures.text);
        let sources: &[&str] = if self.two_sources {
            &["items.iter()", "items.iter().rev()"]
        } else {
            &["items.iter()"]
        };
        for source in sources {
            let _ = writeln!(
                t,
                "let mut one = vec![Vec::new(); {}];\nfor &v in {source} {{ {top}(v, &mut one)?; }}\
                 \nall.push(one);",
                outputs.len()
            );
        }
        let _ = writeln!(t, "Ok(all)\n}}\n");
        text
    }
}

/// Every stage of `chain`, nested ones too, in text order.
pub(super) fn visit<'a>(chain: &'a [Elem], f: &mut dyn FnMut(&'a Stage)) {
    for elem in chain {
        match elem {
            Elem::Stage(stage) => f(stage),
            Elem::Group(branches) => branches.iter().for_each(|b| visit(b, f)),
        }
    }
}

fn number(chain: &mut [Elem], outputs: &mut Vec<Output>, counted: bool) {
    let mut after_ordered_flat_map = false;
    for elem in chain {
        match elem {
            Elem::Group(branches) => {
                branches
                    .iter_mut()
                    .for_each(|b| number(b, outputs, counted));
                after_ordered_flat_map = false;
                continue;
            }
            Elem::Stage(stage) => {
                let o = outputs.len();
                match stage.kind {
                    Kind::Sink { ordered } => {
                        // Alone after an ordered flat-map, a sink sees the order it emits in.
                        let what = match (ordered, after_ordered_flat_map) {
                            (true, _) => "ordered sink",
                            (false, true) => "sink after an ordered flat_map",
                            (false, false) => "sink",
                        };
                        stage.out = Some(o);
                        outputs.push((format!("o{o}: {what}"), ordered || after_ordered_flat_map));
                    }
                    kind if kind.logs() => {
                        stage.out = Some(o);
                        stage.counted = counted && kind != Kind::OrderedFlatMap;
                        let what = match kind {
                            Kind::Ordered => "ordered",
                            Kind::OrderedFilterMap => "ordered filter_map",
                            _ => "ordered flat_map",
                        };
                        outputs.push((format!("o{o}: inputs of {what}"), true));
                    }
                    _ => {}
                }
                after_ordered_flat_map = stage.kind == Kind::OrderedFlatMap;
            }
        }
    }
}

/// The chain as `pipeline!` text: an element a line, a group's branches a line each when it
/// holds a group or is long.
fn chain_text(chain: &[Elem], indent: &str) -> String {
    let deeper = format!("{indent}    ");
    let parts: Vec<String> = chain
        .iter()
        .map(|elem| match elem {
            Elem::Stage(stage) => stage_text(stage),
            Elem::Group(branches) => {
                let inner: Vec<String> = branches.iter().map(|b| chain_text(b, &deeper)).collect();
                let long = inner.iter().map(String::len).sum::<usize>() > 160;
                if long || inner.iter().any(|b| b.contains('\n')) {
                    let separator = format!(",\n{deeper}");
                    format!("(\n{deeper}{},\n{indent})", inner.join(&separator))
                } else {
                    format!("({})", inner.join(", "))
                }
            }
        })
        .collect();
    parts.join(&format!("\n{indent}=> "))
}

/// A flat-map's outputs: `v`, `v + 1`, … (0 to 2 of them).
const FLAT: &str = "let c = t.counters(); let v = t.value; \
                    (0..v.rem_euclid(3)).map(move |i| c.item(v.wrapping_add(i)))";

fn stage_text(s: &Stage) -> String {
    let (k, c, m, r) = (s.k, s.c, s.m, s.r);
    let affine = format!("v.wrapping_mul({k}).wrapping_add({c})");
    let xor = c.abs();
    let o = s.out.unwrap_or(0);
    let (count, plus) = if s.counted {
        (
            format!("n{o} += 1; let n = n{o} % 16; "),
            ".wrapping_add(n)",
        )
    } else {
        (String::new(), "")
    };
    match s.kind {
        Kind::Map => {
            let limit = s.limit.map(|l| format!("limit({l}) ")).unwrap_or_default();
            format!("{limit}|t: Tracked| t.map(|v| {affine})")
        }
        Kind::Serial => format!("serial |t: Tracked| t.map(|v| {affine})"),
        Kind::Filter => format!("filter |t: &Tracked| t.value.rem_euclid({m}) != {r}"),
        Kind::FilterMap => format!(
            "filter_map |t: Tracked| if t.value.rem_euclid({m}) == {r} {{ None }} \
             else {{ Some(t.map(|v| v ^ {xor})) }}"
        ),
        Kind::FlatMap => format!("flat_map |t: Tracked| {{ {FLAT} }}"),
        Kind::Fault => "try |t: Tracked| fault.check(t)".to_string(),
        Kind::Sink { ordered } => {
            let marker = if ordered { "ordered " } else { "" };
            format!("{marker}|t: Tracked| o{o}.push(t.value)")
        }
        Kind::Ordered => format!(
            "ordered |t: Tracked| {{ o{o}.push(t.value); {count}t.map(|v| {affine}{plus}) }}"
        ),
        Kind::OrderedFilterMap => format!(
            "ordered filter_map |t: Tracked| {{ o{o}.push(t.value); \
             if t.value.rem_euclid({m}) == {r} {{ None }} \
             else {{ {count}Some(t.map(|v| (v ^ {xor}){plus})) }} }}"
        ),
        Kind::OrderedFlatMap => {
            format!("ordered flat_map |t: Tracked| {{ o{o}.push(t.value); {FLAT} }}")
        }
    }
}

/// The reference's closures, `k1`, `k2`, …: each takes one value through one element, depth
/// first, then through the rest of the graph. Depth first: every output of a value reaches
/// the sinks before the next output of an earlier stage is made, branch by branch left to
/// right — the order every ordered stage promises to see (per source), so the reference's
/// counters count as the stages' do.
#[derive(Default)]
struct Closures {
    text: String,
    count: usize,
}

impl Closures {
    /// Defines the closures of `chain` followed by `then` (none after a terminal chain);
    /// returns the first one's name.
    fn chain(&mut self, chain: &[Elem], then: Option<&str>) -> String {
        let mut next = then.map(str::to_string);
        for elem in chain.iter().rev() {
            let body = match elem {
                Elem::Group(branches) => {
                    let firsts: Vec<String> = branches
                        .iter()
                        .map(|b| self.chain(b, next.as_deref()))
                        .collect();
                    let calls: Vec<String> =
                        firsts.iter().map(|f| format!("{f}(v, out)?;")).collect();
                    format!("{} Ok(())", calls.join(" "))
                }
                Elem::Stage(stage) => reference_body(stage, next.as_deref().unwrap_or("")),
            };
            self.count += 1;
            let name = format!("k{}", self.count);
            let _ = writeln!(
                self.text,
                "let {name} = |v: i64, out: &mut [Vec<i64>]| -> Result<(), Faulted> {{ {body} }};"
            );
            next = Some(name);
        }
        next.expect("a chain is never empty")
    }
}

/// What one stage does to `v` in the reference, then `next`.
fn reference_body(s: &Stage, next: &str) -> String {
    let (k, c, m, r) = (s.k, s.c, s.m, s.r);
    let xor = c.abs();
    let log = s
        .out
        .map(|o| format!("out[{o}].push(v); "))
        .unwrap_or_default();
    let (count, plus) = match (s.counted, s.out) {
        (true, Some(o)) => (
            format!("n{o}.set(n{o}.get() + 1); let n = n{o}.get() % 16; "),
            ".wrapping_add(n)",
        ),
        _ => (String::new(), ""),
    };
    let flat = format!("for i in 0..v.rem_euclid(3) {{ {next}(v.wrapping_add(i), out)?; }} Ok(())");
    match s.kind {
        Kind::Map | Kind::Serial => format!("{next}(v.wrapping_mul({k}).wrapping_add({c}), out)"),
        Kind::Ordered => {
            format!("{log}{count}{next}(v.wrapping_mul({k}).wrapping_add({c}){plus}, out)")
        }
        Kind::Filter => {
            format!("if v.rem_euclid({m}) != {r} {{ {next}(v, out) }} else {{ Ok(()) }}")
        }
        Kind::FilterMap => {
            format!("if v.rem_euclid({m}) == {r} {{ Ok(()) }} else {{ {next}(v ^ {xor}, out) }}")
        }
        Kind::OrderedFilterMap => format!(
            "{log}if v.rem_euclid({m}) == {r} {{ Ok(()) }} \
             else {{ {count}{next}((v ^ {xor}){plus}, out) }}"
        ),
        Kind::FlatMap => flat,
        Kind::OrderedFlatMap => format!("{log}{flat}"),
        Kind::Fault => format!("fault.reached(&[v])?; {next}(v, out)"),
        Kind::Sink { .. } => format!("{log}Ok(())"),
    }
}
