#include "trading/trading_options.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/command_line.h"
#include "trading/session_state_file.h"
#include "trading/trading_app.h"

namespace llt::trading {
namespace {

TradingCommandLine parse(const std::vector<const char*>& args) {
  return test::parse_args(parse_trading_command_line, "trading", args);
}

std::string usage_error(const std::vector<const char*>& args) {
  return test::usage_error_of(parse_trading_command_line, "trading", args);
}

TEST(TradingOptions, defaults_are_the_seeds_on_loopback) {
  const TradingOptions o = parse({}).options;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 12345);
  EXPECT_EQ(o.strategy, "market-maker");
  EXPECT_EQ(o.tickers, (std::vector<exchange::TickerId>{1}));
  EXPECT_EQ(o.client_id, 1U);
  EXPECT_EQ(o.max_order_qty, 100U);
  EXPECT_EQ(o.max_position, 1000);
  EXPECT_EQ(o.max_loss, 100000);
  EXPECT_EQ(o.half_spread, 50);
  EXPECT_DOUBLE_EQ(o.signal_threshold, 0.3);
  EXPECT_EQ(o.market_data.multicast_addr, "239.255.0.1");
  EXPECT_EQ(o.market_data.multicast_port, 5000);
  EXPECT_EQ(o.market_data.snapshot_port, 5001);
  EXPECT_EQ(o.market_data.interface, "127.0.0.1");
  EXPECT_DOUBLE_EQ(o.md_loss_rate, 0.0);
  EXPECT_DOUBLE_EQ(o.duration_s, 0.0);
  EXPECT_EQ(o.process.threading, common::ThreadingMode::kShared);
  EXPECT_EQ(o.process.idle, common::IdleMode::kBackoff);
}

TEST(TradingOptions, accepts_the_seeds_market_maker_and_taker_command_lines) {
  const TradingOptions maker =
      parse({"--host", "127.0.0.1", "--port", "12345", "--strategy", "market-maker", "--ticker",
             "1", "--half-spread", "50", "--max-position", "1000", "--max-loss", "100000"})
          .options;
  EXPECT_EQ(maker.strategy, "market-maker");
  EXPECT_EQ(maker.half_spread, 50);
  const TradingOptions taker =
      parse({"--host", "127.0.0.1", "--port", "12345", "--strategy", "liquidity-taker", "--ticker",
             "1", "--signal-threshold", "0.3"})
          .options;
  EXPECT_EQ(taker.strategy, "liquidity-taker");
  EXPECT_DOUBLE_EQ(taker.signal_threshold, 0.3);
}

TEST(TradingOptions, requote_is_modify_or_cancel_new_and_reaches_the_strategy) {
  EXPECT_EQ(parse({}).options.requote, "modify");
  const TradingOptions o = parse({"--requote", "cancel-new"}).options;
  EXPECT_EQ(o.requote, "cancel-new");
  EXPECT_EQ(trade_engine_options(o).strategy.requote, Requote::kCancelNew);
  EXPECT_EQ(trade_engine_options(parse({}).options).strategy.requote, Requote::kModify);
  EXPECT_NE(usage_error({"--requote", "cancel"}).find("--requote"), std::string::npos);
}

TEST(TradingOptions, session_resumption_flags_reach_the_gateway) {
  const TradingOptions defaults = parse({}).options;
  EXPECT_FALSE(defaults.keep_orders);
  EXPECT_EQ(defaults.resend_capacity, 65536U);
  EXPECT_EQ(defaults.state_file, "");
  EXPECT_FALSE(order_gateway_options(defaults).keep_orders);
  const TradingOptions o =
      parse({"--keep-orders", "--resend-capacity", "128", "--state-file", "client.state"}).options;
  EXPECT_TRUE(o.keep_orders);
  EXPECT_EQ(o.resend_capacity, 128U);
  EXPECT_EQ(o.state_file, "client.state");
  const OrderGatewayOptions gateway = order_gateway_options(o);
  EXPECT_TRUE(gateway.keep_orders);
  EXPECT_EQ(gateway.resend_capacity, 128U);
  EXPECT_NE(usage_error({"--resend-capacity", "0"}).find("--resend-capacity"), std::string::npos);
}

TEST(TradingOptions, market_data_replay_flags_reach_the_consumer) {
  const TradingOptions defaults = parse({}).options;
  EXPECT_TRUE(defaults.md_replay);
  EXPECT_EQ(defaults.md_replay_port, 5002U) << "--multicast-port + 2";
  EXPECT_EQ(defaults.md_replay_timeout_ms, 250U);
  const MarketDataConsumerOptions on = consumer_options(defaults);
  EXPECT_TRUE(on.replay);
  EXPECT_EQ(on.replay_host, "127.0.0.1");
  EXPECT_EQ(on.replay_port, 5002U);
  const TradingOptions o = parse({"--md-replay", "off", "--md-replay-port", "7002",
                                  "--md-replay-timeout-ms", "40", "--host", "127.0.0.3"})
                               .options;
  EXPECT_FALSE(o.md_replay);
  const MarketDataConsumerOptions off = consumer_options(o);
  EXPECT_FALSE(off.replay);
  EXPECT_EQ(off.replay_host, "127.0.0.3");
  EXPECT_EQ(off.replay_port, 7002U);
  EXPECT_EQ(off.replay_timeout_ms, 40U);
}

TEST(TradingOptions, md_replay_port_is_decided_while_parsing_and_never_wraps) {
  EXPECT_EQ(parse({"--multicast-port", "6000"}).options.md_replay_port, 6002U);
  EXPECT_EQ(parse({"--multicast-port", "65533"}).options.md_replay_port, 65535U);
  EXPECT_EQ(
      parse({"--multicast-port", "65534", "--md-replay-port", "47330"}).options.md_replay_port,
      47330U);
  EXPECT_EQ(parse({"--multicast-port", "65535", "--snapshot-port", "47321", "--md-replay", "off"})
                .options.md_replay_port,
            0U)
      << "with replay off there is no replay port to decide";
  for (const std::vector<const char*>& args :
       {std::vector<const char*>{"--port", "47311", "--multicast-port", "65534"},
        std::vector<const char*>{"--multicast-port", "65535", "--snapshot-port", "47321"}}) {
    const std::string error = usage_error(args);
    EXPECT_EQ(error.rfind("--md-replay-port: ", 0), 0U) << error;
    EXPECT_NE(error.find("--multicast-port"), std::string::npos) << error;
    EXPECT_NE(error.find("65535"), std::string::npos) << error;
  }
}

TEST(TradingOptions, md_replay_port_on_the_order_entry_port_is_refused) {
  EXPECT_EQ(usage_error({"--port", "47311", "--md-replay-port", "47311"}),
            "--md-replay-port: '47311' is --port, the exchange's order entry port");
  const std::string error = usage_error({"--port", "5002"});  // the default replay port
  EXPECT_EQ(error.rfind("--md-replay-port: ", 0), 0U) << error;
  EXPECT_NE(error.find("--port"), std::string::npos) << error;
  EXPECT_EQ(parse({"--port", "5002", "--md-replay", "off"}).options.port, 5002);
  EXPECT_EQ(parse({"--port", "5002", "--md-replay-port", "5003"}).options.md_replay_port, 5003U);
  EXPECT_EQ(
      parse({"--port", "47311", "--md-replay-port", "47311", "--md-replay", "off"}).options.port,
      47311)
      << "with replay off the port is never used";
}

// A directory of its own under the temporary directory, removed at the end of the test.
class TradingStateFileOptionTest : public ::testing::Test {
 protected:
  TradingStateFileOptionTest()
      : dir_(::testing::TempDir() + "llt_trading_options_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directory(dir_);
  }
  ~TradingStateFileOptionTest() override {
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add);
    std::filesystem::remove_all(dir_);
  }

