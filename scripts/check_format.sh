#!/usr/bin/env bash
# Fails, listing the files, when a C++ source is not formatted with the repo's .clang-format.
set -euo pipefail

case "${1-}" in
  -h | --help)
    printf 'usage: scripts/check_format.sh\n  checks that every C++ source is formatted with the repository .clang-format file;\n  exit 0 when all are, 1 listing the files that are not\n'
    exit 0
    ;;
  "") ;;
  *)
    echo "scripts/check_format.sh: unknown argument '$1' (it takes none; try --help)" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.h' '*.cpp' 2>/dev/null || find common exchange trading tests benchmarks -name '*.h' -o -name '*.cpp')
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format: not formatted with .clang-format (run clang-format -i):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
