"""The figures of scripts/demo.sh --compare-idle: one demo run per idle strategy, and for each
the order round trip and tick-to-trade of the four clients together (their latency
histograms merged from the --latency-csv files, the same histograms their --summary-json
percentiles come from), the exchange's tcp_read_to_response_sent (from its summary JSON),
and the CPU seconds each process used (user + system from its rusage, which its supervisor
wrote to NAME.cpu when it reaped it) with their sum. Market data one-way is in no summary
(no hop is stamped across the processes; benchmarks/e2e_latency measures it), so it is not
in the table. Everything here reads files only: the runs themselves are demo.py's."""

from __future__ import annotations

import csv
import json
import os
import textwrap

from llt import run, summary

ROUND_TRIP = "order_sent_to_response_read"
TICK_TO_TRADE = "md_read_to_order_sent"
EXCHANGE_HOP = "tcp_read_to_response_sent"

HOW = {
    "round_trip": f"the four clients' {ROUND_TRIP} histograms merged (their --latency-csv files)",
    "tick_to_trade": f"the four clients' {TICK_TO_TRADE} histograms merged (the random trader "
                     f"has none: it sends on a clock)",
    "exchange": f"the exchange's {EXCHANGE_HOP} (its --summary-json)",
    "cpu": "user + system seconds of each process's whole life, all threads, from its rusage "
           "as its supervisor reaped it (wait4; NAME.cpu in the run folder)",
    "md_one_way": "not in the summaries (no hop is stamped across the processes; "
                  "benchmarks/e2e_latency measures it)",
}


def read_histogram(path: str, hop: str) -> dict[int, int]:
    """One hop's buckets in a --latency-csv file (hop,value_ns,percentile,count; value_ns is
    the bucket's highest value): value -> count. Empty when the file or the hop is missing."""
    buckets: dict[int, int] = {}
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                if len(row) != 4 or row[0] != hop or not row[1].isdigit() or not row[3].isdigit():
                    continue  # a header, another hop, or a torn last line
                buckets[int(row[1])] = buckets.get(int(row[1]), 0) + int(row[3])
    except OSError:
        pass
    return buckets


