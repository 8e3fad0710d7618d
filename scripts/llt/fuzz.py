"""Fuzzing (scripts/fuzz.sh): builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and
runs each fuzz target of tests/fuzz for a bounded time on a scratch copy of its seed corpus
(the repository's corpus never grows), plus every saved finding of
tests/fuzz/regressions/<target>/ as a plain input. Prints the executions per target; exits 1
on any finding (crash, sanitizer report, broken invariant, leak, timeout) or when clang /
libFuzzer is missing, 2 on a usage error. Installs nothing.

Every process has a bound: libFuzzer stops itself at -max_total_time (SECONDS_PER_TARGET),
and is killed RUN_MARGIN seconds past it (RUNS_ONLY_TIMEOUT seconds with --runs alone); the
configure, the build and the replay of the saved findings have bounds of their own below.
A target killed at its bound counts as failed."""

from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from llt import bounded, command

ME = "scripts/fuzz.sh"
# The same list as LLT_FUZZ_TARGETS in tests/fuzz/CMakeLists.txt.
TARGETS = ("order_server_session", "market_data_sequencer", "matching_engine",
           "journal_recovery")
USAGE = f"""\
usage: {ME} [SECONDS_PER_TARGET] [--runs N] [--target NAME]... [--keep DIR]
  SECONDS_PER_TARGET  -max_total_time of each target (default 60)
  --runs N            stop each target after N executions instead (-runs=N); with a time
                      given too, whichever comes first
  --target NAME       only this target (repeatable): order_server_session,
                      market_data_sequencer, matching_engine, journal_recovery
  --keep DIR          leave findings and grown corpora in DIR instead of a temp dir"""

