"""The exchange and its clients on separate hosts: network namespaces joined by a bridge
(scripts/netlab.sh, docs/deployment.md), every process inside one of them, addresses from
198.51.100.0/24 that exist only there, nothing added to the machine's own network.

The exchange runs on NAME-ex (order entry on 198.51.100.1, multicast sent out of that
address with TTL 1); market maker 1 and the random trader on NAME-c1, market maker 2 and the
liquidity taker on NAME-c2, each connecting to the exchange by address and joining the multicast
group on its own host's address; the market data checker (scripts/llt/md_check.py) on NAME-c1.
Part way through, NAME-c2's link to the bridge goes down for longer than the exchange's
heartbeat timeout, then up again. Checks: every process exits 0; the clients on NAME-c2 each
reconnected and recovered market data by replay or by snapshot (their summaries count it); every client's book equals
the exchange's at the client's last sequence number; every snapshot equals the stream; the
positions of each ticker sum to zero over the four clients; the exchange traded.

Needs root and `ip netns`; without them it prints why and exits 77 (ctest: skipped). Every
process started here is stopped here; the namespaces are deleted at the end, whatever happens.

    python3 tests/netns_test.py --build-dir DIR [--duration S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))

from llt import command, md_check, netlab, processes  # noqa: E402

SKIP = 77
EXCHANGE_PORT = 12345  # the lab's hosts have their own port spaces
HEARTBEAT_TIMEOUT_MS = 2000
# The random trader, the flow that moves the market, stays on c1: the market data published
# while c2 is cut off is what c2's clients must then recover.
HOST_OF = {"mm-1": "c1", "random": "c1", "mm-2": "c2", "taker": "c2"}
ON_C2 = [name for name, host in HOST_OF.items() if host == "c2"]
EVENT_LIMIT_S = 60  # how long an event of the run may take (a passing run waits only as long)
CLIENT_CAP_S = 600  # the clients' --duration: only a bound should this script die first


def skip_reason() -> str:
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is missing"
    probe = f"lltprobe{os.getpid() % 100000}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True,
                          check=False, timeout=20)
    if done.returncode != 0:
        return f"cannot create a network namespace: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False, timeout=20)
    return ""


class Run:
    def __init__(self, lab: str, work: str):
        self.lab = lab
        self.work = work
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, host: str, argv: list[str]) -> None:
        out = open(os.path.join(self.work, f"{name}.out"), "wb")  # noqa: SIM115
        env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE_DIR, "scripts"))
        self.procs[name] = subprocess.Popen(
            ["ip", "netns", "exec", netlab.namespace(self.lab, host), *argv], cwd=SOURCE_DIR,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        out.close()

    def wait(self, name: str, timeout: float) -> int | None:
        try:
            return self.procs[name].wait(timeout=max(0.1, timeout))
        except subprocess.TimeoutExpired:
            return None

    def stop(self, name: str, timeout: float = 10) -> int:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def stop_all(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def tail(self, name: str, lines: int = 15) -> str:
        try:
            with open(os.path.join(self.work, f"{name}.out"), encoding="utf-8",
                      errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


def status(run: Run, name: str) -> dict:
    """What a client's last status line (one a second) says of its session and market data."""
    try:
        with open(os.path.join(run.work, f"{name}.out"), encoding="utf-8",
                  errors="replace") as f:
            lines = [line for line in f if line.startswith("trading: client ")]
    except OSError:
        return {}
    if not lines:
        return {}
    line = lines[-1]

    def number(label: str) -> int:
        at = line.find(label + " ")
        if at < 0:
            return 0
        digits = line[at + len(label) + 1:].split(maxsplit=1)[0].rstrip(",)")
        return int(digits) if digits.isdigit() else 0

    return {"logged_on": "session logged on" in line, "reconnects": number("(reconnects"),
            "recoveries": number("md recoveries"), "recovering": "(recovering)" in line}


