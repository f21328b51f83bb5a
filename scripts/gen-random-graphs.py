#!/usr/bin/env python3
"""Generates tests/tests/e2e/random_graphs/graphs.rs: random pipelines the grammar can express, each
with a sequential reference, for the property tests in tests/tests/e2e/random_graphs.rs.

Every graph is a `pipeline!` over `Tracked` items (they count live copies), built from a seeded
random chain: maps, filters, filter_maps, flat_maps, serial and ordered stages, fan-out groups
(nested), merges, one fault stage (a `try` stage that panics or fails on given values), random
capacity 1..=8, one or two sources. Graphs come in eight families:

- `unordered`: no ordered stage; one stateful sink (its outputs compared as a multiset).
- `ordered`: one ordered sink, or an `ordered flat_map` and a sink after it; flat-maps (which
  then run in order) and ordered middle stages only in the top-level chain.
- `branches`: ordered stages anywhere. Ordered middle stages (maps, filter_maps and flat-maps)
  inside fan-out branches, before an ordered stage after the merge or not; flat-maps in
  branches; and a chain that may end in a fan-out (nested or not) with a sink per branch, some
  of them ordered, some not: a branch beside an ordered stage that leads to no ordered stage,
  ordered stages in sibling branches, and so on. Drawn again while the macro would refuse them
  (see "Refused" below).
- `streams` (the last STREAMS graphs, from generators of their own): flat-maps in fan-out
  branches whose branches meet at an ordered stage, which reads each flat-map's outputs as a
  stream (para-macros since ab97d77): `src => (flat_map f => g, h) => ordered o`. One to three
  such branches (sometimes every branch), some of them an explicit `ordered flat_map`; stages,
  merging fan-outs and transparent ordered stages before the group (so several paths may lead
  into a flat-map); filters, ordered stages and a fan-out (whose branches merge again or end at
  the ordered stage) around the flat-map in its branch; the stage where they meet an `ordered`
  map or filter_map, an explicit `ordered flat_map` or an ordered sink, followed by stages and
  sinks that lead to no other ordered stage; sometimes all that is one branch of a terminal
  fan-out beside a `branches`-family chain. Drawn again until an ordered stage reads a stream
  and the macro accepts it, with the branches meeting only at the ordered stage (the rule of
  their time, see "Refused").
- `lanes` (the last LANES graphs, from generators of their own): flat-map branches that meet
  the other branches *before* the ordered stage that reads them as a stream (para-macros since
  996b356): `src => (flat_map f, g) => m => ordered h`. The meeting group as in `streams` (2..=3
  branches, 1..=2 with a flat-map, sometimes all; transparent ordered stages, filters and
  fan-outs in the flat-map's branch), then 1..=3 of: stages, filters, filter_maps, serial
  stages, merging fan-outs of them (the branches then meet in each of their branches, and each
  numbering takes several paths), and once, not first, a flat-map (it runs in order, reads the
  lanes as streams, and numbers its outputs for the ordered stage after it); then the ordered
  stages that read the lanes: one (an `ordered` map or filter_map, an `ordered flat_map` or an
  ordered sink, followed by stages and sinks), two in the branches of a terminal fan-out (`=>
  serial s => (ordered h1, m => ordered h2)`: both read the lane), or one beside a branch that
  leads to no ordered stage; one or two sources; sometimes all that is one branch of a terminal
  fan-out beside a `branches`-family chain. Graph `COUNT + STREAMS + j` is drawn again until
  the macro accepts it, its branches meet before an ordered stage (asserted), and it has the
  shape `LANE_TARGETS[j % len(LANE_TARGETS)]` names (a meeting in the branches of a fan-out, a
  flat-map after the meeting, a meeting at a filter, at a serial stage, at a filter_map, one
  lane read by two ordered stages, several lanes into one ordered stage (one source), a fan-out
  and merge after the meeting, a transparent ordered stage in the flat-map's branch, an ordered
  sink reading).
- `sources` (the last SOURCE_GRAPHS graphs, from generators of their own): two sources (split or
  iterators) and what para-core allows with them since 240d622 and 623985e: several flat-map
  streams into one ordered stage (each flat-map then fills its streams, and the windows of the
  ordered stages inside its branch, per source: `(a, b) => (flat_map f, flat_map g, h) =>
  ordered o`), and a flat-map on the chain before a group of stream branches (`(a, b) =>
  flat_map e => (flat_map f, g) => ordered o`: the stage reads `f`'s stream in `e`'s numbering,
  one window). Stages and merging fan-outs before the group as in `lanes`, sometimes a chain
  flat-map among them; the group (2..=4 branches, 2..=3 flat-maps, sometimes every branch, with
  filters, fan-outs and transparent ordered stages around them in their branches); sometimes
  `MID` stages and fan-outs where the branches meet before the ordered stage (lanes); the
  ordered stages that read them as in `lanes` (one, two in a terminal fan-out, one beside a
  branch to none; sometimes a flat-map reading them before another ordered stage); sometimes
  all that beside a `branches`-family chain. Graph `COUNT + STREAMS + LANES + j` is drawn again
  until the macro accepts it and it has the shape `SOURCE_TARGETS[j % len(SOURCE_TARGETS)]`
  names (two or three streams into one ordered stage, several lanes into one, every branch a
  flat-map, a transparent ordered stage in a per-source flat-map's branch, a chain flat-map
  before one or several streams, several streams into an ordered sink, a per-source stream
  read by two ordered stages, several streams into a flat-map before another ordered stage);
  the generator asserts that each has two sources and an ordered stage that reads several
  streams in the sources' numbering or reads streams in a chain flat-map's numbering. Its
  ordered middle stages only log (two sources, see "Outputs").
- `nested` (the last NESTED graphs, from generators of their own): what para-macros accepts
  since c9ec29a and bdc4e6d. Flat-maps in a row inside a stream branch (a chain: `src =>
  (flat_map e => filter p => flat_map f, g) => ordered h`: `e`, the head, ends each input's
  outputs, `f` passes those end markers on), with `AROUND` stages, filters, merging fan-outs and
  transparent ordered stages between them, chains of three; streams read inside streams (`src
  => (flat_map e => (flat_map f, g2), g) => ordered h`: per output `y` of `e`, `f`'s outputs of
  `y`, then `g2`'s, depth first as the reference), the inner branches ending at the meeting or
  meeting first inside the branch, sometimes with a chain in the inner branch; every branch a
  chain (`(flat_map a => flat_map b, flat_map c => flat_map d) => ordered h`), and chains under
  a flat-map on the chain (`flat_map e => (flat_map f => flat_map f2, flat_map g) => ordered h`:
  `e`'s numbering is the main one); one or two sources (several streams then filled per
  source); stages and merging fan-outs before the group, and where the branches meet before
  the ordered stage (lanes), as in `sources`; the ordered stages that read them as in
  `sources`; sometimes beside a `branches`-family chain. Graph `COUNT + STREAMS + LANES +
  SOURCE_GRAPHS + j` is drawn again until the macro accepts it and it has the shape
  `NESTED_TARGETS[j % len(NESTED_TARGETS)]` names (of `nested_shapes`; those naming two
  sources have two); the generator asserts that each has a chain of two or more in-order
  flat-maps feeding a stream or a stream read inside another. Its ordered middle stages count
  with one source and only log with two, as everywhere.
- `readers` (the last READERS graphs, from generators of their own): what para-macros accepts
  since 1d4e48e and d0be219. A stream filled by a stage that reads streams itself (`src =>
  ((flat_map f, g) => ordered t, k) => ordered h`: `t`, an `ordered` map or filter_map, an
  `ordered flat_map` or a plain `flat_map` (which runs in order), reads `f`'s stream and
  numbers its outputs anew; `h` reads per source item all of `t`'s outputs of it, then `k`'s),
  every input of `t` sometimes a stream, `t` sometimes after a flat-map in its branch (`flat_map
  e => (flat_map f, g) => ordered t`: `t` passes `e`'s end markers on), the branches of `t`'s
  group sometimes meeting before `t` and `t`'s outputs before `h` (lanes); flat-maps after one
  whose own outputs reach no ordered stage (`src => (flat_map e => (flat_map f, flat_map g), k)
  => ordered h`: `e` fills a stream of holes, inside which `h` reads, per output `y` of `e`,
  `f`'s outputs of `y` then `g`'s), sometimes chains among them; the other branches of the
  group plain, flat-maps or more of those; stages and merging fan-outs before it and where the
  branches meet before `h`, and the ordered stages that read them, as in `nested`, sometimes an
  `ordered` map reading them before another ordered stage (it numbers its outputs anew); one or
  two sources. Graph `COUNT + STREAMS + LANES + SOURCE_GRAPHS + NESTED + j` is drawn again until
  the macro accepts it, the reference's order is the one it promises (see "Grouped") and it has
  the shape `READER_TARGETS[j % len(READER_TARGETS)]` names (of `reader_shapes`; those naming
  two sources have two); the generator asserts that each has a stream filled by a stage reading
  streams or a stream of holes.

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

Streams. A flat-map running in order inside a fan-out branch numbers its outputs anew; where its
branch meets the others at an ordered stage, that stage reads them as a stream: per source item,
in branch order, all of the flat-map's outputs of it (in emission order) at the place its branch
takes, which is again the reference's depth-first order. Where its branch meets the others at
any other node first (a stage, a filter, a serial stage, the branches of a fan-out; para-macros
since 996b356), its outputs go on from there beside the main numbering's items, each numbering
in its lane, counting its paths apart, to the ordered stages after it, and each of those reads
the lane as a stream just the same: meeting earlier does not change the order an ordered stage
promises, so the reference is the same depth-first walk. A stream has its own paths (from the
flat-map to the stage, through the meeting: at most MAX_PATHS), and an ordered stage reads at
most MAX_STREAMS = 8. With two sources, para-macros refused more than one before 240d622 (two
flat-maps could take the sources in different orders and hang); it now has each of them fill
its streams per source. Only `sources` and `nested` draw more than one with two sources; the
other families keep the old refusal (in `acceptable`), so that their graphs, redrawn because of
it or not, stay the ones the seed always gave.

Chains and streams in streams (para-macros since c9ec29a and bdc4e6d, the `nested` family). A
flat-map whose outputs reach the ordered stage only through another flat-map of its branch is
not a stream of that stage itself: the last one is, read where the first one's (the head's)
branch goes, and the stage sees per source item everything the branch made of it, each output
of one flat-map expanded by the next, in order. A flat-map whose outputs reach the stage both
through another flat-map and beside it (`flat_map e => (flat_map f, g2)`) is a stream of its
own, and the inner one is read inside it: per output of `e`, `f`'s outputs of it then `g2`'s.
Both are the reference's depth-first order again.

Streams filled by stages that read streams, and streams of holes (para-macros since 1d4e48e and
d0be219, the `readers` family). A stage `t` that reads streams and leads to another ordered
stage `h` numbers its outputs anew, and `h` reads them as a stream: all of `t`'s outputs of an
item of `t`'s window at one step. A flat-map `e` whose outputs reach `h` only through two or
more flat-maps after it is read as a stream of its own (of holes), inside which theirs are read
per output of `e`. Both are the reference's depth-first order, but for one thing:

Paths into a stream reader. `t` ends each step of its window (each input from a part, each
stream step), and `h` reads `t`'s stream wherever a path enters `t` or a flat-map `t` reads
(para-core's `ordered` module docs, "Streams"): with a
fan-out before the group, depth first as the reference computes it. (Until bd94083 `h` read all
of `t`'s outputs of an item at its first entry, and those graphs were drawn again.)

Refused (a compile error), and so never generated: numberings that meet where `main_root` finds
no main numbering of which the others are streams (through any number of flat-maps); a
flat-map that heads a chain for one ordered stage and passes another chain's end markers on for
another (tags.rs still refuses both, and the grammar seems to give neither); more than 32 paths
into an ordered stage (per numbering), more than 8 streams into one, more than 255 lanes (never
near). Until d0be219 also two chains into one ordered stage from one flat-map whose own outputs
do not reach it (`(flat_map e => (flat_map f, flat_map g), k) => ordered h`), and until 1d4e48e
a stream filled by a stage that reads streams itself (`((flat_map f, g) => ordered flat_map t,
k) => ordered h`); before c9ec29a, flat-maps in a row in a stream branch, and streams read inside
streams before bdc4e6d. With two sources, more than one stream into an ordered stage was refused
before 240d622; every family but `sources`, `nested` and `readers` still keeps that rule, see
"Streams". An ordered stage (not a flat-map) that reads streams and whose outputs lead to
another ordered stage (`=> (flat_map f, g) => ordered o => ordered p`, since 5e86e31: it numbers
its outputs anew) is drawn by `readers` only: after the meeting the `lanes` family puts no
ordered stage but a flat-map before the ones that read the lanes. The old families keep every numbering from meeting another at all, as the macro
required before streams, and `streams` keeps them to meet only at an ordered stage whose outputs
lead to no other one, with `main_root` as it was then (`flat_map f0 => (flat_map f, g)` refused,
although the macro accepts it since 0fda33c): `analyze(strict=True)`, so that they stay the
graphs the seed always gave; `lanes`, `sources`, `nested` and `readers` follow the macro's rule
(`strict=False, new=True`, as it is since d0be219; `lanes` and `sources` were drawn under the
one before c9ec29a, `nested` under the one of bdc4e6d, which give them the same graphs with the
default arguments as this one does), under which a flat-map
on the chain before a stream group is the main numbering there (only `sources` and `nested`
draw one: the other generators put no flat-map before their group).

`analyze` counts paths and finds those conflicts as para-macros' `tags.rs` (`mark_tags`,
`main_root`) does; a chain over the limit or with a conflict is drawn again (with its fault
stage) from a generator seeded by the seed, the graph's number and the attempt, so the main
generator's draws stay the same and every other graph is the one the seed always gave.

    python3 scripts/gen-random-graphs.py [count] [seed] [streams] [lanes] [sources] [nested] [readers]
        # defaults: 40 20261135 12 10 10 12 10
    rustfmt --edition 2021 tests/tests/e2e/random_graphs/graphs.rs   # and commit the output

It prints how many graphs have each shape.
"""
import random
import sys

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 40
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 20261135
# Graphs of the `streams` family, after the COUNT others.
STREAMS = int(sys.argv[3]) if len(sys.argv) > 3 else 12
# Graphs of the `lanes` family, after the `streams` ones.
LANES = int(sys.argv[4]) if len(sys.argv) > 4 else 10
# The shapes (of `lane_shapes`) the `lanes` graphs are drawn until they have, in turn; those
# marked `True` need several lanes into one ordered stage, so one source.
LANE_TARGETS = [("meet in the branches of a fan-out", False),
                ("read by a flat-map before another ordered stage", False),
                ("meet first at a `filter`", False),
                ("one lane read by two ordered stages", False),
                ("several streams into one ordered stage", True),
                ("fan-out and merge after the meeting", False),
                ("meet first at a `serial`", False),
                ("transparent ordered stage in the flat-map's branch", False),
                ("read at an ordered sink", False),
                ("meet first at a `filter_map`", False)]
