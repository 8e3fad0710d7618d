"""Whether a process the tests started still runs."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie left for init to reap is not alive
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"
