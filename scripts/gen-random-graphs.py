#!/usr/bin/env python3
"""Generates tests/tests/random_graphs/graphs.rs: random pipelines the grammar can express, each
with a sequential reference, for the property tests in tests/tests/random_graphs.rs.

Every graph is a `pipeline!` over `Tracked` items (they count live copies), built from a seeded
random chain: maps, filters, filter_maps, flat_maps, serial and ordered stages, fan-out groups
(nested), merges, one fault stage (a `try` stage that panics or fails on given values), random
capacity 1..=8, one or two sources, and a stateful or ordered sink, or an `ordered flat_map` and
a sink after it. The reference evaluates the same graph item by item, in branch order, each
flat-map's outputs in emission order, which is exactly the order an `ordered` sink promises; it
returns one list per source, since with two sources that order is per source.

Paths: an ordered stage's window tracks every path an item can take to it from the source (or
from the previous ordered stage): each fan-out branch is a separate path, and a merge adds its
branches' paths up, so nested groups multiply them. A window tracks at most para-core's
`MAX_PARTS` paths per item, one bit of a `usize` each: on 32-bit targets (armv7) more than 32 is
a compile error. So every ordered stage here, including a `flat_map` that runs in order because
an ordered stage follows it, is reached by at most MAX_PATHS = 32 paths per source, and the
graphs build on every target. A chain that draws more is drawn again (with the fault stage) from a generator
seeded by the seed, the graph's number and the attempt; the main generator's draws stay the
same, so every other graph is the one the seed always gave. Each emitted graph is checked
against the limit, counting paths as the macro does (para-macros' `graph.rs`).

    python3 scripts/gen-random-graphs.py [count] [seed]   # then `cargo fmt --all`, and commit the output
"""
import random
import sys

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 24
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 20261135
# The most paths from a source (or from the previous ordered stage) to an ordered stage:
# para-core's `MAX_PARTS` on a 32-bit target (usize::BITS).
MAX_PATHS = 32
rng = random.Random(SEED)


def node(kind, **kw):
    return dict(kind=kind, **kw)


def gen_chain(depth, ordered, length=None, rng=rng):
    """Before an ordered sink, flat-maps (which then run in order) and ordered middle stages
    stand only in the top-level chain: in a fan-out branch they are refused, for now."""
    elems = []
    n = length if length is not None else rng.randint(1, 3)
    for _ in range(n):
        if depth < 2 and rng.random() < 0.3:
            branches = [gen_chain(depth + 1, ordered, rng=rng) for _ in range(rng.randint(2, 3))]
            elems.append(dict(kind="group", branches=branches))
        else:
            kinds = ["map", "map", "filter", "filter_map", "serial"]
            if not ordered or depth == 0:
                kinds.append("flat_map")
            if ordered and depth == 0:
                kinds.append("ordered")
            kind = rng.choice(kinds)
            elems.append(node(kind, k=rng.choice([1, 3, 5, 7]), c=rng.randint(-9, 9),
                              m=rng.choice([2, 3, 5, 7]), r=rng.randint(0, 1)))
    return elems


def stage_expr(n):
    k, c, m, r = n["k"], n["c"], n["m"], n["r"]
    if n["kind"] == "map":
        return f"|t: Tracked| t.map(|v| v.wrapping_mul({k}).wrapping_add({c}))"
    if n["kind"] == "serial":
        return f"serial |t: Tracked| t.map(|v| v.wrapping_mul({k}).wrapping_add({c}))"
    if n["kind"] == "ordered":
        return f"ordered |t: Tracked| t.map(|v| v.wrapping_mul({k}).wrapping_add({c}))"
    if n["kind"] == "filter":
        return f"filter |t: &Tracked| t.value.rem_euclid({m}) != {r}"
    if n["kind"] == "filter_map":
        return (f"filter_map |t: Tracked| if t.value.rem_euclid({m}) == {r} {{ None }} "
                f"else {{ Some(t.map(|v| v ^ {abs(c)})) }}")
    if n["kind"] == "flat_map":
        return (f"flat_map |t: Tracked| {{ let c = t.counters(); let v = t.value; "
                f"(0..v.rem_euclid(3)).map(move |i| c.item(v.wrapping_add(i))) }}")
    raise ValueError(n["kind"])


R = "Result<(), Faulted>"


def closure(name, body, lines):
    lines.append(f"let {name} = |v: i64, out: &mut Vec<i64>| -> {R} {{ {body} }};")


def fresh():
    counter[0] += 1
    return f"k{counter[0]}"


counter = [0]


