"""The frame every scripts/*.sh command shares: run from the repository's root, --help, and one
mapping of failures to exit codes and messages:

    UsageError           "ME: why (try --help)" on stderr, exit code 2
    Exit                 its message (if any) on stderr, its code
    bounded.Interrupted  "ME: interrupted (SIGNAL); ..." on stderr, 128 + the signal number
    KeyboardInterrupt    exit code 130
    OSError              "ME: what" on stderr, exit code 1
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from llt import bounded

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class UsageError(Exception):
    """A bad command line: printed as "ME: why (try --help)", exit code 2."""


class Exit(Exception):
    """Ends the command with `code` after printing `message` (if any) to stderr."""

    def __init__(self, code: int, message: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message


def wants_help(opts: Any) -> bool:
    """Whether parsed options (a dict or an object) ask for --help."""
    if isinstance(opts, dict):
        return bool(opts.get("help"))
    return bool(getattr(opts, "help", False))


def main(me: str, usage: str, argv: list[str], parse: Callable[[list[str]], Any] | None,
         act: Callable[[Any], int],
         interrupted: str = "every process it started is stopped") -> int:
    """Runs a command from the repository's root: `parse`(argv) (None: act gets argv as it
    is), the usage text for --help, else `act`(options); returns the exit code."""
    os.chdir(REPO)
    try:
        if parse is None:
            return act(argv)
        opts = parse(argv)
        if wants_help(opts):
            print(usage)
            return 0
        return act(opts)
    except UsageError as e:
        print(f"{me}: {e} (try --help)", file=sys.stderr)
        return 2
    except Exit as e:
        if e.message:
            print(e.message, file=sys.stderr)
        return e.code
    except bounded.Interrupted as e:
        print(f"{me}: interrupted ({e}); {interrupted}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        return 130
    except OSError as e:
        print(f"{me}: {e}", file=sys.stderr)
        return 1


def run_step(me: str, cmd: list[str], timeout: float, quiet: bool = False) -> None:
    """Runs a build step (cmake ...) to its end within `timeout` seconds, stdout discarded when
    `quiet`; raises Exit with the step's code when it fails, and Exit(1, "ME: STEP: why") when
    it cannot start or runs too long (it is killed with its process group)."""
    name = " ".join(cmd)
    try:
        code = bounded.run(cmd, timeout, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL if quiet else None)
    except bounded.TimedOut as e:
        raise Exit(1, f"{me}: {name}: {e} (killed)") from None
    except OSError as e:
        raise Exit(1, f"{me}: {name}: {e.strerror}") from None
    if code != 0:
        raise Exit(code)
