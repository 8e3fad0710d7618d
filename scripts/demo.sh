#!/usr/bin/env bash
# The live demo: builds Release, runs the exchange and four clients, prints a summary.
# The code is in scripts/llt/demo.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.demo "$@"
