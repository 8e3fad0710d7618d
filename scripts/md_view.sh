#!/usr/bin/env bash
# A live terminal view of the market data streams (ladder, trades, rates, gaps).
# The code is in scripts/llt/md_view.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.md_view "$@"
