#include "exchange/exchange_options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "common/cli/option_values.h"

namespace llt::exchange {
namespace {

ExchangeCommandLine parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"exchange"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_exchange_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string usage_error(std::initializer_list<const char*> args) {
  try {
    (void)parse(args);
  } catch (const common::UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ExchangeOptions, defaults_are_the_seeds_on_loopback) {
  const ExchangeOptions o = parse({}).options;
  EXPECT_EQ(o.port, 12345);
  EXPECT_EQ(o.multicast_addr, "239.255.0.1");
  EXPECT_EQ(o.multicast_port, 5000);
  EXPECT_EQ(o.snapshot_port, 5001);
  EXPECT_EQ(o.tickers, (std::vector<TickerId>{1, 2, 3}));
  EXPECT_EQ(o.interface, "127.0.0.1");
  EXPECT_EQ(o.listen_addr, "127.0.0.1");
  EXPECT_EQ(o.ttl, 1);
  EXPECT_EQ(o.threading, common::ThreadingMode::kShared);
  EXPECT_EQ(o.idle, common::IdleMode::kBackoff);
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
  EXPECT_EQ(o.multicast_addr, "239.255.9.9");
  EXPECT_EQ(o.snapshot_port, 6001);
  EXPECT_EQ(o.tickers, (std::vector<TickerId>{7}));
  EXPECT_EQ(o.threading, common::ThreadingMode::kDedicated);
  EXPECT_EQ(o.idle, common::IdleMode::kSpin);
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
}

TEST(ExchangeOptions, bad_values_name_the_flag) {
  EXPECT_NE(usage_error({"--port", "70000"}).find("--port"), std::string::npos);
  EXPECT_NE(usage_error({"--port", "-1"}).find("--port"), std::string::npos);
  EXPECT_NE(usage_error({"--multicast-port", "0"}).find("--multicast-port"), std::string::npos);
  EXPECT_NE(usage_error({"--tickers", ""}).find("--tickers"), std::string::npos);
  EXPECT_NE(usage_error({"--tickers", "a,b"}).find("--tickers"), std::string::npos);
  EXPECT_NE(usage_error({"--threading", "both"}).find("--threading"), std::string::npos);
  EXPECT_NE(usage_error({"--idle", "nap"}).find("--idle"), std::string::npos);
  EXPECT_NE(usage_error({"--multicast-addr", "example"}).find("--multicast-addr"),
            std::string::npos);
  EXPECT_NE(usage_error({"--multicast-addr", "10.1.2.3"}).find("--multicast-addr"),
            std::string::npos);
  EXPECT_NE(usage_error({"--interface", "0.0.0.0"}).find("--interface"), std::string::npos);
  EXPECT_NE(usage_error({"--ttl", "300"}).find("--ttl"), std::string::npos);
  EXPECT_NE(usage_error({"--snapshot-port", "5000"}).find("--snapshot-port"), std::string::npos);
  EXPECT_NE(usage_error({"--max-orders", "0"}).find("--max-orders"), std::string::npos);
}

TEST(ExchangeOptions, unknown_flags_and_missing_values_are_usage_errors) {
  EXPECT_NE(usage_error({"--bogus"}).find("bogus"), std::string::npos);
  EXPECT_NE(usage_error({"--port"}).find("port"), std::string::npos);
}

}  // namespace
}  // namespace llt::exchange
