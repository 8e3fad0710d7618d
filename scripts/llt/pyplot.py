"""matplotlib for the plotting scripts (plot_latency.py, plot_run.py), loaded when a script is
about to draw, so that their parsing runs and is tested without it."""

from __future__ import annotations

import os
import sys


def load(script: str, argv: list[str]):
    """matplotlib.pyplot with the Agg backend, or None when matplotlib is missing.

    Debian's python3-matplotlib belongs to /usr/bin/python3; another python3 first on PATH
    (pyenv, a venv) does not see it, so the script `script` is run again once, with the same
    arguments, by the system interpreter (this call then does not return)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        system_python = "/usr/bin/python3"
        if (os.environ.get("LLT_PLOT_REEXEC") != "1" and os.path.exists(system_python)
                and os.path.realpath(sys.executable) != os.path.realpath(system_python)):
            os.environ["LLT_PLOT_REEXEC"] = "1"
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(system_python, [system_python, os.path.abspath(script)] + list(argv))
        return None
    return plt
