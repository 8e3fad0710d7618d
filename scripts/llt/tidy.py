"""clang-tidy (scripts/tidy.sh): runs clang-tidy 14 with the repository's .clang-tidy
(bugprone, performance, concurrency) over the project's .cpp files listed in the
compile_commands.json of the release preset (configured here if it is not; nothing is built),
two files at a time. Prints one line per file and the findings of each file that has any;
exits 1 on any finding, 2 on a usage error. Installs nothing (scripts/install_deps.sh
installs clang-tidy).

Each clang-tidy writes to a log of its own and only this process prints, one whole line per
file when it ends, so parallel runs never interleave; every file ends as ok or failed, so a
file that was never checked cannot pass as clean. A clang-tidy still running after
FILE_TIMEOUT seconds is killed and its file counts as failed."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from llt import bounded, command

ME = "scripts/tidy.sh"
USAGE = f"""\
usage: {ME} [--jobs N] [--build-dir DIR] [PATH_REGEX]...
  --jobs N         clang-tidy processes at once (default 2)
  --build-dir DIR  use DIR/compile_commands.json as it is instead of configuring
                   build/release with `cmake --preset release`
  PATH_REGEX       only the files whose repository-relative path matches one of these
                   extended regexes, e.g. '^common/' or 'order_book'"""

TIDY_NAMES = ("clang-tidy-14", "clang-tidy")
DEFAULT_BUILD_DIR = "build/release"
# The project's own translation units; anything under build/ (generated) or outside the
# source folders is skipped.
OWN_FILE = re.compile(r"(common|exchange|trading|benchmarks|tests)/.*\.cpp")
FILE_TIMEOUT = 600  # seconds for one file; the slowest takes well under a minute
CONFIGURE_TIMEOUT = 300  # seconds for `cmake --preset release`
POLL = 0.05  # seconds between looks at the running clang-tidy processes

# POSIX bracket classes and GNU word boundaries of extended regexes that Python's re spells
# differently; everything else of ERE means the same in re.
_ERE_CLASSES = {
    "[:alpha:]": "a-zA-Z", "[:digit:]": "0-9", "[:alnum:]": "a-zA-Z0-9", "[:upper:]": "A-Z",
    "[:lower:]": "a-z", "[:space:]": r"\s", "[:blank:]": r" \t", "[:xdigit:]": "0-9A-Fa-f",
    "[:punct:]": r"!-/:-@\[-`{-~", "[:word:]": r"\w",
}


@dataclass(frozen=True)
class Options:
    jobs: int = 2
    build_dir: str = ""  # "" = configure and use build/release
    filters: tuple[str, ...] = ()
    help: bool = False


def parse(args: list[str]) -> Options:
    """The command line; raises command.UsageError (exit code 2) on a bad one. --help wins over a
    bad --jobs value given before it."""
    jobs, build_dir, filters = "2", "", []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-h", "--help"):
            return Options(help=True)
        if arg in ("--jobs", "--build-dir"):
            if i + 1 >= len(args):
                raise command.UsageError(f"{arg}: needs a value")
            if arg == "--jobs":
                jobs = args[i + 1]
            else:
                build_dir = args[i + 1]
            i += 2
            continue
        if arg.startswith("-"):
            raise command.UsageError(f"unknown option '{arg}'")
        filters.append(arg)
        i += 1
    if not re.fullmatch(r"[1-9][0-9]*", jobs):
        raise command.UsageError(f"--jobs: expects a positive integer, got '{jobs}'")
    for pattern in filters:
        compile_filter(pattern)
    return Options(int(jobs), build_dir, tuple(filters))


def compile_filter(pattern: str) -> re.Pattern:
    """A POSIX extended regex as a Python pattern, for re.search; raises command.UsageError when
    it is not a valid one."""
    python = pattern.replace(r"\<", r"\b").replace(r"\>", r"\b")
    for posix, spelled in _ERE_CLASSES.items():
        python = python.replace(posix, spelled)
    try:
        return re.compile(python)
    except re.error as e:
        raise command.UsageError(f"PATH_REGEX: '{pattern}' is not a valid regular expression "
                             f"({e})") from None


def translation_units(entries: object, root: str) -> list[str]:
    """The repository-relative paths of the project's own .cpp files among the entries of a
    compile_commands.json, once each, sorted. `root` is the repository's real path."""
    if not isinstance(entries, list):
        return []
    prefix = root.rstrip("/") + "/"
    files = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        path = entry["file"]
        if not os.path.isabs(path):
            path = os.path.join(str(entry.get("directory", "")), path)
        if path.startswith(prefix) and OWN_FILE.fullmatch(path[len(prefix):]):
            files.add(path[len(prefix):])
    return sorted(files)


def without_gcc_pch(entries: list) -> list:
    """The entries with GCC's precompiled-header arguments removed (`-Winvalid-pch` and
    `-include <dir>/cmake_pch.hxx`, which the test files get from tests/CMakeLists.txt):
    clang-tidy cannot read a GCC .gch, and without it the header's includes still come from the
    file's own #include lines."""
    cleaned = []
    for entry in entries:
        if not isinstance(entry, dict):
            cleaned.append(entry)
            continue
        entry = dict(entry)
        if isinstance(entry.get("command"), str):
            words = shlex.split(entry["command"])
            entry["command"] = shlex.join(_drop_pch_words(words))
        if isinstance(entry.get("arguments"), list):
            entry["arguments"] = _drop_pch_words(entry["arguments"])
        cleaned.append(entry)
    return cleaned


