"""The soak's market data checker: joins the exchange's two multicast streams, rebuilds the
books from the incremental stream, compares every snapshot the exchange publishes with them
and, at the end, each client's --book-dump with them at the dump's seq.

    python3 -m llt.md_check [--interface ADDR] GROUP PORT SNAPSHOT_PORT OUT NAME=PATH=TICKERS...

(--interface: the local address to join the group on, default 127.0.0.1.)

Runs until SIGTERM or SIGINT, then writes OUT: a first line of counts "key=value ...", a
line per book dump, and the first error if any. Record layout: docs/protocol.md."""

from __future__ import annotations

import sys
import time

from llt import md_wire
from llt.md_wire import ADD, HEARTBEAT, REC, SNAP_END, SNAP_START, Books

CHECKPOINT_EVERY = 20000
CHECKPOINTS_KEPT = 8


def compare(name: str, expected: Books, actual: Books) -> str:
    """'' when equal, else how they differ."""
    if expected == actual:
        return ""
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    changed = [k for k in expected if k in actual and expected[k] != actual[k]]
    return f"{name}: {len(missing)} missing, {len(extra)} extra, {len(changed)} differ"


class Checker:
    """The books rebuilt from the incremental stream, with checkpoints to rebuild them at a
    recent seq, and the snapshot checks. Fed record by record (tuples as REC unpacks them)."""

    def __init__(self) -> None:
        self.books: Books = {}
        self.next_seq = 1  # the next incremental seq to apply
        self.synced = True  # books valid up to next_seq - 1
        self.pending: dict[int, tuple] = {}  # seq -> record, ahead of next_seq
        self.pending_since: float | None = None
        self.records: list[tuple] = []  # applied since the oldest kept checkpoint
        self.checkpoints: list[tuple] = []  # (seq applied through, books copy, records index)
        self.stats = dict(records=0, gaps=0, resyncs=0, snapshots=0, snapshots_equal=0,
                          snapshots_differ=0, snapshots_unchecked=0, errors=0)
        self.first_error = ""
        self.snap_records: list[tuple] = []
        self.waiting_snapshots: list[tuple] = []  # complete snapshots newer than the books
        self.checkpoint()

    def error(self, text: str) -> None:
        self.stats["errors"] += 1
        if not self.first_error:
            self.first_error = text

    def apply(self, books: Books, r: tuple) -> None:
        why = md_wire.apply(books, r)
        if why:
            self.error(why)

    def checkpoint(self) -> None:
        self.checkpoints.append((self.next_seq - 1, dict(self.books), len(self.records)))
        if len(self.checkpoints) > CHECKPOINTS_KEPT:
            drop = self.checkpoints[1][2]
            del self.checkpoints[0]
            del self.records[:drop]
            self.checkpoints = [(s, b, idx - drop) for s, b, idx in self.checkpoints]

    def books_at(self, seq: int) -> Books | None:
        """The books after incremental seq, or None when it is outside what is kept."""
        if not self.synced or seq >= self.next_seq:
            return None
        base = None
        for s, b, idx in self.checkpoints:
            if s <= seq:
                base = (s, b, idx)
        if base is None:
            return None
        s, b, idx = base
        out = dict(b)
        for r in self.records[idx:idx + (seq - s)]:
            self.apply(out, r)
        return out

    def apply_in_order(self) -> None:
        while self.next_seq in self.pending:
            r = self.pending.pop(self.next_seq)
            self.apply(self.books, r)
            self.records.append(r)
            self.next_seq += 1
            self.stats["records"] += 1
            if (self.next_seq - 1) % CHECKPOINT_EVERY == 0:
                self.checkpoint()
        self.pending_since = time.monotonic() if self.pending else None

    def on_incremental(self, recs: list[tuple]) -> None:
        for r in recs:
            if r[1] == HEARTBEAT:
                continue
            if r[0] >= self.next_seq:
                self.pending[r[0]] = r
        if self.synced:
            self.apply_in_order()

    def on_snapshot_datagram(self, recs: list[tuple]) -> None:
        for r in recs:
            if r[1] == SNAP_START:
                self.snap_records = [r]
            elif self.snap_records:
                if r[0] != len(self.snap_records):
                    self.snap_records = []
                    continue
                self.snap_records.append(r)
                if r[1] == SNAP_END:
                    self.on_snapshot(self.snap_records)
                    self.snap_records = []

    def on_snapshot(self, recs: list[tuple]) -> None:
        self.stats["snapshots"] += 1
        last = recs[0][2]
        snapshot = {}
        for r in recs[1:-1]:
            if r[1] == ADD:
                snapshot[(r[3], r[2])] = (r[3], r[4], r[5], r[6], r[7])
        if not self.synced:
            # Resync: the snapshot covers the hole and every update held after it is
            # contiguous.
            ahead = sorted(s for s in self.pending if s > last)
            if ahead and ahead[0] != last + 1:
                return
            if ahead and ahead[-1] - ahead[0] + 1 != len(ahead):
                return
            self.books, self.next_seq, self.synced = dict(snapshot), last + 1, True
            for s in [s for s in self.pending if s <= last]:
                del self.pending[s]
            self.records, self.checkpoints = [], []
            self.checkpoint()
            self.stats["resyncs"] += 1
            self.apply_in_order()
            return
        if last >= self.next_seq:
            self.waiting_snapshots.append((last, snapshot))
            return
        self.check_snapshot(last, snapshot)

    def check_snapshot(self, last: int, snapshot: Books) -> None:
        expected = self.books_at(last)
        if expected is None:
            self.stats["snapshots_unchecked"] += 1
            return
        diff = compare(f"snapshot at seq {last}", expected, snapshot)
        if diff:
            self.stats["snapshots_differ"] += 1
            self.error(diff)
        else:
            self.stats["snapshots_equal"] += 1

    def after_poll(self) -> None:
        while self.waiting_snapshots and self.waiting_snapshots[0][0] < self.next_seq:
            self.check_snapshot(*self.waiting_snapshots.pop(0))
        # A hole not filled within a second: the checker itself lost data; resync from a
        # snapshot.
        if (self.synced and self.pending_since is not None
                and time.monotonic() - self.pending_since > 1.0):
            self.synced = False
            self.stats["gaps"] += 1

    def check_dump(self, name: str, path: str, tickers: set[int]) -> tuple[bool, str]:
        """Whether a client's --book-dump equals the books at its seq, and the line saying so."""
        try:
            with open(path, encoding="utf-8") as f:
                words = f.readline().split()
                seq = int(words[1])
                actual = {}
                for line in f:
                    t, side, price, qty, prio, oid = line.split()
                    actual[(int(t), int(oid))] = (int(t), 1 if side == "BUY" else -1, int(price),
                                                  int(qty), int(prio))
        except (OSError, ValueError, IndexError) as e:
            return False, f"dump {name}: unreadable ({e})"
        expected = self.books_at(seq)
        if expected is None:
            return False, (f"dump {name}: seq {seq} not checkable (checker at "
                           f"{self.next_seq - 1}, synced {self.synced})")
        expected = {k: v for k, v in expected.items() if v[0] in tickers}
        diff = compare(f"dump {name} at seq {seq}", expected, actual)
        if diff:
            return False, diff
        return True, (f"dump {name}: equal to the exchange's books at seq {seq} "
                      f"({len(actual)} orders)")

    def report(self, dumps: list[str]) -> str:
        """The OUT file's text for the NAME=PATH=TICKERS dump specs."""
        lines = []
        equal = 0
        for spec in dumps:
            name, path, tickers = spec.split("=")
            ok, line = self.check_dump(name, path, {int(t) for t in tickers.split(",")})
            equal += ok
            lines.append(line)
        head = " ".join(f"{k}={v}" for k, v in self.stats.items())
        text = f"{head} dumps={len(dumps)} dumps_equal={equal}\n"
        text += "".join(line + "\n" for line in lines)
        if self.first_error:
            text += f"first error: {self.first_error}\n"
        return text


