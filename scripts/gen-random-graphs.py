#!/usr/bin/env python3
"""Generates tests/tests/random_graphs/graphs.rs: random pipelines the grammar can express, each
with a sequential reference, for the property tests in tests/tests/random_graphs.rs.

Every graph is a `pipeline!` over `Tracked` items (they count live copies), built from a seeded
random chain: maps, filters, filter_maps, flat_maps, serial and ordered stages, fan-out groups
(nested), merges, one fault stage (a `try` stage that panics or fails on given values), random
capacity 1..=8, one or two sources. Graphs come in three families:

- `unordered`: no ordered stage; one stateful sink (its outputs compared as a multiset).
- `ordered`: one ordered sink, or an `ordered flat_map` and a sink after it; flat-maps (which
  then run in order) and ordered middle stages only in the top-level chain.
- `branches`: ordered stages anywhere. Ordered middle stages (maps, filter_maps and flat-maps)
  inside fan-out branches, before an ordered stage after the merge or not; flat-maps in
  branches; and a chain that may end in a fan-out (nested or not) with a sink per branch, some
  of them ordered, some not: a branch beside an ordered stage that leads to no ordered stage,
  ordered stages in sibling branches, and so on. Drawn again while the macro would refuse them
  (see "Refused" below).

Outputs. Each sink pushes into its own `Vec`; each non-flat-map ordered middle stage and each
explicit `ordered flat_map` also logs its inputs into its own `Vec`, and with one source a
non-flat-map ordered middle stage numbers its inputs (`n += 1`, adding `n % 16` to its output),
so that an input seen out of order changes the values downstream too. (With two sources the
order an ordered stage sees is an interleaving of the two sources' orders, so a counter would
give values no reference can predict: those stages only log.) An ordered output (the log of an
ordered stage, an ordered sink, or a plain sink alone after an `ordered flat_map`) is compared
as a sequence with one source and as an interleaving of the two per-source sequences with two;
any other sink as a multiset.

The reference evaluates the same graph item by item, depth first: every value derived from an
item, branch by branch left to right (after a fan-out, a merge and another fan-out: each output
of the first group through every branch of the second before the next output), each flat-map's
outputs in emission order, filtered values absent. That is exactly the order each ordered stage
promises to see (per source), so every ordered stage's counter in the reference counts as the
real stage's does. The reference returns, per source, one list per output.

Paths. Each ordered stage's window tracks every path an item can take to it from its root: the
sources, or the nearest upstream flat-map that runs in order (an `ordered flat_map`, or a
`flat_map` with an ordered stage after it), which numbers its outputs anew. Paths go through
non-flat-map ordered stages (they pass their outputs on in place). Each fan-out branch is a
separate path, and a merge adds its branches' paths up, so nested groups multiply them. A window
tracks at most para-core's `MAX_PARTS` = 32 paths (one bit each), so every ordered stage here,
including a flat-map that runs in order, is reached by at most MAX_PATHS = 32 paths.

Refused. A flat-map that runs in order inside a fan-out branch, whose outputs meet another
branch's items (items of another root) before an ordered stage, is a compile error for now.

`analyze` counts paths and finds those conflicts as para-macros' `graph.rs` (`mark_tags`) does;
a chain over the limit or with a conflict is drawn again (with its fault stage) from a generator
seeded by the seed, the graph's number and the attempt, so the main generator's draws stay the
same and every other graph is the one the seed always gave.

    python3 scripts/gen-random-graphs.py [count] [seed]
    rustfmt --edition 2021 tests/tests/random_graphs/graphs.rs   # and commit the output

It prints how many graphs have each shape.
"""
import random
import sys

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 40
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 20261135
# The most paths from a root (the sources, or an ordered flat-map) to an ordered stage:
# para-core's `MAX_PARTS`.
MAX_PATHS = 32
# Graphs whose run disagrees with its reference although the reference follows the promised
# semantics (a macro or runtime bug, reported): generated but left out of `GRAPHS`, each with
# the reason. Empty when every graph passes.
KNOWN_FAILURES = {}
rng = random.Random(SEED)


def node(kind, **kw):
    return dict(kind=kind, **kw)


def stage(kind, rng):
    return node(kind, k=rng.choice([1, 3, 5, 7]), c=rng.randint(-9, 9),
                m=rng.choice([2, 3, 5, 7]), r=rng.randint(0, 1))


