#!/usr/bin/env bash
# Network namespaces joined by a bridge: the exchange and clients on separate hosts.
# The code is in scripts/llt/netlab.py; --help for the flags; docs/deployment.md.
scripts="$(cd "$(dirname "$0")" && pwd)"
exec env PYTHONPATH="$scripts${PYTHONPATH:+:$PYTHONPATH}" python3 -m llt.netlab "$@"
