#!/usr/bin/env bash
# Soak: the run's processes at a high rate for DURATION seconds, then every check.
# The code is in scripts/llt/soak.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.soak "$@"
