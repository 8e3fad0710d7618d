#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (a few valid sequences per target).

The byte layouts are the decoders' in the *_fuzz.cpp files. Run from anywhere:
    python3 tests/fuzz/make_corpus.py
"""
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"

NEW, CANCEL, LOGON, HEARTBEAT, LOGOUT, MODIFY = 1, 2, 3, 4, 5, 6
GTC, IOC, FOK = 0, 1, 2
POST_ONLY = KEEP_ORDERS = 0x01


def request(seq, msg_type, client, ticker=0, order_id=0, side=0, price=0, qty=0, tif=0, flags=0):
    """A ClientRequest, 40 bytes (docs/protocol.md)."""
    return struct.pack("<QBIIQbqIBB", seq, msg_type, client, ticker, order_id, side, price, qty,
                       tif, flags)


def order_server_seeds():
    seeds = {}
    # Two connections, pending 8, self-trade prevention off, max invalid 4, no throttle.
    header = bytes([1, 7, 0, 3, 1])
    ops = bytearray(header)
    ops += bytes([0x05, 0x15])  # connect 0 and 1

    def send(conn, data, chunks=1):
        out = bytearray()
        step = (len(data) + chunks - 1) // chunks
        for i in range(0, len(data), step):
            part = data[i:i + step]
            out += bytes([conn << 4, len(part)]) + part
        return out

    # Version 2 numbering: LOGON, HEARTBEAT and LOGOUT carry the client's next request number
    # and take none; NEW, CANCEL and MODIFY are numbered from 1.
    ops += send(0, request(1, LOGON, 1))
    ops += send(1, request(1, LOGON, 2), chunks=3)
    ops += send(0, request(1, NEW, 1, 1, 10, 1, 100, 5) + request(2, NEW, 1, 1, 11, 1, 99, 5))
    ops += send(1, request(1, NEW, 2, 1, 20, -1, 99, 7), chunks=2)
    ops += bytes([0x06])  # release and match
    ops += send(0, request(3, CANCEL, 1, 1, 11) + request(4, HEARTBEAT, 1))
    ops += bytes([0x04, 200, 0x0C, 120])  # the clock moves: heartbeats due
    ops += send(1, request(2, LOGOUT, 2))
    ops += bytes([0x06, 0x05])  # release; connection 0 closes
    seeds["two_clients_trade"] = bytes(ops)

    ops = bytearray(header)
    ops += bytes([0x05])
    ops += send(0, request(1, NEW, 1, 1, 1, 1, 100, 1))  # not logged on
    ops += bytes([0x05, 0x05])
    ops += send(0, request(7, LOGON, 3) + request(3, NEW, 3, 1, 1, 1, 100, 1) +
                request(1, NEW, 4, 1, 1, 1, 100, 1) + request(1, LOGON, 3) +
                request(1, 9, 3) + request(1, NEW, 3, 1, 1, 1, 100, 1), chunks=5)
    ops += bytes([0x06])
    seeds["session_rejects"] = bytes(ops)

    # Version 2 fields: a LOGON with KEEP_ORDERS, order types and MODIFY, tif and flags where a
    # message has none; self-trade prevention cancel-oldest.
    ops = bytearray([1, 7, 2, 3, 1])
    ops += bytes([0x05, 0x15])
    ops += send(0, request(1, LOGON, 1, flags=KEEP_ORDERS))
    ops += send(1, request(1, LOGON, 2, tif=IOC))  # LOGON_REJECTED(INVALID_TIF)
    ops += bytes([0x15, 0x15])  # connection 1 closes and connects again
    ops += send(1, request(1, LOGON, 2, flags=0x02))  # LOGON_REJECTED(INVALID_FLAGS)
    ops += bytes([0x15, 0x15])
    ops += send(1, request(1, LOGON, 2))
    ops += send(0, request(1, NEW, 1, 1, 10, -1, 101, 5) +
                request(2, NEW, 1, 1, 11, 1, 101, 5, flags=POST_ONLY) +
                request(3, NEW, 1, 1, 12, 1, 99, 5, flags=POST_ONLY) +
                request(4, MODIFY, 1, 1, 12, 1, 100, 3), chunks=3)
    ops += send(1, request(1, NEW, 2, 1, 20, 1, 102, 2, tif=IOC) +
                request(2, NEW, 2, 1, 21, 1, 102, 9, tif=FOK) +
                request(3, NEW, 2, 1, 22, -1, 100, 1, tif=IOC, flags=POST_ONLY) +
                request(4, CANCEL, 2, 1, 20, flags=1) +
                request(5, MODIFY, 2, 1, 20, 1, 100, 1, tif=FOK), chunks=2)
    ops += bytes([0x06])
    ops += send(0, request(5, NEW, 1, 1, 13, 1, 101, 2) +  # meets its own order 10
                request(6, MODIFY, 1, 1, 12, 1, 101, 7) +
                request(7, HEARTBEAT, 1, tif=FOK) + request(7, LOGOUT, 1, flags=1) +
                request(7, HEARTBEAT, 1))
    ops += bytes([0x06, 0x04, 200, 0x06, 0x05, 0x15])
    seeds["order_types_and_modify"] = bytes(ops)

    # Sessions across connections: client 1 (KEEP_ORDERS) and client 2 rest sells and go; client 3
    # fills client 1's sell meanwhile; both come back asking for what they missed (LOGON order_id
    # = replay-from), client 1 with a NEW behind its LOGON, and ask for too much or too old.
    ops = bytearray([3, 7, 0, 3, 1])  # four connections
    ops += bytes([0x05, 0x15, 0x25])
    ops += send(0, request(1, LOGON, 1, flags=KEEP_ORDERS))
    ops += send(1, request(1, LOGON, 2))
    ops += send(0, request(1, NEW, 1, 1, 10, -1, 100, 5) + request(2, NEW, 1, 2, 11, -1, 200, 5))
    ops += send(1, request(1, NEW, 2, 1, 20, -1, 102, 5))
    ops += bytes([0x06, 0x05, 0x15, 0x06])  # release; both leave; client 2's cancel-all
    ops += send(2, request(1, LOGON, 3))
    ops += send(2, request(1, NEW, 3, 1, 30, 1, 100, 5))
    ops += bytes([0x06])
    ops += bytes([0x05])
    ops += send(0, request(3, LOGON, 1, 0, 3, flags=KEEP_ORDERS) + request(3, NEW, 1, 1, 12, 1, 90, 1))
    ops += bytes([0x15])
    ops += send(1, request(2, LOGON, 2, 0, 1))
    ops += bytes([0x06, 0x06, 0x06, 0x06])
    ops += bytes([0x35])
    ops += send(3, request(1, LOGON, 2, 0, 9))  # in use, and beyond the stream
    ops += bytes([0x15, 0x15])
    ops += send(1, request(2, LOGON, 2, 0, 50))  # beyond the stream
    ops += bytes([0x06, 0x04, 200, 0x0C, 120, 0x06])
    seeds["reconnect_with_replay"] = bytes(ops)
    return seeds


def md_seeds():
    seeds = {}
    header = bytes([0, 20, 40, 3])

    def incremental(records):  # records: list of (t, delta)
        out = bytearray([0, len(records) - 1])
        for t, delta in records:
            out += bytes([t, delta & 0xFF])
        return out

    def snapshot(ts):
        return bytearray([3, len(ts) - 1]) + bytes(ts)

    ops = bytearray(header)
    ops += incremental([(0, 0x40), (0, 0x40), (2, 0x40)])  # ADD 1, ADD 2, MODIFY 3
    ops += bytes([6, 63])  # drain
    ops += incremental([(3, 2)])  # a gap: recovery
    ops += incremental([(4, 0x40)])
    ops += snapshot([0x00, 0x01, 0x03, 0x03, 0x06])  # START S, CLEAR, ADD, ADD, END S
    ops += bytes([6, 63])
    ops += incremental([(6, 0x40)])  # HEARTBEAT
    ops += incremental([(0, 127)])  # a restart at seq 1
    ops += snapshot([0x00, 0x01, 0x06])
    ops += bytes([6, 63])
    seeds["gap_snapshot_restart"] = bytes(ops)

    ops = bytearray(header)
    ops += incremental([(0, 0x40)] * 34)
    ops += incremental([(1, -3), (1, 0x40), (5, 0x40)])
    ops += bytes([5, 43, 0]) + bytes(43)  # a raw datagram of 43 bytes
    ops += bytes([6, 10, 6, 63])
    seeds["full_datagram_duplicates"] = bytes(ops)
    return seeds


def engine_seeds():
    seeds = {}
    # max_orders 24, levels 16, clients 5, 4 requests/poll, 16 steps/poll, queues 4 << 4,
    # self-trade prevention off.
    header = bytes([23, 15, 4, 3, 15, 4, 4, 0])

    # kind: 0 NEW, 8 CANCEL, 11 MODIFY, 14 cancel-all, 15 | t << 4 the type t.
    # side: 1 buy, 0 sell. price: 100 + price % 12. ext: tif | flags << 2 | keep << 4 (flags 1
    # POST_ONLY, 2 an unknown bit; keep: a CANCEL or MODIFY keeps its tif and flags).
    def req(kind, client, ticker, order_id, side, price, qty, ext=0):
        who = client | (ticker << 3)
        return bytes([kind, who, order_id, side, price & 0xFF, qty, ext])

    ops = bytearray(header)
    ops += bytes([0]) + req(0, 1, 0, 1, 1, 2, 5)  # batch of 1: client 1 buys 5 @ 102
    ops += bytes([1]) + req(0, 1, 0, 2, 1, 1, 5) + req(0, 2, 0, 1, 0, 3, 4)
    ops += bytes([2]) + req(0, 3, 0, 1, 0, 0, 20) + req(8, 1, 0, 2, 0, 0, 0) + req(8, 1, 0, 7, 0, 0, 0)
    ops += bytes([0]) + req(14, 3, 0, 0, 0, 0, 0)  # cancel-all of client 3
    ops += bytes([1]) + req(0, 0, 0, 1, 1, 0, 1) + req(0, 1, 3, 1, 1, 0, 1)  # invalid client, ticker
    seeds["cross_cancel_cancel_all"] = bytes(ops)

    ops = bytearray([1, 0, 0, 0, 0, 0, 0, 0])  # tiny capacities, one step per poll
    for i in range(8):
        ops += bytes([0]) + req(0, 1 + i % 4, i % 3, i, i % 2, i, 3)
    ops += bytes([0]) + req(0, 4, 0, 5, 0, 0x82, 0xFF)
    seeds["tiny_capacities"] = bytes(ops)

    # Every order type, MODIFY in place and losing priority, invalid tif and flags.
    ops = bytearray(header)
    ops += bytes([1]) + req(0, 1, 0, 1, 0, 3, 4) + req(0, 2, 0, 1, 0, 4, 4)  # asks 103, 104
    ops += bytes([0]) + req(0, 3, 0, 1, 1, 5, 6, ext=1)  # IOC buy 6 @ 105
    ops += bytes([1]) + req(0, 1, 0, 2, 0, 3, 4) + req(0, 3, 0, 2, 1, 3, 9, ext=2)  # FOK: expires
    ops += bytes([1]) + req(0, 3, 0, 3, 1, 3, 2, ext=4) + req(0, 3, 0, 4, 1, 1, 2, ext=4)  # POST_ONLY
    ops += bytes([2]) + req(11, 3, 0, 4, 1, 1, 1) + req(11, 3, 0, 4, 1, 2, 1) + req(11, 3, 0, 4, 1, 4, 5)
    ops += bytes([2]) + req(0, 4, 0, 5, 1, 2, 1, ext=3) + req(0, 4, 0, 5, 1, 2, 1, ext=5) + req(0, 4, 0, 5, 1, 2, 1, ext=8)
    ops += bytes([2]) + req(8, 2, 0, 1, 0, 0, 0, ext=0x11) + req(11, 2, 0, 1, 0, 3, 2, ext=0x14) + req(11, 2, 0, 1, 1, 3, 2)
    ops += bytes([1]) + req(11, 2, 0, 1, 0, 3, 0) + req(11, 2, 0, 6, 0, 3, 2)
    seeds["order_types_modify"] = bytes(ops)

    # Self-trade prevention: the same crossing flow in each mode.
    for mode, name in ((1, "stp_cancel_newest"), (2, "stp_cancel_oldest")):
        ops = bytearray(header[:-1] + bytes([mode]))
        ops += bytes([2]) + req(0, 1, 0, 1, 0, 2, 3) + req(0, 2, 0, 1, 0, 3, 3) + req(0, 1, 0, 2, 0, 4, 3)
        ops += bytes([0]) + req(0, 1, 0, 3, 1, 4, 8)  # buys through its own and another's asks
        ops += bytes([1]) + req(0, 1, 0, 4, 1, 5, 5, ext=2) + req(11, 1, 0, 2, 0, 0, 2)  # FOK, MODIFY
        ops += bytes([0]) + req(14, 1, 0, 0, 0, 0, 0)
        seeds[name] = bytes(ops)
    return seeds


def main():
    for target, seeds in (("order_server_session", order_server_seeds()),
                          ("market_data_sequencer", md_seeds()),
                          ("matching_engine", engine_seeds())):
        folder = ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
