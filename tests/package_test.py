"""The installed package (cmake/Install.cmake), end to end: `cmake --install` the build tree
into a temporary prefix, check what it holds and `--version` of both installed executables,
configure and build tests/package_consumer against the prefix with find_package(llt), start
the installed exchange on a free loopback port, and run the consumer, which sends a LOGON and
exits 0 on LOGON_ACCEPTED. Every step is bounded in time; every process started here is
stopped here (its whole process group on a timeout) and the temporary directory is removed.
Standard library only; run by ctest (tests/CMakeLists.txt, test package_install).

    python3 tests/package_test.py --build-dir DIR [--cmake CMAKE] [--generator G] [--cxx CXX]
                                  [--build-type TYPE] [--sanitize=LIST]
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSUMER_DIR = os.path.join(SOURCE_DIR, "tests", "package_consumer")
PORT_LINE = re.compile(r"^exchange: order entry on 127\.0\.0\.1:([0-9]+);")
VERSION_LINE = r"^{} [0-9]+\.[0-9]+\.[0-9]+( \(commit [0-9a-f]+\))?\n$"


class Failure(Exception):
    """A step failed; the message says which and why."""


class Interrupted(Exception):
    pass


def _interrupted(signo, _frame):
    raise Interrupted(signal.Signals(signo).name)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to the process group of `proc` (a session leader) while it runs, then reaps it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def step(what: str, cmd: list[str], timeout: float, **kwargs) -> str:
    """Runs `cmd` in a session of its own (compilers and ninja die with it on a timeout);
    returns its output (stdout and stderr), raises Failure on a timeout or a non-zero exit."""
    print(f"package_test: {what}: {' '.join(cmd)}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kwargs)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise Failure(f"{what}: timed out after {timeout:g} s") from None
    finally:
        kill_group(proc)
    if proc.returncode != 0:
        raise Failure(f"{what}: exit code {proc.returncode}\n{out}")
    return out


def check_installed(prefix: str) -> str:
    """The files the package must hold; returns the directory of lltConfig.cmake."""
    found: dict[str, str] = {}
    sources = []
    for root, _dirs, files in os.walk(prefix):
        for name in files:
            path = os.path.join(root, name)
            found.setdefault(name, path)
            if name.endswith(".cpp"):
                sources.append(os.path.relpath(path, prefix))
    if sources:
        raise Failure(f"install: .cpp files installed: {sources}")
    for rel in ["bin/exchange", "bin/trading", "include/llt/version.h",
                "include/llt/common/cli/process_main.h", "include/llt/common/net/tcp_connection.h",
                "include/llt/exchange/protocol/client_request.h",
                "include/llt/exchange/protocol/client_response.h"]:
        if not os.path.isfile(os.path.join(prefix, rel)):
            raise Failure(f"install: {rel} is missing from the prefix")
    for name in ["libllt_common.a", "lltConfig.cmake", "lltConfigVersion.cmake",
                 "lltTargets.cmake"]:
        if name not in found:
            raise Failure(f"install: {name} is missing from the prefix")
    targets = open(found["lltTargets.cmake"], encoding="utf-8").read()
    for target in ["llt::common", "llt::protocol"]:
        if target not in targets:
            raise Failure(f"install: lltTargets.cmake does not define {target}")
    if "-fsanitize" in targets or "LLT_SANITIZED" in targets:
        raise Failure("install: the exported targets carry the sanitizer flags")
    return os.path.dirname(found["lltConfig.cmake"])


def check_version(binary: str, name: str) -> None:
    out = step(f"{name} --version", [binary, "--version"], 30)
    if not re.match(VERSION_LINE.format(name), out):
        raise Failure(f"{name} --version printed {out!r}, not one line '{name} X.Y.Z (commit H)'")
    print(f"package_test: {out.strip()}", flush=True)


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def start_exchange(binary: str, work: str) -> tuple[subprocess.Popen, int, queue.Queue]:
    """The installed exchange on 127.0.0.1, any free order entry port, a random multicast
    channel (ports 10000-19998, away from the C++ tests' 20000-32000) and no market data
    replay port; returns it, its order entry port and the queue of its stdout lines."""
    rng = random.Random()
    group = f"239.255.{200 + rng.randrange(50)}.{1 + rng.randrange(254)}"
    md_port = 10000 + 2 * rng.randrange(5000)
    cmd = [binary, "--port", "0", "--tickers", "1", "--multicast-addr", group,
           "--multicast-port", str(md_port), "--md-replay-port", "0", "--max-orders", "4096",
           "--md-replay-depth", "4096", "--stats-interval", "0",
           "--log-file", os.path.join(work, "exchange.log")]
    print(f"package_test: starting the exchange: {' '.join(cmd)}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + 60
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure("exchange: no start-up line within 60 s")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise Failure(f"exchange: exited before listening (exit code {proc.wait()})")
            print(f"  exchange | {line.rstrip()}", flush=True)
            match = PORT_LINE.match(line)
            if match:
                return proc, int(match.group(1)), lines
    except BaseException:
        kill_group(proc)
        raise


def stop_exchange(proc: subprocess.Popen, lines: queue.Queue) -> None:
    """SIGTERM, then its exit code must be 0 within 30 s (SIGKILL past that: a failure)."""
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise Failure("exchange: still running 30 s after SIGTERM (killed)") from None
    while True:
        try:
            line = lines.get(timeout=5)
        except queue.Empty:
            break
        if line is None:
            break
        print(f"  exchange | {line.rstrip()}", flush=True)
    if code != 0:
        raise Failure(f"exchange: exit code {code} after SIGTERM")


def run(opts: argparse.Namespace, work: str) -> None:
    prefix = os.path.join(work, "prefix")
    step("install", [opts.cmake, "--install", opts.build_dir, "--prefix", prefix], 300)
    config_dir = check_installed(prefix)
    print(f"package_test: installed; the package config is in {os.path.relpath(config_dir, work)}",
          flush=True)
    check_version(os.path.join(prefix, "bin", "exchange"), "exchange")
    check_version(os.path.join(prefix, "bin", "trading"), "trading")

    consumer = os.path.join(work, "consumer")
    configure = [opts.cmake, "-S", CONSUMER_DIR, "-B", consumer, f"-DCMAKE_PREFIX_PATH={prefix}",
                 f"-DCMAKE_BUILD_TYPE={opts.build_type}"]
    if opts.generator:
        configure += ["-G", opts.generator]
    if opts.cxx:
        configure += [f"-DCMAKE_CXX_COMPILER={opts.cxx}"]
    if opts.sanitize:
        # A sanitized llt_common needs the sanitizer runtime at link time, and its headers
        # the same LLT_SANITIZED the library was built with (cmake/Sanitizers.cmake).
        configure += [f"-DCMAKE_CXX_FLAGS=-fsanitize={opts.sanitize} -fno-omit-frame-pointer "
                      "-DLLT_SANITIZED=1",
                      f"-DCMAKE_EXE_LINKER_FLAGS=-fsanitize={opts.sanitize}"]
    step("configure the consumer", configure, 300)
    step("build the consumer", [opts.cmake, "--build", consumer], 600)
    client = os.path.join(consumer, "logon_client")

    exchange, port, lines = start_exchange(os.path.join(prefix, "bin", "exchange"), work)
    try:
        out = step("LOGON from the consumer", [client, str(port), "1"], 60)
        print(out, end="", flush=True)
        if "LOGON_ACCEPTED" not in out:
            raise Failure("the consumer's output does not show LOGON_ACCEPTED")
        stop_exchange(exchange, lines)
    finally:
        kill_group(exchange)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--generator", default="")
    parser.add_argument("--cxx", default="")
    parser.add_argument("--build-type", default="Release")
    parser.add_argument("--sanitize", default="")
    opts = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    work = tempfile.mkdtemp(prefix="llt-package-")
    try:
        run(opts, work)
    except Failure as failure:
        print(f"package_test: FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    except Interrupted as interrupted:
        print(f"package_test: interrupted ({interrupted})", file=sys.stderr, flush=True)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("package_test: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
