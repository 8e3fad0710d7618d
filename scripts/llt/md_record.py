"""scripts/md_record.sh: records the exchange's two market data streams to a file, every
datagram as received with its receive time, so scripts/md_play.sh can multicast it again.

File format (little-endian): the 8 bytes b"LLTMDR1\\n", then one entry per datagram: u64
receive time (nanoseconds since the Unix epoch), u8 stream (0 incremental, 1 snapshot), u16
length, then the datagram's bytes as they came off the wire."""

from __future__ import annotations

import dataclasses
import os
import struct
import sys
import time
from collections.abc import Iterator

from llt import command, md_view, md_wire

ME = "scripts/md_record.sh"
USAGE = f"""usage: {ME} --out FILE [--run DIR | --multicast-addr GROUP --multicast-port PORT]
                           [--snapshot-port PORT] [--interface ADDR] [--duration SECONDS]

Joins the incremental and snapshot streams and writes every datagram, with the time it was
received, to FILE until --duration seconds have passed (default 0: until SIGINT or SIGTERM);
prints what it recorded. scripts/md_play.sh multicasts a recording again.

  --out FILE             the recording (overwritten)
  --run DIR              the group and port of a run folder (its run.env)
  --multicast-addr GROUP the exchange's --multicast-addr (default 239.255.0.1)
  --multicast-port PORT  the incremental stream's port (default 5000)
  --snapshot-port PORT   the snapshot stream's port (default: multicast port + 1)
  --interface ADDR       the local address to join the group on (default 127.0.0.1)
  --duration SECONDS     stop after that long (default 0: until a signal)"""

MAGIC = b"LLTMDR1\n"
ENTRY = struct.Struct("<QBH")  # receive time ns, stream, length
INCREMENTAL, SNAPSHOT = 0, 1


class RecordingError(Exception):
    """A file that is not a recording, or one cut short."""


@dataclasses.dataclass
class Options(md_view.ChannelOptions):
    out: str = ""
    duration: float = 0.0


def parse(argv: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag in ("-h", "--help"):
            opts.help = True
            return opts
        value = md_view.flag_value(argv, i, md_view.CHANNEL_FLAGS + ("--out", "--duration"))
        if md_view.parse_channel_flag(opts, flag, value):
            pass
        elif flag == "--out":
            if os.path.isdir(value):
                raise command.UsageError(f"--out: '{value}' is a directory")
            opts.out = value
        else:  # --duration
            opts.duration = md_view.number_flag(flag, value, float, 0, 86400 * 365)
        i += 2
    md_view.check_channel(opts)
    if not opts.help and not opts.out:
        raise command.UsageError("--out: missing (the file to record to)")
    return opts


def write_entry(f, received_ns: int, stream: int, data: bytes) -> None:
    f.write(ENTRY.pack(received_ns, stream, len(data)))
    f.write(data)


def read_entries(path: str) -> Iterator[tuple[int, int, bytes]]:
    """(receive time ns, stream, datagram) of every entry of a recording; raises
    RecordingError when the file is not one or ends inside an entry."""
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise RecordingError(f"{path}: not a market data recording (no {MAGIC[:-1]!r} "
                                 "header)")
        index = 0
        while True:
            head = f.read(ENTRY.size)
            if not head:
                return
            if len(head) < ENTRY.size:
                raise RecordingError(f"{path}: cut short inside entry {index}")
            received_ns, stream, length = ENTRY.unpack(head)
            if stream not in (INCREMENTAL, SNAPSHOT):
                raise RecordingError(f"{path}: entry {index} names stream {stream}")
            data = f.read(length)
            if len(data) < length:
                raise RecordingError(f"{path}: cut short inside entry {index}")
            yield received_ns, stream, data
            index += 1


def record(opts: Options, should_stop) -> dict[str, int]:
    """Records until `should_stop`() or the duration; returns the counts."""
    inc = md_wire.receiver(opts.group, opts.port, opts.interface)
    try:
        snap = md_wire.receiver(opts.group, opts.snapshot, opts.interface)
    except OSError:
        inc.close()
        raise
    counts = dict(datagrams=0, incremental=0, snapshot=0, bytes=0)
    buf = bytearray(65536)
    start = time.monotonic()
    try:
        with open(opts.out, "wb") as f:
            f.write(MAGIC)

            def write(sock, data: bytes) -> None:
                stream = INCREMENTAL if sock is inc else SNAPSHOT
                write_entry(f, time.time_ns(), stream, data)
                counts["datagrams"] += 1
                counts["incremental" if stream == INCREMENTAL else "snapshot"] += 1
                counts["bytes"] += len(data)

            while not should_stop():
                if opts.duration and time.monotonic() - start >= opts.duration:
                    break
                md_wire.drain([inc, snap], 0.1, buf, write)
    finally:
        inc.close()
        snap.close()
    return counts


def act(opts: Options) -> int:
    should_stop = md_wire.stop_on_signals()
    print(f"md_record: {opts.group}:{opts.port} (snapshots :{opts.snapshot}) on "
          f"{opts.interface} to {opts.out}", flush=True)
    counts = record(opts, should_stop)
    print(f"md_record: {counts['datagrams']} datagrams ({counts['incremental']} incremental, "
          f"{counts['snapshot']} snapshot, {counts['bytes']} bytes) in {opts.out}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
