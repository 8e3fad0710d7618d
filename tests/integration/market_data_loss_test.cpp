// Market data loss and recovery with the real executables on loopback: trading clients that
// lose 1%, 10% and 30% of the incremental datagrams (--md-loss-rate), with the market data
// replay on and off, and one behind a relay that loses a burst of updates and then the whole
// next snapshot cycle, all end with books equal to the exchange's. The recoveries (by replay
// and by snapshot) and the time each took are printed.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "tests/support/child_process.h"
#include "tests/support/md_relay.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/trading_processes.h"

namespace llt::trading {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::MdChannel;
using test::MdStreamRecorder;
using test::summary_number;
using test::TradingClient;

std::string temp_prefix() {
  return ::testing::TempDir() + "llt_md_loss_" + std::to_string(::getpid()) + "_";
}

std::unique_ptr<ChildProcess> start_exchange(const MdChannel& md, std::uint16_t& port,
                                             const std::string& snapshot_interval_ms) {
  auto exchange = std::make_unique<ChildProcess>(
      LLT_EXCHANGE_BINARY,
      test::joined_args({"--port", "0", "--tickers", "1,2", "--max-orders", "16384",
                         "--snapshot-interval-ms", snapshot_interval_ms, "--stats-interval", "0"},
                        test::md_flags(md)));
  port = test::exchange_port(*exchange);
  return exchange;
}

// Polls the recorder (and runs `each` every pass) until every client exited or 40 s passed,
// then 700 ms more for the last cancels.
template <typename Each>
void run_until_clients_exit(const std::vector<TradingClient*>& clients, MdStreamRecorder& recorder,
                            Each each) {
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  bool all = false;
  while (!all && std::chrono::steady_clock::now() < deadline) {
    recorder.poll();
    each();
    all = true;
    for (TradingClient* client : clients)
      all = client->poll_exit() && all;
    std::this_thread::sleep_for(1ms);
  }
  const auto settle = std::chrono::steady_clock::now() + 700ms;
  while (std::chrono::steady_clock::now() < settle) {
    recorder.poll();
    std::this_thread::sleep_for(1ms);
  }
}

// What a client's last status line (stdout, every second) says of its market data: the
// recoveries it completed (by replay and by snapshot), by replay alone, and whether one is
// under way. All zero before its first status line.
struct MdStatus {
  bool printed = false;  // a status line was printed
  std::uint64_t recoveries = 0;
  std::uint64_t by_replay = 0;
  bool recovering = false;
};

MdStatus md_status(const TradingClient& client) {
  const std::string out = client.out();
  const std::size_t at = out.rfind("md recoveries ");
  if (at == std::string::npos)
    return {};
  const std::string line = out.substr(at, out.find('\n', at) - at);
  MdStatus status;
  status.printed = true;
  status.recoveries = test::summary_count(line, "md recoveries");
  status.by_replay = test::summary_count(line, "(replay");
  status.recovering = line.find("(recovering)") != std::string::npos;
  return status;
}

// Polls the recorder (and runs `each` every pass) until `done()` or `limit` passed. Returns
// done().
template <typename Done, typename Each>
bool record_until(MdStreamRecorder& recorder, Done done, Each each,
                  std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    recorder.poll();
    each();
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

// The clients' --duration: only a bound should the test die before it stops them with SIGTERM.
constexpr double kClientCapSeconds = 180.0;
// How long a test waits for an event of the run (a passing run waits only as long as it takes).
constexpr std::chrono::milliseconds kEventLimit = 30s;

void stop_all(const std::vector<TradingClient*>& clients) {
  for (TradingClient* client : clients)
    client->process->signal(SIGTERM);
}

// The recovery figures of a client's market data summary line.
struct Recoveries {
  double drops = 0;
  double gaps = 0;
  double started = 0;
  double completed = 0;
  double healed = 0;
  double discarded = 0;
  double last_ms = 0;
  double max_ms = 0;
  double by_replay = 0;
  double by_snapshot = 0;
  double replay_max_ms = 0;
  double snapshot_max_ms = 0;
  double replay_requests = 0;
  double replay_timeouts = 0;
};

Recoveries recoveries_of(const std::string& out) {
  const auto number = [&](const std::string& label) {
    return summary_number(out, label, "trading: market data").value_or(-1);
  };
  return {number("loss-knob drops"),
          number("gaps"),
          number("(started"),
          number("recoveries"),
          number("healed"),
          number("snapshots discarded"),
          number("last"),
          number("max"),
          number("by replay"),
          number("by snapshot"),
          summary_number(out, "max", "by replay").value_or(-1),
          summary_number(out, "max", "by snapshot").value_or(-1),
          summary_number(out, "requests", "trading: md replay").value_or(-1),
          summary_number(out, "timeout", "trading: md replay").value_or(-1)};
}

void print_recoveries(const std::string& title, const std::vector<TradingClient*>& clients,
                      const std::vector<std::string>& labels) {
  fmt::print(
      "\n{}\n{:<24} {:>8} {:>5} {:>7} {:>9} {:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} "
      "{:>8}\n",
      title, "client", "dropped", "gaps", "started", "recovered", "healed", "discarded", "replay",
      "snapshot", "requests", "timeouts", "max ms", "replay max", "snap max");
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const Recoveries r = recoveries_of(clients[i]->out());
    fmt::print(
        "{:<24} {:>8} {:>5} {:>7} {:>9} {:>6} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8.1f} {:>9.2f} "
        "{:>8.2f}\n",
        labels[i], r.drops, r.gaps, r.started, r.completed, r.healed, r.discarded, r.by_replay,
        r.by_snapshot, r.replay_requests, r.replay_timeouts, r.max_ms, r.replay_max_ms,
        r.snapshot_max_ms);
  }
  std::fflush(stdout);
}

// The parameter is the clients' --md-replay: on, gaps are filled by replay first; off, only
// the snapshot stream recovers them.
class MarketDataLossByReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(MarketDataLossByReplay, clients_losing_1_10_and_30_percent_end_with_the_exchanges_books) {
  const std::string replay = GetParam();
  const MdChannel md = test::md_random_channel();
  MdStreamRecorder recorder(md);
  std::uint16_t port = 0;
  auto exchange = start_exchange(md, port, "200");
  ASSERT_NE(port, 0) << exchange->stderr_text();

