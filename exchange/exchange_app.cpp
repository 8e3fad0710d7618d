#include "exchange/exchange_app.h"

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "common/time/rdtsc.h"

namespace llt::exchange {

namespace {

MatchingEngineOptions engine_options(const ExchangeOptions& o) {
  MatchingEngineOptions options;
  options.tickers = o.tickers;
  options.book.max_orders = o.max_orders;
  return options;
}

OrderServerOptions order_server_options(const ExchangeOptions& o) {
  OrderServerOptions options;
  options.address = o.listen_addr;
  options.port = o.port;
  options.max_sessions = o.max_sessions;
  options.heartbeat_timeout = std::chrono::milliseconds(o.heartbeat_timeout_ms);
  options.max_orders_per_second = o.max_orders_per_second;
  return options;
}

MarketDataPublisherOptions publisher_options(const ExchangeOptions& o) {
  MarketDataPublisherOptions options;
  options.group = o.multicast_addr;
  options.port = o.multicast_port;
  options.interface = o.interface;
  options.ttl = o.ttl;
  options.heartbeat_ms = o.md_heartbeat_ms;
  return options;
}

SnapshotSynthesizerOptions synthesizer_options(const ExchangeOptions& o) {
  SnapshotSynthesizerOptions options;
  options.group = o.multicast_addr;
  options.port = o.snapshot_port;
  options.interface = o.interface;
  options.ttl = o.ttl;
  options.tickers = o.tickers;
  options.max_orders_per_ticker = o.max_orders;
  options.snapshot_interval_ms = o.snapshot_interval_ms;
  return options;
}

common::RunnerOptions runner_options(const ExchangeOptions& o) {
  common::RunnerOptions options;
  options.threading = o.threading;
  options.idle = o.idle;
  options.cpus = o.cpus;
  options.name = "exchange";
  return options;
}

struct Hop {
  std::string_view name;
  const common::LatencyHistogram* histogram;
};

}  // namespace

ExchangeApp::ExchangeApp(const ExchangeOptions& options)
    : options_(options),
      engine_(std::make_unique<MatchingEngine>(engine_options(options), requests_, responses_,
                                               updates_)),
      order_server_(
          std::make_unique<OrderServer>(order_server_options(options), requests_, responses_)),
      publisher_(
          std::make_unique<MarketDataPublisher>(publisher_options(options), updates_, published_)),
      synthesizer_(std::make_unique<SnapshotSynthesizer>(synthesizer_options(options), published_)),
      runner_(std::make_unique<common::AgentRunner>(
          std::vector<common::Agent*>{order_server_.get(), engine_.get(), publisher_.get(),
                                      synthesizer_.get()},
          runner_options(options))) {}

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
  std::string resting;
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    trades += synthesizer_->trades(i);
    resting += fmt::format("{}{}:{}", i == 0 ? "" : " ", options_.tickers[i],
                           synthesizer_->resting_orders(i));
  }
  return fmt::format(
      "exchange: sessions {} (logged on {}), requests {} ({:.0f}/s), responses {}, rejects {}, "
      "trades {}, resting [{}], md seq {}, snapshots {}, drops: md {} "
      "responses-without-session {}",
      server.sessions_live, server.sessions_logged_on, server.requests_received, rate,
      server.responses_sent, rejects, trades, resting, md.last_seq, snap.snapshots_published,
      md.updates_lost, server.responses_without_session);
}

void ExchangeApp::print_latency_table(std::FILE* out) const {
  const Hop hops[] = {
      {OrderServer::kTcpReadToSequenced, &order_server_->tcp_read_to_sequenced()},
      {OrderServer::kSequencedToEngineIn, &order_server_->sequenced_to_engine_in()},
      {OrderServer::kTcpReadToResponseSent, &order_server_->tcp_read_to_response_sent()},
      {MarketDataPublisher::kLatencyHop, &publisher_->latency()},
  };
  fmt::print(out, "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "hop (ns)", "count", "p50",
             "p90", "p99", "p99.9", "max");
  for (const Hop& hop : hops) {
    const common::LatencyHistogram& h = *hop.histogram;
    fmt::print(out, "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}\n", hop.name, h.count(),
               h.percentile(50), h.percentile(90), h.percentile(99), h.percentile(99.9), h.max());
  }
}

void ExchangeApp::write_latency_csv(const std::string& path) const {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    throw std::system_error(errno, std::generic_category(), "--latency-csv " + path);
  }
  fmt::print(out, "{}\n", common::LatencyHistogram::kCsvHeader);
  order_server_->tcp_read_to_sequenced().write_csv_rows(out, OrderServer::kTcpReadToSequenced);
  order_server_->sequenced_to_engine_in().write_csv_rows(out, OrderServer::kSequencedToEngineIn);
  order_server_->tcp_read_to_response_sent().write_csv_rows(out,
                                                            OrderServer::kTcpReadToResponseSent);
  publisher_->latency().write_csv_rows(out, MarketDataPublisher::kLatencyHop);
  if (std::fclose(out) != 0) {
    throw std::system_error(errno, std::generic_category(), "--latency-csv " + path);
  }
}

}  // namespace llt::exchange
