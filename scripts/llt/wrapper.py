"""Runs one process of a run and reaps it, detached from the command that started it (so a
run outlives `start`): supervise() starts the command with its stdout in DIR/NAME.out and
stderr in DIR/NAME.err, appends "NAME PID" to DIR/pids, reaps it with wait4 and writes the
CPU time it used (its rusage: "USER SYSTEM" seconds, all its threads over its whole life)
to DIR/NAME.cpu, then its exit code to DIR/NAME.rc (a death by signal N as 128 + N, as a
shell reports it)."""

from __future__ import annotations

import os
import signal
import subprocess


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _write(run_dir: str, file_name: str, text: str) -> None:
    """Writes DIR/FILE_NAME whole or not at all (a reader never sees half of it)."""
    tmp = os.path.join(run_dir, f".{file_name}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, os.path.join(run_dir, file_name))


def _write_rc(run_dir: str, name: str, rc: int) -> None:
    _write(run_dir, f"{name}.rc", f"{rc}\n")


def _reap(child: subprocess.Popen) -> tuple[int, float, float]:
    """Waits for `child`; its exit code as Popen reports it (-N: signal N), and its user and
    system CPU seconds."""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_utime, usage.ru_stime


def supervise(run_dir: str, name: str, command: list[str]) -> None:
    with open(os.path.join(run_dir, f"{name}.out"), "wb") as out, \
            open(os.path.join(run_dir, f"{name}.err"), "wb") as err:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                     preexec_fn=_default_signals)
        except OSError as e:
            err.write(f"{command[0]}: {e}\n".encode())
            err.flush()
            with open(os.path.join(run_dir, "pids"), "a", encoding="utf-8") as pids:
                pids.write(f"{name} 0\n")
            _write_rc(run_dir, name, 127)
            return
        with open(os.path.join(run_dir, "pids"), "a", encoding="utf-8") as pids:
            pids.write(f"{name} {child.pid}\n")
        rc, user, system = _reap(child)
    _write(run_dir, f"{name}.cpu", f"{user:.3f} {system:.3f}\n")
    _write_rc(run_dir, name, 128 - rc if rc < 0 else rc)


def spawn_detached(run_dir: str, name: str, command: list[str]) -> None:
    """supervise() in a grandchild of this process (a double fork: the caller reaps the
    child at once, the grandchild is adopted by init), with SIGINT and SIGTERM ignored: the
    terminal's Ctrl-C reaches the process itself (same process group), the supervisor stays
    to record its exit code. Its own stdio is /dev/null, so a caller reading ours through a
    pipe is not held open."""
    pid = os.fork()
    if pid != 0:
        os.waitpid(pid, 0)
        return
    # The child and the grandchild never return into the caller's code.
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() != 0:
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        supervise(run_dir, name, command)
        code = 0
    except BaseException:  # pylint: disable=broad-except
        pass
    os._exit(code)
