#!/usr/bin/env bash
# Soak: runs the demo's processes (the exchange, two market makers, a liquidity taker) plus
# the random trader at a high rate for DURATION seconds on loopback (--threading shared
# --idle backoff), samples every process's resident memory, records the exchange's market
# data, then stops everything and checks:
#   - no process died: each ran to the end and exited 0 on SIGTERM;
#   - every request answered: each client's session never dropped or refused a request, and
#     its round-trip answers match its requests (bar the few in flight at the stop);
#   - books converge: every snapshot the exchange published equals the books rebuilt from its
#     incremental stream at that seq, and each client's --book-dump equals them at its seq;
#   - memory flat after warm-up: the RSS samples after the first 20% of the run vary by at
#     most 5% per process;
# and prints the counts of rejects by reason. Everything goes to one run folder.
set -euo pipefail
cd "$(dirname "$0")/.."
me="scripts/soak.sh"

usage() {
  cat <<EOF
usage: $me DURATION [--rate ORDERS_PER_SECOND] [--dir DIR] [--build-dir DIR] [--no-build]

  DURATION           seconds of trading (>= 10)
  --rate N           the random trader's orders per second (default 2000)
  --sample S         seconds between RSS samples (default: DURATION / 60, 1 to 10)
  --dir DIR          run folder (default build/runs/soak-YYYYmmdd-HHMMSS-PID)
  --build-dir DIR    where exchange/exchange and trading/trading are (default build/release)
  --no-build         do not build; use the binaries as they are
Exit code 0 when every check passed, 1 when one failed, 2 on a usage error.
EOF
}

die_usage() {
  echo "$me: $1 (try --help)" >&2
  exit 2
}

duration=""
rate=2000
sample=""
dir=""
build_dir="build/release"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rate | --sample | --dir | --build-dir)
      [ $# -ge 2 ] || die_usage "$1 needs a value" ;;&
    --rate)
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "--rate '$2' is not a whole number >= 1"
      rate=$2; shift 2 ;;
    --sample)
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || die_usage "--sample '$2' is not a whole number of seconds >= 1"
      sample=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die_usage "unknown argument '$1'" ;;
    *)
      [ -z "$duration" ] || die_usage "one DURATION only"
      if ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -lt 10 ]; then
        die_usage "DURATION '$1' is not a whole number of seconds >= 10"
      fi
      duration=$1; shift ;;
  esac
done
[ -n "$duration" ] || die_usage "DURATION is missing"
if [ -z "$sample" ]; then
  sample=$((duration / 60))
  [ "$sample" -ge 1 ] || sample=1
  [ "$sample" -le 10 ] || sample=10
fi
command -v python3 >/dev/null 2>&1 || { echo "$me: python3 is needed" >&2; exit 1; }

if [ "$build" -eq 1 ]; then
  scripts/install_deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target exchange trading
fi
exchange_bin="$build_dir/exchange/exchange"
trading_bin="$build_dir/trading/trading"
for bin in "$exchange_bin" "$trading_bin"; do
  [ -x "$bin" ] || { echo "$me: $bin not built (drop --no-build)" >&2; exit 1; }
done

if [ -z "$dir" ]; then
  mkdir -p build/runs
  dir="build/runs/soak-$(date +%Y%m%d-%H%M%S)-$$"
fi
[ ! -e "$dir/pids" ] || { echo "$me: $dir already holds a run" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)

# ---- processes: NAME.out/.err/.log/.rc in the run folder, "NAME PID" in DIR/pids
names=()
pids=()
launch() {
  local name=$1
  shift
  (
    "$@" </dev/null >"$dir/$name.out" 2>"$dir/$name.err" &
    child=$!
    echo "$child" >"$dir/$name.pid"
    rc=0
    wait "$child" || rc=$?
    echo "$rc" >"$dir/$name.rc"
  ) </dev/null >/dev/null 2>&1 &
  local end=$((SECONDS + 5))
  until [ -s "$dir/$name.pid" ]; do
    [ "$SECONDS" -lt "$end" ] || { echo "$me: $name did not start" >&2; return 1; }
    sleep 0.05
  done
  names+=("$name")
  pids+=("$(<"$dir/$name.pid")")
  echo "$name ${pids[-1]}" >>"$dir/pids"
}

# Alive and ours: the command line names the run folder (a recycled pid is never signalled).
is_ours() {
  local pid=$1 cmdline
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *"$dir/"* ]]
}