def sink(ordered, check=None):
    return node("sink", ordered=ordered, check=ordered if check is None else check)


def gen_chain(depth, ordered, length=None, rng=rng):
    """The `unordered` and `ordered` families: before an ordered sink, flat-maps (which then run
    in order) and ordered middle stages stand only in the top-level chain."""
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
            elems.append(stage(rng.choice(kinds), rng))
    return elems


# The `branches` family's middle stages, with their weights.
BRANCH_KINDS = [("map", 3), ("filter", 2), ("filter_map", 2), ("serial", 2), ("flat_map", 2),
                ("ordered", 5), ("ordered_filter_map", 2), ("ordered_flat_map", 1)]


def gen_branches(depth, terminal, rng):
    """A chain of the `branches` family. A terminal chain ends in a sink, or (not too deep) in a
    fan-out group whose branches are terminal chains: several sinks. A group inside the chain
    merges its branches, which may hold ordered stages of any kind."""
    elems = []
    n = rng.randint(0 if terminal and depth > 0 else 1, 3 if depth == 0 else 2)
    for _ in range(n):
        if depth < 2 and rng.random() < 0.4:
            branches = [gen_branches(depth + 1, False, rng) for _ in range(rng.randint(2, 3))]
            elems.append(dict(kind="group", branches=branches))
        else:
            kinds, weights = zip(*BRANCH_KINDS)
            elems.append(stage(rng.choices(kinds, weights)[0], rng))
    if terminal:
        if depth < 2 and rng.random() < (0.6 if depth == 0 else 0.3):
            branches = [gen_branches(depth + 1, True, rng) for _ in range(rng.randint(2, 3))]
            elems.append(dict(kind="group", branches=branches, terminal=True))
        else:
            elems.append(sink(rng.random() < 0.65))
    return elems


def insert_fault(elems, rng=rng, terminal=False):
    """Puts the fault stage at a random place of the top-level chain or of a branch (before the
    sink of a terminal chain)."""
    if rng.random() < 0.5:
        for e in elems:
            if e["kind"] == "group" and rng.random() < 0.6:
                insert_fault(rng.choice(e["branches"]), rng, e.get("terminal", False))
                return
    elems.insert(rng.randint(0, len(elems) - (1 if terminal else 0)), dict(kind="fault"))


MARKED = ("ordered", "ordered_filter_map", "ordered_flat_map")
FLAT = ("flat_map", "ordered_flat_map")


def is_marked(e):
    return e["kind"] in MARKED or (e["kind"] == "sink" and e["ordered"])


def analyze(sources, elems):
    """The graph `sources => elems` as para-macros' `graph.rs` sees it: the nodes flattened as
    `walk_chain` does; a flat-map before an ordered stage is ordered too (a root: it numbers its
    outputs anew, as an explicit `ordered flat_map` does); tags go through stages and
    non-flat-map ordered stages up to the ordered stages; a node's paths are its predecessors'
    summed (a root's: 1; the sources share theirs). Returns a dict: `ordered`, `parts` (per
    node: paths from its root to an ordered stage), `conflict` (roots whose items meet another
    root's: refused), `succs`, `elems` (per node: its element, None for a source), `sources`."""
    elem_of, preds = [None] * sources, [[] for _ in range(sources)]

    def walk(chain, tails):
        for e in chain:
            if e["kind"] == "group":
                tails = [end for b in e["branches"] for end in walk(b, tails)]
            else:
                elem_of.append(e)
                preds.append(list(tails))
                tails = [len(preds) - 1]
        return tails

    walk(elems, list(range(sources)))
    n = len(preds)
    succs = [[] for _ in range(n)]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    ordered = [e is not None and is_marked(e) for e in elem_of]
    flat = [e is not None and e["kind"] in FLAT for e in elem_of]
    reach = [False] * n
    for i in reversed(range(n)):
        reach[i] = ordered[i] or any(reach[s] for s in succs[i])
    for i in range(sources, n):
        if flat[i] and any(reach[s] for s in succs[i]):
            ordered[i] = True
    tagged_out = [False] * n
    for i in reversed(range(n)):
        tagged_out[i] = any(ordered[s] or tagged_out[s] for s in succs[i])
    SOURCES = -1
    root_out, paths_out = [None] * n, [0] * n
    parts, conflict = [0] * n, set()
    for i in range(n):
        roots, paths = [], 0
        for p in preds[i]:
            if root_out[p] is None:
                continue
            if root_out[p] not in roots:
                roots.append(root_out[p])
            if p == 0 or p >= sources:
                paths += paths_out[p]
        if len(roots) > 1:
            conflict.update(r for r in roots if r != SOURCES)
        root_in = roots[0] if roots else None
        if ordered[i] and root_in is not None:
            parts[i] = paths
        if not tagged_out[i]:
            continue
        if i < sources:
            root_out[i], paths_out[i] = SOURCES, 1
        elif ordered[i] and flat[i]:
            root_out[i], paths_out[i] = i, 1
        else:
            root_out[i], paths_out[i] = root_in, paths
    return dict(ordered=ordered, parts=parts, conflict=conflict, succs=succs, elems=elem_of,
                sources=sources, flat=flat)


