"""scripts/netlab.sh: a small network of hosts made of Linux network namespaces, for running
the exchange and its clients on separate "hosts" on one machine (docs/deployment.md).

    NAME-br   a namespace holding only the bridge br0 (multicast snooping off: multicast floods)
    NAME-ex   the exchange host, 198.51.100.1/24 on eth0
    NAME-c1   a client host, 198.51.100.11/24 on eth0
    NAME-c2   a client host, 198.51.100.12/24 on eth0

Each host's eth0 is one end of a veth pair whose other end, v-HOST, is a port of br0 in
NAME-br. Every address is from 198.51.100.0/24 (a documentation
range, RFC 5737) and exists only inside those namespaces; each host has a route for the
multicast range 224.0.0.0/4 on eth0 and no default route, so nothing can leave the bridge.
Nothing is created in the machine's own namespace: every `ip` command here runs in one of the
lab's namespaces (`ip -n`) or creates one. `down` deletes the namespaces, which deletes
everything in them. Needs root."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys

from llt import command

ME = "scripts/netlab.sh"
USAGE = f"""usage: {ME} up|down|status [--name NAME]
       {ME} link HOST up|down [--name NAME]
       {ME} exec HOST [--name NAME] -- COMMAND...

Network namespaces joined by a bridge, for running the exchange and clients on separate hosts
on one machine: NAME-ex (198.51.100.1), NAME-c1 (198.51.100.11), NAME-c2 (198.51.100.12), and
NAME-br holding the bridge. Nothing is added to the machine's own network. Needs root.

  up             create the namespaces, the bridge and the links (a failure part way removes
                 what was made); exit 1 when they exist already
  down           delete every namespace of the lab (what is in them goes with them)
  status         the lab's namespaces, their addresses and link states
  link HOST up|down
                 set HOST's link to the bridge down or up (the bridge's end), to cut a host off
  exec HOST -- COMMAND...
                 run COMMAND inside HOST's namespace (the same as ip netns exec NAME-HOST)
  --name NAME    the lab's name, the namespaces' prefix: letters, digits, dashes, at most 8
                 (default llt)"""

SUBNET_PREFIX = "198.51.100."
HOSTS = {"ex": 1, "c1": 11, "c2": 12}  # host -> last octet of its address
BRIDGE = "br0"
STEP_TIMEOUT = 20


@dataclasses.dataclass
class Options:
    action: str = ""
    name: str = "llt"
    host: str = ""
    state: str = ""
    command: list[str] = dataclasses.field(default_factory=list)
    help: bool = False


def address(host: str) -> str:
    return SUBNET_PREFIX + str(HOSTS[host])


def namespace(name: str, host: str) -> str:
    return f"{name}-{host}"


def bridge_port(host: str) -> str:
    return f"v-{host}"


def parse(argv: list[str]) -> Options:
    opts = Options()
    rest = list(argv)
    if "--" in rest:
        cut = rest.index("--")
        opts.command = rest[cut + 1:]
        rest = rest[:cut]
    words = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg in ("-h", "--help"):
            opts.help = True
            return opts
        if arg == "--name":
            if i + 1 >= len(rest):
                raise command.UsageError("--name: expects a value")
            opts.name = rest[i + 1]
            i += 2
            continue
        if arg.startswith("-"):
            raise command.UsageError(f"unknown flag '{arg}'")
        words.append(arg)
        i += 1
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,7}", opts.name):
        raise command.UsageError(f"--name: '{opts.name}' is not 1 to 8 letters, digits or "
                                 "dashes")
    if not words:
        raise command.UsageError("missing the action (up, down, status, link or exec)")
    opts.action = words[0]
    if opts.action in ("up", "down", "status"):
        if len(words) != 1 or opts.command:
            raise command.UsageError(f"{opts.action}: takes no other argument")
    elif opts.action == "link":
        if len(words) != 3 or words[2] not in ("up", "down"):
            raise command.UsageError("link: expects HOST up|down")
        opts.host, opts.state = words[1], words[2]
    elif opts.action == "exec":
        if len(words) != 2 or not opts.command:
            raise command.UsageError("exec: expects HOST -- COMMAND...")
        opts.host = words[1]
    else:
        raise command.UsageError(f"unknown action '{opts.action}' (up, down, status, link, "
                                 "exec)")
    if opts.host and opts.host not in HOSTS:
        raise command.UsageError(f"HOST: '{opts.host}' is not one of: {', '.join(HOSTS)}")
    return opts


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs `ip ARGS`; raises command.Exit naming the command when it fails and `check`."""
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False,
                              timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise command.Exit(1, f"{ME}: ip {' '.join(args)}: {e}") from None
    if check and done.returncode != 0:
        raise command.Exit(1, f"{ME}: ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def namespaces() -> list[str]:
    """Every network namespace of the machine (names only)."""
    out = ip("netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def lab_namespaces(name: str) -> list[str]:
    mine = {namespace(name, h) for h in (*HOSTS, "br")}
    return [ns for ns in namespaces() if ns in mine]


def require_root() -> None:
    if os.geteuid() != 0:
        raise command.Exit(1, f"{ME}: needs root (it creates network namespaces); run it as "
                              "root or with sudo")


def up(name: str) -> None:
    require_root()
    existing = lab_namespaces(name)
    if existing:
        raise command.Exit(1, f"{ME}: the lab '{name}' exists already ({', '.join(existing)}); "
                              f"{ME} down --name {name} first")
    br = namespace(name, "br")
    try:
        ip("netns", "add", br)
        ip("-n", br, "link", "set", "lo", "up")
        ip("-n", br, "link", "add", BRIDGE, "type", "bridge", "mcast_snooping", "0")
        ip("-n", br, "link", "set", BRIDGE, "up")
        for host in HOSTS:
            ns = namespace(name, host)
            ip("netns", "add", ns)
            ip("-n", ns, "link", "set", "lo", "up")
            # Both ends are made inside the lab: the bridge's end in NAME-br, eth0 in the host.
            ip("-n", br, "link", "add", bridge_port(host), "type", "veth", "peer", "name",
               "eth0", "netns", ns)
            ip("-n", br, "link", "set", bridge_port(host), "master", BRIDGE)
            ip("-n", br, "link", "set", bridge_port(host), "up")
            ip("-n", ns, "addr", "add", f"{address(host)}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0")
    except BaseException:
        down(name, quiet=True)
        raise


def down(name: str, quiet: bool = False) -> int:
    """Deletes the lab's namespaces; returns how many there were."""
    require_root()
    gone = 0
    for ns in lab_namespaces(name):
        ip("netns", "del", ns, check=not quiet)
        gone += 1
    return gone


def status(name: str) -> str:
    present = lab_namespaces(name)
    if not present:
        return f"lab '{name}': down (no namespace)"
    lines = [f"lab '{name}': {len(present)} of {len(HOSTS) + 1} namespaces"]
    for host in HOSTS:
        ns = namespace(name, host)
        if ns not in present:
            lines.append(f"  {ns:<12} missing")
            continue
        addr = ip("-n", ns, "-brief", "addr", "show", "dev", "eth0", check=False).stdout.split()
        port = ip("-n", namespace(name, "br"), "-brief", "link", "show", bridge_port(host),
                  check=False).stdout.split()
        state = addr[1] if len(addr) > 1 else "?"
        bridge_state = port[1] if len(port) > 1 else "?"
        lines.append(f"  {ns:<12} eth0 {' '.join(addr[2:]) or '-':<20} {state:<8} bridge end "
                     f"{bridge_state}")
    return "\n".join(lines)


def set_link(name: str, host: str, state: str) -> None:
    require_root()
    ip("-n", namespace(name, "br"), "link", "set", bridge_port(host), state)


def act(opts: Options) -> int:
    if opts.action == "up":
        up(opts.name)
        print(status(opts.name))
    elif opts.action == "down":
        gone = down(opts.name)
        print(f"lab '{opts.name}': {gone} namespaces deleted")
    elif opts.action == "status":
        print(status(opts.name))
    elif opts.action == "link":
        set_link(opts.name, opts.host, opts.state)
        print(f"lab '{opts.name}': {opts.host}'s link {opts.state}")
    elif opts.action == "exec":
        require_root()
        os.execvp("ip", ["ip", "netns", "exec", namespace(opts.name, opts.host), *opts.command])
    return 0


def main(argv: list[str]) -> int:
    return command.main(ME, USAGE, argv, parse, act)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
