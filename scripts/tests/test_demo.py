"""scripts/demo.sh's command line: --idle, --compare-idle and their companions, each bad
value or combination refused with the flag's name; the charts of a run drawn after it (a run
folder written by the test). Nothing is built or started."""

import contextlib
import importlib.util
import io
import os
import sys
import tempfile
import unittest

import plot_run
from llt import command, demo


def parse_error(args):
    """The message of the usage error demo.parse raises for `args`."""
    try:
        demo.parse(args)
    except command.UsageError as e:
        return str(e)
    raise AssertionError(f"no usage error for {args}")


class DemoParseTest(unittest.TestCase):
    def test_a_duration_the_clients_would_refuse_is_refused_here(self):
        self.assertEqual(parse_error(["--duration", "99999999999"]),
                         "--duration '99999999999' is out of range 1-31536000")

    def test_a_compare_json_path_that_cannot_take_the_file_is_refused_before_the_runs(self):
        with tempfile.TemporaryDirectory() as top:
            self.assertEqual(parse_error(["--compare-idle", "--compare-json", top]),
                             f"--compare-json '{top}' is a directory")
            a_file = os.path.join(top, "a-file")
            with open(a_file, "w", encoding="utf-8") as f:
                f.write("x")
            under = os.path.join(a_file, "sub", "c.json")
            self.assertEqual(parse_error(["--compare-idle", "--compare-json", under]),
                             f"--compare-json '{under}': '{a_file}' is not a folder")
            missing = os.path.join(top, "new", "c.json")  # its folder is made when written
            self.assertEqual(demo.parse(["--compare-idle", "--compare-json", missing])[
                "compare_json"], missing)
            ok = os.path.join(top, "c.json")
            self.assertEqual(demo.parse(["--compare-idle", "--compare-json", ok])["compare_json"],
                             ok)

    def test_benchmarks_without_binaries_say_so(self):
        with tempfile.TemporaryDirectory() as top:
            # A missing folder other than build/release is named before anything is built.
            with self.assertRaises(command.Exit) as caught:
                demo.run_benchmarks(True, False, os.path.join(top, "none"))
            self.assertEqual(caught.exception.code, 2)
            self.assertIn("no build folder (--build-dir)", caught.exception.message)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(demo.run_benchmarks(False, False, top), 1)
            self.assertIn("no benchmark binaries in", err.getvalue())

    def test_defaults_pass_no_idle_mode(self):
        opts = demo.parse([])
        self.assertEqual((opts["duration"], opts["stats"], opts["idle"], opts["compare"]),
                         (30, 5, None, False))
        self.assertEqual(opts["build_dir"], "build/release")

    def test_idle_mode_for_the_demo(self):
        for mode in ("spin", "backoff", "block"):
            self.assertEqual(demo.parse(["--idle", mode, "--duration", "5"])["idle"], mode)

    def test_a_bad_idle_mode_names_the_flag(self):
        self.assertEqual(parse_error(["--idle", "sleep"]),
                         "--idle 'sleep' is not one of: spin, backoff, block")
        self.assertEqual(parse_error(["--idle"]), "--idle needs a value")

    def test_compare_idle_runs_20_s_by_default_and_takes_a_json_file(self):
        opts = demo.parse(["--compare-idle", "--no-build", "--build-dir", "b/r",
                           "--compare-json", "out/c.json"])
        self.assertEqual((opts["compare"], opts["duration"], opts["stats"], opts["build"]),
                         (True, 20, 4, False))
        self.assertEqual((opts["build_dir"], opts["compare_json"]), ("b/r", "out/c.json"))
        self.assertEqual(demo.parse(["--compare-idle", "--duration", "7"])["duration"], 7)

    def test_flags_that_do_not_go_together_are_refused_by_name(self):
        self.assertIn("--idle and --compare-idle",
                      parse_error(["--compare-idle", "--idle", "spin"]))
        self.assertEqual(parse_error(["--compare-json", "x.json"]),
                         "--compare-json needs --compare-idle")
        self.assertIn("--compare-idle", parse_error(["--benchmarks", "--compare-idle"]))
        self.assertIn("--idle", parse_error(["--full", "--idle", "block"]))
        self.assertIn("--compare-json", parse_error(["--compare-idle", "--compare-json", ""]))
        self.assertIn("--duration", parse_error(["--compare-idle", "--duration", "0"]))

    def test_main_exits_2_on_a_usage_error_naming_the_flag(self):
        err = io.StringIO()
        self.addCleanup(os.chdir, os.getcwd())  # main runs from the repository root
        with contextlib.redirect_stderr(err):
            self.assertEqual(demo.main(["--idle", "busy"]), 2)
        self.assertEqual(err.getvalue(), "scripts/demo.sh: --idle 'busy' is not one of: spin, "
                                         "backoff, block (try --help)\n")

    def test_help_names_the_new_flags(self):
        for flag in ("--idle MODE", "--compare-idle", "--compare-json FILE", "--build-dir DIR"):
            self.assertIn(flag, demo.USAGE)


class DemoChartsTest(unittest.TestCase):
    """demo.plot_stats: scripts/plot_run.py over a run folder's NAME.stats.csv files."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def plot_stats(self, python):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            pngs = demo.plot_stats(self.dir, python)
        return pngs, out.getvalue()

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w", encoding="utf-8") as f:
            f.write(text)

    def test_skipped_without_matplotlib_or_without_a_stats_csv(self):
        self.write("exchange.stats.csv", ",".join(plot_run.EXCHANGE_COLUMNS) + "\n")
        self.assertEqual(self.plot_stats(None),
                         ([], "charts over time: skipped, matplotlib is not installed "
                              "(apt-get install python3-matplotlib)\n"))
        os.remove(os.path.join(self.dir, "exchange.stats.csv"))
        self.write("exchange.csv", "hop,value_ns,percentile,count\n")
        self.write("mm-1.stats.csv", "")  # created, nothing written
        self.assertEqual(self.plot_stats(sys.executable),
                         ([], "charts over time: skipped, no stats CSV was written "
                              "(NAME.stats.csv)\n"))

    def test_a_failure_names_the_file_to_look_at(self):
        self.write("exchange.stats.csv", "time_s,what\n1.0,2\n")
        pngs, out = self.plot_stats(sys.executable)
        err = os.path.join(self.dir, "plot_run.err")
        self.assertEqual((pngs, out), ([], f"charts over time: failed, see {err}\n"))
        with open(err, encoding="utf-8") as f:
            self.assertIn("exchange.stats.csv:1: header not known", f.read())

    @unittest.skipUnless(importlib.util.find_spec("matplotlib"), "matplotlib is not installed")
    def test_the_pngs_are_in_the_run_folder(self):
        header = ",".join(plot_run.CLIENT_COLUMNS + [
            f"t1_{f}" for f in plot_run.CLIENT_TICKER_FIELDS])
        self.write("taker.stats.csv", header + "\n1.0" + ",1" * 22 + "\n")
        pngs, out = self.plot_stats(sys.executable)
        self.assertEqual(pngs, [os.path.join(self.dir, n) for n in plot_run.PNGS])
        self.assertEqual(out, f"charts over time: {', '.join(plot_run.PNGS)} in {self.dir} "
                              f"(P&L and positions, rates, prices, latency percentiles)\n")


if __name__ == "__main__":
    unittest.main()
