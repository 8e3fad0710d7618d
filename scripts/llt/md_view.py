"""scripts/md_view.sh: a live terminal view of the exchange's market data. It joins the two
multicast streams, rebuilds every ticker's book from the incremental stream (syncing from the
snapshot stream at a late start and after a sequence gap, docs/recovery.md), and draws a ladder
of the top price levels per ticker, the last trades, the message rate and the gaps, in curses
or (--plain) as text frames on stdout. Prices are in the protocol's unit, cents."""

from __future__ import annotations

import collections
import curses
import dataclasses
import os
import signal
import sys
import time

from llt import command, md_wire
from llt.md_wire import (ADD, HEARTBEAT, INCREMENTAL_TYPES, SNAP_END, SNAP_START,
                         SNAPSHOT_TYPES, TRADE)

ME = "scripts/md_view.sh"
USAGE = f"""usage: {ME} [--run DIR | --multicast-addr GROUP --multicast-port PORT]
                         [--snapshot-port PORT] [--interface ADDR] [--levels N]
                         [--tickers LIST] [--refresh SECONDS] [--duration SECONDS] [--plain]

A live view of the exchange's market data: per ticker a ladder of the top price levels (orders
and quantity on each side), the best bid and ask, the last trade; the last trades of all
tickers; records and datagrams per second, sequence gaps and how the view recovered from them
(the snapshot stream). Prices are in cents, as on the wire. q quits (or Ctrl-C).

  --run DIR              read the group and port of a run folder of
                         scripts/run_exchange_and_clients.sh (its run.env), e.g.
                         build/runs/latest
  --multicast-addr GROUP the exchange's --multicast-addr (default 239.255.0.1)
  --multicast-port PORT  the incremental stream's port (default 5000)
  --snapshot-port PORT   the snapshot stream's port (default: multicast port + 1)
  --interface ADDR       the local address to join the group on (default 127.0.0.1)
  --levels N             price levels shown per side (default 5, 1 to 50)
  --tickers LIST         the tickers shown, comma-separated (default: every ticker seen)
  --refresh SECONDS      seconds between two screens (default 0.25)
  --duration SECONDS     exit after that long (default 0: until q or Ctrl-C)
  --plain                print each screen to stdout as text instead of drawing with curses"""

MAX_PENDING = 500_000  # incremental records held while syncing; the oldest go first


@dataclasses.dataclass
class ChannelOptions:
    """The market data channel flags the viewer, the recorder and the player share
    (parse_channel_flag)."""
    group: str = "239.255.0.1"
    port: int = 5000
    snapshot_port: int | None = None
    interface: str = "127.0.0.1"
    run_dir: str = ""
    help: bool = False

    @property
    def snapshot(self) -> int:
        return self.snapshot_port if self.snapshot_port is not None else self.port + 1


@dataclasses.dataclass
class Options(ChannelOptions):
    levels: int = 5
    tickers: tuple[int, ...] = ()
    refresh: float = 0.25
    duration: float = 0.0
    plain: bool = False


def number_flag(flag: str, text: str, kind: type, low: float, high: float):
    try:
        value = kind(text)
    except ValueError:
        raise command.UsageError(f"{flag}: '{text}' is not a number") from None
    if not low <= value <= high:
        raise command.UsageError(f"{flag}: {text} is out of range ({low} to {high})")
    return value


def read_run_env(run_dir: str) -> dict[str, str]:
    """The key=value lines of a run folder's run.env."""
    path = os.path.join(run_dir, "run.env")
    try:
        with open(path, encoding="utf-8") as f:
            return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    except OSError as e:
        raise command.UsageError(f"--run: cannot read {path} ({e.strerror})") from None


# The flags parse_channel_flag() takes, each with a value.
CHANNEL_FLAGS = ("--run", "--multicast-addr", "--multicast-port", "--snapshot-port", "--interface")


def flag_value(argv: list[str], i: int, flags: tuple[str, ...]) -> str:
    """The value of argv[i], a flag of `flags` (each takes one); a usage error naming it when it
    is none of them or has no value."""
    flag = argv[i]
    if flag not in flags:
        raise command.UsageError(f"unknown flag '{flag}'" if flag.startswith("-")
                                 else f"unexpected argument '{flag}'")
    if i + 1 >= len(argv):
        raise command.UsageError(f"{flag}: expects a value")
    return argv[i + 1]


