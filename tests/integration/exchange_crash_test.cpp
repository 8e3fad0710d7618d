// The durable exchange killed with SIGKILL at random moments under three trading clients and
// restarted each time on the same port and journal: every client exits 0 and agrees with the
// exchange on both streams of its session (every response delivered once, every request
// processed once) and on what it bought and sold; the positions sum to zero per ticker and
// the journal checks clean. docs/recovery.md ("Crash test") says how to run it longer.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "tests/support/child_process.h"
#include "tests/support/json_reader.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/trading_processes.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using test::ChildProcess;
using test::JsonValue;
using test::MdChannel;
using test::TradingClient;

// Kills per run. Sanitized builds start and replay several times slower (ThreadSanitizer
// most): fewer kills there keep the file's run time bounded; the release build runs 40 in all.
#if defined(__SANITIZE_THREAD__)
constexpr int kDefaultKills = 2;
#elif defined(LLT_SANITIZED)
constexpr int kDefaultKills = 4;
#else
constexpr int kDefaultKills = 10;
#endif
constexpr int kMinIntervalMs = 100;  // from the exchange's "order entry on" to its kill
constexpr int kMaxIntervalMs = 500;
// The clients trade this long before the first kill, and this long after every one of them
// has logged on again to the last restarted exchange (reconnect, replay, resend, trade
// again); then the test stops them with SIGTERM. Nothing depends on how long a restart took.
constexpr auto kWarmUp = 1000ms;
constexpr auto kTail = 1500ms;
// How long the clients may take to log on again after the last restart.
constexpr auto kRelogonLimit = 30s;
// How long the last kill of a snapshot run waits for the day's first snapshot file.
constexpr auto kSnapshotLimit = 30s;

// Waits up to `limit` for a state snapshot file ("snapshot-*.llts") in the journal directory.
bool wait_for_snapshot_file(const std::string& journal_dir, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(journal_dir, error)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("snapshot-", 0) == 0 && entry.path().extension() == ".llts")
        return true;
    }
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

// LLT_CRASH_KILLS=N overrides the kills per run (a long run by hand).
int kills_per_run() {
  const char* text = std::getenv("LLT_CRASH_KILLS");
  if (text == nullptr || *text == '\0')
    return kDefaultKills;
  return std::max(1, std::atoi(text));
}

// Removes the run's directory (journal, summaries, book dumps) however the test ends.
class TempDir {
 public:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CrashRun {
  const char* sync;
  std::uint32_t seed;
  // --journal-snapshot-records (0: none); with snapshots the run also prunes.
  std::uint32_t snapshot_records = 0;
};

std::vector<std::string> exchange_args(std::uint16_t port, const MdChannel& md,
                                       const std::string& journal_dir, const std::string& sync,
                                       const std::string& summary, std::uint32_t snapshot_records) {
  std::vector<std::string> args =
      test::joined_args({"--port", std::to_string(port), "--tickers", "1,2", "--max-orders",
                         "16384", "--snapshot-interval-ms", "200", "--stats-interval", "0",
                         "--journal-dir", journal_dir, "--journal-sync", sync, "--summary-json",
                         summary, "--journal-snapshot-records", std::to_string(snapshot_records),
                         // Not this test's subject; its 48 MB ring slows sanitized restarts.
                         "--md-replay-port", "0"},
                        test::md_flags(md));
  if (snapshot_records != 0) {
    args.emplace_back("--journal-prune");
  }
  return args;
}

// Starts the exchange and waits for its "order entry on" line. A start whose bind fails (the
// port still held by the killed process's connections) exits at once: tried again a few
// times. Returns the exchange and sets `port`, or nullptr with `why`.
std::unique_ptr<ChildProcess> start_exchange(const std::vector<std::string>& args,
                                             std::uint16_t& port, std::string& why) {
  const std::string marker = "order entry on 127.0.0.1:";
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto exchange = std::make_unique<ChildProcess>(LLT_EXCHANGE_BINARY, args);
    const auto deadline = std::chrono::steady_clock::now() + test::kStartupLimit;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = exchange->stdout_text();
      const std::size_t at = out.find(marker);
      if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        port = static_cast<std::uint16_t>(std::stoul(out.substr(at + marker.size())));
        return exchange;
      }
      if (exited)
        break;
      exited = exchange->wait_exit(0ms).has_value();
      if (!exited)
        std::this_thread::sleep_for(2ms);
    }
    why = exchange->stdout_text() + exchange->stderr_text();
    if (!exited)
      return nullptr;  // hung in start-up: the destructor kills it
    std::this_thread::sleep_for(200ms);
  }
  return nullptr;
}

