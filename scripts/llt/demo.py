"""The live demo (scripts/demo.sh): builds Release, starts a run (run.py) for --duration
seconds, shows the processes' status lines while they run, stops everything, prints a
summary from the processes' --summary-json files (trades per ticker, each client's position
and P&L, modifies, expirations, messages per quote change, rejects, recoveries, latency
percentiles), plots the latency CSVs and draws the processes' --stats-csv files over time
(plot_run.py: P&L and positions, rates, prices, latency). Exit code 0
only when every process ended by itself or on SIGTERM with exit code 0; 130 when
interrupted. --idle MODE gives every process that idle strategy; --compare-idle runs the
demo once per strategy (spin, backoff, block), one after the other, and prints one table of
their latency and CPU time (idle_compare.py). --benchmarks runs every benchmark binary's
short mode instead."""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import signal
import subprocess
import sys
import time

from llt import command, idle_compare, processes, run, summary

ME = "scripts/demo.sh"
USAGE = """\
usage: scripts/demo.sh [--duration SECONDS] [--stats-interval SECONDS] [--idle MODE]
                       [--no-build] [--build-dir DIR]
       scripts/demo.sh --compare-idle [--compare-json FILE] [--duration SECONDS]
                       [--stats-interval SECONDS] [--no-build] [--build-dir DIR]
       scripts/demo.sh --benchmarks [--full] [--no-build] [--build-dir DIR]

  --duration SECONDS        how long the clients trade (default 30; 20 with --compare-idle)
  --stats-interval SECONDS  seconds between status lines (default: duration / 5, 1 to 5)
  --idle MODE               spin, backoff or block, given to all five processes (default: not
                            given, the executables' default, backoff)
  --compare-idle            the demo once per idle strategy (spin, backoff, block), one after
                            the other for the same duration, then one table: order round trip,
                            tick-to-trade, the exchange's read-to-response, CPU seconds per
                            process; exit 0 only when every run was clean
  --compare-json FILE       also write that table as JSON to FILE (relative to the repository
                            root; it is always in the comparison's folder as compare.json)
  --no-build                skip install_deps and the build; use the build folder as it is
  --build-dir DIR           where exchange/exchange and trading/trading (and benchmarks/) are
                            (default build/release, the only folder built here)
  --benchmarks              instead of the live demo, build Release and run every benchmark
                            binary (ours beside its peer) in its short mode
  --full                    the benchmarks, longer runs (implies --benchmarks)"""

SHOWN = re.compile(r"^(exchange: (order entry|sessions)|trading: client [0-9]+ )")