def check_channel(opts: ChannelOptions) -> None:
    """What the channel flags cannot be together: the two streams on one port."""
    if opts.snapshot == opts.port:
        raise command.UsageError(f"--snapshot-port: {opts.snapshot} is the incremental stream's "
                                 "port (--multicast-port)")


def parse_channel_flag(opts: ChannelOptions, flag: str, value: str) -> bool:
    """Applies one of the channel flags shared with the recorder and player; False when `flag`
    is not one of them."""
    if flag == "--run":
        env = read_run_env(value)
        if "multicast_addr" not in env or "multicast_port" not in env:
            raise command.UsageError(f"--run: {value}/run.env names no multicast_addr and "
                                     "multicast_port")
        # Checked as the flags would be: the file may have been edited by hand.
        where = f"--run: {value}/run.env:"
        try:
            opts.group = md_wire.check_ipv4(f"{where} multicast_addr", env["multicast_addr"],
                                            multicast=True)
        except ValueError as e:
            raise command.UsageError(str(e)) from None
        opts.port = number_flag(f"{where} multicast_port", env["multicast_port"], int, 1, 65534)
        opts.run_dir = value
    elif flag == "--multicast-addr":
        try:
            opts.group = md_wire.check_ipv4(flag, value, multicast=True)
        except ValueError as e:
            raise command.UsageError(str(e)) from None
    elif flag == "--multicast-port":
        opts.port = number_flag(flag, value, int, 1, 65534)
    elif flag == "--snapshot-port":
        opts.snapshot_port = number_flag(flag, value, int, 1, 65535)
    elif flag == "--interface":
        try:
            opts.interface = md_wire.check_ipv4(flag, value, multicast=False)
        except ValueError as e:
            raise command.UsageError(str(e)) from None
    else:
        return False
    return True