def acceptable(a, target=None):
    """Whether the macro accepts the graph `a` (from `analyze`), and it has shape `target`."""
    ok = not a["conflict"] and max(a["parts"]) <= MAX_PATHS
    return ok and (target is None or target in shapes(a))


def shapes(a):
    """The shapes `a` (from `analyze`) has, of those ordered stages in branches give:
    `beside` (a fan-out with a branch to an ordered stage and a branch to none), `siblings`
    (two ordered stages, neither after the other), `in_branch` (a non-flat-map ordered middle
    stage with another ordered stage after it that items also reach around it)."""
    succs, ordered, n, src = a["succs"], a["ordered"], len(a["succs"]), a["sources"]

    def reachable(starts, skip=None):
        seen = [False] * n
        todo = [s for s in starts if s != skip]
        while todo:
            i = todo.pop()
            if seen[i]:
                continue
            seen[i] = True
            todo.extend(s for s in succs[i] if s != skip)
        return seen

    to_ordered = [False] * n
    for i in reversed(range(n)):
        to_ordered[i] = ordered[i] or any(to_ordered[s] for s in succs[i])
    found = set()
    for i in range(n):
        if len(succs[i]) > 1 and any(to_ordered[s] for s in succs[i]) \
                and not all(to_ordered[s] for s in succs[i]):
            found.add("beside")
    os = [i for i in range(n) if ordered[i]]
    after = {o: reachable(succs[o]) for o in os}
    if any(not after[x][y] and not after[y][x] for x in os for y in os if x < y):
        found.add("siblings")
    for t in os:
        e = a["elems"][t]
        if e["kind"] in ("ordered", "ordered_filter_map"):
            around = reachable(range(src), skip=t)
            if any(after[t][o] and around[o] for o in os):
                found.add("in_branch")
    return found


def number_outputs(elems, outputs, counted):
    """Gives each sink and each logging ordered stage its output (in text order), and each
    counting ordered stage its counter."""
    for e in elems:
        if e["kind"] == "group":
            for b in e["branches"]:
                number_outputs(b, outputs, counted)
        elif e["kind"] == "sink":
            e["out"] = len(outputs)
            what = "ordered sink" if e["ordered"] else "sink"
            if e["check"] and not e["ordered"]:
                what = "sink after an ordered flat_map"
            outputs.append((f"o{e['out']}: {what}", e["check"]))
        elif e["kind"] in MARKED:
            e["out"] = len(outputs)
            e["counted"] = counted and e["kind"] != "ordered_flat_map"
            what = e["kind"].replace("_", " ")
            outputs.append((f"o{e['out']}: inputs of {what}", True))


