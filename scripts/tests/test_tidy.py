"""scripts/tidy.sh (llt/tidy.py): the command line, the choice of files from a
compile_commands.json, and the parallel runs with a stand-in for clang-tidy (a short shell
script); clang-tidy itself never runs here and nothing is built."""

import io
import json
import os
import stat
import subprocess
import tempfile
import time
import unittest

from llt import run, tidy

from tests.processes_alive import alive

TIDY_SH = os.path.join(run.REPO, "scripts", "tidy.sh")


def tidy_sh(*args, path_prefix=None, timeout=60):
    env = dict(os.environ)
    if path_prefix:
        env["PATH"] = path_prefix + os.pathsep + env.get("PATH", "")
    return subprocess.run([TIDY_SH, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=timeout, check=False)


class ParseTest(unittest.TestCase):
    def test_defaults(self):
        opts = tidy.parse([])
        self.assertEqual((opts.jobs, opts.build_dir, opts.filters, opts.help), (2, "", (), False))

    def test_flags_and_filters(self):
        opts = tidy.parse(["--jobs", "4", "^common/", "--build-dir", "b/x", "order_book"])
        self.assertEqual(opts.jobs, 4)
        self.assertEqual(opts.build_dir, "b/x")
        self.assertEqual(opts.filters, ("^common/", "order_book"))

    def test_help_wins_over_a_bad_jobs_value_before_it(self):
        self.assertTrue(tidy.parse(["--jobs", "x", "--help"]).help)
        self.assertTrue(tidy.parse(["-h"]).help)

    def assert_usage_error(self, args, *parts):
        with self.assertRaises(run.UsageError) as caught:
            tidy.parse(args)
        for part in parts:
            self.assertIn(part, str(caught.exception))

    def test_usage_errors_name_the_flag(self):
        self.assert_usage_error(["--jobs", "x"], "--jobs:", "positive integer", "'x'")
        self.assert_usage_error(["--jobs", "0"], "--jobs:", "'0'")
        self.assert_usage_error(["--jobs", "08"], "--jobs:", "'08'")
        self.assert_usage_error(["--jobs", "-3"], "--jobs:", "'-3'")
        self.assert_usage_error(["--jobs"], "--jobs:", "needs a value")
        self.assert_usage_error(["x", "--build-dir"], "--build-dir:", "needs a value")
        self.assert_usage_error(["-j"], "unknown option '-j'")
        self.assert_usage_error(["common/("], "PATH_REGEX", "'common/('")

    def test_entry_point_exit_codes(self):
        bad = tidy_sh("--jobs", "x")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("scripts/tidy.sh: --jobs: expects a positive integer, got 'x'", bad.stderr)
        self.assertEqual(bad.stdout, "")
        unknown = tidy_sh("--frobnicate")
        self.assertEqual(unknown.returncode, 2)
        self.assertIn("unknown option '--frobnicate'", unknown.stderr)
        shown = tidy_sh("--help")
        self.assertEqual(shown.returncode, 0)
        self.assertTrue(shown.stdout.startswith("usage: scripts/tidy.sh [--jobs N] "
                                                "[--build-dir DIR] [PATH_REGEX]..."))
        for flag in ("--jobs N", "--build-dir DIR", "PATH_REGEX"):
            self.assertIn(flag, shown.stdout)


class SelectTest(unittest.TestCase):
    ROOT = "/src/llt"

    def entries(self, *files, directory=None):
        return [{"directory": directory or f"{self.ROOT}/build/release", "command": "c++ -c x",
                 "file": f} for f in files]

    def test_own_cpp_files_relative_sorted_once_each(self):
        entries = self.entries(
            f"{self.ROOT}/trading/main.cpp",
            f"{self.ROOT}/common/error.cpp",
            f"{self.ROOT}/common/error.cpp",  # twice in the database: once in the list
            f"{self.ROOT}/tests/common/error_test.cpp",
            f"{self.ROOT}/benchmarks/queue_bench.cpp",
            f"{self.ROOT}/exchange/matcher/matching_engine.cpp",
            f"{self.ROOT}/build/release/_deps/gtest/gtest-all.cc",  # generated / third party
            f"{self.ROOT}/build/release/common/generated.cpp",  # under build/
            f"{self.ROOT}/tools/other.cpp",  # not a source folder
            f"{self.ROOT}/commonx/a.cpp",  # only a prefix of a source folder
            f"{self.ROOT}/common/header.h",
            f"{self.ROOT}/common/x.cpp.o",
            f"{self.ROOT}-old/common/error.cpp",  # a sibling of the root
            "/elsewhere/common/error.cpp",
        )
        self.assertEqual(tidy.translation_units(entries, self.ROOT), [
            "benchmarks/queue_bench.cpp",
            "common/error.cpp",
            "exchange/matcher/matching_engine.cpp",
            "tests/common/error_test.cpp",
            "trading/main.cpp",
        ])

    def test_root_with_a_trailing_slash_and_relative_file_entries(self):
        entries = self.entries("../../common/a.cpp", directory=f"{self.ROOT}/build/release")
        entries += self.entries("common/b.cpp", directory=self.ROOT)
        entries += [{"directory": self.ROOT}, {"file": 3}, "not an entry"]
        # A relative path is taken from the entry's directory; "../" is not resolved: only
        # paths under the root as written count.
        self.assertEqual(tidy.translation_units(entries, self.ROOT + "/"), ["common/b.cpp"])

    def test_not_a_list(self):
        self.assertEqual(tidy.translation_units({"file": "x"}, self.ROOT), [])

    def test_gcc_pch_arguments_are_dropped_and_nothing_else(self):
        pch = "/b/tests/CMakeFiles/llt_test_pch.dir/cmake_pch.hxx"
        entries = [
            {"directory": "/b", "file": "/r/tests/a_test.cpp",
             "command": f"/usr/bin/c++ -I/r -O3 -Winvalid-pch -include {pch} -o a.o -c "
                        "/r/tests/a_test.cpp"},
            {"directory": "/b", "file": "/r/common/b.cpp",
             "arguments": ["c++", "-include", "/r/own.h", "-Winvalid-pch", "-include", pch,
                           "-c", "/r/common/b.cpp"]},
            "not an entry",
        ]
        cleaned = tidy.without_gcc_pch(entries)
        self.assertEqual(cleaned[0]["command"],
                         "/usr/bin/c++ -I/r -O3 -o a.o -c /r/tests/a_test.cpp")
        self.assertEqual(cleaned[1]["arguments"],
                         ["c++", "-include", "/r/own.h", "-c", "/r/common/b.cpp"])
        self.assertEqual(cleaned[2], "not an entry")
        self.assertIn("-Winvalid-pch", entries[0]["command"])  # the input is not modified

    FILES = ["benchmarks/order_book_bench.cpp", "common/error.cpp", "common/net/socket_error.cpp",
             "exchange/matcher/order_book.cpp", "tests/common/error_test.cpp",
             "tests/exchange/matcher/order_book_test.cpp", "trading/main.cpp"]

    def test_no_filter_keeps_everything(self):
        self.assertEqual(tidy.select(self.FILES, ()), self.FILES)

    def test_filters_are_searched_and_ored(self):
        self.assertEqual(tidy.select(self.FILES, ("^common/",)),
                         ["common/error.cpp", "common/net/socket_error.cpp"])
        self.assertEqual(tidy.select(self.FILES, ("^common/error",)), ["common/error.cpp"])
        self.assertEqual(tidy.select(self.FILES, ("order_book", "^trading/")),
                         ["benchmarks/order_book_bench.cpp", "exchange/matcher/order_book.cpp",
                          "tests/exchange/matcher/order_book_test.cpp", "trading/main.cpp"])
        self.assertEqual(tidy.select(self.FILES, ("nothing",)), [])

    def test_extended_regex_spellings(self):
        self.assertEqual(tidy.select(self.FILES, (r"_(bench|test)\.cpp$",)),
                         ["benchmarks/order_book_bench.cpp", "tests/common/error_test.cpp",
                          "tests/exchange/matcher/order_book_test.cpp"])
        self.assertEqual(tidy.select(self.FILES, ("^[[:alpha:]]+/main",)), ["trading/main.cpp"])
        # \< is a word start: "error" after "/" but not after "socket_".
        self.assertEqual(tidy.select(self.FILES, (r"\<error",)),
                         ["common/error.cpp", "tests/common/error_test.cpp"])

    def test_result_line(self):
        # The path padded to 68 columns, a space, the seconds right-aligned in 4.
        self.assertEqual(tidy.result_line(True, "common/error.cpp", 3),
                         "tidy: ok    common/error.cpp" + " " * 52 + "    3s")
        self.assertEqual(tidy.result_line(False, "common/error.cpp", 12),
                         "tidy: FAIL  common/error.cpp" + " " * 52 + "   12s")


# A stand-in for clang-tidy: "-p DIR --quiet FILE" like the real call; fails with a finding
# for files named *bad*, hangs (with a child of its own) for *hang*, else passes.
FAKE_TIDY = """#!/bin/sh
file=$4
case "$file" in
  *bad*) echo "$file:1:1: error: a finding [bugprone-fake]"; exit 1 ;;
  *hang*) echo $$ > "$FAKE_PIDS/$(basename "$file").pid"
          sleep 60 & echo $! > "$FAKE_PIDS/$(basename "$file").child"; wait ;;
esac
echo "checked $file with -p $2"
exit 0
"""


class CheckFilesTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.bin = os.path.join(self.dir, "bin")
        self.logs = os.path.join(self.dir, "logs")
        self.pids = os.path.join(self.dir, "pids")
        for d in (self.bin, self.logs, self.pids):
            os.mkdir(d)
        fake = os.path.join(self.bin, "clang-tidy-14")
        with open(fake, "w") as f:
            f.write(FAKE_TIDY)
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        self.fake = fake
        os.environ["FAKE_PIDS"] = self.pids
        self.addCleanup(os.environ.pop, "FAKE_PIDS", None)

    def check(self, files, jobs=2, timeout=30):
        out = io.StringIO()
        results = tidy.check_files(files, lambda f: [self.fake, "-p", "b", "--quiet", f], jobs,
                                   self.logs, timeout=timeout, out=out)
        return results, out.getvalue().splitlines()

    def test_every_file_is_ok_or_failed_with_its_findings(self):
        files = [f"common/f{i}.cpp" for i in range(5)] + ["common/bad_one.cpp"]
        results, lines = self.check(files, jobs=3)
        self.assertEqual(sorted(results), sorted(files))
        self.assertFalse(results["common/bad_one.cpp"].ok)
        self.assertIn("common/bad_one.cpp:1:1: error: a finding", results["common/bad_one.cpp"].log)
        for f in files[:5]:
            self.assertTrue(results[f].ok, f)
            self.assertEqual(results[f].log, f"checked {f} with -p b\n")
        # One whole line per file, each exactly as result_line() writes it.
        self.assertEqual(len(lines), len(files))
        for line in lines:
            file = line[len("tidy: ok    "):].split()[0]
            self.assertEqual(line, tidy.result_line(results[file].ok, file,
                                                    results[file].seconds))

    def test_a_file_past_the_timeout_fails_and_its_process_group_is_killed(self):
        # 5 s: time for the fake to start its child and write both pid files first, also on a
        # loaded machine.
        results, lines = self.check(["common/hang.cpp", "common/ok.cpp"], timeout=5)
        self.assertTrue(results["common/ok.cpp"].ok)
        self.assertFalse(results["common/hang.cpp"].ok)
        self.assertIn("timed out after 5 s on common/hang.cpp", results["common/hang.cpp"].log)
        self.assertIn(tidy.result_line(False, "common/hang.cpp", 5), lines)
        for name in ("hang.cpp.pid", "hang.cpp.child"):
            with open(os.path.join(self.pids, name)) as f:
                pid = int(f.read())
            deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(alive(pid), name)

    def test_a_command_that_cannot_start_raises(self):
        with self.assertRaises(OSError):
            tidy.check_files(["common/a.cpp"], lambda f: [os.path.join(self.dir, "missing")], 1,
                             self.logs, out=io.StringIO())

    def test_whole_command_with_a_fake_database(self):
        # The entry point with the stand-in first on PATH and --build-dir: no configure step,
        # the files of the database (they need not exist: the stand-in does not read them).
        build = os.path.join(self.dir, "build")
        os.mkdir(build)
        root = os.path.realpath(run.REPO)
        entries = [{"directory": build, "command": "c++", "file": f"{root}/{f}"} for f in
                   ("common/zz_a.cpp", "common/zz_bad.cpp", "trading/zz_c.cpp",
                    "common/zz_a.cpp")]
        with open(os.path.join(build, "compile_commands.json"), "w") as f:
            json.dump(entries, f)

        failed = tidy_sh("--build-dir", build, "--jobs", "2", "zz_", path_prefix=self.bin)
        self.assertEqual(failed.returncode, 1, failed.stderr)
        out = failed.stdout.splitlines()
        self.assertEqual(out[0], f"tidy: clang-tidy-14 over 3 files of {build}/"
                                 f"compile_commands.json, 2 at a time")
        self.assertEqual(sorted(line.split()[1:3] for line in out[1:4]),
                         [["FAIL", "common/zz_bad.cpp"], ["ok", "common/zz_a.cpp"],
                          ["ok", "trading/zz_c.cpp"]])
        self.assertEqual(out[4], "common/zz_bad.cpp:1:1: error: a finding [bugprone-fake]")
        self.assertRegex(failed.stderr, r"^tidy: findings in 1 of 3 files \([0-9]+ s\)\n$")

        clean = tidy_sh("--build-dir", build, "zz_a", "zz_c", path_prefix=self.bin)
        self.assertEqual(clean.returncode, 0, clean.stderr)
        self.assertRegex(clean.stdout.splitlines()[-1], r"^tidy: clean, 2 files \([0-9]+ s\)$")

        none = tidy_sh("--build-dir", build, "^exchange/", path_prefix=self.bin)
        self.assertEqual(none.returncode, 1)
        self.assertIn("no translation unit in", none.stderr)

        missing = tidy_sh("--build-dir", os.path.join(self.dir, "nothing"), path_prefix=self.bin)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("compile_commands.json not found", missing.stderr)


if __name__ == "__main__":
    unittest.main()
