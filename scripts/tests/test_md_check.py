"""The soak's market data checker: books rebuilt from the incremental stream, snapshots and
client book dumps compared with them."""

import os
import tempfile
import unittest

from llt import md_check as md
from llt import md_wire


def rec(seq, typ, oid=0, ticker=1, side=1, price=0, qty=0, prio=0):
    return (seq, typ, oid, ticker, side, price, qty, prio)


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.c = md.Checker()
        self.c.on_incremental([rec(1, md_wire.ADD, 7, 1, 1, 100, 5, 1),
                               rec(2, md_wire.ADD, 8, 2, -1, 200, 3, 2),
                               rec(3, md_wire.MODIFY, 7, 1, 1, 100, 4, 1)])

    def snapshot(self, last, orders):
        recs = [rec(0, md_wire.SNAP_START, last)]
        for i, o in enumerate(orders, start=1):
            recs.append(rec(i, md_wire.ADD, *o))
        recs.append(rec(len(recs), md_wire.SNAP_END, last))
        return recs

    def test_applies_in_order_and_holds_what_is_ahead(self):
        self.assertEqual(self.c.next_seq, 4)
        self.c.on_incremental([rec(5, md_wire.CANCEL, 8, 2)])
        self.assertEqual(self.c.next_seq, 4)
        self.c.on_incremental([rec(4, md_wire.HEARTBEAT), rec(4, md_wire.ADD, 9, 1, -1, 110, 1, 3)])
        self.assertEqual(self.c.next_seq, 6)
        self.assertEqual(set(self.c.books), {(1, 7), (1, 9)})
        self.assertEqual(self.c.stats["errors"], 0)

    def test_equal_and_different_snapshots(self):
        self.c.on_snapshot_datagram(self.snapshot(2, [(7, 1, 1, 100, 5, 1), (8, 2, -1, 200, 3, 2)]))
        self.assertEqual(self.c.stats["snapshots_equal"], 1)
        self.c.on_snapshot_datagram(self.snapshot(3, [(7, 1, 1, 100, 5, 1)]))
        self.assertEqual(self.c.stats["snapshots_differ"], 1)
        self.assertIn("snapshot at seq 3: 1 missing, 0 extra, 1 differ", self.c.first_error)

    def test_errors_on_unknown_orders(self):
        self.c.on_incremental([rec(4, md_wire.CANCEL, 99, 1)])
        self.assertEqual(self.c.stats["errors"], 1)

    def test_book_dumps(self):
        with tempfile.TemporaryDirectory() as d:
            good = os.path.join(d, "good.book")
            with open(good, "w", encoding="utf-8") as f:
                f.write("seq 3\n1 BUY 100 4 1 7\n")
            bad = os.path.join(d, "bad.book")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("seq 3\n1 BUY 100 5 1 7\n")
            text = self.c.report([f"a={good}=1", f"b={bad}=1", f"c={d}/none=1"])
        lines = text.splitlines()
        counts = md.parse_counts(lines[0])
        self.assertEqual((counts["dumps"], counts["dumps_equal"]), (3, 1))
        self.assertIn("dump a: equal to the exchange's books at seq 3 (1 orders)", lines)
        self.assertIn("dump b at seq 3: 0 missing, 0 extra, 1 differ", lines)
        self.assertTrue(lines[3].startswith("dump c: unreadable"))


if __name__ == "__main__":
    unittest.main()
