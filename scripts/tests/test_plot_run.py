"""scripts/plot_run.py: reading a run folder's --stats-csv files (written here, in a temporary
folder), each error it reports by file and line, the exit code without matplotlib, and, when
matplotlib is installed, the four PNGs."""

import contextlib
import importlib.util
import io
import math
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)

import plot_run  # noqa: E402  (scripts/ is on the path above)

PLOT_RUN = os.path.join(SCRIPTS, "plot_run.py")
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

EXCHANGE_HEADER = (
    "time_s,sessions_logged_on,requests,responses,rejects,trades,md_updates,requests_per_s,"
    "responses_per_s,md_updates_per_s,response_p50_us,response_p99_us,"
    "t1_bid_cents,t1_bid_qty,t1_ask_cents,t1_ask_qty,t1_last_cents,t1_trades,t1_resting,"
    "t2_bid_cents,t2_bid_qty,t2_ask_cents,t2_ask_qty,t2_last_cents,t2_trades,t2_resting")
EXCHANGE_ROWS = [
    # The first interval: ticker 2's book is empty and nothing traded yet.
    "1.001,4,120,120,0,0,40,120,120,40,12.5,,"
    "9950,100,10050,100,,0,2,,,,,,0,0",
    "2.002,4,300,299,1,3,95,180,179,55,13.1,402.7,"
    "9960,80,10040,60,10000,3,5,19950,10,20050,10,20000,1,2",
]
CLIENT_HEADER = (
    "time_s,orders,cancels,modifies,fills,expired,risk_rejects,exchange_rejects,md_updates,"
    "requests_per_s,fills_per_s,md_updates_per_s,tick_to_trade_p50_us,tick_to_trade_p99_us,"
    "round_trip_p50_us,round_trip_p99_us,"
    "t1_position,t1_realized_cents,t1_unrealized_cents,t1_total_cents,t1_bid_cents,"
    "t1_ask_cents,t1_last_cents,"
    "t2_position,t2_realized_cents,t2_unrealized_cents,t2_total_cents,t2_bid_cents,"
    "t2_ask_cents,t2_last_cents")
CLIENT_ROWS = [
    "1.250,10,1,2,0,0,0,0,40,10,0,40,,,25.0,1700.5,"
    "0,0,0,0,9950,10050,,0,0,0,0,,,",
    "2.251,25,3,6,4,1,0,1,95,15,4,55,0.5,30.2,26.1,1800,"
    "10,-250,150,-100,9960,10040,10000,-5,1000,-50,950,19950,20050,20000",
]
MAKER_HEADER = (
    "time_s,orders,cancels,modifies,fills,expired,risk_rejects,exchange_rejects,md_updates,"
    "requests_per_s,fills_per_s,md_updates_per_s,tick_to_trade_p50_us,tick_to_trade_p99_us,"
    "round_trip_p50_us,round_trip_p99_us,"
    "t1_position,t1_realized_cents,t1_unrealized_cents,t1_total_cents,t1_bid_cents,"
    "t1_ask_cents,t1_last_cents")
MAKER_ROWS = ["1.100,2,0,0,0,0,0,0,5,2,0,5,,,20,20,0,0,0,0,9950,10050,"]