def stage_expr(n):
    k, c, m, r = n.get("k"), n.get("c"), n.get("m"), n.get("r")
    affine = f"v.wrapping_mul({k}).wrapping_add({c})"
    flat = ("let c = t.counters(); let v = t.value; "
            "(0..v.rem_euclid(3)).map(move |i| c.item(v.wrapping_add(i)))")
    kind = n["kind"]
    if kind == "map":
        return f"|t: Tracked| t.map(|v| {affine})"
    if kind == "serial":
        return f"serial |t: Tracked| t.map(|v| {affine})"
    if kind == "filter":
        return f"filter |t: &Tracked| t.value.rem_euclid({m}) != {r}"
    if kind == "filter_map":
        return (f"filter_map |t: Tracked| if t.value.rem_euclid({m}) == {r} {{ None }} "
                f"else {{ Some(t.map(|v| v ^ {abs(c)})) }}")
    if kind == "flat_map":
        return f"flat_map |t: Tracked| {{ {flat} }}"
    if kind == "fault":
        return "try |t: Tracked| fault.check(t)"
    o = n.get("out")
    if kind == "sink":
        return f"{'ordered ' if n['ordered'] else ''}|t: Tracked| o{o}.push(t.value)"
    count = f"n{o} += 1; let n = n{o} % 16; " if n.get("counted") else ""
    plus = ".wrapping_add(n)" if n.get("counted") else ""
    if kind == "ordered":
        return f"ordered |t: Tracked| {{ o{o}.push(t.value); {count}t.map(|v| {affine}{plus}) }}"
    if kind == "ordered_filter_map":
        return (f"ordered filter_map |t: Tracked| {{ o{o}.push(t.value); "
                f"if t.value.rem_euclid({m}) == {r} {{ None }} "
                f"else {{ {count}Some(t.map(|v| (v ^ {abs(c)}){plus})) }} }}")
    if kind == "ordered_flat_map":
        return f"ordered flat_map |t: Tracked| {{ o{o}.push(t.value); {flat} }}"
    raise ValueError(kind)


R = "Result<(), Faulted>"


def closure(name, body, lines):
    lines.append(f"let {name} = |v: i64, out: &mut [Vec<i64>]| -> {R} {{ {body} }};")


def fresh():
    counter[0] += 1
    return f"k{counter[0]}"


counter = [0]


def ref_chain(elems, cont, lines):
    """Defines closures that run one value through `elems`, depth first, then through `cont`
    (None after a terminal chain); returns the name of the first. Depth first: every output of a
    value reaches the sinks before the next output of an earlier stage is made, as an ordered
    stage's order is defined. `out` holds one list per output."""
    nxt = cont
    for e in reversed(elems):
        name = fresh()
        kind = e["kind"]
        if kind == "group":
            branches = [ref_chain(b, nxt, lines) for b in e["branches"]]
            closure(name, " ".join(f"{b}(v, out)?;" for b in branches) + " Ok(())", lines)
        elif kind == "fault":
            closure(name, f"fault.reached(&[v])?; {nxt}(v, out)", lines)
        elif kind == "sink":
            closure(name, f"out[{e['out']}].push(v); Ok(())", lines)
        else:
            k, c, m, r = e["k"], e["c"], e["m"], e["r"]
            log = f"out[{e['out']}].push(v); " if "out" in e else ""
            count, plus = "", ""
            if e.get("counted"):
                count = f"n{e['out']}.set(n{e['out']}.get() + 1); let n = n{e['out']}.get() % 16; "
                plus = ".wrapping_add(n)"
            flat = f"for i in 0..v.rem_euclid(3) {{ {nxt}(v.wrapping_add(i), out)?; }} Ok(())"
            body = {
                "map": f"{nxt}(v.wrapping_mul({k}).wrapping_add({c}), out)",
                "serial": f"{nxt}(v.wrapping_mul({k}).wrapping_add({c}), out)",
                "ordered": f"{log}{count}{nxt}(v.wrapping_mul({k}).wrapping_add({c}){plus}, out)",
                "filter": f"if v.rem_euclid({m}) != {r} {{ {nxt}(v, out) }} else {{ Ok(()) }}",
                "filter_map": f"if v.rem_euclid({m}) == {r} {{ Ok(()) }} else {{ {nxt}(v ^ {abs(c)}, out) }}",
                "ordered_filter_map": f"{log}if v.rem_euclid({m}) == {r} {{ Ok(()) }} "
                                      f"else {{ {count}{nxt}((v ^ {abs(c)}){plus}, out) }}",
                "flat_map": flat,
                "ordered_flat_map": log + flat,
            }[kind]
            closure(name, body, lines)
        nxt = name
    return nxt


def render_chain(elems, indent):
    """The chain as `pipeline!` text: top-level elements one per line, a group's branches one
    per line when it holds a group or is long."""
    parts = []
    for e in elems:
        if e["kind"] == "group":
            inner = [render_chain(b, indent + "    ") for b in e["branches"]]
            if sum(map(len, inner)) > 160 or any("\n" in b for b in inner):
                sep = ",\n" + indent + "    "
                parts.append("(\n" + indent + "    " + sep.join(inner) + ",\n" + indent + ")")
            else:
                parts.append("(" + ", ".join(inner) + ")")
        else:
            parts.append(stage_expr(e))
    return ("\n" + indent + "=> ").join(parts)


