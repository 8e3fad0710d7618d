"""llt.command.main: --help, and each failure mapped to its message and exit code."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import unittest

from llt import bounded, command


def run_main(argv, parse, act, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = command.main("scripts/x.sh", "usage: x", argv, parse, act, **kwargs)
    finally:
        os.chdir(cwd)
    return code, out.getvalue(), err.getvalue()


def parse(argv):
    return {"help": "--help" in argv, "args": argv}


class CommandMain(unittest.TestCase):
    def test_help_prints_the_usage_and_does_not_act(self):
        acted = []
        code, out, _ = run_main(["--help"], parse, lambda o: acted.append(o) or 5)
        self.assertEqual((code, out, acted), (0, "usage: x\n", []))

    def test_act_runs_from_the_repository_root_and_its_code_is_returned(self):
        seen = []
        code, _, _ = run_main(["a"], parse, lambda o: seen.append(os.getcwd()) or 7)
        self.assertEqual(code, 7)
        self.assertEqual(os.path.realpath(seen[0]), os.path.realpath(command.REPO))

    def test_without_parse_act_gets_argv(self):
        code, _, _ = run_main(["x", "y"], None, lambda argv: len(argv))
        self.assertEqual(code, 2)

    def test_a_usage_error_names_the_command_and_exits_2(self):
        def bad(_):
            raise command.UsageError("--jobs: needs a value")
        code, _, err = run_main([], bad, lambda o: 0)
        self.assertEqual((code, err), (2, "scripts/x.sh: --jobs: needs a value (try --help)\n"))

    def test_exit_prints_its_message_and_returns_its_code(self):
        def stop(_):
            raise command.Exit(3, "x: gone")
        self.assertEqual(run_main([], parse, stop)[::2], (3, "x: gone\n"))
        def quiet(_):
            raise command.Exit(4)
        self.assertEqual(run_main([], parse, quiet)[::2], (4, ""))

    def test_an_interrupt_exits_128_plus_the_signal(self):
        def interrupted(_):
            raise bounded.Interrupted(signal.SIGTERM)
        code, _, err = run_main([], parse, interrupted, interrupted="all stopped")
        self.assertEqual(code, 128 + signal.SIGTERM)
        self.assertEqual(err, "scripts/x.sh: interrupted (SIGTERM); all stopped\n")
        def ctrl_c(_):
            raise KeyboardInterrupt
        self.assertEqual(run_main([], parse, ctrl_c)[0], 130)

    def test_an_os_error_is_one_line_and_exit_1(self):
        def missing(_):
            raise FileNotFoundError(2, "No such file or directory", "build/x")
        code, _, err = run_main([], parse, missing)
        self.assertEqual(code, 1)
        self.assertEqual(err, "scripts/x.sh: [Errno 2] No such file or directory: 'build/x'\n")


class RunStep(unittest.TestCase):
    def test_a_step_that_succeeds_returns(self):
        self.assertIsNone(command.run_step("x", ["sh", "-c", "exit 0"], 10, quiet=True))

    def test_a_failing_step_exits_with_its_code(self):
        with self.assertRaises(command.Exit) as caught:
            command.run_step("x", ["sh", "-c", "exit 3"], 10)
        self.assertEqual((caught.exception.code, caught.exception.message), (3, ""))

    def test_a_step_that_cannot_start_or_runs_too_long_names_itself(self):
        with self.assertRaises(command.Exit) as caught:
            command.run_step("x", ["/nonexistent-llt-step", "a"], 10)
        self.assertEqual(caught.exception.code, 1)
        self.assertTrue(caught.exception.message.startswith("x: /nonexistent-llt-step a: "))
        with self.assertRaises(command.Exit) as caught:
            command.run_step("x", ["sleep", "30"], 0.2)
        self.assertEqual(caught.exception.message, "x: sleep 30: timed out after 0.2 s (killed)")


if __name__ == "__main__":
    unittest.main()