# Graphs of the `sources` family, after the `lanes` ones.
SOURCE_GRAPHS = int(sys.argv[5]) if len(sys.argv) > 5 else 10
# The shapes (of `source_shapes`) the `sources` graphs are drawn until they have, in turn. Each
# has two sources and either several streams into one ordered stage (each of their flat-maps
# filling its streams per source) or a flat-map on the chain before a group of stream branches.
SOURCE_TARGETS = ["two streams into one ordered stage",
                  "flat-map on the chain before a stream group",
                  "three streams into one ordered stage",
                  "several lanes into one ordered stage",
                  "every branch a flat-map",
                  "transparent ordered stage in a per-source flat-map's branch",
                  "flat-map on the chain before several streams",
                  "several streams into an ordered sink",
                  "a per-source stream read by two ordered stages",
                  "several streams into a flat-map before another ordered stage"]
# Graphs of the `nested` family, after the `sources` ones.
NESTED = int(sys.argv[6]) if len(sys.argv) > 6 else 12
# The shapes (of `nested_shapes`) the `nested` graphs are drawn until they have, in turn. Each
# has a chain of two or more flat-maps in a row feeding a stream, or a stream read inside
# another's; those naming two sources have two sources (several streams, filled per source).
NESTED_TARGETS = ["chain of two flat-maps in a stream branch",
                  "a stream read inside another",
                  "fan-out and merge between the flat-maps of a chain",
                  "every branch a chain",
                  "chain of three flat-maps in a stream branch",
                  "chains under a flat-map on the chain, every branch a flat-map",
                  "transparent ordered stage between the flat-maps of a chain",
                  "chains, several streams with two sources",
                  "a stream inside another meeting before the ordered stage",
                  "a chain meeting before the ordered stage",
                  "a stream read inside another, several streams with two sources",
                  "a chain inside a stream read inside another"]
# Graphs of the `readers` family, after the `nested` ones.
READERS = int(sys.argv[7]) if len(sys.argv) > 7 else 10
# The shapes (of `reader_shapes`) the `readers` graphs are drawn until they have, in turn. Each
# has a stream filled by a stage that reads streams itself, or flat-maps after one whose own
# outputs reach no ordered stage (a stream of holes); those naming two sources have two.
READER_TARGETS = ["a stream filled by an `ordered` map reading streams",
                  "flat-maps after one that reaches no ordered stage",
                  "a stream filled by an `ordered flat_map` reading streams",
                  "a stream filled by a reader whose every input is a stream",
                  "a stream filled by a `flat_map` reading streams",
                  "flat-maps after one that reaches no ordered stage, two sources",
                  "a stream filled by an `ordered filter_map` reading streams",
                  "a stream reader after a flat-map in its branch",
                  "stream readers, two sources",
                  "a stream reader's outputs meeting before the ordered stage"]
# The most paths from a root (the sources, or an ordered flat-map) to an ordered stage:
# para-core's `MAX_PARTS`.
MAX_PATHS = 32
# Graphs whose run disagrees with its reference or hangs although the reference follows the
# promised semantics (a macro or runtime bug, reported): generated (so they still compile) but
# left out of `GRAPHS`, each with the reason. Empty when every graph passes.
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


# The `streams` family's stages: before the meeting group (`PRE`), in a branch of it that holds
# no flat-map (`PLAIN`), in a flat-map's branch before and after it (`AROUND`), and after the
# ordered stage where the branches meet (`TAIL`: no ordered stage, see "Refused").
PRE = [("map", 3), ("filter", 2), ("filter_map", 1), ("serial", 1), ("ordered", 2),
       ("ordered_filter_map", 1)]
PLAIN = [("map", 3), ("filter", 2), ("filter_map", 2), ("serial", 1), ("ordered", 2),
         ("ordered_filter_map", 1)]
AROUND = [("map", 2), ("filter", 3), ("filter_map", 2), ("serial", 1), ("ordered", 2),
          ("ordered_filter_map", 1)]
TAIL = [("map", 3), ("filter", 2), ("filter_map", 1), ("serial", 1), ("flat_map", 1)]


def pick(kinds, rng):
    names, weights = zip(*kinds)
    return stage(rng.choices(names, weights)[0], rng)


def gen_plain(depth, rng):
    """A branch of the meeting group without a flat-map: stages, maybe a nested group."""
    elems = [pick(PLAIN, rng) for _ in range(rng.randint(1, 2))]
    if depth < 2 and rng.random() < 0.2:
        elems.insert(rng.randint(0, len(elems)),
                     dict(kind="group", branches=[gen_plain(depth + 1, rng) for _ in range(2)]))
    return elems


def gen_stream_branch(rng):
    """A branch of the meeting group with one flat-map (which runs in order, the ordered stage
    after the group following it): stages before it, the flat-map (sometimes an explicit
    `ordered flat_map`), stages after it, and sometimes a fan-out after it whose branches merge
    again or end at the ordered stage. No second flat-map: the macro refused them when the
    `streams` family was drawn (the `nested` family draws them)."""
    elems = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1, 2]))]
    elems.append(stage("ordered_flat_map" if rng.random() < 0.25 else "flat_map", rng))
    after = [pick(AROUND, rng) for _ in range(rng.choice([0, 1, 1, 2]))]
    if rng.random() < 0.35:
        at = rng.choice([len(after), rng.randint(0, len(after))])
        after.insert(at, dict(kind="group", branches=[gen_plain(2, rng)
                                                      for _ in range(rng.randint(2, 3))]))
    return elems + after