  [[nodiscard]] std::string state_file_error(const std::string& path) const {
    return usage_error({"--state-file", path.c_str()});
  }

  std::string dir_;
};

TEST_F(TradingStateFileOptionTest, a_new_file_in_a_writable_folder_and_a_state_file_are_accepted) {
  const std::string path = dir_ + "/client.state";
  EXPECT_EQ(parse({"--state-file", path.c_str()}).options.state_file, path);
  SessionState state;
  state.client_id = 1;
  write_session_state(path, state);
  EXPECT_EQ(parse({"--state-file", path.c_str()}).options.state_file, path);
}

TEST_F(TradingStateFileOptionTest, a_path_that_cannot_be_written_is_refused_at_start_up) {
  EXPECT_EQ(state_file_error(dir_ + "/missing/client.state"),
            "--state-file: '" + dir_ + "/missing/client.state' cannot be written: its folder '" +
                dir_ + "/missing' does not exist");
  std::ofstream(dir_ + "/plain") << "a file\n";
  EXPECT_EQ(state_file_error(dir_ + "/plain/client.state"),
            "--state-file: '" + dir_ + "/plain/client.state' cannot be written: '" + dir_ +
                "/plain' is not a folder");
  EXPECT_EQ(state_file_error(dir_), "--state-file: '" + dir_ + "' is a directory, not a file");
  if (::geteuid() != 0) {  // root writes anywhere: access() says yes
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::remove);
    const std::string error = state_file_error(dir_ + "/client.state");
    EXPECT_EQ(error.rfind("--state-file: '" + dir_ + "/client.state' cannot be written: folder", 0),
              0U)
        << error;
  }
}