def parse(args: list[str]) -> dict:
    opts = {"duration": 0, "stats": 0, "build": True, "benchmarks": False, "full": False,
            "idle": None, "compare": False, "compare_json": "", "build_dir": "build/release"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--duration", "--stats-interval"):
            value = run._value(args, i)
            opts["duration" if arg == "--duration" else "stats"] = run.whole_number(
                arg, value, minimum=1, maximum=run.MAX_DURATION)
            i += 2
            continue
        if arg in ("--idle", "--compare-json", "--build-dir"):
            value = run._value(args, i)
            if arg == "--idle":
                opts["idle"] = run.idle_mode(arg, value)
            elif not value:
                raise command.UsageError(f"{arg} needs a non-empty value")
            else:
                opts["compare_json" if arg == "--compare-json" else "build_dir"] = value
            i += 2
            continue
        if arg == "--no-build":
            opts["build"] = False
        elif arg == "--compare-idle":
            opts["compare"] = True
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
    check_combination(opts)
    if not opts["duration"]:
        opts["duration"] = 20 if opts["compare"] else 30
    if not opts["stats"]:
        opts["stats"] = min(max(opts["duration"] // 5, 1), 5)
    return opts


def check_combination(opts: dict) -> None:
    """The flags that do not go together, each refused by name."""
    if opts["benchmarks"] and (opts["compare"] or opts["idle"]):
        flag = "--compare-idle" if opts["compare"] else "--idle"
        raise command.UsageError(f"{flag} is for the live demo, not --benchmarks")
    if opts["compare"] and opts["idle"]:
        raise command.UsageError("--idle and --compare-idle do not go together "
                                 "(the comparison runs every mode)")
    if opts["compare_json"] and not opts["compare"]:
        raise command.UsageError("--compare-json needs --compare-idle")
    # Written after all three runs (its missing folders made then): a path that cannot take
    # the file is refused before them.
    path = opts["compare_json"]
    if path:
        if os.path.isdir(path):
            raise command.UsageError(f"--compare-json '{path}' is a directory")
        ancestor = os.path.dirname(os.path.abspath(path))
        while not os.path.exists(ancestor):
            ancestor = os.path.dirname(ancestor)
        if not os.path.isdir(ancestor):
            raise command.UsageError(f"--compare-json '{path}': '{ancestor}' is not a folder")


def run_benchmarks(do_build: bool, full: bool, build_dir: str = "build/release") -> int:
    if not run.is_default_build(build_dir):
        run.abs_dir(build_dir, ME, "build folder (--build-dir)")  # not built here
    elif do_build:
        for step in (["scripts/install_deps.sh"], ["cmake", "--preset", "release"],
                     ["cmake", "--build", "--preset", "release"]):
            quiet = step[1:2] == ["--preset"]
            code = subprocess.run(step, stdout=subprocess.DEVNULL if quiet else None,
                                  check=False).returncode
            if code != 0:
                return code
    min_time = "0.5" if full else "0.05"
    status = 0
    benches = sorted(glob.glob(os.path.join(build_dir, "benchmarks", "*_bench")))
    if not benches:
        print(f"{ME}: no benchmark binaries in {os.path.join(build_dir, 'benchmarks')}"
              + (" (drop --no-build)" if not do_build and run.is_default_build(build_dir)
                 else ""), file=sys.stderr)
        return 2 if not os.path.isdir(build_dir) else 1
    benches.append(os.path.join(build_dir, "benchmarks", "e2e_latency"))
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

    print("\npositions and P&L per client and ticker (prices and P&L in cents, the unit of "
          "the flags):")
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
                                    f"{t['vwap']:.2f}", f"{t['realized_pnl']:.0f}",
                                    f"{t['unrealized_pnl']:.0f}", f"{t['total_pnl']:.0f}"))

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


PLOT_LATENCY = os.path.join(command.REPO, "scripts", "plot_latency.py")
PLOT_RUN = os.path.join(command.REPO, "scripts", "plot_run.py")
NO_MATPLOTLIB = "matplotlib is not installed (apt-get install python3-matplotlib)"


def plot_python() -> str | None:
    """A python3 that imports matplotlib (the one on PATH, else Debian's), or None."""
    for candidate in ("python3", "/usr/bin/python3"):
        try:
            if subprocess.run([candidate, "-c", "import matplotlib"], capture_output=True,
                              check=False).returncode == 0:
                return candidate
        except OSError:
            continue
    return None


def plot(run_dir: str, duration: int, names: list[str]) -> None:
    """The run's latency plot and its charts over time, each skipped with a reason."""
    python = plot_python()
    plot_latency(run_dir, duration, names, python)
    plot_stats(run_dir, python)


def plot_latency(run_dir: str, duration: int, names: list[str], python: str | None) -> None:
    csvs = [p for p in (os.path.join(run_dir, f"{n}.csv") for n in names)
            if os.path.isfile(p) and os.path.getsize(p) > 0]
    if python is None:
        print(f"latency plot: skipped, {NO_MATPLOTLIB}")
        return
    if not csvs:
        print("latency plot: skipped, no latency CSV was written")
        return
    with open(os.path.join(run_dir, "plot.err"), "wb") as err:
        code = subprocess.run(
            [python, PLOT_LATENCY, "--merge", "--min-count", "1", "-o",
             os.path.join(run_dir, "latency.png"), "--title",
             f"scripts/demo.sh --duration {duration}: exchange and 4 clients, per hop", *csvs],
            stdout=subprocess.DEVNULL, stderr=err, check=False).returncode
    if code == 0:
        print(f"latency plot: {run_dir}/latency.png (per hop; the clients' hops added up)")
    else:
        print(f"latency plot: failed, see {run_dir}/plot.err")


def plot_stats(run_dir: str, python: str | None, timeout: float = 300) -> list[str]:
    """scripts/plot_run.py over the run's NAME.stats.csv files (--stats-csv): P&L and
    positions, rates, prices and latency over time, as PNGs in the run folder. Prints where
    they are, or why there are none; returns the PNGs written."""
    stats = [p for p in sorted(glob.glob(os.path.join(glob.escape(run_dir), "*.stats.csv")))
             if os.path.getsize(p) > 0]
    if python is None:
        print(f"charts over time: skipped, {NO_MATPLOTLIB}")
        return []
    if not stats:
        print("charts over time: skipped, no stats CSV was written (NAME.stats.csv)")
        return []
    err_path = os.path.join(run_dir, "plot_run.err")
    with open(err_path, "wb") as err:
        try:
            result = subprocess.run([python, PLOT_RUN, run_dir], stdout=subprocess.PIPE,
                                    stderr=err, check=False, timeout=timeout)
            code, out = result.returncode, result.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            err.write(f"demo: plot_run.py took more than {timeout:g} s; stopped\n".encode())
            code, out = -1, ""
    prefix = "plot_run.py: wrote "
    pngs = [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]
    if code != 0 or not pngs:
        print(f"charts over time: failed, see {err_path}")
        return []
    print(f"charts over time: {', '.join(os.path.basename(p) for p in pngs)} in {run_dir} "
          f"(P&L and positions, rates, prices, latency percentiles)")
    return pngs


class Interrupt:
    """SIGINT and SIGTERM noted instead of raised, so the demo stops its run and reports."""

    def __init__(self) -> None:
        self.seen = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._note)
        signal.signal(signal.SIGTERM, self._note)

    def _note(self, _signo, _frame) -> None:
        self.seen = True


