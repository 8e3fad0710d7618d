#!/usr/bin/env bash
# The main job. Installs what is missing, builds the release preset and runs every benchmark
# binary in its short mode, each printing ours beside its peer and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

min_time=0.05
for arg in "$@"; do
  case "$arg" in
    --full) min_time=0.5 ;;
    -h|--help)
      echo "usage: scripts/demo.sh [--full]   (--full: longer benchmark runs)"
      exit 0 ;;
    *)
      echo "scripts/demo.sh: unknown argument '$arg' (try --help)" >&2
      exit 2 ;;
  esac
done

scripts/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

status=0
for bench in build/release/benchmarks/*_bench; do
  [ -x "$bench" ] || continue
  echo
  echo "=== $(basename "$bench")"
  if ! "$bench" --benchmark_min_time="$min_time" --benchmark_color=false; then
    echo "demo: $(basename "$bench") failed" >&2
    status=1
  fi
done
exit $status
