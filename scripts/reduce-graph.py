#!/usr/bin/env python3
"""Shrinks a `pipeline!` graph that hangs to a small one that still hangs.

Takes a pipeline's text (its sources and chain, as `pipeline!` reads them after the thread
count and options), or graph N of the random graphs file, and greedily tries smaller
candidates: a branch or a stage removed, a group of one branch inlined, a marker dropped
(`ordered`, `serial`, `parallel`, `priority`, `limit`), a stage made the identity. Each
candidate is written as the example `para-std/examples/hang.rs`, built, and run under
`timeout` (by default: 2 threads; the graph's capacity, 1 and 2; three item sets; 3 runs of
each, the configuration that hung last first); it is kept if it compiles and some run hangs.
The smallest graph is printed and written to `--out` as it shrinks.

The stages' closures are the random graphs' (`tests/tests/e2e/random_graphs/graphs.rs`): they
use a `Tracked` item, `Counters`, a `Fault` and output vectors `o0, o1, ...`, which the
example defines as plain stand-ins (an `i64` inside; no counting, no fault).

    scripts/reduce-graph.py --graph 52                # graph 52 of the random graphs file
    scripts/reduce-graph.py --text graph.txt --capacity 5
    scripts/reduce-graph.py --graph 52 --check        # only: does it hang as it is?

Only "hangs or not" matters, not the order of the outputs; a run that panics counts as not
hanging. The example is deleted at the end (`--keep-example` leaves the smallest graph there,
to run by hand: `target/debug/examples/hang THREADS CAPACITY_INDEX ITEM_SET`); never commit
it, and delete it before `cargo clippy --all-targets`. One reducer at a time: it owns the file.
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GRAPHS = os.path.join(ROOT, "tests/tests/e2e/random_graphs/graphs.rs")
EXAMPLE = os.path.join(ROOT, "para-std/examples/hang.rs")
MARKERS = ("ordered", "serial", "parallel", "filter_map", "filter", "flat_map", "try")
DROPPABLE = ("ordered", "serial", "parallel", "priority", "limit")

PRELUDE = """\
//! A graph under reduction by scripts/reduce-graph.py: do not commit.
#![allow(unused, clippy::all)]
use para_std::pipeline;

#[derive(Debug)]
struct Counters;
impl Counters {
    fn item(&'static self, value: i64) -> Tracked {
        Tracked { value, counters: self }
    }
}
#[derive(Debug)]
struct Tracked {
    value: i64,
    counters: &'static Counters,
}
impl Tracked {
    fn counters(&self) -> &'static Counters {
        self.counters
    }
    fn map(self, f: impl FnOnce(i64) -> i64) -> Tracked {
        self.counters.item(f(self.value))
    }
}
impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked { value: self.value, counters: self.counters }
    }
}
struct Fault;
impl Fault {
    fn check(&self, t: Tracked) -> Result<Tracked, i64> {
        Ok(t)
    }
}

fn items(set: usize) -> Vec<i64> {
    match set {
        0 => (-30..30).collect(),
        1 => {
            let mut x: u64 = 0x2545_f491_4f6c_dd1d;
            (0..400)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 80) as i64 - 40
                })
                .collect()
        }
        _ => (0..300).collect(),
    }
}
"""


# ---------------------------------------------------------------------------------------------
# The graph: a chain is a list of elements; an element is a stage (its text) or a group (a
# list of branches, each a chain). The top chain's first element is the sources.


class Group:
    def __init__(self, branches):
        self.branches = branches

    def copy(self):
        return Group([copy_chain(b) for b in self.branches])


def copy_chain(chain):
    return [e.copy() if isinstance(e, Group) else e for e in chain]


def split_top(text, sep):
    """Splits `text` at `sep` outside brackets."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return parts