std::int64_t sum_over_tickers(const JsonValue& summary, const std::string& key) {
  std::int64_t sum = 0;
  for (const JsonValue& ticker : summary["tickers"].elements)
    sum += ticker[key].integer();
  return sum;
}

void PrintTo(const CrashRun& run, std::ostream* out) {
  *out << "sync " << run.sync << " seed " << run.seed << " snapshots every "
       << run.snapshot_records;
}

class ExchangeCrash : public ::testing::TestWithParam<CrashRun> {};

TEST_P(ExchangeCrash, clients_lose_no_response_request_or_fill_across_kill_9_and_restarts) {
  const CrashRun run = GetParam();
  const int kills = kills_per_run();
  const TempDir dir(::testing::TempDir() + "llt_crash_" + std::to_string(::getpid()) + "_" +
                    std::to_string(run.seed));
  const std::string journal_dir = dir.file("journal");
  const std::string exchange_summary = dir.file("exchange.json");
  const MdChannel md = test::md_random_channel();

  std::uint16_t port = 0;
  std::string why;
  const auto first_start = std::chrono::steady_clock::now();
  auto exchange = start_exchange(
      exchange_args(0, md, journal_dir, run.sync, exchange_summary, run.snapshot_records), port,
      why);
  ASSERT_NE(exchange, nullptr) << why;
  const auto first_start_took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - first_start);

  std::mt19937 rng(run.seed);
  std::uniform_int_distribution<int> interval_ms(kMinIntervalMs, kMaxIntervalMs);
  std::vector<std::chrono::milliseconds> intervals;
  for (int i = 0; i < kills; ++i)
    intervals.emplace_back(interval_ms(rng));
  const std::vector<std::string> args =
      exchange_args(port, md, journal_dir, run.sync, exchange_summary, run.snapshot_records);

  const std::string prefix = dir.file("");
  std::vector<TradingClient> clients;
  const std::vector<std::string> session{"--reconnect-max-ms", "200", "--ticker", "1,2"};
  clients.push_back({"maker",
                     11,
                     test::joined_args({"--strategy", "market-maker", "--keep-orders"}, session),
                     "",
                     {},
                     {}});
  clients.push_back(
      {"taker",
       22,
       test::joined_args({"--strategy", "liquidity-taker", "--signal-threshold", "0.1"}, session),
       "",
       {},
       {}});
  clients.push_back({"random",
                     33,
                     test::joined_args({"--strategy", "random", "--orders-per-second", "50",
                                        "--random-seed", std::to_string(run.seed)},
                                       session),
                     "",
                     {},
                     {}});
  for (TradingClient& client : clients)
    client.flags =
        test::joined_args(client.flags, {"--summary-json", prefix + client.name + ".json"});

  const auto maker_head = 300ms;  // the market maker quotes first
  // The clients run until the test stops them; this duration only ends them should the test
  // itself die first (every kill, restart and re-logon within its limit, and room to spare).
  const auto longest =
      kWarmUp +
      kills * (std::chrono::milliseconds(kMaxIntervalMs) +
               std::chrono::duration_cast<std::chrono::milliseconds>(test::kStartupLimit)) +
      kRelogonLimit + kTail + 120s;
  const double cap_s = static_cast<double>(longest.count()) / 1000.0;
  clients[0].start(port, md, cap_s, prefix);
  std::this_thread::sleep_for(maker_head);
  clients[1].start(port, md, cap_s, prefix);
  clients[2].start(port, md, cap_s, prefix);
  std::this_thread::sleep_for(kWarmUp);

  int kills_done = 0;
  std::vector<std::size_t> logons_before;
  std::chrono::milliseconds slowest_restart{0};
  std::chrono::milliseconds restarts_total{0};
  int torn_tails = 0;
  int snapshot_restarts = 0;
  std::string last_journal_line;
  for (const std::chrono::milliseconds interval : intervals) {
    std::this_thread::sleep_for(interval);
    if (run.snapshot_records != 0 && kills_done == kills - 1 && snapshot_restarts == 0) {
      // The last restart of a snapshot run starts from one: a loaded machine trades slower,
      // and the day may not have reached the first snapshot yet.
      EXPECT_TRUE(wait_for_snapshot_file(journal_dir, kSnapshotLimit))
          << "no snapshot within "
          << std::chrono::duration_cast<std::chrono::seconds>(kSnapshotLimit).count() << " s";
    }
    // Any logon line after this one is to a later process: the killed one accepts no more.
    logons_before.clear();
    for (TradingClient& client : clients)
      logons_before.push_back(client.logons_logged());
    exchange->signal(SIGKILL);
    const auto code = exchange->wait_exit(test::kStartupLimit);
    ASSERT_TRUE(code.has_value()) << "the killed exchange did not end";
    ASSERT_EQ(*code, 128 + SIGKILL) << exchange->stdout_text() << exchange->stderr_text();
    ++kills_done;
    std::uint16_t again = 0;
    const auto restart_begin = std::chrono::steady_clock::now();
    exchange = start_exchange(args, again, why);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - restart_begin);
    slowest_restart = std::max(slowest_restart, took);
    restarts_total += took;
    ASSERT_NE(exchange, nullptr) << "restart " << kills_done << ": " << why;
    ASSERT_EQ(again, port);
    const std::string out = exchange->stdout_text();
    torn_tails += out.find("torn tail cut off") != std::string::npos ? 1 : 0;
    snapshot_restarts += out.find("restored snapshot") != std::string::npos ? 1 : 0;
    const std::size_t line = out.find("exchange: journal ");
    if (line != std::string::npos)
      last_journal_line = out.substr(line, out.find('\n', line) - line);
  }
  if (run.snapshot_records != 0) {
    EXPECT_GT(snapshot_restarts, 0) << "no restart started from a snapshot";
  }

  // Every client logs on to the last exchange (a logon line more than it had at the last
  // kill), trades on for the tail, and is stopped: it winds down and logs out.
  const auto relogon_deadline = std::chrono::steady_clock::now() + kRelogonLimit;
  const auto all_logged_on_again = [&] {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (clients[i].logons_logged() <= logons_before[i] && !clients[i].poll_exit())
        return false;  // one that ended early: the exit code assertion below says why
    }
    return true;
  };
  while (std::chrono::steady_clock::now() < relogon_deadline && !all_logged_on_again())
    std::this_thread::sleep_for(10ms);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_GT(clients[i].logons_logged(), logons_before[i])
        << clients[i].name << " did not log on again within "
        << std::chrono::duration_cast<std::chrono::seconds>(kRelogonLimit).count()
        << " s of the last restart:\n"
        << clients[i].err();
  }
  std::this_thread::sleep_for(kTail);
  for (TradingClient& client : clients)
    client.process->signal(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         !std::all_of(clients.begin(), clients.end(),
                      [](TradingClient& client) { return client.poll_exit(); })) {
    std::this_thread::sleep_for(10ms);
  }
  exchange->signal(SIGTERM);
  const auto exchange_code = exchange->wait_exit(30s);
  ASSERT_TRUE(exchange_code.has_value()) << "the exchange did not stop on SIGTERM";
  EXPECT_EQ(*exchange_code, 0) << exchange->stderr_text();

  std::string error;
  const auto exchange_json = test::JsonReader::parse_file(exchange_summary, &error);
  ASSERT_TRUE(exchange_json.has_value()) << error;
  const JsonValue& streams = (*exchange_json)["clients"];
  std::printf(
      "sync %s seed %u: %d kills; restarts took %lld ms on average, at most %lld (the first start "
      "%lld); "
      "%d torn tails cut off, %d started from a snapshot\nthe last restart: %s\n",
      run.sync, run.seed, kills_done,
      static_cast<long long>(kills_done == 0 ? 0 : restarts_total.count() / kills_done),
      static_cast<long long>(slowest_restart.count()),
      static_cast<long long>(first_start_took.count()), torn_tails, snapshot_restarts,
      last_journal_line.c_str());

  std::map<std::int64_t, std::int64_t> position_by_ticker;
  for (TradingClient& client : clients) {
    ASSERT_TRUE(client.exit_code.has_value()) << client.name << " did not exit";
    EXPECT_EQ(*client.exit_code, 0) << client.name << ":\n" << client.out() << client.err();
    const auto summary = test::JsonReader::parse_file(prefix + client.name + ".json", &error);
    ASSERT_TRUE(summary.has_value()) << client.name << ": " << error;
    const JsonValue& s = (*summary)["session"];
    const std::string id = std::to_string(client.client_id);
    ASSERT_TRUE(streams.has(id)) << "the exchange has no streams of client " << id;
    const JsonValue& stream = streams[id];
    std::printf(
        "%s: logons %lld replayed %lld duplicates %lld resent %lld; next request %lld, last "
        "response %lld\n",
        client.name.c_str(), static_cast<long long>(s["logons"].integer()),
        static_cast<long long>(s["replayed_responses"].integer()),
        static_cast<long long>(s["duplicate_responses"].integer()),
        static_cast<long long>(s["resent_requests"].integer()),
        static_cast<long long>(s["next_request_seq"].integer()),
        static_cast<long long>(s["last_response_seq"].integer()));
    EXPECT_EQ(s["last_response_seq"].integer(), stream["next_response"].integer() - 1)
        << client.name << ": responses lost";
    EXPECT_EQ(s["next_request_seq"].integer(), stream["next_request"].integer())
        << client.name << ": requests lost";
    EXPECT_EQ(sum_over_tickers(*summary, "bought"), stream["bought"].integer())
        << client.name << ": fills lost or doubled";
    EXPECT_EQ(sum_over_tickers(*summary, "sold"), stream["sold"].integer())
        << client.name << ": fills lost or doubled";
    for (const JsonValue& ticker : (*summary)["tickers"].elements)
      position_by_ticker[ticker["ticker"].integer()] += ticker["position"].integer();
  }
  for (const auto& [ticker, position] : position_by_ticker)
    EXPECT_EQ(position, 0) << "ticker " << ticker;

  ChildProcess check(LLT_EXCHANGE_BINARY, {"--journal-check", journal_dir});
  const auto check_code = check.wait_exit(60s);
  ASSERT_TRUE(check_code.has_value()) << "the journal check did not end";
  EXPECT_EQ(*check_code, 0) << check.stdout_text() << check.stderr_text();
}

// ThreadSanitizer builds run one seed per sync mode (one of them with snapshots): its restarts
// are the slowest, and the other builds run all four.
#if defined(__SANITIZE_THREAD__)
const auto kCrashRuns = ::testing::Values(CrashRun{"none", 2, 400}, CrashRun{"batch", 3});
#else
const auto kCrashRuns = ::testing::Values(CrashRun{"none", 1}, CrashRun{"none", 2, 400},
                                          CrashRun{"batch", 3}, CrashRun{"batch", 4, 400});
#endif

INSTANTIATE_TEST_SUITE_P(SyncAndSeed, ExchangeCrash, kCrashRuns,
                         [](const ::testing::TestParamInfo<CrashRun>& info) {
                           return std::string("sync_") + info.param.sync + "_seed_" +
                                  std::to_string(info.param.seed) +
                                  (info.param.snapshot_records != 0 ? "_snapshots" : "");
                         });

}  // namespace
}  // namespace llt::exchange
