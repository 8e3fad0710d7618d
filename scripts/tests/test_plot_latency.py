"""scripts/plot_latency.py's command line: an output matplotlib would refuse or rename, and a
negative --min-count, are usage errors (exit 2) before any file is read."""

import contextlib
import io
import tempfile
import unittest

import plot_latency


def usage_error(argv):
    """The message of the usage error for `argv` (argparse exits 2), after "error: "."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), unittest.TestCase().assertRaises(SystemExit) as caught:
        plot_latency.parse_args(argv)
    assert caught.exception.code == 2, caught.exception.code
    return err.getvalue().strip().splitlines()[-1].split("error: ", 1)[1]


class PlotLatencyArgsTest(unittest.TestCase):
    def test_the_output_must_be_a_png_file(self):
        self.assertEqual(usage_error(["a.csv", "-o", "x.xyz"]),
                         "argument -o/--output: 'x.xyz' does not end in .png")
        self.assertIn("does not end in .png", usage_error(["a.csv", "-o", "noext"]))
        with tempfile.TemporaryDirectory(suffix=".png") as folder:
            self.assertEqual(usage_error(["a.csv", "-o", folder]),
                             f"argument -o/--output: '{folder}' is a directory")
        self.assertEqual(plot_latency.parse_args(["a.csv", "-o", "out.PNG"]).output, "out.PNG")

    def test_min_count_is_not_negative(self):
        self.assertEqual(usage_error(["a.csv", "--min-count", "-5"]),
                         "argument --min-count: -5 is below 0")
        self.assertEqual(plot_latency.parse_args(["a.csv", "--min-count", "0"]).min_count, 0)


if __name__ == "__main__":
    unittest.main()
