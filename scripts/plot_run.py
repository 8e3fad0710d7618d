#!/usr/bin/env python3
"""Charts of a run over time, from the CSVs that `exchange --stats-csv` and `trading
--stats-csv` write.

    scripts/plot_run.py RUN_DIR [-o OUT_DIR]

Reads every RUN_DIR/*.stats.csv (the demo's: exchange.stats.csv and one NAME.stats.csv per
client). Each has a header line, then one row per interval (--stats-csv-interval-ms, default
1000) while its process ran; an empty cell is no value (an empty book side). The exchange's
file is the one with a `sessions_logged_on` column:

    time_s,sessions_logged_on,requests,responses,rejects,trades,md_updates,requests_per_s,
    responses_per_s,md_updates_per_s,response_p50_us,response_p99_us, then per ticker T:
    tT_bid_cents,tT_bid_qty,tT_ask_cents,tT_ask_qty,tT_last_cents,tT_trades,tT_resting

a client's the one with an `orders` column:

    time_s,orders,cancels,modifies,fills,expired,risk_rejects,exchange_rejects,md_updates,
    requests_per_s,fills_per_s,md_updates_per_s,tick_to_trade_p50_us,tick_to_trade_p99_us,
    round_trip_p50_us,round_trip_p99_us, then per ticker T:
    tT_position,tT_realized_cents,tT_unrealized_cents,tT_total_cents,tT_bid_cents,
    tT_ask_cents,tT_last_cents

time_s is seconds since that process started; counters are cumulative, *_per_s rates over the
last interval, latency percentiles cumulative since the start. The client's name is its file's
name without `.stats.csv`.

It writes four PNGs into OUT_DIR (default RUN_DIR), x in seconds since each process started:

    pnl.png                per client, total P&L (its tickers' tT_total_cents added up, in
                           dollars); below, each client's position per ticker
    rates.png              the exchange's requests/s and market data updates/s; below, each
                           client's fills/s
    prices.png             per ticker, the exchange's best bid, best ask and last trade (dollars)
    latency_over_time.png  the clients' order round trip and tick-to-trade p50 and p99, the
                           exchange's response p50 and p99 (microseconds, log scale)

and prints one line per PNG written. A panel without data says so (no exchange file, no
samples yet). Exit codes: 0 done; 1 a PNG could not be written; 2 a bad command line, no
*.stats.csv in RUN_DIR, or a file it cannot read (the message names the file and line: an
unknown header, a row with the wrong number of fields, a cell that is not a number; a last
row cut short without its newline, by a process killed while writing it, is left out with a
note instead); 3
matplotlib is missing (Debian: apt-get install python3-matplotlib, which
scripts/install_deps.sh installs).

The parsing (read_stats, read_run, the series helpers) needs only the standard library;
matplotlib is imported when the charts are drawn.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import math
import os
import re
import sys

from llt import pyplot

ME = "plot_run.py"
SUFFIX = ".stats.csv"
PNGS = ("pnl.png", "rates.png", "prices.png", "latency_over_time.png")

EXCHANGE_COLUMNS = [
    "time_s", "sessions_logged_on", "requests", "responses", "rejects", "trades", "md_updates",
    "requests_per_s", "responses_per_s", "md_updates_per_s", "response_p50_us",
    "response_p99_us"]
EXCHANGE_TICKER_FIELDS = [
    "bid_cents", "bid_qty", "ask_cents", "ask_qty", "last_cents", "trades", "resting"]
CLIENT_COLUMNS = [
    "time_s", "orders", "cancels", "modifies", "fills", "expired", "risk_rejects",
    "exchange_rejects", "md_updates", "requests_per_s", "fills_per_s", "md_updates_per_s",
    "tick_to_trade_p50_us", "tick_to_trade_p99_us", "round_trip_p50_us", "round_trip_p99_us"]
CLIENT_TICKER_FIELDS = [
    "position", "realized_cents", "unrealized_cents", "total_cents", "bid_cents", "ask_cents",
    "last_cents"]
LAYOUTS = {"exchange": (EXCHANGE_COLUMNS, EXCHANGE_TICKER_FIELDS),
           "client": (CLIENT_COLUMNS, CLIENT_TICKER_FIELDS)}


class StatsError(Exception):
    """A file that cannot be read as a stats CSV; the message names the file (and line)."""


@dataclasses.dataclass
class Stats:
    """One --stats-csv file: its rows as numbers (None for an empty cell)."""
    path: str
    name: str  # the file's name without .stats.csv: "exchange" or the client's name
    kind: str  # "exchange" or "client"
    tickers: list[str]  # in the order of the header's groups
    columns: list[str]
    rows: list[list[float | None]]
    truncated_line: int = 0  # a last line cut short while written, left out (its number)

    def values(self, column: str) -> list[float | None]:
        index = self.columns.index(column)
        return [row[index] for row in self.rows]

    def times(self) -> list[float]:
        return [row[0] for row in self.rows]  # time_s is never empty

    def series(self, column: str, scale: float = 1.0,
               gaps: bool = False) -> tuple[list[float], list[float]]:
        """(time_s, value * scale) for the rows where `column` has a value; with `gaps`, every
        row, NaN where it has none (a break in the line), and ([], []) when no row has one."""
        values = self.values(column)
        if not gaps:
            return points(self.times(), values, scale)
        if all(v is None for v in values):
            return [], []
        return self.times(), [math.nan if v is None else v * scale for v in values]

    def ticker_series(self, ticker: str, field: str, scale: float = 1.0,
                      gaps: bool = False) -> tuple[list[float], list[float]]:
        return self.series(f"t{ticker}_{field}", scale, gaps)


@dataclasses.dataclass
class Run:
    """The stats files of one run folder."""
    run_dir: str
    exchanges: list[Stats]
    clients: list[Stats]

    def tickers(self) -> list[str]:
        """Every ticker of the exchange files, in first-seen order."""
        seen: list[str] = []
        for stats in self.exchanges:
            seen += [t for t in stats.tickers if t not in seen]
        return seen


def points(xs: list[float], ys: list[float | None],
           scale: float = 1.0) -> tuple[list[float], list[float]]:
    """The (x, y * scale) pairs whose y has a value."""
    kept = [(x, y * scale) for x, y in zip(xs, ys) if y is not None]
    return [x for x, _ in kept], [y for _, y in kept]


def header_kind(path: str, header: list[str]) -> tuple[str, list[str]]:
    """The file's kind ("exchange" or "client") and tickers; StatsError when the header is not
    one of the two layouts."""
    if "sessions_logged_on" in header:
        kind = "exchange"
    elif "orders" in header:
        kind = "client"
    else:
        raise StatsError(f"{path}:1: header not known: it has neither a sessions_logged_on "
                         f"column (the exchange's) nor an orders column (a client's)")
    fixed, fields = LAYOUTS[kind]
    where = f"{path}:1: header not known ({kind} stats)"
    for i, want in enumerate(fixed):
        got = header[i] if i < len(header) else None
        if got != want:
            shown = "missing" if got is None else f"'{got}'"
            raise StatsError(f"{where}: column {i + 1} is {shown}, expected '{want}'")
    rest = header[len(fixed):]
    if len(rest) % len(fields) != 0:
        raise StatsError(f"{where}: {len(rest)} columns after '{fixed[-1]}', not groups of "
                         f"{len(fields)} per ticker ({','.join('tT_' + f for f in fields)})")
    tickers: list[str] = []
    for start in range(0, len(rest), len(fields)):
        column = len(fixed) + start + 1
        match = re.fullmatch(rf"t([0-9]+)_{fields[0]}", rest[start])
        if match is None:
            raise StatsError(f"{where}: column {column} is '{rest[start]}', expected "
                             f"'tT_{fields[0]}' (T a ticker id)")
        ticker = match.group(1)
        if ticker in tickers:
            raise StatsError(f"{where}: column {column}: ticker {ticker} appears twice")
        for offset, field in enumerate(fields):
            want = f"t{ticker}_{field}"
            if rest[start + offset] != want:
                raise StatsError(f"{where}: column {column + offset} is "
                                 f"'{rest[start + offset]}', expected '{want}'")
        tickers.append(ticker)
    return kind, tickers


# No column the processes write goes past a 64-bit counter (about 1.8e19); a value beyond this
# is not theirs, and the charts' axis arithmetic would overflow on it.
MAX_MAGNITUDE = 1e20


def number(path: str, line: int, column: str, text: str) -> float | None:
    """A cell's value: None when empty, else a finite number of magnitude at most
    MAX_MAGNITUDE (StatsError otherwise)."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise StatsError(f"{path}:{line}: column {column}: '{text}' is not a number")
    if abs(value) > MAX_MAGNITUDE:
        raise StatsError(f"{path}:{line}: column {column}: '{text}' is out of range "
                         f"(no column of a stats file goes past {MAX_MAGNITUDE:g})")
    return value


