"""The processes of a run, defined once: the exchange on tickers 1 and 2, two market makers
(tickers 1 and 2), a liquidity taker and a random trader (both on tickers 1,2), all on
loopback with --threading shared, and the flags each gets. The idle strategy is the
executables' default (backoff) unless a run names one (--idle)."""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess

TICKERS = "1,2"
IDLE_MODES = ("spin", "backoff", "block")


@dataclasses.dataclass(frozen=True)
class Client:
    name: str
    client_id: int
    description: str
    strategy_flags: tuple[str, ...]
    tickers: str  # the tickers it trades, as given to --ticker

    def args(self) -> list[str]:
        return ["--client-id", str(self.client_id), *self.strategy_flags]


def clients(random_rate: int = 20, random_max_loss: int | None = None) -> list[Client]:
    """The four clients. The random trader sends `random_rate` orders per second; the soak
    gives it a loss limit it never reaches so it keeps sending at that rate."""
    random_flags = ["--strategy", "random", "--ticker", TICKERS, "--orders-per-second",
                    str(random_rate)]
    if random_max_loss is not None:
        random_flags += ["--max-loss", str(random_max_loss)]
    maker = ["--strategy", "market-maker", "--half-spread", "50", "--max-position", "1000",
             "--max-loss", "100000"]
    return [
        Client("mm-1", 1, "market maker on ticker 1", (*maker, "--ticker", "1"), "1"),
        Client("mm-2", 2, "market maker on ticker 2", (*maker, "--ticker", "2"), "2"),
        Client("taker", 3, "liquidity taker on tickers 1,2",
               ("--strategy", "liquidity-taker", "--ticker", TICKERS, "--signal-threshold", "0.3"),
               TICKERS),
        Client("random", 4, "random trader on tickers 1,2", tuple(random_flags), TICKERS),
    ]


@dataclasses.dataclass(frozen=True)
class Channel:
    """The market data channel of a run: a multicast group and an incremental port (the
    snapshots on port + 1)."""
    group: str
    port: int

    @property
    def snapshot_port(self) -> int:
        return self.port + 1


def common_flags(channel: Channel, stats_interval: int, idle: str | None = None) -> list[str]:
    """The flags every process of a run gets; --idle only when `idle` is given (else the
    executables' default)."""
    flags = ["--multicast-addr", channel.group, "--multicast-port", str(channel.port),
             "--threading", "shared"]
    if idle is not None:
        flags += ["--idle", idle]
    return flags + ["--stats-interval", str(stats_interval)]


def exchange_command(binary: str, run_dir: str, channel: Channel, stats_interval: int,
                     latency_csv: bool = True, idle: str | None = None) -> list[str]:
    cmd = [binary, "--port", "0", "--tickers", TICKERS,
           *common_flags(channel, stats_interval, idle), "--log-file", f"{run_dir}/exchange.log"]
    if latency_csv:
        cmd += ["--latency-csv", f"{run_dir}/exchange.csv"]
    return cmd + ["--summary-json", f"{run_dir}/exchange.json"]


def client_command(binary: str, run_dir: str, client: Client, port: int, channel: Channel,
                   stats_interval: int, duration: int | None = None, latency_csv: bool = True,
                   book_dump: bool = False, idle: str | None = None) -> list[str]:
    cmd = [binary, *client.args(), "--port", str(port),
           *common_flags(channel, stats_interval, idle)]
    if duration is not None:
        cmd += ["--duration", str(duration)]
    if book_dump:
        cmd += ["--book-dump", f"{run_dir}/{client.name}.book"]
    cmd += ["--log-file", f"{run_dir}/{client.name}.log"]
    if latency_csv:
        cmd += ["--latency-csv", f"{run_dir}/{client.name}.csv"]
    return cmd + ["--summary-json", f"{run_dir}/{client.name}.json"]


def udp_ports_free(port: int) -> bool:
    """True when no UDP socket is bound to `port` or `port + 1` (always true without ss)."""
    if shutil.which("ss") is None:
        return True
    try:
        out = subprocess.run(["ss", "-Hulan", f"( sport = :{port} or sport = :{port + 1} )"],
                             capture_output=True, text=True, check=False).stdout
    except OSError:
        return True
    return out.strip() == ""


def random_channel(rng: random.Random | None = None, check_free: bool = True) -> Channel | None:
    """A group and port pair per run (ports 10000-19998, below the tests' 20000-32000), so two
    runs and the tests do not hear each other; None when no free pair was found."""
    rng = rng or random.Random()
    group = f"239.255.{200 + rng.randrange(50)}.{1 + rng.randrange(254)}"
    for _ in range(50):
        port = 10000 + 2 * rng.randrange(5000)
        if not check_free or udp_ports_free(port):
            return Channel(group, port)
    return None