@dataclasses.dataclass
class Outcome:
    """How one run ended."""
    run_dir: str
    stop_status: int = 0
    stop_output: str = ""
    late: bool = False
    interrupted: bool = False
    left: list[str] = dataclasses.field(default_factory=list)


def new_run_dir(prefix: str) -> str:
    os.makedirs("build/runs", exist_ok=True)
    return os.path.join(os.path.realpath("build/runs"),
                        f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")


def run_once(run_dir: str, duration: int, stats: int, build_dir: str, idle: str | None,
             interrupt: Interrupt, follow: bool) -> Outcome:
    """Starts the five processes in `run_dir`, shows their status lines when `follow`, waits
    for the clients to end (at most duration + 20 s) and stops everything."""
    clients = processes.clients()
    names = ["exchange"] + [c.name for c in clients]
    outcome = Outcome(run_dir)
    stopped = False
    try:
        run.start(run_dir, duration=duration, stats=stats, build_dir=build_dir, do_build=False,
                  idle=idle)
        follower = LineFollower(run_dir, names) if follow else None
        if follower:
            print()
        deadline = time.monotonic() + duration + 20
        while True:
            if follower:
                follower.show()
            if all(run.read_rc(run_dir, c.name) is not None for c in clients):
                break
            if interrupt.seen:
                break
            if time.monotonic() >= deadline:
                outcome.late = True
                break
            time.sleep(0.5)
        if follower:
            follower.show()
        if interrupt.seen:
            print("demo: interrupted; stopping everything")
        elif outcome.late:
            print(f"demo: the clients had not ended {duration + 20} s after the start; "
                  f"stopping them", file=sys.stderr)
        else:
            print("demo: the clients ended; stopping the exchange")
        sys.stdout.flush()
        outcome.stop_status, outcome.stop_output = run.stop_captured(run_dir, 10)
        stopped = True
    finally:
        # Whatever happens (an error, Ctrl-C), nothing the demo started stays running.
        if not stopped and os.path.isfile(os.path.join(run_dir, "pids")):
            _, output = run.stop_captured(run_dir, 10)
            print(output)
    outcome.interrupted = interrupt.seen
    outcome.left = [f"{name} ({pid})" for name, pid in run.read_pids(run_dir)
                    if run.is_ours(pid, run_dir)]
    return outcome


def verdict(outcome: Outcome) -> int:
    """Prints why a run failed, or that it was clean; its exit code."""
    status = 0
    if outcome.left:
        print(f"demo: FAILED, still running: {' '.join(outcome.left)}", file=sys.stderr)
        status = 1
    if outcome.stop_status != 0:
        print("demo: FAILED, not every process ended cleanly (see the exit codes above)",
              file=sys.stderr)
        status = 1
    if outcome.late:
        print("demo: FAILED, the clients did not end by themselves in time", file=sys.stderr)
        status = 1
    if outcome.interrupted:
        print("demo: interrupted (every process stopped)")
        return 130
    if status == 0:
        print("demo: OK, every process ended cleanly and nothing is left running")
    return status


def live_demo(duration: int, stats: int, do_build: bool, build_dir: str = "build/release",
              idle: str | None = None) -> int:
    run.built_binaries(build_dir, do_build, ME)
    clients = processes.clients()
    names = ["exchange"] + [c.name for c in clients]
    run_dir = new_run_dir("demo")
    interrupt = Interrupt()
    interrupt.install()
    print(f"=== demo: starting the exchange and four clients for {duration} s (status "
          f"every {stats} s{f', idle {idle}' if idle else ''})", flush=True)
    outcome = run_once(run_dir, duration, stats, build_dir, idle, interrupt, follow=True)

    print_summary(run_dir, duration, outcome.stop_output, clients)
    print()
    plot(run_dir, duration, names)
    print()
    return verdict(outcome)


def compare_idle(duration: int, stats: int, do_build: bool, build_dir: str = "build/release",
                 json_path: str = "") -> int:
    """The demo once per idle strategy, one after the other, then the comparison table."""
    run.built_binaries(build_dir, do_build, ME)
    clients = [c.name for c in processes.clients()]
    top = new_run_dir("idle")
    interrupt = Interrupt()
    interrupt.install()
    modes = processes.IDLE_MODES
    print(f"=== demo: the exchange and four clients for {duration} s with each idle strategy "
          f"in turn ({', '.join(modes)}); everything is in {top}", flush=True)
    rows, status = [], 0
    for number, mode in enumerate(modes, 1):
        print(f"\n=== idle {mode} ({number} of {len(modes)}), {duration} s of trading",
              flush=True)
        outcome = run_once(os.path.join(top, mode), duration, stats, build_dir, mode,
                           interrupt, follow=False)
        for line in outcome.stop_output.splitlines():
            print("  " + line)
        code = verdict(outcome)
        rows.append(idle_compare.mode_figures(outcome.run_dir, mode, clients, code == 0))
        status = status or code
        if outcome.interrupted:
            status = 130
            break

    print(f"\n=== idle strategies compared ({duration} s of trading each, one run each; "
          f"everything is in {top})\n")
    for line in idle_compare.table(rows, clients):
        print(line)
    print()
    for line in idle_compare.legend():
        print(line)
    for path in [os.path.join(top, "compare.json")] + ([json_path] if json_path else []):
        idle_compare.write_json(path, rows, duration)
        print(f"table as JSON: {os.path.abspath(path)}")
    return status


def act(opts: dict) -> int:
    if opts["benchmarks"]:
        return run_benchmarks(opts["build"], opts["full"], opts["build_dir"])
    if opts["compare"]:
        return compare_idle(opts["duration"], opts["stats"], opts["build"], opts["build_dir"],
                            opts["compare_json"])
    return live_demo(opts["duration"], opts["stats"], opts["build"], opts["build_dir"],
                     opts["idle"])


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