def parse(argv: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag in ("-h", "--help"):
            opts.help = True
            return opts
        if flag == "--plain":
            opts.plain = True
            i += 1
            continue
        value = flag_value(argv, i, CHANNEL_FLAGS + ("--levels", "--tickers", "--refresh",
                                                     "--duration"))
        if parse_channel_flag(opts, flag, value):
            pass
        elif flag == "--levels":
            opts.levels = number_flag(flag, value, int, 1, 50)
        elif flag == "--tickers":
            try:
                opts.tickers = tuple(int(t) for t in value.split(","))
            except ValueError:
                opts.tickers = ()
            if not opts.tickers or any(not 1 <= t <= 0xFFFFFFFF for t in opts.tickers):
                raise command.UsageError(f"--tickers: '{value}' is not a comma-separated list "
                                         "of ticker ids (1 to 4294967295)")
        elif flag == "--refresh":
            opts.refresh = number_flag(flag, value, float, 0.05, 60)
        elif flag == "--duration":
            opts.duration = number_flag(flag, value, float, 0, 86400 * 365)
        i += 2
    check_channel(opts)
    return opts


class MarketView:
    """The books rebuilt from the two streams, fed datagram by datagram, and what the screen
    shows about them. Live: the books hold every incremental record up to next_seq - 1.
    Syncing: incremental records are held until a complete snapshot covers the hole."""

    def __init__(self, trades_kept: int = 12) -> None:
        self.books: md_wire.Books = {}
        self.live = False
        self.next_seq = 1
        self.pending: dict[int, tuple] = {}
        self.snap: list[tuple] = []
        self.trades: collections.deque = collections.deque(maxlen=trades_kept)
        self.last_trade: dict[int, tuple] = {}  # ticker -> (side, price, qty)
        self.tickers_seen: set[int] = set()
        self.counts = dict(records=0, datagrams=0, bad_datagrams=0, gaps=0, recoveries=0,
                           restarts=0, snapshots=0, errors=0)
        self.first_error = ""
        self._rate_mark = (time.monotonic(), 0, 0)
        self.records_per_s = 0.0
        self.datagrams_per_s = 0.0

    # --- incremental stream
    def on_incremental(self, data: bytes, now: float | None = None) -> None:
        records = md_wire.decode(data, INCREMENTAL_TYPES)
        if records is None:
            self.counts["bad_datagrams"] += 1
            return
        self.counts["datagrams"] += 1
        for r in records:
            seq, typ = r[0], r[1]
            if typ == HEARTBEAT:
                # Its number is the next update's: a larger one means a lost tail.
                if self.live and seq > self.next_seq:
                    self._lose_sync()
                continue
            self.counts["records"] += 1
            self.tickers_seen.add(r[3])
            if seq == 1 and self.next_seq > 1:
                # The exchange started again with empty books (a restart without a journal).
                self.counts["restarts"] += 1
                self.books, self.pending, self.next_seq = {}, {}, 1
                self.live = True
            if typ == TRADE and seq >= self.next_seq:
                self._trade(r, now)
            if seq >= self.next_seq:
                self.pending[seq] = r
        if not self.live and self.next_seq == 1 and 1 in self.pending:
            self.live = True  # seen from the exchange's first record: the books start empty
        if self.live:
            self._apply_in_order()
            if self.pending:
                self._lose_sync()
        self._bound_pending()

    def _trade(self, r: tuple, now: float | None) -> None:
        _, _, _, ticker, side, price, qty, _ = r
        self.last_trade[ticker] = (side, price, qty)
        self.trades.appendleft((now if now is not None else time.time(), ticker, side, price,
                                qty))

    def _lose_sync(self) -> None:
        self.live = False
        self.counts["gaps"] += 1

    def _apply_in_order(self) -> None:
        while self.next_seq in self.pending:
            why = md_wire.apply(self.books, self.pending.pop(self.next_seq))
            if why:
                self.counts["errors"] += 1
                self.first_error = self.first_error or why
            self.next_seq += 1

    def _bound_pending(self) -> None:
        if len(self.pending) > MAX_PENDING:
            for seq in sorted(self.pending)[:len(self.pending) - MAX_PENDING]:
                del self.pending[seq]

    # --- snapshot stream
    def on_snapshot(self, data: bytes) -> None:
        records = md_wire.decode(data, SNAPSHOT_TYPES)
        if records is None:
            self.counts["bad_datagrams"] += 1
            return
        for r in records:
            if r[1] == SNAP_START:
                self.snap = [r] if r[0] == 0 else []
            elif self.snap:
                if r[0] != len(self.snap):
                    self.snap = []  # a record of this snapshot was lost: wait for the next
                    continue
                self.snap.append(r)
                if r[1] == SNAP_END:
                    self._on_complete_snapshot(self.snap)
                    self.snap = []

    def _on_complete_snapshot(self, records: list[tuple]) -> None:
        self.counts["snapshots"] += 1
        for r in records[1:-1]:
            self.tickers_seen.add(r[3])
        if self.live:
            return
        last = records[0][2]  # the last incremental seq it includes
        ahead = sorted(s for s in self.pending if s > last)
        if ahead and (ahead[0] != last + 1 or ahead[-1] - ahead[0] + 1 != len(ahead)):
            return  # a hole after the snapshot: wait for a later one
        self.books = {}
        for r in records[1:-1]:
            if r[1] == ADD:
                md_wire.apply(self.books, r)
        self.pending = {s: r for s, r in self.pending.items() if s > last}
        self.next_seq = last + 1
        self.live = True
        self.counts["recoveries"] += 1
        self._apply_in_order()

    # --- what the screen shows
    def levels(self, ticker: int) -> tuple[list[tuple], list[tuple]]:
        """(bids best first, asks best first), each level (price, qty, orders)."""
        sides: dict[int, dict[int, list[int]]] = {1: {}, -1: {}}
        for t, side, price, qty, _ in self.books.values():
            if t == ticker and side in sides:
                level = sides[side].setdefault(price, [0, 0])
                level[0] += qty
                level[1] += 1
        bids = sorted(((p, q, n) for p, (q, n) in sides[1].items()), reverse=True)
        asks = sorted((p, q, n) for p, (q, n) in sides[-1].items())
        return bids, asks

    def sample_rates(self, now: float) -> None:
        """Updates the per-second rates when a second or more passed since the last sample."""
        then, records, datagrams = self._rate_mark
        if now - then >= 1.0:
            self.records_per_s = (self.counts["records"] - records) / (now - then)
            self.datagrams_per_s = (self.counts["datagrams"] - datagrams) / (now - then)
            self._rate_mark = (now, self.counts["records"], self.counts["datagrams"])


def side_name(side: int) -> str:
    return "buy" if side == 1 else "sell" if side == -1 else f"side {side}"


def render(view: MarketView, opts: Options, width: int = 100) -> list[str]:
    """The screen as lines of text (at most `width` characters each)."""
    c = view.counts
    state = "LIVE" if view.live else "SYNCING (waiting for a snapshot)"
    lines = [
        f"{state}   seq {view.next_seq - 1}   market data {opts.group}:{opts.port} "
        f"(snapshots :{opts.snapshot}) on {opts.interface}",
        f"records/s {view.records_per_s:,.0f}   datagrams/s {view.datagrams_per_s:,.0f}   "
        f"gaps {c['gaps']}   recoveries {c['recoveries']}   restarts {c['restarts']}   "
        f"bad datagrams {c['bad_datagrams']}   snapshots {c['snapshots']}   prices in cents",
    ]
    if c["errors"]:
        lines.append(f"records that did not fit the book: {c['errors']} (first: "
                     f"{view.first_error})")
    tickers = opts.tickers or tuple(sorted(view.tickers_seen))
    if not tickers:
        lines += ["", "no market data yet"]
    for ticker in tickers:
        bids, asks = view.levels(ticker)
        best_bid = f"{bids[0][0]} x {bids[0][1]}" if bids else "-"
        best_ask = f"{asks[0][0]} x {asks[0][1]}" if asks else "-"
        last = view.last_trade.get(ticker)
        last_text = f"{last[1]} x {last[2]} ({side_name(last[0])})" if last else "-"
        lines += ["", f"ticker {ticker}   bid {best_bid}   ask {best_ask}   last {last_text}",
                  f"{'orders':>8} {'bid qty':>10} {'price':>12}  {'ask qty':<10} {'orders':<8}"]
        for price, qty, n in reversed(asks[:opts.levels]):
            lines.append(f"{'':>8} {'':>10} {price:>12}  {qty:<10} {n:<8}")
        if not asks:
            lines.append(f"{'':>8} {'':>10} {'(no asks)':>12}")
        for price, qty, n in bids[:opts.levels]:
            lines.append(f"{n:>8} {qty:>10} {price:>12}")
        if not bids:
            lines.append(f"{'':>8} {'':>10} {'(no bids)':>12}")
    lines += ["", "last trades (aggressor side)"]
    for when, ticker, side, price, qty in view.trades:
        stamp = time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when * 1000) % 1000:03d}"
        lines.append(f"  {stamp}  ticker {ticker}  {side_name(side):<4} {qty} @ {price}")
    if not view.trades:
        lines.append("  none yet")
    return [line[:width] for line in lines]


