"""The processes of a run, defined once: the exchange on tickers 1 and 2, two market makers
(tickers 1 and 2), a liquidity taker and a random trader (both on tickers 1,2), all on
loopback with --threading shared. What each process is (strategy, parameters, tickers, client
id) is its file in config/ (--config); the command line adds only what changes per run: ports,
the multicast group, the run folder's files, the duration, the idle strategy (the executables'
default, backoff, unless a run names one). Every process writes its figures over time to
RUN_DIR/NAME.stats.csv (--stats-csv; scripts/plot_run.py draws them)."""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import subprocess

TICKERS = "1,2"
IDLE_MODES = ("spin", "backoff", "block")
# The repository's config/ folder (scripts/llt/processes.py is two levels below the root).
CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "config")


def config_path(name: str) -> str:
    """config/NAME.conf, absolute, so a process may run from any folder."""
    return os.path.join(CONFIG_DIR, f"{name}.conf")


def read_config(name: str) -> dict[str, str]:
    """The keys and values of config/NAME.conf ('name = value' lines, '#' comments)."""
    values = {}
    with open(config_path(name), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


@dataclasses.dataclass(frozen=True)
class Client:
    name: str
    client_id: int  # as in its config file
    description: str
    config: str  # its file in config/, without .conf
    tickers: str  # the tickers it trades, as in its config file
    extra_flags: tuple[str, ...] = ()  # flags overriding the file for this run

    def args(self) -> list[str]:
        return ["--config", config_path(self.config), *self.extra_flags]


DEFAULT_RANDOM_RATE = 20  # orders-per-second in config/random-trader.conf


def clients(random_rate: int = DEFAULT_RANDOM_RATE,
            random_max_loss: int | None = None) -> list[Client]:
    """The four clients. The random trader sends `random_rate` orders per second; the soak
    gives it a loss limit it never reaches so it keeps sending at that rate."""
    random_flags: list[str] = []
    if random_rate != DEFAULT_RANDOM_RATE:
        random_flags += ["--orders-per-second", str(random_rate)]
    if random_max_loss is not None:
        random_flags += ["--max-loss", str(random_max_loss)]
    return [
        Client("mm-1", 1, "market maker on ticker 1", "market-maker-1", "1"),
        Client("mm-2", 2, "market maker on ticker 2", "market-maker-2", "2"),
        Client("taker", 3, "liquidity taker on tickers 1,2", "liquidity-taker", TICKERS),
        Client("random", 4, "random trader on tickers 1,2", "random-trader", TICKERS,
               tuple(random_flags)),
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
    """The per-run flags every process of a run gets; --idle only when `idle` is given (else
    the executables' default)."""
    flags = ["--multicast-addr", channel.group, "--multicast-port", str(channel.port)]
    if idle is not None:
        flags += ["--idle", idle]
    return flags + ["--stats-interval", str(stats_interval)]


def exchange_command(binary: str, run_dir: str, channel: Channel, stats_interval: int,
                     latency_csv: bool = True, idle: str | None = None,
                     stats_csv: bool = True) -> list[str]:
    """The exchange's command line; with `stats_csv`, its figures over time go to
    RUN_DIR/exchange.stats.csv (one row a second, drawn by scripts/plot_run.py)."""
    cmd = [binary, "--config", config_path("exchange"), "--port", "0",
           *common_flags(channel, stats_interval, idle), "--log-file", f"{run_dir}/exchange.log"]
    if latency_csv:
        cmd += ["--latency-csv", f"{run_dir}/exchange.csv"]
    if stats_csv:
        cmd += ["--stats-csv", f"{run_dir}/exchange.stats.csv"]
    return cmd + ["--summary-json", f"{run_dir}/exchange.json"]


def client_command(binary: str, run_dir: str, client: Client, port: int, channel: Channel,
                   stats_interval: int, duration: int | None = None, latency_csv: bool = True,
                   book_dump: bool = False, idle: str | None = None,
                   stats_csv: bool = True) -> list[str]:
    """A client's command line; with `stats_csv`, its figures over time go to
    RUN_DIR/NAME.stats.csv."""
    cmd = [binary, *client.args(), "--port", str(port),
           *common_flags(channel, stats_interval, idle)]
    if duration is not None:
        cmd += ["--duration", str(duration)]
    if book_dump:
        cmd += ["--book-dump", f"{run_dir}/{client.name}.book"]
    cmd += ["--log-file", f"{run_dir}/{client.name}.log"]
    if latency_csv:
        cmd += ["--latency-csv", f"{run_dir}/{client.name}.csv"]
    if stats_csv:
        cmd += ["--stats-csv", f"{run_dir}/{client.name}.stats.csv"]
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
