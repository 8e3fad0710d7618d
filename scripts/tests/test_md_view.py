"""The market data viewer's book and recovery logic, its screen, its flags, and the recorder and
player (a recording written, read back, played on a loopback multicast group and recorded
again). Everything runs in this process on loopback, bounded in time."""

import os
import random
import tempfile
import threading
import time
import unittest

from llt import command, md_play, md_record, md_view, md_wire
from llt.md_wire import (ADD, CANCEL, CLEAR, HEARTBEAT, MODIFY, SNAP_END, SNAP_START, TRADE)


def rec(seq, typ, oid=0, ticker=1, side=0, price=0, qty=0, prio=0):
    return (seq, typ, oid, ticker, side, price, qty, prio)


def snapshot(last, orders):
    """The datagram of a whole snapshot that includes incremental records up to `last`."""
    records = [rec(0, SNAP_START, last), rec(1, CLEAR, ticker=1)]
    for oid, side, price, qty in orders:
        records.append(rec(len(records), ADD, oid, 1, side, price, qty, oid))
    records.append(rec(len(records), SNAP_END, last))
    return md_wire.encode(records)


def inc(*records):
    return md_wire.encode(list(records))


class MarketViewTest(unittest.TestCase):
    def test_from_the_first_record_the_view_is_live_and_builds_levels(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, ADD, 1, 1, 1, 100, 5, 1), rec(2, ADD, 2, 1, 1, 100, 7, 2),
                             rec(3, ADD, 3, 1, 1, 99, 1, 3), rec(4, ADD, 4, 1, -1, 102, 4, 4)))
        self.assertTrue(v.live)
        bids, asks = v.levels(1)
        self.assertEqual(bids, [(100, 12, 2), (99, 1, 1)])
        self.assertEqual(asks, [(102, 4, 1)])
        v.on_incremental(inc(rec(5, TRADE, 9, 1, -1, 100, 5), rec(6, CANCEL, 1, 1, 1, 100, 0, 1),
                             rec(7, MODIFY, 2, 1, 1, 100, 3, 2)))
        self.assertEqual(v.levels(1)[0], [(100, 3, 1), (99, 1, 1)])
        self.assertEqual(v.last_trade[1], (-1, 100, 5))
        self.assertEqual(len(v.trades), 1)
        self.assertEqual(v.counts["gaps"], 0)
        self.assertEqual(v.next_seq, 8)

    def test_a_late_start_syncs_from_a_snapshot_and_the_records_held_after_it(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(11, ADD, 5, 1, -1, 105, 2, 5)))
        v.on_incremental(inc(rec(12, CANCEL, 3, 1, 1, 99, 1, 3)))
        self.assertFalse(v.live)
        self.assertEqual(v.levels(1), ([], []))
        v.on_snapshot(snapshot(10, [(3, 1, 99, 1), (4, -1, 101, 8)]))
        self.assertTrue(v.live)
        self.assertEqual(v.counts["recoveries"], 1)
        self.assertEqual(v.levels(1), ([], [(101, 8, 1), (105, 2, 1)]))
        self.assertEqual(v.next_seq, 13)

    def test_a_snapshot_older_than_the_held_records_is_not_used(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(20, ADD, 5, 1, -1, 105, 2, 5)))
        v.on_snapshot(snapshot(10, [(3, 1, 99, 1)]))  # 11..19 missing
        self.assertFalse(v.live)
        v.on_snapshot(snapshot(19, [(3, 1, 99, 1)]))
        self.assertTrue(v.live)
        self.assertEqual(v.levels(1), ([(99, 1, 1)], [(105, 2, 1)]))

    def test_a_gap_stops_the_view_until_a_snapshot_covers_it(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, ADD, 1, 1, 1, 100, 5, 1)))
        v.on_incremental(inc(rec(3, ADD, 3, 1, 1, 98, 5, 3)))  # 2 lost
        self.assertFalse(v.live)
        self.assertEqual(v.counts["gaps"], 1)
        v.on_snapshot(snapshot(2, [(1, 1, 100, 5), (2, -1, 103, 1)]))
        self.assertTrue(v.live)
        self.assertEqual(v.levels(1), ([(100, 5, 1), (98, 5, 1)], [(103, 1, 1)]))

    def test_a_heartbeat_ahead_of_the_view_is_a_lost_tail(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, ADD, 1, 1, 1, 100, 5, 1)))
        v.on_incremental(inc(rec(2, HEARTBEAT)))
        self.assertTrue(v.live)
        v.on_incremental(inc(rec(4, HEARTBEAT)))  # 2 and 3 were sent and lost
        self.assertFalse(v.live)
        self.assertEqual(v.counts["gaps"], 1)
        v.on_snapshot(snapshot(3, []))
        self.assertTrue(v.live)
        self.assertEqual(v.levels(1), ([], []))

    def test_a_snapshot_with_a_lost_record_is_not_used(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(5, ADD, 5, 1, -1, 105, 2, 5)))
        whole = snapshot(4, [(3, 1, 99, 1)])
        v.on_snapshot(whole[:md_wire.REC.size * 2])  # START, CLEAR
        v.on_snapshot(whole[md_wire.REC.size * 3:])  # the ADD lost, then END
        self.assertFalse(v.live)
        self.assertEqual(v.counts["snapshots"], 0)

    def test_seq_1_again_is_an_exchange_restart(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, ADD, 1, 1, 1, 100, 5, 1), rec(2, ADD, 2, 1, 1, 101, 5, 2)))
        v.on_incremental(inc(rec(1, ADD, 1, 1, -1, 200, 1, 1)))
        self.assertTrue(v.live)
        self.assertEqual(v.counts["restarts"], 1)
        self.assertEqual(v.levels(1), ([], [(200, 1, 1)]))

    def test_bad_datagrams_are_counted_and_change_nothing(self):
        v = md_view.MarketView()
        v.on_incremental(b"\x00" * 41)
        v.on_incremental(inc(rec(1, SNAP_START)))  # a snapshot type on the incremental stream
        v.on_snapshot(inc(rec(0, TRADE)))
        v.on_incremental(b"")
        self.assertEqual(v.counts["bad_datagrams"], 4)
        self.assertEqual(v.counts["records"], 0)
        self.assertFalse(v.live)

    def test_records_that_do_not_fit_the_book_are_counted(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, CANCEL, 77, 1, 1, 100, 0, 1)))
        self.assertEqual(v.counts["errors"], 1)
        self.assertIn("CANCEL of unknown order", v.first_error)