TEST_F(TradingStateFileOptionTest, the_book_dump_is_checked_with_the_other_files) {
  EXPECT_EQ(usage_error({"--book-dump", dir_.c_str()}),
            "--book-dump: '" + dir_ + "' is a directory, not a file");
  const std::string file = dir_ + "/client.out";
  EXPECT_EQ(usage_error({"--summary-json", file.c_str(), "--book-dump", file.c_str()}),
            "--book-dump: '" + file + "' is also the file of --summary-json: give each its own");
  EXPECT_EQ(usage_error({"--book-dump", file.c_str(), "--state-file", file.c_str()}),
            "--state-file: '" + file + "' is also the file of --book-dump: give each its own");
  EXPECT_EQ(parse({"--book-dump", file.c_str()}).options.book_dump, file);
}

TEST(TradingOptions, an_order_qty_above_max_position_is_refused_unless_the_sizes_are_drawn) {
  for (const char* strategy : {"market-maker", "liquidity-taker"}) {
    EXPECT_EQ(usage_error({"--strategy", strategy, "--max-position", "5", "--order-qty", "10"}),
              std::string("--order-qty: '10' is above --max-position (5): the ") + strategy +
                  " would send nothing");
    EXPECT_EQ(parse({"--strategy", strategy, "--max-position", "10", "--order-qty", "10"})
                  .options.order_qty,
              10U);
  }
  // The random trader sizes its orders from 1 to --order-qty: the small ones pass risk.
  EXPECT_EQ(
      parse({"--strategy", "random", "--max-position", "5", "--order-qty", "10"}).options.order_qty,
      10U);
}

TEST(TradingOptions, short_flags_lists_and_snapshot_port_follow_the_multicast_port) {
  const TradingOptions o = parse({"-H",
                                  "127.0.0.2",
                                  "-p",
                                  "2000",
                                  "-s",
                                  "random",
                                  "-t",
                                  "2,3",
                                  "-c",
                                  "42",
                                  "-m",
                                  "239.255.9.9",
                                  "--multicast-port",
                                  "6000",
                                  "--md-loss-rate",
                                  "0.05",
                                  "--duration",
                                  "2.5",
                                  "--threading",
                                  "dedicated",
                                  "--idle",
                                  "spin"})
                               .options;
  EXPECT_EQ(o.host, "127.0.0.2");
  EXPECT_EQ(o.port, 2000);
  EXPECT_EQ(o.strategy, "random");
  EXPECT_EQ(o.tickers, (std::vector<exchange::TickerId>{2, 3}));
  EXPECT_EQ(o.client_id, 42U);
  EXPECT_EQ(o.market_data.snapshot_port, 6001);
  EXPECT_DOUBLE_EQ(o.md_loss_rate, 0.05);
  EXPECT_DOUBLE_EQ(o.duration_s, 2.5);
  EXPECT_EQ(o.process.threading, common::ThreadingMode::kDedicated);
  EXPECT_EQ(o.process.idle, common::IdleMode::kSpin);
}

TEST(TradingOptions, md_interface_is_the_interface_market_data_joins_on) {
  EXPECT_EQ(parse({}).options.market_data.interface, "127.0.0.1");
  EXPECT_EQ(parse({"--md-interface", "127.0.0.2"}).options.market_data.interface, "127.0.0.2");
  EXPECT_EQ(parse({"--md-interface", "127.0.0.2", "-i", "127.0.0.2"}).options.market_data.interface,
            "127.0.0.2");
  EXPECT_EQ(parse({"-i", "127.0.0.3"}).options.market_data.interface, "127.0.0.3");
}

