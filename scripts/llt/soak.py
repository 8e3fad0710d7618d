"""Soak (scripts/soak.sh): runs the run's processes (processes.py) with the random trader at
a high rate for DURATION seconds on loopback, samples every process's resident memory,
records the exchange's market data (md_check.py), then stops everything and checks:
  - no process died: each ran to the end and exited 0 on SIGTERM;
  - every request answered: each client's session never dropped or refused a request, and
    its round-trip answers match its requests (bar the few in flight at the stop);
  - books converge: every snapshot the exchange published equals the books rebuilt from its
    incremental stream at that seq, and each client's --book-dump equals them at its seq;
  - memory flat after warm-up: the RSS samples after the first 20% of the run vary by at
    most 5% per process;
and prints the rejects by reason (the clients' and the exchange's, from their
--summary-json). Everything goes to one run folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from llt import command, md_check, processes, run, summary

ME = "scripts/soak.sh"
USAGE = f"""\
usage: {ME} DURATION [--rate ORDERS_PER_SECOND] [--dir DIR] [--build-dir DIR] [--no-build]

  DURATION           seconds of trading (>= 10)
  --rate N           the random trader's orders per second (default 2000)
  --sample S         seconds between RSS samples (default: DURATION / 60, 1 to 10)
  --dir DIR          run folder (default build/runs/soak-YYYYmmdd-HHMMSS-PID)
  --build-dir DIR    where exchange/exchange and trading/trading are (default build/release,
                     the only folder built here)
  --no-build         do not build; use the binaries as they are
Exit code 0 when every check passed, 1 when one failed, 2 on a usage error."""

STOP_TIMEOUT = 15  # seconds after SIGTERM before SIGKILL
MAX_UNANSWERED = 20  # requests that may be in flight when SIGTERM comes
MAX_RSS_SPREAD = 5.0  # percent, after warm-up


def parse(args: list[str]) -> dict:
    opts = {"duration": None, "rate": 2000, "sample": 0, "run_dir": "",
            "build_dir": "build/release", "build": True}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--rate":
            # The random trader's --orders-per-second takes at most 1,000,000.
            opts["rate"] = run.whole_number("--rate", run._value(args, i), 1, "a whole number",
                                            maximum=1_000_000)
        elif arg == "--sample":
            opts["sample"] = run.whole_number("--sample", run._value(args, i), 1)
        elif arg == "--dir":
            opts["run_dir"] = run._value(args, i)
        elif arg == "--build-dir":
            opts["build_dir"] = run._value(args, i)
        elif arg == "--no-build":
            opts["build"] = False
            i += 1
            continue
        elif arg in ("-h", "--help"):
            opts["help"] = True
            return opts
        elif arg.startswith("-"):
            raise command.UsageError(f"unknown argument '{arg}'")
        else:
            if opts["duration"] is not None:
                raise command.UsageError("one DURATION only")
            opts["duration"] = run.whole_number("DURATION", arg, 10, maximum=run.MAX_DURATION)
            i += 1
            continue
        i += 2
    if opts["duration"] is None:
        raise command.UsageError("DURATION is missing")
    if not opts["sample"]:
        opts["sample"] = min(max(opts["duration"] // 60, 1), 10)
    return opts


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class RssSampler(threading.Thread):
    """Appends "seconds name kib" for each live process every `interval` s to `path`."""

    def __init__(self, path: str, pids: dict[str, int], interval: int):
        super().__init__(daemon=True)
        self.path, self.pids, self.interval = path, pids, interval
        self.done = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        with open(self.path, "w", encoding="utf-8") as out:
            while not self.done.is_set():
                for name, pid in self.pids.items():
                    kib = rss_kib(pid)
                    if kib is not None:
                        out.write(f"{int(time.monotonic() - t0)} {name} {kib}\n")
                out.flush()
                self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


def rss_spread(samples: list[int]) -> float:
    """(max - min) / min in percent."""
    lo, hi = min(samples), max(samples)
    return 100.0 * (hi - lo) / lo if lo > 0 else 0.0


def read_rss(path: str, warm: int) -> dict[str, list[int]]:
    """The samples taken at or after `warm` seconds, per process, in order."""
    out: dict[str, list[int]] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                words = line.split()
                if len(words) == 3 and int(words[0]) >= warm:
                    out.setdefault(words[1], []).append(int(words[2]))
    except (OSError, ValueError):
        pass
    return out


def session_checks(name: str, s: dict | None) -> tuple[str, list[str]]:
    """The line printed for a client's requests and answers, and the failures."""
    if s is None:
        return "", [f"{name} printed no summary"]
    session = s["session"]
    requests = session["requests"]
    answers = summary.hop(s, "order_sent_to_response_read")["count"]
    unanswered = requests - answers
    line = (f"{name}: requests {requests}, answered {answers} (in flight at the stop "
            f"{unanswered}), logons {session['logons']}, disconnects {session['disconnects']}, "
            f"refused while down {session['refused_while_down']}, protocol errors "
            f"{session['protocol_errors']}")
    failures = []
    if session["logons"] != 1:
        failures.append(f"{name} logged on {session['logons']} times")
    if session["refused_while_down"] != 0:
        failures.append(f"{name} refused {session['refused_while_down']} requests while down")
    if session["protocol_errors"] != 0:
        failures.append(f"{name} saw {session['protocol_errors']} protocol errors")
    # Only the requests in flight when SIGTERM came may be unanswered (a handful at most).
    if unanswered < 0 or unanswered > MAX_UNANSWERED:
        failures.append(f"{name}: {unanswered} requests unanswered")
    return line, failures


