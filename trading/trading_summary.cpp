#include "trading/trading_summary.h"

#include "common/json/json_writer.h"
#include "common/stats/stats_report.h"
#include "trading/engine/trade_engine.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/order_gateway/order_gateway.h"
#include "trading/trading_app.h"

namespace llt::trading {

std::string trading_summary_json(const TradingApp& app) {
  const TradeEngine& engine = app.engine();
  const TradingOptions& options = app.options();

  common::JsonWriter json;
  json.begin_object();
  json.value("process", "trading");
  json.value("client_id", options.client_id);
  json.value("strategy", options.strategy);

  double realized = 0;
  double unrealized = 0;
  json.begin_array("tickers");
  for (std::size_t i = 0; i < engine.ticker_count(); ++i) {
    const TickerStats& s = engine.ticker_stats(i);
    const Position& p = engine.position(i);
    realized += p.realized_pnl;
    unrealized += p.unrealized_pnl;
    json.begin_object();
    json.value("ticker", engine.ticker_id(i));
    json.value("position", p.position);
    json.value("bought", s.bought_qty.load());
    json.value("sold", s.sold_qty.load());
    json.value("fills", p.fills);
    // Prices and P&L in cents, the unit of the flags.
    json.value("vwap", p.vwap);
    json.value("realized_pnl", p.realized_pnl);
    json.value("unrealized_pnl", p.unrealized_pnl);
    json.value("total_pnl", p.total_pnl());
    // The client's book: best bid and ask (price in cents, level size) and the last trade
    // (qty 0: empty side, no trade yet), as the status line shows them.
    common::write_top_of_book(json, engine.top_of_book(i));
    json.end_object();
  }
  json.end_array();
  json.begin_object("pnl");
  json.value("realized", realized);
  json.value("unrealized", unrealized);
  json.value("total", realized + unrealized);
  json.end_object();

  json.begin_object("counters");
  json.value("orders_sent", engine.orders_sent());
  json.value("cancels_sent", engine.cancels_sent());
  json.value("modifies_sent", engine.modifies_sent());
  json.value("modify_rejects", engine.modify_rejects());
  json.value("fills", engine.fills());
  json.value("expirations", engine.expirations());
  json.value("self_trade_cancels", engine.self_trade_cancels());
  json.value("send_failures", engine.send_failures());
  json.value("quote_changes", engine.quote_changes());
  json.value("requests_sent", engine.requests_sent());
  json.end_object();
  json.value("requote", options.requote);

  const RiskManager& risk = engine.risk();
  std::uint64_t risk_total = 0;
  json.begin_object("risk_rejects_by_reason");
  for (std::size_t r = 1; r < kRiskResultCount; ++r) {
    const auto result = static_cast<RiskResult>(r);
    risk_total += risk.rejects(result);
    json.value(to_string(result), risk.rejects(result));
  }
  json.end_object();
  json.value("risk_rejects", risk_total);
  // Only the reasons the exchange gave (non-zero), as in the text summary.
  json.begin_object("exchange_rejects_by_reason");
  for (std::size_t r = 1; r < OrderManager::kRejectReasonSlots; ++r) {
    const auto reason = static_cast<exchange::RejectReason>(r);
    if (engine.exchange_rejects(reason) != 0) {
      json.value(to_string(reason), engine.exchange_rejects(reason));
    }
  }
  json.end_object();
  json.value("exchange_rejects", engine.total_exchange_rejects());

  const MarketDataConsumerStats md = app.consumer().stats();
  json.begin_object("market_data");
  json.value("next_seq", md.next_seq);
  json.value("incremental_datagrams", md.incremental_datagrams);
  json.value("snapshot_datagrams", md.snapshot_datagrams);
  json.value("events_forwarded", md.events_forwarded);
  json.value("gaps_detected", md.gaps_detected);
  json.value("recoveries_started", md.recoveries_started);
  json.value("recoveries_completed", md.recoveries_completed);
  json.value("gaps_healed", md.gaps_healed);
  json.value("restarts_detected", md.restarts_detected);
  json.value("last_recovery_ms", static_cast<double>(md.last_recovery_ns) / 1e6);
  json.value("max_recovery_ms", static_cast<double>(md.max_recovery_ns) / 1e6);
  json.value("snapshots_discarded", md.snapshots_discarded);
  json.value("snapshots_unusable", md.snapshots_unusable);
  json.value("snapshots_too_large", md.snapshots_too_large);
  json.value("duplicates_dropped", md.duplicates_dropped);
  json.value("malformed_dropped", md.malformed_dropped);
  json.value("loss_knob_drops", md.loss_knob_drops);
  json.value("queue_evictions", md.queue_evictions);
  json.value("receive_errors", md.receive_errors);
  json.value("recovering", md.recovering);
  json.value("recoveries_by_replay", md.recoveries_by_replay);
  json.value("recoveries_by_snapshot", md.recoveries_completed);
  json.value("last_replay_recovery_ms", static_cast<double>(md.last_replay_recovery_ns) / 1e6);
  json.value("max_replay_recovery_ms", static_cast<double>(md.max_replay_recovery_ns) / 1e6);
  json.value("last_snapshot_recovery_ms", static_cast<double>(md.last_snapshot_recovery_ns) / 1e6);
  json.value("max_snapshot_recovery_ms", static_cast<double>(md.max_snapshot_recovery_ns) / 1e6);
  json.begin_object("replay");
  json.value("enabled", app.options().md_replay);
  json.value("requests", md.replay_requests);
  json.value("served", md.replay_served);
  json.value("records", md.replay_records);
  json.value("records_unused", md.replay_records_unused);
  json.value("refused", md.replay_refused);
  json.value("connect_failures", md.replay_connect_failures);
  json.value("closed", md.replay_closed);
  json.value("garbage", md.replay_garbage);
  json.value("timeouts", md.replay_timeouts);
  json.end_object();
  json.end_object();

  const OrderGatewayCounters gw = app.gateway().counters();
  json.begin_object("session");
  json.value("ever_logged_on", gw.logons > 0);
  json.value("connect_attempts", gw.connect_attempts);
  json.value("connect_failures", gw.connect_failures);
  json.value("logons", gw.logons);
  json.value("logon_rejects", gw.logon_rejects);
  json.value("logon_timeouts", gw.logon_timeouts);
  json.value("reconnects", gw.reconnects);
  json.value("disconnects", gw.disconnects);
  json.value("requests", gw.requests_sent);
  json.value("responses", gw.responses_received);
  json.value("heartbeats_sent", gw.heartbeats_sent);
  json.value("heartbeats_received", gw.heartbeats_received);
  json.value("refused_while_down", gw.refused_while_disconnected);
  json.value("invalid_requests", gw.invalid_requests);
  json.value("protocol_errors", gw.protocol_errors);
  json.value("receive_timeouts", gw.receive_timeouts);
  json.value("send_stalls", gw.send_stalls);
  json.value("event_queue_stalls", gw.event_queue_stalls);
  json.value("untracked_round_trips", gw.untracked_round_trips);
  json.value("keep_orders", options.keep_orders);
  json.value("replayed_responses", gw.replayed_responses);
  json.value("duplicate_responses", gw.duplicate_responses);
  json.value("resent_requests", gw.resent_requests);
  json.value("resends_unavailable", gw.resends_unavailable);
  json.value("replays_unavailable", gw.replays_unavailable);
  json.value("stream_resets", gw.stream_resets);
  json.value("caught_up", gw.caught_up);
  json.value("next_request_seq", gw.next_request_seq);
  json.value("last_response_seq", gw.last_processed);
  json.value("reconciled_orders", engine.reconciled_orders());
  json.value("adopted_orders", engine.adopted_orders());
  json.end_object();

  const std::vector<common::LatencyHop> hops = app.latency_hops();
  common::add_latency_hops(json, "latency_ns", hops);
  json.end_object();
  return json.text();
}

}  // namespace llt::trading
