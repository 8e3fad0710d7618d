#include "exchange/exchange_app.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "common/cli/process_main.h"
#include "common/concurrent/thread_utils.h"
#include "common/stats/stats_report.h"
#include "common/time/rdtsc.h"
#include "exchange/snapshot/day_replay.h"
#include "exchange/snapshot/state_snapshot.h"

namespace llt::exchange {

MatchingEngineOptions engine_options(const ExchangeOptions& o) {
  MatchingEngineOptions options;
  options.tickers = o.tickers;
  options.book.max_orders = o.max_orders;
  options.book.self_trade_prevention = o.self_trade_prevention;
  return options;
}

OrderServerOptions order_server_options(const ExchangeOptions& o) {
  OrderServerOptions options;
  options.address = o.listen_addr;
  options.port = o.port;
  options.max_sessions = o.max_sessions;
  options.heartbeat_timeout = std::chrono::milliseconds(o.heartbeat_timeout_ms);
  options.max_orders_per_second = o.max_orders_per_second;
  options.max_clients = o.max_clients;
  options.io = o.io;
  options.replay_depth = o.replay_depth != 0     ? o.replay_depth
                         : o.journal_dir.empty() ? std::size_t{1} << 16
                                                 : std::size_t{1} << 20;
  return options;
}

MarketDataPublisherOptions publisher_options(const ExchangeOptions& o) {
  MarketDataPublisherOptions options;
  options.group = o.market_data.multicast_addr;
  options.port = o.market_data.multicast_port;
  options.interface = o.market_data.interface;
  options.ttl = o.ttl;
  options.heartbeat_ms = o.md_heartbeat_ms;
  return options;
}

SnapshotSynthesizerOptions synthesizer_options(const ExchangeOptions& o) {
  SnapshotSynthesizerOptions options;
  options.group = o.market_data.multicast_addr;
  options.port = o.market_data.snapshot_port;
  options.interface = o.market_data.interface;
  options.ttl = o.ttl;
  options.tickers = o.tickers;
  options.max_orders_per_ticker = o.max_orders;
  options.snapshot_interval_ms = o.snapshot_interval_ms;
  return options;
}

MdReplayServerOptions md_replay_options(const ExchangeOptions& o) {
  MdReplayServerOptions options;
  options.address = o.listen_addr;
  options.port = md_replay_port_of(o);
  options.io = o.io;
  return options;
}

common::RunnerOptions runner_options(const ExchangeOptions& o) {
  return common::runner_options(o.process, "exchange");
}

namespace {

// How many journal records the start-up replays between two looks for a pending stop signal
// (a look is one system call; this many records take about a millisecond).
constexpr std::uint64_t kStopCheckRecords = 16'384;

// With --cpus, the thread that builds the exchange keeps off the agents' CPUs (when any other
// is left), so the background threads it starts -- the order server's ring prefault, the
// snapshot writer -- inherit that and never take a pinned agent's core
// (docs/architecture.md, Threads and idle strategies).
const ExchangeOptions& keeping_off_agent_cpus(const ExchangeOptions& options) {
  (void)common::keep_off_cpus(options.process.cpus);
  return options;
}

}  // namespace

ExchangeApp::ExchangeApp(const ExchangeOptions& options, common::Logger* audit_log)
    : options_(keeping_off_agent_cpus(options)),
      engine_(std::make_unique<MatchingEngine>(engine_options(options), requests_, responses_,
                                               updates_)),
      order_server_(
          std::make_unique<OrderServer>(order_server_options(options), requests_, responses_)),
      publisher_(
          std::make_unique<MarketDataPublisher>(publisher_options(options), updates_, published_)),
      synthesizer_(
          std::make_unique<SnapshotSynthesizer>(synthesizer_options(options), published_)) {
  if (md_replay_port_of(options_) != 0) {
    // Before recover(): the recovered day's updates fill the ring too.
    md_replay_ring_ = std::make_unique<MdReplayRing>(options_.md_replay_depth);
    try {
      md_replay_ = std::make_unique<MdReplayServer>(md_replay_options(options_), *md_replay_ring_);
    } catch (const std::system_error& e) {
      // The port is not one the operator may have typed (by default the multicast port + 2).
      throw std::runtime_error(fmt::format("market data replay (--md-replay-port {}): {}",
                                           md_replay_port_of(options_), e.what()));
    }
    publisher_->set_replay_ring(md_replay_ring_.get());
  }
  if (!options_.journal_dir.empty()) {
    recover();
  }
  // After the replay: the audit log is of what happens live.
  engine_->set_logger(audit_log);
  order_server_->set_logger(audit_log);
  // The replay ring serves what recover() put in it; numbers recovered without their records
  // (none when every update was replayed) are answered NOT_AVAILABLE rather than
  // NOT_YET_PUBLISHED.
  publisher_->end_recovery();
  // Dedicated threading: one thread per agent, in the order of the --cpus list. Shared
  // threading: a pass reads, matches, sends the responses, then publishes, so no response
  // waits behind the multicast of the same events (docs/architecture.md).
  std::vector<common::Agent*> agents{order_server_.get(), engine_.get()};
  if (options_.process.threading == common::ThreadingMode::kShared) {
    response_sender_ = std::make_unique<ResponseSender>(*order_server_);
    agents.push_back(response_sender_.get());
  }
  agents.push_back(publisher_.get());
  agents.push_back(synthesizer_.get());
  if (md_replay_) {
    agents.push_back(md_replay_.get());
  }
  common::RunnerOptions runner = runner_options(options);
  if (options_.process.stage_costs) {
    stage_costs_ = std::make_unique<common::StageCosts>();
    runner.stage_costs = stage_costs_.get();
  }
  runner_ = std::make_unique<common::AgentRunner>(std::move(agents), std::move(runner));
  if (stage_costs_) {
    order_server_->set_stage_costs(stage_costs_.get(), runner_->stage_of(order_server_.get()),
                                   runner_->stage_of(response_sender_.get()));
    publisher_->set_stage_costs(stage_costs_.get(), runner_->stage_of(publisher_.get()));
  }
}

std::string ExchangeApp::stage_costs_table() const {
  if (!stage_costs_) {
    return "";
  }
  return stage_costs_->table(order_server_->counters().requests_received, "request");
}

void ExchangeApp::recover() {
  const std::uint64_t start_ns = common::monotonic_ns();
  recovery_.journaled = true;
  const std::filesystem::path directory(options_.journal_dir);
  // Made with its parents when missing, like mkdir -p.
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (!error && !std::filesystem::is_directory(directory, error) && !error) {
    error = std::make_error_code(std::errc::not_a_directory);
  }
  if (error) {
    throw std::runtime_error(
        fmt::format("--journal-dir {}: cannot use it as the journal's folder: {}",
                    directory.string(), error.message()));
  }
  DayReplay replay(*engine_, requests_, responses_, updates_, order_server_->streams_to_recover(),
                   directory.string());
  // The publisher numbers what the replay publishes, exactly as the live stream did (and puts
  // it in the replay server's ring).
  replay.on_update([this](const MarketUpdate& update) { (void)publisher_->recover(update); });
  // Snapshots carry the last records of the stream, so the replay server serves them after a
  // restart from one.
  const std::size_t md_tail =
      md_replay_ring_ ? std::min<std::size_t>(options_.md_replay_depth, kSnapshotMdTail) : 0;
  replay.keep_md_tail(md_tail);
  // The newest snapshot, then every journal record after it.
  const std::vector<std::filesystem::path> snapshots = list_snapshots(directory);
  if (!snapshots.empty()) {
    const StateSnapshot snapshot = read_state_snapshot(snapshots.back());
    replay.restore(snapshot, snapshots.back().string());
    publisher_->restore_sequence(snapshot.md_seq - snapshot.md_tail.size());
    for (const MarketUpdate& update : snapshot.md_tail) {
      (void)publisher_->recover(update);
    }
    recovery_.snapshot = snapshots.back().filename().string();
    recovery_.snapshot_index = snapshot.next_index;
    recovery_.records_in_snapshot = snapshot.next_index - 1;
  }
  // The engine matches on a thread of its own while this one reads the journal and numbers and
  // keeps what it produces (docs/recovery.md, Replay on two threads): on the first agent CPU,
  // idle until the agents start, when this thread keeps off it; else where the kernel puts it,
  // when this thread may run on two CPUs. Not on a single CPU: the two would take turns.
  const std::vector<int>& cpus = options_.process.cpus;
  const bool agent_cpu = !cpus.empty() && !common::may_run_on(cpus.front());
  if (agent_cpu || common::available_cpus() >= 2) {
    try {
      replay.start_engine_thread(agent_cpu ? std::optional<int>(cpus.front()) : std::nullopt);
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "exchange: replaying the journal on one thread: %s\n", e.what());
    }
  }
  JournalReader reader(directory);
  const JournalScan scan = reader.scan(
      [&](const JournalRecord& record) {
        if (record.index < replay.next_index()) {
          return;  // in the snapshot already
        }
        if (record.index > replay.next_index()) {
          throw JournalError(directory.string(), 0,
                             fmt::format("records {} to {} are neither in the journal nor in a "
                                         "snapshot (the journal starts at record {})",
                                         replay.next_index(), record.index - 1, record.index));
        }
        // A stop asked for during a long replay ends the start-up (docs/recovery.md).
        if (recovery_.records % kStopCheckRecords == 0 && common::stop_signal_pending()) {
          throw common::StartUpStopped(fmt::format(
              "stopped by a signal during start-up, in the journal's replay at record {} ({} "
              "records replayed); the journal is left as it was and is replayed again at the "
              "next start",
              record.index, recovery_.records));
        }
        replay.apply(record);
        ++recovery_.records;
      },
      /*repair=*/true, replay.next_index());
  if (scan.next_index < replay.next_index()) {
    throw JournalError(directory.string(), 0,
                       "the journal ends at record " + std::to_string(scan.next_index - 1) +
                           ", before the snapshot " + recovery_.snapshot + " (it includes up to " +
                           std::to_string(replay.next_index() - 1) + ")");
  }
  replay.drain();
  if (scan.torn_tail) {
    recovery_.torn_tail =
        fmt::format("{} bytes cut at {} offset {} ({})", scan.torn_tail->bytes_cut,
                    scan.torn_tail->file, scan.torn_tail->offset, scan.torn_tail->problem);
  }
  JournalWriterOptions writer;
  writer.directory = directory;
  writer.sync = options_.journal_sync_batch ? JournalSync::kBatch : JournalSync::kNone;
  journal_ = std::make_unique<ExchangeJournal>(writer, scan);
  order_server_->set_journal(journal_.get());
  // Connections the stop ended without their cancel-on-disconnect: journal it, then do it,
  // before any connection is served.
  for (const ClientId client : order_server_->streams_to_recover().owed_cancel()) {
    ClientRequest cancel_all{};
    cancel_all.msg_type = kCancelAllOfClient;
    cancel_all.client_id = client;
    journal_->append(cancel_all);
    if (!journal_->commit()) {
      throw JournalError(
          directory.string(), 0,
          fmt::format("cannot append to the journal: errno {}", journal_->writer().last_errno()));
    }
    replay.apply_input(cancel_all);
    ++recovery_.owed_cancels;
  }
  replay.stop_engine_thread();
  replay.drain();
  recovery_.requests = replay.requests();
  // The synthesizer's books are the engine's: built once from them rather than by applying
  // every update of the day.
  for (const TickerId ticker : engine_->tickers()) {
    engine_->book(ticker)->for_each_by_priority([&](const Order& order, Price price) {
      MarketUpdate add{};
      add.msg_type = MarketUpdateType::kAdd;
      add.order_id = order.market_order_id;
      add.ticker_id = ticker;
      add.side = order.side;
      add.price = price;
      add.qty = order.qty;
      add.priority = order.priority;
      synthesizer_->restore_order(add);
    });
  }
  synthesizer_->restore_position(replay.md_seq(), replay.trades());
  recovery_.clients = order_server_->streams().size();
  recovery_.md_seq = publisher_->stats().last_seq;
  if (options_.journal_snapshot_records != 0) {
    SnapshotWriterOptions snapshots_options;
    snapshots_options.directory = directory;
    snapshots_options.every_records = options_.journal_snapshot_records;
    snapshots_options.prune = options_.journal_prune;
    snapshots_options.kept_responses = options_.journal_snapshot_responses;
    snapshots_options.md_tail = md_tail;
    // The writer's copy starts as the state now (with the responses its snapshots keep).
    const StateSnapshot now = replay.capture(options_.journal_snapshot_responses);
    // A long replay is not done twice: the state it reached is the next restart's start.
    if (recovery_.records >= options_.journal_snapshot_records) {
      (void)write_state_snapshot(directory, now);
      if (options_.journal_prune) {
        (void)SnapshotWriter::prune(directory, now.next_index, stderr);
      }
    }
    snapshot_writer_ = std::make_unique<SnapshotWriter>(
        snapshots_options, engine_options(options_), options_.max_clients,
        order_server_options(options_).replay_depth, now);
  }
  recovery_.elapsed_ns = common::monotonic_ns() - start_ns;
}

