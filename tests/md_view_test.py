"""The market data viewer (scripts/md_view.sh) against a live exchange, read off a terminal:
scripts/run_exchange_and_clients.sh starts the exchange and four clients of the build tree for
a bounded time, the viewer runs in a detached tmux session of a private tmux server (80 columns
by 60 rows), and the test reads the screen with `tmux capture-pane` until it shows the view
live, both tickers with a bid below the ask, a message rate and trades. Every process started
here is stopped here: the run with scripts/stop.sh, the tmux server with kill-server.
Standard library only; run by ctest (tests/CMakeLists.txt, test md_view_tmux); exit 77 (a
skip) when tmux is not installed.

    python3 tests/md_view_test.py --build-dir DIR
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(SOURCE_DIR, "scripts")
TICKER_LINE = re.compile(r"^ticker (\d+)   bid (\d+) x (\d+)   ask (\d+) x (\d+)   last ")
RATE_LINE = re.compile(r"^records/s ([\d,]+) ")
TRADE_LINE = re.compile(r"^  \d\d:\d\d:\d\d\.\d{3}  ticker \d+  (buy|sell) +\d+ @ \d+$")
SKIP = 77


def run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def screen_problems(screen: str) -> list[str]:
    """What the screen still lacks (empty when it shows everything checked)."""
    lines = screen.splitlines()
    problems = []
    if not lines or not lines[0].startswith("LIVE   "):
        problems.append("the first line does not say LIVE")
    tickers = {}
    for line in lines:
        match = TICKER_LINE.match(line)
        if match:
            tickers[int(match.group(1))] = [int(g) for g in match.groups()[1:]]
    for ticker in (1, 2):
        if ticker not in tickers:
            problems.append(f"no line with both a bid and an ask for ticker {ticker}")
        elif not tickers[ticker][0] < tickers[ticker][2]:
            problems.append(f"ticker {ticker}: the bid {tickers[ticker][0]} is not below the "
                            f"ask {tickers[ticker][2]}")
    rates = [RATE_LINE.match(line) for line in lines]
    if not any(m and int(m.group(1).replace(",", "")) > 0 for m in rates):
        problems.append("no record rate above 0")
    if not any(TRADE_LINE.match(line) for line in lines):
        problems.append("no trade in the last trades")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--timeout", type=float, default=40.0)
    opts = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        print("md_view_test: tmux is not installed (scripts/install_deps.sh installs it); "
              "skipped")
        return SKIP

    work = tempfile.mkdtemp(prefix="llt_md_view.")
    run_dir = os.path.join(work, "run")
    tmux = ["tmux", "-L", f"llt_md_view_{os.getpid()}"]
    started = False
    screen = ""
    try:
        out = run([os.path.join(SCRIPTS, "run_exchange_and_clients.sh"), "start", "--dir",
                   run_dir, "--duration", str(int(opts.timeout) + 20), "--stats-interval", "0",
                   "--no-build", "--build-dir", opts.build_dir], timeout=120)
        started = True
        if out.returncode != 0:
            print(f"md_view_test: the run did not start:\n{out.stdout}{out.stderr}")
            return 1
        viewer = (f"cd {SCRIPTS} && exec env PYTHONPATH={SCRIPTS} python3 -m llt.md_view "
                  f"--run {run_dir} --refresh 0.5 --levels 3")
        out = run([*tmux, "new-session", "-d", "-s", "view", "-x", "80", "-y", "60", viewer],
                  timeout=20)
        if out.returncode != 0:
            print(f"md_view_test: tmux new-session failed: {out.stderr}")
            return 1
        deadline = time.monotonic() + opts.timeout
        problems = ["nothing read yet"]
        while time.monotonic() < deadline:
            time.sleep(1.0)
            out = run([*tmux, "capture-pane", "-p", "-t", "view"], timeout=20)
            if out.returncode != 0:
                problems = [f"capture-pane failed (the viewer exited?): {out.stderr.strip()}"]
                break
            screen = out.stdout
            problems = screen_problems(screen)
            if not problems:
                break
        print(f"md_view_test: the screen:\n{screen}")
        if problems:
            print("md_view_test: FAILED: " + "; ".join(problems))
            return 1
        print("md_view_test: the viewer shows both books live, the message rate and trades")
        return 0
    finally:
        run([*tmux, "kill-server"], timeout=20)
        if started:
            run([os.path.join(SCRIPTS, "stop.sh"), run_dir], timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
