"""The processes of a run: names, client ids, flags, and the per-run channel."""

import os
import random
import unittest

from llt import processes


class ProcessesTest(unittest.TestCase):
    def test_four_clients_with_distinct_names_and_ids(self):
        clients = processes.clients()
        self.assertEqual([c.name for c in clients], ["mm-1", "mm-2", "taker", "random"])
        self.assertEqual([c.client_id for c in clients], [1, 2, 3, 4])
        self.assertEqual([c.tickers for c in clients], ["1", "2", "1,2", "1,2"])

    def test_each_client_reads_its_config_file_which_holds_its_id_and_tickers(self):
        for client in processes.clients():
            args = client.args()
            self.assertEqual(args[:2], ["--config", processes.config_path(client.config)])
            self.assertTrue(os.path.isabs(args[1]), args[1])
            config = processes.read_config(client.config)
            self.assertEqual(config["ticker"], client.tickers, client.name)
            self.assertEqual(config["client-id"], str(client.client_id), client.name)
            self.assertEqual(config["threading"], "shared", client.name)
            # What the file says is not repeated on the command line.
            self.assertNotIn("--ticker", args)
            self.assertNotIn("--client-id", args)
            self.assertNotIn("--strategy", args)

    def test_config_files_hold_the_strategies_and_their_parameters(self):
        strategies = {c.name: processes.read_config(c.config)["strategy"]
                      for c in processes.clients()}
        self.assertEqual(strategies, {"mm-1": "market-maker", "mm-2": "market-maker",
                                      "taker": "liquidity-taker", "random": "random"})
        for name in ("market-maker-1", "market-maker-2"):
            maker = processes.read_config(name)
            self.assertEqual((maker["half-spread"], maker["max-position"], maker["max-loss"]),
                             ("50", "1000", "100000"))
        self.assertEqual(processes.read_config("liquidity-taker")["signal-threshold"], "0.3")
        self.assertEqual(processes.read_config("random-trader")["orders-per-second"],
                         str(processes.DEFAULT_RANDOM_RATE))
        exchange = processes.read_config("exchange")
        self.assertEqual(exchange["tickers"], processes.TICKERS)
        self.assertEqual(exchange["threading"], "shared")

    def test_random_trader_rate_and_loss_limit(self):
        demo = {c.name: c for c in processes.clients()}["random"].args()
        # The demo's rate is the file's.
        self.assertNotIn("--orders-per-second", demo)
        self.assertNotIn("--max-loss", demo)
        soak = {c.name: c for c in processes.clients(2000, 10**12)}["random"].args()
        self.assertEqual(soak[soak.index("--orders-per-second") + 1], "2000")
        self.assertEqual(soak[soak.index("--max-loss") + 1], str(10**12))

    def test_every_command_names_the_run_folder_and_writes_its_summary(self):
        channel = processes.Channel("239.255.201.7", 12000)
        run_dir = "/runs/r1"
        commands = [processes.exchange_command("ex", run_dir, channel, 5)]
        commands += [processes.client_command("tr", run_dir, c, 4242, channel, 5, duration=10)
                     for c in processes.clients()]
        for cmd in commands:
            joined = " ".join(cmd)
            # The stop's pid check relies on this: every process's command line names DIR/.
            self.assertIn(f"{run_dir}/", joined)
            self.assertEqual(cmd[cmd.index("--summary-json") + 1].rsplit("/", 1)[0], run_dir)
            self.assertEqual(cmd[cmd.index("--multicast-addr") + 1], "239.255.201.7")
            self.assertEqual(cmd[cmd.index("--multicast-port") + 1], "12000")
            self.assertEqual(cmd.count("--config"), 1)
            self.assertTrue(cmd[cmd.index("--config") + 1].endswith(".conf"))
            # Only per-run flags besides the file: no strategy or ticker on the command line.
            for flag in ("--threading", "--tickers", "--ticker", "--strategy", "--client-id"):
                self.assertNotIn(flag, cmd)
            # No --idle unless the run names one: the executables' default.
            self.assertNotIn("--idle", cmd)
        # Every process writes its figures over time beside its latency CSV.
        names = ["exchange"] + [c.name for c in processes.clients()]
        for name, cmd in zip(names, commands):
            self.assertEqual(cmd.count("--stats-csv"), 1)
            self.assertEqual(cmd[cmd.index("--stats-csv") + 1], f"{run_dir}/{name}.stats.csv")
            self.assertEqual(cmd[cmd.index("--latency-csv") + 1], f"{run_dir}/{name}.csv")
            self.assertNotIn("--stats-csv-interval-ms", cmd)  # the executables' 1000
        self.assertEqual(commands[0][commands[0].index("--port") + 1], "0")
        self.assertEqual(commands[0][commands[0].index("--config") + 1],
                         processes.config_path("exchange"))
        for cmd in commands[1:]:
            self.assertEqual(cmd[cmd.index("--port") + 1], "4242")
            self.assertEqual(cmd[cmd.index("--duration") + 1], "10")

    def test_an_idle_mode_reaches_every_process(self):
        channel = processes.Channel("239.255.201.7", 12000)
        for mode in processes.IDLE_MODES:
            commands = [processes.exchange_command("ex", "/d", channel, 5, idle=mode)]
            commands += [processes.client_command("tr", "/d", c, 1, channel, 5, idle=mode)
                         for c in processes.clients()]
            for cmd in commands:
                self.assertEqual(cmd.count("--idle"), 1)
                self.assertEqual(cmd[cmd.index("--idle") + 1], mode)
        self.assertEqual(processes.IDLE_MODES, ("spin", "backoff", "block"))

    def test_soak_clients_dump_their_books_without_latency_csv(self):
        channel = processes.Channel("239.255.201.7", 12000)
        client = processes.clients()[0]
        cmd = processes.client_command("tr", "/d", client, 1, channel, 5, latency_csv=False,
                                       book_dump=True)
        self.assertEqual(cmd[cmd.index("--book-dump") + 1], "/d/mm-1.book")
        self.assertNotIn("--latency-csv", cmd)
        self.assertNotIn("--duration", cmd)
        self.assertEqual(cmd[cmd.index("--stats-csv") + 1], "/d/mm-1.stats.csv")

    def test_stats_csv_can_be_left_out(self):
        channel = processes.Channel("239.255.201.7", 12000)
        client = processes.clients()[0]
        self.assertNotIn("--stats-csv", processes.exchange_command("ex", "/d", channel, 5,
                                                                   stats_csv=False))
        self.assertNotIn("--stats-csv", processes.client_command("tr", "/d", client, 1, channel,
                                                                 5, stats_csv=False))

    def test_random_channel_is_a_multicast_group_and_an_even_port_below_the_tests(self):
        rng = random.Random(7)
        for _ in range(200):
            channel = processes.random_channel(rng, check_free=False)
            octets = [int(o) for o in channel.group.split(".")]
            self.assertEqual(octets[:2], [239, 255])
            self.assertTrue(200 <= octets[2] < 250)
            self.assertTrue(1 <= octets[3] <= 254)
            self.assertEqual(channel.port % 2, 0)
            self.assertTrue(10000 <= channel.port < 20000)
            self.assertEqual(channel.snapshot_port, channel.port + 1)


if __name__ == "__main__":
    unittest.main()