ExchangeApp::~ExchangeApp() {
  stop();
}

void ExchangeApp::start() {
  last_status_ns_ = common::monotonic_ns();
  runner_->start();
  if (snapshot_writer_ != nullptr) {
    snapshot_writer_->start();
  }
}

void ExchangeApp::stop() {
  runner_->stop();
  if (snapshot_writer_ != nullptr) {
    snapshot_writer_->stop();
  }
}

std::string ExchangeApp::status_line() {
  const OrderServerCounters server = order_server_->counters();
  const MarketDataPublisherStats md = publisher_->stats();
  const SnapshotSynthesizerStats snap = synthesizer_->stats();
  const std::uint64_t now_ns = common::monotonic_ns();
  const double seconds = static_cast<double>(now_ns - last_status_ns_) / 1e9;
  const double rate =
      seconds > 0 ? static_cast<double>(server.requests_received - last_requests_) / seconds : 0;
  last_requests_ = server.requests_received;
  last_status_ns_ = now_ns;
  std::string trades_by_ticker;
  std::string resting;
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    const std::string_view separator = i == 0 ? "" : " ";
    trades_by_ticker +=
        fmt::format("{}{}:{}", separator, options_.tickers[i], synthesizer_->trades(i));
    resting +=
        fmt::format("{}{}:{}", separator, options_.tickers[i], synthesizer_->resting_orders(i));
  }
  return fmt::format(
             "exchange: sessions {} (logged on {}), requests {} ({:.0f}/s), responses {}, rejects "
             "{}, "
             "trades {} [{}], resting [{}], book [{}], md seq {}, snapshots {}, drops: md {} "
             "responses-without-session {}",
             server.sessions_live, server.sessions_logged_on, server.requests_received, rate,
             server.responses_sent, server.total_rejects(), total_trades(), trades_by_ticker,
             resting, top_of_books(), md.last_seq, snap.snapshots_published, md.updates_lost,
             server.responses_without_session) +
         (journal_ == nullptr
              ? std::string()
              : fmt::format(", journal {} records {} writes {} syncs", journal_->writer().records(),
                            journal_->writer().writes(), journal_->writer().syncs()) +
                    (snapshot_writer_ == nullptr
                         ? std::string()
                         : fmt::format(" {} snapshots (last before record {})",
                                       snapshot_writer_->snapshots(),
                                       snapshot_writer_->last_snapshot_index())));
}

