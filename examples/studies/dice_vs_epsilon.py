#!/usr/bin/env python3
"""Dice against the privacy budget: a Markdown table and an SVG plot from finished run directories.

    python3 examples/studies/dice_vs_epsilon.py --out docs/dice-vs-epsilon.svg \
        inf=RUN_FEDAVG,RUN_PFL_RESFIM 16=RUN_EPS16 4=RUN_EPS4 1=RUN_EPS1

Each run directory is one `resfim simulate` run (results.csv); every method found in all of them is one line
of the plot (test Dice averaged over the sites, in %, against ε at δ = 1e-5; ε = ∞ drawn at the right edge).
Standard library only, so it runs wherever the study ran.
"""
import argparse
import csv
import math
import os
import sys


def averages(run):
    """method -> average test Dice (%) of one run directory's results.csv."""
    path = os.path.join(run, "results.csv")
    out = {}
    with open(path, newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for r in rows:
            if r["site"] == "(average)" and r["metric"] == "dice":
                out[r["method"].split(":")[0]] = 100 * float(r["mean"])
    if not out:
        sys.exit(f"{path}: no '(average)' Dice rows")
    return out


def svg(points, methods, width=480, height=300):
    """A line per method: x = log2 ε (∞ at the right), y = Dice."""
    finite = sorted({e for e in points if not math.isinf(e)})
    xs = {e: i for i, e in enumerate(finite)}
    if any(math.isinf(e) for e in points):
        xs[math.inf] = len(finite) + 0.6
    ys = [points[e][m] for e in points for m in methods]
    lo, hi = math.floor(min(ys) / 5) * 5, math.ceil(max(ys) / 5) * 5
    if hi == lo:
        hi = lo + 5
    left, right, top, bottom = 50, 60, 20, 40
    xmax = max(xs.values()) or 1
    px = lambda x: left + (width - left - right) * x / xmax
    py = lambda y: top + (height - top - bottom) * (hi - y) / (hi - lo)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>']
    for y in range(int(lo), int(hi) + 1, 5):
        s.append(f'<line x1="{left}" x2="{width - right}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        s.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y}</text>')
    for e, x in xs.items():
        label = "∞ (no DP)" if math.isinf(e) else f"{e:g}"
        s.append(f'<text x="{px(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{label}</text>')
    s.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">ε (δ = 1e-5)</text>')
    s.append(f'<text x="14" y="{(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 {(top + height - bottom) / 2})">test Dice (%)</text>')
    for i, m in enumerate(methods):
        c = colors[i % len(colors)]
        pts = [(px(xs[e]), py(points[e][m])) for e in sorted(xs)]
        s.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
        for x, y in pts:
            s.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>')
        s.append(f'<text x="{left + 8}" y="{top + 14 + 16 * i}" fill="{c}">{m}</text>')
    s.append("</svg>")
    return "\n".join(s) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="EPSILON=RUN_DIR[,RUN_DIR...] (EPSILON 'inf' for the runs without DP)")
    ap.add_argument("--out", help="write the SVG plot here")
    a = ap.parse_args()
    points = {}
    for arg in a.runs:
        eps, _, run = arg.partition("=")
        merged = {}
        for r in run.split(","):
            merged.update(averages(r))
        points[math.inf if eps in ("inf", "∞") else float(eps)] = merged
    methods = sorted(set.intersection(*(set(p) for p in points.values())))
    if not methods:
        sys.exit("no method is in every run")
    order = sorted(points, key=lambda e: -e)
    print("| method | " + " | ".join("ε = ∞ (no DP)" if math.isinf(e) else f"ε = {e:g}" for e in order) + " |")
    print("|---|" + "---:|" * len(order))
    for m in methods:
        print(f"| {m} | " + " | ".join(f"{points[e][m]:.2f}" for e in order) + " |")
    if a.out:
        with open(a.out, "w") as f:
            f.write(svg(points, methods))


if __name__ == "__main__":
    main()