def book_checks(counts: dict[str, int]) -> list[str]:
    """The failures among the market data checker's counts."""
    failures = []
    if counts.get("snapshots_differ", 1) != 0:
        failures.append(f"{counts.get('snapshots_differ')} snapshots differ from the stream")
    if counts.get("snapshots_equal", 0) <= 0:
        failures.append("no snapshot was checked")
    if counts.get("errors", 1) != 0:
        failures.append(f"the market data checker saw {counts.get('errors')} errors")
    if counts.get("dumps_equal") != counts.get("dumps"):
        failures.append(f"only {counts.get('dumps_equal')} of {counts.get('dumps')} client books "
                        f"equal the exchange's")
    return failures


class Soak:
    def __init__(self, opts: dict):
        self.opts = opts
        self.duration = opts["duration"]
        self.pids: dict[str, int] = {}
        self.killed: set[str] = set()
        self.recorder: subprocess.Popen | None = None
        self.sampler: RssSampler | None = None
        self.run_dir = ""
        self.status = 0

    def fail(self, why: str) -> None:
        print(f"FAIL: {why}")
        self.status = 1

    def launch(self, name: str, command: list[str]) -> None:
        self.pids[name] = run.launch(self.run_dir, name, command, ME)

    def stop_names(self, names: list[str]) -> None:
        """SIGTERM to the named processes, SIGKILL past STOP_TIMEOUT."""
        group = [(n, self.pids[n]) for n in names if n in self.pids]
        self.killed |= set(run.stop_group(self.run_dir, group, STOP_TIMEOUT, ME))

    def stop_recorder(self) -> None:
        if self.recorder is not None:
            self.recorder.terminate()
            try:
                self.recorder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.recorder.kill()
                self.recorder.wait()
            self.recorder = None

    def cleanup(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
            self.sampler = None
        for pid in self.pids.values():
            if run.is_ours(pid, self.run_dir):
                run._signal(pid, signal.SIGTERM)
        self.stop_recorder()

    def start(self) -> tuple[list[processes.Client], processes.Channel]:
        opts = self.opts
        exchange_bin, trading_bin = run.built_binaries(opts["build_dir"], opts["build"], ME)
        run_dir = opts["run_dir"]
        if not run_dir:
            os.makedirs("build/runs", exist_ok=True)
            run_dir = f"build/runs/soak-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        if os.path.exists(os.path.join(run_dir, "pids")):
            raise command.Exit(2, f"{ME}: {run_dir} already holds a run")
        os.makedirs(run_dir, exist_ok=True)
        self.run_dir = run_dir = os.path.realpath(run_dir)

        channel = processes.random_channel()
        if channel is None:
            raise command.Exit(1, f"{ME}: no free UDP port pair found")
        print(f"=== soak: {self.duration} s, random trader at {opts['rate']} orders/s; run "
              f"folder {run_dir}", flush=True)
        self.launch("exchange", processes.exchange_command(exchange_bin, run_dir, channel, 5))
        port = run.wait_for_port(run_dir)
        if port is None:
            err = ""
            try:
                with open(os.path.join(run_dir, "exchange.err"), encoding="utf-8") as f:
                    err = f.read()
            except OSError:
                pass
            raise command.Exit(1, f"{ME}: the exchange did not start:\n{err}".rstrip("\n"))

        # A loss limit the random trader never reaches, so it keeps sending at its rate.
        clients = processes.clients(random_rate=opts["rate"], random_max_loss=1000000000000)
        dumps = [f"{c.name}={run_dir}/{c.name}.book={c.tickers}" for c in clients]
        env = dict(os.environ, PYTHONPATH=run.SCRIPTS)
        with open(os.path.join(run_dir, "md_check.out"), "wb") as out:
            self.recorder = subprocess.Popen(
                [sys.executable, "-m", "llt.md_check", channel.group, str(channel.port),
                 str(channel.snapshot_port), f"{run_dir}/md_check.txt", *dumps],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        time.sleep(0.5)
        for client in clients:
            self.launch(client.name, processes.client_command(
                trading_bin, run_dir, client, port, channel, 5, latency_csv=False,
                book_dump=True))
            if client.name == "mm-2":
                time.sleep(0.3)  # the market makers quote first
        return clients, channel

    def watch(self) -> list[str]:
        """Runs for DURATION seconds, reporting processes that end early."""
        self.sampler = RssSampler(os.path.join(self.run_dir, "rss.txt"), dict(self.pids),
                                  self.opts["sample"])
        self.sampler.start()
        started = time.monotonic()
        died: list[str] = []
        next_line = 60
        while time.monotonic() - started < self.duration:
            time.sleep(1)
            elapsed = int(time.monotonic() - started)
            for name in self.pids:
                rc = run.read_rc(self.run_dir, name)
                if rc is not None and name not in died:
                    print(f"{ME}: {name} ended early (exit {rc}) after {elapsed} s",
                          file=sys.stderr)
                    died.append(name)
            if elapsed >= next_line:
                last = run.last_status_line(os.path.join(self.run_dir, "exchange.out"))
                if last:
                    print(f"[{elapsed}s] {last}", flush=True)
                next_line += 60
        self.sampler.stop()
        self.sampler = None
        return died

    def stop_all(self, clients: list[processes.Client]) -> None:
        # The clients (they write their book dumps), the market data checker, the exchange.
        self.stop_names([c.name for c in clients])
        time.sleep(1)  # the cancel-on-disconnect updates and one more snapshot
        self.stop_recorder()
        self.stop_names(["exchange"])
        for name in self.pids:
            deadline = time.monotonic() + 5
            while run.read_rc(self.run_dir, name) is None and time.monotonic() < deadline:
                time.sleep(0.1)

    def check(self, clients: list[processes.Client], died: list[str]) -> None:
        run_dir = self.run_dir
        print(f"\n=== soak results ({self.duration} s; everything is in {run_dir})\n")
        print("processes:")
        for name in self.pids:
            rc = run.read_rc(run_dir, name) or "unknown"
            note = " (killed with SIGKILL)" if name in self.killed else ""
            print(f"  {name} exit {rc}{note}")
            if rc != "0" or note:
                self.fail(f"{name} exit {rc}{note}")
        if died:
            self.fail(f"ended before the stop: {' '.join(died)}")

        sums = summary.load_run(run_dir, list(self.pids))
        print("\nrequests and answers (per client):")
        for client in clients:
            line, failures = session_checks(client.name, sums.get(client.name))
            if line:
                print(f"  {line}")
            for why in failures:
                self.fail(why)
        final = run.last_status_line(os.path.join(run_dir, "exchange.out"))
        print(f"  exchange: {final[len('exchange: '):]}")

        print("\nbooks:")
        try:
            with open(os.path.join(run_dir, "md_check.txt"), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            text = ""
        if text:
            for line in text.splitlines():
                print(f"  {line}")
            for why in book_checks(md_check.parse_counts(text.splitlines()[0])):
                self.fail(why)
        else:
            self.fail(f"the market data checker wrote nothing (see {run_dir}/md_check.out)")
            try:
                with open(os.path.join(run_dir, "md_check.out"), encoding="utf-8") as f:
                    print(f.read(), end="")
            except OSError:
                pass

        print(f"\nresident memory (KiB; samples every {self.opts['sample']} s, after the first "
              f"20% of the run):")
        rss = read_rss(os.path.join(run_dir, "rss.txt"), self.duration // 5)
        for name in self.pids:
            samples = rss.get(name, [])
            if len(samples) < 2:
                self.fail(f"{name}: fewer than 2 RSS samples after warm-up")
                continue
            spread = rss_spread(samples)
            print(f"  {name}: {len(samples)} samples, first {samples[0]}, min {min(samples)}, "
                  f"max {max(samples)}, last {samples[-1]} (spread {spread:.2f}%)")
            if round(spread, 2) > MAX_RSS_SPREAD:
                self.fail(f"{name} RSS varied {spread:.2f}% after warm-up")

        print("\nrejects by reason:")
        for client in clients:
            s = sums.get(client.name)
            if s is None:
                continue
            exchange_reasons = summary.by_reason(s["exchange_rejects_by_reason"])
            print(f"  {client.name}: orders sent {s['counters']['orders_sent']}, risk rejects "
                  f"{s['risk_rejects']} ({summary.by_reason(s['risk_rejects_by_reason'])}), "
                  f"exchange rejects {s['exchange_rejects']}"
                  + (f" ({exchange_reasons})" if exchange_reasons else ""))
        exchange = sums.get("exchange")
        if exchange is not None:
            print(f"  exchange: rejects {exchange['rejects']} "
                  f"({summary.by_reason(exchange['rejects_by_reason'], all_reasons=False)}); "
                  f"sessions closed by cause "
                  f"({summary.by_reason(exchange['sessions_closed_by_cause'], all_reasons=False)})")

        print()
        print("soak: PASS" if self.status == 0 else "soak: FAIL")


def act(opts: dict) -> int:
    soak = Soak(opts)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        clients, _ = soak.start()
        died = soak.watch()
        soak.stop_all(clients)
        soak.check(clients, died)
        return soak.status
    finally:
        soak.cleanup()


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
