#!/usr/bin/env bash
# Stops the processes of a run of scripts/run_exchange_and_clients.sh (default: the latest),
# and only those: the pids recorded in its run folder. Same as
# `scripts/run_exchange_and_clients.sh stop [DIR] [--timeout SECONDS]` (scripts/llt/run.py).
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.run stop "$@"
