#include "trading/trading_app.h"

#include <cerrno>
#include <optional>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "common/stats/stats_report.h"
#include "trading/engine/trade_engine.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/order_gateway/order_gateway.h"
#include "trading/session_state_file.h"

namespace llt::trading {

MarketDataConsumerOptions consumer_options(const TradingOptions& o) {
  MarketDataConsumerOptions options;
  options.group = o.market_data.multicast_addr;
  options.incremental_port = o.market_data.multicast_port;
  options.snapshot_port = o.market_data.snapshot_port;
  options.interface = o.market_data.interface;
  options.loss_rate = o.md_loss_rate;
  options.loss_seed = o.md_loss_seed;
  options.replay = o.md_replay;
  options.replay_host = o.host;
  options.replay_port = o.md_replay_port;
  options.replay_timeout_ms = o.md_replay_timeout_ms;
  return options;
}

TradeEngineOptions trade_engine_options(const TradingOptions& o) {
  TradeEngineOptions options;
  options.tickers = o.tickers;
  options.strategy.name = o.strategy;
  options.strategy.order_qty = o.order_qty;
  options.strategy.half_spread = o.half_spread;
  options.strategy.skew_factor = o.skew_factor;
  options.strategy.requote = o.requote == "cancel-new" ? Requote::kCancelNew : Requote::kModify;
  options.strategy.signal_threshold = o.signal_threshold;
  options.strategy.orders_per_second = o.orders_per_second;
  options.strategy.random_seed = o.random_seed;
  options.strategy.max_position = o.max_position;
  options.ema_alpha = o.ema_alpha;
  options.reference_price = o.reference_price;
  options.risk.max_order_qty = o.max_order_qty;
  options.risk.max_position = o.max_position;
  options.risk.max_loss = o.max_loss;
  options.risk.max_open_orders = o.max_open_orders;
  return options;
}

OrderGatewayOptions order_gateway_options(const TradingOptions& o) {
  OrderGatewayOptions options;
  options.host = o.host;
  options.port = o.port;
  options.client_id = o.client_id;
  options.reconnect_max = std::chrono::milliseconds(o.reconnect_max_ms);
  options.keep_orders = o.keep_orders;
  options.resend_capacity = o.resend_capacity;
  if (options.reconnect_initial > options.reconnect_max) {
    options.reconnect_initial = options.reconnect_max;
  }
  return options;
}

common::RunnerOptions runner_options(const TradingOptions& o, common::StageCosts* stage_costs) {
  common::RunnerOptions runner = common::runner_options(o.process, "trading");
  runner.stage_costs = stage_costs;
  return runner;
}

namespace {

using common::ns_to_us;

// NEW, CANCEL and MODIFY requests per quote change (0 before the first change).
double messages_per_quote_change(const TradeEngine& engine) {
  const std::uint64_t changes = engine.quote_changes();
  return changes == 0 ? 0.0
                      : static_cast<double>(engine.requests_sent()) / static_cast<double>(changes);
}

std::uint64_t risk_rejects(const RiskManager& risk) {
  std::uint64_t total = 0;
  for (std::size_t r = 1; r < kRiskResultCount; ++r) {
    total += risk.rejects(static_cast<RiskResult>(r));
  }
  return total;
}

}  // namespace

TradingApp::TradingApp(const TradingOptions& options, common::Logger* logger)
    : options_(options),
      consumer_(std::make_unique<MarketDataConsumer>(consumer_options(options), market_events_)),
      engine_(std::make_unique<TradeEngine>(trade_engine_options(options), market_events_,
                                            gateway_events_, order_requests_)),
      gateway_(std::make_unique<OrderGateway>(order_gateway_options(options), order_requests_,
                                              gateway_events_, logger)),
      stage_costs_(options.process.stage_costs ? std::make_unique<common::StageCosts>() : nullptr),
      runner_(std::make_unique<common::AgentRunner>(
          std::vector<common::Agent*>{consumer_.get(), engine_.get(), gateway_.get()},
          runner_options(options, stage_costs_.get()))) {
  if (!options_.state_file.empty()) {
    // A restart continues the numbering and the order ids; the positions and open orders are
    // rebuilt from the day's responses, which the first LOGON asks for from 1.
    const std::optional<SessionState> state =
        read_session_state(options_.state_file, options_.client_id);
    if (state.has_value()) {
      gateway_->restore(state->next_request_seq, 0);
      engine_->restore_next_order_id(state->next_order_id);
      restored_last_response_seq_ = state->last_response_seq;
    }
  }
}

void TradingApp::save_state() const {
  if (options_.state_file.empty()) {
    return;
  }
  const OrderGatewayCounters gw = gateway_->counters();
  SessionState state;
  state.client_id = options_.client_id;
  state.next_request_seq = gw.next_request_seq;
  state.last_response_seq = gw.last_processed;
  state.next_order_id = engine_->next_order_id_published();
  write_session_state(options_.state_file, state);
}

TradingApp::~TradingApp() {
  stop();
}

void TradingApp::start() {
  runner_->start();
}

bool TradingApp::wind_down(std::chrono::milliseconds timeout) {
  engine_->request_wind_down();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!engine_->flat()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void TradingApp::stop() {
  runner_->stop();
  // Every agent thread is joined: apply what the gateway pushed after the engine's on_stop.
  engine_->drain_stopped();
}

std::string TradingApp::status_line() const {
  std::string tickers;
  for (std::size_t i = 0; i < engine_->ticker_count(); ++i) {
    const PositionFigures f = engine_->ticker_stats(i).position.load();
    tickers += fmt::format("{}{}: pos {} rpnl {} upnl {} book {}", i == 0 ? "" : "; ",
                           engine_->ticker_id(i), f.position, f.realized_pnl, f.unrealized_pnl,
                           common::format_top_of_book(engine_->top_of_book(i)));
  }
  const MarketDataConsumerStats md = consumer_->stats();
  const OrderGatewayCounters gw = gateway_->counters();
  return fmt::format(
      "trading: client {} [{}], orders {}, cancels {}, modifies {} (rejected {}), fills {}, "
      "expired {}, self-trade cancels {}, risk rejects {}, exchange rejects {}, md recoveries "
      "{}{} (replay {}, last {:.2f} ms; snapshot {}, last {:.2f} ms), session {} (reconnects {}, "
      "replayed {}, duplicates {}, resent {}), tick-to-trade "
      "p50 {:.1f} us p99 {:.1f} us",
      options_.client_id, tickers, engine_->orders_sent(), engine_->cancels_sent(),
      engine_->modifies_sent(), engine_->modify_rejects(), engine_->fills(), engine_->expirations(),
      engine_->self_trade_cancels(), risk_rejects(engine_->risk()),
      engine_->total_exchange_rejects(), md.recoveries_completed + md.recoveries_by_replay,
      md.recovering ? " (recovering)" : "", md.recoveries_by_replay,
      static_cast<double>(md.last_replay_recovery_ns) / 1e6, md.recoveries_completed,
      static_cast<double>(md.last_snapshot_recovery_ns) / 1e6,
      gw.logged_on ? "logged on" : (gw.connected ? "logging on" : "down"), gw.reconnects,
      gw.replayed_responses, gw.duplicate_responses, gw.resent_requests,
      ns_to_us(gw.tick_to_trade_p50_ns), ns_to_us(gw.tick_to_trade_p99_ns));
}

std::string TradingApp::stats_csv_header() const {
  common::CsvLine line;
  for (const char* name :
       {"orders", "cancels", "modifies", "fills", "expired", "risk_rejects", "exchange_rejects",
        "md_updates", "requests_per_s", "fills_per_s", "md_updates_per_s", "tick_to_trade_p50_us",
        "tick_to_trade_p99_us", "round_trip_p50_us", "round_trip_p99_us"}) {
    line.add(name);
  }
  for (std::size_t i = 0; i < engine_->ticker_count(); ++i) {
    for (const char* name : {"position", "realized_cents", "unrealized_cents", "total_cents",
                             "bid_cents", "ask_cents", "last_cents"}) {
      line.add_ticker_column(engine_->ticker_id(i), name);
    }
  }
  return line.text();
}

std::string TradingApp::stats_csv_row(double interval_s) {
  const MarketDataConsumerStats md = consumer_->stats();
  const OrderGatewayCounters gw = gateway_->counters();
  const std::uint64_t requests = engine_->requests_sent();
  const std::uint64_t fills = engine_->fills();
  common::CsvLine line;
  line.add(engine_->orders_sent());
  line.add(engine_->cancels_sent());
  line.add(engine_->modifies_sent());
  line.add(fills);
  line.add(engine_->expirations());
  line.add(risk_rejects(engine_->risk()));
  line.add(engine_->total_exchange_rejects());
  line.add(md.events_forwarded);
  line.add_fixed(common::per_second(requests, csv_base_.requests, interval_s), 1);
  line.add_fixed(common::per_second(fills, csv_base_.fills, interval_s), 1);
  line.add_fixed(common::per_second(md.events_forwarded, csv_base_.md_updates, interval_s), 1);
  line.add_fixed(ns_to_us(gw.tick_to_trade_p50_ns), 3);
  line.add_fixed(ns_to_us(gw.tick_to_trade_p99_ns), 3);
  line.add_fixed(ns_to_us(gw.round_trip_p50_ns), 3);
  line.add_fixed(ns_to_us(gw.round_trip_p99_ns), 3);
  for (std::size_t i = 0; i < engine_->ticker_count(); ++i) {
    const PositionFigures f = engine_->ticker_stats(i).position.load();
    const common::TopOfBook top = engine_->top_of_book(i);
    line.add(f.position);
    line.add(f.realized_pnl);
    line.add(f.unrealized_pnl);
    line.add(f.total_pnl());
    line.add_price(top.bid_price, top.bid_qty);
    line.add_price(top.ask_price, top.ask_qty);
    line.add_price(top.last_price, top.last_qty);
  }
  csv_base_ = {requests, fills, md.events_forwarded};
  return line.text();
}

std::string TradingApp::summary() const {
  std::string out = fmt::format("trading: summary of client {} ({}), prices and P&L in cents\n",
                                options_.client_id, options_.strategy);
  for (std::size_t i = 0; i < engine_->ticker_count(); ++i) {
    const TickerStats& s = engine_->ticker_stats(i);
    const Position& p = engine_->position(i);
    out += fmt::format(
        "trading: ticker {} position {} bought {} sold {} fills {} vwap {:.2f} realized {:.2f} "
        "unrealized {:.2f} total {:.2f}\n",
        engine_->ticker_id(i), p.position, s.bought_qty.load(), s.sold_qty.load(), p.fills, p.vwap,
        p.realized_pnl, p.unrealized_pnl, p.total_pnl());
  }
  const RiskManager& risk = engine_->risk();
  std::string by_reason;
  for (std::size_t r = 1; r < kRiskResultCount; ++r) {
    by_reason += fmt::format("{}{} {}", r == 1 ? "" : ", ", to_string(static_cast<RiskResult>(r)),
                             risk.rejects(static_cast<RiskResult>(r)));
  }
  std::string exchange_by_reason;
  for (std::size_t r = 1; r < OrderManager::kRejectReasonSlots; ++r) {
    const auto reason = static_cast<exchange::RejectReason>(r);
    if (engine_->exchange_rejects(reason) != 0) {
      exchange_by_reason += fmt::format("{}{} {}", exchange_by_reason.empty() ? "" : ", ",
                                        to_string(reason), engine_->exchange_rejects(reason));
    }
  }
  out += fmt::format(
      "trading: orders sent {} cancels sent {} modifies sent {} modifies rejected {} fills {} "
      "expired {} self-trade cancels {} risk rejects {} ({}) exchange rejects {} ({}) send "
      "failures {}\n",
      engine_->orders_sent(), engine_->cancels_sent(), engine_->modifies_sent(),
      engine_->modify_rejects(), engine_->fills(), engine_->expirations(),
      engine_->self_trade_cancels(), risk_rejects(risk), by_reason,
      engine_->total_exchange_rejects(), exchange_by_reason, engine_->send_failures());
  out += fmt::format(
      "trading: quote changes {} requests {} messages per quote change {:.2f} (requote {})\n",
      engine_->quote_changes(), engine_->requests_sent(), messages_per_quote_change(*engine_),
      options_.requote);
  const MarketDataConsumerStats md = consumer_->stats();
  out += fmt::format(
      "trading: market data next seq {} recoveries {} (started {}, gaps {}, healed {}, "
      "restarts {}, last {:.1f} ms, max {:.1f} ms) by replay {} (last {:.2f} ms, max {:.2f} ms) "
      "by snapshot {} (last {:.2f} ms, max {:.2f} ms) snapshots discarded {} duplicates {} "
      "malformed {} loss-knob drops {}\n",
      md.next_seq, md.recoveries_completed + md.recoveries_by_replay, md.recoveries_started,
      md.gaps_detected, md.gaps_healed, md.restarts_detected,
      static_cast<double>(md.last_recovery_ns) / 1e6, static_cast<double>(md.max_recovery_ns) / 1e6,
      md.recoveries_by_replay, static_cast<double>(md.last_replay_recovery_ns) / 1e6,
      static_cast<double>(md.max_replay_recovery_ns) / 1e6, md.recoveries_completed,
      static_cast<double>(md.last_snapshot_recovery_ns) / 1e6,
      static_cast<double>(md.max_snapshot_recovery_ns) / 1e6, md.snapshots_discarded,
      md.duplicates_dropped, md.malformed_dropped, md.loss_knob_drops);
  out += fmt::format(
      "trading: md replay {} requests {} served {} records {} unused {} failures: refused {} "
      "connect {} closed {} garbage {} timeout {}\n",
      options_.md_replay ? "on" : "off", md.replay_requests, md.replay_served, md.replay_records,
      md.replay_records_unused, md.replay_refused, md.replay_connect_failures, md.replay_closed,
      md.replay_garbage, md.replay_timeouts);
  const OrderGatewayCounters gw = gateway_->counters();
  out += fmt::format(
      "trading: session logons {} reconnects {} disconnects {} requests {} responses {} "
      "heartbeats sent {} refused while down {} protocol errors {}\n",
      gw.logons, gw.reconnects, gw.disconnects, gw.requests_sent, gw.responses_received,
      gw.heartbeats_sent, gw.refused_while_disconnected, gw.protocol_errors);
  out += fmt::format(
      "trading: resume keep orders {} replayed {} duplicates {} resent {} next request {} last "
      "response {} resends unavailable {} replays unavailable {} stream resets {} reconciled "
      "orders {} adopted orders {}\n",
      options_.keep_orders ? "on" : "off", gw.replayed_responses, gw.duplicate_responses,
      gw.resent_requests, gw.next_request_seq, gw.last_processed, gw.resends_unavailable,
      gw.replays_unavailable, gw.stream_resets, engine_->reconciled_orders(),
      engine_->adopted_orders());
  const common::LatencyHistogram& t2t = gateway_->md_read_to_order_sent();
  const common::LatencyHistogram& rtt = gateway_->order_sent_to_response_read();
  out += fmt::format(
      "trading: tick-to-trade p50 {:.1f} us p99 {:.1f} us ({} orders); order round trip p50 "
      "{:.1f} us p99 {:.1f} us ({} answers)\n",
      ns_to_us(t2t.percentile(50)), ns_to_us(t2t.percentile(99)), t2t.count(),
      ns_to_us(rtt.percentile(50)), ns_to_us(rtt.percentile(99)), rtt.count());
  if (stage_costs_) {
    out += "trading: stage costs (--stage-costs), TSC time per agent poll:\n" +
           stage_costs_->table(0, "");
  }
  return out;
}

std::vector<common::LatencyHop> TradingApp::latency_hops() const {
  return {
      {"md_read_to_engine_in", &engine_->md_read_to_engine_in()},
      {OrderGateway::kEngineInToOrderSent, &gateway_->engine_in_to_order_sent()},
      {OrderGateway::kMdReadToOrderSent, &gateway_->md_read_to_order_sent()},
      {OrderGateway::kOrderSentToResponseRead, &gateway_->order_sent_to_response_read()},
  };
}

void TradingApp::write_book_dump(const std::string& path) const {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    throw std::system_error(errno, std::generic_category(), "--book-dump " + path);
  }
  engine_->dump_books(out);
  if (std::fclose(out) != 0) {
    throw std::system_error(errno, std::generic_category(), "--book-dump " + path);
  }
}

}  // namespace llt::trading