  const std::string prefix = temp_prefix();
  TradingClient maker{"maker", 11, {"--strategy", "market-maker", "--ticker", "1"}, "", {}, {}};
  TradingClient random{
      "random", 33, {"--strategy", "random", "--ticker", "1", "--orders-per-second", "200"},
      "",       {}, {}};
  const std::vector<std::string> rates{"0.01", "0.10", "0.30"};
  std::vector<TradingClient> lossy;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    lossy.push_back({"loss-" + rates[i],
                     static_cast<std::uint32_t>(41 + i),
                     {"--strategy", "liquidity-taker", "--ticker", "1", "--signal-threshold", "0.1",
                      "--md-loss-rate", rates[i], "--md-loss-seed", std::to_string(7 + i),
                      "--md-replay", replay},
                     "",
                     {},
                     {}});
  }
  maker.start(port, md, kClientCapSeconds, prefix);
  std::this_thread::sleep_for(300ms);  // the market maker quotes first
  random.start(port, md, kClientCapSeconds, prefix);
  for (TradingClient& client : lossy)
    client.start(port, md, kClientCapSeconds, prefix);

  std::vector<TradingClient*> all{&maker, &random};
  std::vector<std::string> labels;
  for (TradingClient& client : lossy) {
    all.push_back(&client);
    labels.push_back(client.name);
  }
  // They trade for 4 s at least, and until the 10% and 30% clients each completed two
  // recoveries (one by replay with replay on); then the test stops them.
  const auto least = std::chrono::steady_clock::now() + 4s;
  const bool recovered = record_until(
      recorder,
      [&] {
        if (std::chrono::steady_clock::now() < least)
          return false;
        for (std::size_t i = 1; i < lossy.size(); ++i) {
          const MdStatus status = md_status(lossy[i]);
          if (status.recoveries < 2 || (replay == "on" && status.by_replay == 0))
            return false;
        }
        return true;
      },
      [] {}, kEventLimit);
  EXPECT_TRUE(recovered) << "the lossy clients did not recover within "
                         << std::chrono::duration_cast<std::chrono::seconds>(kEventLimit).count()
                         << " s";
  stop_all(all);
  run_until_clients_exit(all, recorder, [] {});

