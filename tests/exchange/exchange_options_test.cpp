#include "exchange/exchange_options.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/command_line.h"

namespace llt::exchange {
namespace {

ExchangeCommandLine parse(const std::vector<const char*>& args) {
  return test::parse_args(parse_exchange_command_line, "exchange", args);
}

std::string usage_error(const std::vector<const char*>& args) {
  return test::usage_error_of(parse_exchange_command_line, "exchange", args);
}

TEST(ExchangeOptions, defaults_are_the_seeds_on_loopback) {
  const ExchangeOptions o = parse({}).options;
  EXPECT_EQ(o.port, 12345);
  EXPECT_EQ(o.market_data.multicast_addr, "239.255.0.1");
  EXPECT_EQ(o.market_data.multicast_port, 5000);
  EXPECT_EQ(o.market_data.snapshot_port, 5001);
  EXPECT_EQ(o.tickers, (std::vector<TickerId>{1, 2, 3}));
  EXPECT_EQ(o.market_data.interface, "127.0.0.1");
  EXPECT_EQ(o.listen_addr, "127.0.0.1");
  EXPECT_EQ(o.ttl, 1);
  EXPECT_EQ(o.process.threading, common::ThreadingMode::kShared);
  EXPECT_EQ(o.process.idle, common::IdleMode::kBackoff);
  EXPECT_GE(o.max_orders, 262144U);
}

TEST(ExchangeOptions, accepts_the_seeds_command_line) {
  const ExchangeOptions o = parse({"--port", "12345", "--multicast-addr", "239.255.0.1",
                                   "--multicast-port", "5000", "--tickers", "1,2,3"})
                                .options;
  EXPECT_EQ(o.port, 12345);
  EXPECT_EQ(o.tickers.size(), 3U);
}

TEST(ExchangeOptions, short_flags_and_snapshot_port_follow_the_multicast_port) {
  const ExchangeOptions o =
      parse({"-p", "2000", "-m", "239.255.9.9", "--multicast-port", "6000", "-t", "7", "-i",
             "127.0.0.1", "--threading", "dedicated", "--idle", "spin"})
          .options;
  EXPECT_EQ(o.port, 2000);
  EXPECT_EQ(o.market_data.multicast_addr, "239.255.9.9");
  EXPECT_EQ(o.market_data.snapshot_port, 6001);
  EXPECT_EQ(o.tickers, (std::vector<TickerId>{7}));
  EXPECT_EQ(o.process.threading, common::ThreadingMode::kDedicated);
  EXPECT_EQ(o.process.idle, common::IdleMode::kSpin);
}

TEST(ExchangeOptions, version_returns_before_reading_the_other_flags) {
  const ExchangeCommandLine cl = parse({"--version"});
  EXPECT_TRUE(cl.version);
  EXPECT_FALSE(cl.help);
  EXPECT_FALSE(parse({}).version);
}

TEST(ExchangeOptions, help_returns_the_text_with_every_flag) {
  const ExchangeCommandLine cl = parse({"--help"});
  EXPECT_TRUE(cl.help);
  for (const char* flag :
       {"--port", "--multicast-addr", "--multicast-port", "--tickers", "--interface", "--ttl",
        "--snapshot-port", "--snapshot-interval-ms", "--md-heartbeat-ms", "--heartbeat-timeout-ms",
        "--max-orders", "--max-orders-per-second", "--threading", "--idle", "--cpus",
        "--stats-interval", "--log-file", "--latency-csv"}) {
    EXPECT_NE(cl.help_text.find(flag), std::string::npos) << flag;
  }
  for (const char* flag : {"--md-replay-port", "--md-replay-depth"}) {
    EXPECT_NE(cl.help_text.find(flag), std::string::npos) << flag;
  }
}

TEST(ExchangeOptions, bad_values_name_the_flag) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases{
      {{"--port", "70000"}, "--port"},
      {{"--port", "-1"}, "--port"},
      {{"--listen-addr", "localhost"}, "--listen-addr"},
      {{"--multicast-port", "0"}, "--multicast-port"},
      {{"--tickers", ""}, "--tickers"},
      {{"--tickers", "a,b"}, "--tickers"},
      {{"--threading", "both"}, "--threading"},
      {{"--idle", "nap"}, "--idle"},
      {{"--multicast-addr", "example"}, "--multicast-addr"},
      {{"--multicast-addr", "10.1.2.3"}, "--multicast-addr"},
      {{"--interface", "0.0.0.0"}, "--interface"},
      {{"--ttl", "300"}, "--ttl"},
      {{"--snapshot-port", "5000"}, "--snapshot-port"},
      {{"--max-orders", "0"}, "--max-orders"},
      {{"--max-sessions", "0"}, "--max-sessions"},
      {{"--snapshot-interval-ms", "0"}, "--snapshot-interval-ms"},
      {{"--md-heartbeat-ms", "x"}, "--md-heartbeat-ms"},
      {{"--heartbeat-timeout-ms", "99"}, "--heartbeat-timeout-ms"},
      {{"--max-orders-per-second", "-5"}, "--max-orders-per-second"},
      {{"--cpus", "100000"}, "--cpus"},
      {{"--stats-interval", "1.5"}, "--stats-interval"},
      {{"--md-replay-port", "65536"}, "--md-replay-port"},
      {{"--md-replay-port", "9000", "--port", "9000"}, "--md-replay-port"},
      {{"--multicast-port", "65534"}, "--md-replay-port"},
      {{"--md-replay-depth", "0"}, "--md-replay-depth"},
      {{"--md-replay-depth", "67108865"}, "--md-replay-depth"},
  };
  for (const auto& [args, flag] : cases) {
    const std::string error = usage_error(args);
    EXPECT_EQ(error.rfind(flag + ": ", 0), 0U)
        << "expected an error starting '" << flag << ": ', got '" << error << "'";
  }
}

TEST(ExchangeOptions, md_replay_port_follows_the_multicast_port_unless_given_and_0_is_off) {
  const ExchangeOptions defaults = parse({}).options;
  EXPECT_EQ(md_replay_port_of(defaults), 5002);
  EXPECT_EQ(defaults.md_replay_depth, 1U << 20);
  EXPECT_EQ(md_replay_port_of(parse({"--multicast-port", "6000"}).options), 6002);
  EXPECT_EQ(md_replay_port_of(parse({"--md-replay-port", "7000"}).options), 7000);
  EXPECT_EQ(md_replay_port_of(parse({"--md-replay-port", "0"}).options), 0);
  EXPECT_EQ(parse({"--md-replay-depth", "1000"}).options.md_replay_depth, 1000U);
  // Built in code rather than parsed: unset follows the multicast port.
  ExchangeOptions in_code;
  in_code.market_data.multicast_port = 21000;
  EXPECT_EQ(md_replay_port_of(in_code), 21002);
}

TEST(ExchangeOptions, unknown_flags_and_missing_values_are_usage_errors) {
  EXPECT_EQ(usage_error({"--bogus"}), "--bogus: is not a flag of this program");
  EXPECT_EQ(usage_error({"--port"}), "--port: needs a value");
}

}  // namespace
}  // namespace llt::exchange