def ref_chain(elems, cont, lines):
    """Defines closures that run one value through `elems`, depth first, then through `cont`;
    returns the name of the first. Depth first: every output of a value reaches the sink before
    the next output of an earlier stage is made, as the ordered stage's order is defined."""
    nxt = cont
    for e in reversed(elems):
        name = fresh()
        if e["kind"] == "group":
            branches = [ref_chain(b, nxt, lines) for b in e["branches"]]
            closure(name, " ".join(f"{b}(v, out)?;" for b in branches) + " Ok(())", lines)
        elif e["kind"] == "fault":
            closure(name, f"fault.reached(&[v])?; {nxt}(v, out)", lines)
        else:
            k, c, m, r = e["k"], e["c"], e["m"], e["r"]
            body = {
                "map": f"{nxt}(v.wrapping_mul({k}).wrapping_add({c}), out)",
                "serial": f"{nxt}(v.wrapping_mul({k}).wrapping_add({c}), out)",
                "ordered": f"{nxt}(v.wrapping_mul({k}).wrapping_add({c}), out)",
                "filter": f"if v.rem_euclid({m}) != {r} {{ {nxt}(v, out) }} else {{ Ok(()) }}",
                "filter_map": f"if v.rem_euclid({m}) == {r} {{ Ok(()) }} else {{ {nxt}(v ^ {abs(c)}, out) }}",
                "flat_map": f"for i in 0..v.rem_euclid(3) {{ {nxt}(v.wrapping_add(i), out)?; }} Ok(())",
            }[e["kind"]]
            closure(name, body, lines)
        nxt = name
    return nxt


def render_chain(elems):
    parts = []
    for e in elems:
        if e["kind"] == "group":
            parts.append("(" + ", ".join(render_chain(b) for b in e["branches"]) + ")")
        elif e["kind"] == "fault":
            parts.append("try |t: Tracked| fault.check(t)")
        else:
            parts.append(stage_expr(e))
    return " => ".join(parts)


def insert_fault(elems, rng=rng):
    """Puts the fault stage at a random place of the top-level chain or of a branch."""
    if rng.random() < 0.5:
        for e in elems:
            if e["kind"] == "group" and rng.random() < 0.6:
                insert_fault(rng.choice(e["branches"]), rng)
                return
    elems.insert(rng.randint(0, len(elems)), dict(kind="fault"))


def ordered_paths(sources, elems):
    """The paths to each ordered stage of the graph `sources => elems`, as para-macros'
    `graph.rs` counts them: the nodes are flattened as `walk_chain` does; a `flat_map` before an
    ordered stage runs in order too; for an ordered stage `o`, the paths to it from a node are
    summed over its successors, not going through another ordered stage, and `o` needs the most
    of them from one source or one earlier ordered stage. In `elems`, kind "ordered" and
    "ordered_flat_map" are marked `ordered`. Returns {node id: paths} for every ordered stage."""
    marked, flat, preds = [], [], []

    def walk(chain, tails):
        for e in chain:
            if e["kind"] == "group":
                tails = [end for b in e["branches"] for end in walk(b, tails)]
            else:
                marked.append(e["kind"] in ("ordered", "ordered_flat_map"))
                flat.append(e["kind"] in ("flat_map", "ordered_flat_map"))
                preds.append(list(tails))
                tails = [sources + len(preds) - 1]
        return tails

    walk(elems, list(range(sources)))
    n = sources + len(preds)
    ordered = [False] * sources + marked
    flat = [False] * sources + flat
    succs = [[] for _ in range(n)]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(sources + i)
    reaches = [False] * n
    for i in reversed(range(n)):
        reaches[i] = ordered[i] or any(reaches[s] for s in succs[i])
    for i in range(sources, n):
        if flat[i] and any(reaches[s] for s in succs[i]):
            ordered[i] = True
    parts = {}
    for o in (i for i in range(n) if ordered[i]):
        paths = [0] * n
        paths[o] = 1
        for i in reversed(range(o)):
            paths[i] = sum(paths[s] for s in succs[i] if s == o or not ordered[s])
        parts[o] = max((paths[i] for i in range(o) if i < sources or ordered[i]), default=0)
    return parts


def max_paths(chain, ordered):
    """The most paths to an ordered stage of a graph with this chain (see `ordered_paths`). What
    the chain is put between changes no count: paths are per source, the split source's first
    map is one node, and an ordered flat-map stands where the ordered sink would."""
    tail = [node("ordered")] if ordered else []
    return max(ordered_paths(1, chain + tail).values(), default=0)


def has_flat(elems):
    return any(e["kind"] == "flat_map" or (e["kind"] == "group" and any(has_flat(b) for b in e["branches"]))
               for e in elems)