def gen_streams(rng):
    """A chain of the `streams` family: stages and merging groups (so that several paths may
    lead into the flat-maps), the meeting group (2..=4 branches, 1..=3 of them with a flat-map,
    sometimes all), the ordered stage where they meet (an `ordered` map or filter_map, an
    explicit `ordered flat_map`, or an ordered sink), then stages and sinks that lead to no
    other ordered stage. Sometimes that part is one branch of a terminal fan-out whose other
    branch is a `branches`-family chain."""
    pre = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.35:
            pre.append(dict(kind="group", branches=[gen_plain(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        else:
            pre.append(pick(PRE, rng))
    count = rng.randint(2, 4)
    flats = count if rng.random() < 0.15 else rng.randint(1, min(count, 3))
    which = set(rng.sample(range(count), flats))
    group = dict(kind="group", branches=[gen_stream_branch(rng) if j in which else
                                         gen_plain(1, rng) for j in range(count)])
    meet = rng.choices(["ordered", "ordered_filter_map", "ordered_flat_map", "sink"],
                       [4, 2, 2, 2])[0]
    rest = [group]
    if meet == "sink":
        rest.append(sink(True))
    else:
        rest.append(stage(meet, rng))
        rest += [pick(TAIL, rng) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.3:
            rest.append(dict(kind="group", terminal=True,
                             branches=[[pick(TAIL, rng), sink(False)] for _ in range(2)]))
        else:
            rest.append(sink(False))
    if rng.random() < 0.25:
        other = gen_branches(1, True, rng)
        branches = [rest, other] if rng.random() < 0.5 else [other, rest]
        rest = [dict(kind="group", terminal=True, branches=branches)]
    return pre + rest


# The `lanes` family's stages after the meeting, before the ordered stages that read the lanes
# (`MID`): no ordered stage (it would read the lanes as streams and, leading to another ordered
# stage, number its outputs anew: not drawn yet, see "Refused").
MID = [("map", 3), ("filter", 3), ("filter_map", 2), ("serial", 2)]


def gen_mid_branch(depth, rng):
    """A branch of a fan-out after the meeting: `MID` stages, maybe a nested group."""
    elems = [pick(MID, rng) for _ in range(rng.randint(1, 2))]
    if depth < 2 and rng.random() < 0.2:
        elems.insert(rng.randint(0, len(elems)),
                     dict(kind="group", branches=[gen_mid_branch(depth + 1, rng)
                                                  for _ in range(2)]))
    return elems


def gen_reader(rng):
    """An ordered stage that reads the lanes (an `ordered` map or filter_map, an explicit
    `ordered flat_map`, or an ordered sink), then stages and a sink that lead to no other
    ordered stage."""
    kind = rng.choices(["ordered", "ordered_filter_map", "ordered_flat_map", "sink"],
                       [4, 2, 2, 3])[0]
    if kind == "sink":
        return [sink(True)]
    return [stage(kind, rng)] + [pick(TAIL, rng) for _ in range(rng.randint(0, 2))] \
        + [sink(False)]


def gen_lanes(rng):
    """A chain of the `lanes` family: stages and merging groups (as `streams`), the group whose
    branches (2..=3, 1..=2 of them with a flat-map, sometimes all) meet, then, before any
    ordered stage, 1..=3 of: `MID` stages (the first one they meet at), merging fan-outs of
    them (they meet in each branch, and each numbering takes several paths), and once, not
    first, a `flat_map` (it runs in order and reads the lanes as streams). Then the ordered
    stages that read the lanes: one (followed by stages, maybe a terminal fan-out, as in
    `streams`), two in the branches of a terminal fan-out, or one beside a branch that leads to
    no ordered stage. Sometimes all that is one branch of a terminal fan-out beside a
    `branches`-family chain."""
    pre = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.35:
            pre.append(dict(kind="group", branches=[gen_plain(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        else:
            pre.append(pick(PRE, rng))
    count = rng.randint(2, 3)
    flats = count if rng.random() < 0.1 else rng.randint(1, min(count, 2))
    which = set(rng.sample(range(count), flats))
    group = dict(kind="group", branches=[gen_stream_branch(rng) if j in which else
                                         gen_plain(1, rng) for j in range(count)])
    mid = []
    for j in range(rng.randint(1, 3)):
        u = rng.random()
        if u < 0.3:
            mid.append(dict(kind="group", branches=[gen_mid_branch(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        elif u < 0.45 and j > 0 and not any(e["kind"] in FLAT for e in mid):
            mid.append(stage("ordered_flat_map" if rng.random() < 0.3 else "flat_map", rng))
        else:
            mid.append(pick(MID, rng))
    rest = [group] + mid
    end = rng.choices(["one", "two", "beside"], [4, 3, 2])[0]
    if end == "one":
        reader = gen_reader(rng)
        if len(reader) > 1 and rng.random() < 0.3:
            reader[-1:] = [dict(kind="group", terminal=True,
                                branches=[[pick(TAIL, rng), sink(False)] for _ in range(2)])]
        rest += reader
    elif end == "two":
        rest.append(dict(kind="group", terminal=True, branches=[
            [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
            for _ in range(2)]))
    else:
        branches = [gen_reader(rng), [pick(TAIL, rng) for _ in range(rng.randint(0, 2))]
                    + [sink(False)]]
        rng.shuffle(branches)
        rest.append(dict(kind="group", terminal=True, branches=branches))
    if rng.random() < 0.2:
        other = gen_branches(1, True, rng)
        branches = [rest, other] if rng.random() < 0.5 else [other, rest]
        rest = [dict(kind="group", terminal=True, branches=branches)]
    return pre + rest


def gen_sources(rng, want):
    """A chain of the `sources` family (two sources), drawn toward shape `want` (of
    `SOURCE_TARGETS`): stages and merging groups as in `lanes`, sometimes (always when `want`
    asks) a flat-map on the chain (it runs in order: the stream group is read in its numbering,
    para-core since 623985e); the group (2..=4 branches, 2..=3 of them with a flat-map, 1..=2
    when `want` is a chain flat-map before one stream group, sometimes all; transparent
    ordered stages and filters in a flat-map's branch); sometimes `MID` stages and merging
    fan-outs where they meet before the ordered stage (lanes); then the ordered stages that read them: one (an `ordered` map or
    filter_map, an `ordered flat_map`, an ordered sink, or a flat-map before another ordered
    stage), two in the branches of a terminal fan-out, or one beside a branch that leads to no
    ordered stage. Sometimes all that is one branch of a terminal fan-out beside a
    `branches`-family chain."""
    pre = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.3:
            pre.append(dict(kind="group", branches=[gen_plain(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        else:
            pre.append(pick(PRE, rng))
    chained = want.startswith("flat-map on the chain") or rng.random() < 0.2
    if chained:
        pre.insert(rng.randint(0, len(pre)),
                   stage("ordered_flat_map" if rng.random() < 0.25 else "flat_map", rng))
    if want == "every branch a flat-map":
        flats = count = rng.choice([2, 2, 3])
    elif want == "three streams into one ordered stage":
        flats, count = 3, rng.choice([3, 4, 4])
    elif want == "flat-map on the chain before a stream group":
        count = rng.choice([2, 2, 3])
        flats = count if rng.random() < 0.15 else rng.choice([1, 1, 2])
    else:
        flats = 3 if rng.random() < 0.2 else 2
        count = flats + rng.choice([0, 1, 1])
    which = sorted(rng.sample(range(count), flats))
    branches = [gen_stream_branch(rng) if j in which else gen_plain(1, rng)
                for j in range(count)]
    if want == "transparent ordered stage in a per-source flat-map's branch":
        b = branches[rng.choice(which)]
        at = next(i for i, e in enumerate(b) if e["kind"] in FLAT)
        b.insert(at + 1, stage(rng.choice(["ordered", "ordered", "ordered_filter_map"]), rng))
    rest = [dict(kind="group", branches=branches)]
    if want == "several lanes into one ordered stage" or rng.random() < 0.35:
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                rest.append(dict(kind="group", branches=[gen_mid_branch(1, rng)
                                                         for _ in range(rng.randint(2, 3))]))
            else:
                rest.append(pick(MID, rng))
    if want == "several streams into a flat-map before another ordered stage" \
            or rng.random() < 0.1:
        rest.append(stage("ordered_flat_map" if rng.random() < 0.3 else "flat_map", rng))
        rest += [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
    elif want == "several streams into an ordered sink":
        rest.append(sink(True))
    else:
        end = "two" if want == "a per-source stream read by two ordered stages" \
            else rng.choices(["one", "two", "beside"], [5, 2, 2])[0]
        if end == "one":
            reader = gen_reader(rng)
            if len(reader) > 1 and rng.random() < 0.3:
                reader[-1:] = [dict(kind="group", terminal=True,
                                    branches=[[pick(TAIL, rng), sink(False)] for _ in range(2)])]
            rest += reader
        elif end == "two":
            rest.append(dict(kind="group", terminal=True, branches=[
                [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
                for _ in range(2)]))
        else:
            branches = [gen_reader(rng), [pick(TAIL, rng) for _ in range(rng.randint(0, 2))]
                        + [sink(False)]]
            rng.shuffle(branches)
            rest.append(dict(kind="group", terminal=True, branches=branches))
    if rng.random() < 0.15:
        other = gen_branches(1, True, rng)
        branches = [rest, other] if rng.random() < 0.5 else [other, rest]
        rest = [dict(kind="group", terminal=True, branches=branches)]
    return pre + rest


def flat_stage(rng, explicit=0.2):
    """A flat-map that runs in order (an ordered stage follows it), sometimes written `ordered
    flat_map`."""
    return stage("ordered_flat_map" if rng.random() < explicit else "flat_map", rng)


def gen_chain_branch(rng, flats, fan_out=False, transparent=False):
    """A stream branch holding a chain of `flats` flat-maps in a row (the first heads it: it
    ends each input's outputs, the others pass those end markers on): `AROUND` stages before
    it, between its flat-maps (filters, transparent ordered stages, a merging fan-out of
    `gen_plain` branches: `fan_out` and `transparent` put one between the first two) and after
    it, and sometimes a fan-out after it whose branches end at the meeting."""
    elems = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    for j in range(flats):
        if j > 0:
            between = [pick(AROUND, rng) for _ in range(rng.choice([0, 1, 1, 2]))]
            if (fan_out and j == 1) or rng.random() < 0.25:
                between.insert(rng.randint(0, len(between)), dict(
                    kind="group", branches=[gen_plain(2, rng) for _ in range(rng.randint(2, 3))]))
            if transparent and j == 1:
                between.insert(rng.randint(0, len(between)),
                               stage(rng.choice(["ordered", "ordered", "ordered_filter_map"]), rng))
            elems += between
        elems.append(flat_stage(rng))
    elems += [pick(AROUND, rng) for _ in range(rng.choice([0, 1, 1, 2]))]
    if rng.random() < 0.2:
        elems.append(dict(kind="group", branches=[gen_plain(2, rng)
                                                  for _ in range(rng.randint(2, 3))]))
    return elems


def gen_nested_branch(rng, inner_chain=False):
    """A stream branch whose flat-map `e` fans out into a branch with another flat-map (a chain
    of two when `inner_chain`) and plain ones (sometimes a second flat-map branch too): that
    stream is read inside `e`'s, per output of `e`. The inner branches end at the meeting, or
    sometimes meet first inside the branch at `MID` stages (lanes in `e`'s numbering)."""
    elems = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    elems.append(flat_stage(rng))
    elems += [pick(AROUND, rng) for _ in range(rng.choice([0, 1, 1]))]
    inner = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    if inner_chain:
        inner.append(flat_stage(rng))
        inner += [pick(AROUND, rng) for _ in range(rng.choice([0, 1]))]
    inner.append(flat_stage(rng))
    inner += [pick(AROUND, rng) for _ in range(rng.choice([0, 1, 1]))]
    branches = [inner] + [gen_plain(2, rng) for _ in range(rng.choice([1, 1, 2]))]
    if rng.random() < 0.2:
        branches.append([flat_stage(rng)] + [pick(AROUND, rng) for _ in range(rng.randint(0, 1))])
    rng.shuffle(branches)
    elems.append(dict(kind="group", branches=branches))
    if rng.random() < 0.25:
        elems += [pick(MID, rng) for _ in range(rng.randint(1, 2))]
    return elems


def gen_nested(rng, want):
    """A chain of the `nested` family, drawn toward shape `want` (of `NESTED_TARGETS`): stages
    and merging groups as in `lanes`, sometimes (always when `want` asks) a flat-map on the
    chain (then the main numbering of the group after it); the group, whose branches hold
    chains of flat-maps (`gen_chain_branch`), streams read inside streams
    (`gen_nested_branch`), single flat-maps (`gen_stream_branch`) or none (`gen_plain`), every
    branch a flat-map when `want` asks; sometimes `MID` stages and merging fan-outs where they
    meet before the ordered stage (lanes); then the ordered stages that read them as in
    `sources`. Sometimes all that is one branch of a terminal fan-out beside a
    `branches`-family chain."""
    pre = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.3:
            pre.append(dict(kind="group", branches=[gen_plain(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        else:
            pre.append(pick(PRE, rng))
    under = "under a flat-map on the chain" in want
    if under or rng.random() < 0.15:
        pre.insert(rng.randint(0, len(pre)), flat_stage(rng, 0.25))

    def chain_branch(**kw):
        return gen_chain_branch(rng, rng.choice([2, 2, 2, 3]), **kw)

    def any_flat():
        return rng.choices([chain_branch, lambda: gen_nested_branch(rng),
                            lambda: gen_stream_branch(rng)], [3, 2, 2])[0]()

    if want.startswith("every branch a chain"):
        branches = [chain_branch() for _ in range(rng.choice([2, 2, 3]))]
    elif under:
        branches = [chain_branch() if rng.random() < 0.5 else gen_stream_branch(rng)
                    for _ in range(rng.choice([2, 2, 3]))]
    else:
        if want.startswith("chain of three"):
            main = gen_chain_branch(rng, 3)
        elif want.startswith("fan-out and merge between"):
            main = gen_chain_branch(rng, rng.choice([2, 3]), fan_out=True)
        elif want.startswith("transparent ordered stage between"):
            main = gen_chain_branch(rng, rng.choice([2, 3]), transparent=True)
        elif "inside another" in want:
            main = gen_nested_branch(rng, inner_chain=want.startswith("a chain inside"))
        elif "chain" in want:
            main = chain_branch()
        else:
            main = any_flat()
        branches = [main]
        several = "several streams" in want
        for _ in range(rng.choice([1, 1, 2])):
            u = rng.random()
            branches.append(any_flat() if u < (0.6 if several else 0.25)
                            else gen_plain(1, rng))
        rng.shuffle(branches)
    rest = [dict(kind="group", branches=branches)]
    if "meeting before the ordered stage" in want or rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                rest.append(dict(kind="group", branches=[gen_mid_branch(1, rng)
                                                         for _ in range(rng.randint(2, 3))]))
            else:
                rest.append(pick(MID, rng))
    if rng.random() < 0.1:
        # A flat-map reads them (the main numbering for the ordered stage after it).
        rest.append(flat_stage(rng, 0.3))
        rest += [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
    else:
        end = rng.choices(["one", "two", "beside"], [5, 2, 2])[0]
        if end == "one":
            reader = gen_reader(rng)
            if len(reader) > 1 and rng.random() < 0.3:
                reader[-1:] = [dict(kind="group", terminal=True,
                                    branches=[[pick(TAIL, rng), sink(False)] for _ in range(2)])]
            rest += reader
        elif end == "two":
            rest.append(dict(kind="group", terminal=True, branches=[
                [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
                for _ in range(2)]))
        else:
            branches = [gen_reader(rng), [pick(TAIL, rng) for _ in range(rng.randint(0, 2))]
                        + [sink(False)]]
            rng.shuffle(branches)
            rest.append(dict(kind="group", terminal=True, branches=branches))
    if rng.random() < 0.15:
        other = gen_branches(1, True, rng)
        branches = [rest, other] if rng.random() < 0.5 else [other, rest]
        rest = [dict(kind="group", terminal=True, branches=branches)]
    return pre + rest


READER_KINDS = {"ordered": "an `ordered` map", "ordered_filter_map": "an `ordered filter_map`",
                "ordered_flat_map": "an `ordered flat_map`", "flat_map": "a `flat_map`"}


def gen_reader_branch(rng, kind, every=False, after_flat=False):
    """A branch whose stage `t` (of `kind`: an `ordered` map or filter_map, an `ordered
    flat_map`, or a `flat_map`, which runs in order) reads flat-map branches as streams and
    fills a stream itself for the ordered stage after the group (para-macros since 1d4e48e):
    stages before it, sometimes a flat-map (always when `after_flat`: `t` then passes its end
    markers on), the group `t` reads (2..=3 branches, 1..=2 with a flat-map, all when `every`),
    sometimes `MID` stages where they meet before `t`, then `t` and sometimes a stage."""
    elems = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    if after_flat or rng.random() < 0.15:
        elems.append(flat_stage(rng))
        elems += [pick(AROUND, rng) for _ in range(rng.choice([0, 1]))]
    count = rng.choice([2, 2, 3])
    flats = count if every else rng.randint(1, min(count, 2))
    which = set(rng.sample(range(count), flats))
    elems.append(dict(kind="group", branches=[gen_stream_branch(rng) if j in which else
                                              gen_plain(2, rng) for j in range(count)]))
    if rng.random() < 0.2:
        elems += [pick(MID, rng) for _ in range(rng.randint(1, 2))]
    elems.append(stage(kind, rng))
    elems += [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    return elems


def gen_holes_branch(rng):
    """A branch whose flat-map `e` reaches the ordered stage after the group only through the
    flat-maps of the fan-out after it (2..=3 branches, each a flat-map or a chain of them):
    `e` fills a stream of holes, inside which theirs are read per output of `e` (para-macros
    since d0be219). Sometimes `MID` stages where they meet inside the branch."""
    elems = [pick(AROUND, rng) for _ in range(rng.choice([0, 0, 1]))]
    elems.append(flat_stage(rng))
    elems += [pick(AROUND, rng) for _ in range(rng.choice([0, 1]))]
    elems.append(dict(kind="group", branches=[
        gen_chain_branch(rng, 2) if rng.random() < 0.25 else gen_stream_branch(rng)
        for _ in range(rng.choice([2, 2, 3]))]))
    if rng.random() < 0.2:
        elems += [pick(MID, rng) for _ in range(rng.randint(1, 2))]
    return elems


def gen_readers(rng, want):
    """A chain of the `readers` family, drawn toward shape `want` (of `READER_TARGETS`): stages
    and merging groups as in `lanes`, sometimes a flat-map on the chain; the group, one of
    whose branches holds a stage reading streams (`gen_reader_branch`, of the kind `want`
    names) or a flat-map reaching the stage only through others (`gen_holes_branch`), the
    others plain, single flat-maps, or more of those (more often with two sources); sometimes
    `MID` stages and merging fan-outs where they meet before the ordered stage (lanes); then
    the ordered stages that read them as in `nested`, sometimes an `ordered` map or
    filter_map reading them before another ordered stage (it numbers its outputs anew).
    Sometimes all that is one branch of a terminal fan-out beside a `branches`-family
    chain."""
    pre = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        if rng.random() < 0.3:
            pre.append(dict(kind="group", branches=[gen_plain(1, rng)
                                                    for _ in range(rng.randint(2, 3))]))
        else:
            pre.append(pick(PRE, rng))
    if rng.random() < 0.1:
        pre.insert(rng.randint(0, len(pre)), flat_stage(rng, 0.25))

    def reader_branch(kind=None, **kw):
        if kind is None:
            kind = rng.choices(list(READER_KINDS), [3, 2, 2, 2])[0]
        return gen_reader_branch(rng, kind, every=kw.get("every", rng.random() < 0.15),
                                 after_flat=kw.get("after_flat", False))

    if want.startswith("flat-maps after one"):
        main = gen_holes_branch(rng)
    else:
        kind = next((k for k, what in READER_KINDS.items() if f"by {what} " in want), None)
        main = reader_branch(kind, **({"every": True} if "every input" in want else {}),
                             after_flat="after a flat-map" in want)
    branches = [main]
    several = "two sources" in want
    for _ in range(rng.choice([1, 1, 2])):
        u = rng.random()
        if u < (0.4 if several else 0.15):
            branches.append(gen_stream_branch(rng))
        elif u < (0.55 if several else 0.25):
            branches.append(reader_branch() if rng.random() < 0.6 else gen_holes_branch(rng))
        else:
            branches.append(gen_plain(1, rng))
    rng.shuffle(branches)
    rest = [dict(kind="group", branches=branches)]
    if "meeting before the ordered stage" in want or rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            if rng.random() < 0.3:
                rest.append(dict(kind="group", branches=[gen_mid_branch(1, rng)
                                                         for _ in range(rng.randint(2, 3))]))
            else:
                rest.append(pick(MID, rng))
    u = rng.random()
    if u < 0.1:
        # A flat-map reads them (the main numbering for the ordered stage after it).
        rest.append(flat_stage(rng, 0.3))
        rest += [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
    elif u < 0.2:
        # An ordered stage reads them and numbers its outputs anew for the one after it.
        rest.append(stage(rng.choice(["ordered", "ordered", "ordered_filter_map"]), rng))
        rest += [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
    else:
        end = rng.choices(["one", "two", "beside"], [5, 2, 2])[0]
        if end == "one":
            reader = gen_reader(rng)
            if len(reader) > 1 and rng.random() < 0.3:
                reader[-1:] = [dict(kind="group", terminal=True,
                                    branches=[[pick(TAIL, rng), sink(False)] for _ in range(2)])]
            rest += reader
        elif end == "two":
            rest.append(dict(kind="group", terminal=True, branches=[
                [pick(MID, rng) for _ in range(rng.randint(0, 1))] + gen_reader(rng)
                for _ in range(2)]))
        else:
            branches = [gen_reader(rng), [pick(TAIL, rng) for _ in range(rng.randint(0, 2))]
                        + [sink(False)]]
            rng.shuffle(branches)
            rest.append(dict(kind="group", terminal=True, branches=branches))
    if rng.random() < 0.15:
        other = gen_branches(1, True, rng)
        branches = [rest, other] if rng.random() < 0.5 else [other, rest]
        rest = [dict(kind="group", terminal=True, branches=branches)]
    return pre + rest


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
# The families drawn by `gen_branches` or generators of their own (capacity 1 more often).
NEW_FAMILIES = ("branches", "streams", "lanes", "sources", "nested", "readers")
SOURCES_ROOT = -1  # `analyze`'s name for the sources' numbering (tags.rs' `SOURCES`)
FLAT = ("flat_map", "ordered_flat_map")


def is_marked(e):
    return e["kind"] in MARKED or (e["kind"] == "sink" and e["ordered"])


def analyze(sources, elems, strict=True, new=False):
    """The graph `sources => elems` as para-macros' `tags.rs` (`mark_tags`, `main_root`) sees it:
    the nodes flattened as `walk_chain` does; a flat-map before an ordered stage is ordered too
    (a root: it numbers its outputs anew, as an explicit `ordered flat_map` does); tags go
    through stages and non-flat-map ordered stages up to the ordered stages; a node's paths from
    a root are its predecessors' summed, per numbering (a root's: 1; the sources share theirs).
    Where several numberings meet (`main_root`): the main one is the sources' (or a flat-map's)
    and every other must be a flat-map root whose inputs carry the main one (a stream). At an
    ordered stage, it reads them as streams; at any other node they go on side by side, each in
    its lane, to the ordered stages after it, which read them as streams (para-macros since
    996b356). Refused as in the macro: numberings that meet otherwise (`conflict`). Not drawn
    (`conflict` too, stricter than the macro): an ordered stage that reads streams and whose
    outputs lead to another ordered stage, unless it is a flat-map (a root anyway): it numbers
    its outputs anew, which the macro accepts since 5e86e31 but no family draws yet.

    `strict`: the rule the old families and `streams` were drawn under, so that they stay the
    graphs the seed always gave: numberings meet only at an ordered stage whose outputs lead to
    no other ordered stage (the macro's rule before 996b356), and `main_root` as the macro had
    it before 0fda33c (the main numbering may not be a flat-map's). The `lanes`, `sources` and
    `nested` families use the macro's rule as it was at bdc4e6d (`strict=False`): `main_root`'s
    `stream_of` follows the numberings the flat-maps' inputs carry through any number of
    flat-maps, and (every branch a flat-map) the main numbering is the nearest ancestor of the
    first one's that fits; so flat-maps in a row in a stream branch (a chain: `(flat_map e =>
    flat_map f, g) => ordered h`, `e` its head), streams read inside streams (`(flat_map e =>
    (flat_map f, g2), g) => ordered h`) and every branch a chain are accepted. Refused as in the
    macro (`conflict`): two chains into one ordered stage with one head (`shared_head`), a chain
    with a flat-map that reads streams itself (`stream_reads_streams`), a flat-map that heads a
    chain for one ordered stage and passes another's end markers on for another. (`lanes` and
    `sources` were drawn under the rule before c9ec29a, without chains or streams in streams;
    under this one the default arguments give them the same graphs.)

    `new` (with `strict=False`; every family that is not strict uses it): the macro's rule
    since 1d4e48e and d0be219, which refuses no shape, only the limits. A chain whose flat-maps read streams
    themselves is accepted (its head ends each seq of its window, `ends_seqs`); an ordered stage
    that reads streams and leads to another ordered stage numbers its outputs anew (tags.rs'
    `renumbers`: a root, whose outputs the next one reads as a stream); two chains into one
    ordered stage with one head whose own outputs do not reach it add that head as a stream of
    holes (`holes`, counted among the streams); only numberings that meet with no main one
    and a flat-map that heads a chain (ending its inputs' outputs, `marks_inputs`) for one
    ordered stage and passes another's end markers on for another stay refused, as in the
    macro, and the grammar seems to give neither.

    Returns a dict: `ordered`, `parts` (per node: paths from its main root to an ordered
    stage), `streams` (per ordered node: its streams, (flat-map, paths from it)), `conflict`
    (roots of numberings refused or not drawn), `meets` (nodes where numberings meet at all: the
    old families have none), `early` (nodes, not ordered stages, where they meet and go on in
    lanes to an ordered stage: the `lanes` family's), `succs`, `preds`, `elems` (per node: its
    element, None for a source), `sources`, `flat`, `root_in` (per node: the main numbering its
    inputs carry, `SOURCES` = -1 for the sources', a flat-map's node otherwise; None where none
    or refused), `chains` (per ordered node, per stream as in `streams`: the flat-maps of its
    chain, the stream's first, its head last), `holes` (per ordered node: its streams of holes),
    `renumbers` (per node: an ordered stage reading streams whose outputs number anew)."""
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
    SOURCES = SOURCES_ROOT
    renumbers = [False] * n

    def is_root(r):
        # tags.rs' `numbers`: an ordered flat-map, or (`new`) an ordered stage reading streams
        # whose outputs lead to another ordered stage.
        return r != SOURCES and ((ordered[r] and flat[r]) or renumbers[r])

    def main_root_strict(roots):
        if len(roots) == 1:
            return roots[0][0]
        mains = [root_in[r] if is_root(r) else r for r, _ in roots]
        mains = [SOURCES if m is None else m for m in mains]
        main = mains[0]
        fits = all(m == main and (r == main or is_root(r)) for (r, _), m in zip(roots, mains))
        return main if fits else None

    def main_root(roots):
        """tags.rs' `main_root`: the one numbering, or the first of them whose streams all the
        others are, or (every branch a flat-map) the numbering the first one's inputs carry."""
        if not roots:
            return None
        if strict:
            return main_root_strict(roots)
        if len(roots) == 1:
            return roots[0][0]

        def up(r):
            return SOURCES if root_in[r] is None else root_in[r]

        def stream_of(r, main):
            # Through any number of flat-maps (a chain, or a stream read inside another's).
            while r != SOURCES and is_root(r):
                if up(r) == main:
                    return True
                r = up(r)
            return False

        def fits(main):
            return all(r == main or stream_of(r, main) for r, _ in roots)

        among = next((r for r, _ in roots if fits(r)), None)
        if among is not None:
            return among
        # Every branch a flat-map: the nearest numbering the first one's inputs come from (among
        # its ancestors) that fits.
        r = roots[0][0]
        while r != SOURCES and is_root(r):
            r = up(r)
            if fits(r):
                return r
        return None

    root_in = [None] * n
    # Per node: per numbering its outputs carry (the main one first, then the streams going on
    # in their lanes), [root, paths from it].
    paths_out = [[] for _ in range(n)]
    parts, streams, conflict, meets = [0] * n, [[] for _ in range(n)], set(), set()
    early, chains, holes = set(), [[] for _ in range(n)], [[] for _ in range(n)]
    heads_for, forwards_for = set(), set()  # tags.rs' `marks_inputs` and `forwards`
    for i in range(n):
        if i < sources:
            if tagged_out[i]:
                paths_out[i] = [[SOURCES, 1]]
            continue
        roots = []  # [root, paths from it], in the order of the predecessors
        for p in preds[i]:
            for r, paths in paths_out[p]:
                paths = 0 if 0 < p < sources else paths
                for entry in roots:
                    if entry[0] == r:
                        entry[1] += paths
                        break
                else:
                    roots.append([r, paths])
        main = main_root(roots)
        if len(roots) > 1:
            meets.add(i)
            if main is None:
                conflict.update(r for r, _ in roots if r != SOURCES)
            elif strict and not (ordered[i] and not tagged_out[i]):
                conflict.update(r for r, _ in roots if r != SOURCES)
            elif not ordered[i] and tagged_out[i]:
                early.add(i)
        if main is None:
            continue
        root_in[i] = main
        paths = next((p for r, p in roots if r == main), 0)
        if ordered[i]:
            parts[i] = paths
            streams[i] = [(r, p) for r, p in roots if r != main]

            def chain_of(f, roots_here):
                # Its chain: the flat-maps before it in its branch whose outputs reach here
                # only through it, up to the one (the head) whose inputs carry the main
                # numbering or another stream.
                chain = [f]
                while root_in[chain[-1]] not in (None, main, SOURCES) \
                        and root_in[chain[-1]] not in roots_here:
                    chain.append(root_in[chain[-1]])
                return chain

            while new:
                # tags.rs: a head shared by two chains, whose own outputs do not reach here, is
                # read as a stream of holes inside which its chains are read.
                roots_here = [r for r, _ in streams[i]]
                heads = [chain_of(f, roots_here)[-1] for f in roots_here]
                shared = next((j for j in range(1, len(heads)) if heads[j] in heads[:j]), None)
                if shared is None:
                    break
                streams[i].append((heads[shared], 1))
                holes[i].append(heads[shared])
            streams[i].sort()
            roots_here, heads = [r for r, _ in streams[i]], []
            for f, _ in streams[i]:
                chain = chain_of(f, roots_here)
                chains[i].append(chain)
                if new:
                    forwards_for.update(chain[:-1])
                    if not streams[chain[-1]]:
                        heads_for.add(chain[-1])  # `marks_inputs`
                    continue
                if not strict:
                    if chain[-1] in heads:
                        conflict.add(f)  # `shared_head`: refused
                    if any(streams[c] for c in chain):
                        conflict.add(f)  # `stream_reads_streams`: refused
                heads.append(chain[-1])
                heads_for.add(chain[-1])
                forwards_for.update(chain[:-1])
        if not tagged_out[i]:
            continue
        if is_root(i):
            paths_out[i] = [[i, 1]]
        elif new and ordered[i] and streams[i]:
            # It numbers its outputs anew (tags.rs' `renumbers`).
            renumbers[i] = True
            paths_out[i] = [[i, 1]]
        elif ordered[i] and streams[i]:
            # Reads streams and leads to another ordered stage: it would number its outputs
            # anew (the macro's `renumbers`). Not drawn yet.
            conflict.update(r for r, _ in streams[i])
            paths_out[i] = [[i, 1]]
        else:
            paths_out[i] = [[main, paths]] + [[r, p] for r, p in roots if r != main]
    if not strict:
        # A flat-map that heads a chain for one ordered stage and passes another's end markers
        # on for another: refused.
        conflict.update(heads_for & forwards_for)
    a = dict(ordered=ordered, parts=parts, streams=streams, conflict=conflict, meets=meets,
             early=early, succs=succs, preds=preds, elems=elem_of, sources=sources, flat=flat,
             root_in=root_in, chains=chains, holes=holes, renumbers=renumbers)
    return a


def reaching(succs, o):
    """Per node: whether it is `o` or leads to it."""
    reach = [False] * len(succs)
    for i in reversed(range(len(succs))):
        reach[i] = i == o or any(reach[s] for s in succs[i])
    return reach


MAX_STREAMS = 8  # para-core's `MAX_STREAMS`: flat-map streams into one ordered stage


def acceptable(a, target=None):
    """Whether the macro accepts the graph `a` (from `analyze`), and it has shape `target`. The
    old families (any target but `stream`, `lanes` and `sources`) also keep numberings from
    meeting anywhere, as the macro required before streams, so that their graphs stay the ones
    the seed always gave. A `lanes` graph (target `lanes: <shape>`) must have numberings meet
    before an ordered stage (`early`), and the shape of `lane_shapes` it names. A `sources`
    graph (target `sources: <shape>`) must have the shape of `source_shapes` it names, a
    `nested` one (target `nested: <shape>`) the shape of `nested_shapes` it names; only they
    may have several streams into one ordered stage with two sources."""
    ok = not a["conflict"] and max(a["parts"]) <= MAX_PATHS
    ok = ok and all(len(s) <= MAX_STREAMS and all(p <= MAX_PATHS for _, p in s)
                    for s in a["streams"])
    if target is not None and target.startswith("sources: "):
        return ok and target[len("sources: "):] in source_shapes(a)
    if target is not None and target.startswith("nested: "):
        return ok and target[len("nested: "):] in nested_shapes(a)
    if target is not None and target.startswith("readers: "):
        return ok and target[len("readers: "):] in reader_shapes(a)
    # With two sources, one stream per ordered stage: the macro refused more before 240d622
    # (two flat-maps could take the sources in different orders; the hang graph_41 and
    # graph_43 found), and the other families keep that rule, so that a graph redrawn because
    # of it stays the one the seed gave.
    ok = ok and (a["sources"] == 1 or all(len(s) <= 1 for s in a["streams"]))
    if target is not None and target.startswith("lanes: "):
        return ok and bool(a["early"]) and target[len("lanes: "):] in lane_shapes(a)
    if target != "stream":
        ok = ok and not a["meets"]
    return ok and (target is None or target in shapes(a))


def lane_readers(a):
    """The ordered stages of `a` (from `analyze`) that read, as a stream, a flat-map's outputs
    that met other branches before them (at a node of `early`), each with those flat-maps."""
    succs, readers = a["succs"], {}
    for e in a["early"]:
        seen, todo = set(), list(succs[e])
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            if a["ordered"][i]:
                mine = {f for f, _ in a["streams"][i]} & lane_roots(a, e)
                if mine:
                    readers.setdefault(i, set()).update(mine)
                continue  # an ordered stage reading streams ends the lanes
            todo.extend(succs[i])
    return readers


def lane_roots(a, e):
    """The stream flat-maps whose outputs node `e` (of `early`) carries beside the main
    numbering: those upstream of it, running in order, whose outputs reach it through no
    other flat-map (transparent ordered stages pass them on)."""
    preds, found, todo, seen = a["preds"], set(), list(a["preds"][e]), set()
    while todo:
        i = todo.pop()
        if i in seen or i < a["sources"]:
            continue
        seen.add(i)
        if a["ordered"][i] and a["flat"][i]:
            found.add(i)
        elif not a["flat"][i]:
            todo.extend(preds[i])
    return found


def lane_shapes(a):
    """What the lanes of `a` (from `analyze`) look like, for the tally and the doc comments."""
    succs, preds, elems, early = a["succs"], a["preds"], a["elems"], a["early"]
    found = set()
    firsts = [i for i in sorted(early) if not any(p in early for p in preds[i])]
    for i in firsts:
        kind = elems[i]["kind"]
        found.add("meet first at " + ("a `try` stage" if kind == "fault" else
                                      "a `map`" if kind == "map" else f"a `{kind}`"))
    if len(firsts) > 1:
        found.add("meet in the branches of a fan-out")
    if any(len(succs[i]) > 1 and any(s in early for s in succs[i]) for i in early):
        found.add("fan-out and merge after the meeting")
    if any(len(succs[i]) > 1 and not all(s in early for s in succs[i]) for i in early):
        found.add("fan-out to ordered stages after the meeting")
    readers = lane_readers(a)
    for o, fs in readers.items():
        kind = elems[o]["kind"]
        found.add("read at " + ("an ordered sink" if kind == "sink" else
                                "`" + kind.replace("ordered_", "ordered ") + "`"))
        seen, todo = set(), list(succs[o])
        while todo:
            i = todo.pop()
            if i not in seen:
                seen.add(i)
                todo.extend(succs[i])
        if a["flat"][o] and any(a["ordered"][i] for i in seen):
            found.add("read by a flat-map before another ordered stage")
        if len(a["streams"][o]) > 1:
            found.add("several streams into one ordered stage")
        if any(p > 1 for f, p in a["streams"][o] if f in fs):
            found.add("several paths from the flat-map to the ordered stage")
    lanes = [f for fs in readers.values() for f in fs]
    if len(lanes) > len(set(lanes)):
        found.add("one lane read by two ordered stages")
    if len(set(lanes)) > 1:
        found.add("several lanes")
    for f in set(lanes):
        if elems[f]["kind"] == "ordered_flat_map":
            found.add("explicit ordered flat_map in a branch")
        seen, todo = set(), list(succs[f])
        while todo:
            i = todo.pop()
            if i in seen or i in a["meets"]:
                continue
            seen.add(i)
            if a["ordered"][i] and elems[i]["kind"] in ("ordered", "ordered_filter_map"):
                found.add("transparent ordered stage in the flat-map's branch")
            todo.extend(succs[i])
    return found


def source_shapes(a):
    """What `a` (from `analyze`) has of the `sources` family's shapes (none with one source): an
    ordered stage that reads several streams in the sources' numbering (each flat-map fills
    them per source), or one that reads streams in the numbering of a flat-map before their
    group (on the chain: one window, in that flat-map's order)."""
    succs, elems, streams, root_in = a["succs"], a["elems"], a["streams"], a["root_in"]
    n, found, per_source = len(succs), set(), set()
    if a["sources"] < 2:
        return found

    def after(o):
        seen, todo = set(), list(succs[o])
        while todo:
            i = todo.pop()
            if i not in seen:
                seen.add(i)
                todo.extend(succs[i])
        return seen

    readers = lane_readers(a)
    for o in range(n):
        if not streams[o]:
            continue
        kind = elems[o]["kind"]
        what = "an ordered sink" if kind == "sink" else \
            "`" + kind.replace("ordered_", "ordered ") + "`"
        if root_in[o] == SOURCES_ROOT and len(streams[o]) > 1:
            per_source.update(f for f, _ in streams[o])
            found.add("two streams into one ordered stage" if len(streams[o]) == 2 else
                      "three streams into one ordered stage" if len(streams[o]) == 3 else
                      "four or more streams into one ordered stage")
            found.add("several streams into " + what)
            if a["parts"][o] == 0:
                found.add("every branch a flat-map")
            if len(readers.get(o, ())) > 1:
                found.add("several lanes into one ordered stage")
            if a["flat"][o] and any(a["ordered"][i] for i in after(o)):
                found.add("several streams into a flat-map before another ordered stage")
        elif root_in[o] not in (SOURCES_ROOT, None):
            found.add("flat-map on the chain before a stream group")
            if len(streams[o]) > 1:
                found.add("flat-map on the chain before several streams")
            if o in readers:
                found.add("flat-map on the chain before lanes")
            if a["parts"][o] == 0:
                found.add("flat-map on the chain, every branch a flat-map")
    for f in per_source:
        if sum(any(r == f for r, _ in streams[o]) for o in range(n)) > 1:
            found.add("a per-source stream read by two ordered stages")
        seen, todo = set(), list(succs[f])
        while todo:
            i = todo.pop()
            if i in seen or i in a["meets"]:
                continue
            seen.add(i)
            if a["ordered"][i] and elems[i]["kind"] in ("ordered", "ordered_filter_map"):
                found.add("transparent ordered stage in a per-source flat-map's branch")
            todo.extend(succs[i])
    return found


def nested_shapes(a):
    """What `a` (from `analyze`) has of the `nested` family's shapes: chains of flat-maps in a
    row feeding a stream (and what stands between their flat-maps), streams read inside
    others', every branch a chain, every branch a flat-map under a flat-map on the chain
    (whose numbering is the main one), several such streams with two sources (filled per
    source), and those streams meeting other branches before the ordered stage (lanes)."""
    succs, preds, elems, streams, root_in = a["succs"], a["preds"], a["elems"], a["streams"], \
        a["root_in"]
    n, found = len(succs), set()

    def between(f, o):
        """The nodes on a path from `f` to `o`, both left out."""
        fwd, todo = set(), list(succs[f])
        while todo:
            i = todo.pop()
            if i not in fwd and i <= o:
                fwd.add(i)
                todo.extend(succs[i])
        back, todo = set(), list(preds[o])
        while todo:
            i = todo.pop()
            if i not in back and i >= f:
                back.add(i)
                todo.extend(preds[i])
        return (fwd & back) - {f, o}

    readers = lane_readers(a)
    for o in range(n):
        if not streams[o]:
            continue
        roots = [f for f, _ in streams[o]]
        chains = a["chains"][o]
        long = [c for c in chains if len(c) > 1]
        inside = [c for c in chains if root_in[c[-1]] in roots]
        for c in long:
            found.add("chain of two flat-maps in a stream branch" if len(c) == 2 else
                      "chain of three flat-maps in a stream branch" if len(c) == 3 else
                      "chain of four or more flat-maps in a stream branch")
            for later, first in zip(c, c[1:]):
                kinds = {elems[i]["kind"] for i in between(first, later)}
                if kinds & {"ordered", "ordered_filter_map"}:
                    found.add("transparent ordered stage between the flat-maps of a chain")
                if kinds & {"filter", "filter_map", "ordered_filter_map"}:
                    found.add("filter between the flat-maps of a chain")
                if a["parts"][later] > 1:
                    found.add("fan-out and merge between the flat-maps of a chain")
            if any(elems[f]["kind"] == "ordered_flat_map" for f in c):
                found.add("explicit ordered flat_map in a chain")
        for c in inside:
            found.add("a stream read inside another")
            if len(c) > 1:
                found.add("a chain inside a stream read inside another")
        if not long and not inside:
            continue
        if a["parts"][o] == 0 and len(chains) > 1 and all(len(c) > 1 for c in chains):
            found.add("every branch a chain")
        if root_in[o] not in (SOURCES_ROOT, None) and a["parts"][o] == 0 and len(chains) > 1:
            found.add("chains under a flat-map on the chain, every branch a flat-map")
        if a["sources"] == 2 and len(chains) > 1 and root_in[o] == SOURCES_ROOT:
            if long:
                found.add("chains, several streams with two sources")
            if inside:
                found.add("a stream read inside another, several streams with two sources")
        lanes = readers.get(o, set())
        if any(c[0] in lanes for c in long):
            found.add("a chain meeting before the ordered stage")
        if any(c[0] in lanes for c in inside):
            found.add("a stream inside another meeting before the ordered stage")
        kind = elems[o]["kind"]
        found.add("read at " + ("an ordered sink" if kind == "sink" else
                                "`" + kind.replace("ordered_", "ordered ") + "`"))
        if a["flat"][o]:
            seen, todo = set(), list(succs[o])
            while todo:
                i = todo.pop()
                if i not in seen:
                    seen.add(i)
                    todo.extend(succs[i])
            if any(a["ordered"][i] for i in seen):
                found.add("read by a flat-map before another ordered stage")
    return found


def between_nodes(a, f, o):
    """The nodes of `a` (from `analyze`) on a path from `f` to `o`, both left out."""
    succs, preds = a["succs"], a["preds"]
    fwd, todo = set(), list(succs[f])
    while todo:
        i = todo.pop()
        if i not in fwd and i <= o:
            fwd.add(i)
            todo.extend(succs[i])
    back, todo = set(), list(preds[o])
    while todo:
        i = todo.pop()
        if i not in back and i >= f:
            back.add(i)
            todo.extend(preds[i])
    return (fwd & back) - {f, o}


def reader_shapes(a):
    """What `a` (from `analyze(new=True)`) has of the `readers` family's shapes: streams filled
    by a stage that reads streams itself (of which kind, every input of it a stream, after a
    flat-map in its branch, with two sources, meeting other branches before the ordered stage
    that reads them), streams of holes (flat-maps after one whose own outputs reach no ordered
    stage), and ordered stages reading streams that number their outputs anew."""
    elems, streams, early, n = a["elems"], a["streams"], a["early"], len(a["succs"])
    found = set()
    for o in range(n):
        for c, (f, _) in zip(a["chains"][o], streams[o]):
            for t in (x for x in c if streams[x]):
                found.add(f"a stream filled by {READER_KINDS[elems[t]['kind']]} reading streams")
                if a["parts"][t] == 0:
                    found.add("a stream filled by a reader whose every input is a stream")
                if t != c[-1]:
                    found.add("a stream reader after a flat-map in its branch")
                if a["sources"] == 2:
                    found.add("stream readers, two sources")
                if early & between_nodes(a, f, o):
                    found.add("a stream reader's outputs meeting before the ordered stage")
                if any(early & between_nodes(a, s, t) for s, _ in streams[t]):
                    found.add("streams meeting before the stream reader")
                if a["holes"][t]:
                    found.add("a stream reader reading holes")
                if len(streams[o]) > 1:
                    found.add("a stream reader's stream beside others")
        for e in a["holes"][o]:
            found.add("flat-maps after one that reaches no ordered stage")
            if a["sources"] == 2:
                found.add("flat-maps after one that reaches no ordered stage, two sources")
            if sum(c[-1] == e for c in a["chains"][o]) > 2:
                found.add("three flat-maps after one that reaches no ordered stage")
            if any(len(c) > 2 and c[-1] == e for c in a["chains"][o]):
                found.add("a chain after one that reaches no ordered stage")
            if early & between_nodes(a, e, o):
                found.add("flat-maps after one that reaches no ordered stage, meeting early")
        if any(p == 0 for _, p in streams[o]):
            found.add("a stream with no paths of its own")
    for i in range(n):
        if a["renumbers"][i] and not any(i in c for cs in a["chains"] for c in cs):
            found.add("an ordered stage reading streams before another ordered stage")
    return found


def shapes(a):
    """The shapes `a` (from `analyze`) has, of those ordered stages in branches give:
    `beside` (a fan-out with a branch to an ordered stage and a branch to none), `siblings`
    (two ordered stages, neither after the other), `in_branch` (a non-flat-map ordered middle
    stage with another ordered stage after it that items also reach around it), `stream` (an
    ordered stage that reads a flat-map's outputs from a fan-out branch as a stream)."""
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
    if any(a["streams"]):
        found.add("stream")
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


def stream_shapes(a):
    """What the streams of `a` (from `analyze`) look like, for the tally and the doc comments."""
    succs, preds, elems, n = a["succs"], a["preds"], a["elems"], len(a["succs"])
    found = set()

    def between(f, o):
        """The nodes on a path from `f` to `o`, both left out."""
        fwd, todo = set(), list(succs[f])
        while todo:
            i = todo.pop()
            if i not in fwd and i <= o:
                fwd.add(i)
                todo.extend(succs[i])
        back, todo = set(), list(preds[o])
        while todo:
            i = todo.pop()
            if i not in back and i >= f:
                back.add(i)
                todo.extend(preds[i])
        return (fwd & back) - {f, o}

    for o in range(n):
        if not a["streams"][o]:
            continue
        kind = elems[o]["kind"]
        found.add("meets at " + ("an ordered sink" if kind == "sink" else
                                 "`" + kind.replace("ordered_", "ordered ") + "`"))
        if len(a["streams"][o]) > 1:
            found.add("several streams into one ordered stage")
        if a["parts"][o] == 0:
            found.add("every branch a flat-map")
        for f, paths in a["streams"][o]:
            if elems[f]["kind"] == "ordered_flat_map":
                found.add("explicit ordered flat_map")
            if a["parts"][f] > 1:
                found.add("several paths into the flat-map")
            if paths > 1:
                found.add("fan-out after the flat-map")
            kinds = {elems[i]["kind"] for i in between(f, o)}
            if kinds & {"ordered", "ordered_filter_map"}:
                found.add("ordered stage after the flat-map in its branch")
            if kinds & {"filter", "filter_map", "ordered_filter_map"}:
                found.add("filter after the flat-map")
            if {elems[p]["kind"] for p in preds[f] if elems[p]} & {"filter", "filter_map",
                                                                    "ordered_filter_map"}:
                found.add("filter right before the flat-map")
        after = [False] * n
        todo = list(succs[o])
        while todo:
            i = todo.pop()
            if not after[i]:
                after[i] = True
                todo.extend(succs[i])
        if any(after):
            found.add("stages after the meeting ordered stage")
        if any(a["ordered"][i] and not after[i] and i != o and elems[i]["kind"] == "sink"
               for i in range(a["sources"], n)):
            found.add("another ordered sink beside")
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


def draw(family, rng, ordered_flat, length, want=None):
    """A chain of `family` with its fault stage and its sinks (the whole graph after the
    sources and the split source's first map); a `sources` or `nested` one drawn toward shape
    `want`."""
    if family in NEW_FAMILIES:
        if family == "branches":
            chain = gen_branches(0, True, rng)
        elif family == "sources":
            chain = gen_sources(rng, want)
        elif family == "nested":
            chain = gen_nested(rng, want)
        elif family == "readers":
            chain = gen_readers(rng, want)
        else:
            chain = gen_streams(rng) if family == "streams" else gen_lanes(rng)
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


TOTAL = COUNT + STREAMS + LANES + SOURCE_GRAPHS + NESTED + READERS
out = [
    "// @generated by scripts/gen-random-graphs.py — do not edit; regenerate instead.",
    f"// seed {SEED}, {TOTAL} graphs ({STREAMS} of the `streams` family, {LANES} of the `lanes` "
    f"family, {SOURCE_GRAPHS} of the `sources` family, {NESTED} of the `nested` family, "
    f"{READERS} of the `readers` family).",
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
for g in range(TOTAL):
    if g < COUNT:
        grng, redraw = rng, f"{SEED}/{g}"
        u = grng.random()
        family = "branches" if u < 0.5 else "ordered" if u < 0.75 else "unordered"
    elif g < COUNT + STREAMS:
        # The `streams` family: from a generator of their own, so the others stay unchanged.
        grng, redraw = random.Random(f"{SEED}/stream/{g}"), f"{SEED}/stream/{g}"
        family = "streams"
    elif g < COUNT + STREAMS + LANES:
        # The `lanes` family: likewise.
        grng, redraw = random.Random(f"{SEED}/lanes/{g}"), f"{SEED}/lanes/{g}"
        family = "lanes"
    elif g < COUNT + STREAMS + LANES + SOURCE_GRAPHS:
        # The `sources` family: likewise.
        grng, redraw = random.Random(f"{SEED}/sources/{g}"), f"{SEED}/sources/{g}"
        family = "sources"
    elif g < COUNT + STREAMS + LANES + SOURCE_GRAPHS + NESTED:
        # The `nested` family: likewise.
        grng, redraw = random.Random(f"{SEED}/nested/{g}"), f"{SEED}/nested/{g}"
        family = "nested"
    else:
        # The `readers` family: likewise.
        grng, redraw = random.Random(f"{SEED}/readers/{g}"), f"{SEED}/readers/{g}"
        family = "readers"
    length = grng.randint(1, 4)
    capacity = 1 if family in NEW_FAMILIES and grng.random() < 0.3 else grng.randint(1, 8)
    split = grng.random() < 0.5
    two_sources = grng.random() < (0.5 if family in ("branches", "streams", "lanes") else 0.25)
    want = None
    if family == "lanes":
        wanted, several = LANE_TARGETS[(g - COUNT - STREAMS) % len(LANE_TARGETS)]
        two_sources = two_sources and not several
    elif family == "sources":
        want = SOURCE_TARGETS[(g - COUNT - STREAMS - LANES) % len(SOURCE_TARGETS)]
        two_sources = True
    elif family == "nested":
        want = NESTED_TARGETS[(g - COUNT - STREAMS - LANES - SOURCE_GRAPHS)
                              % len(NESTED_TARGETS)]
        two_sources = "two sources" in want or two_sources
    elif family == "readers":
        want = READER_TARGETS[(g - COUNT - STREAMS - LANES - SOURCE_GRAPHS - NESTED)
                              % len(READER_TARGETS)]
        two_sources = "two sources" in want or two_sources
    ordered_flat = family == "ordered" and grng.random() < 0.4
    # A `branches` graph is drawn until it has this shape (see `shapes`); a `stream` one until
    # an ordered stage reads a stream; a `lanes` one until numberings meet before one.
    target = grng.choice(["beside", "siblings", "in_branch"]) if family == "branches" \
        else "stream" if family == "streams" else f"lanes: {wanted}" if family == "lanes" \
        else f"sources: {want}" if family == "sources" \
        else f"nested: {want}" if family == "nested" \
        else f"readers: {want}" if family == "readers" else None
    # The old families and `streams` under the rule they were drawn under (see `analyze`).
    strict = family not in ("lanes", "sources", "nested", "readers")
    sources = 2 if two_sources else 1
    first = [node("map")] if split else []  # the split source's `|v| counters.item(v)`
    chain = draw(family, grng, ordered_flat, length, want)
    attempt = 0
    while not acceptable(analyze(sources, first + chain, strict, not strict), target):
        # Too many paths to an ordered stage, a refused flat-map, or not the shape wanted: draw
        # this chain again from its own generator, so that the main one (and every later graph)
        # is unchanged.
        attempt += 1
        assert attempt <= 1000, f"graph_{g}: no acceptable chain"
        chain = draw(family, random.Random(f"{redraw}/{attempt}"), ordered_flat, length, want)
    if attempt:
        redrawn.append((g, attempt))
    a = analyze(sources, first + chain, strict, not strict)
    list(walk_elems(chain))  # marks `in_group`
    laned = set()
    if family == "lanes":
        # Numberings meet before an ordered stage: at a node that is no ordered stage, whose
        # outputs carry a flat-map's lane on to an ordered stage that reads it as a stream.
        assert a["early"] and lane_readers(a), \
            f"graph_{g}: no meeting before an ordered stage:\n{render_chain(chain, '')}"
        assert all(not a["ordered"][i] and not a["flat"][i] for i in a["early"])
        laned = lane_shapes(a)
        for s in laned:
            tally.setdefault("lanes: " + s, []).append(g)
        if two_sources:
            tally.setdefault("lanes: two sources", []).append(g)
        if capacity == 1:
            tally.setdefault("lanes: capacity 1", []).append(g)
    sourced = set()
    if family == "sources":
        # Two sources, and an ordered stage that reads several streams in the sources'
        # numbering (filled per source), or streams in a chain flat-map's numbering.
        sourced = source_shapes(a)
        assert two_sources and want in sourced, \
            f"graph_{g}: not `{want}`:\n{render_chain(chain, '')}"
        assert any((len(st) > 1 and a["root_in"][o] == SOURCES_ROOT)
                   or (st and a["root_in"][o] not in (SOURCES_ROOT, None))
                   for o, st in enumerate(a["streams"])), \
            f"graph_{g}: no new shape:\n{render_chain(chain, '')}"
        if a["early"]:
            laned = lane_shapes(a)
        for s in sourced:
            tally.setdefault("sources: " + s, []).append(g)
        if split:
            tally.setdefault("sources: split sources", []).append(g)
        if capacity == 1:
            tally.setdefault("sources: capacity 1", []).append(g)
    nested = set()
    if family == "nested":
        # A chain of two or more flat-maps in a row feeding a stream, or a stream read inside
        # another's, and the shape wanted.
        nested = nested_shapes(a)
        assert want in nested and any(
            len(c) > 1 or a["root_in"][c[-1]] in [f for f, _ in a["streams"][o]]
            for o, cs in enumerate(a["chains"]) for c in cs), \
            f"graph_{g}: not `{want}`:\n{render_chain(chain, '')}"
        if a["early"]:
            laned = lane_shapes(a)
        sourced = source_shapes(a)
        for s in nested:
            tally.setdefault("nested: " + s, []).append(g)
        if two_sources:
            tally.setdefault("nested: two sources", []).append(g)
        if split:
            tally.setdefault("nested: split sources", []).append(g)
        if capacity == 1:
            tally.setdefault("nested: capacity 1", []).append(g)
    read = set()
    if family == "readers":
        # A stream filled by a stage that reads streams itself, or a stream of holes, and the
        # shape wanted.
        read = reader_shapes(a)
        assert want in read and any(
            a["holes"][o] or any(a["streams"][x] for c in a["chains"][o] for x in c)
            for o in range(len(a["succs"]))), \
            f"graph_{g}: not `{want}`:\n{render_chain(chain, '')}"
        assert ("two sources" not in want) or two_sources
        if a["early"]:
            laned = lane_shapes(a)
        nested = nested_shapes(a)
        for s in read:
            tally.setdefault("readers: " + s, []).append(g)
        if two_sources:
            tally.setdefault("readers: two sources", []).append(g)
        if split:
            tally.setdefault("readers: split sources", []).append(g)
        if capacity == 1:
            tally.setdefault("readers: capacity 1", []).append(g)
    most = max(most, *a["parts"], *(p for st in a["streams"] for _, p in st))
    found = shapes(a)
    streamed = stream_shapes(a)
    for s in streamed:
        tally.setdefault("stream: " + s, []).append(g)
    if "stream" in found and two_sources:
        tally.setdefault("stream: two sources", []).append(g)
    if "stream" in found and capacity == 1:
        tally.setdefault("stream: capacity 1", []).append(g)
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
    if streamed:
        desc.append("stream: " + ", ".join(sorted(streamed)))
    if laned:
        desc.append("lanes: " + ", ".join(sorted(laned)))
    if sourced:
        desc.append("sources: " + ", ".join(sorted(sourced)))
    if nested:
        desc.append("nested: " + ", ".join(sorted(nested)))
    if read:
        desc.append("readers: " + ", ".join(sorted(read)))
    if g in KNOWN_FAILURES:
        tally.setdefault("KNOWN FAILURES (left out of GRAPHS)", []).append(g)
        desc.append("KNOWN FAILURE, left out of GRAPHS: " + KNOWN_FAILURES[g])
    out.append(f"/// graph_{g}: {'; '.join(desc)}.")
    # A known failure is left out of `GRAPHS`: nothing calls it, but it must still compile.
    unused = ["#[allow(dead_code)]"] if g in KNOWN_FAILURES else []
    out.extend(unused)
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
    out.extend(unused)
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
open("tests/tests/e2e/random_graphs/graphs.rs", "w").write("\n".join(out) + "\n")
print(f"wrote {TOTAL} graphs; at most {most} paths to an ordered stage (limit {MAX_PATHS})"
      + "".join(f"; graph_{g} redrawn ({a} attempt{'s' if a > 1 else ''})" for g, a in redrawn))
for what, gs in sorted(tally.items()):
    print(f"  {what}: {len(gs)} ({', '.join(map(str, gs))})")
