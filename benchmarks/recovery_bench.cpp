// How long an exchange takes to resume a trading day from its journal (docs/recovery.md):
// the start-up scan of the journal files (checksums) plus the replay of every request through
// the matching engine, the numbering of every response into its client's stream and of every
// market data update. Beside it, the floor: the scan alone (JournalReader, the parse speed).
// "ours/scan_only" says how much the replay adds to reading the bytes. "one_thread": the same
// replay with the engine on the exchange's start-up thread (no agent CPU given, that thread
// pinned), beside the engine on a thread of its own on the agent CPU ("ours").
//
// The day: 8 clients, each one LOGON, then NEW and CANCEL pairs around a mid price, one NEW in
// ten priced to cross (so the replay matches and trades too), written with JournalWriter into
// a fresh directory under the temp dir (removed at exit).
//
// With state snapshots (docs/snapshots.md): "snapshot_at_90pct" restores a snapshot
// of the day after 90% of its records and replays the rest (a crash between two snapshots);
// "snapshot_at_end" restores one that holds the whole day (a clean stop); "snapshot_write"
// is what one snapshot of the whole day costs the snapshot writer's thread (capture + write +
// fsync). Each snapshot holds each client's newest 65,536 responses
// (--journal-snapshot-responses).

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "benchmarks/bench_report.h"
#include "exchange/exchange_app.h"
#include "exchange/exchange_journal.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "exchange/snapshot/day_replay.h"
#include "exchange/snapshot/state_snapshot.h"

