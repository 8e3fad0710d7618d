"""The live demo (scripts/demo.sh): builds Release, starts a run (run.py) for --duration
seconds, shows the processes' status lines while they run, stops everything, prints a
summary from the processes' --summary-json files (trades per ticker, each client's position
and P&L, modifies, expirations, messages per quote change, rejects, recoveries, latency
percentiles) and plots the latency CSVs. Exit code 0
only when every process ended by itself or on SIGTERM with exit code 0; 130 when
interrupted. --benchmarks runs every benchmark binary's short mode instead."""

from __future__ import annotations

import glob
import os
import re
import signal
import subprocess
import sys
import time

from llt import command, processes, run, summary

ME = "scripts/demo.sh"
USAGE = """\
usage: scripts/demo.sh [--duration SECONDS] [--stats-interval SECONDS] [--no-build]
       scripts/demo.sh --benchmarks [--full]

  --duration SECONDS        how long the clients trade (default 30)
  --stats-interval SECONDS  seconds between status lines (default: duration / 5, 1 to 5)
  --no-build                skip install_deps and the build; use build/release as it is
  --benchmarks              instead of the live demo, build Release and run every benchmark
                            binary (ours beside its peer) in its short mode
  --full                    the benchmarks, longer runs (implies --benchmarks)"""

SHOWN = re.compile(r"^(exchange: (order entry|sessions)|trading: client [0-9]+ )")


