"""A run: the exchange and its four clients in the background, everything they write in one
run folder (NAME.out: start line, status lines, text summary; NAME.err; NAME.log; NAME.csv:
latency histograms; NAME.stats.csv: figures over time; NAME.json: the exit summary; NAME.cpu: the CPU seconds it used and
NAME.rc: the exit code, once it ended; pids: "NAME PID" per line). `stop` ends exactly
those pids: a pid is signalled only while its command line names the run folder, so a
recycled pid is never signalled.

    python3 -m llt.run [start|stop|status] ...   (scripts/run_exchange_and_clients.sh)
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

from llt import command, processes, wrapper
from llt.command import REPO, Exit, UsageError

ME = "scripts/run_exchange_and_clients.sh"
SCRIPTS = os.path.join(REPO, "scripts")

USAGE = f"""\
usage: {ME} [start] [--dir DIR] [--duration SECONDS] [--stats-interval SECONDS]
                                       [--idle MODE] [--build-dir DIR] [--no-build]
       {ME} stop [DIR] [--timeout SECONDS]
       {ME} status [DIR]

start   builds Release (unless --no-build), starts the exchange on a free port and a
        multicast group and port chosen for this run, then the four clients; prints the run
        folder and returns while they run.
          --dir DIR             run folder (default: a new build/runs/YYYYmmdd-HHMMSS-PID,
                                also linked as build/runs/latest)
          --duration SECONDS    the clients exit by themselves after this (default 0: they
                                run until stopped); the exchange runs until stopped
          --stats-interval S    seconds between status lines (default 5)
          --idle MODE           spin, backoff or block, given to all five processes (default:
                                not given, the executables' default, backoff)
          --build-dir DIR       where exchange/exchange and trading/trading are
                                (default build/release, the only folder built here)
stop    SIGTERM to the clients, then to the exchange, of that run folder (default
        build/runs/latest); waits up to --timeout seconds (default 10) for each group, SIGKILL
        only past it. Kills only pids recorded in DIR/pids whose command line names DIR.
        Exit code 0 when every process of the run ended with exit code 0 and none was killed.
status  whether each process of the run is alive, and its last status line."""

STATUS_LINE = re.compile(r"^(exchange: sessions|trading: client [0-9]+ \[)")
PORT_LINE = re.compile(r"^exchange: order entry on 127\.0\.0\.1:([0-9]+);", re.M)


# The longest --duration the trading client takes (a year of seconds): a script refuses more
# before it starts anything, instead of the clients exiting on it one by one.
MAX_DURATION = 31_536_000


def whole_number(flag: str, value: str, minimum: int = 0, what: str = "a whole number of seconds",
                 maximum: int | None = None) -> int:
    # ASCII digits only: str.isdigit() and int() also take other scripts' digits.
    pattern = r"[0-9]+" if minimum == 0 else r"[1-9][0-9]*"
    if not re.fullmatch(pattern, value, flags=re.ASCII) or int(value) < minimum:
        suffix = f" >= {minimum}" if minimum > 0 else ""
        raise UsageError(f"{flag} '{value}' is not {what}{suffix}")
    if maximum is not None and int(value) > maximum:
        raise UsageError(f"{flag} '{value}' is out of range {minimum}-{maximum}")
    return int(value)


def idle_mode(flag: str, value: str) -> str:
    """An --idle value the executables take: spin, backoff or block."""
    if value not in processes.IDLE_MODES:
        raise UsageError(f"{flag} '{value}' is not one of: {', '.join(processes.IDLE_MODES)}")
    return value


def abs_dir(path: str, me: str = ME, what: str = "run folder") -> str:
    """The absolute, symlink-free path of an existing folder."""
    if not os.path.isdir(path):
        raise Exit(2, f"{me}: no {what} '{path}'")
    return os.path.realpath(path)


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def is_ours(pid: int, run_dir: str) -> bool:
    """True when `pid` is alive and was started for run folder `run_dir`: every process of a
    run has the folder in its command line (--log-file DIR/NAME.log). A zombie has an empty
    command line and counts as ended."""
    return pid > 0 and f"{run_dir}/" in cmdline(pid)


def read_pids(run_dir: str, me: str = ME) -> list[tuple[str, int]]:
    path = os.path.join(run_dir, "pids")
    if not os.path.isfile(path):
        raise Exit(2, f"{me}: {path} not found: not a run folder")
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if len(words) >= 2 and words[1].isdigit():
                entries.append((words[0], int(words[1])))
    return entries


def pid_of(run_dir: str, name: str) -> int:
    for n, pid in read_pids(run_dir):
        if n == name:
            return pid
    return 0


def read_rc(run_dir: str, name: str) -> str | None:
    try:
        with open(os.path.join(run_dir, f"{name}.rc"), encoding="utf-8") as f:
            text = f.read().strip()
    except OSError:
        return None
    return text or None


def read_cpu(run_dir: str, name: str) -> tuple[float, float] | None:
    """The user and system CPU seconds the process used, as its supervisor wrote them when
    it reaped it (NAME.cpu); None before it ended, or for a run of an older supervisor."""
    try:
        with open(os.path.join(run_dir, f"{name}.cpu"), encoding="utf-8") as f:
            words = f.read().split()
        return float(words[0]), float(words[1])
    except (OSError, ValueError, IndexError):
        return None


def wait_gone(run_dir: str, pids: list[int], timeout: float) -> bool:
    """Waits until none of `pids` is alive and ours, or the timeout. True when none is."""
    deadline = time.monotonic() + timeout
    while True:
        if not any(is_ours(pid, run_dir) for pid in pids):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def stop_group(run_dir: str, group: list[tuple[str, int]], timeout: float, me: str = ME
               ) -> list[str]:
    """SIGTERM to the processes of `group` that are still ours, SIGKILL to any alive after
    the timeout. Returns the names of those killed."""
    for _, pid in group:
        if is_ours(pid, run_dir):
            _signal(pid, signal.SIGTERM)
    pids = [pid for _, pid in group]
    if wait_gone(run_dir, pids, timeout):
        return []
    killed = []
    for name, pid in group:
        if is_ours(pid, run_dir):
            print(f"{me}: {name} (pid {pid}) still running {timeout:g} s after SIGTERM: SIGKILL",
                  file=sys.stderr)
            _signal(pid, signal.SIGKILL)
            killed.append(name)
    wait_gone(run_dir, pids, 5)
    return killed


def _signal(pid: int, signo: int) -> None:
    try:
        os.kill(pid, signo)
    except OSError:
        pass


def stop(run_dir: str, timeout: int = 10) -> int:
    """Stops the run: its clients first (so their sessions log out while the exchange still
    runs), then the exchange. Prints a line per process; 0 when each ended with exit code 0
    and none was killed."""
    entries = read_pids(run_dir)
    clients = [e for e in entries if e[0] != "exchange"]
    exchange = [e for e in entries if e[0] == "exchange"]
    killed = []
    if clients:
        killed += stop_group(run_dir, clients, timeout)
    if exchange:
        killed += stop_group(run_dir, exchange, timeout)

    # Each process's wrapper writes NAME.rc once it has reaped it.
    deadline = time.monotonic() + 5
    status = 0
    for name, pid in entries:
        while read_rc(run_dir, name) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        rc = read_rc(run_dir, name) or "unknown"
        if name in killed:
            print(f"stop: {name} (pid {pid}) killed with SIGKILL, exit {rc}")
            status = 1
        else:
            print(f"stop: {name} (pid {pid}) exit {rc}")
            if rc != "0":
                status = 1
    for name, pid in entries:
        if is_ours(pid, run_dir):
            print(f"stop: {name} (pid {pid}) is still running", file=sys.stderr)
            status = 1
    return status


def stop_captured(run_dir: str, timeout: int = 10) -> tuple[int, str]:
    """stop() with what it prints (stdout and stderr, in order) returned instead."""
    out = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    try:
        try:
            code = stop(run_dir, timeout)
        except Exit as e:
            if e.message:
                print(e.message)
            code = e.code
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue().rstrip("\n")


def last_status_line(path: str) -> str:
    last = ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if STATUS_LINE.match(line):
                    last = line.rstrip("\n")
    except OSError:
        pass
    return last


def status(run_dir: str) -> int:
    entries = read_pids(run_dir)
    print(f"run folder {run_dir}")
    for name, pid in entries:
        if is_ours(pid, run_dir):
            state = "running"
        elif (rc := read_rc(run_dir, name)) is not None:
            state = f"ended, exit {rc}"
        else:
            state = "ended"
        print(f"{name:<9} pid {pid:<8} {state}")
        last = last_status_line(os.path.join(run_dir, f"{name}.out"))
        if last:
            print(f"          {last}")
    return 0


def launch(run_dir: str, name: str, command: list[str], me: str = ME) -> int:
    """Starts `command` under a detached supervisor (wrapper.py: output in the run folder,
    "NAME PID" in pids, NAME.rc when it ends) and returns its pid once it has exec'd (its command line names
    the run folder), so a stop right after the start finds it."""
    sys.stdout.flush()
    sys.stderr.flush()
    wrapper.spawn_detached(run_dir, name, command)
    deadline = time.monotonic() + 5
    pid = 0
    while pid == 0:
        if os.path.exists(os.path.join(run_dir, "pids")):
            pid = pid_of(run_dir, name)
        if pid == 0:
            if time.monotonic() >= deadline:
                raise Exit(1, f"{me}: {name} did not start")
            time.sleep(0.05)
    while not is_ours(pid, run_dir) and read_rc(run_dir, name) is None:
        if time.monotonic() >= deadline:
            raise Exit(1, f"{me}: {name} (pid {pid}) did not start")
        time.sleep(0.02)
    return pid


def build(me: str = ME) -> None:
    """install_deps, then the Release build of both executables; exits with the first
    failing step's code."""
    for step in (["scripts/install_deps.sh"], ["cmake", "--preset", "release"],
                 ["cmake", "--build", "--preset", "release", "--target", "exchange", "trading"]):
        quiet = step[1:2] == ["--preset"]
        code = subprocess.run(step, stdout=subprocess.DEVNULL if quiet else None,
                              check=False).returncode
        if code != 0:
            raise Exit(code)