out = [
    "// @generated by scripts/gen-random-graphs.py — do not edit; regenerate instead.",
    f"// seed {SEED}, {COUNT} graphs.",
    "#![allow(clippy::all, unused_mut, unused_variables, unused_parens, unreachable_pub)]",
    "",
    "use super::{Fault, Faulted};",
    "use crate::common::{Counters, Tracked};",
    "use para_std::pipeline;",
    "",
]
specs = []
redrawn = []
most = 0
for g in range(COUNT):
    ordered = rng.random() < 0.35
    length = rng.randint(1, 4)
    chain = gen_chain(0, ordered, length=length)
    insert_fault(chain)
    attempt = 0
    while max_paths(chain, ordered) > MAX_PATHS:
        # Too many paths to an ordered stage: draw this chain again, of the same length, from
        # its own generator, so that the main one (and every later graph) is unchanged.
        attempt += 1
        assert attempt <= 1000, f"graph_{g}: no chain within {MAX_PATHS} paths"
        retry = random.Random(f"{SEED}/{g}/{attempt}")
        chain = gen_chain(0, ordered, length=length, rng=retry)
        insert_fault(chain, retry)
    if attempt:
        redrawn.append((g, attempt))
    capacity = rng.randint(1, 8)
    split = rng.random() < 0.5
    two_sources = rng.random() < 0.25
    if split:
        source = "items.to_vec()"
        first = "|v: i64| counters.item(v) => "
    else:
        source = "items.iter().map(|&v| counters.item(v))"
        first = ""
    if two_sources:
        source = f"({source}, items.iter().rev().map(|&v| counters.item(v)))"
        first = "" if not split else "|v: i64| counters.item(v) => "
        if split:  # two split sources of one item type
            source = "(items.to_vec(), items.iter().rev().copied().collect::<Vec<i64>>())"
            first = "|v: i64| counters.item(v) => "
    ordered_flat = ordered and rng.random() < 0.4
    sink = "ordered |t: Tracked| out.push(t.value)" if ordered else "|t: Tracked| out.push(t.value)"
    ref_elems = chain
    if ordered_flat:
        # The ordered stage is a flat-map; the sink after it is alone on its queue, so it sees
        # the order the flat-map emits in.
        flat = node("flat_map", k=1, c=0, m=2, r=0)
        sink = "ordered " + stage_expr(flat) + " => |t: Tracked| out.push(t.value)"
        ref_elems = chain + [flat]
    # The emitted graph, as the macro sees it: every ordered stage within the limit.
    graph = ([node("map")] if split else []) + chain
    graph += [node("ordered_flat_map"), node("sink")] if ordered_flat else [node("ordered" if ordered else "sink")]
    paths = ordered_paths(2 if two_sources else 1, graph)
    assert all(p <= MAX_PATHS for p in paths.values()), f"graph_{g}: {paths} paths to ordered stages"
    most = max([most, *paths.values()])
    body = render_chain(chain)
    out.append(f"/// {'ordered flat_map, ' if ordered_flat else 'ordered, ' if ordered else ''}capacity {capacity}, {'split' if split else 'iterator'} source{'s: 2' if two_sources else ''}")
    out.append(f"pub fn graph_{g}(threads: usize, items: &[i64], counters: &'static Counters, fault: &Fault) -> (Result<(), i64>, Vec<i64>) {{")
    out.append("    let mut out = Vec::new();")
    out.append(f"    let result = pipeline!(threads, capacity = {capacity}, {source}")
    out.append(f"        => {first}{body}")
    out.append(f"        => {sink});")
    out.append("    (result, out)")
    out.append("}")
    out.append("")
    out.append(f"/// The sequential reference of `graph_{g}`: per source, every output, in source order, each value depth first.")
    out.append(f"pub fn reference_{g}(items: &[i64], fault: &Fault) -> Result<Vec<Vec<i64>>, Faulted> {{")
    out.append("    let mut all = Vec::new();")
    srcs = ["items.iter()", "items.iter().rev()"] if two_sources else ["items.iter()"]
    lines = []
    closure("sink", "out.push(v); Ok(())", lines)
    top = ref_chain(ref_elems, "sink", lines)
    for l in lines:
        out.append("    " + l)
    for src in srcs:
        out.append("    let mut one = Vec::new();")
        out.append(f"    for &v in {src} {{")
        out.append(f"        {top}(v, &mut one)?;")
        out.append("    }")
        out.append("    all.push(one);")
    out.append("    Ok(all)")
    out.append("}")
    out.append("")
    specs.append((g, ordered))

out.append("/// Every graph: (name, run, reference, ordered).")
out.append("pub type Run = fn(usize, &[i64], &'static Counters, &Fault) -> (Result<(), i64>, Vec<i64>);")
out.append("pub type Reference = fn(&[i64], &Fault) -> Result<Vec<Vec<i64>>, Faulted>;")
out.append("pub const GRAPHS: &[(&str, Run, Reference, bool)] = &[")
for g, ordered in specs:
    out.append(f'    ("graph_{g}", graph_{g}, reference_{g}, {str(ordered).lower()}),')
out.append("];")
open("tests/tests/random_graphs/graphs.rs", "w").write("\n".join(out) + "\n")
print(f"wrote {COUNT} graphs; at most {most} paths to an ordered stage (limit {MAX_PATHS})"
      + "".join(f"; graph_{g} redrawn ({a} attempt{'s' if a > 1 else ''})" for g, a in redrawn))