def read_stats(path: str) -> Stats:
    """Reads one --stats-csv file; StatsError (naming the file and line) when it is not one."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            text = f.read()
    except OSError as e:
        raise StatsError(f"{path}: cannot read it: {e.strerror or e}") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise StatsError(f"{path}:1: no header line (the file is empty)")
    header = [c.strip() for c in lines[0].split(",")]
    kind, tickers = header_kind(path, header)
    name = os.path.basename(path)
    name = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else os.path.splitext(name)[0]
    stats = Stats(path, name, kind, tickers, header, [])
    for line_no, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        cells = raw.split(",")
        if len(cells) != len(header):
            if line_no == len(lines) and not text.endswith(("\n", "\r")) \
                    and len(cells) < len(header):
                # The process was stopped while writing its last row.
                stats.truncated_line = line_no
                break
            raise StatsError(f"{path}:{line_no}: {len(cells)} fields, expected {len(header)} "
                             f"(as in the header)")
        row = [number(path, line_no, column, cell) for column, cell in zip(header, cells)]
        if row[0] is None:
            raise StatsError(f"{path}:{line_no}: column time_s is empty")
        stats.rows.append(row)
    return stats


def stats_files(run_dir: str) -> list[str]:
    """RUN_DIR/*.stats.csv, sorted; StatsError when there is none."""
    if not os.path.isdir(run_dir):
        raise StatsError(f"{run_dir}: not a folder")
    files = sorted(glob.glob(os.path.join(glob.escape(run_dir), "*" + SUFFIX)))
    if not files:
        raise StatsError(f"{run_dir}: no *{SUFFIX} file (the processes write them with "
                         f"--stats-csv FILE)")
    return files


def read_run(run_dir: str) -> Run:
    """Every stats file of a run folder, the exchange's apart from the clients'."""
    run = Run(run_dir, [], [])
    for path in stats_files(run_dir):
        stats = read_stats(path)
        (run.exchanges if stats.kind == "exchange" else run.clients).append(stats)
    return run


def total_pnl_dollars(client: Stats) -> tuple[list[float], list[float]]:
    """(time_s, total P&L in dollars): the tickers' tT_total_cents added up, / 100; a row is
    left out when a ticker has no value in it."""
    columns = [client.columns.index(f"t{t}_total_cents") for t in client.tickers]
    xs, ys = [], []
    for row in client.rows:
        cents = [row[i] for i in columns]
        if all(c is not None for c in cents):
            xs.append(row[0])
            ys.append(sum(cents) / 100.0)
    return xs, ys


# ---------------------------------------------------------------------------------------------
# Charts (matplotlib, imported by load_matplotlib).

X_LABEL = "seconds since the process started"


def client_colors(plt, run: Run) -> dict[str, object]:
    cmap = plt.get_cmap("tab10")
    return {c.name: cmap(i % cmap.N) for i, c in enumerate(run.clients)}


def label(stats: Stats, what: str, several: bool) -> str:
    return f"{stats.name} {what}" if several else what


def finish_axes(ax, ylabel: str, empty_note: str) -> None:
    """Labels a panel; a panel without lines says why."""
    ax.set_ylabel(ylabel)
    ax.grid(True, linestyle=":", linewidth=0.6)
    if ax.get_lines():
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    else:
        ax.text(0.5, 0.5, empty_note, transform=ax.transAxes, ha="center", va="center",
                color="gray")


def new_figure(plt, panels: int, title: str):
    fig, axes = plt.subplots(panels, 1, figsize=(11, 1.0 + 3.0 * panels), dpi=100,
                             sharex=True, squeeze=False)
    fig.suptitle(title)
    axes = [row[0] for row in axes]
    axes[-1].set_xlabel(X_LABEL)
    return fig, axes


def why_empty(files: list[Stats], what: str) -> str:
    return f"no samples yet in the {what} stats" if files else f"no {what} stats file"


def draw_pnl(plt, run: Run, title: str):
    fig, (pnl, position) = new_figure(plt, 2, f"{title}: P&L and positions")
    colors = client_colors(plt, run)
    styles = ["-", "--", "-.", ":"]
    for client in run.clients:
        xs, ys = total_pnl_dollars(client)
        if xs:
            pnl.plot(xs, ys, color=colors[client.name], linewidth=1.5, label=client.name)
        for i, ticker in enumerate(client.tickers):
            xs, ys = client.ticker_series(ticker, "position")
            if xs:
                position.plot(xs, ys, color=colors[client.name], drawstyle="steps-post",
                              linestyle=styles[i % len(styles)], linewidth=1.3,
                              label=f"{client.name} ticker {ticker}")
    if pnl.get_lines():
        pnl.axhline(0.0, color="black", linewidth=0.6)
    finish_axes(pnl, "total P&L, all tickers ($ = cents / 100)", why_empty(run.clients, "client"))
    finish_axes(position, "position", why_empty(run.clients, "client"))
    return fig


def draw_rates(plt, run: Run, title: str):
    fig, (exchange, fills) = new_figure(plt, 2, f"{title}: rates per second (last interval)")
    several = len(run.exchanges) > 1
    for ex in run.exchanges:
        for column, what, color in (("requests_per_s", "requests/s", "tab:blue"),
                                    ("md_updates_per_s", "market data updates/s",
                                     "tab:orange")):
            xs, ys = ex.series(column)
            if xs:
                exchange.plot(xs, ys, color=color, linewidth=1.5,
                              label=label(ex, f"exchange {what}", several))
    colors = client_colors(plt, run)
    for client in run.clients:
        xs, ys = client.series("fills_per_s")
        if xs:
            fills.plot(xs, ys, color=colors[client.name], linewidth=1.5,
                       label=f"{client.name} fills/s")
    finish_axes(exchange, "exchange, per second", why_empty(run.exchanges, "exchange"))
    finish_axes(fills, "client fills, per second", why_empty(run.clients, "client"))
    return fig


def draw_prices(plt, run: Run, title: str):
    tickers = run.tickers()
    fig, axes = new_figure(plt, max(len(tickers), 1),
                           f"{title}: the exchange's best bid, best ask and last trade")
    if not tickers:
        finish_axes(axes[0], "price ($)", "no ticker in the exchange stats"
                    if run.exchanges else "no exchange stats file")
        return fig
    several = len(run.exchanges) > 1
    for ax, ticker in zip(axes, tickers):
        for ex in run.exchanges:
            if ticker not in ex.tickers:
                continue
            for field, what, color, style in (("ask_cents", "best ask", "tab:red", "-"),
                                              ("bid_cents", "best bid", "tab:green", "-"),
                                              ("last_cents", "last trade", "black", ":")):
                xs, ys = ex.ticker_series(ticker, field, 0.01, gaps=True)
                if xs:
                    ax.plot(xs, ys, color=color, linestyle=style, linewidth=1.3,
                            drawstyle="steps-post", label=label(ex, what, several))
        finish_axes(ax, f"ticker {ticker}, price ($)", "no prices yet (empty book, no trade)")
    return fig


def draw_latency(plt, run: Run, title: str):
    from matplotlib.ticker import LogFormatterSciNotation
    fig, axes = new_figure(plt, 3, f"{title}: latency percentiles, cumulative since the start")
    round_trip, tick_to_trade, exchange = axes
    colors = client_colors(plt, run)

    def plot_positive(ax, stats, column, text, color, style):
        xs, ys = stats.series(column)
        kept = [(x, y) for x, y in zip(xs, ys) if y > 0]  # a log scale has no 0
        if kept:
            ax.plot([x for x, _ in kept], [y for _, y in kept], color=color, linestyle=style,
                    linewidth=1.4, label=text)

    for client in run.clients:
        for ax, prefix in ((round_trip, "round_trip"), (tick_to_trade, "tick_to_trade")):
            for pct, style in (("p50", "-"), ("p99", "--")):
                plot_positive(ax, client, f"{prefix}_{pct}_us", f"{client.name} {pct}",
                              colors[client.name], style)
    several = len(run.exchanges) > 1
    for ex in run.exchanges:
        for pct, style in (("p50", "-"), ("p99", "--")):
            plot_positive(exchange, ex, f"response_{pct}_us", label(ex, pct, several), "black",
                          style)
    for ax, ylabel, files, what in (
            (round_trip, "order round trip (us)", run.clients, "client"),
            (tick_to_trade, "tick-to-trade (us)", run.clients, "client"),
            (exchange, "exchange response (us)", run.exchanges, "exchange")):
        if ax.get_lines():
            ax.set_yscale("log")
            # Label 2x and 5x between the powers of ten when the lines span two decades or less.
            ax.yaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False,
                                                                 minor_thresholds=(2, 1)))
        finish_axes(ax, ylabel, why_empty(files, what))
    return fig


CHARTS = (("pnl.png", draw_pnl), ("rates.png", draw_rates), ("prices.png", draw_prices),
          ("latency_over_time.png", draw_latency))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="plot_run.py",
        description="Draw a run folder's --stats-csv files (*.stats.csv) into PNGs: "
                    + ", ".join(PNGS) + ".")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run folder")
    parser.add_argument("-o", "--out-dir", metavar="OUT_DIR", default=None,
                        help="where to write the PNGs (default: RUN_DIR)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out_dir = args.out_dir or args.run_dir
    try:
        run = read_run(args.run_dir)
    except StatsError as e:
        print(f"{ME}: {e}", file=sys.stderr)
        return 2
    for stats in run.exchanges + run.clients:
        if stats.truncated_line:
            print(f"{ME}: {stats.path}:{stats.truncated_line}: the last row is incomplete "
                  f"(the process stopped while writing it), left out", file=sys.stderr)

    plt = pyplot.load(__file__, argv)
    if plt is None:
        print(f"{ME}: matplotlib is not installed; on Debian: apt-get install "
              f"python3-matplotlib (or run scripts/install_deps.sh)", file=sys.stderr)
        return 3

    title = os.path.basename(os.path.abspath(args.run_dir))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        print(f"{ME}: cannot create {out_dir}: {e.strerror or e}", file=sys.stderr)
        return 1
    for name, draw in CHARTS:
        fig = draw(plt, run, title)
        path = os.path.join(out_dir, name)
        try:
            fig.tight_layout()
            fig.savefig(path)
        except OSError as e:
            print(f"{ME}: cannot write {path}: {e.strerror or e}", file=sys.stderr)
            return 1
        finally:
            plt.close(fig)
        print(f"{ME}: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
