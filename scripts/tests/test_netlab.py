"""scripts/netlab.sh (llt/netlab.py): the command line and the lab's names and addresses;
nothing here creates a namespace (tests/netns_test.py does, as root)."""

import unittest

from llt import command, netlab


class NetlabParseTest(unittest.TestCase):
    def test_actions(self):
        self.assertEqual(netlab.parse(["up"]).action, "up")
        o = netlab.parse(["link", "c2", "down", "--name", "lab-2"])
        self.assertEqual((o.action, o.host, o.state, o.name), ("link", "c2", "down", "lab-2"))
        o = netlab.parse(["exec", "ex", "--", "ip", "addr"])
        self.assertEqual((o.action, o.host, o.command), ("exec", "ex", ["ip", "addr"]))
        self.assertTrue(netlab.parse(["--help"]).help)

    def test_usage_errors_name_what_is_wrong(self):
        for argv, words in ((["sideways"], "sideways"), ([], "action"),
                            (["up", "--name", "a_b"], "--name"),
                            (["up", "--name", "toolongname"], "--name"),
                            (["link", "c3", "down"], "c3"), (["link", "c1", "sideways"], "link"),
                            (["exec", "ex"], "exec"), (["up", "extra"], "up"),
                            (["up", "--bogus"], "--bogus"), (["up", "--name"], "--name")):
            with self.subTest(argv=argv), self.assertRaises(command.UsageError) as e:
                netlab.parse(argv)
            self.assertIn(words, str(e.exception))

    def test_addresses_are_in_the_documentation_range_and_names_fit_interfaces(self):
        for host in netlab.HOSTS:
            self.assertTrue(netlab.address(host).startswith("198.51.100."))
            self.assertLessEqual(len(netlab.bridge_port(host)), 15)
        self.assertEqual(len(set(map(netlab.address, netlab.HOSTS))), len(netlab.HOSTS))
        self.assertEqual(netlab.namespace("llt", "c1"), "llt-c1")


if __name__ == "__main__":
    unittest.main()