DEFAULT_SECONDS = 60
CONFIGURE_TIMEOUT = 300  # seconds for `cmake --preset fuzz`
BUILD_TIMEOUT = 3600  # seconds for `cmake --build --preset fuzz`
CLANG_TIMEOUT = 60  # seconds for `clang++-14 -print-resource-dir`
REPLAY_TIMEOUT = 600  # seconds for replaying a target's saved findings
RUN_MARGIN = 300  # seconds past -max_total_time before a target is killed
RUNS_ONLY_TIMEOUT = 3600  # seconds for a target given --runs and no time
# ASan's and UBSan's options unless set: leak checks stay on (detect_leaks=1 is ASan's
# default on Linux) and any report aborts.
SANITIZER_DEFAULTS = {"ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1",
                      "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
EXECUTIONS = "stat::number_of_executed_units:"


@dataclass(frozen=True)
class Options:
    seconds: int | None = DEFAULT_SECONDS
    runs: int | None = None
    targets: tuple[str, ...] = TARGETS
    keep: str = ""
    help: bool = False


def _positive(what: str, value: str) -> int:
    if not re.fullmatch(r"[1-9][0-9]*", value):
        raise command.UsageError(f"{what}: expects a positive whole number, got '{value}'")
    return int(value)


def parse(args: list[str]) -> Options:
    """The command line; raises command.UsageError (exit code 2) on a bad one."""
    seconds, runs, keep, targets = "", "", "", []
    needs = {"--runs": "a number", "--target": "a name", "--keep": "a directory"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-h", "--help"):
            return Options(help=True)
        if arg in needs:
            if i + 1 >= len(args):
                raise command.UsageError(f"{arg}: needs {needs[arg]}")
            value = args[i + 1]
            if arg == "--runs":
                runs = value
            elif arg == "--target":
                targets.append(value)
            else:
                keep = value
            i += 2
            continue
        if arg.startswith("-"):
            raise command.UsageError(f"unknown option '{arg}'")
        if seconds:
            raise command.UsageError(f"SECONDS_PER_TARGET: one only, got '{seconds}' and '{arg}'")
        seconds = arg
        i += 1
    seconds_n = _positive("SECONDS_PER_TARGET", seconds) if seconds else None
    runs_n = _positive("--runs", runs) if runs else None
    if seconds_n is None and runs_n is None:
        seconds_n = DEFAULT_SECONDS
    for target in targets:
        if target not in TARGETS:
            raise command.UsageError(f"--target: unknown target '{target}' (one of: "
                                 f"{' '.join(TARGETS)})")
    chosen = tuple(dict.fromkeys(targets)) or TARGETS  # each once, in the order given
    return Options(seconds_n, runs_n, chosen, keep)


def binary(target: str) -> str:
    return f"build/fuzz/tests/fuzz/{target}_fuzz"


def libfuzzer_args(target: str, seconds: int | None, runs: int | None, findings: str
                   ) -> list[str]:
    args = ["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048",
            f"-artifact_prefix={findings}/"]
    # The matching engine's books hold at most 24 orders and 16 levels: 512 bytes (73
    # requests) fill and sweep them many times over, and shorter inputs mean more executions
    # per second.
    if target == "matching_engine":
        args.append("-max_len=512")
    if seconds is not None:
        args.append(f"-max_total_time={seconds}")
    if runs is not None:
        args.append(f"-runs={runs}")
    return args


def run_label(seconds: int | None, runs: int | None) -> str:
    """"60s", "1000 runs" or "60s, 1000 runs"."""
    parts = ([f"{seconds}s"] if seconds is not None else []) + \
        ([f"{runs} runs"] if runs is not None else [])
    return ", ".join(parts)


def run_timeout(seconds: int | None) -> int:
    """The wall-clock bound of one target's run."""
    return seconds + RUN_MARGIN if seconds is not None else RUNS_ONLY_TIMEOUT


def executions(log: str) -> str:
    """The last number_of_executed_units of libFuzzer's final stats, "unknown" without."""
    found = "unknown"
    for line in log.splitlines():
        if line.startswith(EXECUTIONS):
            found = line[len(EXECUTIONS):].lstrip(" ")
    return found or "unknown"


def sanitizer_env(environ: dict[str, str]) -> dict[str, str]:
    env = dict(environ)
    for name, default in SANITIZER_DEFAULTS.items():
        env[name] = env.get(name) or default
    return env


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _tail(path: str, lines: int) -> None:
    sys.stdout.flush()
    text = "".join(_read(path).splitlines(keepends=True)[-lines:])
    sys.stderr.write(text)
    sys.stderr.flush()


def _err(message: str) -> None:
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)


def check_clang() -> None:
    """clang 14 and its libFuzzer runtime (Debian: clang-14, libclang-rt-14-dev)."""
    if shutil.which("clang++-14") is None:
        raise command.Exit(1, f"{ME}: clang++-14 not found; install clang-14 "
                          f"(scripts/install_deps.sh)")
    try:
        resource_dir = subprocess.run(["clang++-14", "-print-resource-dir"], check=True,
                                      capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                      timeout=CLANG_TIMEOUT).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise command.Exit(1, f"{ME}: clang++-14 -print-resource-dir failed ({e})") from None
    runtime = os.path.join(resource_dir, "lib", "linux",
                           f"libclang_rt.fuzzer-{platform.machine()}.a")
    if not os.path.isfile(runtime):
        raise command.Exit(1, f"{ME}: libFuzzer not found under {resource_dir}/lib/linux; "
                          f"install libclang-rt-14-dev")


def build() -> None:
    print("=== fuzz preset: configure and build", flush=True)
    for step, timeout, quiet in ((["cmake", "--preset", "fuzz"], CONFIGURE_TIMEOUT, True),
                                 (["cmake", "--build", "--preset", "fuzz"], BUILD_TIMEOUT,
                                  False)):
        command.run_step(ME, step, timeout, quiet)


def fuzz_target(target: str, opts: Options, work: str, env: dict[str, str]) -> tuple[bool, str]:
    """Replays the saved findings of `target`, then fuzzes it; (passed, summary line)."""
    program = binary(target)
    if not os.access(program, os.X_OK):
        _err(f"=== {target}: {program} was not built")
        return False, f"{target}: not built"
    corpus = os.path.join(work, target, "corpus")
    findings = os.path.join(work, target, "findings")
    log = os.path.join(work, target, "fuzz.log")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(findings, exist_ok=True)
    seeds = [p for p in sorted(glob.glob(f"tests/fuzz/corpus/{target}/*")) if os.path.isfile(p)]
    if not seeds:
        raise command.Exit(1, f"{ME}: no seed corpus in tests/fuzz/corpus/{target}/")
    for seed in seeds:
        shutil.copy(seed, corpus)

    # Saved findings first: each must now pass.
    regressions = sorted(glob.glob(f"tests/fuzz/regressions/{target}/*"))
    if regressions:
        print(f"=== {target}: {len(regressions)} saved finding(s)", flush=True)
        replay_log = os.path.join(work, target, "regressions.log")
        with open(replay_log, "wb") as f:
            try:
                status = bounded.run([program, *regressions], REPLAY_TIMEOUT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=f,
                                     stderr=subprocess.STDOUT)
            except bounded.TimedOut:
                status = None
        if status != 0:
            _tail(replay_log, 40)
            if status is None:
                _err(f"=== {target}: replaying the saved findings took over {REPLAY_TIMEOUT} s "
                     f"(killed)")
                return False, f"{target}: saved findings timed out"
            _err(f"=== {target}: a saved finding fails again")
            return False, f"{target}: saved finding fails"

    print(f"=== {target}: {run_label(opts.seconds, opts.runs)}", flush=True)
    limit = run_timeout(opts.seconds)
    with open(log, "wb") as f:
        try:
            status = bounded.run([program, *libfuzzer_args(target, opts.seconds, opts.runs,
                                                           findings), corpus],
                                 limit, env=env, stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT)
        except bounded.TimedOut:
            status = None
    execs = executions(_read(log))
    if status is None:
        _tail(log, 60)
        _err(f"=== {target}: no end {limit} s after the start, killed after {execs} "
             f"executions")
        return False, f"{target}: killed after {limit} s"
    if status != 0:
        _tail(log, 60)
        inputs = sorted(os.path.join(d, name) for d, _, names in os.walk(findings)
                        for name in names)
        _err(f"=== {target}: FINDING after {execs} executions (exit {status}); input: "
             f"{inputs[0] if inputs else ''}")
        if not opts.keep:
            saved = f"build/fuzz/findings/{target}"
            os.makedirs(saved, exist_ok=True)
            for path in glob.glob(os.path.join(findings, "*")):
                try:
                    shutil.copy(path, saved)
                except OSError:
                    pass
            _err(f"=== {target}: finding copied to {saved}/")
        return False, f"{target}: FINDING after {execs} executions"
    print(f"=== {target}: {execs} executions, no finding", flush=True)
    return True, f"{target}: {execs} executions, no finding"


def fuzz(opts: Options) -> int:
    check_clang()
    build()
    if opts.keep:
        try:
            os.makedirs(opts.keep, exist_ok=True)
        except OSError as e:
            raise command.Exit(1, f"{ME}: --keep: cannot create '{opts.keep}' ({e.strerror})"
                           ) from None
        work = os.path.abspath(opts.keep)
    else:
        work = tempfile.mkdtemp(prefix="llt_fuzz.")
    try:
        env = sanitizer_env(dict(os.environ))
        failed = False
        summary = []
        for target in opts.targets:
            passed, line = fuzz_target(target, opts, work, env)
            failed = failed or not passed
            summary.append(line)
        print("=== fuzz summary")
        for line in summary:
            print(f"  {line}")
        return 1 if failed else 0
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


def act(opts: Options) -> int:
    bounded.signals()
    return fuzz(opts)


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
