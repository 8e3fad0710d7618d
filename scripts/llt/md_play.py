"""scripts/md_play.sh: multicasts a recording of scripts/md_record.sh again, each stream on its
port, at the pace it was received (or --speed times faster), so a trading client, the viewer
or a test can run against recorded market data. It sends on --interface (default 127.0.0.1)
with TTL --ttl (default 1), like the exchange."""

from __future__ import annotations

import dataclasses
import sys
import time

from llt import command, md_record, md_view, md_wire

ME = "scripts/md_play.sh"
USAGE = f"""usage: {ME} FILE [--run DIR | --multicast-addr GROUP --multicast-port PORT]
                         [--snapshot-port PORT] [--interface ADDR] [--ttl N] [--speed X]

Multicasts the datagrams of a recording (scripts/md_record.sh) again: the incremental ones to
GROUP:PORT, the snapshot ones to the snapshot port, spaced as they were received divided by
--speed; prints what it sent.

  --run DIR              the group and port of a run folder (its run.env)
  --multicast-addr GROUP the group to send to (default 239.255.0.1)
  --multicast-port PORT  the incremental stream's port (default 5000)
  --snapshot-port PORT   the snapshot stream's port (default: multicast port + 1)
  --interface ADDR       the local address to send from (default 127.0.0.1)
  --ttl N                the multicast TTL, 0 to 255 (default 1: never leaves the host's
                         network)
  --speed X              1 plays at the recorded pace (default), 10 ten times faster, 0 as
                         fast as the socket takes them"""


@dataclasses.dataclass
class Options(md_view.ChannelOptions):
    file: str = ""
    ttl: int = 1
    speed: float = 1.0


def parse(argv: list[str]) -> Options:
    opts = Options()
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag in ("-h", "--help"):
            opts.help = True
            return opts
        if not flag.startswith("-"):
            if opts.file:
                raise command.UsageError(f"unexpected argument '{flag}' (one FILE only)")
            opts.file = flag
            i += 1
            continue
        value = md_view.flag_value(argv, i, md_view.CHANNEL_FLAGS + ("--ttl", "--speed"))
        if md_view.parse_channel_flag(opts, flag, value):
            pass
        elif flag == "--ttl":
            opts.ttl = md_view.number_flag(flag, value, int, 0, 255)
        else:  # --speed
            opts.speed = md_view.number_flag(flag, value, float, 0, 1e6)
        i += 2
    md_view.check_channel(opts)
    if not opts.help and not opts.file:
        raise command.UsageError("FILE: missing (a recording of scripts/md_record.sh)")
    return opts


def play(opts: Options, should_stop) -> dict[str, int]:
    """Sends the recording; returns the counts. Raises md_record.RecordingError on a bad file."""
    sock = md_wire.sender(opts.interface, opts.ttl)
    counts = dict(datagrams=0, incremental=0, snapshot=0)
    first_ns = None
    start = time.monotonic()
    try:
        for received_ns, stream, data in md_record.read_entries(opts.file):
            if should_stop():
                break
            if first_ns is None:
                first_ns = received_ns
            if opts.speed > 0:
                due = start + (received_ns - first_ns) / 1e9 / opts.speed
                while not should_stop():
                    wait = due - time.monotonic()
                    if wait <= 0:
                        break
                    time.sleep(min(wait, 0.1))
            port = opts.port if stream == md_record.INCREMENTAL else opts.snapshot
            try:
                sock.sendto(data, (opts.group, port))
            except BlockingIOError:
                continue
            counts["datagrams"] += 1
            counts["incremental" if stream == md_record.INCREMENTAL else "snapshot"] += 1
    finally:
        sock.close()
    return counts


def act(opts: Options) -> int:
    should_stop = md_wire.stop_on_signals()
    start = time.monotonic()
    try:
        counts = play(opts, should_stop)
    except md_record.RecordingError as e:
        raise command.Exit(1, f"{ME}: {e}") from None
    print(f"md_play: {counts['datagrams']} datagrams ({counts['incremental']} incremental, "
          f"{counts['snapshot']} snapshot) to {opts.group}:{opts.port} (snapshots "
          f":{opts.snapshot}) in {time.monotonic() - start:.1f} s", flush=True)
    return 0


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
