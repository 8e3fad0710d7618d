#!/usr/bin/env bash
# The test command: installs what is missing, checks the formatting, runs clang-tidy
# (.clang-tidy) over the product's code (common, exchange, trading, benchmarks; --tidy-all adds
# the test files, two thirds of clang-tidy's time), builds the release preset with -j2 and runs
# the whole suite with ctest.
# --sanitize also builds and runs the suite under the asan (address + undefined) and tsan
# presets and runs each fuzz target for a bounded time (LLT_FUZZ_SECONDS, default 30) under
# ASan + UBSan. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
tidy_all=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --tidy-all) tidy_all=1 ;;
    -h|--help)
      echo "usage: scripts/test.sh [--sanitize] [--tidy-all]"
      exit 0 ;;
    *)
      echo "scripts/test.sh: unknown argument '$arg' (try --help)" >&2
      exit 2 ;;
  esac
done

scripts/install_deps.sh
scripts/check_format.sh
if [ "$tidy_all" -eq 1 ]; then
  scripts/tidy.sh
else
  scripts/tidy.sh '^(common|exchange|trading|benchmarks)/'
fi

run_preset() {
  local preset=$1
  echo "=== preset ${preset}: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
}

run_preset release
if [ "$sanitize" -eq 1 ]; then
  run_preset asan
  run_preset tsan
  echo "=== fuzz targets, ${LLT_FUZZ_SECONDS:-30} s each"
  scripts/fuzz.sh "${LLT_FUZZ_SECONDS:-30}"
fi
echo "=== all tests passed"