def walk_elems(elems, in_group=False):
    """Every element of `elems`, nested ones too, each marked `in_group` if it is in a branch."""
    for e in elems:
        e["in_group"] = in_group
        yield e
        if e["kind"] == "group":
            for b in e["branches"]:
                yield from walk_elems(b, True)


def draw(family, rng, ordered_flat, length):
    """A chain of `family` with its fault stage and its sinks (the whole graph after the
    sources and the split source's first map)."""
    if family == "branches":
        chain = gen_branches(0, True, rng)
        insert_fault(chain, rng, terminal=True)
        return chain
    ordered = family == "ordered"
    chain = gen_chain(0, ordered, length=length, rng=rng)
    insert_fault(chain, rng)
    if ordered_flat:
        # The ordered stage is a flat-map; the sink after it is alone on its queue, so it sees
        # the order the flat-map emits in.
        return chain + [node("ordered_flat_map", k=1, c=0, m=2, r=0), sink(False, check=True)]
    return chain + [sink(ordered)]


out = [
    "// @generated by scripts/gen-random-graphs.py — do not edit; regenerate instead.",
    f"// seed {SEED}, {COUNT} graphs.",
    "#![allow(clippy::all, unused_imports, unused_mut, unused_variables, unused_parens, unreachable_pub)]",
    "",
    "use super::{Fault, Faulted};",
    "use crate::common::{Counters, Tracked};",
    "use para_std::pipeline;",
    "use std::cell::Cell;",
    "",
]
specs = []
redrawn = []
most = 0
tally = {}
for g in range(COUNT):
    u = rng.random()
    family = "branches" if u < 0.5 else "ordered" if u < 0.75 else "unordered"
    length = rng.randint(1, 4)
    capacity = 1 if family == "branches" and rng.random() < 0.3 else rng.randint(1, 8)
    split = rng.random() < 0.5
    two_sources = rng.random() < (0.5 if family == "branches" else 0.25)
    ordered_flat = family == "ordered" and rng.random() < 0.4
    # A `branches` graph is drawn until it has this shape (see `shapes`).
    target = rng.choice(["beside", "siblings", "in_branch"]) if family == "branches" else None
    sources = 2 if two_sources else 1
    first = [node("map")] if split else []  # the split source's `|v| counters.item(v)`
    chain = draw(family, rng, ordered_flat, length)
    attempt = 0
    while not acceptable(analyze(sources, first + chain), target):
        # Too many paths to an ordered stage, a refused flat-map, or not the shape wanted: draw
        # this chain again from its own generator, so that the main one (and every later graph)
        # is unchanged.
        attempt += 1
        assert attempt <= 1000, f"graph_{g}: no acceptable chain"
        chain = draw(family, random.Random(f"{SEED}/{g}/{attempt}"), ordered_flat, length)
    if attempt:
        redrawn.append((g, attempt))
    a = analyze(sources, first + chain)
    list(walk_elems(chain))  # marks `in_group`
    most = max(most, *a["parts"])
    found = shapes(a)
    outputs = []
    number_outputs(chain, outputs, not two_sources)
    tally.setdefault(family, []).append(g)
    for s in found:
        tally.setdefault(s, []).append(g)
    roots = [a["elems"][i] for i in range(len(a["elems"])) if a["ordered"][i] and a["flat"][i]]
    if any(e.get("in_group") for e in roots):
        tally.setdefault("flat-map running in order in a branch", []).append(g)
    if any(e["kind"] == "ordered_filter_map" for e in walk_elems(chain)):
        tally.setdefault("ordered filter_map", []).append(g)
    if found:
        tally.setdefault("any new shape", []).append(g)
    if found and two_sources:
        tally.setdefault("new shapes, two sources", []).append(g)
    if found and capacity == 1:
        tally.setdefault("new shapes, capacity 1", []).append(g)
    sinks = sum(1 for e in walk_elems(chain) if e["kind"] == "sink")
    if sinks > 1:
        tally.setdefault("several sinks", []).append(g)

    if split:
        source = "items.to_vec()"
        head = "|v: i64| counters.item(v)\n        => "
    else:
        source = "items.iter().map(|&v| counters.item(v))"
        head = ""
    if two_sources:
        source = f"({source}, items.iter().rev().map(|&v| counters.item(v)))"
        if split:  # two split sources of one item type
            source = "(items.to_vec(), items.iter().rev().copied().collect::<Vec<i64>>())"
    desc = [family, f"capacity {capacity}", f"{'split' if split else 'iterator'} source"
            + ("s: 2" if two_sources else ""), f"{sinks} sink{'s' if sinks > 1 else ''}"]
    if found:
        desc.append("shapes: " + ", ".join(sorted(found)))
    if g in KNOWN_FAILURES:
        desc.append("KNOWN FAILURE, left out of GRAPHS: " + KNOWN_FAILURES[g])
    out.append(f"/// graph_{g}: {'; '.join(desc)}.")
    out.append(f"pub fn graph_{g}(threads: usize, items: &[i64], counters: &'static Counters, fault: &Fault) -> (Result<(), i64>, Vec<Vec<i64>>) {{")
    for i in range(len(outputs)):
        out.append(f"    let mut o{i}: Vec<i64> = Vec::new();")
    counted = [e["out"] for e in walk_elems(chain) if e.get("counted")]
    for i in counted:
        out.append(f"    let mut n{i} = 0i64;")
    out.append(f"    let result = pipeline!(threads, capacity = {capacity}, {source}")
    out.append(f"        => {head}{render_chain(chain, '        ')});")
    out.append(f"    (result, vec![{', '.join(f'o{i}' for i in range(len(outputs)))}])")
    out.append("}")
    out.append("")
    out.append(f"/// The sequential reference of `graph_{g}`: per source, per output, every value in source order, each item depth first.")
    out.append(f"pub fn reference_{g}(items: &[i64], fault: &Fault) -> Result<Vec<Vec<Vec<i64>>>, Faulted> {{")
    out.append("    let mut all = Vec::new();")
    for i in counted:
        out.append(f"    let n{i} = Cell::new(0i64);")
    srcs = ["items.iter()", "items.iter().rev()"] if two_sources else ["items.iter()"]
    lines = []
    top = ref_chain(chain, None, lines)
    for l in lines:
        out.append("    " + l)
    for src in srcs:
        out.append(f"    let mut one = vec![Vec::new(); {len(outputs)}];")
        out.append(f"    for &v in {src} {{")
        out.append(f"        {top}(v, &mut one)?;")
        out.append("    }")
        out.append("    all.push(one);")
    out.append("    Ok(all)")
    out.append("}")
    out.append("")
    specs.append((g, outputs))

