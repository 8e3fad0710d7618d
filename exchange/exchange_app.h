#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "common/stats/latency_report.h"
#include "exchange/exchange_journal.h"
#include "exchange/exchange_messages.h"
#include "exchange/exchange_options.h"
#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/market_data/md_replay_server.h"
#include "exchange/market_data/snapshot_synthesizer.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/order_server.h"
#include "exchange/snapshot/snapshot_writer.h"

namespace llt::exchange {

// How the command line's options map onto each agent's options (start-up). ExchangeApp wires
// its agents with these; a benchmark that wires them differently uses them too.
[[nodiscard]] MatchingEngineOptions engine_options(const ExchangeOptions& o);
[[nodiscard]] OrderServerOptions order_server_options(const ExchangeOptions& o);
[[nodiscard]] MarketDataPublisherOptions publisher_options(const ExchangeOptions& o);
[[nodiscard]] SnapshotSynthesizerOptions synthesizer_options(const ExchangeOptions& o);
// The replay agent's options (its port: md_replay_port_of(o), which is 0 when it is off).
[[nodiscard]] MdReplayServerOptions md_replay_options(const ExchangeOptions& o);
[[nodiscard]] common::RunnerOptions runner_options(const ExchangeOptions& o);

// The whole exchange in one object: the agents (order server, matching engine, market data
// publisher, snapshot synthesizer, and the market data replay agent unless --md-replay-port is
// 0), the queues between them, and the runner that places them on threads. The executable's
// main() and the in-process tests and benchmarks build it the same way.
//
//   TCP -> OrderServer -> [requests] -> MatchingEngine -> [responses] -> OrderServer -> TCP
//                                                       -> [updates] -> MarketDataPublisher
//          -> UDP incremental stream, [published] -> SnapshotSynthesizer -> UDP snapshots
//          -> [replay ring] -> MdReplayServer -> TCP replay answers
//
// Thread contract: construct, start, stop and the reports on one controlling thread;
// status_line() from that thread while the agents run.
// What start-up found in the journal (docs/recovery.md).
struct ExchangeRecovery {
  bool journaled = false;                 // --journal-dir was given
  std::string snapshot;                   // the snapshot restored (file name), or empty
  std::uint64_t snapshot_index = 0;       // the first journal record it does not include
  std::uint64_t records_in_snapshot = 0;  // journal records the snapshot holds (not replayed)
  std::uint64_t records = 0;              // journal records replayed
  std::uint64_t requests = 0;             // of which went through the engine
  std::uint64_t clients = 0;              // client ids of the day
  std::uint64_t owed_cancels = 0;         // cancel-on-disconnects the stop left undone, applied now
  std::uint64_t md_seq = 0;               // last market data number of the recovered day
  std::uint64_t elapsed_ns = 0;           // scan and replay
  std::string torn_tail;                  // empty, or what was cut off the journal's end
};

class ExchangeApp {
 public:
  // Queue capacities, in elements. Generous so a burst is absorbed; a full queue is
  // back-pressure (the upstream agent waits), never loss.
  static constexpr std::size_t kRequestQueueCapacity = 1 << 16;
  static constexpr std::size_t kResponseQueueCapacity = 1 << 18;
  static constexpr std::size_t kUpdateQueueCapacity = 1 << 18;
  static constexpr std::size_t kPublishedQueueCapacity = 1 << 16;
  // Market data records a state snapshot keeps for the replay server (at most
  // --md-replay-depth).
  static constexpr std::size_t kSnapshotMdTail = 1 << 16;

  // Start-up: allocates every queue, book and buffer, binds the order entry port and opens
  // both multicast senders; with --journal-dir, replays the journal (the day resumes) before
  // any connection is served. Throws std::invalid_argument naming a bad option,
  // std::system_error naming the address and errno text when a socket cannot be set up, and
  // JournalError naming the file and offset of a corrupt or foreign journal.
  // `audit_log` (optional, must outlive the app): the audit log's lines (docs/operations.md,
  // Audit log), written from the order server's and the matching engine's threads; the
  // journal's replay at start-up writes none.
  explicit ExchangeApp(const ExchangeOptions& options, common::Logger* audit_log = nullptr);
  ~ExchangeApp();

  ExchangeApp(const ExchangeApp&) = delete;
  ExchangeApp& operator=(const ExchangeApp&) = delete;

  void start();
  // Stops the agents (each finishes its current pass) and joins their threads. Idempotent.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept { return order_server_->port(); }
  [[nodiscard]] const ExchangeOptions& options() const noexcept { return options_; }