class RenderTest(unittest.TestCase):
    def test_the_ladder_shows_asks_above_bids_best_nearest_the_middle(self):
        v = md_view.MarketView()
        v.on_incremental(inc(rec(1, ADD, 1, 1, 1, 100, 5, 1), rec(2, ADD, 2, 1, 1, 99, 6, 2),
                             rec(3, ADD, 3, 1, -1, 102, 7, 3), rec(4, ADD, 4, 1, -1, 104, 8, 4),
                             rec(5, TRADE, 9, 1, 1, 102, 2)))
        opts = md_view.Options(levels=5)
        lines = md_view.render(v, opts, width=200)
        text = "\n".join(lines)
        self.assertIn("LIVE", lines[0])
        self.assertIn("ticker 1   bid 100 x 5   ask 102 x 7   last 102 x 2 (buy)", text)
        order = [next(i for i, line in enumerate(lines) if line.split()[-3:] == want)
                 for want in (["104", "8", "1"], ["102", "7", "1"], ["1", "5", "100"],
                              ["1", "6", "99"])]
        self.assertEqual(order, sorted(order))
        self.assertIn("buy  2 @ 102", text)

    def test_levels_are_limited_and_lines_cut_to_the_width(self):
        v = md_view.MarketView()
        v.on_incremental(inc(*[rec(i, ADD, i, 1, 1, 100 - i, 1, i) for i in range(1, 11)]))
        lines = md_view.render(v, md_view.Options(levels=3), width=40)
        self.assertTrue(all(len(line) <= 40 for line in lines))
        self.assertEqual(sum(1 for line in lines if line.strip().startswith("1          1")), 3)

    def test_before_any_data(self):
        text = "\n".join(md_view.render(md_view.MarketView(), md_view.Options()))
        self.assertIn("SYNCING", text)
        self.assertIn("no market data yet", text)


