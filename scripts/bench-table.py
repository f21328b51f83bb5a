#!/usr/bin/env python3
"""Prints one markdown table of the para-benches results criterion left in CRITERION_DIR.

Helper of scripts/bench-table.sh (which runs the benchmarks first): reads every
`<group>/**/new/benchmark.json` + `estimates.json` (the median point estimate), one row per
shape, one column per implementation, plus the para scaling and para-vs-alternatives ratios and
a header describing the machine. With `--readme FILE`, also replaces the text between
`<!-- bench-table:start -->` and `<!-- bench-table:end -->` in FILE (which must hold both).

Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

# Shapes in the order of the table; groups not listed here come after them, sorted.
SHAPES = ["tiny", "medium", "imbalanced", "diamond", "ordered", "compress"]
# para-only groups: each function becomes a row, its `para/T`-like values the para columns.
PARA_ONLY = ["startup", "split_source"]
# Groups with a table of their own: latency (scripts/latency-chart.py), and the reductions
# (benches/benches/reductions.rs, quoted in README.md's "Reductions").
ELSEWHERE = {"latency", "tiny_sum", "word_count"}
THREADS = ["1", "2"]
COLUMNS = ["sequential"] + [f"{imp}/{t}" for imp in ("channels", "rayon", "para") for t in THREADS]
IMPLEMENTATIONS = {"sequential", "channels", "rayon", "para"}
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


def read_results(criterion_dir):
    """{group: {column: (median ns, throughput dict or None)}}; column is `function[/value]`."""
    results = {}
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        try:
            with open(os.path.join(root, "benchmark.json")) as f:
                bench = json.load(f)
            with open(os.path.join(root, "estimates.json")) as f:
                median = json.load(f)["median"]["point_estimate"]
        except (OSError, ValueError, KeyError) as e:
            print(f"bench-table: skipping {root}: {e}", file=sys.stderr)
            continue
        column = bench["function_id"] or ""
        if bench.get("value_str"):
            column = f"{column}/{bench['value_str']}" if column else bench["value_str"]
        mtime = os.path.getmtime(os.path.join(root, "estimates.json"))
        results.setdefault(bench["group_id"], {})[column] = (median, bench.get("throughput"), mtime)
    return results


def rows(results):
    """[(row label, {column: (ns, throughput, mtime)})] in table order."""
    out = []
    known = set(SHAPES + PARA_ONLY) | ELSEWHERE
    for group in SHAPES + sorted(g for g in results if g not in known) + PARA_ONLY:
        if group not in results:
            continue
        cells = results[group]
        if group in PARA_ONLY or not any(c.split("/")[0] in IMPLEMENTATIONS for c in cells):
            # para-only benchmarks: `function/T` goes to the para/T column of row `group: function`.
            by_function = {}
            for column, value in cells.items():
                function, _, threads = column.rpartition("/")
                if function == "para":
                    function = ""
                by_function.setdefault(function, {})[f"para/{threads}"] = value
            for function in sorted(by_function):
                label = f"{group}: {function}" if function else group
                out.append((label, by_function[function]))
        else:
            out.append((group, cells))
    return out


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_throughput(ns, throughput):
    """Cost per element (elements) or MB/s (bytes), or None."""
    if not throughput:
        return None
    if "Elements" in throughput and throughput["Elements"]:
        return f"{ns / throughput['Elements']:.3g} ns"
    if "Bytes" in throughput and throughput["Bytes"]:
        return f"{throughput['Bytes'] / ns * 1e3:.3g} MB/s"
    return None


def fmt_input(throughput):
    if not throughput:
        return None
    if throughput.get("Elements"):
        return f"{throughput['Elements']:,} item-stages".replace(",", " ")
    if throughput.get("Bytes"):
        return f"{throughput['Bytes'] / 2**20:.3g} MiB"
    return None


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    lscpu = command("lscpu") or ""
    model = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
    model = model.group(1).strip() if model else platform.processor() or "unknown CPU"
    virt = re.search(r"^Hypervisor vendor:\s*(.+)$", lscpu, re.M)
    cores = os.cpu_count()
    rustc = command("rustc", "-V") or "rustc unknown"
    commit = command("git", "describe", "--always", "--dirty")
    return model, virt.group(1).strip() if virt else None, cores, rustc, commit


def table(results, load=None):
    body = rows(results)
    if not body:
        return None
    model, virt, cores, rustc, commit = machine()
    mtimes = [v[2] for _, cells in body for v in cells.values()]
    when = datetime.datetime.fromtimestamp(max(mtimes)).strftime("%Y-%m-%d %H:%M")
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    host = f"{model}{f' ({virt} guest)' if virt else ''}, {cores} cores"
    lines = [
        f"Machine: {host}; {rustc}; {platform.system()} {platform.release()}.  ",
        f"`cargo bench -p para-benches` results of {when} (table made {now}"
        + (f" at commit {commit})" if commit else ")")
        + ": medians from one run; each row's implementations measured back to back in one"
        + " process."
        + (f" Load average (1, 5, 15 min) before the run: {load}." if load else ""),
        "",
        "| shape | "
        + " | ".join(COLUMNS)
        + " | para 2T/1T speed-up | para/2 vs best alternative at 2T |",
        "|---|" + "---:|" * (len(COLUMNS) + 2),
    ]
    per_element = []
    inputs = []
    for label, cells in body:
        out = [label]
        for column in COLUMNS:
            out.append(fmt_time(cells[column][0]) if column in cells else "–")
        if "para/1" in cells and "para/2" in cells:
            out.append(f"{cells['para/1'][0] / cells['para/2'][0]:.2f}×")
        else:
            out.append("–")
        alternatives = [
            (cells[c][0], c.split("/")[0]) for c in ("channels/2", "rayon/2") if c in cells
        ]
        if "para/2" in cells and alternatives:
            best, name = min(alternatives)
            out.append(f"{cells['para/2'][0] / best:.2f} ({name})")
        else:
            out.append("–")
        lines.append("| " + " | ".join(out) + " |")
        if label in ("tiny", "compress"):
            values = [
                f"{c} {fmt_throughput(cells[c][0], cells[c][1])}"
                for c in COLUMNS
                if c in cells and fmt_throughput(cells[c][0], cells[c][1])
            ]
            what = "time per item per stage" if label == "tiny" else "throughput"
            if values:
                per_element.append(f"{label} {what}: " + ", ".join(values) + ".")
        if label in SHAPES:
            thr = next((v[1] for v in cells.values() if v[1]), None)
            if fmt_input(thr):
                inputs.append(f"{label} {fmt_input(thr)}")
    lines += [
        "",
        "Times are per run of the whole input. `channels/T`: T workers per parallel stage "
        "(plus a source thread; the sink on the caller); `rayon/T`: a pool of T threads; "
        "`para/T`: `pipeline!(T, …)`. Speed-up: para/1 time ÷ para/2 time. Last column: para/2 "
        "time ÷ the faster of channels/2 and rayon/2 (below 1: para is faster).",
    ]
    if per_element:
        lines += [""] + [f"- {line}" for line in per_element]
    if inputs:
        lines += ["", "Inputs (criterion throughput): " + ", ".join(inputs) + "."]
    return "\n".join(lines) + "\n"


def replace_in_readme(path, text):
    with open(path) as f:
        readme = f.read()
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < 0 or end < start:
        print(
            f"bench-table: {path} has no `{START}` … `{END}` markers: not updated",
            file=sys.stderr,
        )
        return False
    updated = readme[: start + len(START)] + "\n" + text + readme[end:]
    with open(path, "w") as f:
        f.write(updated)
    print(f"bench-table: updated the table in {path}", file=sys.stderr)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion-dir", required=True)
    parser.add_argument("--readme", metavar="FILE")
    parser.add_argument("--load", help="the load average before the run, for the header")
    args = parser.parse_args()
    if not os.path.isdir(args.criterion_dir):
        sys.exit(f"bench-table: no results in {args.criterion_dir}: run the benchmarks first")
    text = table(read_results(args.criterion_dir), args.load)
    if text is None:
        sys.exit(f"bench-table: no para-benches results in {args.criterion_dir}")
    sys.stdout.write(text)
    if args.readme and not replace_in_readme(args.readme, text):
        sys.exit(1)


if __name__ == "__main__":
    main()