class PlotRunTestCase(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def write(self, name, header, rows, end="\n"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join([header] + rows) + end)
        return path

    def write_run(self):
        self.write("exchange.stats.csv", EXCHANGE_HEADER, EXCHANGE_ROWS)
        self.write("taker.stats.csv", CLIENT_HEADER, CLIENT_ROWS)
        self.write("mm-1.stats.csv", MAKER_HEADER, MAKER_ROWS)

    def error(self, path):
        """The message read_stats raises for `path`."""
        with self.assertRaises(plot_run.StatsError) as caught:
            plot_run.read_stats(path)
        return str(caught.exception)

    def main_fails(self, run_dir):
        """plot_run.main's exit code and stderr for a folder it refuses (before matplotlib)."""
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = plot_run.main([run_dir])
        return code, err.getvalue()


class ParseTest(PlotRunTestCase):
    def test_the_exchange_file_by_its_sessions_logged_on_column(self):
        stats = plot_run.read_stats(self.write("exchange.stats.csv", EXCHANGE_HEADER,
                                               EXCHANGE_ROWS))
        self.assertEqual((stats.kind, stats.name, stats.tickers), ("exchange", "exchange",
                                                                   ["1", "2"]))
        self.assertEqual(len(stats.rows), 2)
        self.assertEqual(stats.times(), [1.001, 2.002])
        self.assertEqual(stats.values("requests_per_s"), [120.0, 180.0])
        # Empty cells are no value, and a series leaves them out.
        self.assertEqual(stats.values("response_p99_us"), [None, 402.7])
        self.assertEqual(stats.series("response_p99_us"), ([2.002], [402.7]))
        self.assertEqual(stats.ticker_series("2", "bid_cents", 0.01), ([2.002], [199.5]))
        self.assertEqual(stats.ticker_series("1", "last_cents", 0.01), ([2.002], [100.0]))
        # With gaps (the prices): every row, NaN where there is no value.
        xs, ys = stats.ticker_series("2", "ask_cents", 0.01, gaps=True)
        self.assertEqual(xs, [1.001, 2.002])
        self.assertTrue(math.isnan(ys[0]))
        self.assertEqual(ys[1], 200.5)
        self.assertEqual(stats.series("rejects", gaps=True), ([1.001, 2.002], [0.0, 1.0]))
        self.assertEqual(stats.truncated_line, 0)

    def test_a_client_file_by_its_orders_column_named_after_the_file(self):
        stats = plot_run.read_stats(self.write("taker.stats.csv", CLIENT_HEADER, CLIENT_ROWS))
        self.assertEqual((stats.kind, stats.name, stats.tickers), ("client", "taker",
                                                                   ["1", "2"]))
        self.assertEqual(stats.series("fills_per_s"), ([1.25, 2.251], [0.0, 4.0]))
        self.assertEqual(stats.ticker_series("1", "position"), ([1.25, 2.251], [0.0, 10.0]))
        self.assertEqual(stats.series("tick_to_trade_p50_us"), ([2.251], [0.5]))
        # Total P&L: the tickers' total_cents added up, in dollars.
        self.assertEqual(plot_run.total_pnl_dollars(stats), ([1.25, 2.251], [0.0, 8.5]))

    def test_total_pnl_leaves_out_a_row_where_a_ticker_has_no_value(self):
        rows = [CLIENT_ROWS[1], CLIENT_ROWS[1].replace("2.251,", "3.0,", 1)
                .replace(",-100,", ",,", 1)]
        stats = plot_run.read_stats(self.write("taker.stats.csv", CLIENT_HEADER, rows))
        self.assertEqual(stats.values("t1_total_cents"), [-100.0, None])
        self.assertEqual(plot_run.total_pnl_dollars(stats), ([2.251], [8.5]))

    def test_a_run_folder_reads_every_stats_file_and_nothing_else(self):
        self.write_run()
        self.write("exchange.csv", "hop,value_ns,percentile,count", ["a,1,100.0,1"])
        run = plot_run.read_run(self.dir)
        self.assertEqual([s.name for s in run.exchanges], ["exchange"])
        self.assertEqual([s.name for s in run.clients], ["mm-1", "taker"])
        self.assertEqual(run.tickers(), ["1", "2"])

    def test_a_header_without_rows_and_a_file_without_tickers(self):
        stats = plot_run.read_stats(self.write("idle.stats.csv", CLIENT_HEADER, []))
        self.assertEqual((stats.rows, stats.series("fills_per_s")), ([], ([], [])))
        plain = ",".join(plot_run.EXCHANGE_COLUMNS)
        stats = plot_run.read_stats(self.write("exchange.stats.csv", plain, ["1.0" + ",1" * 11]))
        self.assertEqual((stats.tickers, len(stats.rows)), ([], 1))

    def test_a_last_row_cut_short_without_its_newline_is_left_out(self):
        path = self.write("taker.stats.csv", CLIENT_HEADER, CLIENT_ROWS + ["3.252,30,3"],
                          end="")
        stats = plot_run.read_stats(path)
        self.assertEqual((len(stats.rows), stats.truncated_line), (2, 4))

    def test_windows_line_ends_and_blank_lines(self):
        path = os.path.join(self.dir, "taker.stats.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\r\n".join([CLIENT_HEADER, CLIENT_ROWS[0], "", CLIENT_ROWS[1]]) + "\r\n")
        self.assertEqual(len(plot_run.read_stats(path).rows), 2)


class ErrorTest(PlotRunTestCase):
    def test_no_stats_file_in_the_folder(self):
        self.write("exchange.csv", "hop,value_ns,percentile,count", [])
        with self.assertRaises(plot_run.StatsError) as caught:
            plot_run.read_run(self.dir)
        self.assertIn(f"{self.dir}: no *.stats.csv file", str(caught.exception))
        code, err = self.main_fails(self.dir)
        self.assertEqual(code, 2)
        self.assertIn(f"plot_run.py: {self.dir}: no *.stats.csv file", err)

    def test_a_folder_that_is_not_there(self):
        missing = os.path.join(self.dir, "nope")
        code, err = self.main_fails(missing)
        self.assertEqual(code, 2)
        self.assertIn(f"{missing}: not a folder", err)

    def test_a_header_of_neither_kind(self):
        path = self.write("x.stats.csv", "hop,value_ns,percentile,count", [])
        self.assertEqual(self.error(path),
                         f"{path}:1: header not known: it has neither a sessions_logged_on "
                         f"column (the exchange's) nor an orders column (a client's)")

    def test_a_header_with_a_renamed_or_missing_column(self):
        path = self.write("taker.stats.csv", CLIENT_HEADER.replace("fills,", "fill,", 1), [])
        self.assertEqual(self.error(path), f"{path}:1: header not known (client stats): "
                                           f"column 5 is 'fill', expected 'fills'")
        path = self.write("exchange.stats.csv", "time_s,sessions_logged_on,requests", [])
        self.assertEqual(self.error(path), f"{path}:1: header not known (exchange stats): "
                                           f"column 4 is missing, expected 'responses'")

    def test_a_header_with_bad_ticker_groups(self):
        path = self.write("taker.stats.csv", CLIENT_HEADER + ",t3_position", [])
        self.assertIn(f"{path}:1: header not known (client stats): 15 columns after "
                      f"'round_trip_p99_us', not groups of 7", self.error(path))
        path = self.write("taker.stats.csv",
                          CLIENT_HEADER.replace("t2_ask_cents", "t3_ask_cents"), [])
        self.assertEqual(self.error(path), f"{path}:1: header not known (client stats): "
                                           f"column 29 is 't3_ask_cents', expected "
                                           f"'t2_ask_cents'")
        path = self.write("taker.stats.csv", CLIENT_HEADER.replace("t2_", "t1_"), [])
        self.assertEqual(self.error(path), f"{path}:1: header not known (client stats): "
                                           f"column 24: ticker 1 appears twice")
        path = self.write("taker.stats.csv", CLIENT_HEADER.replace("t2_position", "tx_position"),
                          [])
        self.assertIn("column 24 is 'tx_position', expected 'tT_position'", self.error(path))

    def test_an_empty_file(self):
        path = self.write("mm-1.stats.csv", "", [], end="")
        self.assertEqual(self.error(path), f"{path}:1: no header line (the file is empty)")

    def test_a_row_with_the_wrong_number_of_fields(self):
        path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0], "2.0,1,2"])
        self.assertEqual(self.error(path), f"{path}:3: 3 fields, expected 30 (as in the header)")
        # Too many fields, on a line that ends: an error even as the last line.
        path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0] + ",7"], end="")
        self.assertEqual(self.error(path), f"{path}:2: 31 fields, expected 30 (as in the header)")
        # Too few on a complete last line (it ends with a newline): an error too.
        path = self.write("taker.stats.csv", CLIENT_HEADER, CLIENT_ROWS + ["3.0,1"])
        self.assertEqual(self.error(path), f"{path}:4: 2 fields, expected 30 (as in the header)")

    def test_a_cell_that_is_not_a_number(self):
        for bad in ("abc", "nan", "inf", "1.2.3"):
            row = CLIENT_ROWS[1].replace(",0.5,", f",{bad},", 1)
            path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0], row])
            self.assertEqual(self.error(path), f"{path}:3: column tick_to_trade_p50_us: "
                                               f"'{bad}' is not a number")

    def test_a_cell_out_of_any_counter_range(self):
        for bad in ("1e308", "-1e308", "2e20"):
            row = CLIENT_ROWS[1].replace(",0.5,", f",{bad},", 1)
            path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0], row])
            self.assertEqual(self.error(path), f"{path}:3: column tick_to_trade_p50_us: "
                                               f"'{bad}' is out of range (no column of a stats "
                                               f"file goes past 1e+20)")
        # A 64-bit counter's largest value is read.
        row = CLIENT_ROWS[1].replace(",0.5,", ",18446744073709551615,", 1)
        path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0], row])
        self.assertEqual(len(plot_run.read_stats(path).rows), 2)

    def test_a_row_without_a_time(self):
        path = self.write("taker.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0][len("1.250"):]])
        self.assertEqual(self.error(path), f"{path}:2: column time_s is empty")

    def test_main_exits_2_naming_the_file_and_line(self):
        self.write_run()
        path = self.write("random.stats.csv", CLIENT_HEADER, [CLIENT_ROWS[0], "x" + "," * 29])
        code, err = self.main_fails(self.dir)
        self.assertEqual(code, 2)
        self.assertEqual(err, f"plot_run.py: {path}:3: column time_s: 'x' is not a number\n")


class ChartsTest(PlotRunTestCase):
    def run_script(self, *args, env=None):
        return subprocess.run([sys.executable, PLOT_RUN, *args], capture_output=True, text=True,
                              env=env, timeout=120, check=False)

    def test_without_matplotlib_exit_3_and_say_what_to_install(self):
        self.write_run()
        # A matplotlib that cannot be imported, found before any installed one; no retry with
        # the system interpreter.
        fake = os.path.join(self.dir, "fake")
        os.makedirs(os.path.join(fake, "matplotlib"))
        with open(os.path.join(fake, "matplotlib", "__init__.py"), "w", encoding="utf-8") as f:
            f.write("raise ImportError('no matplotlib here')\n")
        env = dict(os.environ, PYTHONPATH=fake, LLT_PLOT_REEXEC="1")
        result = self.run_script(self.dir, env=env)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("apt-get install python3-matplotlib", result.stderr)
        self.assertEqual(result.stdout, "")

    @unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib is not installed")
    def test_the_four_pngs_one_line_each(self):
        self.write_run()
        out = os.path.join(self.dir, "charts")
        result = self.run_script(self.dir, "-o", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines(),
                         [f"plot_run.py: wrote {os.path.join(out, name)}"
                          for name in plot_run.PNGS])
        self.assertEqual(sorted(plot_run.PNGS), sorted(os.listdir(out)))
        for name in plot_run.PNGS:
            with open(os.path.join(out, name), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", name)

    @unittest.skipUnless(HAVE_MATPLOTLIB, "matplotlib is not installed")
    def test_clients_only_into_the_run_folder(self):
        self.write("taker.stats.csv", CLIENT_HEADER, CLIENT_ROWS)
        result = self.run_script(self.dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), 4)
        for name in plot_run.PNGS:
            self.assertTrue(os.path.isfile(os.path.join(self.dir, name)), name)


if __name__ == "__main__":
    unittest.main()