namespace {

using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::JournalRecordKind;
using llt::exchange::RejectReason;

constexpr std::uint32_t kClients = 8;

std::filesystem::path day_directory(std::int64_t requests) {
  return std::filesystem::temp_directory_path() /
         ("llt_bench_recovery_" + std::to_string(::getpid()) + "_" + std::to_string(requests));
}

// Writes (once per size) a journal of `requests` requests; returns its directory.
const std::filesystem::path& journal_of(std::int64_t requests) {
  static std::map<std::int64_t, std::filesystem::path> days;
  auto found = days.find(requests);
  if (found != days.end()) {
    return found->second;
  }
  const std::filesystem::path directory = day_directory(requests);
  std::filesystem::remove_all(directory);
  std::filesystem::create_directories(directory);
  llt::exchange::JournalWriterOptions options;
  options.directory = directory;
  options.batch_records = 4096;
  llt::exchange::JournalWriter writer(options, llt::exchange::JournalScan{});
  std::uint64_t next_seq[kClients + 1] = {};
  std::uint64_t next_order[kClients + 1] = {};
  for (std::uint32_t client = 1; client <= kClients; ++client) {
    ClientRequest logon{};
    logon.msg_type = ClientRequestType::kLogon;
    logon.client_id = client;
    logon.seq_num = 1;
    next_seq[client] = 1;
    (void)writer.append(JournalRecordKind::kLogon, RejectReason::kNone, logon);
  }
  std::mt19937_64 random(42);
  for (std::int64_t i = 0; i < requests; ++i) {
    const auto client = static_cast<std::uint32_t>(1 + (i / 2) % kClients);
    ClientRequest request{};
    request.client_id = client;
    request.seq_num = next_seq[client]++;
    request.ticker_id = 1;
    if (i % 2 == 0) {
      const bool buy = client % 2 == 0;
      const bool cross = random() % 10 == 0;
      const auto offset = static_cast<std::int64_t>(random() % 50);
      request.msg_type = ClientRequestType::kNew;
      request.order_id = ++next_order[client];
      request.side = buy ? llt::exchange::Side::kBuy : llt::exchange::Side::kSell;
      request.price = buy ? (cross ? 10'060 : 9'999 - offset) : (cross ? 9'940 : 10'001 + offset);
      request.qty = 10;
    } else {
      request.msg_type = ClientRequestType::kCancel;
      request.order_id = next_order[client];
    }
    (void)writer.append(JournalRecordKind::kRequest, RejectReason::kNone, request);
  }
  if (!writer.commit()) {
    throw std::runtime_error("cannot write the benchmark's journal in " + directory.string());
  }
  return days.emplace(requests, directory).first->second;
}

std::uint16_t random_port() {
  std::random_device device;
  return static_cast<std::uint16_t>(20'000 + device() % 12'000);
}

// agent_cpu: the exchange is given an agent CPU (--cpus), the one this benchmark's thread does
// not run on, so the replay's engine thread runs there (docs/recovery.md, Replay on two
// threads); without it, and with this thread pinned, the replay runs on this thread alone.
llt::exchange::ExchangeOptions exchange_options(const std::filesystem::path& directory,
                                                bool agent_cpu = true) {
  llt::exchange::ExchangeOptions options;
  if (agent_cpu) {
    options.process.cpus = {llt::bench::kPeerCpu};
  }
  options.port = 0;
  options.market_data.multicast_port = random_port();
  options.market_data.snapshot_port =
      static_cast<std::uint16_t>(options.market_data.multicast_port + 1);
  options.tickers = {1};
  options.max_orders = 1 << 20;
  options.journal_dir = directory.string();
  options.journal_snapshot_records = 0;  // the benchmark's own snapshots only
  options.process.stats_interval_s = 0;
  return options;
}

// The whole recovery, as the exchange does it at start-up (manual time: the recovery's own
// clock, not the socket set-up around it).
void recovery(benchmark::State& state) {
  const std::filesystem::path& directory = journal_of(state.range(0));
  llt::bench::pin_to(llt::bench::kMainCpu);
  for (auto _ : state) {
    const llt::exchange::ExchangeApp app(exchange_options(directory, state.range(1) != 0));
    state.SetIterationTime(static_cast<double>(app.recovery().elapsed_ns) / 1e9);
    if (app.recovery().requests < static_cast<std::uint64_t>(state.range(0))) {
      state.SkipWithError("the journal was not replayed whole");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The day after its first `records` journal records, replayed as the exchange's snapshot
// writer replays it, in an engine and streams configured as exchange_options() configures
// the exchange's.
struct ReplayedDay {
  ReplayedDay(const std::filesystem::path& directory, std::uint64_t records)
      : options(exchange_options(directory)),
        engine(llt::exchange::engine_options(options), requests, responses, updates),
        streams(options.max_clients, llt::exchange::order_server_options(options).replay_depth),
        replay(engine, requests, responses, updates, streams, directory.string()) {
    (void)llt::exchange::JournalReader(directory).scan(
        [&](const llt::exchange::JournalRecord& record) {
          if (record.index <= records) {
            replay.apply(record);
          }
        },
        false);
    replay.drain();
  }
  // As the snapshot writer captures it.
  [[nodiscard]] llt::exchange::StateSnapshot capture() {
    return replay.capture(options.journal_snapshot_responses);
  }

  llt::exchange::ExchangeOptions options;
  llt::exchange::RequestQueue requests{1 << 14};
  llt::exchange::ResponseQueue responses{1 << 16};
  llt::exchange::UpdateQueue updates{1 << 16};
  llt::exchange::MatchingEngine engine;
  llt::exchange::ClientStreams streams;
  llt::exchange::DayReplay replay;
};

// A copy of the day's journal with a snapshot after `percent`% of its records (once per size and
// fraction); returns its directory.
const std::filesystem::path& journal_with_snapshot(std::int64_t requests, int percent) {
  static std::map<std::pair<std::int64_t, int>, std::filesystem::path> days;
  const auto key = std::make_pair(requests, percent);
  if (auto found = days.find(key); found != days.end()) {
    return found->second;
  }
  const std::filesystem::path& source = journal_of(requests);
  const std::filesystem::path directory = source.string() + "_snapshot_" + std::to_string(percent);
  std::filesystem::remove_all(directory);
  std::filesystem::copy(source, directory);
  const std::uint64_t records =
      (static_cast<std::uint64_t>(requests) + kClients) * static_cast<std::uint64_t>(percent) / 100;
  (void)llt::exchange::write_state_snapshot(directory, ReplayedDay(directory, records).capture());
  return days.emplace(key, directory).first->second;
}

// Recovery from a snapshot: read and restore it, then replay what follows it.
void from_snapshot(benchmark::State& state) {
  const std::filesystem::path& directory =
      journal_with_snapshot(state.range(0), static_cast<int>(state.range(1)));
  llt::bench::pin_to(llt::bench::kMainCpu);
  for (auto _ : state) {
    const llt::exchange::ExchangeApp app(exchange_options(directory));
    state.SetIterationTime(static_cast<double>(app.recovery().elapsed_ns) / 1e9);
    if (app.recovery().snapshot.empty()) {
      state.SkipWithError("the snapshot was not used");
    }
    state.counters["replayed"] = static_cast<double>(app.recovery().records);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// One snapshot of the whole day: capture and write (with its fsync), as the snapshot writer's
// thread does it.
void snapshot_write(benchmark::State& state) {
  const std::filesystem::path& directory = journal_of(state.range(0));
  const std::filesystem::path out = directory.string() + "_snapshot_write";
  std::filesystem::create_directories(out);
  ReplayedDay day(directory, UINT64_MAX);
  std::uintmax_t bytes = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const std::filesystem::path file = llt::exchange::write_state_snapshot(out, day.capture());
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    bytes = std::filesystem::file_size(file);
    std::filesystem::remove(file);
  }
  state.counters["snapshot_MB"] = static_cast<double>(bytes) / 1e6;
  std::filesystem::remove_all(out);
}

// The floor: reading and checking the same files, nothing replayed.
void scan_only(benchmark::State& state) {
  const std::filesystem::path& directory = journal_of(state.range(0));
  llt::bench::pin_to(llt::bench::kMainCpu);
  std::uint64_t sum = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    llt::exchange::JournalReader reader(directory);
    const llt::exchange::JournalScan scan = reader.scan(
        [&](const llt::exchange::JournalRecord& record) { sum += record.request.qty; }, false);
    benchmark::DoNotOptimize(sum);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (scan.records < static_cast<std::uint64_t>(state.range(0))) {
      state.SkipWithError("the journal was not read whole");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(recovery)
    ->Name("recovery_1M/ours")
    ->Args({1'000'000, 1})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scan_only)
    ->Name("recovery_1M/scan_only")
    ->Arg(1'000'000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(recovery)
    ->Name("recovery_10M/ours")
    ->Args({10'000'000, 1})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(recovery)
    ->Name("recovery_10M/one_thread")
    ->Args({10'000'000, 0})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scan_only)
    ->Name("recovery_10M/scan_only")
    ->Arg(10'000'000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(from_snapshot)
    ->Name("recovery_10M/snapshot_at_90pct")
    ->Args({10'000'000, 90})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(from_snapshot)
    ->Name("recovery_10M/snapshot_at_end")
    ->Args({10'000'000, 100})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(snapshot_write)
    ->Name("snapshot_write_10M")
    ->Arg(10'000'000)
    ->Iterations(2)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  const int status = llt::bench::run_and_report(argc, argv);
  for (const std::int64_t size : {1'000'000, 10'000'000}) {
    std::filesystem::remove_all(day_directory(size));
    for (const int percent : {90, 100}) {
      std::filesystem::remove_all(day_directory(size).string() + "_snapshot_" +
                                  std::to_string(percent));
    }
  }
  return status;
}