def wait_until(done, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return done()


def load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def scenario(opts: argparse.Namespace, lab: str, work: str) -> list[str]:
    exchange_bin = os.path.join(opts.build_dir, "exchange", "exchange")
    trading_bin = os.path.join(opts.build_dir, "trading", "trading")
    rng = random.Random()
    group = f"239.255.{200 + rng.randrange(50)}.{1 + rng.randrange(254)}"
    port = 20000 + 2 * rng.randrange(5000)
    ex_addr = netlab.address("ex")
    channel = ["--multicast-addr", group, "--multicast-port", str(port), "--threading",
               "shared", "--stats-interval", "1"]
    run = Run(lab, work)
    failures: list[str] = []
    try:
        clients = processes.clients()
        dumps = [f"{c.name}={work}/{c.name}.book={c.tickers}" for c in clients]
        run.start("md_check", "c1", [sys.executable, "-m", "llt.md_check", "--interface",
                                     netlab.address("c1"), group, str(port), str(port + 1),
                                     f"{work}/md_check.txt", *dumps])
        run.start("exchange", "ex", [
            exchange_bin, "--port", str(EXCHANGE_PORT), "--listen-addr", ex_addr, "--interface",
            ex_addr, "--tickers", processes.TICKERS, "--heartbeat-timeout-ms",
            str(HEARTBEAT_TIMEOUT_MS), *channel, "--summary-json", f"{work}/exchange.json"])
        time.sleep(1.0)
        if run.procs["exchange"].poll() is not None:
            return [f"the exchange did not start:\n{run.tail('exchange')}"]
        for client in clients:
            host = HOST_OF[client.name]
            run.start(client.name, host, [
                trading_bin, *client.args(), "--host", ex_addr, "--port", str(EXCHANGE_PORT),
                "--md-interface", netlab.address(host), *channel, "--duration",
                str(CLIENT_CAP_S), "--book-dump", f"{work}/{client.name}.book",
                "--summary-json", f"{work}/{client.name}.json"])
            if client.name.startswith("mm-"):
                time.sleep(0.3)  # the market makers quote first

        # Once NAME-c2's clients trade (logged on, market data synced), cut NAME-c2 off for
        # longer than the exchange's heartbeat timeout, then restore it. The clients run until
        # stopped here: after the cut, the c2 clients logged on again and recovered, and at
        # least --duration seconds in all.
        started = time.monotonic()

        def trading(name: str) -> bool:
            st = status(run, name)
            return bool(st) and st["logged_on"] and not st["recovering"]

        if not wait_until(lambda: all(trading(n) for n in ON_C2), EVENT_LIMIT_S):
            failures.append(f"the clients on c2 did not trade within {EVENT_LIMIT_S} s")
        time.sleep(opts.duration * 0.2)
        before = {n: status(run, n).get("recoveries", 0) for n in ON_C2}
        netlab.set_link(lab, "c2", "down")
        time.sleep(HEARTBEAT_TIMEOUT_MS / 1000 * 2)
        netlab.set_link(lab, "c2", "up")
        if not wait_until(lambda: all(trading(n) and status(run, n)["reconnects"] >= 1
                                      and status(run, n)["recoveries"] > before[n]
                                      for n in ON_C2), EVENT_LIMIT_S):
            failures.append(f"the clients on c2 did not log on again and recover within "
                            f"{EVENT_LIMIT_S} s of the link's return")
        time.sleep(max(2.0, opts.duration - (time.monotonic() - started)))

        for client in clients:
            code = run.stop(client.name, timeout=30)
            if code != 0:
                failures.append(f"{client.name} exited {code}:\n{run.tail(client.name)}")
        time.sleep(0.5)  # the checker hears the last records
        for name in ("exchange", "md_check"):
            code = run.stop(name)
            if code != 0:
                failures.append(f"{name} exited {code}:\n{run.tail(name)}")
    finally:
        run.stop_all()

    sums = {c.name: load(f"{work}/{c.name}.json") for c in clients}
    exchange = load(f"{work}/exchange.json")
    if not exchange or not all(sums.values()):
        missing = [n for n, s in (("exchange", exchange), *sums.items()) if not s]
        return failures + [f"no summary from {', '.join(missing)}"]
    if sum(exchange.get("trades_by_ticker", {}).values() or [0]) <= 0 and not exchange.get(
            "trades"):
        failures.append("the exchange made no trade")
    positions: dict[int, int] = {}
    for s in sums.values():
        for t in s.get("tickers", []):
            positions[t["ticker"]] = positions.get(t["ticker"], 0) + t["position"]
    for ticker, total in sorted(positions.items()):
        if total != 0:
            failures.append(f"ticker {ticker}: the clients' positions sum to {total}, not 0")
    for name in ON_C2:
        session = sums[name].get("session", {})
        md = sums[name].get("market_data", {})
        if session.get("reconnects", 0) < 1:
            failures.append(f"{name} (on c2) counted no reconnect after its link came back")
        # A recovery ends by a replay or by a snapshot (recoveries_completed counts only the
        # snapshot ones).
        if md.get("recoveries_by_replay", 0) + md.get("recoveries_by_snapshot", 0) < 1:
            failures.append(f"{name} (on c2) completed no market data recovery")
    try:
        with open(f"{work}/md_check.txt", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return failures + [f"the market data checker wrote nothing:\n{run.tail('md_check')}"]
    print(f"netns_test: market data checker:\n{text}", end="")
    counts = md_check.parse_counts(text.splitlines()[0] if text else "")
    if counts.get("errors", 1) != 0 or counts.get("snapshots_differ", 1) != 0:
        failures.append("the market data checker saw errors or differing snapshots")
    if counts.get("dumps_equal") != counts.get("dumps") or not counts.get("dumps"):
        failures.append(f"only {counts.get('dumps_equal')} of {counts.get('dumps')} client "
                        "books equal the exchange's")
    for name in ON_C2:
        s = sums[name]
        print(f"netns_test: {name}: reconnects {s['session'].get('reconnects')}, market data "
              f"gaps {s['market_data'].get('gaps_detected')}, recoveries by replay "
              f"{s['market_data'].get('recoveries_by_replay')}, by snapshot "
              f"{s['market_data'].get('recoveries_by_snapshot')}")
    print(f"netns_test: positions per ticker {positions}; sessions closed by cause "
          f"{exchange.get('sessions_closed_by_cause')}")
    return failures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--duration", type=int, default=16)
    parser.add_argument("--keep", default="", help="copy the run's files here")
    opts = parser.parse_args(argv)
    opts.build_dir = os.path.abspath(opts.build_dir)
    why = skip_reason()
    if why:
        print(f"netns_test: skipped: {why}")
        return SKIP
    lab = f"n{os.getpid() % 1000000}"
    work = tempfile.mkdtemp(prefix="llt_netns.")
    failures: list[str] = []
    try:
        netlab.up(lab)
        failures = scenario(opts, lab, work)
    except command.Exit as e:
        failures = [e.message]
    finally:
        try:
            netlab.down(lab, quiet=True)
        except command.Exit as e:
            failures.append(f"removing the lab: {e.message}")
        if opts.keep:
            shutil.copytree(work, opts.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    left = netlab.lab_namespaces(lab)
    if left:
        failures.append(f"namespaces left behind: {left}")
    if failures:
        print("netns_test: FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("netns_test: the exchange and four clients on three hosts traded; books equal, "
          "positions sum to zero, the cut-off host reconnected and recovered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