# SIGTERM to the named processes, SIGKILL past 15 s.
stop_names() {
  local name i end
  for name in "$@"; do
    for i in "${!names[@]}"; do
      if [ "${names[$i]}" = "$name" ] && is_ours "${pids[$i]}"; then
        kill -TERM "${pids[$i]}" 2>/dev/null || true
      fi
    done
  done
  end=$((SECONDS + 15))
  for name in "$@"; do
    for i in "${!names[@]}"; do
      [ "${names[$i]}" = "$name" ] || continue
      while is_ours "${pids[$i]}" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
      if is_ours "${pids[$i]}"; then
        echo "$me: $name (pid ${pids[$i]}) still running 15 s after SIGTERM: SIGKILL" >&2
        kill -KILL "${pids[$i]}" 2>/dev/null || true
        echo killed >"$dir/$name.killed"
      fi
    done
  done
}

recorder_pid=""
sampler_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
  local i
  for i in "${!names[@]}"; do
    if is_ours "${pids[$i]}"; then kill -TERM "${pids[$i]}" 2>/dev/null || true; fi
  done
  [ -z "$recorder_pid" ] || kill -TERM "$recorder_pid" 2>/dev/null || true
}
trap cleanup EXIT

# ---- market data checker (python3): rebuilds the books from the incremental stream,
# compares every snapshot with them, and at the end each client's book dump.
cat >"$dir/md_check.py" <<'PY'
import os, select, signal, socket, struct, sys, time

group, port, snap_port, out_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
dumps = sys.argv[5:]  # NAME=PATH=TICKERS
REC = struct.Struct('<QBQIbqIQ')
ADD, MODIFY, CANCEL, TRADE, CLEAR, SNAP_START, SNAP_END, HEARTBEAT = 2, 3, 4, 5, 1, 6, 7, 8
CHECKPOINT_EVERY = 20000
CHECKPOINTS_KEPT = 8