def is_default_build(build_dir: str) -> bool:
    """Whether build_dir is build/release, the only folder build() makes."""
    return os.path.abspath(build_dir) == os.path.abspath("build/release") or (
        os.path.isdir(build_dir) and os.path.isdir("build/release")
        and os.path.samefile(build_dir, "build/release"))


def built_binaries(build_dir: str, do_build: bool, me: str = ME) -> tuple[str, str]:
    """The two executables of build_dir, built first when do_build and build_dir is
    build/release. Another folder is checked before anything is built, and not built: the
    build makes build/release only."""
    if is_default_build(build_dir):
        if do_build:
            build(me)
    else:
        abs_dir(build_dir, me, "build folder (--build-dir)")
    return binaries(build_dir, me)


def binaries(build_dir: str, me: str = ME) -> tuple[str, str]:
    root = abs_dir(build_dir, me, "build folder (--build-dir)")
    exchange_bin = os.path.join(root, "exchange", "exchange")
    trading_bin = os.path.join(root, "trading", "trading")
    for binary in (exchange_bin, trading_bin):
        if not os.access(binary, os.X_OK):
            # Building makes build/release only: another --build-dir is built by hand.
            hint = "drop --no-build" if is_default_build(root) else "build that folder first"
            raise Exit(1, f"{me}: {binary} not built ({hint})")
    return exchange_bin, trading_bin


