// The real exchange executable on loopback: flag validation, serving sessions, market data,
// and a clean stop on SIGINT and SIGTERM with the latency table.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include "common/net/tcp_server.h"
#include "tests/support/child_process.h"
#include "tests/support/json_reader.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"

namespace llt::exchange::testing {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::md_random_channel;
using test::MdChannel;
using test::MdSubscriber;

constexpr const char* kExchange = LLT_EXCHANGE_BINARY;

// Polls the subscriber until it has applied the incremental update `seq`, within a deadline.
bool receive_through(MdSubscriber& subscriber, SeqNum seq) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (subscriber.next_seq() <= seq && std::chrono::steady_clock::now() < deadline) {
    subscriber.poll();
    std::this_thread::sleep_for(1ms);
  }
  return subscriber.next_seq() > seq;
}

std::vector<std::string> exchange_args(std::uint16_t port, const MdChannel& md,
                                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--port",
                                std::to_string(port),
                                "--multicast-addr",
                                md.group,
                                "--multicast-port",
                                std::to_string(md.port),
                                "--snapshot-port",
                                std::to_string(md.snapshot_port),
                                "--tickers",
                                "1,2",
                                "--max-orders",
                                "4096",
                                "--snapshot-interval-ms",
                                "200"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(ExchangeProcess, refuses_bad_flags_naming_the_flag_and_exits_non_zero) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--port", "70000"}, "--port"},
      {{"--tickers", ""}, "--tickers"},
      {{"--tickers", "1,x"}, "--tickers"},
      {{"--threading", "everywhere"}, "--threading"},
      {{"--idle", "nap"}, "--idle"},
      {{"--multicast-addr", "not-an-address"}, "--multicast-addr"},
      {{"--interface", "0.0.0.0"}, "--interface"},
      {{"--bogus"}, "--bogus"},
      {{"--stats-csv-interval-ms", "5"}, "--stats-csv-interval-ms"},
  };
  for (const auto& [args, flag] : cases) {
    ChildProcess exchange(kExchange, args);
    const auto code = exchange.wait_exit(test::kStartupLimit);
    ASSERT_TRUE(code.has_value()) << flag << ": still running";
    EXPECT_EQ(*code, 2) << flag;
    // One format for every bad flag: "<program>: <flag>: <reason>".
    EXPECT_EQ(exchange.stderr_text().rfind("exchange: " + flag + ": ", 0), 0U)
        << flag << ": " << exchange.stderr_text();
    EXPECT_EQ(exchange.stdout_text().find("order entry on"), std::string::npos)
        << flag << ": started anyway";
  }
}

TEST(ExchangeProcess, help_lists_the_flags_and_exits_zero) {
  ChildProcess exchange(kExchange, {"--help"});
  ASSERT_EQ(exchange.wait_exit(test::kStartupLimit), 0);
  for (const char* flag :
       {"--port", "--multicast-addr", "--tickers", "--interface", "--ttl", "--threading", "--idle",
        "--latency-csv", "--summary-json", "--stats-csv", "--stats-csv-interval-ms"}) {
    EXPECT_NE(exchange.stdout_text().find(flag), std::string::npos) << flag;
  }
}

TEST(ExchangeProcess, reports_a_port_in_use_and_exits_non_zero) {
  common::TcpServerOptions options;
  options.port = 0;
  common::TcpServer holder(options);
  ChildProcess exchange(kExchange, exchange_args(holder.port(), md_random_channel()));
  const auto code = exchange.wait_exit(test::kStartupLimit);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(exchange.stderr_text().find("Address already in use"), std::string::npos)
      << exchange.stderr_text();
}

// The number after `label ` in the last line of `out` that starts with `line_start`.
std::optional<std::uint64_t> last_line_number(const std::string& out, const std::string& line_start,
                                              const std::string& label) {
  const std::size_t line = out.rfind("\n" + line_start);
  if (line == std::string::npos)
    return std::nullopt;
  const std::size_t at = out.find(" " + label + " ", line);
  if (at == std::string::npos)
    return std::nullopt;
  return std::stoull(out.substr(at + label.size() + 2));
}

