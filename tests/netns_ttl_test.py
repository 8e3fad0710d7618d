"""The exchange's multicast TTL (--ttl) across the namespaces of scripts/netlab.sh: the exchange
on NAME-ex sends its market data with --ttl 1, then with --ttl 3; a receiver on NAME-c1 reads
the TTL of every datagram it gets (IP_RECVTTL) and must see exactly the one given, so with
--ttl 1 any router on the way would drop the datagrams (a router forwards only a TTL above 1).
A receiver in the machine's own namespace, joined to the same group and port on 127.0.0.1,
must get nothing: no datagram leaves the lab. (A receiver behind two real multicast routers
needs a kernel with multicast routing, CONFIG_IP_MROUTE, which the project's machines lack;
docs/deployment.md.)

Needs root and `ip netns`; without them it exits 77 (ctest: skipped). Every process started
here is stopped here; the namespaces are deleted at the end.

    python3 tests/netns_ttl_test.py --build-dir DIR
    python3 tests/netns_ttl_test.py --receive GROUP PORT ADDRESS SECONDS   (the receiver)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from llt import command, md_wire, netlab  # noqa: E402
from netns_test import SKIP, skip_reason  # noqa: E402

IP_TTL = 2  # <linux/in.h>: the ancillary data type IP_RECVTTL delivers
IP_RECVTTL = 12
LISTEN_SECONDS = 3.0


def receive(group: str, port: int, address: str, seconds: float) -> list[int]:
    """The TTL of every datagram received on group:port (joined on `address`) for `seconds`."""
    sock = md_wire.receiver(group, port, address)
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    ttls = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            if not select.select([sock], [], [], 0.1)[0]:
                continue
            while True:
                try:
                    _, ancillary, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(4))
                except BlockingIOError:
                    break
                for level, kind, data in ancillary:
                    if level == socket.IPPROTO_IP and kind == IP_TTL:
                        ttls.append(struct.unpack("=i", data[:4])[0])
    finally:
        sock.close()
    return ttls


def run_with_ttl(exchange_bin: str, lab: str, ttl: int, group: str, port: int) -> tuple:
    """(TTLs seen on c1, datagrams heard on this machine's loopback, exchange exit code)."""
    ex = netlab.address("ex")
    exchange = subprocess.Popen(
        ["ip", "netns", "exec", netlab.namespace(lab, "ex"), exchange_bin, "--port", "12345",
         "--listen-addr", ex, "--interface", ex, "--ttl", str(ttl), "--multicast-addr", group,
         "--multicast-port", str(port), "--tickers", "1", "--snapshot-interval-ms", "200",
         "--md-heartbeat-ms", "100", "--stats-interval", "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        listener = subprocess.Popen(
            ["ip", "netns", "exec", netlab.namespace(lab, "c1"), sys.executable,
             os.path.abspath(__file__), "--receive", group, str(port), netlab.address("c1"),
             str(LISTEN_SECONDS)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        try:
            own = receive(group, port, "127.0.0.1", LISTEN_SECONDS)
            own += receive(group, port + 1, "127.0.0.1", 0.1)
            out, _ = listener.communicate(timeout=LISTEN_SECONDS + 30)
        finally:
            if listener.poll() is None:
                os.killpg(listener.pid, signal.SIGKILL)
                listener.wait()
        seen = json.loads(out) if out.strip() else []
    finally:
        if exchange.poll() is None:
            exchange.send_signal(signal.SIGTERM)
            try:
                exchange.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(exchange.pid, signal.SIGKILL)
                exchange.wait()
    return seen, len(own), exchange.returncode


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--receive":
        group, port, address, seconds = argv[1], int(argv[2]), argv[3], float(argv[4])
        print(json.dumps(receive(group, port, address, seconds)))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    opts = parser.parse_args(argv)
    why = skip_reason()
    if why:
        print(f"netns_ttl_test: skipped: {why}")
        return SKIP
    exchange_bin = os.path.join(os.path.abspath(opts.build_dir), "exchange", "exchange")
    lab = f"t{os.getpid() % 1000000}"
    rng = random.Random()
    group = f"239.255.{200 + rng.randrange(50)}.{1 + rng.randrange(254)}"
    port = 20000 + 2 * rng.randrange(5000)
    failures = []
    try:
        netlab.up(lab)
        for ttl in (1, 3):
            seen, own, code = run_with_ttl(exchange_bin, lab, ttl, group, port)
            print(f"netns_ttl_test: --ttl {ttl}: {len(seen)} datagrams on c1, TTLs "
                  f"{sorted(set(seen))}; {own} heard outside the lab; exchange exit {code}")
            if not seen:
                failures.append(f"--ttl {ttl}: c1 received no market data")
            elif set(seen) != {ttl}:
                failures.append(f"--ttl {ttl}: c1 saw TTLs {sorted(set(seen))}")
            if own:
                failures.append(f"--ttl {ttl}: {own} datagrams reached this machine's own "
                                "namespace")
            if code != 0:
                failures.append(f"--ttl {ttl}: the exchange exited {code}")
    except command.Exit as e:
        failures.append(e.message)
    finally:
        try:
            netlab.down(lab, quiet=True)
        except command.Exit as e:
            failures.append(f"removing the lab: {e.message}")
    if failures:
        print("netns_ttl_test: FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("netns_ttl_test: the datagrams carry the TTL given, and none leaves the lab")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
