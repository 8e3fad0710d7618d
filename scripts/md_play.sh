#!/usr/bin/env bash
# Multicasts a recording of md_record.sh again, at its pace or faster.
# The code is in scripts/llt/md_play.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.md_play "$@"
