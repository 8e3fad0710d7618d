"""Start and stop of a run's processes: the pid checks (a pid is signalled only while its
command line names the run folder), launch through the wrapper, exit codes, SIGKILL past
the timeout. Every process started here is a short Python sleeper, stopped by the test."""

import os
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

from llt import command, run, soak

# Sleeps 30 s; with "ignore-term", ignores SIGTERM and then creates ARGV[1].ready.
SLEEPER = "import signal, sys, time\n" \
          "if 'ignore-term' in sys.argv:\n" \
          "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" \
          "    open(sys.argv[1] + '.ready', 'w').close()\n" \
          "time.sleep(30)\n"


def sleeper(*args):
    return [sys.executable, "-c", SLEEPER, *args]


class RunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = os.path.realpath(self.tmp.name)
        self.started = []
        self.addCleanup(self.kill_started)

    def kill_started(self):
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def spawn(self, *args):
        proc = subprocess.Popen(sleeper(*args))
        self.started.append(proc)
        deadline = time.monotonic() + 10
        while args[-1] not in run.cmdline(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # until it has exec'd
        return proc

    def test_is_ours_only_while_the_command_line_names_the_folder(self):
        proc = self.spawn(f"{self.dir}/x.log")
        self.assertTrue(run.is_ours(proc.pid, self.dir))
        self.assertFalse(run.is_ours(proc.pid, self.dir + "-other"))
        self.assertFalse(run.is_ours(proc.pid, os.path.dirname(self.dir) + "/elsewhere"))
        proc.kill()
        deadline = time.monotonic() + 10
        # A zombie (killed, not yet reaped) has an empty command line: not ours.
        while run.is_ours(proc.pid, self.dir) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertFalse(run.is_ours(proc.pid, self.dir))
        proc.wait()
        self.assertFalse(run.is_ours(proc.pid, self.dir))
        self.assertFalse(run.is_ours(0, self.dir))

    def test_read_pids_refuses_a_folder_without_pids(self):
        with self.assertRaises(run.Exit) as caught:
            run.read_pids(self.dir)
        self.assertEqual(caught.exception.code, 2)

    def test_launch_records_the_pid_and_the_exit_code(self):
        pid = run.launch(self.dir, "quick", [sys.executable, "-c",
                                             "import sys; print('hi'); sys.exit(3)",
                                             f"{self.dir}/q"])
        self.assertEqual(run.read_pids(self.dir), [("quick", pid)])
        deadline = time.monotonic() + 10
        while run.read_rc(self.dir, "quick") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(run.read_rc(self.dir, "quick"), "3")
        with open(os.path.join(self.dir, "quick.out"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "hi\n")

    def test_stop_ends_its_processes_and_never_signals_a_pid_that_is_not_ours(self):
        stranger = self.spawn("not-the-run-folder")
        mm = run.launch(self.dir, "mm-1", sleeper(f"{self.dir}/mm-1.log"))
        ex = run.launch(self.dir, "exchange", sleeper(f"{self.dir}/exchange.log"))
        # A recycled pid: recorded in the run's pids, but someone else's process now.
        with open(os.path.join(self.dir, "pids"), "a", encoding="utf-8") as f:
            f.write(f"taker {stranger.pid}\n")
        with open(os.path.join(self.dir, "taker.rc"), "w", encoding="utf-8") as f:
            f.write("0\n")
        code, output = run.stop_captured(self.dir, timeout=5)
        self.assertIsNone(stranger.poll(), "stop signalled a process that is not ours")
        self.assertFalse(run.is_ours(mm, self.dir))
        self.assertFalse(run.is_ours(ex, self.dir))
        # A process ended by SIGTERM exits 128 + 15: not a clean run.
        self.assertIn(f"stop: mm-1 (pid {mm}) exit 143", output)
        self.assertIn(f"stop: exchange (pid {ex}) exit 143", output)
        self.assertEqual(code, 1)

    def test_stop_kills_past_the_timeout_and_says_so(self):
        pid = run.launch(self.dir, "mm-2", sleeper(f"{self.dir}/mm-2.log", "ignore-term"))
        ready = f"{self.dir}/mm-2.log.ready"
        deadline = time.monotonic() + 20
        while not os.path.exists(ready) and time.monotonic() < deadline:
            time.sleep(0.02)  # until the sleeper ignores SIGTERM
        code, output = run.stop_captured(self.dir, timeout=1)
        self.assertEqual(code, 1)
        self.assertIn("still running 1 s after SIGTERM: SIGKILL", output)
        self.assertIn(f"stop: mm-2 (pid {pid}) killed with SIGKILL, exit 137", output)
        self.assertFalse(run.is_ours(pid, self.dir))

    def test_the_supervisor_records_the_cpu_time_its_process_used(self):
        burn = "import time\nend = time.process_time() + 0.3\n" \
               "while time.process_time() < end:\n    pass\n"
        run.launch(self.dir, "busy", [sys.executable, "-c", burn, f"{self.dir}/b"])
        deadline = time.monotonic() + 20
        while run.read_rc(self.dir, "busy") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(run.read_rc(self.dir, "busy"), "0")
        user, system = run.read_cpu(self.dir, "busy")
        self.assertGreaterEqual(user + system, 0.25)
        self.assertLess(user + system, 10)
        self.assertIsNone(run.read_cpu(self.dir, "never-started"))

    def test_stop_of_a_clean_run_is_zero(self):
        pid = run.launch(self.dir, "mm-1", [sys.executable, "-c", "pass", f"{self.dir}/x"])
        deadline = time.monotonic() + 10
        while run.read_rc(self.dir, "mm-1") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        code, output = run.stop_captured(self.dir, timeout=5)
        self.assertEqual((code, output), (0, f"stop: mm-1 (pid {pid}) exit 0"))

    def test_whole_number_flags(self):
        self.assertEqual(run.whole_number("--timeout", "0"), 0)
        self.assertEqual(run.whole_number("--duration", "7", minimum=1), 7)
        for bad, minimum in (("x", 0), ("-1", 0), ("1.5", 0), ("0", 1), ("", 0), ("\u00b2", 0),
                             ("\u0663\u0660", 1)):  # a superscript two; Arabic-Indic 30
            with self.assertRaises(run.UsageError):
                run.whole_number("--duration", bad, minimum=minimum)
        self.assertEqual(run.whole_number("--duration", str(run.MAX_DURATION),
                                          maximum=run.MAX_DURATION), run.MAX_DURATION)
        with self.assertRaises(run.UsageError) as caught:
            run.whole_number("--duration", "99999999999", 1, maximum=run.MAX_DURATION)
        self.assertEqual(str(caught.exception),
                         "--duration '99999999999' is out of range 1-31536000")

    def test_idle_modes_and_a_bad_one_named_with_its_flag(self):
        for mode in ("spin", "backoff", "block"):
            self.assertEqual(run.idle_mode("--idle", mode), mode)
        for bad in ("", "Spin", "sleep", "busy"):
            with self.assertRaises(run.UsageError) as caught:
                run.idle_mode("--idle", bad)
            self.assertEqual(str(caught.exception),
                             f"--idle '{bad}' is not one of: spin, backoff, block")

    def test_main_exit_codes_of_usage_errors(self):
        self.assertEqual(run.main(["bogus"]), 2)
        self.assertEqual(run.main(["stop", "--timeout", "x"]), 2)
        self.assertEqual(run.main(["stop", self.dir]), 2)  # no pids file
        self.assertEqual(run.main(["status", "a", "b"]), 2)
        self.assertEqual(run.main(["status", "--bogus"]), 2)
        # Refused before anything is built or started.
        self.assertEqual(run.main(["start", "--no-build", "--idle", "sleep"]), 2)
        self.assertEqual(run.main(["start", "--no-build", "--idle"]), 2)
        self.assertEqual(run.main(["start", "--no-build", "--duration", "99999999999"]), 2)

    def test_soak_refuses_what_its_processes_would_before_starting_them(self):
        self.assertEqual(soak.parse(["60", "--rate", "1000000"])["rate"], 1_000_000)
        for args, message in ((["60", "--rate", "2000000"],
                               "--rate '2000000' is out of range 1-1000000"),
                              (["\u00b2"], "DURATION '\u00b2' is not a whole number of seconds >= 10"),
                              (["9"], "DURATION '9' is not a whole number of seconds >= 10"),
                              (["99999999999"], "DURATION '99999999999' is out of range 10-31536000")):
            with self.assertRaises(command.UsageError) as caught:
                soak.parse(args)
            self.assertEqual(str(caught.exception), message)

    def test_a_missing_build_folder_is_named_as_one(self):
        with self.assertRaises(run.Exit) as caught:
            run.binaries(os.path.join(self.dir, "no-such-build"))
        self.assertIn("no build folder (--build-dir)", str(caught.exception))
        empty = os.path.join(self.dir, "empty-build")
        os.makedirs(empty)
        with self.assertRaises(run.Exit) as caught:
            run.binaries(empty)
        self.assertIn("exchange/exchange not built (build that folder first)",
                      str(caught.exception))

    def test_only_the_default_build_folder_is_built_and_another_is_checked_first(self):
        built = []
        with mock.patch.object(run, "build", side_effect=lambda me=run.ME: built.append(me)):
            # Another folder: named when missing, before anything is built, and never built.
            with self.assertRaises(run.Exit) as caught:
                run.built_binaries(os.path.join(self.dir, "no-such-build"), True)
            self.assertIn("no build folder (--build-dir)", str(caught.exception))
            custom = os.path.join(self.dir, "custom-build")
            for name in ("exchange", "trading"):
                os.makedirs(os.path.join(custom, name))
                path = os.path.join(custom, name, name)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("#!/bin/sh\n")
                os.chmod(path, 0o755)
            self.assertEqual(run.built_binaries(custom, True),
                             (os.path.join(os.path.realpath(custom), "exchange", "exchange"),
                              os.path.join(os.path.realpath(custom), "trading", "trading")))
            self.assertEqual(built, [])
            # build/release (relative to the working folder, here one without it) is built
            # unless --no-build.
            here = os.getcwd()
            os.chdir(self.dir)
            try:
                with self.assertRaises(run.Exit):
                    run.built_binaries("build/release", False)
                self.assertEqual(built, [])
                with self.assertRaises(run.Exit):
                    run.built_binaries("build/release", True, "soak.sh")
                self.assertEqual(built, ["soak.sh"])
                # The same folder named by its absolute path, before it exists, is built too.
                with self.assertRaises(run.Exit):
                    run.built_binaries(os.path.join(self.dir, "build", "release"), True, "run")
                self.assertEqual(built, ["soak.sh", "run"])
            finally:
                os.chdir(here)


if __name__ == "__main__":
    unittest.main()
