#!/usr/bin/env bash
# Starts the exchange and, against it, two market makers (tickers 1 and 2), a liquidity taker
# and a random trader (both on tickers 1,2) in the background, on loopback, with
# --threading shared --idle backoff. Everything a run writes goes to one run folder: each
# process's stdout (NAME.out: start line, status lines, summary), stderr (NAME.err), log
# (NAME.log), latency histograms (NAME.csv) and exit code (NAME.rc once it has ended), and
# the pids it started (pids: "NAME PID" per line). `stop` ends exactly those pids.
set -euo pipefail
cd "$(dirname "$0")/.."
me="scripts/run_exchange_and_clients.sh"

usage() {
  cat <<EOF
usage: $me [start] [--dir DIR] [--duration SECONDS] [--stats-interval SECONDS]
                                       [--build-dir DIR] [--no-build]
       $me stop [DIR] [--timeout SECONDS]
       $me status [DIR]

start   builds Release (unless --no-build), starts the exchange on a free port and a
        multicast group and port chosen for this run, then the four clients; prints the run
        folder and returns while they run.
          --dir DIR             run folder (default: a new build/runs/YYYYmmdd-HHMMSS-PID,
                                also linked as build/runs/latest)
          --duration SECONDS    the clients exit by themselves after this (default 0: they
                                run until stopped); the exchange runs until stopped
          --stats-interval S    seconds between status lines (default 5)
          --build-dir DIR       where exchange/exchange and trading/trading are
                                (default build/release)
stop    SIGTERM to the clients, then to the exchange, of that run folder (default
        build/runs/latest); waits up to --timeout seconds (default 10) for each group, SIGKILL
        only past it. Kills only pids recorded in DIR/pids whose command line names DIR.
        Exit code 0 when every process of the run ended with exit code 0 and none was killed.
status  whether each process of the run is alive, and its last status line.
EOF
}

die_usage() {
  echo "$me: $1 (try --help)" >&2
  exit 2
}

# Prints the absolute, symlink-free path of an existing folder.
abs_dir() {
  (cd "$1" 2>/dev/null && pwd -P) || {
    echo "$me: no run folder '$1'" >&2
    exit 2
  }
}

# True when PID is alive and was started by this script for run folder DIR: every process
# of a run has DIR in its command line (--log-file DIR/NAME.log), so a recycled pid is never
# signalled. A zombie has an empty command line and counts as ended.
is_ours() {
  local pid=$1 dir=$2 cmdline
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *"$dir/"* ]]
}

read_pids() {
  local dir=$1
  names=()
  pids=()
  [ -f "$dir/pids" ] || {
    echo "$me: $dir/pids not found: not a run folder" >&2
    exit 2
  }
  local name pid
  while read -r name pid; do
    [ -n "$name" ] || continue
    names+=("$name")
    pids+=("$pid")
  done <"$dir/pids"
}

# Waits until none of the given indexes into pids[] is alive, or the deadline (seconds).
wait_gone() {
  local dir=$1 timeout=$2
  shift 2
  local polls=$((timeout * 10)) i alive
  while :; do
    alive=0
    for i in "$@"; do
      if is_ours "${pids[$i]}" "$dir"; then alive=1; fi
    done
    [ "$alive" -eq 0 ] && return 0
    [ "$polls" -gt 0 ] || return 1
    polls=$((polls - 1))
    sleep 0.1
  done
}

# SIGTERM to the given indexes into pids[] that are still ours, then SIGKILL to any alive
# after the timeout (appending its name to killed[]).
stop_group() {
  local dir=$1 timeout=$2 i
  shift 2
  for i in "$@"; do
    if is_ours "${pids[$i]}" "$dir"; then kill -TERM "${pids[$i]}" 2>/dev/null || true; fi
  done
  wait_gone "$dir" "$timeout" "$@" && return 0
  for i in "$@"; do
    if is_ours "${pids[$i]}" "$dir"; then
      echo "$me: ${names[$i]} (pid ${pids[$i]}) still running ${timeout} s after SIGTERM: SIGKILL" >&2
      kill -KILL "${pids[$i]}" 2>/dev/null || true
      killed+=("${names[$i]}")
    fi
  done
  wait_gone "$dir" 5 "$@" || true
}

