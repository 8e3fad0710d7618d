#!/usr/bin/env bash
# Starts, shows (status) or stops (stop) a run of the exchange and four clients.
# The code is in scripts/llt/run.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.run "$@"
