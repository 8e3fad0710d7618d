#!/usr/bin/env bash
# clang-tidy 14 with the repository's .clang-tidy over the project's .cpp files of the release
# preset's compile_commands.json; exit 1 on any finding, 2 on a usage error.
# The code is in scripts/llt/tidy.py; --help for the flags; docs/operations.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.tidy "$@"
