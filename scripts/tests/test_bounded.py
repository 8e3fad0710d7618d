"""llt/bounded.py: exit codes as a shell shows them, and a child past its bound killed with
every process of its group. The children here are short shell sleepers."""

import os
import signal
import subprocess
import tempfile
import time
import unittest

from llt import bounded

from tests.processes_alive import alive


class BoundedTest(unittest.TestCase):
    def test_exit_codes(self):
        self.assertEqual(bounded.run(["sh", "-c", "exit 0"], 10), 0)
        self.assertEqual(bounded.run(["sh", "-c", "exit 3"], 10), 3)
        self.assertEqual(bounded.run(["sh", "-c", "kill -KILL $$"], 10), 128 + signal.SIGKILL)
        self.assertEqual(bounded.shell_status(-signal.SIGSEGV), 139)

    def test_past_the_bound_the_whole_group_is_killed(self):
        with tempfile.TemporaryDirectory() as tmp:
            child = os.path.join(tmp, "child")
            start = time.monotonic()
            with self.assertRaises(bounded.TimedOut) as caught:
                bounded.run(["sh", "-c", f'sleep 60 & echo $! > {child}; wait'], 1,
                            stdout=subprocess.DEVNULL)
            self.assertLess(time.monotonic() - start, 10)
            self.assertEqual(caught.exception.seconds, 1)
            with open(child) as f:
                pid = int(f.read())
            deadline = time.monotonic() + 5
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(alive(pid))

    def test_the_child_has_a_session_of_its_own(self):
        proc = bounded.popen(["sleep", "30"])
        try:
            self.assertEqual(os.getsid(proc.pid), proc.pid)
            self.assertNotEqual(os.getpgid(proc.pid), os.getpgid(0))
        finally:
            bounded.kill(proc)
        self.assertEqual(proc.returncode, -signal.SIGKILL)


if __name__ == "__main__":
    unittest.main()
