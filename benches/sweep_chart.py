#!/usr/bin/env python3
"""Draws the figures of `cargo bench --bench sweep` (target/sweep/sweep.csv) into
benches/sweep.png, and prints them as Markdown tables (times, cost per unit, and NumPy's
time over ours: > 1 means npy-serde is faster) for BENCHMARKS.md.

Usage: python benches/sweep_chart.py [target/sweep/sweep.csv] [benches/sweep.png]
Needs matplotlib (`pip install matplotlib`) for the chart; the tables need nothing.
"""
import csv
import sys
from collections import defaultdict


def load(path):
    rows = []
    with open(path) as f:
        for row in csv.DictReader(f):
            row["n"] = int(row["n"])
            row["seconds"] = float(row["seconds"])
            row["seconds_per_unit"] = float(row["seconds_per_unit"])
            rows.append(row)
    return rows


def human(n, unit):
    if unit == "byte":
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if n >= size:
                return f"{n / size:g} {name}"
        return f"{n} B"
    return f"{n:,}"


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def per_unit(value, unit):
    if unit == "byte":
        return f"{value * 1e9:.3f} ns/B"
    if unit == "member":
        return f"{value * 1e6:.2f} µs"
    return f"{value * 1e9:.2f} ns"


def tables(rows):
    by_case = defaultdict(lambda: defaultdict(dict))
    order = []
    for row in rows:
        if row["group"] == "rss":
            continue
        key = (row["group"], row["case"])
        if key not in by_case:
            order.append(key)
        by_case[key][row["n"]][row["library"]] = row
    out = []
    for key in order:
        sizes = by_case[key]
        libraries = []
        for n in sizes:
            for library in sizes[n]:
                if library not in libraries:
                    libraries.append(library)
        unit = next(iter(next(iter(sizes.values())).values()))["unit"]
        ours = libraries[0]
        others = libraries[1:]
        out.append(f"\n**{key[1]}** (per {unit}: cost of one {unit}; ratio: their time / {ours}'s)\n")
        header = ["n"] + [f"{lib}" for lib in libraries] + [f"{ours} per {unit}"]
        header += [f"{lib} / {ours}" for lib in others]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for n in sorted(sizes):
            cells = [human(n, unit)]
            for lib in libraries:
                row = sizes[n].get(lib)
                cells.append(fmt_time(row["seconds"]) if row else "–")
            base = sizes[n].get(ours)
            cells.append(per_unit(base["seconds_per_unit"], unit) if base else "–")
            for lib in others:
                row = sizes[n].get(lib)
                cells.append(f"{row['seconds'] / base['seconds']:.2f}" if row and base else "–")
            out.append("| " + " | ".join(cells) + " |")
    rss = [r for r in rows if r["group"] == "rss"]
    if rss:
        out.append("\n**peak RSS** of a fresh process saving or loading N bytes (target ≤ N + 64 MiB)\n")
        out.append("| N | operation | library | peak RSS | peak − N |")
        out.append("|---|---|---|---|---|")
        for r in rss:
            n = r["n"]
            peak = r["seconds"]
            out.append(
                f"| {human(n, 'byte')} | {r['case'].removeprefix('peak_rss_')} | {r['library']} | "
                f"{peak / (1 << 20):.1f} MiB | {(peak - n) / (1 << 20):+.1f} MiB |"
            )
    return "\n".join(out)


def chart(rows, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("size", ("npy_save", "npy_load"), ".npy save / load: ns per byte", 1e9),
        (
            "size",
            ("npz_stored_save", "npz_stored_load", "npz_deflate_save", "npz_deflate_load"),
            "npz (stored, deflate) save / load: ns per byte",
            1e9,
        ),
        ("members", None, "npz with N members of 64 float64: µs per member", 1e6),
        ("records", None, "N records of 24 bytes: ns per record", 1e9),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(15, 11))
    for ax, (group, cases, title, scale) in zip(axes.flat, panels):
        series = defaultdict(list)
        for r in rows:
            if r["group"] != group or (cases and r["case"] not in cases):
                continue
            series[(r["case"], r["library"])].append((r["n"], r["seconds_per_unit"] * scale))
        for (case, library), points in sorted(series.items()):
            points.sort()
            xs, ys = zip(*points)
            style = "-" if library.startswith("npy-serde") else "--"
            ax.plot(xs, ys, style, marker="o", markersize=3, label=f"{case}: {library}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("bytes" if group == "size" else group)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("How cost grows with the work (medians; each case timed side by side with the others; lower is better)")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    print(f"\nwritten: {png}")


def main():
    csv_path = sys.argv[1] if len(sys.argv) > 1 else "target/sweep/sweep.csv"
    png = sys.argv[2] if len(sys.argv) > 2 else "benches/sweep.png"
    rows = load(csv_path)
    print(tables(rows))
    try:
        chart(rows, png)
    except ImportError:
        print("\n(matplotlib is not installed: no chart; pip install matplotlib)")


if __name__ == "__main__":
    main()