TEST(TradingOptions, stats_csv_flags_reach_the_process_options) {
  const std::string path = ::testing::TempDir() + "c1.stats.csv";
  const TradingOptions o =
      parse({"--stats-csv", path.c_str(), "--stats-csv-interval-ms", "250"}).options;
  EXPECT_EQ(o.process.stats_csv, path);
  EXPECT_EQ(o.process.stats_csv_interval_ms, 250U);
  EXPECT_TRUE(parse({}).options.process.stats_csv.empty());
  EXPECT_EQ(parse({}).options.process.stats_csv_interval_ms, 1000U);
}

TEST(TradingOptions, version_returns_before_reading_the_other_flags) {
  const TradingCommandLine command_line = parse({"--version"});
  EXPECT_TRUE(command_line.version);
  EXPECT_FALSE(command_line.help);
  EXPECT_FALSE(parse({}).version);
}

TEST(TradingOptions, help_lists_every_flag_of_the_seed_and_the_issue) {
  const TradingCommandLine command_line = parse({"--help"});
  ASSERT_TRUE(command_line.help);
  for (const char* flag : {"--host",
                           "--port",
                           "--strategy",
                           "--ticker",
                           "--client-id",
                           "--max-order-qty",
                           "--max-position",
                           "--max-loss",
                           "--half-spread",
                           "--signal-threshold",
                           "--multicast-addr",
                           "--multicast-port",
                           "--snapshot-port",
                           "--interface",
                           "--duration",
                           "--threading",
                           "--idle",
                           "--cpus",
                           "--stats-interval",
                           "--log-file",
                           "--latency-csv",
                           "--md-loss-rate",
                           "--md-loss-seed",
                           "--md-replay",
                           "--md-replay-port",
                           "--md-replay-timeout-ms",
                           "--keep-orders",
                           "--state-file",
                           "--resend-capacity",
                           "--help"}) {
    EXPECT_NE(command_line.help_text.find(flag), std::string::npos) << flag;
  }
}

TEST(TradingOptions, bad_values_name_their_flag) {
  const std::vector<std::pair<std::vector<const char*>, const char*>> cases{
      {{"--port", "0"}, "--port"},
      {{"--port", "70000"}, "--port"},
      {{"--host", "no-such-host.invalid"}, "--host"},
      {{"--strategy", "momentum"}, "--strategy"},
      {{"--ticker", "0"}, "--ticker"},
      {{"--ticker", ""}, "--ticker"},
      {{"--client-id", "0"}, "--client-id"},
      {{"--max-order-qty", "0"}, "--max-order-qty"},
      {{"--max-order-qty", "5"}, "--order-qty"},
      {{"--max-position", "-1"}, "--max-position"},
      {{"--max-loss", "lots"}, "--max-loss"},
      {{"--half-spread", "0"}, "--half-spread"},
      {{"--signal-threshold", "1.5"}, "--signal-threshold"},
      {{"--ema-alpha", "0"}, "--ema-alpha"},
      {{"--md-loss-rate", "-0.1"}, "--md-loss-rate"},
      {{"--md-loss-rate", "2"}, "--md-loss-rate"},
      {{"--md-replay", "yes"}, "--md-replay"},
      {{"--md-replay-port", "70000"}, "--md-replay-port"},
      {{"--md-replay-timeout-ms", "0"}, "--md-replay-timeout-ms"},
      {{"--md-replay-timeout-ms", "60001"}, "--md-replay-timeout-ms"},
      {{"--interface", "0.0.0.0"}, "--interface"},
      {{"--md-interface", "0.0.0.0"}, "--md-interface"},
      {{"--md-interface", "127.0.0.2", "--interface", "127.0.0.3"}, "--md-interface"},
      {{"--stats-csv-interval-ms", "0"}, "--stats-csv-interval-ms"},
      {{"--multicast-addr", "10.0.0.1"}, "--multicast-addr"},
      {{"--snapshot-port", "5000"}, "--snapshot-port"},
      {{"--duration", "soon"}, "--duration"},
      {{"--threading", "many"}, "--threading"},
      {{"--idle", "sleep"}, "--idle"},
      {{"--cpus", "100000"}, "--cpus"},
      {{"--stats-interval", "x"}, "--stats-interval"},
      {{"--reconnect-max-ms", "1"}, "--reconnect-max-ms"},
      {{"--orders-per-second", "0"}, "--orders-per-second"},
      {{"--skew-factor", "2"}, "--skew-factor"},
      {{"--reference-price", "0"}, "--reference-price"},
  };
  for (const auto& [args, flag] : cases) {
    const std::string error = usage_error(args);
    EXPECT_EQ(error.rfind(std::string(flag) + ": ", 0), 0U)
        << "expected an error starting '" << flag << ": ', got '" << error << "'";
  }
  EXPECT_EQ(usage_error({"--no-such-flag"}), "--no-such-flag: is not a flag of this program");
  EXPECT_EQ(usage_error({"--port"}), "--port: needs a value");
}