def parse_counts(first_line: str) -> dict[str, int]:
    """The counts of an OUT file's first line."""
    counts = {}
    for word in first_line.split():
        key, _, value = word.partition("=")
        if value.isdigit():
            counts[key] = int(value)
    return counts


def main(argv: list[str]) -> int:
    interface = "127.0.0.1"
    if len(argv) >= 2 and argv[0] == "--interface":
        interface, argv = argv[1], argv[2:]
    if len(argv) < 4:
        print("usage: python3 -m llt.md_check [--interface ADDR] GROUP PORT SNAPSHOT_PORT OUT "
              "NAME=PATH=TICKERS...", file=sys.stderr)
        return 2
    group, port, snap_port, out_path = argv[0], int(argv[1]), int(argv[2]), argv[3]
    dumps = argv[4:]
    inc = md_wire.receiver(group, port, interface)
    snap = md_wire.receiver(group, snap_port, interface)
    should_stop = md_wire.stop_on_signals()
    checker = Checker()
    buf = bytearray(2048)

    def on_datagram(sock, data: bytes) -> None:
        n = len(data)
        if n == 0 or n % REC.size:
            checker.error(f"datagram of {n} bytes")
            return
        recs = [REC.unpack_from(data, o) for o in range(0, n, REC.size)]
        if sock is inc:
            checker.on_incremental(recs)
        else:
            checker.on_snapshot_datagram(recs)

    while not should_stop():
        md_wire.drain([inc, snap], 0.2, buf, on_datagram)
        checker.after_poll()
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(checker.report(dumps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