def merge(histograms: list[dict[int, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for value, count in histogram.items():
            merged[value] = merged.get(value, 0) + count
    return merged


def percentile(histogram: dict[int, int], pct: float) -> int:
    """The smallest recorded value v such that at least pct % of the values are <= v, as
    common::LatencyHistogram computes it; 0 for an empty histogram."""
    total = sum(histogram.values())
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen * 100 >= pct * total:
            return value
    return 0


def merged_hop(csv_paths: list[str], hop: str) -> dict:
    """count, p50 and p99 (ns) of `hop` over the histograms of every file."""
    histogram = merge([read_histogram(path, hop) for path in csv_paths])
    return {"count": sum(histogram.values()), "p50": percentile(histogram, 50),
            "p99": percentile(histogram, 99)}


def exchange_hop(exchange: dict | None) -> dict | None:
    """count, p50 and p99 (ns) of the exchange's tcp_read_to_response_sent; None when its
    summary is missing or has no such hop."""
    if EXCHANGE_HOP not in ((exchange or {}).get("latency_ns") or {}):
        return None
    figures = summary.hop(exchange, EXCHANGE_HOP)
    return {key: figures[key] for key in ("count", "p50", "p99")}


def cpu_seconds(run_dir: str, names: list[str]) -> dict[str, float | None]:
    """Each process's user + system CPU seconds (None when its NAME.cpu is missing)."""
    seconds: dict[str, float | None] = {}
    for name in names:
        cpu = run.read_cpu(run_dir, name)
        seconds[name] = None if cpu is None else round(cpu[0] + cpu[1], 3)
    return seconds


def mode_figures(run_dir: str, idle: str, clients: list[str], ok: bool) -> dict:
    """One row of the comparison: the figures of the run in `run_dir`, all from its files."""
    csvs = [os.path.join(run_dir, f"{name}.csv") for name in clients]
    cpu = cpu_seconds(run_dir, ["exchange", *clients])
    known = [s for s in cpu.values() if s is not None]
    return {
        "idle": idle,
        "ok": ok,
        "run_dir": run_dir,
        "round_trip_ns": merged_hop(csvs, ROUND_TRIP),
        "tick_to_trade_ns": merged_hop(csvs, TICK_TO_TRADE),
        "exchange_tcp_read_to_response_sent_ns": exchange_hop(
            summary.load(os.path.join(run_dir, "exchange.json"))),
        "cpu_s": cpu,
        # The sum of the processes whose time is known; "complete" says whether that is all.
        "cpu_s_sum": round(sum(known), 3),
        "cpu_s_complete": len(known) == len(cpu),
    }


def _us(figures: dict | None, key: str) -> str:
    if not figures or not figures.get("count"):
        return "-"
    return f"{figures[key] / 1000:.1f}"


def _count(figures: dict | None) -> str:
    return "-" if figures is None else str(figures["count"])


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _cells(row: dict, clients: list[str]) -> list[str]:
    rtt, t2t = row["round_trip_ns"], row["tick_to_trade_ns"]
    ex = row["exchange_tcp_read_to_response_sent_ns"]
    total = _seconds(row["cpu_s_sum"]) + ("" if row["cpu_s_complete"] else "+")
    return [row["idle"], "ok" if row["ok"] else "FAIL",
            _count(rtt), _us(rtt, "p50"), _us(rtt, "p99"),
            _count(t2t), _us(t2t, "p50"), _us(t2t, "p99"),
            _us(ex, "p50"), _us(ex, "p99"),
            _seconds(row["cpu_s"].get("exchange")),
            *[_seconds(row["cpu_s"].get(name)) for name in clients], total]


def table(rows: list[dict], clients: list[str]) -> list[str]:
    """The comparison as text: a line of column groups, a line of column names, a row per
    mode (latency in microseconds, CPU in seconds; "-" where there is no figure)."""
    groups = [("", ["idle", "run"]),
              ("order round trip, us", ["answers", "p50", "p99"]),
              ("tick-to-trade, us", ["orders", "p50", "p99"]),
              ("exchange, us", ["p50", "p99"]),
              ("CPU seconds (user + system)", ["exchange", *clients, "sum"])]
    names = [name for _, columns in groups for name in columns]
    body = [_cells(row, clients) for row in rows]
    widths = [max(len(name), *(len(cells[i]) for cells in body), 6 if i > 1 else 0)
              for i, name in enumerate(names)]
    widths[0] = max(widths[0], 8)

    def line(cells: list[str]) -> str:
        parts = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    heads, i = [], 0
    for title, columns in groups:
        span = sum(widths[i:i + len(columns)]) + 2 * (len(columns) - 1)
        heads.append(title.center(span) if len(title) <= span else title[:span])
        i += len(columns)
    return ["  ".join(heads).rstrip(), line(names), *(line(cells) for cells in body)]


def legend(width: int = 96) -> list[str]:
    """What each figure is, wrapped to `width` columns."""
    items = [f"order round trip: {HOW['round_trip']}",
             f"tick-to-trade: {HOW['tick_to_trade']}",
             f"exchange: {HOW['exchange']}",
             f"CPU: {HOW['cpu']}; a sum ending in + lacks a process",
             f"market data one-way: {HOW['md_one_way']}"]
    lines: list[str] = []
    for item in items:
        lines += textwrap.wrap(item, width, initial_indent="  ", subsequent_indent="    ")
    return lines


def document(rows: list[dict], duration: int) -> dict:
    """The comparison as the JSON --compare-json writes (latencies in ns, CPU in seconds)."""
    return {"duration_s": duration, "how": HOW, "modes": rows}


def write_json(path: str, rows: list[dict], duration: int) -> None:
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(document(rows, duration), f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