def matching(text, i):
    depth = 0
    for j in range(i, len(text)):
        if text[j] in "([{":
            depth += 1
        elif text[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced brackets")


def parse_chain(text):
    chain = []
    for part in split_top(text, "=>"):
        part = part.strip()
        if part.startswith("(") and matching(part, 0) == len(part) - 1:
            branches = [b.strip() for b in split_top(part[1:-1], ",")]
            chain.append(Group([parse_chain(b) for b in branches if b]))
        else:
            chain.append(" ".join(part.split()))
    return chain


def render_chain(chain, indent="    "):
    out = []
    for e in chain:
        if isinstance(e, Group):
            inner = indent + "    "
            branches = [render_chain(b, inner) for b in e.branches]
            out.append("(\n" + inner + (",\n" + inner).join(branches) + ",\n" + indent + ")")
        else:
            out.append(e)
    return ("\n" + indent + "=> ").join(out)


# ---------------------------------------------------------------------------------------------
# Candidates: every smaller graph one step away, biggest steps first.


def paths(chain, prefix=()):
    """Every (path to a chain, index in it) with its element, depth first."""
    for i, e in enumerate(chain):
        yield prefix, i, e
        if isinstance(e, Group):
            for b, branch in enumerate(e.branches):
                yield from paths(branch, prefix + ((i, b),))


def chain_at(top, prefix):
    chain = top
    for i, b in prefix:
        chain = chain[i].branches[b]
    return chain


def stage_markers(stage):
    words = []
    rest = stage
    while True:
        m = re.match(r"(ordered|serial|parallel|filter_map|filter|flat_map|try|"
                     r"priority\(\d+\)|limit\(\d+\))\s+", rest)
        if not m:
            return words, rest
        words.append(m.group(1))
        rest = rest[m.end():]


def identity(stage):
    """The stage as the identity map, keeping `ordered`/`serial`/`parallel`; None if it is one."""
    words, closure = stage_markers(stage)
    if closure.startswith("|t: &Tracked|") or closure.startswith("|v: i64|"):
        return None
    keep = [w for w in words if w in ("ordered", "serial", "parallel")]
    new = " ".join(keep + ["|t: Tracked| t"])
    return None if new == stage else new


def candidates(top):
    # Remove a whole branch (inline a group left with one).
    for prefix, i, e in list(paths(top)):
        if isinstance(e, Group) and len(e.branches) > 1:
            for b in range(len(e.branches)):
                new = copy_chain(top)
                chain = chain_at(new, prefix)
                del chain[i].branches[b]
                if len(chain[i].branches) == 1:
                    chain[i:i + 1] = chain[i].branches[0]
                yield new
    # Remove an element (never the sources); a branch left empty goes too.
    for prefix, i, e in list(paths(top)):
        if not prefix and i == 0:
            continue
        new = copy_chain(top)
        chain = chain_at(new, prefix)
        del chain[i]
        if not chain:
            continue
        yield new
    # Inline a group of one branch.
    for prefix, i, e in list(paths(top)):
        if isinstance(e, Group) and len(e.branches) == 1:
            new = copy_chain(top)
            chain = chain_at(new, prefix)
            chain[i:i + 1] = chain[i].branches[0]
            yield new
    # Drop a marker; make a stage the identity.
    for prefix, i, e in list(paths(top)):
        if isinstance(e, Group) or (not prefix and i == 0):
            continue
        words, closure = stage_markers(e)
        for w in words:
            if w.split("(")[0] in DROPPABLE:
                new = copy_chain(top)
                rest = [x for x in words if x != w]
                chain_at(new, prefix)[i] = " ".join(rest + [closure])
                yield new
        ident = identity(e)
        if ident is not None:
            new = copy_chain(top)
            chain_at(new, prefix)[i] = ident
            yield new


# ---------------------------------------------------------------------------------------------
# Building and running a candidate.


def example_text(top, capacities):
    body = render_chain(top)
    outs = sorted(set(int(x) for x in re.findall(r"\bo(\d+)\b", body)))
    counts = sorted(set(int(x) for x in re.findall(r"\bn(\d+)\b", body)))
    decls = "".join(f"    let mut o{o}: Vec<i64> = Vec::new();\n" for o in outs)
    decls += "".join(f"    let mut n{o} = 0i64;\n" for o in counts)
    arms = "".join(f"        {k} => run::<{c}>(threads, &items),\n"
                   for k, c in enumerate(capacities))
    return (PRELUDE + f"""
fn run<const CAP: usize>(threads: usize, items: &[i64]) {{
    let counters: &'static Counters = &Counters;
    let fault = &Fault;
{decls}    let _ = pipeline!(threads, capacity = CAP,
    {body});
}}

fn main() {{
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (threads, cap, set) = (args[0], args[1], args[2]);
    let items = items(set);
    match cap {{
{arms}        _ => unreachable!(),
    }}
}}
""")


class Runner:
    def __init__(self, args):
        self.args = args
        self.capacities = sorted(set([args.capacity] + args.capacities))
        self.last_hang = None
        self.seen = {}
        self.builds = 0
        self.build_error = None

    def describe(self):
        threads, k, items = self.last_hang
        return f"{threads} threads, capacity {self.capacities[k]}, item set {items}"

    def configs(self):
        all_configs = [(t, k, s) for s in self.args.item_sets
                       for k in range(len(self.capacities)) for t in self.args.threads]
        if self.last_hang in all_configs:
            all_configs.remove(self.last_hang)
            all_configs.insert(0, self.last_hang)
        return all_configs

    def hangs(self, top):
        text = example_text(top, self.capacities)
        key = hashlib.sha1(text.encode()).hexdigest()
        if key in self.seen:
            return self.seen[key]
        with open(EXAMPLE, "w") as f:
            f.write(text)
        self.builds += 1
        build = subprocess.run(
            ["cargo", "build", "-q", "--profile", self.args.profile, "-p", "para-std",
             "--example", "hang"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.build_error = build.stderr if build.returncode != 0 else None
        if build.returncode != 0:
            if self.args.verbose:
                print(build.stderr[-2000:], file=sys.stderr)
            self.seen[key] = False
            return False
        profile_dir = "debug" if self.args.profile == "dev" else self.args.profile
        exe = os.path.join(ROOT, "target", profile_dir, "examples", "hang")
        result = False
        for config in self.configs():
            for _ in range(self.args.repeat):
                run = subprocess.run(
                    ["timeout", str(self.args.timeout), exe] + [str(x) for x in config],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if run.returncode == 124:
                    self.last_hang = config
                    result = True
                    break
            if result:
                break
        self.seen[key] = result
        return result


def load(args):
    if args.text:
        with open(args.text) as f:
            return f.read()
    with open(GRAPHS) as f:
        src = f.read()
    start = src.index(f"pub fn graph_{args.graph}(")
    m = re.compile(r"pipeline!\(threads, capacity = (\d+), ").search(src, start)
    if args.capacity is None:
        args.capacity = int(m.group(1))
    end = matching(src, m.start() + len("pipeline!"))
    return src[m.end():end]


def count(chain):
    return sum(1 + (sum(count(b) for b in e.branches) if isinstance(e, Group) else 0)
               for e in chain)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", type=int, help="graph N of the random graphs file")
    ap.add_argument("--text", help="a file with the pipeline's sources and chain")
    ap.add_argument("--capacity", type=int, help="the graph's own capacity")
    ap.add_argument("--capacities", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--threads", type=int, nargs="*", default=[2])
    ap.add_argument("--item-sets", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration")
    ap.add_argument("--timeout", type=int, default=20, help="seconds before a run hangs")
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--out", default=os.path.join(ROOT, "target/reduced-graph.txt"))
    ap.add_argument("--check", action="store_true", help="only report whether it hangs")
    ap.add_argument("--keep-example", action="store_true", help="leave hang.rs in place")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if (args.graph is None) == (args.text is None):
        ap.error("give --graph or --text")
    text = load(args)
    if args.capacity is None:
        args.capacity = 4
    top = parse_chain(text)
    try:
        reduce(args, top)
    finally:
        if not args.keep_example and os.path.exists(EXAMPLE):
            os.remove(EXAMPLE)


def reduce(args, top):
    runner = Runner(args)
    began = time.time()
    if not runner.hangs(top):
        if runner.build_error is not None:
            print(runner.build_error[-3000:], file=sys.stderr)
            print("it does not compile as it is", file=sys.stderr)
        else:
            print("it does not hang as it is", file=sys.stderr)
        raise SystemExit(1)
    print(f"hangs ({runner.describe()}), {count(top)} elements", file=sys.stderr)
    if args.check:
        return
    # After a success, go on from the same position among the new graph's candidates: the
    # ones before it failed already (most of them still would).
    progress = True
    while progress:
        progress = False
        at = 0
        while True:
            cands = list(candidates(top))
            if at >= len(cands):
                break
            if runner.hangs(cands[at]):
                top = cands[at]
                progress = True
                with open(args.out, "w") as f:
                    f.write(render_chain(top) + "\n")
                print(f"[{time.time() - began:.0f}s, {runner.builds} builds] kept, "
                      f"{count(top)} elements, hangs at {runner.describe()}", file=sys.stderr)
            else:
                at += 1
    if args.keep_example:
        runner.seen.clear()
        runner.hangs(top)
    print(f"last hang: {runner.describe()} (capacities {runner.capacities}, by index in the "
          f"example's arguments)", file=sys.stderr)
    print(render_chain(top))


if __name__ == "__main__":
    main()