class FlagsTest(unittest.TestCase):
    def test_defaults_and_values(self):
        o = md_view.parse(["--multicast-addr", "239.1.2.3", "--multicast-port", "7000",
                           "--levels", "3", "--tickers", "2,1", "--plain"])
        self.assertEqual((o.group, o.port, o.snapshot, o.levels, o.tickers, o.plain),
                         ("239.1.2.3", 7000, 7001, 3, (2, 1), True))
        self.assertEqual(md_view.parse(["--snapshot-port", "9"]).snapshot, 9)

    def test_bad_values_name_the_flag(self):
        for argv, flag in ((["--levels", "0"], "--levels"), (["--levels", "x"], "--levels"),
                           (["--multicast-addr", "10.1.1.1"], "--multicast-addr"),
                           (["--interface", "0.0.0.0"], "--interface"),
                           (["--interface", "239.1.1.1"], "--interface"),
                           (["--tickers", "1,a"], "--tickers"), (["--refresh"], "--refresh"),
                           (["--bogus", "1"], "--bogus"), (["--run", "/nonexistent"], "--run")):
            with self.subTest(argv=argv), self.assertRaises(command.UsageError) as e:
                md_view.parse(argv)
            self.assertIn(flag, str(e.exception))
        with self.assertRaises(command.UsageError):
            md_record.parse([])
        with self.assertRaises(command.UsageError):
            md_play.parse([])
        with self.assertRaises(command.UsageError):
            md_play.parse(["a", "b"])
        with self.assertRaises(command.UsageError):
            md_play.parse(["a", "--ttl", "256"])

    def test_a_run_folder_gives_the_channel(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "run.env"), "w", encoding="utf-8") as f:
                f.write("port=1234\nmulticast_addr=239.255.201.9\nmulticast_port=12000\n")
            o = md_record.parse(["--run", d, "--out", "x"])
            self.assertEqual((o.group, o.port, o.snapshot), ("239.255.201.9", 12000, 12001))

    def test_a_run_folder_values_are_checked_as_the_flags_are(self):
        with tempfile.TemporaryDirectory() as d:
            for env, message in (("multicast_addr=239.255.201.9\nmulticast_port=99999\n",
                                  f"--run: {d}/run.env: multicast_port: 99999 is out of range"),
                                 ("multicast_addr=127.0.0.1\nmulticast_port=12000\n",
                                  f"--run: {d}/run.env: multicast_addr")):
                with open(os.path.join(d, "run.env"), "w", encoding="utf-8") as f:
                    f.write(env)
                for parse in (md_view.parse, md_play.parse):
                    with self.subTest(env=env), self.assertRaises(command.UsageError) as e:
                        parse(["--run", d, "rec"] if parse is md_play.parse else ["--run", d])
                    self.assertTrue(str(e.exception).startswith(message), str(e.exception))

    def test_unknown_flags_tickers_and_a_shared_port_are_refused(self):
        for parse, argv, message in (
                (md_record.parse, ["--out", "x.rec", "--bogus"], "unknown flag '--bogus'"),
                (md_view.parse, ["--plain", "--bogus"], "unknown flag '--bogus'"),
                (md_view.parse, ["--levels"], "--levels: expects a value"),
                (md_view.parse, ["--tickers", "-1,0"], "--tickers: '-1,0' is not a"),
                (md_view.parse, ["--multicast-port", "7000", "--snapshot-port", "7000"],
                 "--snapshot-port: 7000 is the incremental stream's port"),
                (md_play.parse, ["rec", "--snapshot-port", "5000"],
                 "--snapshot-port: 5000 is the incremental stream's port")):
            with self.subTest(argv=argv), self.assertRaises(command.UsageError) as e:
                parse(argv)
            self.assertTrue(str(e.exception).startswith(message), str(e.exception))
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(command.UsageError) as e:
                md_record.parse(["--out", d])
            self.assertEqual(str(e.exception), f"--out: '{d}' is a directory")


