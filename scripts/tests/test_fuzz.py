"""scripts/fuzz.sh (llt/fuzz.py): the command line, the target list against the build's, the
libFuzzer arguments, the bounds and the reading of libFuzzer's final stats. Nothing is built
and no fuzz target runs here."""

import os
import re
import subprocess
import unittest

from llt import fuzz, run

FUZZ_SH = os.path.join(run.REPO, "scripts", "fuzz.sh")


def fuzz_sh(*args):
    return subprocess.run([FUZZ_SH, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)


class ParseTest(unittest.TestCase):
    def test_defaults(self):
        opts = fuzz.parse([])
        self.assertEqual((opts.seconds, opts.runs, opts.targets, opts.keep, opts.help),
                         (60, None, fuzz.TARGETS, "", False))

    def test_seconds_runs_or_both(self):
        self.assertEqual((fuzz.parse(["5"]).seconds, fuzz.parse(["5"]).runs), (5, None))
        only_runs = fuzz.parse(["--runs", "1000"])
        self.assertEqual((only_runs.seconds, only_runs.runs), (None, 1000))
        both = fuzz.parse(["--runs", "1000", "30"])
        self.assertEqual((both.seconds, both.runs), (30, 1000))

    def test_targets_in_the_order_given_once_each(self):
        opts = fuzz.parse(["--target", "matching_engine", "--target", "order_server_session",
                           "--target", "matching_engine", "--keep", "kept"])
        self.assertEqual(opts.targets, ("matching_engine", "order_server_session"))
        self.assertEqual(opts.keep, "kept")

    def test_help(self):
        self.assertTrue(fuzz.parse(["--runs", "x", "-h"]).help)
        self.assertTrue(fuzz.parse(["--help"]).help)

    def assert_usage_error(self, args, *parts):
        with self.assertRaises(run.UsageError) as caught:
            fuzz.parse(args)
        for part in parts:
            self.assertIn(part, str(caught.exception))

    def test_usage_errors_name_the_flag(self):
        self.assert_usage_error(["x"], "SECONDS_PER_TARGET:", "positive whole number", "'x'")
        self.assert_usage_error(["0"], "SECONDS_PER_TARGET:", "'0'")
        self.assert_usage_error(["5", "6"], "SECONDS_PER_TARGET:", "one only", "'5'", "'6'")
        self.assert_usage_error(["--runs", "1e3"], "--runs:", "positive whole number", "'1e3'")
        self.assert_usage_error(["--runs", "-1"], "--runs:", "'-1'")
        self.assert_usage_error(["--runs"], "--runs:", "needs a number")
        self.assert_usage_error(["--target"], "--target:", "needs a name")
        self.assert_usage_error(["--keep"], "--keep:", "needs a directory")
        self.assert_usage_error(["--target", "matcher"], "--target:", "unknown target 'matcher'",
                                "order_server_session market_data_sequencer matching_engine")
        self.assert_usage_error(["--seconds", "5"], "unknown option '--seconds'")

    def test_entry_point_exit_codes(self):
        for args, message in ((["x"], "SECONDS_PER_TARGET: expects a positive whole number, "
                                      "got 'x'"),
                              (["--runs"], "--runs: needs a number"),
                              (["--target", "nope"], "--target: unknown target 'nope'"),
                              (["-x"], "unknown option '-x'")):
            done = fuzz_sh(*args)
            self.assertEqual(done.returncode, 2, args)
            self.assertIn(f"scripts/fuzz.sh: {message}", done.stderr)
            self.assertEqual(done.stdout, "")
        shown = fuzz_sh("--help")
        self.assertEqual(shown.returncode, 0)
        self.assertTrue(shown.stdout.startswith("usage: scripts/fuzz.sh [SECONDS_PER_TARGET]"))
        for flag in ("--runs N", "--target NAME", "--keep DIR", *fuzz.TARGETS):
            self.assertIn(flag, shown.stdout)


class TargetsTest(unittest.TestCase):
    def test_the_targets_are_those_the_fuzz_preset_builds(self):
        with open(os.path.join(run.REPO, "tests", "fuzz", "CMakeLists.txt")) as f:
            built = re.search(r"set\(LLT_FUZZ_TARGETS ([^)]*)\)", f.read())
        self.assertIsNotNone(built)
        self.assertEqual(tuple(built.group(1).split()), fuzz.TARGETS)

    def test_every_target_has_a_seed_corpus(self):
        for target in fuzz.TARGETS:
            folder = os.path.join(run.REPO, "tests", "fuzz", "corpus", target)
            self.assertTrue(any(os.path.isfile(os.path.join(folder, name))
                                for name in os.listdir(folder)), target)

    def test_binary(self):
        self.assertEqual(fuzz.binary("matching_engine"),
                         "build/fuzz/tests/fuzz/matching_engine_fuzz")


class RunTest(unittest.TestCase):
    def test_libfuzzer_args(self):
        common = ["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048",
                  "-artifact_prefix=/w/findings/"]
        self.assertEqual(fuzz.libfuzzer_args("order_server_session", 60, None, "/w/findings"),
                         common + ["-max_total_time=60"])
        self.assertEqual(fuzz.libfuzzer_args("market_data_sequencer", None, 500, "/w/findings"),
                         common + ["-runs=500"])
        self.assertEqual(fuzz.libfuzzer_args("matching_engine", 5, 500, "/w/findings"),
                         common + ["-max_len=512", "-max_total_time=5", "-runs=500"])

    def test_run_label(self):
        self.assertEqual(fuzz.run_label(60, None), "60s")
        self.assertEqual(fuzz.run_label(None, 1000), "1000 runs")
        self.assertEqual(fuzz.run_label(5, 1000), "5s, 1000 runs")

    def test_every_run_has_a_bound(self):
        self.assertEqual(fuzz.run_timeout(60), 60 + fuzz.RUN_MARGIN)
        self.assertEqual(fuzz.run_timeout(None), fuzz.RUNS_ONLY_TIMEOUT)
        self.assertGreater(fuzz.RUN_MARGIN, 10)  # past libFuzzer's -timeout=10 for one input

    def test_executions_from_the_final_stats(self):
        log = ("INFO: Seed: 1\n#2 INITED exec/s: 0\nstat::number_of_executed_units: 17\n"
               "stat::average_exec_per_sec:     3\nstat::number_of_executed_units:   123456\n"
               "stat::peak_rss_mb: 40\n")
        self.assertEqual(fuzz.executions(log), "123456")
        self.assertEqual(fuzz.executions("==1==ERROR: AddressSanitizer\n"), "unknown")
        self.assertEqual(fuzz.executions("stat::number_of_executed_units:\n"), "unknown")

    def test_sanitizer_options_default_when_unset_or_empty(self):
        env = fuzz.sanitizer_env({"PATH": "/bin", "UBSAN_OPTIONS": ""})
        self.assertEqual(env["ASAN_OPTIONS"], "abort_on_error=1:detect_leaks=1")
        self.assertEqual(env["UBSAN_OPTIONS"], "print_stacktrace=1:halt_on_error=1")
        self.assertEqual(env["PATH"], "/bin")
        mine = fuzz.sanitizer_env({"ASAN_OPTIONS": "detect_leaks=0"})
        self.assertEqual(mine["ASAN_OPTIONS"], "detect_leaks=0")


if __name__ == "__main__":
    unittest.main()
