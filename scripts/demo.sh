#!/usr/bin/env bash
# The live demo: installs what is missing, builds Release, starts the exchange and, against
# it, two market makers (tickers 1 and 2), a liquidity taker and a random trader, all on
# loopback with --threading shared --idle backoff (scripts/run_exchange_and_clients.sh);
# shows their status lines while they run; stops everything; prints a summary (trades per
# ticker, each client's position and P&L, risk rejects, recoveries, latency percentiles) and
# plots the latency CSVs. Exit code 0 only when every process ended by itself or on SIGTERM
# with exit code 0. --benchmarks runs every benchmark binary's short mode instead.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: scripts/demo.sh [--duration SECONDS] [--stats-interval SECONDS] [--no-build]
       scripts/demo.sh --benchmarks [--full]

  --duration SECONDS        how long the clients trade (default 30)
  --stats-interval SECONDS  seconds between status lines (default: duration / 5, 1 to 5)
  --no-build                skip install_deps and the build; use build/release as it is
  --benchmarks              instead of the live demo, build Release and run every benchmark
                            binary (ours beside its peer) in its short mode
  --full                    the benchmarks, longer runs (implies --benchmarks)
EOF
}

die_usage() {
  echo "scripts/demo.sh: $1 (try --help)" >&2
  exit 2
}

duration=30
stats=""
build=1
benchmarks=0
full=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration | --stats-interval)
      [ $# -ge 2 ] || die_usage "$1 needs a value"
      if ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
        die_usage "$1 '$2' is not a whole number of seconds >= 1"
      fi
      ;;&
    --duration) duration=$2; shift 2 ;;
    --stats-interval) stats=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --benchmarks) benchmarks=1; shift ;;
    --full) full=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
# --full alone still means the long benchmark runs (benchmarks/RESULTS.md's command).
[ "$full" -eq 0 ] || benchmarks=1

