#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs each fuzz target of
# tests/fuzz for a bounded time on a scratch copy of its seed corpus (the repository's corpus
# never grows), plus every saved finding of tests/fuzz/regressions/<target>/ as a plain input.
# Prints the executions per target; exits non-zero on any finding (crash, sanitizer report,
# broken invariant, leak, timeout) or when clang / libFuzzer is missing. Installs nothing.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [--runs N] [--target NAME]...
#   SECONDS_PER_TARGET  -max_total_time of each target (default 60)
#   --runs N            stop each target after N executions instead (-runs=N); with a time
#                       given too, whichever comes first
#   --target NAME       only this target (repeatable): order_server_session,
#                       market_data_sequencer, matching_engine
#   --keep DIR          leave findings and grown corpora in DIR instead of a temp dir
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

all_targets=(order_server_session market_data_sequencer matching_engine)
seconds=""
runs=""
keep=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --runs)
      [ $# -ge 2 ] || { echo "scripts/fuzz.sh: --runs needs a number" >&2; exit 2; }
      runs=$2; shift 2 ;;
    --target)
      [ $# -ge 2 ] || { echo "scripts/fuzz.sh: --target needs a name" >&2; exit 2; }
      targets+=("$2"); shift 2 ;;
    --keep)
      [ $# -ge 2 ] || { echo "scripts/fuzz.sh: --keep needs a directory" >&2; exit 2; }
      keep=$2; shift 2 ;;
    -*) echo "scripts/fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *)
      [ -z "$seconds" ] || { echo "scripts/fuzz.sh: one SECONDS_PER_TARGET only" >&2; exit 2; }
      seconds=$1; shift ;;
  esac
done
for number in "$seconds" "$runs"; do
  if [ -n "$number" ] && ! [[ "$number" =~ ^[1-9][0-9]*$ ]]; then
    echo "scripts/fuzz.sh: '$number' is not a positive whole number" >&2
    exit 2
  fi
done
if [ -z "$seconds" ] && [ -z "$runs" ]; then
  seconds=60
fi
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
  case " ${all_targets[*]} " in
    *" $target "*) ;;
    *) echo "scripts/fuzz.sh: unknown target '$target' (one of: ${all_targets[*]})" >&2; exit 2 ;;
  esac
done

# clang 14 and its libFuzzer runtime (Debian: clang-14, libclang-rt-14-dev).
if ! command -v clang++-14 >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: clang++-14 not found; install clang-14 (scripts/install_deps.sh)" >&2
  exit 1
fi
resource_dir=$(clang++-14 -print-resource-dir)
if ! ls "$resource_dir"/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: libFuzzer not found under $resource_dir/lib/linux;" \
       "install libclang-rt-14-dev" >&2
  exit 1
fi

echo "=== fuzz preset: configure and build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/llt_fuzz.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# Leak checks stay on (detect_leaks=1 is ASan's default on Linux); any report aborts.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
summary=()
for target in "${targets[@]}"; do
  binary=build/fuzz/tests/fuzz/${target}_fuzz
  corpus=$work/$target/corpus
  findings=$work/$target/findings
  log=$work/$target/fuzz.log
  mkdir -p "$corpus" "$findings"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/

  # Saved findings first: each must now pass.
  regressions=(tests/fuzz/regressions/"$target"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "=== $target: ${#regressions[@]} saved finding(s)"
    if ! "$binary" "${regressions[@]}" >"$work/$target/regressions.log" 2>&1; then
      tail -n 40 "$work/$target/regressions.log" >&2
      echo "=== $target: a saved finding fails again" >&2
      failed=1
      summary+=("$target: saved finding fails")
      continue
    fi
  fi

  args=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "-artifact_prefix=$findings/")
  # The matching engine's books hold at most 24 orders and 16 levels: 512 bytes (85 requests)
  # fill and sweep them many times over, and shorter inputs mean more executions per second.
  [ "$target" = matching_engine ] && args+=(-max_len=512)
  [ -n "$seconds" ] && args+=("-max_total_time=$seconds")
  [ -n "$runs" ] && args+=("-runs=$runs")
  echo "=== $target: ${seconds:+${seconds}s}${seconds:+${runs:+, }}${runs:+$runs runs}"
  status=0
  "$binary" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-unknown}
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "=== $target: FINDING after $execs executions (exit $status); input:" \
         "$(find "$findings" -type f | head -n 1)" >&2
    if [ -z "$keep" ]; then
      mkdir -p build/fuzz/findings/"$target"
      cp "$findings"/* build/fuzz/findings/"$target"/ 2>/dev/null || true
      echo "=== $target: finding copied to build/fuzz/findings/$target/" >&2
    fi
    failed=1
    summary+=("$target: FINDING after $execs executions")
  else
    echo "=== $target: $execs executions, no finding"
    summary+=("$target: $execs executions, no finding")
  fi
done

echo "=== fuzz summary"
printf '  %s\n' "${summary[@]}"
exit "$failed"