  for (TradingClient* client : all) {
    ASSERT_TRUE(client->exit_code.has_value()) << client->name << " did not exit";
    EXPECT_EQ(*client->exit_code, 0) << client->name << ":\n" << client->out() << client->err();
  }
  EXPECT_GT(recorder.traded_qty(1), 0U) << "no trades happened";
  std::vector<TradingClient*> lossy_ptrs;
  lossy_ptrs.reserve(lossy.size());
  for (TradingClient& client : lossy)
    lossy_ptrs.push_back(&client);
  print_recoveries(
      fmt::format("recoveries of the lossy clients, --md-replay {} ({} incremental updates "
                  "published)",
                  replay, recorder.last_seq()),
      lossy_ptrs, labels);
  for (std::size_t i = 0; i < lossy.size(); ++i) {
    const Recoveries r = recoveries_of(lossy[i].out());
    EXPECT_GT(r.drops, 0) << lossy[i].name << ":\n" << lossy[i].out();
    if (i > 0) {
      EXPECT_GT(r.completed, 0) << lossy[i].name << ":\n" << lossy[i].out();
    }
    // "recoveries" counts both ways; each is counted apart.
    EXPECT_EQ(r.completed, r.by_replay + r.by_snapshot) << lossy[i].out();
    if (replay == "on") {
      if (i > 0) {
        EXPECT_GT(r.by_replay, 0) << lossy[i].name << ":\n" << lossy[i].out();
      }
    } else {
      EXPECT_EQ(r.by_replay, 0) << lossy[i].out();
      EXPECT_EQ(r.replay_requests, 0) << lossy[i].out();
    }
    EXPECT_TRUE(test::dump_matches_recording(lossy[i].name, lossy[i].book_file, recorder, {1}));
  }
  EXPECT_TRUE(test::dump_matches_recording(maker.name, maker.book_file, recorder, {1}));
  for (TradingClient* client : all)
    std::remove(client->book_file.c_str());

  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0);
}

INSTANTIATE_TEST_SUITE_P(Replay, MarketDataLossByReplay, ::testing::Values("on", "off"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return "replay_" + info.param;
                         });

