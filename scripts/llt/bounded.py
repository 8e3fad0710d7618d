"""Child processes with a time bound, for tidy.py and fuzz.py. Each child starts in a session
of its own, so that on a timeout, an interrupt or an error the whole process group is killed
(cmake's ninja and compilers, a fuzzer's symbolizer), not only the process started here.
SIGINT and SIGTERM reach this process only (the children are in other sessions); `signals()`
turns both into `Interrupted`, whose handlers kill the children."""

from __future__ import annotations

import os
import signal
import subprocess


class TimedOut(Exception):
    """The child ran past its bound and was killed with its process group."""

    def __init__(self, seconds: float):
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived; the exit code is 128 + the signal number."""

    def __init__(self, signo: int):
        super().__init__(signal.Signals(signo).name)
        self.code = 128 + signo


def _raise_interrupted(signo, _frame):
    raise Interrupted(signo)


def signals() -> None:
    """SIGINT and SIGTERM raise Interrupted in the main thread from now on."""
    signal.signal(signal.SIGINT, _raise_interrupted)
    signal.signal(signal.SIGTERM, _raise_interrupted)


def popen(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Starts `cmd` as the leader of a new session (and process group)."""
    return subprocess.Popen(cmd, start_new_session=True, **kwargs)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL to the process group of `proc` while it runs, then reaps it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def shell_status(returncode: int) -> int:
    """An exit code as a shell reports it: 128 + N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run(cmd: list[str], timeout: float, **kwargs) -> int:
    """Runs `cmd` to its end and returns its exit code (shell_status); raises TimedOut after
    `timeout` seconds. Whatever ends the wait (timeout, Interrupted, any error), the child and
    its process group are gone when this returns or raises."""
    proc = popen(cmd, **kwargs)
    try:
        return shell_status(proc.wait(timeout))
    except subprocess.TimeoutExpired:
        kill(proc)
        raise TimedOut(timeout) from None
    except BaseException:
        kill(proc)
        raise
