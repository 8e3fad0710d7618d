"""The figures of demo.sh --compare-idle, read from a run folder's files: merged latency
histograms, the exchange's hop, CPU seconds, the table and its JSON. No process is started."""

import json
import os
import tempfile
import unittest

from llt import idle_compare

CLIENTS = ["mm-1", "mm-2", "taker", "random"]
EXCHANGE = {
    "process": "exchange",
    "latency_ns": {
        "tcp_read_to_sequenced": {"count": 5, "p50": 100, "p90": 1, "p99": 1, "p99_9": 1,
                                  "max": 1},
        "tcp_read_to_response_sent": {"count": 2175, "p50": 13631, "p90": 38399, "p99": 401407,
                                      "p99_9": 5963775, "max": 7468807},
    },
}


def csv_text(rows):
    """A --latency-csv file: rows of (hop, value_ns, count), the percentile column filled in
    per hop as the executables write it."""
    lines = ["hop,value_ns,percentile,count"]
    totals = {}
    for hop, _, count in rows:
        totals[hop] = totals.get(hop, 0) + count
    seen = {}
    for hop, value, count in rows:
        seen[hop] = seen.get(hop, 0) + count
        lines.append(f"{hop},{value},{100 * seen[hop] / totals[hop]:.6f},{count}")
    return "\n".join(lines) + "\n"


class IdleCompareTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def fill_run(self):
        """A run folder as a demo run leaves it: mm-1 and taker answered, random answered but
        sent on a clock, mm-2 wrote nothing (killed); every process but mm-2 has its CPU."""
        rtt, t2t = idle_compare.ROUND_TRIP, idle_compare.TICK_TO_TRADE
        self.write("mm-1.csv", csv_text([(t2t, 500, 8), (t2t, 40000, 2),
                                         (rtt, 20000, 60), (rtt, 30000, 30),
                                         (rtt, 2000000, 10)]))
        self.write("taker.csv", csv_text([(t2t, 3000, 10), (rtt, 60000, 50),
                                          (rtt, 7000000, 50)]))
        self.write("random.csv", csv_text([("md_read_to_engine_in", 100, 7),
                                           (rtt, 700000, 100)]))
        self.write("exchange.json", json.dumps(EXCHANGE))
        for name, cpu in (("exchange", "1.250 0.500\n"), ("mm-1", "0.400 0.100\n"),
                          ("taker", "0.300 0.050\n"), ("random", "0.200 0.025\n")):
            self.write(f"{name}.cpu", cpu)

    def test_read_histogram_takes_one_hop_and_skips_the_rest(self):
        path = self.write("a.csv", csv_text([("x", 10, 3), ("y", 10, 4), ("x", 20, 1)])
                          + "x,30,100.0")  # a torn last line: no count
        self.assertEqual(idle_compare.read_histogram(path, "x"), {10: 3, 20: 1})
        self.assertEqual(idle_compare.read_histogram(path, "z"), {})
        self.assertEqual(idle_compare.read_histogram(os.path.join(self.dir, "none.csv"), "x"),
                         {})

    def test_percentile_is_the_smallest_value_with_that_share_at_or_below_it(self):
        histogram = {10: 50, 20: 49, 30: 1}
        self.assertEqual(idle_compare.percentile(histogram, 50), 10)
        self.assertEqual(idle_compare.percentile(histogram, 50.5), 20)
        self.assertEqual(idle_compare.percentile(histogram, 99), 20)
        self.assertEqual(idle_compare.percentile(histogram, 99.5), 30)
        self.assertEqual(idle_compare.percentile(histogram, 100), 30)
        self.assertEqual(idle_compare.percentile({}, 50), 0)

    def test_merge_adds_up_the_buckets_of_every_file(self):
        merged = idle_compare.merge([{10: 1, 20: 2}, {20: 3, 40: 4}, {}])
        self.assertEqual(merged, {10: 1, 20: 5, 40: 4})

    def test_mode_figures_merge_the_clients_and_read_the_exchange_and_the_cpu(self):
        self.fill_run()
        row = idle_compare.mode_figures(self.dir, "block", CLIENTS, ok=True)
        # 300 answers: 60 at 20 us, 30 at 30 us, 50 at 60 us, 100 at 700 us, 10 at 2 ms,
        # 50 at 7 ms; the 150th is at 700 us (140 are at or below 60 us), the 297th at 7 ms.
        self.assertEqual(row["round_trip_ns"], {"count": 300, "p50": 700000, "p99": 7000000})
        self.assertEqual(row["tick_to_trade_ns"], {"count": 20, "p50": 3000, "p99": 40000})
        self.assertEqual(row["exchange_tcp_read_to_response_sent_ns"],
                         {"count": 2175, "p50": 13631, "p99": 401407})
        self.assertEqual(row["cpu_s"], {"exchange": 1.75, "mm-1": 0.5, "mm-2": None,
                                        "taker": 0.35, "random": 0.225})
        self.assertAlmostEqual(row["cpu_s_sum"], 2.825)
        self.assertFalse(row["cpu_s_complete"])
        self.assertEqual((row["idle"], row["ok"], row["run_dir"]), ("block", True, self.dir))

    def test_a_run_that_wrote_nothing_has_no_figures(self):
        row = idle_compare.mode_figures(self.dir, "spin", CLIENTS, ok=False)
        self.assertEqual(row["round_trip_ns"], {"count": 0, "p50": 0, "p99": 0})
        self.assertIsNone(row["exchange_tcp_read_to_response_sent_ns"])
        self.assertEqual(row["cpu_s_sum"], 0)
        line = idle_compare.table([row], CLIENTS)[2].split()
        self.assertEqual(line, ["spin", "FAIL", "0", "-", "-", "0", "-", "-", "-", "-", "-",
                                "-", "-", "-", "-", "0.00+"])

    def test_an_exchange_summary_without_the_hop_is_not_a_zero(self):
        self.assertIsNone(idle_compare.exchange_hop({"latency_ns": {}}))
        self.assertIsNone(idle_compare.exchange_hop(None))

    def test_table_has_a_row_per_mode_under_its_column_names(self):
        self.fill_run()
        rows = [idle_compare.mode_figures(self.dir, mode, CLIENTS, ok=mode != "spin")
                for mode in ("spin", "backoff", "block")]
        lines = idle_compare.table(rows, CLIENTS)
        self.assertEqual(len(lines), 5)
        for title in ("order round trip, us", "tick-to-trade, us", "exchange, us",
                      "CPU seconds (user + system)"):
            self.assertIn(title, lines[0])
        self.assertEqual(lines[1].split(), ["idle", "run", "answers", "p50", "p99", "orders",
                                            "p50", "p99", "p50", "p99", "exchange", "mm-1",
                                            "mm-2", "taker", "random", "sum"])
        self.assertEqual(lines[3].split(), ["backoff", "ok", "300", "700.0", "7000.0", "20",
                                            "3.0", "40.0", "13.6", "401.4", "1.75", "0.50",
                                            "-", "0.35", "0.23", "2.83+"])
        self.assertEqual(lines[2].split()[:2], ["spin", "FAIL"])
        # Right-aligned columns: every row ends where the column names end.
        self.assertEqual({len(line) for line in lines[1:]}, {len(lines[1])})
        self.assertLessEqual(len(lines[0]), len(lines[1]))

    def test_the_json_holds_every_mode_and_how_each_figure_was_taken(self):
        self.fill_run()
        rows = [idle_compare.mode_figures(self.dir, "backoff", CLIENTS, ok=True)]
        path = os.path.join(self.dir, "out", "compare.json")
        idle_compare.write_json(path, rows, 20)
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        self.assertEqual(data["duration_s"], 20)
        self.assertEqual(data["modes"], rows)
        self.assertEqual(set(data["how"]), {"round_trip", "tick_to_trade", "exchange", "cpu",
                                            "md_one_way"})
        self.assertEqual(os.listdir(os.path.dirname(path)), ["compare.json"])

    def test_the_legend_fits_the_width(self):
        lines = idle_compare.legend(80)
        self.assertTrue(all(len(line) <= 80 for line in lines))
        self.assertTrue(any("wait4" in line for line in lines))


if __name__ == "__main__":
    unittest.main()