def pump(view: MarketView, inc, snap, timeout: float, buf: bytearray) -> None:
    """Reads every datagram waiting on the two sockets (waiting up to `timeout` for one)."""
    md_wire.drain([inc, snap], timeout, buf, lambda sock, data: view.on_incremental(data)
                  if sock is inc else view.on_snapshot(data))


def run_loop(opts: Options, draw, should_stop) -> MarketView:
    inc = md_wire.receiver(opts.group, opts.port, opts.interface)
    try:
        snap = md_wire.receiver(opts.group, opts.snapshot, opts.interface)
    except OSError:
        inc.close()
        raise
    view = MarketView()
    buf = bytearray(65536)
    start = time.monotonic()
    next_frame = start
    try:
        while not should_stop():
            now = time.monotonic()
            if opts.duration and now - start >= opts.duration:
                break
            pump(view, inc, snap, max(0.0, min(0.05, next_frame - now)), buf)
            now = time.monotonic()
            if now >= next_frame:
                view.sample_rates(now)
                draw(view)
                next_frame = now + opts.refresh
    finally:
        inc.close()
        snap.close()
    return view


def act(opts: Options) -> int:
    # SIGINT stays KeyboardInterrupt (exit 130, the terminal restored by curses.wrapper).
    terminated = md_wire.stop_on_signals(signal.SIGTERM)
    if opts.plain or not sys.stdout.isatty():
        def draw_plain(view: MarketView) -> None:
            print("\n".join(render(view, opts)) + "\n", flush=True)

        run_loop(opts, draw_plain, terminated)
        return 0

    def with_screen(screen) -> None:
        curses.curs_set(0)
        screen.nodelay(True)
        quit_key = [False]

        def draw(view: MarketView) -> None:
            height, width = screen.getmaxyx()
            screen.erase()
            for row, line in enumerate(render(view, opts, max(1, width - 1))[:height]):
                screen.addstr(row, 0, line)
            screen.refresh()
            if screen.getch() in (ord("q"), ord("Q")):
                quit_key[0] = True

        run_loop(opts, draw, lambda: quit_key[0] or terminated())

    curses.wrapper(with_screen)
    return 0


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