  // One status line: sessions, requests/s since the previous call, trades, resting orders
  // per ticker (as of the last snapshot), the top of each book (best bid and ask with their
  // sizes, last trade), market data and drops. Cold.
  [[nodiscard]] std::string status_line();

  // --stats-csv (docs/operations.md, Charts of a run): the column names after time_s, and one
  // row of their values; interval_s is the time since the previous row. Any thread; cold.
  [[nodiscard]] std::string stats_csv_header() const;
  [[nodiscard]] std::string stats_csv_row(double interval_s);

  // Trades of every ticker, as the snapshot synthesizer counted them. Any thread.
  [[nodiscard]] std::uint64_t total_trades() const noexcept;

  // Rejects by reason and sessions closed by cause (non-zero ones), one line. Cold.
  [[nodiscard]] std::string breakdown_line() const;

  // The per-hop latency histograms (ns), in pipeline order: after stop(), the exit's latency
  // table, --latency-csv and the summary's percentiles.
  [[nodiscard]] std::vector<common::LatencyHop> latency_hops() const;

  [[nodiscard]] const ExchangeRecovery& recovery() const noexcept { return recovery_; }
  // The journal, or nullptr without --journal-dir.
  [[nodiscard]] const ExchangeJournal* journal() const noexcept { return journal_.get(); }
  // The periodic snapshots, or nullptr (no journal, or --journal-snapshot-records 0).
  [[nodiscard]] const SnapshotWriter* snapshot_writer() const noexcept {
    return snapshot_writer_.get();
  }
  [[nodiscard]] SnapshotWriter* snapshot_writer() noexcept { return snapshot_writer_.get(); }
  // A journal write failed: nothing more can be acknowledged; the process must stop.
  [[nodiscard]] bool failed() const noexcept { return order_server_->journal_failed(); }

  [[nodiscard]] const OrderServer& order_server() const noexcept { return *order_server_; }
  [[nodiscard]] const MatchingEngine& engine() const noexcept { return *engine_; }
  // "1: 9950x10/10050x9 last 10010x3, 2: -/- last -": the top of each book, in --tickers
  // order (docs/operations.md, Status lines). Any thread; cold.
  [[nodiscard]] std::string top_of_books() const;
  [[nodiscard]] const MarketDataPublisher& publisher() const noexcept { return *publisher_; }
  [[nodiscard]] const SnapshotSynthesizer& synthesizer() const noexcept { return *synthesizer_; }
  // The market data replay agent, or nullptr when --md-replay-port is 0.
  [[nodiscard]] const MdReplayServer* md_replay() const noexcept { return md_replay_.get(); }
  // With --stage-costs: where the agents' time went (docs/architecture.md, Stage costs), in
  // ns per request received; "" without it. Read after stop(), or live with relaxed figures.
  // Cold.
  [[nodiscard]] std::string stage_costs_table() const;

 private:
  // Start-up with --journal-dir: scans (repairing a torn tail) and replays the journal through
  // the engine, opens it for appending, and applies the cancel-on-disconnects owed.
  void recover();

  ExchangeOptions options_;
  RequestQueue requests_{kRequestQueueCapacity};
  ResponseQueue responses_{kResponseQueueCapacity};
  UpdateQueue updates_{kUpdateQueueCapacity};
  PublishedUpdateQueue published_{kPublishedQueueCapacity};
  std::unique_ptr<MatchingEngine> engine_;
  std::unique_ptr<OrderServer> order_server_;
  std::unique_ptr<MarketDataPublisher> publisher_;
  std::unique_ptr<SnapshotSynthesizer> synthesizer_;
  std::unique_ptr<MdReplayRing> md_replay_ring_;
  std::unique_ptr<MdReplayServer> md_replay_;
  std::unique_ptr<ExchangeJournal> journal_;
  ExchangeRecovery recovery_;
  std::unique_ptr<SnapshotWriter> snapshot_writer_;
  std::unique_ptr<ResponseSender> response_sender_;  // shared threading only
  std::unique_ptr<common::StageCosts> stage_costs_;  // --stage-costs only
  std::unique_ptr<common::AgentRunner> runner_;
  std::uint64_t last_requests_ = 0;
  std::uint64_t last_status_ns_ = 0;
  // The counters of the previous --stats-csv row, for its rates.
  struct CsvBase {
    std::uint64_t requests = 0;
    std::uint64_t responses = 0;
    std::uint64_t md_updates = 0;
  };
  CsvBase csv_base_;
};

}  // namespace llt::exchange
