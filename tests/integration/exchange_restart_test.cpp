// An exchange restart under running trading clients: exchange A stops (SIGTERM), exchange B
// starts on the same port and market data channel; each client reconnects, logs on again,
// resyncs its market data from B's stream, keeps trading against B, and exits 0 with books
// equal to B's.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "tests/support/child_process.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/trading_processes.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::MdChannel;
using test::summary_count;
using test::TradingClient;

std::vector<std::string> exchange_args(std::uint16_t port, const MdChannel& md) {
  return test::joined_args({"--port", std::to_string(port), "--tickers", "1,2", "--max-orders",
                            "16384", "--snapshot-interval-ms", "200", "--stats-interval", "1"},
                           test::md_flags(md));
}

// How long the test waits for trading on an exchange (a passing run waits only as long as it
// takes; sanitized builds on a loaded machine take several times longer).
constexpr std::chrono::milliseconds kEventLimit = 30s;
// The clients' --duration: only a bound should the test die before it stops them.
constexpr double kClientCapSeconds = 180.0;

// Polls the recorder until `done()` or the deadline.
template <typename Done>
bool record_until(test::MdStreamRecorder& recorder, Done done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    recorder.poll();
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

TEST(ExchangeRestart, clients_reconnect_resync_and_keep_trading_with_the_new_exchange) {
  const MdChannel md = test::md_random_channel();
  test::MdStreamRecorder recorder(md);
  ChildProcess exchange_a(LLT_EXCHANGE_BINARY, exchange_args(0, md));
  const std::uint16_t port = test::exchange_port(exchange_a);
  ASSERT_NE(port, 0) << exchange_a.stderr_text();

  const std::string prefix =
      ::testing::TempDir() + "llt_restart_" + std::to_string(::getpid()) + "_";
  TradingClient maker{
      "maker", 11, {"--strategy", "market-maker", "--ticker", "1", "--reconnect-max-ms", "200"},
      "",      {}, {}};
  TradingClient random{"random",
                       33,
                       {"--strategy", "random", "--ticker", "1", "--orders-per-second", "50",
                        "--reconnect-max-ms", "200"},
                       "",
                       {},
                       {}};
  // They run until the test stops them (the duration only ends them should the test die).
  maker.start(port, md, kClientCapSeconds, prefix);
  std::this_thread::sleep_for(300ms);
  random.start(port, md, kClientCapSeconds, prefix);

  // Both trade with exchange A for a while: quotes (ADDs) and trades on its stream.
  ASSERT_TRUE(record_until(
      recorder, [&] { return recorder.adds() >= 10 && recorder.traded_qty(1) > 0; }, kEventLimit))
      << "no trading on exchange A: " << recorder.adds() << " ADDs\n"
      << maker.out() << random.out();
  // Long enough for both to have synced from A's snapshots (every 200 ms): a client still in
  // its first recovery when A stops is another case (see the report of issue 7).
  record_until(
      recorder, [] { return false; }, 1500ms);
  const std::uint64_t traded_on_a = recorder.traded_qty(1);

  exchange_a.signal(SIGTERM);
  const auto code_a = exchange_a.wait_exit(30s);
  ASSERT_TRUE(code_a.has_value()) << "exchange A did not stop";
  EXPECT_EQ(*code_a, 0) << exchange_a.stderr_text();
  record_until(
      recorder, [] { return false; }, 300ms);  // A's last datagrams
  recorder.clear();

  // Exchange B on the same port and channel: its seq_num starts again from 1.
  std::this_thread::sleep_for(500ms);  // the clients notice and start retrying
  ChildProcess exchange_b(LLT_EXCHANGE_BINARY, exchange_args(port, md));
  ASSERT_EQ(test::exchange_port(exchange_b), port) << exchange_b.stderr_text();
  EXPECT_TRUE(record_until(
      recorder,
      [&] {
        return recorder.adds() >= 10 && recorder.traded_qty(1) > 0 && maker.logons_logged() >= 2 &&
               random.logons_logged() >= 2;
      },
      kEventLimit))
      << "the clients did not trade with exchange B: " << recorder.adds() << " ADDs, logons "
      << maker.logons_logged() << " and " << random.logons_logged();
  // Both trade on with B for a while, then stop: wind down, log out, summary.
  record_until(
      recorder, [] { return false; }, 1000ms);
  maker.process->signal(SIGTERM);
  random.process->signal(SIGTERM);

  const auto deadline = std::chrono::steady_clock::now() + 30s;
  record_until(
      recorder, [&] { return maker.poll_exit() && random.poll_exit(); },
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                            std::chrono::steady_clock::now()));
  record_until(
      recorder, [] { return false; }, 700ms);

  std::printf("traded on exchange A %llu, on exchange B %llu; B published %llu updates\n",
              static_cast<unsigned long long>(traded_on_a),
              static_cast<unsigned long long>(recorder.traded_qty(1)),
              static_cast<unsigned long long>(recorder.last_seq()));
  for (TradingClient* client : {&maker, &random}) {
    ASSERT_TRUE(client->exit_code.has_value()) << client->name << " did not exit";
    EXPECT_EQ(*client->exit_code, 0) << client->name << ":\n" << client->out() << client->err();
    const std::string out = client->out();
    for (const char* prefix : {"trading: market data", "trading: session logons"}) {
      const std::size_t at = out.find(prefix);
      std::printf(
          "%s: %s\n", client->name.c_str(),
          at == std::string::npos ? "no summary" : out.substr(at, out.find('\n', at) - at).c_str());
    }
    EXPECT_GE(summary_count(out, "session logons"), 2U) << client->name << ":\n" << out;
    EXPECT_GE(summary_count(out, "reconnects", "trading: session logons"), 1U)
        << client->name << ":\n"
        << out;
    // Market data: the seq_num went back to 1 (a restart), or a gap sent it to B's snapshot.
    EXPECT_GE(
        summary_count(out, "restarts") + summary_count(out, "recoveries", "trading: market data"),
        1U)
        << client->name << ":\n"
        << out;
    EXPECT_TRUE(test::dump_matches_recording(client->name, client->book_file, recorder, {1}));
    std::remove(client->book_file.c_str());
  }
  EXPECT_GT(recorder.traded_qty(1), 0U) << "no trades on exchange B";

  exchange_b.signal(SIGTERM);
  EXPECT_EQ(exchange_b.wait_exit(30s), 0) << exchange_b.stderr_text();
}

}  // namespace
}  // namespace llt::trading
