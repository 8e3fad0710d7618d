#include "exchange/exchange_app.h"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

#include "common/time/rdtsc.h"

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
  return options;
}

common::RunnerOptions runner_options(const ExchangeOptions& o) {
  return common::runner_options(o.process, "exchange");
}

ExchangeApp::ExchangeApp(const ExchangeOptions& options)
    : options_(options),
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
    md_replay_ = std::make_unique<MdReplayServer>(md_replay_options(options_), *md_replay_ring_);
    publisher_->set_replay_ring(md_replay_ring_.get());
  }
  if (!options_.journal_dir.empty()) {
    recover();
  }
  if (md_replay_ring_) {
    // Numbers recovered without their records (none when every update was replayed) are
    // answered NOT_AVAILABLE rather than NOT_YET_PUBLISHED.
    md_replay_ring_->skip_to(publisher_->stats().last_seq);
  }
  std::vector<common::Agent*> agents{order_server_.get(), engine_.get(), publisher_.get(),
                                     synthesizer_.get()};
  if (md_replay_) {
    agents.push_back(md_replay_.get());
  }
  runner_ = std::make_unique<common::AgentRunner>(std::move(agents), runner_options(options));
}

void ExchangeApp::recover() {
  const std::uint64_t start_ns = common::monotonic_ns();
  recovery_.journaled = true;
  const std::filesystem::path directory(options_.journal_dir);
  std::filesystem::create_directories(directory);
  // Every input in journal order: the order server's streams learn it, and all but a LOGON
  // go through the engine, exactly as they did when they were journaled.
  auto feed = [&](const ClientRequest& request) {
    if (!order_server_->recover_input(request)) {
      throw JournalError(directory.string(), 0,
                         "client " + std::to_string(request.client_id) +
                             " does not fit --max-clients " + std::to_string(options_.max_clients));
    }
    if (request.msg_type == ClientRequestType::kLogon) {
      return;
    }
    const MatchingRequest item{request, HopTicks{}};
    while (!requests_.try_push(item)) {
      drain_recovery();
    }
    ++recovery_.requests;
  };
  JournalReader reader(directory);
  const JournalScan scan = reader.scan(
      [&](const JournalRecord& record) {
        if (ExchangeJournal::kind_of(record.request) != record.kind) {
          throw JournalError(directory.string(), 0,
                             "record " + std::to_string(record.index) + ": kind " +
                                 std::string(to_string(record.kind)) +
                                 " does not match its request's type " +
                                 std::to_string(static_cast<unsigned>(record.request.msg_type)));
        }
        ++recovery_.records;
        feed(record.request);
      },
      /*repair=*/true);
  drain_recovery();
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
  for (const ClientId client : order_server_->clients_owed_cancel()) {
    ClientRequest cancel_all{};
    cancel_all.msg_type = kCancelAllOfClient;
    cancel_all.client_id = client;
    journal_->append(cancel_all);
    if (!journal_->commit()) {
      throw JournalError(
          directory.string(), 0,
          fmt::format("cannot append to the journal: errno {}", journal_->writer().last_errno()));
    }
    feed(cancel_all);
    ++recovery_.owed_cancels;
  }
  drain_recovery();
  recovery_.clients = order_server_->streams().size();
  recovery_.md_seq = publisher_->stats().last_seq;
  recovery_.elapsed_ns = common::monotonic_ns() - start_ns;
}

void ExchangeApp::drain_recovery() {
  auto drain_outputs = [&] {
    while (const MatchingResponse* response = responses_.front()) {
      order_server_->recover_response(response->response);
      responses_.pop();
    }
    while (const MatchingUpdate* update = updates_.front()) {
      synthesizer_->recover(publisher_->recover(update->update));
      updates_.pop();
    }
  };
  while (!requests_.empty_guess() || engine_->busy()) {
    (void)engine_->poll();
    drain_outputs();
  }
  drain_outputs();
}

ExchangeApp::~ExchangeApp() {
  stop();
}

void ExchangeApp::start() {
  last_status_ns_ = common::monotonic_ns();
  runner_->start();
}

void ExchangeApp::stop() {
  runner_->stop();
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
  std::uint64_t rejects = 0;
  for (std::uint64_t count : server.rejects_by_reason) {
    rejects += count;
  }
  std::uint64_t trades = 0;
  std::string trades_by_ticker;
  std::string resting;
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    trades += synthesizer_->trades(i);
    const std::string_view separator = i == 0 ? "" : " ";
    trades_by_ticker +=
        fmt::format("{}{}:{}", separator, options_.tickers[i], synthesizer_->trades(i));
    resting +=
        fmt::format("{}{}:{}", separator, options_.tickers[i], synthesizer_->resting_orders(i));
  }
  return fmt::format(
             "exchange: sessions {} (logged on {}), requests {} ({:.0f}/s), responses {}, rejects "
             "{}, "
             "trades {} [{}], resting [{}], md seq {}, snapshots {}, drops: md {} "
             "responses-without-session {}",
             server.sessions_live, server.sessions_logged_on, server.requests_received, rate,
             server.responses_sent, rejects, trades, trades_by_ticker, resting, md.last_seq,
             snap.snapshots_published, md.updates_lost, server.responses_without_session) +
         (journal_ == nullptr
              ? std::string()
              : fmt::format(", journal {} records {} writes {} syncs", journal_->writer().records(),
                            journal_->writer().writes(), journal_->writer().syncs()));
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
