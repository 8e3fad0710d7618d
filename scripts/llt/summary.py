"""Reading the executables' --summary-json files and formatting their figures."""

from __future__ import annotations

import json
import os

HOP_HEADER = "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}"


def load(path: str) -> dict | None:
    """The summary a process wrote at exit, or None when it wrote none (it was killed, or it
    did not start) or the file is not a JSON object."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_run(run_dir: str, names: list[str]) -> dict[str, dict | None]:
    return {name: load(os.path.join(run_dir, f"{name}.json")) for name in names}


def hop(summary: dict | None, name: str) -> dict:
    """One latency hop's figures (zeros when absent)."""
    figures = ((summary or {}).get("latency_ns") or {}).get(name) or {}
    return {key: figures.get(key, 0) for key in ("count", "p50", "p90", "p99", "p99_9", "max")}


def latency_table(summary: dict | None) -> list[str]:
    """The per-hop table, as the executables print it at exit."""
    lines = [HOP_HEADER.format("hop (ns)", "count", "p50", "p90", "p99", "p99.9", "max")]
    for name in ((summary or {}).get("latency_ns") or {}):
        h = hop(summary, name)
        lines.append(HOP_HEADER.format(name, h["count"], h["p50"], h["p90"], h["p99"],
                                       h["p99_9"], h["max"]))
    return lines


def client_latency(summary: dict) -> str:
    """Tick-to-trade and order round trip, as the trading client's summary line has them."""
    t2t = hop(summary, "md_read_to_order_sent")
    rtt = hop(summary, "order_sent_to_response_read")
    return (f"tick-to-trade p50 {t2t['p50'] / 1000:.1f} us p99 {t2t['p99'] / 1000:.1f} us "
            f"({t2t['count']} orders); order round trip p50 {rtt['p50'] / 1000:.1f} us "
            f"p99 {rtt['p99'] / 1000:.1f} us ({rtt['count']} answers)")


def order_types(summary: dict) -> str:
    """A trading client's modifies, expirations and self-trade cancels, and its messages per
    quote change (NEW + CANCEL + MODIFY sent over its strategy's quote changes; "-" before
    the first change)."""
    c = summary.get("counters") or {}
    changes = c.get("quote_changes", 0)
    requests = c.get("requests_sent", 0)
    ratio = f"{requests / changes:.2f}" if changes else "-"
    return (f"modifies {c.get('modifies_sent', 0)} (rejected {c.get('modify_rejects', 0)}), "
            f"expired {c.get('expirations', 0)}, self-trade cancels "
            f"{c.get('self_trade_cancels', 0)}, messages per quote change {ratio} "
            f"({requests} requests / {changes} quote changes, requote "
            f"{summary.get('requote', '?')})")


def by_reason(counts: dict, all_reasons: bool = True) -> str:
    """"A 1, B 0" in the file's order (only the non-zero ones unless all_reasons)."""
    return ", ".join(f"{k} {v}" for k, v in counts.items() if all_reasons or v)


def ticker_trades(exchange: dict) -> str:
    """"[1:A 2:B]": the exchange's trades per ticker."""
    counts = exchange.get("trades_by_ticker") or {}
    return "[" + " ".join(f"{t}:{n}" for t, n in counts.items()) + "]"
