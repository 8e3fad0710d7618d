#!/usr/bin/env python3
"""Plots the latency CSVs that `exchange --latency-csv` and `trading --latency-csv` write.

Each CSV has the header `hop,value_ns,percentile,count`: per hop, one row per non-empty
histogram bucket, in increasing value, with the cumulative percentile (0-100) at that value.
The plot has one line per hop (labelled FILE:hop when several files are given): x is the
percentile on a 1/(1 - p) log scale (50, 90, 99, 99.9, 99.99 equally spaced), y the latency
in nanoseconds on a log scale. The 100th percentile (the max) is drawn at 1 - 1/count, the
percentile a max of `count` samples stands for. --merge adds up the histograms of hops of the
same name across files (the buckets are the same in every file) and draws one line per hop.
Files named *.stats.csv (--stats-csv, drawn by scripts/plot_run.py) are skipped, so a run
folder's `*.csv` can be given as it is.

Needs matplotlib (Debian: python3-matplotlib, installed by scripts/install_deps.sh).
"""

import argparse
import csv
import os
import sys
from collections import OrderedDict

from llt import pyplot

TICKS = [50.0, 90.0, 99.0, 99.9, 99.99, 99.999]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Plot per-hop latency distributions from --latency-csv files into a PNG.")
    parser.add_argument("csv", nargs="+", help="CSV files written by --latency-csv")
    parser.add_argument("-o", "--output", default="latency.png",
                        help="PNG to write (default: latency.png)")
    parser.add_argument("--title", default="Latency by hop",
                        help="plot title (default: %(default)s)")
    parser.add_argument("--hops", default="",
                        help="comma-separated hop names to plot (default: every hop with samples)")
    parser.add_argument("--merge", action="store_true",
                        help="one line per hop name, adding up that hop's histograms of all files")
    parser.add_argument("--min-count", type=int, default=1,
                        help="skip hops with fewer samples than this (default: 1)")
    args = parser.parse_args(argv)
    # matplotlib picks the format by the name's extension, and adds .png to a name without one.
    if not args.output.lower().endswith(".png"):
        parser.error(f"argument -o/--output: '{args.output}' does not end in .png")
    if os.path.isdir(args.output):
        parser.error(f"argument -o/--output: '{args.output}' is a directory")
    if args.min_count < 0:
        parser.error(f"argument --min-count: {args.min_count} is below 0")
    return args


def read_csv(path):
    """Returns {hop: [(value_ns, percentile, count), ...]} in file order."""
    hops = OrderedDict()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != ["hop", "value_ns", "percentile", "count"]:
            raise ValueError(f"{path}: header is {header}, expected hop,value_ns,percentile,count")
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != 4:
                raise ValueError(f"{path}:{line}: expected 4 fields, got {len(row)}")
            try:
                hop, value, percentile, count = row[0], int(row[1]), float(row[2]), int(row[3])
            except ValueError as e:
                raise ValueError(f"{path}:{line}: {e}") from None
            hops.setdefault(hop, []).append((value, percentile, count))
    return hops


def to_x(percentile, total):
    """Maps a percentile to 1 / (1 - p); 100 maps to `total`, where a max of `total` samples sits."""
    fraction = percentile / 100.0
    if fraction >= 1.0 or 1.0 - fraction < 1.0 / total:
        return float(total)
    return 1.0 / (1.0 - fraction)


def main(argv):
    args = parse_args(argv)
    plt = pyplot.load(__file__, argv)
    if plt is None:
        print("plot_latency.py: matplotlib is not installed; on Debian: "
              "apt-get install python3-matplotlib (or run scripts/install_deps.sh)",
              file=sys.stderr)
        return 1
    from matplotlib.ticker import FixedLocator, NullLocator

    wanted = [h for h in args.hops.split(",") if h]
    # (label, {value_ns: count}) per line, in first-seen order.
    lines = OrderedDict()
    sources = {}
    # A run folder holds both kinds of CSV, so its `*.csv` names the --stats-csv files too.
    stats = [p for p in args.csv if p.endswith(".stats.csv")]
    if stats:
        print(f"plot_latency.py: skipped {len(stats)} --stats-csv file(s) "
              f"(scripts/plot_run.py draws those): {' '.join(stats)}", file=sys.stderr)
    csvs = [p for p in args.csv if p not in stats]
    for path in csvs:
        try:
            hops = read_csv(path)
        except (OSError, ValueError) as e:
            print(f"plot_latency.py: {e}", file=sys.stderr)
            return 1
        name = os.path.splitext(os.path.basename(path))[0]
        for hop, rows in hops.items():
            if wanted and hop not in wanted:
                continue
            if args.merge:
                key = hop
            elif len(csvs) > 1:
                key = f"{name}:{hop}"
            else:
                key = hop
            buckets = lines.setdefault(key, {})
            sources.setdefault(key, []).append(name)
            for value, _, count in rows:
                buckets[value] = buckets.get(value, 0) + count

    series = []
    for key, buckets in lines.items():
        total = sum(buckets.values())
        if total < max(args.min_count, 1):
            print(f"plot_latency.py: {key}: {total} samples, skipped", file=sys.stderr)
            continue
        xs, ys, seen = [], [], 0
        for value in sorted(buckets):
            seen += buckets[value]
            xs.append(to_x(100.0 * seen / total, total))
            ys.append(max(value, 1))
        label = key
        if args.merge and len(csvs) > 1:
            names = sources[key]
            label = f"{names[0]}:{key}" if len(names) == 1 else f"{key} ({len(names)} files)"
        series.append((f"{label} (n={total})", xs, ys))

    if not series:
        print("plot_latency.py: no hop with samples to plot", file=sys.stderr)
        return 1

    fig, ax = plt.subplots(figsize=(11, 6), dpi=100)
    colors = plt.get_cmap("tab10" if len(series) <= 10 else "tab20")
    styles = ["-", "--", "-.", ":"]
    for i, (label, xs, ys) in enumerate(series):
        ax.step([1.0] + xs, [ys[0]] + ys, where="pre", label=label, linewidth=1.5,
                color=colors(i % colors.N), linestyle=styles[(i // colors.N) % len(styles)])
    ax.set_xscale("log")
    ax.set_yscale("log")
    x_max = max(max(xs) for _, xs, _ in series)
    ticks = [0.0] + [t for t in TICKS if 1.0 / (1.0 - t / 100.0) <= x_max * 1.0001]
    ax.xaxis.set_major_locator(FixedLocator([1.0 / (1.0 - t / 100.0) for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(1.0, x_max * 1.05)
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ns)")
    ax.set_title(args.title)
    ax.grid(True, which="major", linestyle=":", linewidth=0.6)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    try:
        fig.savefig(args.output)
    except OSError as e:
        print(f"plot_latency.py: cannot write {args.output}: {e}", file=sys.stderr)
        return 1
    print(f"plot_latency.py: wrote {args.output} ({len(series)} hops)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