std::uint64_t ExchangeApp::total_trades() const noexcept {
  std::uint64_t trades = 0;
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    trades += synthesizer_->trades(i);
  }
  return trades;
}

std::string ExchangeApp::stats_csv_header() const {
  common::CsvLine line;
  for (const char* name : {"sessions_logged_on", "requests", "responses", "rejects", "trades",
                           "md_updates", "requests_per_s", "responses_per_s", "md_updates_per_s",
                           "response_p50_us", "response_p99_us"}) {
    line.add(name);
  }
  for (const TickerId ticker : options_.tickers) {
    for (const char* name :
         {"bid_cents", "bid_qty", "ask_cents", "ask_qty", "last_cents", "trades", "resting"}) {
      line.add_ticker_column(ticker, name);
    }
  }
  return line.text();
}

std::string ExchangeApp::stats_csv_row(double interval_s) {
  const OrderServerCounters server = order_server_->counters();
  const MarketDataPublisherStats md = publisher_->stats();
  common::CsvLine line;
  line.add(server.sessions_logged_on);
  line.add(server.requests_received);
  line.add(server.responses_sent);
  line.add(server.total_rejects());
  line.add(total_trades());
  line.add(md.last_seq);
  line.add_fixed(common::per_second(server.requests_received, csv_base_.requests, interval_s), 1);
  line.add_fixed(common::per_second(server.responses_sent, csv_base_.responses, interval_s), 1);
  line.add_fixed(common::per_second(md.last_seq, csv_base_.md_updates, interval_s), 1);
  line.add_fixed(common::ns_to_us(server.response_p50_ns), 3);
  line.add_fixed(common::ns_to_us(server.response_p99_ns), 3);
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    const common::TopOfBook top = engine_->top_of_book(i);
    line.add_price(top.bid_price, top.bid_qty);
    line.add(top.bid_qty);
    line.add_price(top.ask_price, top.ask_qty);
    line.add(top.ask_qty);
    line.add_price(top.last_price, top.last_qty);
    line.add(synthesizer_->trades(i));
    line.add(synthesizer_->resting_orders(i));
  }
  csv_base_ = {server.requests_received, server.responses_sent, md.last_seq};
  return line.text();
}