class RecordingTest(unittest.TestCase):
    def test_entries_read_back_and_bad_files_are_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r")
            with open(path, "wb") as f:
                f.write(md_record.MAGIC)
                md_record.write_entry(f, 5, md_record.INCREMENTAL, b"abc")
                md_record.write_entry(f, 9, md_record.SNAPSHOT, b"")
            self.assertEqual(list(md_record.read_entries(path)),
                             [(5, 0, b"abc"), (9, 1, b"")])
            with open(path, "ab") as f:
                f.write(md_record.ENTRY.pack(10, 0, 100) + b"short")
            with self.assertRaises(md_record.RecordingError):
                list(md_record.read_entries(path))
            with open(path, "wb") as f:
                f.write(b"not a recording")
            with self.assertRaises(md_record.RecordingError):
                list(md_record.read_entries(path))

    def test_a_played_recording_is_received_as_recorded_at_its_pace(self):
        rng = random.Random()
        group = f"239.255.{100 + rng.randrange(100)}.{1 + rng.randrange(254)}"
        port = 20000 + 2 * rng.randrange(6000)
        datagrams = [(md_record.INCREMENTAL, inc(rec(1, ADD, 1, 1, 1, 100, 5, 1))),
                     (md_record.SNAPSHOT, snapshot(1, [(1, 1, 100, 5)])),
                     (md_record.INCREMENTAL, inc(rec(2, TRADE, 2, 1, -1, 100, 5),
                                                 rec(3, CANCEL, 1, 1, 1, 100, 0, 1)))]
        with tempfile.TemporaryDirectory() as d:
            source, copy = os.path.join(d, "source"), os.path.join(d, "copy")
            with open(source, "wb") as f:
                f.write(md_record.MAGIC)
                for i, (stream, data) in enumerate(datagrams):
                    md_record.write_entry(f, 1_000_000_000 + i * 150_000_000, stream, data)
            stop = threading.Event()
            opts = md_record.Options(out=copy, group=group, port=port, duration=20)
            recorder = threading.Thread(target=md_record.record, args=(opts, stop.is_set))
            recorder.start()
            try:
                # The recorder opens its file once it has joined both groups.
                joined_by = time.monotonic() + 10
                while not os.path.exists(copy) and time.monotonic() < joined_by:
                    time.sleep(0.01)
                self.assertTrue(os.path.exists(copy), "the recorder did not start")
                start = time.monotonic()
                counts = md_play.play(md_play.Options(file=source, group=group, port=port),
                                      lambda: False)
                elapsed = time.monotonic() - start
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    entries = list(md_record.read_entries(copy)) if os.path.getsize(copy) else []
                    if len(entries) >= 3:
                        break
                    time.sleep(0.05)
            finally:
                stop.set()
                recorder.join(timeout=10)
            self.assertFalse(recorder.is_alive())
            self.assertEqual(counts, dict(datagrams=3, incremental=2, snapshot=1))
            self.assertGreaterEqual(elapsed, 0.29)  # two gaps of 150 ms at speed 1
            got = [(stream, data) for _, stream, data in md_record.read_entries(copy)]
            self.assertEqual(got, datagrams)


if __name__ == "__main__":
    unittest.main()
