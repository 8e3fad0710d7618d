#!/usr/bin/env bash
# Runs clang-tidy 14 with the repository's .clang-tidy (bugprone, performance, concurrency)
# over the project's .cpp files listed in the compile_commands.json of the release preset
# (configured here if it is not; nothing is built), two files at a time. Prints one line per
# file and the findings of each file that has any; exits 1 on any finding, 2 on a usage error.
# Installs nothing (scripts/install_deps.sh installs clang-tidy).
#
# usage: scripts/tidy.sh [--jobs N] [--build-dir DIR] [PATH_REGEX]...
#   --jobs N         clang-tidy processes at once (default 2)
#   --build-dir DIR  use DIR/compile_commands.json as it is instead of configuring
#                    build/release with `cmake --preset release`
#   PATH_REGEX       only the files whose repository-relative path matches one of these
#                    extended regexes, e.g. '^common/' or 'order_book'
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

jobs=2
build_dir=""
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --jobs|--build-dir)
      if [ $# -lt 2 ]; then
        echo "scripts/tidy.sh: $1 needs a value (try --help)" >&2
        exit 2
      fi
      if [ "$1" = --jobs ]; then
        jobs=$2
      else
        build_dir=$2
      fi
      shift 2 ;;
    -*)
      echo "scripts/tidy.sh: unknown option '$1' (try --help)" >&2
      exit 2 ;;
    *)
      filters+=("$1")
      shift ;;
  esac
done
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "scripts/tidy.sh: --jobs expects a positive integer, got '$jobs'" >&2
  exit 2
fi

tidy=""
for candidate in clang-tidy-14 clang-tidy; do
  if command -v "$candidate" >/dev/null 2>&1; then
    tidy=$candidate
    break
  fi
done
if [ -z "$tidy" ]; then
  echo "scripts/tidy.sh: clang-tidy not found (scripts/install_deps.sh installs it)" >&2
  exit 1
fi

if [ -z "$build_dir" ]; then
  # Re-running the configure step is cheap and picks up files added since the last one (the
  # source lists are globs).
  build_dir=build/release
  cmake --preset release >/dev/null
fi
database="$build_dir/compile_commands.json"
if [ ! -f "$database" ]; then
  echo "scripts/tidy.sh: $database not found (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)" >&2
  exit 1
fi

# The project's own translation units: CMake writes one '"file": "/abs/path"' line per entry.
# Anything under build/ (generated) or outside the source folders is skipped.
root=$(pwd -P)
mapfile -t files < <(
  sed -n 's/^ *"file": "\(.*\)",\{0,1\}$/\1/p' "$database" |
    sed -n "s|^$root/||p" |
    grep -E '^(common|exchange|trading|benchmarks|tests)/.*\.cpp$' |
    sort -u
)
if [ ${#filters[@]} -gt 0 ]; then
  selected=()
  for f in "${files[@]}"; do
    for re in "${filters[@]}"; do
      if [[ "$f" =~ $re ]]; then
        selected+=("$f")
        break
      fi
    done
  done
  files=("${selected[@]+"${selected[@]}"}")
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "scripts/tidy.sh: no translation unit in $database matches" >&2
  exit 1
fi

logs=$(mktemp -d /tmp/llt_tidy.XXXXXX)
trap 'rm -rf "$logs"' EXIT
mkdir "$logs/ok" "$logs/fail"

# One clang-tidy per file; each writes its findings to a log of its own and prints one line
# when done, so the output of parallel runs never interleaves. Every file leaves a marker in
# ok/ or fail/, so a file that was never checked cannot pass as clean.
check_one() {
  local tidy=$1 build_dir=$2 logs=$3 file=$4
  local name start status
  name=$(printf '%s' "$file" | tr '/' '_')
  start=$SECONDS
  status=0
  "$tidy" -p "$build_dir" --quiet "$file" >"$logs/fail/$name.log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    mv "$logs/fail/$name.log" "$logs/ok/$name.log"
    printf 'tidy: ok    %-68s %4ds\n' "$file" $((SECONDS - start))
  else
    printf 'tidy: FAIL  %-68s %4ds\n' "$file" $((SECONDS - start))
  fi
}
export -f check_one

echo "tidy: $tidy over ${#files[@]} files of $database, $jobs at a time"
start=$SECONDS
if ! printf '%s\0' "${files[@]}" |
  xargs -0 -n 1 -P "$jobs" bash -c 'check_one "$@"' _ "$tidy" "$build_dir" "$logs"; then
  echo "scripts/tidy.sh: running clang-tidy failed" >&2
  exit 1
fi

shopt -s nullglob
passed=("$logs"/ok/*.log)
failed=("$logs"/fail/*.log)
for log in "${failed[@]}"; do
  cat "$log"
done
elapsed=$((SECONDS - start))
if [ ${#failed[@]} -gt 0 ]; then
  echo "tidy: findings in ${#failed[@]} of ${#files[@]} files (${elapsed} s)" >&2
  exit 1
fi
if [ ${#passed[@]} -ne ${#files[@]} ]; then
  echo "tidy: only ${#passed[@]} of ${#files[@]} files were checked (${elapsed} s)" >&2
  exit 1
fi
echo "tidy: clean, ${#files[@]} files (${elapsed} s)"