def _drop_pch_words(words: list) -> list:
    kept, skip = [], False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "-Winvalid-pch":
            continue
        if (word == "-include" and i + 1 < len(words)
                and str(words[i + 1]).endswith("cmake_pch.hxx")):
            skip = True
            continue
        kept.append(word)
    return kept


def select(files: list[str], filters: tuple[str, ...]) -> list[str]:
    """The files matching at least one filter (all of them without filters)."""
    if not filters:
        return list(files)
    patterns = [compile_filter(f) for f in filters]
    return [f for f in files if any(p.search(f) for p in patterns)]


def result_line(ok: bool, file: str, seconds: int) -> str:
    return f"tidy: {'ok  ' if ok else 'FAIL'}  {file:<68} {seconds:4d}s"


@dataclass
class Result:
    ok: bool
    seconds: int
    log: str  # clang-tidy's output for this file


def check_files(files: list[str], argv_of: Callable[[str], list[str]], jobs: int, logs: str,
                timeout: float = FILE_TIMEOUT, out: TextIO | None = None) -> dict[str, Result]:
    """Runs argv_of(file) for every file, `jobs` at a time, each with its output in a log of
    its own under `logs`; prints result_line() to `out` as each one ends. A command still
    running after `timeout` seconds is killed and its file fails. Every process started here
    is gone when this returns or raises (including on Interrupted). Raises OSError when a
    command cannot be started."""
    out = out or sys.stdout
    pending = list(files)
    running: list[tuple[subprocess.Popen, str, float, str]] = []
    results: dict[str, Result] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                file = pending.pop(0)
                log = os.path.join(logs, file.replace("/", "_") + ".log")
                with open(log, "wb") as f:
                    proc = bounded.popen(argv_of(file), stdin=subprocess.DEVNULL, stdout=f,
                                         stderr=subprocess.STDOUT)
                running.append((proc, file, time.monotonic(), log))
            time.sleep(POLL)
            still = []
            for proc, file, start, log in running:
                elapsed = time.monotonic() - start
                if proc.poll() is None and elapsed < timeout:
                    still.append((proc, file, start, log))
                    continue
                timed_out = proc.poll() is None
                bounded.kill(proc)
                with open(log, "a", encoding="utf-8") as f:
                    if timed_out:
                        f.write(f"{ME}: clang-tidy timed out after {timeout:g} s on {file} "
                                f"(killed)\n")
                with open(log, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                ok = not timed_out and proc.returncode == 0
                results[file] = Result(ok, int(elapsed), text)
                print(result_line(ok, file, int(elapsed)), file=out, flush=True)
            running = still
    finally:
        for proc, *_ in running:
            bounded.kill(proc)
    return results


def find_tidy() -> str | None:
    return next((name for name in TIDY_NAMES if shutil.which(name)), None)


def tidy(opts: Options) -> int:
    tidy_bin = find_tidy()
    if tidy_bin is None:
        raise command.Exit(1, f"{ME}: clang-tidy not found (scripts/install_deps.sh installs it)")

    build_dir = opts.build_dir
    if not build_dir:
        # Re-running the configure step is cheap and picks up files added since the last one
        # (the source lists are globs).
        build_dir = DEFAULT_BUILD_DIR
        command.run_step(ME, ["cmake", "--preset", "release"], CONFIGURE_TIMEOUT, quiet=True)
    database = f"{build_dir}/compile_commands.json"
    if not os.path.isfile(database):
        raise command.Exit(1, f"{ME}: {database} not found (configure with "
                          f"CMAKE_EXPORT_COMPILE_COMMANDS=ON)")
    try:
        with open(database, encoding="utf-8") as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        raise command.Exit(1, f"{ME}: {database}: cannot read it ({e})") from None

    files = select(translation_units(entries, os.path.realpath(command.REPO)), opts.filters)
    if not files:
        raise command.Exit(1, f"{ME}: no translation unit in {database} matches")

    print(f"tidy: {tidy_bin} over {len(files)} files of {database}, {opts.jobs} at a time",
          flush=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llt_tidy.") as logs:
        database_dir = os.path.join(logs, "database")
        os.mkdir(database_dir)
        with open(os.path.join(database_dir, "compile_commands.json"), "w",
                  encoding="utf-8") as f:
            json.dump(without_gcc_pch(entries), f)
        try:
            results = check_files(files, lambda file: [tidy_bin, "-p", database_dir, "--quiet",
                                                       file], opts.jobs, logs)
        except OSError as e:
            raise command.Exit(1, f"{ME}: running clang-tidy failed ({e})") from None
    elapsed = int(time.monotonic() - start)

    failed = [f for f in files if f in results and not results[f].ok]
    passed = [f for f in files if f in results and results[f].ok]
    for file in failed:
        sys.stdout.write(results[file].log)
    sys.stdout.flush()
    if failed:
        print(f"tidy: findings in {len(failed)} of {len(files)} files ({elapsed} s)",
              file=sys.stderr)
        return 1
    if len(passed) != len(files):
        print(f"tidy: only {len(passed)} of {len(files)} files were checked ({elapsed} s)",
              file=sys.stderr)
        return 1
    print(f"tidy: clean, {len(files)} files ({elapsed} s)")
    return 0


def act(opts: Options) -> int:
    bounded.signals()
    return tidy(opts)


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act, interrupted="every clang-tidy stopped")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
