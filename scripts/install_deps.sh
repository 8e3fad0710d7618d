#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests, benchmarks and scripts need, if any is
# missing (python3-matplotlib: scripts/plot_latency.py).
# Idempotent: when everything is present it only checks. Uses sudo when not root.
set -euo pipefail

case "${1-}" in
  -h | --help)
    printf 'usage: scripts/install_deps.sh\n  installs the Debian packages the build, tests and scripts need (with sudo\n  when not root) when one is missing; exit 0 when all are there\n'
    exit 0
    ;;
  "") ;;
  *)
    echo "scripts/install_deps.sh: unknown argument '$1' (it takes none; try --help)" >&2
    exit 2
    ;;
esac

packages=(
  cmake ninja-build g++ clang clang-format clang-tidy libclang-rt-14-dev
  libgtest-dev libbenchmark-dev
  libboost-program-options-dev libboost-dev libfmt-dev
  libspdlog-dev libreaderwriterqueue-dev liburing-dev
  lld python3 python3-matplotlib procps iproute2 tmux
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