def receiver(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((group, p))
    mreq = socket.inet_aton(group) + socket.inet_aton('127.0.0.1')
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.setblocking(False)
    return s

inc, snap = receiver(port), receiver(snap_port)
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

books = {}            # (ticker, order_id) -> (ticker, side, price, qty, priority)
next_seq = 1          # the next incremental seq to apply
synced = True         # books valid up to next_seq - 1
pending = {}          # seq -> record, ahead of next_seq
pending_since = None
records = []          # records applied since the oldest kept checkpoint
checkpoints = []      # (seq applied through, books copy, index into records)
stats = dict(records=0, gaps=0, resyncs=0, snapshots=0, snapshots_equal=0,
             snapshots_differ=0, snapshots_unchecked=0, errors=0)
first_error = ''
snap_records = []
waiting_snapshots = []  # complete snapshots newer than the books

def error(text):
    global first_error
    stats['errors'] += 1
    if not first_error:
        first_error = text

def apply(books, r):
    seq, typ, oid, ticker, side, price, qty, prio = r
    key = (ticker, oid)  # market order ids are per ticker
    if typ == ADD:
        if key in books: error(f'seq {seq}: ADD of resting order {key}')
        books[key] = (ticker, side, price, qty, prio)
    elif typ == MODIFY:
        if key not in books: error(f'seq {seq}: MODIFY of unknown order {key}'); return
        t, s, p, _, pr = books[key]
        books[key] = (t, s, p, qty, pr)
    elif typ == CANCEL:
        if books.pop(key, None) is None: error(f'seq {seq}: CANCEL of unknown order {key}')
    elif typ == CLEAR:
        for k in [k for k, v in books.items() if v[0] == ticker]: del books[k]

def checkpoint():
    checkpoints.append((next_seq - 1, dict(books), len(records)))
    if len(checkpoints) > CHECKPOINTS_KEPT:
        drop = checkpoints[1][2]
        del checkpoints[0]
        del records[:drop]
        for i, (s, b, idx) in enumerate(checkpoints):
            checkpoints[i] = (s, b, idx - drop)

def books_at(seq):
    """The books after incremental seq, or None when it is outside what is kept."""
    if not synced or seq >= next_seq:
        return None
    base = None
    for s, b, idx in checkpoints:
        if s <= seq: base = (s, b, idx)
    if base is None: return None
    s, b, idx = base
    out = dict(b)
    for r in records[idx:idx + (seq - s)]:
        apply(out, r)
    return out

def apply_in_order():
    global next_seq, pending_since
    while next_seq in pending:
        r = pending.pop(next_seq)
        apply(books, r)
        records.append(r)
        next_seq += 1
        stats['records'] += 1
        if (next_seq - 1) % CHECKPOINT_EVERY == 0: checkpoint()
    pending_since = time.monotonic() if pending else None

def compare(name, expected, actual):
    if expected == actual: return ''
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    changed = [k for k in expected if k in actual and expected[k] != actual[k]]
    return f'{name}: {len(missing)} missing, {len(extra)} extra, {len(changed)} differ'

def on_snapshot(recs):
    global books, next_seq, synced, records, checkpoints
    stats['snapshots'] += 1
    last = recs[0][2]
    snapshot = {}
    for r in recs[1:-1]:
        if r[1] == ADD: snapshot[(r[3], r[2])] = (r[3], r[4], r[5], r[6], r[7])
    if not synced:
        # Resync: the snapshot covers the hole and every update held after it is contiguous.
        ahead = sorted(s for s in pending if s > last)
        if ahead and ahead[0] != last + 1: return
        if ahead and ahead[-1] - ahead[0] + 1 != len(ahead): return
        books, next_seq, synced = dict(snapshot), last + 1, True
        for s in [s for s in pending if s <= last]: del pending[s]
        records, checkpoints = [], []
        checkpoint()
        stats['resyncs'] += 1
        apply_in_order()
        return
    if last >= next_seq:
        waiting_snapshots.append((last, snapshot))
        return
    check_snapshot(last, snapshot)

def check_snapshot(last, snapshot):
    expected = books_at(last)
    if expected is None:
        stats['snapshots_unchecked'] += 1
        return
    diff = compare(f'snapshot at seq {last}', expected, snapshot)
    if diff:
        stats['snapshots_differ'] += 1
        error(diff)
    else:
        stats['snapshots_equal'] += 1

checkpoint()
buf = bytearray(2048)
while not stop:
    try:
        ready, _, _ = select.select([inc, snap], [], [], 0.2)
    except InterruptedError:
        continue
    for sock in ready:
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            if n == 0 or n % 42: error(f'datagram of {n} bytes'); continue
            recs = [REC.unpack_from(buf, o) for o in range(0, n, 42)]
            if sock is inc:
                for r in recs:
                    if r[1] == HEARTBEAT: continue
                    if r[0] >= next_seq: pending[r[0]] = r
                if synced: apply_in_order()
            else:
                for r in recs:
                    if r[1] == SNAP_START: snap_records = [r]
                    elif snap_records:
                        if r[0] != len(snap_records): snap_records = []; continue
                        snap_records.append(r)
                        if r[1] == SNAP_END:
                            on_snapshot(snap_records)
                            snap_records = []
    while waiting_snapshots and waiting_snapshots[0][0] < next_seq:
        check_snapshot(*waiting_snapshots.pop(0))
    # A hole not filled within a second: the checker itself lost data; resync from a snapshot.
    if synced and pending_since is not None and time.monotonic() - pending_since > 1.0:
        synced = False
        stats['gaps'] += 1

lines = []
dumps_equal = dumps_total = 0
for spec in dumps:
    name, path, tickers = spec.split('=')
    tickers = {int(t) for t in tickers.split(',')}
    dumps_total += 1
    try:
        with open(path) as f:
            words = f.readline().split()
            seq = int(words[1])
            actual = {}
            for line in f:
                t, side, price, qty, prio, oid = line.split()
                actual[(int(t), int(oid))] = (int(t), 1 if side == 'BUY' else -1, int(price), int(qty), int(prio))
    except (OSError, ValueError, IndexError) as e:
        lines.append(f'dump {name}: unreadable ({e})')
        continue
    expected = books_at(seq)
    if expected is None:
        lines.append(f'dump {name}: seq {seq} not checkable (checker at {next_seq - 1}, synced {synced})')
        continue
    expected = {k: v for k, v in expected.items() if v[0] in tickers}
    diff = compare(f'dump {name} at seq {seq}', expected, actual)
    if diff:
        lines.append(diff)
    else:
        dumps_equal += 1
        lines.append(f'dump {name}: equal to the exchange\'s books at seq {seq} ({len(actual)} orders)')
with open(out_path, 'w') as out:
    out.write(' '.join(f'{k}={v}' for k, v in stats.items()) + f' dumps={dumps_total} dumps_equal={dumps_equal}\n')
    for line in lines: out.write(line + '\n')
    if first_error: out.write(f'first error: {first_error}\n')
PY

# ---- start
group="239.255.$((200 + RANDOM % 50)).$((1 + RANDOM % 254))"
mport=$((10000 + 2 * (RANDOM % 5000)))
common=(--multicast-addr "$group" --multicast-port "$mport" --threading shared --idle backoff
  --stats-interval 5)
echo "=== soak: ${duration} s, random trader at ${rate} orders/s; run folder $dir"
launch exchange "$exchange_bin" --port 0 --tickers 1,2 "${common[@]}" \
  --log-file "$dir/exchange.log" --latency-csv "$dir/exchange.csv"
port=""
end=$((SECONDS + 15))
while [ -z "$port" ]; do
  port=$(sed -n 's/^exchange: order entry on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$dir/exchange.out" |
    head -n 1)
  [ -z "$port" ] || break
  if [ -s "$dir/exchange.rc" ] || [ "$SECONDS" -ge "$end" ]; then
    echo "$me: the exchange did not start:" >&2
    cat "$dir/exchange.err" >&2
    exit 1
  fi
  sleep 0.05
done

clients=(mm-1 mm-2 taker random)
declare -A tickers_of=([mm-1]=1 [mm-2]=2 [taker]="1,2" [random]="1,2")
dump_specs=()
for name in "${clients[@]}"; do
  dump_specs+=("$name=$dir/$name.book=${tickers_of[$name]}")
done
python3 "$dir/md_check.py" "$group" "$mport" "$((mport + 1))" "$dir/md_check.txt" \
  "${dump_specs[@]}" >"$dir/md_check.out" 2>&1 &
recorder_pid=$!
sleep 0.5

client=(--port "$port" "${common[@]}")
spec_mm1=(--client-id 1 --strategy market-maker --ticker 1)
spec_mm2=(--client-id 2 --strategy market-maker --ticker 2)
spec_taker=(--client-id 3 --strategy liquidity-taker --ticker "1,2" --signal-threshold 0.3)
# A loss limit the random trader never reaches, so it keeps sending at the rate it was given.
spec_random=(--client-id 4 --strategy random --ticker "1,2" --orders-per-second "$rate"
  --max-loss 1000000000000)
launch mm-1 "$trading_bin" "${spec_mm1[@]}" "${client[@]}" --book-dump "$dir/mm-1.book" \
  --log-file "$dir/mm-1.log"
launch mm-2 "$trading_bin" "${spec_mm2[@]}" "${client[@]}" --book-dump "$dir/mm-2.book" \
  --log-file "$dir/mm-2.log"
sleep 0.3
launch taker "$trading_bin" "${spec_taker[@]}" "${client[@]}" --book-dump "$dir/taker.book" \
  --log-file "$dir/taker.log"
launch random "$trading_bin" "${spec_random[@]}" "${client[@]}" --book-dump "$dir/random.book" \
  --log-file "$dir/random.log"

# ---- RSS sampler: "seconds name kib" every $sample s
(
  t0=$SECONDS
  while :; do
    for i in "${!names[@]}"; do
      kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/${pids[$i]}/status" 2>/dev/null || true)
      [ -z "$kib" ] || echo "$((SECONDS - t0)) ${names[$i]} $kib"
    done
    sleep "$sample"
  done
) >"$dir/rss.txt" 2>/dev/null &
sampler_pid=$!

# ---- run, watching for early deaths
started=$SECONDS
died=()
while [ $((SECONDS - started)) -lt "$duration" ]; do
  sleep 1
  for name in "${names[@]}"; do
    if [ -s "$dir/$name.rc" ] && [[ " ${died[*]} " != *" $name "* ]]; then
      echo "$me: $name ended early (exit $(<"$dir/$name.rc")) after $((SECONDS - started)) s" >&2
      died+=("$name")
    fi
  done
  if [ $(((SECONDS - started) % 60)) -eq 0 ]; then
    grep -E '^exchange: sessions' "$dir/exchange.out" | tail -n 1 | sed "s/^/[$((SECONDS - started))s] /" || true
  fi
done
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""

# ---- stop: the clients (they write their book dumps), the market data checker, the exchange
stop_names "${clients[@]}"
sleep 1  # the cancel-on-disconnect updates and one more snapshot
kill -TERM "$recorder_pid" 2>/dev/null || true
wait "$recorder_pid" 2>/dev/null || true
recorder_pid=""
stop_names exchange
for name in "${names[@]}"; do
  end=$((SECONDS + 5))
  while [ ! -s "$dir/$name.rc" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
done

# ---- checks
status=0
fail() {
  echo "FAIL: $1"
  status=1
}
echo
echo "=== soak results (${duration} s; everything is in $dir)"
echo
echo "processes:"
for name in "${names[@]}"; do
  rc=$(cat "$dir/$name.rc" 2>/dev/null || echo unknown)
  note=""
  [ ! -e "$dir/$name.killed" ] || note=" (killed with SIGKILL)"
  echo "  $name exit $rc$note"
  if [ "$rc" != 0 ] || [ -n "$note" ]; then fail "$name exit $rc$note"; fi
done
[ ${#died[@]} -eq 0 ] || fail "ended before the stop: ${died[*]}"

echo
echo "requests and answers (per client):"
for name in "${clients[@]}"; do
  out="$dir/$name.out"
  session=$(grep -E '^trading: session logons' "$out" | tail -n 1 || true)
  rtt=$(grep -E '^trading: tick-to-trade .* answers\)' "$out" | tail -n 1 || true)
  if [ -z "$session" ] || [ -z "$rtt" ]; then
    fail "$name printed no summary"
    continue
  fi
  num() { sed -nE "s/.*$1 ([0-9]+).*/\\1/p" <<<"$2" | head -n 1; }
  logons=$(num 'session logons' "$session")
  disconnects=$(num 'disconnects' "$session")
  requests=$(num 'requests' "$session")
  refused=$(num 'refused while down' "$session")
  protocol=$(num 'protocol errors' "$session")
  answers=$(sed -nE 's/.*order round trip .*\(([0-9]+) answers\).*/\1/p' <<<"$rtt")
  unanswered=$((requests - answers))
  echo "  $name: requests $requests, answered $answers (in flight at the stop $unanswered), logons $logons, disconnects $disconnects, refused while down $refused, protocol errors $protocol"
  [ "$logons" = 1 ] || fail "$name logged on $logons times"
  [ "$refused" = 0 ] || fail "$name refused $refused requests while down"
  [ "$protocol" = 0 ] || fail "$name saw $protocol protocol errors"
  # Only the requests in flight when SIGTERM came may be unanswered (a handful at most).
  if [ "$unanswered" -lt 0 ] || [ "$unanswered" -gt 20 ]; then
    fail "$name: $unanswered requests unanswered"
  fi
done
ex_final=$(grep -E '^exchange: sessions' "$dir/exchange.out" | tail -n 1 || true)
echo "  exchange: ${ex_final#exchange: }"

echo
echo "books:"
if [ -s "$dir/md_check.txt" ]; then
  sed 's/^/  /' "$dir/md_check.txt"
  summary=$(head -n 1 "$dir/md_check.txt")
  get() { sed -nE "s/.*(^| )$1=([0-9]+).*/\\2/p" <<<"$summary"; }
  [ "$(get snapshots_differ)" = 0 ] || fail "$(get snapshots_differ) snapshots differ from the stream"
  [ "$(get snapshots_equal)" -gt 0 ] || fail "no snapshot was checked"
  [ "$(get errors)" = 0 ] || fail "the market data checker saw $(get errors) errors"
  [ "$(get dumps_equal)" = "$(get dumps)" ] || fail "only $(get dumps_equal) of $(get dumps) client books equal the exchange's"
else
  fail "the market data checker wrote nothing (see $dir/md_check.out)"
  cat "$dir/md_check.out" 2>/dev/null || true
fi

echo
echo "resident memory (KiB; samples every ${sample} s, after the first 20% of the run):"
warm=$((duration / 5))
for name in "${names[@]}"; do
  read -r n first min max last < <(awk -v n="$name" -v w="$warm" \
    '$2 == n && $1 >= w { c++; if (c == 1) { f = $3; lo = $3; hi = $3 } if ($3 < lo) lo = $3; if ($3 > hi) hi = $3; l = $3 }
     END { printf "%d %d %d %d %d\n", c, f, lo, hi, l }' "$dir/rss.txt")
  if [ "$n" -lt 2 ]; then
    fail "$name: fewer than 2 RSS samples after warm-up"
    continue
  fi
  growth=$(awk -v lo="$min" -v hi="$max" 'BEGIN { printf "%.2f", (lo > 0 ? 100 * (hi - lo) / lo : 0) }')
  echo "  $name: $n samples, first $first, min $min, max $max, last $last (spread ${growth}%)"
  awk -v g="$growth" 'BEGIN { exit !(g <= 5.0) }' || fail "$name RSS varied ${growth}% after warm-up"
done

echo
echo "rejects by reason:"
for name in "${clients[@]}"; do
  orders=$(grep -E '^trading: orders sent' "$dir/$name.out" | tail -n 1 || true)
  [ -n "$orders" ] || continue
  echo "  $name: ${orders#trading: }"
done
echo "  (the exchange's rejects by reason are not printed by either executable: only their totals)"

echo
if [ "$status" -eq 0 ]; then
  echo "soak: PASS"
else
  echo "soak: FAIL"
fi
exit "$status"
