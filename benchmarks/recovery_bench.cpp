// How long an exchange takes to resume a trading day from its journal (docs/recovery.md):
// the start-up scan of the journal files (checksums) plus the replay of every request through
// the matching engine, the numbering of every response into its client's stream and of every
// market data update. Beside it, the floor: the scan alone (JournalReader, the parse speed).
// "ours/scan_only" says how much the replay adds to reading the bytes.
//
// The day: 8 clients, each one LOGON, then NEW and CANCEL pairs around a mid price, one NEW in
// ten priced to cross (so the replay matches and trades too), written with JournalWriter into
// a fresh directory under the temp dir (removed at exit).

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

// The whole recovery, as the exchange does it at start-up (manual time: the recovery's own
// clock, not the socket set-up around it).
void recovery(benchmark::State& state) {
  const std::filesystem::path& directory = journal_of(state.range(0));
  llt::bench::pin_to(llt::bench::kMainCpu);
  for (auto _ : state) {
    llt::exchange::ExchangeOptions options;
    options.port = 0;
    options.market_data.multicast_port = random_port();
    options.market_data.snapshot_port =
        static_cast<std::uint16_t>(options.market_data.multicast_port + 1);
    options.tickers = {1};
    options.max_orders = 1 << 20;
    options.journal_dir = directory.string();
    options.process.stats_interval_s = 0;
    const llt::exchange::ExchangeApp app(options);
    state.SetIterationTime(static_cast<double>(app.recovery().elapsed_ns) / 1e9);
    if (app.recovery().requests < static_cast<std::uint64_t>(state.range(0))) {
      state.SkipWithError("the journal was not replayed whole");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
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
    ->Arg(1'000'000)
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
    ->Arg(10'000'000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(scan_only)
    ->Name("recovery_10M/scan_only")
    ->Arg(10'000'000)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  const int status = llt::bench::run_and_report(argc, argv);
  for (const std::int64_t size : {1'000'000, 10'000'000}) {
    std::filesystem::remove_all(day_directory(size));
  }
  return status;
}
