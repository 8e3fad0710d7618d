#!/usr/bin/env bash
# Stops the processes of a run of scripts/run_exchange_and_clients.sh (default: the latest),
# and only those: the pids recorded in its run folder. Same as
# `scripts/run_exchange_and_clients.sh stop [DIR] [--timeout SECONDS]`.
set -euo pipefail
exec "$(dirname "$0")/run_exchange_and_clients.sh" stop "$@"