out.append("/// A graph's run: the pipeline's result and, per output (`o0`, `o1`, …), what it received.")
out.append("pub type Run = fn(usize, &[i64], &'static Counters, &Fault) -> (Result<(), i64>, Vec<Vec<i64>>);")
out.append("/// A graph's reference: per source, per output, the values in order.")
out.append("pub type Reference = fn(&[i64], &Fault) -> Result<Vec<Vec<Vec<i64>>>, Faulted>;")
out.append("/// Every graph but the known failures: (name, run, reference, outputs), each output named and")
out.append("/// `true` if it is compared in order (per source), `false` as a multiset.")
out.append("pub const GRAPHS: &[(&str, Run, Reference, &[(&str, bool)])] = &[")
for g, outputs in specs:
    if g in KNOWN_FAILURES:
        out.append(f"    // graph_{g}: known failure, see its doc comment.")
        continue
    outs = ", ".join(f'("{name}", {str(o).lower()})' for name, o in outputs)
    out.append(f'    ("graph_{g}", graph_{g}, reference_{g}, &[{outs}]),')
out.append("];")
open("tests/tests/random_graphs/graphs.rs", "w").write("\n".join(out) + "\n")
print(f"wrote {COUNT} graphs; at most {most} paths to an ordered stage (limit {MAX_PATHS})"
      + "".join(f"; graph_{g} redrawn ({a} attempt{'s' if a > 1 else ''})" for g, a in redrawn))
for what, gs in sorted(tally.items()):
    print(f"  {what}: {len(gs)} ({', '.join(map(str, gs))})")