std::string ExchangeApp::top_of_books() const {
  std::string out;
  const std::span<const TickerId> tickers = engine_->tickers();
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    out += fmt::format("{}{}: {}", i == 0 ? "" : ", ", tickers[i],
                       common::format_top_of_book(engine_->top_of_book(i)));
  }
  return out;
}

std::string ExchangeApp::breakdown_line() const {
  const OrderServerCounters server = order_server_->counters();
  std::string rejects;
  for (std::size_t slot = 0; slot < kRejectReasonSlots; ++slot) {
    if (server.rejects_by_reason[slot] != 0) {
      rejects +=
          fmt::format("{}{} {}", rejects.empty() ? "" : ", ",
                      to_string(static_cast<RejectReason>(slot)), server.rejects_by_reason[slot]);
    }
  }
  std::string closed;
  for (std::size_t cause = 0; cause < kSessionCloseCauseCount; ++cause) {
    if (server.sessions_closed_by_cause[cause] != 0) {
      closed += fmt::format("{}{} {}", closed.empty() ? "" : ", ",
                            to_string(static_cast<SessionCloseCause>(cause)),
                            server.sessions_closed_by_cause[cause]);
    }
  }
  return fmt::format("exchange: rejects by reason [{}], sessions closed by cause [{}]", rejects,
                     closed);
}

std::vector<common::LatencyHop> ExchangeApp::latency_hops() const {
  return {
      {OrderServer::kTcpReadToSequenced, &order_server_->tcp_read_to_sequenced()},
      {OrderServer::kSequencedToEngineIn, &order_server_->sequenced_to_engine_in()},
      {OrderServer::kTcpReadToResponseSent, &order_server_->tcp_read_to_response_sent()},
      {MarketDataPublisher::kLatencyHop, &publisher_->latency()},
  };
}

}  // namespace llt::exchange
