#include "exchange/exchange_options.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/command_line.h"
#include "tests/support/scoped_env.h"

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
      {{"--io", "kqueue"}, "--io"},
      {{"--io", ""}, "--io"},
      {{"--listen-addr", "239.255.0.1"}, "--listen-addr"},
      {{"--journal-sync", "batch"}, "--journal-sync"},
      {{"--journal-snapshot-records", "5"}, "--journal-snapshot-records"},
      {{"--journal-snapshot-responses", "5"}, "--journal-snapshot-responses"},
      {{"--journal-dir", "/dev/null"}, "--journal-dir"},
      {{"--journal-c", "/tmp"}, "--journal-check"},
  };
  for (const auto& [args, flag] : cases) {
    const std::string error = usage_error(args);
    EXPECT_EQ(error.rfind(flag + ": ", 0), 0U)
        << "expected an error starting '" << flag << ": ', got '" << error << "'";
  }
}

TEST(ExchangeOptions, at_most_kMaxTickers_tickers) {
  const std::string most = test::id_list(kMaxTickers);
  EXPECT_EQ(parse({"--tickers", most.c_str()}).options.tickers.size(), kMaxTickers);
  const std::string too_many = test::id_list(kMaxTickers + 1);
  EXPECT_EQ(usage_error({"--tickers", too_many.c_str()}),
            "--tickers: 257 tickers, at most 256 (each has its own order book)");
}

TEST(ExchangeOptions, io_backend_is_epoll_unless_uring_is_asked_for) {
  EXPECT_EQ(parse({}).options.io, common::IoBackend::kEpoll);
  EXPECT_EQ(parse({"--io", "uring"}).options.io, common::IoBackend::kUring);
  EXPECT_EQ(parse({"--io", "epoll"}).options.io, common::IoBackend::kEpoll);
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

// A config file in the test's temporary folder holding `text`; removed with the object.
class ConfigFile {
 public:
  ConfigFile(const std::string& name, const std::string& text)
      : path_(::testing::TempDir() + name + "-" + std::to_string(::getpid()) + ".conf") {
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::remove(path_.c_str()); }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  [[nodiscard]] const char* path() const { return path_.c_str(); }

 private:
  std::string path_;
};

using test::ScopedEnv;

TEST(ExchangeOptions, config_file_values_are_used_and_the_command_line_wins) {
  const ConfigFile file("exchange-values",
                        "# the demo's exchange\n"
                        "tickers = 4,5\n"
                        "port = 2000   # order entry\n"
                        "threading = dedicated\n"
                        "journal-prune = false\n"
                        "\n"
                        "log-level = warn\n");
  const ExchangeOptions o = parse({"--config", file.path()}).options;
  EXPECT_EQ(o.tickers, (std::vector<TickerId>{4, 5}));
  EXPECT_EQ(o.port, 2000);
  EXPECT_EQ(o.process.threading, common::ThreadingMode::kDedicated);
  EXPECT_EQ(o.process.log_level, common::LogLevel::kWarn);
  EXPECT_EQ(o.market_data.multicast_port, 5000) << "not in the file: the default";
  const ExchangeOptions over = parse({"--port", "3000", "--config", file.path()}).options;
  EXPECT_EQ(over.port, 3000);
  EXPECT_EQ(over.tickers, (std::vector<TickerId>{4, 5}));
}

TEST(ExchangeOptions, environment_wins_over_the_file_and_loses_to_the_command_line) {
  const ConfigFile file("exchange-env", "port = 2000\nttl = 3\n");
  const ScopedEnv port("LLT_PORT", "4000");
  const ScopedEnv interval("LLT_STATS_INTERVAL", "7");
  const ScopedEnv other("LLT_NOT_A_FLAG", "whatever");  // ignored: the environment is shared
  const ExchangeOptions env = parse({"--config", file.path()}).options;
  EXPECT_EQ(env.port, 4000);
  EXPECT_EQ(env.ttl, 3);
  EXPECT_EQ(env.process.stats_interval_s, 7U);
  const ExchangeOptions line = parse({"--config", file.path(), "--port", "5500"}).options;
  EXPECT_EQ(line.port, 5500);
  EXPECT_EQ(common::environment_name("multicast-addr"), "LLT_MULTICAST_ADDR");
}

TEST(ExchangeOptions, the_environment_can_name_the_config_file) {
  const ConfigFile file("exchange-env-config", "ttl = 9\n");
  const ScopedEnv config("LLT_CONFIG", file.path());
  EXPECT_EQ(parse({}).options.ttl, 9);
}

TEST(ExchangeOptions, config_file_errors_name_the_file_line_and_key) {
  const ConfigFile unknown("exchange-unknown", "ttl = 2\n\n  bogus = 1\n");
  EXPECT_EQ(usage_error({"--config", unknown.path()}),
            std::string(unknown.path()) +
                ":3: 'bogus' is not a flag of this program or not one a config file may set");
  const ConfigFile bad("exchange-bad", "# comment\nport = abc\n");
  EXPECT_EQ(usage_error({"--config", bad.path()}),
            std::string(bad.path()) + ":2: --port: 'abc' is not a non-negative integer");
  const ConfigFile nested("exchange-nested", "config = other.conf\n");
  EXPECT_NE(usage_error({"--config", nested.path()}).find("'config' is not a flag"),
            std::string::npos);
  const ConfigFile twice("exchange-twice", "ttl = 2\nttl = 3\n");
  EXPECT_EQ(usage_error({"--config", twice.path()}),
            std::string(twice.path()) + ":2: 'ttl' is set more than once");
  // What a flag copied from a command line brings along: its -- and a section header.
  const ConfigFile dashes("exchange-dashes", "ttl = 2\n--port = 47311\n");
  EXPECT_EQ(usage_error({"--config", dashes.path()}),
            std::string(dashes.path()) + ":2: '--port': a config file names a flag without its --");
  const ConfigFile section("exchange-section", "ttl = 2\n[exchange]\nport = 1\n");
  EXPECT_EQ(usage_error({"--config", section.path()}),
            std::string(section.path()) +
                ":3: 'exchange.port': a config file has no [sections]: set 'port' before the "
                "'[exchange]' line or remove that line");
  const std::string missing = ::testing::TempDir() + "no-such-file.conf";
  EXPECT_EQ(usage_error({"--config", missing.c_str()}),
            "--config: cannot read '" + missing + "': No such file or directory");
}

TEST(ExchangeOptions, a_bad_environment_value_names_the_variable) {
  const ScopedEnv port("LLT_PORT", "abc");
  EXPECT_EQ(usage_error({}),
            "environment variable LLT_PORT: --port: 'abc' is not a non-negative integer");
  EXPECT_EQ(parse({"--port", "1"}).options.port, 1) << "the command line wins";
}

TEST(ExchangeOptions, log_level_is_debug_info_warn_or_error) {
  EXPECT_EQ(parse({}).options.process.log_level, common::LogLevel::kInfo);
  EXPECT_EQ(parse({"--log-level", "debug"}).options.process.log_level, common::LogLevel::kDebug);
  EXPECT_EQ(parse({"--log-level", "warn"}).options.process.log_level, common::LogLevel::kWarn);
  EXPECT_EQ(parse({"--log-level", "error"}).options.process.log_level, common::LogLevel::kError);
  EXPECT_EQ(usage_error({"--log-level", "trace"}),
            "--log-level: 'trace' is not one of: debug, info, warn, error");
}

}  // namespace
}  // namespace llt::exchange