// A client behind a relay loses, three times, a burst of updates and then the whole snapshot
// cycle that would have repaired it: each time it waits for the next cycle and recovers.
TEST(MarketDataLoss, a_client_that_loses_a_whole_snapshot_cycle_recovers_from_the_next) {
  constexpr int kDrills = 3;
  constexpr const char* kNoLossLimit = "1000000000000";  // cents
  const MdChannel md = test::md_random_channel();
  MdChannel relayed = test::md_random_channel();
  while (relayed.port == md.port || relayed.port == md.snapshot_port ||
         relayed.snapshot_port == md.port)
    relayed = test::md_random_channel();
  MdStreamRecorder recorder(md);
  std::uint16_t port = 0;
  auto exchange = start_exchange(md, port, "300");
  ASSERT_NE(port, 0) << exchange->stderr_text();
  test::MdRelay relay(md, relayed);

  const std::string prefix = temp_prefix();
  // A drill waits for book traffic (its 3 datagrams, then a cycle), so the book must keep
  // moving until the clients end: the maker and the random trader get a loss limit they cannot
  // reach (with the default $1,000 a price swing could stop both, and the book with them).
  TradingClient maker{
      "maker", 11, {"--strategy", "market-maker", "--ticker", "1", "--max-loss", kNoLossLimit},
      "",      {}, {}};
  TradingClient random{"random",
                       33,
                       {"--strategy", "random", "--ticker", "1", "--orders-per-second", "200",
                        "--max-loss", kNoLossLimit},
                       "",
                       {},
                       {}};
  TradingClient behind{"behind-relay",
                       44,
                       // Its replay port would be the relay's channel's, where nothing listens: the
                       // snapshot stream is what this test exercises.
                       {"--strategy", "liquidity-taker", "--ticker", "1", "--signal-threshold",
                        "0.1", "--md-replay", "off"},
                       "",
                       {},
                       {}};
  maker.start(port, md, kClientCapSeconds, prefix);
  std::this_thread::sleep_for(300ms);
  random.start(port, md, kClientCapSeconds, prefix);
  behind.start(port, relayed, kClientCapSeconds, prefix);

  // Each drill (3 incremental datagrams, then the next snapshot cycle) starts once the client
  // behind the relay has synced and recovered from the drill before, as its status lines say;
  // then the test stops the clients.
  int drills = 0;
  const auto synced_past = [&](std::uint64_t recoveries) {
    const MdStatus status = md_status(behind);
    return status.recoveries > recoveries && !status.recovering;
  };
  // Synced: book traffic flows and its status says no recovery is under way (its first
  // datagrams may have needed one, or, when it joined before any update, not).
  EXPECT_TRUE(record_until(
      recorder,
      [&] {
        const MdStatus status = md_status(behind);
        return recorder.adds() >= 10 && status.printed && !status.recovering;
      },
      [] {}, kEventLimit))
      << "the client behind the relay never synced:\n"
      << behind.out();
  for (int i = 0; i < kDrills; ++i) {
    const std::uint64_t before = md_status(behind).recoveries;
    relay.drill(3);
    ++drills;
    const bool recovered = record_until(
        recorder, [&] { return relay.drill_done() && synced_past(before); }, [] {}, kEventLimit);
    EXPECT_TRUE(recovered) << "drill " << drills << ": no recovery within "
                           << std::chrono::duration_cast<std::chrono::seconds>(kEventLimit).count()
                           << " s (the cycle " << (relay.drill_done() ? "was" : "was not")
                           << " dropped):\n"
                           << behind.out();
    if (!recovered)
      break;
  }
  stop_all({&maker, &random, &behind});
  run_until_clients_exit({&maker, &random, &behind}, recorder, [] {});
  relay.stop();

  for (TradingClient* client : {&maker, &random, &behind}) {
    ASSERT_TRUE(client->exit_code.has_value()) << client->name << " did not exit";
    EXPECT_EQ(*client->exit_code, 0) << client->name << ":\n" << client->out() << client->err();
  }
  fmt::print(
      "\nrelay: forwarded {} datagrams, lost {} incremental datagrams and {} whole snapshot "
      "cycles in {} drills, {} send failures\n",
      relay.forwarded(), relay.incremental_dropped(), relay.cycles_dropped(), drills,
      relay.send_failures());
  print_recoveries("recoveries of the client behind the relay", {&behind}, {behind.name});
  EXPECT_EQ(drills, kDrills);
  EXPECT_EQ(relay.cycles_dropped(), static_cast<std::uint64_t>(kDrills));
  EXPECT_EQ(relay.send_failures(), 0U);
  // Every drill is seen as a gap and every recovery started ends (the book check below shows
  // it ends right): one per drill (and one for the first sync when the client joined after
  // the first update; a drill that lands while that one is under way joins it).
  const Recoveries r = recoveries_of(behind.out());
  EXPECT_GE(r.gaps, kDrills) << behind.out();
  EXPECT_GE(r.started, kDrills) << behind.out();
  EXPECT_EQ(r.completed, r.started) << behind.out();
  EXPECT_TRUE(test::dump_matches_recording(behind.name, behind.book_file, recorder, {1}));
  for (TradingClient* client : {&maker, &random, &behind})
    std::remove(client->book_file.c_str());

  exchange->signal(SIGTERM);
  EXPECT_EQ(exchange->wait_exit(10s), 0);
}

}  // namespace
}  // namespace llt::trading