def wait_for_port(run_dir: str, timeout: float = 15) -> int | None:
    """The order entry port the exchange printed, None when it ended or the timeout passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(os.path.join(run_dir, "exchange.out"), encoding="utf-8",
                      errors="replace") as f:
                match = PORT_LINE.search(f.read())
            if match:
                return int(match.group(1))
        except OSError:
            pass
        if read_rc(run_dir, "exchange") is not None or time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def start(run_dir: str = "", duration: int = 0, stats: int = 5, build_dir: str = "build/release",
          do_build: bool = True, idle: str | None = None) -> str:
    """Starts a run (every process with --idle `idle`, when given); returns its folder."""
    exchange_bin, trading_bin = built_binaries(build_dir, do_build)

    link_latest = False
    if not run_dir:
        os.makedirs("build/runs", exist_ok=True)
        run_dir = f"build/runs/{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        link_latest = True
    if os.path.exists(os.path.join(run_dir, "pids")):
        raise Exit(2, f"{ME}: {run_dir} already holds a run (its pids file exists)")
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise Exit(2, f"{ME}: --dir '{run_dir}' is not a folder")
    os.makedirs(run_dir, exist_ok=True)
    run_dir = abs_dir(run_dir)
    if link_latest:
        tmp = f"build/runs/.latest-{os.getpid()}"
        os.symlink(os.path.basename(run_dir), tmp)
        os.replace(tmp, "build/runs/latest")

    channel = processes.random_channel()
    if channel is None:
        raise Exit(1, f"{ME}: no free UDP port pair found")
    launch(run_dir, "exchange", processes.exchange_command(exchange_bin, run_dir, channel, stats,
                                                             idle=idle))
    port = wait_for_port(run_dir)
    if port is None:
        err = ""
        try:
            with open(os.path.join(run_dir, "exchange.err"), encoding="utf-8",
                      errors="replace") as f:
                err = f.read()
        except OSError:
            pass
        stop_captured(run_dir, 2)
        raise Exit(1, f"{ME}: the exchange did not start; its stderr "
                      f"({run_dir}/exchange.err):\n{err}".rstrip("\n"))

    clients = processes.clients()
    for client in clients:
        launch(run_dir, client.name, processes.client_command(
            trading_bin, run_dir, client, port, channel, stats, duration=duration, idle=idle))

    with open(os.path.join(run_dir, "run.env"), "w", encoding="utf-8") as f:
        f.write(f"port={port}\nmulticast_addr={channel.group}\n"
                f"multicast_port={channel.port}\nduration={duration}\nstats_interval={stats}\n"
                f"idle={idle or 'default'}\n")

    print(f"run folder: {run_dir}")
    print(f"  {'exchange':<9} pid {pid_of(run_dir, 'exchange'):<8} order entry 127.0.0.1:{port}, "
          f"market data {channel.group}:{channel.port} (snapshots :{channel.snapshot_port}), "
          f"tickers {processes.TICKERS}, idle {idle or 'default (backoff)'}")
    for client in clients:
        print(f"  {client.name:<9} pid {pid_of(run_dir, client.name):<8} client "
              f"{client.client_id}, {client.description}")
    if duration > 0:
        print(f"  the clients stop by themselves after {duration} s; the exchange runs until "
              f"stopped")
    print("  NAME.out: status lines and the final summary; NAME.json: the summary as JSON; "
          "NAME.log: log; NAME.csv: latency; NAME.stats.csv: figures over time "
          "(scripts/plot_run.py DIR draws them)")
    print(f"  status: scripts/run_exchange_and_clients.sh status {run_dir}")
    print(f"  stop:   scripts/stop.sh {run_dir}")
    sys.stdout.flush()
    return run_dir


def _value(args: list[str], i: int) -> str:
    if i + 1 >= len(args):
        raise UsageError(f"{args[i]} needs a value")
    return args[i + 1]


def cmd_start(args: list[str]) -> int:
    opts = {"run_dir": "", "duration": 0, "stats": 5, "build_dir": "build/release",
            "do_build": True, "idle": None}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--dir":
            opts["run_dir"] = _value(args, i)
        elif arg == "--duration":
            opts["duration"] = whole_number("--duration", _value(args, i), maximum=MAX_DURATION)
        elif arg == "--stats-interval":
            opts["stats"] = whole_number("--stats-interval", _value(args, i))
        elif arg == "--idle":
            opts["idle"] = idle_mode("--idle", _value(args, i))
        elif arg == "--build-dir":
            opts["build_dir"] = _value(args, i)
        elif arg == "--no-build":
            opts["do_build"] = False
            i += 1
            continue
        elif arg in ("-h", "--help"):
            print(USAGE)
            return 0
        else:
            raise UsageError(f"unknown argument '{arg}'")
        i += 2
    start(**opts)
    return 0


def cmd_stop(args: list[str]) -> int:
    run_dir, timeout = "", 10
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--timeout":
            timeout = whole_number("--timeout", _value(args, i))
            i += 2
        elif arg in ("-h", "--help"):
            print(USAGE)
            return 0
        elif arg.startswith("-"):
            raise UsageError(f"unknown argument '{arg}'")
        else:
            if run_dir:
                raise UsageError("one run folder at most")
            run_dir = arg
            i += 1
    return stop(abs_dir(run_dir or "build/runs/latest"), timeout)


def cmd_status(args: list[str]) -> int:
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args and args[0].startswith("-"):
        raise UsageError(f"unknown argument '{args[0]}'")
    if len(args) > 1:
        raise UsageError("one run folder at most")
    return status(abs_dir(args[0] if args else "build/runs/latest"))


def dispatch(argv: list[str]) -> int:
    name = argv[0] if argv else "start"
    if name == "start":
        return cmd_start(argv[1:])
    if name == "stop":
        return cmd_stop(argv[1:])
    if name == "status":
        return cmd_status(argv[1:])
    if name in ("-h", "--help"):
        print(USAGE)
        return 0
    if name.startswith("-"):
        return cmd_start(argv)
    raise UsageError(f"unknown command '{name}'")


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, None, dispatch)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