def parse(args: list[str]) -> dict:
    opts = {"duration": 30, "stats": 0, "build": True, "benchmarks": False, "full": False}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--duration", "--stats-interval"):
            value = run._value(args, i)
            opts["duration" if arg == "--duration" else "stats"] = run.whole_number(
                arg, value, minimum=1)
            i += 2
            continue
        if arg == "--no-build":
            opts["build"] = False
        elif arg == "--benchmarks":
            opts["benchmarks"] = True
        elif arg == "--full":
            opts["full"] = True
        elif arg in ("-h", "--help"):
            opts["help"] = True
        else:
            raise command.UsageError(f"unknown argument '{arg}'")
        i += 1
    # --full alone still means the long benchmark runs (benchmarks/RESULTS.md's command).
    if opts["full"]:
        opts["benchmarks"] = True
    if not opts["stats"]:
        opts["stats"] = min(max(opts["duration"] // 5, 1), 5)
    return opts


def run_benchmarks(do_build: bool, full: bool) -> int:
    if do_build:
        for step in (["scripts/install_deps.sh"], ["cmake", "--preset", "release"],
                     ["cmake", "--build", "--preset", "release"]):
            quiet = step[1:2] == ["--preset"]
            code = subprocess.run(step, stdout=subprocess.DEVNULL if quiet else None,
                                  check=False).returncode
            if code != 0:
                return code
    min_time = "0.5" if full else "0.05"
    status = 0
    benches = sorted(glob.glob("build/release/benchmarks/*_bench"))
    benches.append("build/release/benchmarks/e2e_latency")
    for bench in benches:
        if not os.access(bench, os.X_OK):
            continue
        print(f"\n=== {os.path.basename(bench)}", flush=True)
        code = subprocess.run([bench, f"--benchmark_min_time={min_time}",
                               "--benchmark_color=false"], check=False).returncode
        if code != 0:
            print(f"demo: {os.path.basename(bench)} failed", file=sys.stderr)
            status = 1
    return status


class LineFollower:
    """Prints the start and status lines each process has written since the last call."""

    def __init__(self, run_dir: str, names: list[str]):
        self.run_dir = run_dir
        self.offsets = {name: 0 for name in names}
        self.started = time.monotonic()

    def show(self) -> None:
        for name, offset in self.offsets.items():
            try:
                with open(os.path.join(self.run_dir, f"{name}.out"), "rb") as f:
                    f.seek(offset)
                    data = f.read()
            except OSError:
                continue
            complete = data[:data.rfind(b"\n") + 1]  # whole lines only
            self.offsets[name] = offset + len(complete)
            seconds = int(time.monotonic() - self.started)
            for line in complete.decode(errors="replace").splitlines():
                if SHOWN.match(line):
                    text = re.sub(r"^(exchange|trading): ", "", line)
                    print(f"[{seconds:3d}s] {name:<8} | {text}")
        sys.stdout.flush()


def print_summary(run_dir: str, duration: int, stop_output: str,
                  clients: list[processes.Client]) -> None:
    names = ["exchange"] + [c.name for c in clients]
    sums = summary.load_run(run_dir, names)
    exchange = sums["exchange"]

    print(f"\n=== demo summary ({duration} s of trading; everything is in {run_dir})\n")
    print("processes (exit codes):")
    lines = stop_output.splitlines()
    for line in lines:
        if line.startswith("stop: "):
            print("  " + line[len("stop: "):])
    for line in lines:
        if not line.startswith("stop: "):
            print("  " + line)

    print()
    final = run.last_status_line(os.path.join(run_dir, "exchange.out"))
    if final:
        print("exchange, final status line:")
        print("  " + final[len("exchange: "):])
        if exchange is not None:
            print(f"  rejects by reason [{summary.by_reason(exchange['rejects_by_reason'], False)}]"
                  f", sessions closed by cause "
                  f"[{summary.by_reason(exchange['sessions_closed_by_cause'], False)}]")
    else:
        print(f"exchange: no status line (see {run_dir}/exchange.err)")

    print("\ntrades per ticker, from the clients' fills (each trade sends FILLED to both "
          "orders, and\nevery order here is a demo client's, so trades = fills / 2 and volume "
          "= bought = sold):")
    per_ticker: dict[str, list[int]] = {}
    for client in clients:
        for t in (sums[client.name] or {}).get("tickers", []):
            row = per_ticker.setdefault(str(t["ticker"]), [0, 0, 0])
            row[0] += t["fills"]
            row[1] += t["bought"]
            row[2] += t["sold"]
    row_format = "  {:<8} {:>8} {:>8} {:>8} {:>8}"
    print(row_format.format("ticker", "fills", "trades", "bought", "sold"))
    total = [0, 0, 0]
    for ticker, (fills, bought, sold) in per_ticker.items():
        trades = f"{fills // 2}" if fills % 2 == 0 else f"{fills / 2:.1f}?"
        print(row_format.format(ticker, fills, trades, bought, sold))
        total = [total[0] + fills, total[1] + bought, total[2] + sold]
    all_trades = f"{total[0] // 2}" if total[0] % 2 == 0 else f"{total[0] / 2:g}"
    print(row_format.format("all", total[0], all_trades, total[1], total[2]))
    if exchange is not None:
        ex_trades = exchange.get("trades", 0)
        if total[0] == 2 * ex_trades and total[1] == total[2]:
            print(f"  the exchange counted {ex_trades} trades: the same")
        else:
            print(f"  the exchange counted {ex_trades} trades: NOT the same (a fill may have "
                  f"reached a client after it stopped)")
        print(f"  the exchange's own count per ticker: {summary.ticker_trades(exchange)}")

    print("\npositions and P&L per client and ticker (prices and P&L in units of 100 cents):")
    pnl_format = "  {:<8} {:<16} {:>6} {:>9} {:>7} {:>7} {:>6} {:>9} {:>9} {:>11} {:>9}"
    print(pnl_format.format("client", "strategy", "ticker", "position", "bought", "sold",
                            "fills", "vwap", "realized", "unrealized", "total"))
    for client in clients:
        s = sums[client.name]
        if s is None:
            print(f"  {client.name}: no summary (see {run_dir}/{client.name}.err)")
            continue
        for t in s.get("tickers", []):
            print(pnl_format.format(client.name, s.get("strategy", "?"), t["ticker"],
                                    t["position"], t["bought"], t["sold"], t["fills"],
                                    f"{t['vwap']:.2f}", f"{t['realized_pnl']:.2f}",
                                    f"{t['unrealized_pnl']:.2f}", f"{t['total_pnl']:.2f}"))

    print("\norders, modifies and expirations (IOC and FOK rests), rejects, market data "
          "recoveries,\nsessions per client:")
    for client in clients:
        s = sums[client.name]
        if s is None:
            continue
        c, md, session = s["counters"], s["market_data"], s["session"]
        print(f"  {client.name:<8} orders {c['orders_sent']}, cancels {c['cancels_sent']}, "
              f"risk rejects {s['risk_rejects']} "
              f"({summary.by_reason(s['risk_rejects_by_reason'])}), "
              f"exchange rejects {s['exchange_rejects']} "
              f"({summary.by_reason(s['exchange_rejects_by_reason'], False)})")
        print(f"  {'':<8} {summary.order_types(s)}")
        print(f"  {'':<8} md recoveries {md['recoveries_completed']} (started "
              f"{md['recoveries_started']}, gaps {md['gaps_detected']}, healed "
              f"{md['gaps_healed']}, restarts {md['restarts_detected']}, last "
              f"{md['last_recovery_ms']:.1f} ms, max {md['max_recovery_ms']:.1f} ms); "
              f"session logons {session['logons']}, reconnects {session['reconnects']}, "
              f"disconnects {session['disconnects']}")

    print("\nlatency, client side (TSC-stamped in each client; tick-to-trade = market data "
          "read to order sent):")
    for client in clients:
        if sums[client.name] is not None:
            print(f"  {client.name:<8} {summary.client_latency(sums[client.name])}")
    print("\nlatency, exchange side, per hop (ns):")
    if exchange is not None:
        for line in summary.latency_table(exchange):
            print("  " + line)


def plot(run_dir: str, duration: int, names: list[str]) -> None:
    python = None
    for candidate in ("python3", "/usr/bin/python3"):
        try:
            if subprocess.run([candidate, "-c", "import matplotlib"], capture_output=True,
                              check=False).returncode == 0:
                python = candidate
                break
        except OSError:
            continue
    csvs = [p for p in (os.path.join(run_dir, f"{n}.csv") for n in names)
            if os.path.isfile(p) and os.path.getsize(p) > 0]
    if python is None:
        print("latency plot: skipped, matplotlib is not installed "
              "(apt-get install python3-matplotlib)")
        return
    if not csvs:
        print("latency plot: skipped, no latency CSV was written")
        return
    with open(os.path.join(run_dir, "plot.err"), "wb") as err:
        code = subprocess.run(
            [python, "scripts/plot_latency.py", "--merge", "--min-count", "1", "-o",
             os.path.join(run_dir, "latency.png"), "--title",
             f"scripts/demo.sh --duration {duration}: exchange and 4 clients, per hop", *csvs],
            stdout=subprocess.DEVNULL, stderr=err, check=False).returncode
    if code == 0:
        print(f"latency plot: {run_dir}/latency.png (per hop; the clients' hops added up)")
    else:
        print(f"latency plot: failed, see {run_dir}/plot.err")


def live_demo(duration: int, stats: int, do_build: bool) -> int:
    if do_build:
        run.build(ME)
    clients = processes.clients()
    names = ["exchange"] + [c.name for c in clients]
    os.makedirs("build/runs", exist_ok=True)
    run_dir = os.path.join(os.path.realpath("build/runs"),
                           f"demo-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")

    interrupted = False

    def on_signal(_signo, _frame):
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    stopped = False
    stop_status, stop_output = 0, ""
    try:
        print(f"=== demo: starting the exchange and four clients for {duration} s (status "
              f"every {stats} s)", flush=True)
        run.start(run_dir, duration=duration, stats=stats, do_build=False)
        print()
        follower = LineFollower(run_dir, names)
        late = False
        deadline = time.monotonic() + duration + 20
        while True:
            follower.show()
            if all(run.read_rc(run_dir, c.name) is not None for c in clients):
                break
            if interrupted:
                break
            if time.monotonic() >= deadline:
                late = True
                break
            time.sleep(0.5)
        follower.show()
        if interrupted:
            print("demo: interrupted; stopping everything")
        elif late:
            print(f"demo: the clients had not ended {duration + 20} s after the start; "
                  f"stopping them", file=sys.stderr)
        else:
            print("demo: the clients ended; stopping the exchange")
        sys.stdout.flush()
        stop_status, stop_output = run.stop_captured(run_dir, 10)
        stopped = True
    finally:
        # Whatever happens (an error, Ctrl-C), nothing the demo started stays running.
        if not stopped and os.path.isfile(os.path.join(run_dir, "pids")):
            _, output = run.stop_captured(run_dir, 10)
            print(output)

    print_summary(run_dir, duration, stop_output, clients)
    print()
    plot(run_dir, duration, names)

    left = [f"{name} ({pid})" for name, pid in run.read_pids(run_dir)
            if run.is_ours(pid, run_dir)]
    print()
    status = 0
    if left:
        print(f"demo: FAILED, still running: {' '.join(left)}", file=sys.stderr)
        status = 1
    if stop_status != 0:
        print("demo: FAILED, not every process ended cleanly (see the exit codes above)",
              file=sys.stderr)
        status = 1
    if late:
        print("demo: FAILED, the clients did not end by themselves in time", file=sys.stderr)
        status = 1
    if interrupted:
        print("demo: interrupted (every process stopped)")
        return 130
    if status == 0:
        print("demo: OK, every process ended cleanly and nothing is left running")
    return status


def act(opts: dict) -> int:
    if opts["benchmarks"]:
        return run_benchmarks(opts["build"], opts["full"])
    return live_demo(opts["duration"], opts["stats"], opts["build"])


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