// The busy runs (the second figure) of the --stage-costs table's row that starts with `row`
// (a newline, the indented stage name and a space).
std::optional<std::uint64_t> stage_busy_runs(const std::string& out, const std::string& row) {
  const std::size_t at = out.find(row);
  if (at == std::string::npos)
    return std::nullopt;
  std::istringstream figures(out.substr(at + row.size(), out.find('\n', at + 1) - at));
  double busy_ms = 0;
  std::uint64_t runs = 0;
  if (!(figures >> busy_ms >> runs))
    return std::nullopt;
  return runs;
}

// Two clients trade through the executable; a subscriber sees the trade; SIGINT stops it
// cleanly with the per-hop latency table and the summary JSON (--summary-json).
void serve_a_trade_then_stop_with(int signo, const std::vector<std::string>& mode) {
  const MdChannel md = md_random_channel();
  MdSubscriber subscriber(md);
  const std::string summary_path = ::testing::TempDir() + "llt_exchange_summary_" +
                                   std::to_string(::getpid()) + "_" + std::to_string(signo) +
                                   ".json";
  std::vector<std::string> extra = mode;
  extra.insert(extra.end(), {"--summary-json", summary_path});
  ChildProcess exchange(kExchange, exchange_args(0, md, extra));
  const std::uint16_t port = test::exchange_port(exchange);
  ASSERT_NE(port, 0) << exchange.stderr_text();

  OrderEntryClient buyer(port, 11);
  OrderEntryClient seller(port, 22);
  buyer.skip_heartbeats(true);
  seller.skip_heartbeats(true);
  ASSERT_TRUE(log_on(buyer));
  ASSERT_TRUE(log_on(seller));
  ASSERT_TRUE(buyer.send(buyer.new_order(1, 1, Side::kBuy, 10'000, 5)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kAccepted));
  ASSERT_TRUE(seller.send(seller.new_order(1, 7, Side::kSell, 9'900, 5)));
  ClientResponse response{};
  ASSERT_TRUE(receive_response(seller, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(seller, response, ClientResponseType::kFilled));
  EXPECT_EQ(response.price, 10'000);
  EXPECT_EQ(response.exec_qty, 5U);
  ASSERT_TRUE(receive_response(buyer, response, ClientResponseType::kFilled));
  EXPECT_EQ(response.client_order_id, 1U);
  // One reject: a ticker the exchange does not trade.
  ASSERT_TRUE(buyer.send(buyer.new_order(9, 2, Side::kBuy, 10'000, 1)));
  ASSERT_TRUE(receive_response(buyer, ClientResponseType::kRejected, RejectReason::kUnknownTicker));

  // ADD of the buy, TRADE, CANCEL of the filled buy: seq 3 is on the incremental stream.
  EXPECT_TRUE(receive_through(subscriber, 3)) << "market data did not arrive";
  EXPECT_TRUE(subscriber.books().at(1).orders().empty());

  exchange.signal(signo);
  const auto code = exchange.wait_exit(test::kStartupLimit);
  ASSERT_TRUE(code.has_value()) << "did not stop";
  EXPECT_EQ(*code, 0) << exchange.stderr_text();
  const std::string out = exchange.stdout_text();
  EXPECT_NE(out.find("tcp_read_to_response_sent"), std::string::npos) << out;
  EXPECT_NE(out.find("engine_in_to_update_published"), std::string::npos) << out;
  EXPECT_NE(out.find("exchange: stopped"), std::string::npos) << out;
  const bool stage_costs = std::find(mode.begin(), mode.end(), "--stage-costs") != mode.end();
  EXPECT_EQ(out.find("exchange: stage costs") != std::string::npos, stage_costs) << out;
  if (stage_costs) {
    // The agents' rows and their parts (in shared threading the responses are routed and
    // sent by order_server_responses): the requests were read, routed and answered, and
    // market data sent, each in some working poll.
    const std::vector<std::pair<std::string, std::string>> rows{
        {"", "\norder_server "},
        {"\norder_server ", "\n  requests: epoll, read, decode, session rules "},
        {"\norder_server_responses ", "\n  responses: route, number, keep "},
        {"\norder_server_responses ", "\n  responses: send() calls "},
        {"", "\nmatching_engine "},
        {"", "\nmarket_data_publisher "},
        {"\nmarket_data_publisher ", "\n  datagrams: send "},
        {"", "\nsnapshot_synthesizer "}};
    for (const auto& [under, row] : rows) {
      const std::size_t from = under.empty() ? 0 : out.find(under);
      ASSERT_NE(from, std::string::npos) << "no row" << under << " in:\n" << out;
      const auto busy_runs = stage_busy_runs(out.substr(from), row);
      ASSERT_TRUE(busy_runs.has_value()) << "no row" << row << " in:\n" << out;
      EXPECT_GT(*busy_runs, 0U) << row << "\n" << out;
    }
  }

  std::string error;
  const auto summary = test::JsonReader::parse_file(summary_path, &error);
  std::remove(summary_path.c_str());
  ASSERT_TRUE(summary.has_value()) << error;
  const test::JsonValue& s = *summary;
  EXPECT_EQ(s["process"].text, "exchange");
  ASSERT_EQ(s["tickers"].elements.size(), 2U);
  EXPECT_EQ(s["trades"].integer(), 1);
  EXPECT_EQ(s["trades_by_ticker"]["1"].integer(), 1);
  EXPECT_EQ(s["trades_by_ticker"]["2"].integer(), 0);
  EXPECT_EQ(s["resting_orders_by_ticker"]["1"].integer(), 0);
  // Both sides empty after the trade, which is the last one.
  EXPECT_EQ(s["top_of_book_by_ticker"]["1"]["bid_qty"].integer(), 0);
  EXPECT_EQ(s["top_of_book_by_ticker"]["1"]["ask_qty"].integer(), 0);
  EXPECT_EQ(s["top_of_book_by_ticker"]["1"]["last_price"].integer(), 10'000);
  EXPECT_EQ(s["top_of_book_by_ticker"]["1"]["last_qty"].integer(), 5);
  EXPECT_EQ(s["top_of_book_by_ticker"]["2"]["last_qty"].integer(), 0);
  EXPECT_EQ(s["counters"]["sessions_accepted"].integer(), 2);
  EXPECT_EQ(s["rejects"].integer(), 1);
  EXPECT_EQ(s["rejects_by_reason"]["UNKNOWN_TICKER"].integer(), 1);
  EXPECT_EQ(s["rejects_by_reason"]["THROTTLED"].integer(), 0);
  EXPECT_TRUE(s["sessions_closed_by_cause"].has("peer_closed"));
  EXPECT_GE(s["market_data"]["last_seq"].integer(), 3);
  for (const char* hop :
       {"tcp_read_to_sequenced", "tcp_read_to_response_sent", "engine_in_to_update_published"}) {
    ASSERT_TRUE(s["latency_ns"].has(hop)) << hop;
    EXPECT_GT(s["latency_ns"][hop]["count"].integer(), 0) << hop;
    for (const char* key : {"p50", "p90", "p99", "p99_9", "max"})
      EXPECT_TRUE(s["latency_ns"][hop][key].is_number()) << hop << " " << key;
  }
  // The same counts as the final status line.
  EXPECT_EQ(last_line_number(out, "exchange: sessions", "trades"),
            static_cast<std::uint64_t>(s["trades"].integer()))
      << out;
  EXPECT_EQ(last_line_number(out, "exchange: sessions", "rejects"),
            static_cast<std::uint64_t>(s["rejects"].integer()))
      << out;
  EXPECT_EQ(last_line_number(out, "exchange: sessions", "requests"),
            static_cast<std::uint64_t>(s["counters"]["requests_received"].integer()))
      << out;
}

TEST(ExchangeProcess, serves_a_trade_and_stops_cleanly_on_sigint) {
  serve_a_trade_then_stop_with(SIGINT, {});
}

// --stage-costs: the exit prints where the agents' time went, the order server's and the
// publisher's parts under them.
TEST(ExchangeProcess, serves_a_trade_with_stage_costs_and_prints_where_the_time_went) {
  serve_a_trade_then_stop_with(SIGTERM, {"--stage-costs"});
}

// Backoff, not spin: four spinning threads would starve the other tests on a 2-core machine.
TEST(ExchangeProcess, serves_a_trade_in_dedicated_mode_and_stops_on_sigterm) {
  serve_a_trade_then_stop_with(SIGTERM, {"--threading", "dedicated", "--idle", "backoff"});
}

TEST(ExchangeProcess, publishes_the_cancels_of_a_disconnected_client_and_logs_to_its_file) {
  const std::string log_path = "/tmp/llt_exchange_test_" + std::to_string(::getpid()) + ".log";
  const MdChannel md = md_random_channel();
  MdSubscriber subscriber(md);
  ChildProcess exchange(kExchange, exchange_args(0, md, {"--log-file", log_path}));
  const std::uint16_t port = test::exchange_port(exchange);
  ASSERT_NE(port, 0) << exchange.stderr_text();
  {
    OrderEntryClient client(port, 9);
    client.skip_heartbeats(true);
    ASSERT_TRUE(log_on(client));
    ASSERT_TRUE(client.send(client.new_order(2, 1, Side::kBuy, 9'000, 4)));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  }  // disconnects
  // ADD (seq 1), then the cancel-on-disconnect's CANCEL (seq 2).
  ASSERT_TRUE(receive_through(subscriber, 2)) << "no CANCEL after the disconnect";
  EXPECT_TRUE(subscriber.books().at(2).orders().empty());

  exchange.signal(SIGINT);
  EXPECT_EQ(exchange.wait_exit(test::kStartupLimit), 0);
  std::ifstream log(log_path);
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  std::remove(log_path.c_str());
  EXPECT_NE(text.find("exchange started"), std::string::npos) << text;
  EXPECT_NE(text.find("exchange stopped"), std::string::npos) << text;
}

// An exit file that cannot be written names its flag and the path, makes the exit status 1,
// and does not keep the other files from being written. Its folder was there at start-up (a
// path that cannot be written then is a usage error, below) and goes during the run.
TEST(ExchangeProcess, reports_an_unwritable_exit_file_and_still_writes_the_others) {
  const MdChannel md = md_random_channel();
  const std::string summary_path =
      ::testing::TempDir() + "llt_exchange_exit_files_" + std::to_string(::getpid()) + ".json";
  const std::string doomed_dir =
      ::testing::TempDir() + "llt_exchange_exit_dir_" + std::to_string(::getpid());
  std::filesystem::create_directories(doomed_dir);
  const std::string bad_csv = doomed_dir + "/latency.csv";
  ChildProcess exchange(kExchange, exchange_args(0, md,
                                                 {"--latency-csv", bad_csv, "--summary-json",
                                                  summary_path, "--stats-interval", "0"}));
  ASSERT_NE(test::exchange_port(exchange), 0) << exchange.stderr_text();
  std::filesystem::remove_all(doomed_dir);
  exchange.signal(SIGTERM);
  const auto code = exchange.wait_exit(test::kStartupLimit);
  ASSERT_TRUE(code.has_value()) << "did not stop";
  EXPECT_EQ(*code, 1);
  const std::string err = exchange.stderr_text();
  EXPECT_NE(err.find("exchange: --latency-csv " + bad_csv), std::string::npos) << err;
  EXPECT_NE(exchange.stdout_text().find("exchange: stopped"), std::string::npos);
  std::string error;
  const auto summary = test::JsonReader::parse_file(summary_path, &error);
  std::remove(summary_path.c_str());
  ASSERT_TRUE(summary.has_value()) << error;
  EXPECT_EQ((*summary)["process"].text, "exchange");
}

// Files the run writes are checked with the flags: a usage error before anything starts.
TEST(ExchangeProcess, refuses_to_start_when_a_file_it_writes_cannot_be_written) {
  for (const char* flag : {"--stats-csv", "--latency-csv", "--summary-json", "--log-file"}) {
    const std::string bad = "/nonexistent-llt-dir/out";
    ChildProcess exchange(kExchange, exchange_args(0, md_random_channel(), {flag, bad}));
    const auto code = exchange.wait_exit(test::kStartupLimit);
    ASSERT_TRUE(code.has_value()) << flag << ": still running";
    EXPECT_EQ(*code, 2) << flag;
    EXPECT_NE(exchange.stderr_text().find(std::string("exchange: ") + flag + ": '" + bad +
                                          "' cannot be written: its folder '/nonexistent-llt-dir' "
                                          "does not exist"),
              std::string::npos)
        << exchange.stderr_text();
    EXPECT_EQ(exchange.stdout_text().find("order entry on"), std::string::npos)
        << flag << ": started anyway";
  }
}

TEST(ExchangeProcess, a_log_file_that_cannot_be_opened_is_named_and_exits_1) {
  // /proc/self/status exists and passes the flags' check, but takes no appending open.
  ChildProcess exchange(kExchange,
                        exchange_args(0, md_random_channel(), {"--log-file", "/proc/self/status"}));
  const auto code = exchange.wait_exit(test::kStartupLimit);
  ASSERT_TRUE(code.has_value()) << "still running";
  EXPECT_EQ(*code, 1);
  EXPECT_NE(exchange.stderr_text().find("exchange: --log-file /proc/self/status: cannot open: "),
            std::string::npos)
      << exchange.stderr_text();
}

TEST(ExchangeProcess, reports_a_log_file_whose_writes_failed_and_exits_1) {
  ChildProcess exchange(
      kExchange,
      exchange_args(0, md_random_channel(), {"--log-file", "/dev/full", "--stats-interval", "0"}));
  ASSERT_NE(test::exchange_port(exchange), 0) << exchange.stderr_text();
  exchange.signal(SIGTERM);
  const auto code = exchange.wait_exit(test::kStartupLimit);
  ASSERT_TRUE(code.has_value()) << "did not stop";
  EXPECT_EQ(*code, 1);
  const std::string err = exchange.stderr_text();
  EXPECT_NE(err.find("exchange: --log-file /dev/full: "), std::string::npos) << err;
  EXPECT_NE(err.find(" writes failed, the log is incomplete: No space left on device"),
            std::string::npos)
      << err;
  EXPECT_NE(exchange.stdout_text().find("exchange: stopped"), std::string::npos);
}

TEST(ExchangeProcess, prints_a_status_line_every_stats_interval) {
  ChildProcess exchange(kExchange,
                        exchange_args(0, md_random_channel(), {"--stats-interval", "1"}));
  const std::uint16_t port = test::exchange_port(exchange);
  ASSERT_NE(port, 0) << exchange.stderr_text();
  OrderEntryClient client(port, 5);
  client.skip_heartbeats(true);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(2, 1, Side::kSell, 12'000, 3)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  EXPECT_TRUE(exchange.wait_for_output("resting [1:0 2:1]", test::kStartupLimit))
      << exchange.stdout_text();
  exchange.signal(SIGINT);
  EXPECT_EQ(exchange.wait_exit(test::kStartupLimit), 0);
}

}  // namespace
}  // namespace llt::exchange::testing
