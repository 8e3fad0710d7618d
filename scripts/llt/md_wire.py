"""The market data wire format as the scripts read and write it: the 42-byte MarketUpdate
record, its types, a datagram's decoding, the multicast sockets (loopback by default, TTL 1)
and how a record changes a book of orders. The layout is docs/protocol.md's "Market data"."""

from __future__ import annotations

import ipaddress
import select
import signal
import socket
import struct
from collections.abc import Callable

REC = struct.Struct("<QBQIbqIQ")  # seq, type, order id, ticker, side, price, qty, priority
MAX_RECORDS = 34  # records in one datagram at most
CLEAR, ADD, MODIFY, CANCEL, TRADE, SNAP_START, SNAP_END, HEARTBEAT, REPLAY_END = range(1, 10)
TYPE_NAMES = {CLEAR: "CLEAR", ADD: "ADD", MODIFY: "MODIFY", CANCEL: "CANCEL", TRADE: "TRADE",
              SNAP_START: "SNAPSHOT_START", SNAP_END: "SNAPSHOT_END", HEARTBEAT: "HEARTBEAT",
              REPLAY_END: "REPLAY_END"}
INCREMENTAL_TYPES = frozenset((CLEAR, ADD, MODIFY, CANCEL, TRADE, HEARTBEAT))
SNAPSHOT_TYPES = frozenset((CLEAR, ADD, SNAP_START, SNAP_END))

# An order of a book: (ticker, order id) -> (ticker, side, price, qty, priority). Market order
# ids are per ticker.
Books = dict


def decode(data: bytes | bytearray | memoryview, allowed: frozenset[int]) -> list[tuple] | None:
    """The records of a datagram, as REC unpacks them; None when the datagram must be dropped
    whole: a length that is 0, not a multiple of 42 or above 34 records, or a record type that
    does not belong on the stream (`allowed`)."""
    n = len(data)
    if n == 0 or n % REC.size or n // REC.size > MAX_RECORDS:
        return None
    records = [REC.unpack_from(data, offset) for offset in range(0, n, REC.size)]
    if any(r[1] not in allowed for r in records):
        return None
    return records


def encode(records: list[tuple]) -> bytes:
    """A datagram of records (tuples in REC's order)."""
    return b"".join(REC.pack(*r) for r in records)


def apply(books: Books, record: tuple) -> str:
    """Applies one incremental or snapshot record to `books`; '' or why it does not fit them
    (the change that fits is still made: an ADD replaces, an unknown MODIFY is ignored)."""
    seq, typ, oid, ticker, side, price, qty, prio = record
    key = (ticker, oid)
    if typ == ADD:
        known = key in books
        books[key] = (ticker, side, price, qty, prio)
        return f"seq {seq}: ADD of resting order {key}" if known else ""
    if typ == MODIFY:
        if key not in books:
            return f"seq {seq}: MODIFY of unknown order {key}"
        t, s, p, _, pr = books[key]
        books[key] = (t, s, p, qty, pr)
        return ""
    if typ == CANCEL:
        if books.pop(key, None) is None:
            return f"seq {seq}: CANCEL of unknown order {key}"
        return ""
    if typ == CLEAR:
        for k in [k for k, v in books.items() if v[0] == ticker]:
            del books[k]
    return ""


def check_ipv4(flag: str, text: str, multicast: bool) -> str:
    """`text` when it is a dotted IPv4 address (a multicast group when `multicast`, else a local
    unicast address other than 0.0.0.0); raises ValueError naming `flag` otherwise."""
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError(f"{flag}: '{text}' is not an IPv4 address") from None
    if multicast and not address.is_multicast:
        raise ValueError(f"{flag}: '{text}' is not a multicast group (224.0.0.0/4)")
    if not multicast and (address.is_multicast or address.is_unspecified):
        raise ValueError(f"{flag}: '{text}' is not a local interface address")
    return text


def receiver(group: str, port: int, interface: str = "127.0.0.1") -> socket.socket:
    """A non-blocking UDP socket bound to group:port that joined the group on `interface`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((group, port))
        mreq = socket.inet_aton(group) + socket.inet_aton(interface)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


def drain(sockets: list[socket.socket], timeout: float, buf: bytearray,
          handle: Callable[[socket.socket, bytes], None]) -> None:
    """Waits up to `timeout` for one of the non-blocking `sockets` to be readable, then calls
    handle(socket, datagram) for every datagram waiting on each readable one."""
    try:
        ready, _, _ = select.select(sockets, [], [], timeout)
    except InterruptedError:
        return
    for sock in ready:
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            handle(sock, bytes(buf[:n]))


def stop_on_signals(*signals: int) -> Callable[[], bool]:
    """Installs handlers for `signals` (default SIGTERM and SIGINT) that only raise a flag;
    returns the function that reads it."""
    stopped = [False]

    def on_signal(*_):
        stopped[0] = True

    for signo in signals or (signal.SIGTERM, signal.SIGINT):
        signal.signal(signo, on_signal)
    return lambda: stopped[0]


def sender(interface: str = "127.0.0.1", ttl: int = 1) -> socket.socket:
    """A UDP socket that sends multicast out of `interface` with `ttl`, looped back to this
    host's receivers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    except OSError:
        s.close()
        raise
    return s
