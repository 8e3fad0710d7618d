#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs each fuzz target of
# tests/fuzz for a bounded time after replaying its saved findings; exit 1 on a finding.
# The code is in scripts/llt/fuzz.py; --help for the flags; tests/fuzz/README.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.fuzz "$@"
