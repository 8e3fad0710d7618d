"""Reading the --summary-json files and the figures the demo and the soak print from them."""

import json
import os
import tempfile
import unittest

from llt import soak, summary

TRADING = {
    "process": "trading", "client_id": 1, "strategy": "market-maker",
    "tickers": [{"ticker": 1, "position": 3, "bought": 10, "sold": 7, "fills": 4, "vwap": 99.5,
                 "realized_pnl": 1.25, "unrealized_pnl": -0.5, "total_pnl": 0.75}],
    "counters": {"orders_sent": 12, "cancels_sent": 5, "modifies_sent": 30, "modify_rejects": 1,
                 "fills": 4, "expirations": 6, "self_trade_cancels": 2, "send_failures": 0,
                 "quote_changes": 40, "requests_sent": 47},
    "requote": "modify",
    "risk_rejects_by_reason": {"ORDER_TOO_LARGE": 0, "POSITION_TOO_LARGE": 2},
    "risk_rejects": 2, "exchange_rejects_by_reason": {}, "exchange_rejects": 0,
    "session": {"ever_logged_on": True, "logons": 1, "disconnects": 0, "requests": 17,
                "refused_while_down": 0, "protocol_errors": 0},
    "latency_ns": {
        "md_read_to_order_sent": {"count": 9, "p50": 1500, "p90": 2000, "p99": 12345,
                                  "p99_9": 20000, "max": 30000},
        "order_sent_to_response_read": {"count": 15, "p50": 100000, "p90": 1, "p99": 250050,
                                        "p99_9": 1, "max": 1},
    },
}


class SummaryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_load_reads_an_object_and_refuses_the_rest(self):
        self.assertEqual(summary.load(self.write("a.json", json.dumps(TRADING))), TRADING)
        self.assertIsNone(summary.load(os.path.join(self.dir.name, "missing.json")))
        self.assertIsNone(summary.load(self.write("b.json", '{"process": "trad')))
        self.assertIsNone(summary.load(self.write("c.json", "[1, 2]")))
        self.assertIsNone(summary.load(self.write("d.json", "")))

    def test_load_run_maps_each_name_to_its_file(self):
        self.write("mm-1.json", json.dumps(TRADING))
        loaded = summary.load_run(self.dir.name, ["mm-1", "mm-2"])
        self.assertEqual(loaded["mm-1"]["client_id"], 1)
        self.assertIsNone(loaded["mm-2"])

    def test_client_latency_reads_like_the_text_summary(self):
        self.assertEqual(summary.client_latency(TRADING),
                         "tick-to-trade p50 1.5 us p99 12.3 us (9 orders); order round trip "
                         "p50 100.0 us p99 250.1 us (15 answers)")

    def test_missing_hops_are_zeros(self):
        self.assertEqual(summary.hop({}, "x"),
                         {"count": 0, "p50": 0, "p90": 0, "p99": 0, "p99_9": 0, "max": 0})
        self.assertEqual(summary.hop(None, "x")["count"], 0)

    def test_latency_table_has_the_executables_layout(self):
        lines = summary.latency_table(TRADING)
        self.assertEqual(lines[0].split(), ["hop", "(ns)", "count", "p50", "p90", "p99", "p99.9",
                                            "max"])
        self.assertEqual(lines[1].split(), ["md_read_to_order_sent", "9", "1500", "2000",
                                            "12345", "20000", "30000"])
        self.assertEqual(len(lines[0]), len(lines[1]))

    def test_order_types_shows_modifies_expirations_and_messages_per_quote_change(self):
        self.assertEqual(summary.order_types(TRADING),
                         "modifies 30 (rejected 1), expired 6, self-trade cancels 2, messages "
                         "per quote change 1.18 (47 requests / 40 quote changes, requote modify)")
        # A summary of an older client, or of one that never quoted.
        self.assertEqual(summary.order_types({"counters": {}}),
                         "modifies 0 (rejected 0), expired 0, self-trade cancels 0, messages "
                         "per quote change - (0 requests / 0 quote changes, requote ?)")

    def test_by_reason_and_ticker_trades(self):
        self.assertEqual(summary.by_reason({"A": 0, "B": 2}), "A 0, B 2")
        self.assertEqual(summary.by_reason({"A": 0, "B": 2}, all_reasons=False), "B 2")
        self.assertEqual(summary.ticker_trades({"trades_by_ticker": {"1": 5, "2": 0}}),
                         "[1:5 2:0]")


class SoakChecksTest(unittest.TestCase):
    def test_a_clean_session_passes(self):
        line, failures = soak.session_checks("mm-1", TRADING)
        self.assertEqual(failures, [])
        self.assertIn("requests 17, answered 15 (in flight at the stop 2)", line)

    def test_each_session_rule_can_fail(self):
        def with_session(**changes):
            s = json.loads(json.dumps(TRADING))
            s["session"].update(changes)
            return soak.session_checks("x", s)[1]

        self.assertEqual(with_session(logons=2), ["x logged on 2 times"])
        self.assertEqual(with_session(refused_while_down=3), ["x refused 3 requests while down"])
        self.assertEqual(with_session(protocol_errors=1), ["x saw 1 protocol errors"])
        self.assertEqual(with_session(requests=100), ["x: 85 requests unanswered"])
        self.assertEqual(with_session(requests=14), ["x: -1 requests unanswered"])
        self.assertEqual(soak.session_checks("y", None)[1], ["y printed no summary"])

    def test_book_checks(self):
        good = {"snapshots_differ": 0, "snapshots_equal": 3, "errors": 0, "dumps": 4,
                "dumps_equal": 4}
        self.assertEqual(soak.book_checks(good), [])
        self.assertEqual(len(soak.book_checks(dict(good, snapshots_differ=1))), 1)
        self.assertEqual(soak.book_checks(dict(good, snapshots_equal=0)),
                         ["no snapshot was checked"])
        self.assertEqual(len(soak.book_checks(dict(good, errors=2))), 1)
        self.assertEqual(soak.book_checks(dict(good, dumps_equal=3)),
                         ["only 3 of 4 client books equal the exchange's"])
        self.assertEqual(len(soak.book_checks({})), 3)

    def test_rss_spread_and_warm_up(self):
        self.assertAlmostEqual(soak.rss_spread([100, 105, 103]), 5.0)
        self.assertEqual(soak.rss_spread([0, 5]), 0.0)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rss.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("0 exchange 50\n2 exchange 100\n3 mm-1 7\n4 exchange 101\n")
            self.assertEqual(soak.read_rss(path, 2), {"exchange": [100, 101], "mm-1": [7]})

    def test_parse_counts_of_the_checker_report(self):
        from llt import md_check
        self.assertEqual(md_check.parse_counts("records=5 errors=0 dumps=4 dumps_equal=4"),
                         {"records": 5, "errors": 0, "dumps": 4, "dumps_equal": 4})


if __name__ == "__main__":
    unittest.main()
