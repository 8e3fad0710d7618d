#!/usr/bin/env bash
# Records the two market data streams to a file, with receive times.
# The code is in scripts/llt/md_record.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.md_record "$@"