run_benchmarks() {
  local min_time=0.05 status=0 bench
  [ "$full" -eq 0 ] || min_time=0.5
  if [ "$build" -eq 1 ]; then
    scripts/install_deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release
  fi
  for bench in build/release/benchmarks/*_bench build/release/benchmarks/e2e_latency; do
    [ -x "$bench" ] || continue
    echo
    echo "=== $(basename "$bench")"
    if ! "$bench" --benchmark_min_time="$min_time" --benchmark_color=false; then
      echo "demo: $(basename "$bench") failed" >&2
      status=1
    fi
  done
  return $status
}

if [ "$benchmarks" -eq 1 ]; then
  run_benchmarks
  exit $?
fi

if [ -z "$stats" ]; then
  stats=$((duration / 5))
  [ "$stats" -ge 1 ] || stats=1
  [ "$stats" -le 5 ] || stats=5
fi

if [ "$build" -eq 1 ]; then
  scripts/install_deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target exchange trading
fi

names=(exchange mm-1 mm-2 taker random)
clients=(mm-1 mm-2 taker random)
mkdir -p build/runs
dir="$(pwd -P)/build/runs/demo-$(date +%Y%m%d-%H%M%S)-$$"

stopped=0
stop_output=""
stop_status=0
stop_run() {
  [ "$stopped" -eq 0 ] || return 0
  stopped=1
  stop_status=0
  stop_output=$(scripts/run_exchange_and_clients.sh stop "$dir" --timeout 10 2>&1) || stop_status=$?
}
# Whatever happens from here on (an error, Ctrl-C), nothing the demo started stays running.
# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
  if [ -f "$dir/pids" ] && [ "$stopped" -eq 0 ]; then
    stop_run
    echo "$stop_output"
  fi
}
trap on_exit EXIT
interrupted=0
trap 'interrupted=1' INT TERM

echo "=== demo: starting the exchange and four clients for ${duration} s (status every ${stats} s)"
scripts/run_exchange_and_clients.sh start --no-build --dir "$dir" --duration "$duration" \
  --stats-interval "$stats"
echo

declare -A shown
for name in "${names[@]}"; do shown[$name]=0; done
started=$SECONDS

# Prints the start and status lines each process has written since the last call.
show_new_lines() {
  local name file n
  for name in "${names[@]}"; do
    file="$dir/$name.out"
    [ -f "$file" ] || continue
    n=$(wc -l <"$file")
    [ "$n" -gt "${shown[$name]}" ] || continue
    sed -n "$((shown[$name] + 1)),${n}p" "$file" |
      grep -E '^(exchange: (order entry|sessions)|trading: client [0-9]+ )' |
      sed -E "s/^(exchange|trading): //; s/^/[$(printf '%3d' $((SECONDS - started)))s] $(printf '%-8s' "$name") | /" ||
      true
    shown[$name]=$n
  done
}

clients_done() {
  local name
  for name in "${clients[@]}"; do
    [ -s "$dir/$name.rc" ] || return 1
  done
}

late=0
deadline=$((SECONDS + duration + 20))
while :; do
  show_new_lines || true
  clients_done && break
  [ "$interrupted" -eq 0 ] || break
  if [ "$SECONDS" -ge "$deadline" ]; then
    late=1
    break
  fi
  sleep 0.5 || true  # Ctrl-C kills the sleep too; the trap has set interrupted
done
show_new_lines || true
if [ "$interrupted" -eq 1 ]; then
  echo "demo: interrupted; stopping everything"
elif [ "$late" -eq 1 ]; then
  echo "demo: the clients had not ended $((duration + 20)) s after the start; stopping them" >&2
else
  echo "demo: the clients ended; stopping the exchange"
fi
stop_run

# ---- summary, from what the processes printed (nothing here is computed from anything else)
last_line() { grep -E "$1" "$2" 2>/dev/null | tail -n 1 || true; }
field() { sed -nE "s/.*$1.*/\\1/p" <<<"$2" | head -n 1; }

echo
echo "=== demo summary (${duration} s of trading; everything is in $dir)"
echo
echo "processes (exit codes):"
sed -n 's/^stop: /  /p' <<<"$stop_output"
grep -v '^stop: ' <<<"$stop_output" | sed 's/^/  /' || true

ex_final=$(last_line '^exchange: sessions' "$dir/exchange.out")
ex_trades=$(field 'trades ([0-9]+)' "$ex_final")
# Per-ticker counts, if the exchange prints them as "trades N [1:A 2:B]".
ex_ticker_trades=$(field 'trades [0-9]+ (\[[^]]*\])' "$ex_final")
echo
if [ -n "$ex_final" ]; then
  echo "exchange, final status line:"
  echo "  ${ex_final#exchange: }"
else
  echo "exchange: no status line (see $dir/exchange.err)"
fi

echo
echo "trades per ticker, from the clients' fills (each trade sends FILLED to both orders, and"
echo "every order here is a demo client's, so trades = fills / 2 and volume = bought = sold):"
cat "$dir"/{mm-1,mm-2,taker,random}.out 2>/dev/null |
  awk -v ex="${ex_trades:-}" '
    /^trading: ticker [0-9]+ position / {
      t = $3
      for (i = 4; i < NF; i++) {
        if ($i == "fills") fills[t] += $(i + 1)
        if ($i == "bought") bought[t] += $(i + 1)
        if ($i == "sold") sold[t] += $(i + 1)
      }
      if (!(t in seen)) { seen[t] = 1; order[++n] = t }
    }
    END {
      printf "  %-8s %8s %8s %8s %8s\n", "ticker", "fills", "trades", "bought", "sold"
      for (k = 1; k <= n; k++) {
        t = order[k]
        tr = (fills[t] % 2 == 0) ? sprintf("%d", fills[t] / 2) : sprintf("%.1f?", fills[t] / 2)
        printf "  %-8s %8d %8s %8d %8d\n", t, fills[t], tr, bought[t], sold[t]
        all_fills += fills[t]; all_bought += bought[t]; all_sold += sold[t]
      }
      printf "  %-8s %8d %8s %8d %8d\n", "all", all_fills, all_fills / 2, all_bought, all_sold
      if (ex != "") {
        if (all_fills == 2 * ex && all_bought == all_sold)
          printf "  the exchange counted %d trades: the same\n", ex
        else
          printf "  the exchange counted %d trades: NOT the same (a fill may have reached a client after it stopped)\n", ex
      }
    }'
[ -z "$ex_ticker_trades" ] || echo "  the exchange's own count per ticker: $ex_ticker_trades"

echo
echo "positions and P&L per client and ticker (prices and P&L in units of 100 cents):"
printf '  %-8s %-16s %6s %9s %7s %7s %6s %9s %9s %11s %9s\n' client strategy ticker position \
  bought sold fills vwap realized unrealized total
for name in "${clients[@]}"; do
  out="$dir/$name.out"
  strategy=$(sed -nE 's/^trading: summary of client [0-9]+ \((.*)\)$/\1/p' "$out" 2>/dev/null | head -n 1)
  if [ -z "$strategy" ]; then
    echo "  $name: no summary (see $dir/$name.err)"
    continue
  fi
  awk -v name="$name" -v strategy="$strategy" '
    /^trading: ticker [0-9]+ position / {
      for (i = 4; i < NF; i += 2) v[$i] = $(i + 1)
      printf "  %-8s %-16s %6s %9s %7s %7s %6s %9s %9s %11s %9s\n", name, strategy, $3,
             v["position"], v["bought"], v["sold"], v["fills"], v["vwap"], v["realized"],
             v["unrealized"], v["total"]
    }' "$out"
done

echo
echo "orders, risk rejects, market data recoveries, sessions per client:"
for name in "${clients[@]}"; do
  out="$dir/$name.out"
  orders=$(last_line '^trading: orders sent ' "$out")
  md=$(last_line '^trading: market data next seq ' "$out")
  session=$(last_line '^trading: session logons ' "$out")
  [ -n "$orders" ] || continue
  printf '  %-8s orders %s, cancels %s, risk rejects %s, exchange rejects %s\n' "$name" \
    "$(field 'orders sent ([0-9]+)' "$orders")" "$(field 'cancels sent ([0-9]+)' "$orders")" \
    "$(field '(risk rejects [0-9]+ \([^)]*\))' "$orders" | sed 's/^risk rejects //')" \
    "$(field 'exchange rejects ([0-9]+)' "$orders")"
  printf '  %-8s md recoveries %s; session logons %s, reconnects %s, disconnects %s\n' "" \
    "$(field 'recoveries ([0-9]+ \([^)]*\))' "$md")" "$(field 'logons ([0-9]+)' "$session")" \
    "$(field 'reconnects ([0-9]+)' "$session")" "$(field 'disconnects ([0-9]+)' "$session")"
done

echo
echo "latency, client side (TSC-stamped in each client; tick-to-trade = market data read to order sent):"
for name in "${clients[@]}"; do
  line=$(last_line '^trading: tick-to-trade ' "$dir/$name.out")
  [ -z "$line" ] || printf '  %-8s %s\n' "$name" "${line#trading: }"
done
echo
echo "latency, exchange side, per hop (ns):"
sed -n '/^hop (ns)/,/^exchange: stopped/p' "$dir/exchange.out" | grep -v '^exchange: stopped' |
  sed 's/^/  /' || true

echo
plot_python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import matplotlib' >/dev/null 2>&1; then
    plot_python=$candidate
    break
  fi
done
csvs=()
for name in "${names[@]}"; do
  [ -s "$dir/$name.csv" ] && csvs+=("$dir/$name.csv")
done
if [ -z "$plot_python" ]; then
  echo "latency plot: skipped, matplotlib is not installed (apt-get install python3-matplotlib)"
elif [ ${#csvs[@]} -eq 0 ]; then
  echo "latency plot: skipped, no latency CSV was written"
elif "$plot_python" scripts/plot_latency.py --merge --min-count 1 -o "$dir/latency.png" \
  --title "scripts/demo.sh --duration ${duration}: exchange and 4 clients, per hop" \
  "${csvs[@]}" >/dev/null 2>"$dir/plot.err"; then
  echo "latency plot: $dir/latency.png (per hop; the clients' hops added up)"
else
  echo "latency plot: failed, see $dir/plot.err"
fi

left=()
while read -r name pid; do
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/"; then
    left+=("$name ($pid)")
  fi
done <"$dir/pids"
echo
status=0
if [ ${#left[@]} -gt 0 ]; then
  echo "demo: FAILED, still running: ${left[*]}" >&2
  status=1
fi
if [ "$stop_status" -ne 0 ]; then
  echo "demo: FAILED, not every process ended cleanly (see the exit codes above)" >&2
  status=1
fi
if [ "$late" -eq 1 ]; then
  echo "demo: FAILED, the clients did not end by themselves in time" >&2
  status=1
fi
if [ "$interrupted" -eq 1 ]; then
  echo "demo: interrupted (every process stopped)"
  exit 130
fi
if [ "$status" -eq 0 ]; then
  echo "demo: OK, every process ended cleanly and nothing is left running"
fi
exit $status