// The command line replaces both of the file's sizes: the file's order-qty is not checked
// against the command line's max-order-qty (nor the defaults').
TEST(TradingOptions, a_consistent_file_overridden_by_a_consistent_command_line_is_taken) {
  const std::string path =
      ::testing::TempDir() + "trading-sizes-" + std::to_string(::getpid()) + ".conf";
  std::ofstream(path) << "order-qty = 200\nmax-order-qty = 500\nmax-position = 2000\n";
  EXPECT_EQ(usage_error({"--config", path.c_str()}), "");
  EXPECT_EQ(usage_error({"--order-qty", "20", "--max-order-qty", "50"}), "");
  EXPECT_EQ(usage_error({"--config", path.c_str(), "--order-qty", "20", "--max-order-qty", "50"}),
            "");
  std::remove(path.c_str());
}

TEST(TradingOptions, at_most_kMaxTickers_tickers) {
  const std::string most = test::id_list(exchange::kMaxTickers);
  EXPECT_EQ(parse({"--ticker", most.c_str()}).options.tickers.size(), exchange::kMaxTickers);
  const std::string too_many = test::id_list(exchange::kMaxTickers + 1);
  EXPECT_EQ(usage_error({"--ticker", too_many.c_str()}),
            "--ticker: 257 tickers, at most 256 (each has its own books)");
}

TEST(TradingOptions, strategy_choices_and_help_lines_come_from_the_registry) {
  const TradingCommandLine command_line = parse({"--help"});
  EXPECT_NE(command_line.help_text.find("market-maker, liquidity-taker or random"),
            std::string::npos);
  EXPECT_NE(command_line.help_text.find("Strategies (--strategy):"), std::string::npos);
  EXPECT_EQ(usage_error({"--strategy", "template"}),
            "--strategy: 'template' is not one of: market-maker, liquidity-taker, random");
}

TEST(TradingOptions, host_accepts_a_host_name_resolved_to_ipv4) {
  EXPECT_EQ(parse({"--host", "localhost"}).options.host, "127.0.0.1");
  EXPECT_EQ(parse({"--host", "127.0.0.1"}).options.host, "127.0.0.1");
  const std::string error = usage_error({"--host", "no-such-host.invalid"});
  EXPECT_EQ(error.rfind("--host: 'no-such-host.invalid' does not resolve to an IPv4 address", 0),
            0U)
      << error;
}

TEST(TradingOptions, config_file_sets_strategy_flags_and_switches) {
  const std::string path =
      ::testing::TempDir() + "trading-config-" + std::to_string(::getpid()) + ".conf";
  std::ofstream(path) << "strategy = random\nticker = 1,2\nkeep-orders = true\n"
                         "half-spread = 7 # cents\nlog-level = debug\n";
  const TradingOptions o = parse({"--config", path.c_str(), "--half-spread", "9"}).options;
  std::remove(path.c_str());
  EXPECT_EQ(o.strategy, "random");
  EXPECT_EQ(o.tickers, (std::vector<exchange::TickerId>{1, 2}));
  EXPECT_TRUE(o.keep_orders);
  EXPECT_EQ(o.half_spread, 9) << "the command line wins over the file";
  EXPECT_EQ(o.process.log_level, common::LogLevel::kDebug);
}

TEST(TradingOptions, md_interface_from_the_command_line_wins_over_interface_from_a_file) {
  const std::string path =
      ::testing::TempDir() + "trading-md-interface-" + std::to_string(::getpid()) + ".conf";
  std::ofstream(path) << "interface = 127.0.0.3\n";
  const TradingOptions o = parse({"--config", path.c_str(), "--md-interface", "127.0.0.2"}).options;
  const TradingOptions from_file = parse({"--config", path.c_str()}).options;
  std::remove(path.c_str());
  EXPECT_EQ(o.market_data.interface, "127.0.0.2");
  EXPECT_EQ(from_file.market_data.interface, "127.0.0.3");
}

}  // namespace
}  // namespace llt::trading
