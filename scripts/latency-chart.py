#!/usr/bin/env python3
"""Draws the `latency` benchmark (stages that wait, 8 to 256 threads) as a table and an SVG.

Reads criterion's `latency/*/new/estimates.json` medians under CRITERION_DIR: `sequential` and
`para/T`, `rayon/T`, `channels/T`. The speed-up of an implementation at T threads is the
sequential median divided by its median; the ideal is T. Prints a markdown table; `--svg FILE`
writes a chart of speed-up against threads (both axes log2, the ideal as a diagonal);
`--readme FILE` replaces the text between `<!-- latency-table:start -->` and
`<!-- latency-table:end -->` in FILE.

Standard library only. Run by scripts/bench-table.sh, or by hand after
`cargo bench -p para-benches --bench latency`.
"""

import argparse
import json
import math
import os
import sys

IMPLEMENTATIONS = [("para", "#1f6fb4"), ("rayon", "#e07b00"), ("channels", "#2a9d3c")]
START, END = "<!-- latency-table:start -->", "<!-- latency-table:end -->"


def read_medians(criterion_dir):
    """{"sequential": ns, "para": {T: ns}, "rayon": {…}, "channels": {…}}."""
    group = os.path.join(criterion_dir, "latency")
    medians = {name: {} for name, _ in IMPLEMENTATIONS}
    for root, _dirs, files in os.walk(group):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(root, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(root, "estimates.json")) as f:
            median = json.load(f)["median"]["point_estimate"]
        name, value = bench["function_id"], bench.get("value_str")
        if name == "sequential":
            medians["sequential"] = median
        elif name in medians and value:
            medians[name][int(value)] = median
    if "sequential" not in medians:
        sys.exit(f"latency-chart: no latency results in {group}: run the benchmark first")
    return medians


def speedups(medians):
    """{implementation: {T: speed-up}}."""
    base = medians["sequential"]
    return {name: {t: base / ns for t, ns in medians[name].items()} for name, _ in IMPLEMENTATIONS}


def table(medians):
    ups = speedups(medians)
    threads = sorted({t for per in ups.values() for t in per})
    lines = [
        "| threads | " + " | ".join(name for name, _ in IMPLEMENTATIONS) + " |",
        "|---:|" + "---:|" * len(IMPLEMENTATIONS),
    ]
    for t in threads:
        cells = [f"{ups[name][t]:.2f}×" if t in ups[name] else "–" for name, _ in IMPLEMENTATIONS]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    seq_ms = medians["sequential"] / 1e6
    lines += ["", f"Speed-up over the sequential loop ({seq_ms:.0f} ms); the ideal is T."]
    return "\n".join(lines) + "\n"


def svg(medians):
    """A chart of speed-up against threads, log2 on both axes."""
    ups = speedups(medians)
    threads = sorted({t for per in ups.values() for t in per})
    lo, hi = math.log2(min(threads)), math.log2(max(threads))
    ylo = lo - 1  # an octave below the fewest threads: speed-ups just under T stay visible
    width, height, left, right, top, bottom = 560, 380, 64, 150, 24, 52
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(t):
        return left + (math.log2(t) - lo) / (hi - lo) * plot_w

    def y(v):
        v = min(max(v, 2**ylo), 2**hi)
        return top + plot_h - (math.log2(v) - ylo) / (hi - ylo) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for t in [2**ylo] + threads:  # grid, ticks, labels (speed-up ticks at the thread counts)
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}×</text>')
        out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{left + plot_w}" y2="{y(t):.1f}" '
                   'stroke="#ddd"/>')
        if t < 2**lo:
            continue
        out.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" y2="{top + plot_h}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{x(t):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{t}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
               'stroke="#444"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">'
               'threads (log scale)</text>')
    out.append(f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" '
               'text-anchor="middle">speed-up over sequential</text>')
    ideal = " ".join(f"{x(t):.1f},{y(t):.1f}" for t in threads)
    out.append(f'<polyline points="{ideal}" fill="none" stroke="#999" stroke-dasharray="5 4"/>')
    legend = [("ideal (T)", "#999", True)]
    for name, color in IMPLEMENTATIONS:
        points = sorted(ups[name].items())
        if not points:
            continue
        path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for t, v in points:
            out.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>')
        legend.append((name, color, False))
    for i, (name, color, dashed) in enumerate(legend):
        ly = top + 14 + 20 * i
        dash = ' stroke-dasharray="5 4"' if dashed else ' stroke-width="2"'
        out.append(f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 40}" '
                   f'y2="{ly}" stroke="{color}"{dash}/>')
        out.append(f'<text x="{left + plot_w + 46}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def replace_in_readme(path, text):
    with open(path) as f:
        readme = f.read()
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        sys.exit(f"latency-chart: {path} has no `{START}` … `{END}` markers")
    with open(path, "w") as f:
        f.write(readme[: start + len(START)] + "\n" + text + readme[end:])
    print(f"latency-chart: updated the table in {path}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion-dir", required=True)
    parser.add_argument("--svg", metavar="FILE")
    parser.add_argument("--readme", metavar="FILE")
    args = parser.parse_args()
    medians = read_medians(args.criterion_dir)
    text = table(medians)
    sys.stdout.write(text)
    if args.svg:
        with open(args.svg, "w") as f:
            f.write(svg(medians))
        print(f"latency-chart: wrote {args.svg}", file=sys.stderr)
    if args.readme:
        replace_in_readme(args.readme, text)


if __name__ == "__main__":
    main()
