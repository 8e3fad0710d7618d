#include "exchange/exchange_summary.h"

#include <fmt/format.h>

#include "common/json/json_writer.h"
#include "common/stats/stats_report.h"
#include "exchange/exchange_app.h"

namespace llt::exchange {

std::string exchange_summary_json(const ExchangeApp& app) {
  const OrderServerCounters server = app.order_server().counters();
  const MarketDataPublisherStats md = app.publisher().stats();
  const SnapshotSynthesizerStats snap = app.synthesizer().stats();
  const std::vector<TickerId>& tickers = app.options().tickers;

  common::JsonWriter json;
  json.begin_object();
  json.value("process", "exchange");
  json.begin_array("tickers");
  for (const TickerId ticker : tickers) {
    json.element(ticker);
  }
  json.end_array();

  json.begin_object("counters");
  json.value("sessions_accepted", server.sessions_accepted);
  json.value("sessions_live", server.sessions_live);
  json.value("sessions_logged_on", server.sessions_logged_on);
  json.value("connections_refused", server.connections_refused);
  json.value("requests_received", server.requests_received);
  json.value("requests_forwarded", server.requests_forwarded);
  json.value("requests_sequenced", server.requests_sequenced);
  json.value("cancel_alls", server.cancel_alls);
  json.value("responses_sent", server.responses_sent);
  json.value("heartbeats_sent", server.heartbeats_sent);
  json.value("responses_without_session", server.responses_without_session);
  json.value("sequencer_stalls", server.sequencer_stalls);
  json.end_object();

  // Every reason by name (zeros included); slot 0 is NONE, the last slot any corrupt value.
  std::uint64_t rejects = 0;
  json.begin_object("rejects_by_reason");
  for (std::size_t slot = 1; slot < kRejectReasonSlots; ++slot) {
    const std::uint64_t count = server.rejects_by_reason[slot];
    rejects += count;
    const std::string_view name = to_string(static_cast<RejectReason>(slot));
    if (name != "UNKNOWN" || count != 0) {
      json.value(name, count);
    }
  }
  json.end_object();
  json.value("rejects", rejects);

  json.begin_object("sessions_closed_by_cause");
  for (std::size_t cause = 0; cause < kSessionCloseCauseCount; ++cause) {
    json.value(to_string(static_cast<SessionCloseCause>(cause)),
               server.sessions_closed_by_cause[cause]);
  }
  json.end_object();

  // Per ticker, keyed by the ticker id as text (as of the synthesizer's last snapshot).
  std::uint64_t trades = 0;
  json.begin_object("trades_by_ticker");
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    trades += app.synthesizer().trades(i);
    json.value(fmt::format("{}", tickers[i]), app.synthesizer().trades(i));
  }
  json.end_object();
  json.value("trades", trades);
  json.begin_object("resting_orders_by_ticker");
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    json.value(fmt::format("{}", tickers[i]), app.synthesizer().resting_orders(i));
  }
  json.end_object();

  // Per ticker, keyed by the ticker id as text: best bid and ask (price, level size) and the
  // last trade, as the status line shows them (qty 0: empty side, no trade yet).
  json.begin_object("top_of_book_by_ticker");
  for (std::size_t i = 0; i < app.engine().tickers().size(); ++i) {
    const common::TopOfBook top = app.engine().top_of_book(i);
    json.begin_object(fmt::format("{}", app.engine().tickers()[i]));
    common::write_top_of_book(json, top);
    json.end_object();
  }
  json.end_object();

  // Per client id of the day (docs/recovery.md): its two streams and what it traded.
  json.begin_object("clients");
  app.order_server().streams().for_each([&](const ClientStream& stream) {
    json.begin_object(fmt::format("{}", stream.client_id));
    json.value("next_request", stream.next_request);
    json.value("next_response", stream.next_response);
    json.value("bought", stream.bought);
    json.value("sold", stream.sold);
    json.value("keep_orders", stream.keep_orders);
    json.end_object();
  });
  json.end_object();
  json.value("responses_replayed", server.responses_replayed);
  json.value("logons_with_replay", server.logons_with_replay);

  const ExchangeRecovery& recovery = app.recovery();
  json.begin_object("journal");
  json.value("enabled", recovery.journaled);
  json.value("snapshot", recovery.snapshot);
  json.value("snapshot_index", recovery.snapshot_index);
  json.value("records_in_snapshot", recovery.records_in_snapshot);
  json.value("recovered_records", recovery.records);
  json.value("recovered_requests", recovery.requests);
  json.value("recovery_ns", recovery.elapsed_ns);
  json.value("owed_cancels", recovery.owed_cancels);
  json.value("torn_tail", recovery.torn_tail);
  if (const ExchangeJournal* journal = app.journal()) {
    json.value("records", journal->writer().records());
    json.value("writes", journal->writer().writes());
    json.value("syncs", journal->writer().syncs());
    json.value("bytes", journal->writer().bytes());
  }
  if (const SnapshotWriter* snapshots = app.snapshot_writer()) {
    json.value("snapshots_written", snapshots->snapshots());
    json.value("last_snapshot_index", snapshots->last_snapshot_index());
    json.value("snapshot_failures", snapshots->failures());
    json.value("files_pruned", snapshots->files_pruned());
  }
  json.end_object();

  json.begin_object("market_data");
  json.value("last_seq", md.last_seq);
  json.value("updates_published", md.updates_published);
  json.value("datagrams", md.datagrams);
  json.value("heartbeats", md.heartbeats);
  json.value("send_retries", md.send_retries);
  json.value("send_errors", md.send_errors);
  json.value("updates_lost", md.updates_lost);
  json.value("feed_stalls", md.feed_stalls);
  json.value("snapshots_published", snap.snapshots_published);
  json.value("snapshot_records", snap.records);
  json.value("snapshot_datagrams", snap.datagrams);
  json.value("last_snapshot_seq", snap.last_snapshot_seq);
  json.value("snapshot_send_retries", snap.send_retries);
  json.value("snapshot_send_errors", snap.send_errors);
  json.value("synthesizer_seq_gaps", snap.seq_gaps);
  json.value("synthesizer_inconsistent", snap.inconsistent);
  json.value("synthesizer_capacity_drops", snap.capacity_drops);
  json.end_object();

  // The market data replay (docs/protocol.md, Market data replay); enabled false with
  // --md-replay-port 0.
  json.begin_object("md_replay");
  json.value("enabled", app.md_replay() != nullptr);
  if (const MdReplayServer* replay = app.md_replay()) {
    const MdReplayServerStats stats = replay->stats();
    json.value("port", static_cast<std::uint32_t>(replay->port()));
    json.value("connections_accepted", stats.connections_accepted);
    json.value("connections_refused", stats.connections_refused);
    json.value("requests", stats.requests);
    json.value("records_sent", stats.records_sent);
    json.value("not_available", stats.not_available);
    json.value("not_yet_published", stats.not_yet_published);
    json.value("bad_requests", stats.bad_requests);
    json.value("garbage_closed", stats.garbage_closed);
    json.value("slow_closed", stats.slow_closed);
  }
  json.end_object();

  const std::vector<common::LatencyHop> hops = app.latency_hops();
  common::add_latency_hops(json, "latency_ns", hops);
  json.end_object();
  return json.text();
}

}  // namespace llt::exchange