cmd_stop() {
  local dir="" timeout=10
  while [ $# -gt 0 ]; do
    case "$1" in
      --timeout)
        [ $# -ge 2 ] || die_usage "--timeout needs a value"
        [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--timeout '$2' is not a whole number of seconds"
        timeout=$2
        shift 2 ;;
      -h | --help) usage; exit 0 ;;
      -*) die_usage "unknown argument '$1'" ;;
      *)
        [ -z "$dir" ] || die_usage "one run folder at most"
        dir=$1
        shift ;;
    esac
  done
  dir=$(abs_dir "${dir:-build/runs/latest}")
  read_pids "$dir"

  local clients=() exchange=() i
  for i in "${!names[@]}"; do
    if [ "${names[$i]}" = exchange ]; then exchange+=("$i"); else clients+=("$i"); fi
  done

  killed=()
  # Clients first, so their sessions log out while the exchange still runs.
  [ ${#clients[@]} -eq 0 ] || stop_group "$dir" "$timeout" "${clients[@]}"
  [ ${#exchange[@]} -eq 0 ] || stop_group "$dir" "$timeout" "${exchange[@]}"

  # Each process's wrapper writes NAME.rc once it has reaped it.
  local end=$((SECONDS + 5)) name rc status=0
  for i in "${!names[@]}"; do
    name=${names[$i]}
    while [ ! -s "$dir/$name.rc" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
    if [ -s "$dir/$name.rc" ]; then
      rc=$(<"$dir/$name.rc")
    else
      rc="unknown"
    fi
    if [[ " ${killed[*]} " == *" $name "* ]]; then
      echo "stop: $name (pid ${pids[$i]}) killed with SIGKILL, exit $rc"
      status=1
    elif [ "$rc" = 0 ]; then
      echo "stop: $name (pid ${pids[$i]}) exit 0"
    else
      echo "stop: $name (pid ${pids[$i]}) exit $rc"
      status=1
    fi
  done
  for i in "${!names[@]}"; do
    if is_ours "${pids[$i]}" "$dir"; then
      echo "stop: ${names[$i]} (pid ${pids[$i]}) is still running" >&2
      status=1
    fi
  done
  return $status
}

cmd_status() {
  [ $# -le 1 ] || die_usage "one run folder at most"
  local dir i name state last
  dir=$(abs_dir "${1:-build/runs/latest}")
  read_pids "$dir"
  echo "run folder $dir"
  for i in "${!names[@]}"; do
    name=${names[$i]}
    if is_ours "${pids[$i]}" "$dir"; then
      state="running"
    elif [ -s "$dir/$name.rc" ]; then
      state="ended, exit $(<"$dir/$name.rc")"
    else
      state="ended"
    fi
    last=$(grep -E '^(exchange: sessions|trading: client [0-9]+ \[)' "$dir/$name.out" 2>/dev/null |
      tail -n 1 || true)
    printf '%-9s pid %-8s %s\n' "$name" "${pids[$i]}" "$state"
    [ -z "$last" ] || printf '          %s\n' "$last"
  done
}

# Starts "$@" with its output in the run folder, records "NAME PID" in DIR/pids and, when it
# ends, its exit code in DIR/NAME.rc (the subshell reaps it; its own output goes nowhere so a
# caller reading ours through a pipe is not held open).
launch() {
  local dir=$1 name=$2
  shift 2
  (
    "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
    child=$!
    echo "$name $child" >>"$dir/pids"
    rc=0
    wait "$child" || rc=$?
    echo "$rc" >"$dir/$name.rc"
  ) </dev/null >/dev/null 2>&1 &
  local end=$((SECONDS + 5))
  until grep -q "^$name " "$dir/pids" 2>/dev/null; do
    if [ "$SECONDS" -ge "$end" ]; then
      echo "$me: $name did not start" >&2
      return 1
    fi
    sleep 0.05
  done
  # Returns once the child has exec'd (its command line names the run folder), so a stop
  # right after the start finds it; a child that already ended has written NAME.rc.
  local pid
  pid=$(pid_of "$dir" "$name")
  until is_ours "$pid" "$dir" || [ -s "$dir/$name.rc" ]; do
    if [ "$SECONDS" -ge "$end" ]; then
      echo "$me: $name (pid $pid) did not start" >&2
      return 1
    fi
    sleep 0.02
  done
}

pid_of() {
  awk -v n="$2" '$1 == n { print $2 }' "$1/pids"
}

# True when no UDP socket is bound to port $1 or $1 + 1 (always true without ss).
udp_ports_free() {
  command -v ss >/dev/null 2>&1 || return 0
  [ -z "$(ss -Hulan "( sport = :$1 or sport = :$(($1 + 1)) )" 2>/dev/null)" ]
}

cmd_start() {
  local dir="" duration=0 stats=5 build_dir="build/release" build=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir | --duration | --stats-interval | --build-dir)
        [ $# -ge 2 ] || die_usage "$1 needs a value" ;;&
      --dir) dir=$2; shift 2 ;;
      --duration)
        [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--duration '$2' is not a whole number of seconds"
        duration=$2; shift 2 ;;
      --stats-interval)
        [[ "$2" =~ ^[0-9]+$ ]] || die_usage "--stats-interval '$2' is not a whole number of seconds"
        stats=$2; shift 2 ;;
      --build-dir) build_dir=$2; shift 2 ;;
      --no-build) build=0; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die_usage "unknown argument '$1'" ;;
    esac
  done

  if [ "$build" -eq 1 ]; then
    scripts/install_deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release --target exchange trading
  fi
  local exchange_bin trading_bin
  exchange_bin=$(abs_dir "$build_dir")/exchange/exchange
  trading_bin=$(abs_dir "$build_dir")/trading/trading
  for bin in "$exchange_bin" "$trading_bin"; do
    [ -x "$bin" ] || { echo "$me: $bin not built (drop --no-build)" >&2; exit 1; }
  done

  local link_latest=0
  if [ -z "$dir" ]; then
    mkdir -p build/runs
    dir="build/runs/$(date +%Y%m%d-%H%M%S)-$$"
    link_latest=1
  fi
  if [ -e "$dir/pids" ]; then
    echo "$me: $dir already holds a run (its pids file exists)" >&2
    exit 2
  fi
  mkdir -p "$dir"
  dir=$(abs_dir "$dir")
  if [ "$link_latest" -eq 1 ]; then
    ln -sfn "$(basename "$dir")" build/runs/latest
  fi

  # A group and port pair per run (below the tests' 20000-32000), so two runs and the tests
  # do not hear each other.
  local group mport tries=0
  group="239.255.$((200 + RANDOM % 50)).$((1 + RANDOM % 254))"
  while :; do
    mport=$((10000 + 2 * (RANDOM % 5000)))
    udp_ports_free "$mport" && break
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { echo "$me: no free UDP port pair found" >&2; exit 1; }
  done

  local common=(--multicast-addr "$group" --multicast-port "$mport" --threading shared
    --idle backoff --stats-interval "$stats")
  launch "$dir" exchange "$exchange_bin" --port 0 --tickers 1,2 "${common[@]}" \
    --log-file "$dir/exchange.log" --latency-csv "$dir/exchange.csv"

  local port="" end=$((SECONDS + 15))
  while [ -z "$port" ]; do
    port=$(sed -n 's/^exchange: order entry on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' \
      "$dir/exchange.out" 2>/dev/null | head -n 1)
    [ -z "$port" ] || break
    if [ -s "$dir/exchange.rc" ] || [ "$SECONDS" -ge "$end" ]; then
      echo "$me: the exchange did not start; its stderr ($dir/exchange.err):" >&2
      cat "$dir/exchange.err" >&2 || true
      (cmd_stop "$dir" --timeout 2) >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.05
  done

  local client=(--port "$port" "${common[@]}" --duration "$duration")
  # name client-id description, then the strategy flags (the seed's for the first two).
  local -a specs=(
    "mm-1|1|market maker on ticker 1|--strategy market-maker --ticker 1 --half-spread 50 --max-position 1000 --max-loss 100000"
    "mm-2|2|market maker on ticker 2|--strategy market-maker --ticker 2 --half-spread 50 --max-position 1000 --max-loss 100000"
    "taker|3|liquidity taker on tickers 1,2|--strategy liquidity-taker --ticker 1,2 --signal-threshold 0.3"
    "random|4|random trader on tickers 1,2|--strategy random --ticker 1,2 --orders-per-second 20"
  )
  local spec name id what flags
  local -a strategy_flags
  for spec in "${specs[@]}"; do
    IFS='|' read -r name id what flags <<<"$spec"
    read -r -a strategy_flags <<<"$flags"
    launch "$dir" "$name" "$trading_bin" --client-id "$id" "${strategy_flags[@]}" "${client[@]}" \
      --log-file "$dir/$name.log" --latency-csv "$dir/$name.csv"
  done

  {
    echo "port=$port"
    echo "multicast_addr=$group"
    echo "multicast_port=$mport"
    echo "duration=$duration"
    echo "stats_interval=$stats"
  } >"$dir/run.env"

  echo "run folder: $dir"
  printf '  %-9s pid %-8s order entry 127.0.0.1:%s, market data %s:%s (snapshots :%s), tickers 1,2\n' \
    exchange "$(pid_of "$dir" exchange)" "$port" "$group" "$mport" "$((mport + 1))"
  for spec in "${specs[@]}"; do
    IFS='|' read -r name id what flags <<<"$spec"
    printf '  %-9s pid %-8s client %s, %s\n' "$name" "$(pid_of "$dir" "$name")" "$id" "$what"
  done
  if [ "$duration" -gt 0 ]; then
    echo "  the clients stop by themselves after $duration s; the exchange runs until stopped"
  fi
  echo "  NAME.out: status lines and the final summary; NAME.log: log; NAME.csv: latency"
  echo "  status: scripts/run_exchange_and_clients.sh status $dir"
  echo "  stop:   scripts/stop.sh $dir"
}

case "${1:-start}" in
  start) [ $# -eq 0 ] || shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  -h | --help) usage ;;
  -*) cmd_start "$@" ;;
  *) die_usage "unknown command '$1'" ;;
esac
