#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/seqlock_words.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/stats/latency_histogram.h"
#include "common/stats/top_of_book.h"
#include "common/time/rdtsc.h"
#include "common/time/tsc_clock.h"
#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/engine/trade_engine_options.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/risk/risk_manager.h"
#include "trading/strategies/strategy_registry.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// Book capacities per traded ticker, fixed at start-up.
struct TradeEngineCapacity {
  std::size_t max_orders_per_book = 262144;
  std::size_t max_levels_per_side = 65536;
};

// A ticker's position and its P&L as the status line and the stats CSV show them: prices and
// P&L in cents (rounded).
struct PositionFigures {
  std::int64_t position = 0;
  std::int64_t vwap = 0;
  std::int64_t realized_pnl = 0;
  std::int64_t unrealized_pnl = 0;

  [[nodiscard]] std::int64_t total_pnl() const noexcept { return realized_pnl + unrealized_pnl; }
  friend bool operator==(const PositionFigures&, const PositionFigures&) = default;
};

// PositionFigures that the engine's thread publishes after every change and any thread reads
// as one set (a fill changes the position, realized and unrealized P&L together; a reader never
// gets some of them from before it and some from after).
using PositionCell = common::SeqlockCell<PositionFigures>;

// One ticker's figures for the status line.
struct TickerStats {
  PositionCell position;
  common::SingleWriterCounter fills;
  common::SingleWriterCounter filled_qty;
  common::SingleWriterCounter bought_qty;
  common::SingleWriterCounter sold_qty;
};

// The trading client's decision agent (docs/architecture.md, The trading client's components):
// client books, features, positions, risk, the order manager and the strategy.
//
// poll() drains bounded batches of both input queues:
//  - market events: book -> features and position mark (on a BBO change) -> strategy. Between
//    SNAPSHOT_START and SNAPSHOT_END the books are rebuilt but nothing else runs; at
//    SNAPSHOT_END the features of every ticker whose BBO differs from the one they were last
//    computed from are updated (one EMA step), and the strategy runs for every ticker.
//  - gateway events: kCaughtUp (after kLoggedOn, the replay and the resend) reconciles what
//    the reconnect could not recover, enables orders and runs the strategy for every ticker;
//    kDisconnected stops orders, which keep their state until the replay says what became of
//    them; a response (replayed or live, each number once) goes to the position keeper
//    (FILLED) and the order manager, then the strategy. Until the first kCaughtUp the order
//    manager adopts open orders of an earlier run found in the replay (docs/recovery.md).
//  - the strategy's timer, when it is a TimedStrategy (the random trader).
//  - a wind-down once asked (request_wind_down, any thread): the strategy stops, every live
//    order is cancelled (a pending NEW or MODIFY once answered; an IOC or FOK order is left to
//    end by itself), and flat() turns true when no order of this session is open any more and
//    every CANCEL or MODIFY sent has had its answer (or no session is left: the exchange
//    cancelled them). From then on no fill can be on its way
//    (unless the session was lost with answers still unread), so the positions are final.
// Strategies act only while logged on, not inside a recovery frame and not winding down. A request
// caused by a market event carries its read_tsc and the engine's pop time (engine_in_tsc); the
// md_read -> engine_in hop is recorded in nanoseconds.
//
// Thread contract: poll, the constructor's queues' consumer/producer sides, and every
// accessor not marked otherwise run on the agent's thread (or after it stopped). The stats
// accessors marked "any thread" may be read while it runs. No allocation after construction.
class TradeEngine final : public common::Agent {
 public:
  static constexpr std::size_t kBatch = 64;  // events per queue per poll

  // Throws std::invalid_argument for no tickers, a duplicate ticker, an unknown strategy or a
  // bad capacity.
  TradeEngine(const TradeEngineOptions& options, MarketEventQueue& market_events,
              GatewayEventQueue& gateway_events, OrderRequestQueue& requests,
              const TradeEngineCapacity& capacity = {});
  ~TradeEngine() override;

  int poll() override;
  // drain_stopped() on the agent's thread.
  void on_stop() override;
  // Applies the market events and responses still queued (books, positions) without running
  // any strategy (no order leaves once the agents stop), so the books and last_seq() are as of
  // the last update the consumer forwarded, a whole recovery frame included. With a thread per
  // agent the other agents may still push while on_stop runs: the owner calls it again once
  // every agent thread has been joined (TradingApp::stop).
  void drain_stopped() noexcept;

  // Any thread: stop trading and cancel every open order (see the class comment).
  void request_wind_down() noexcept { wind_down_requested_.store(true, std::memory_order_release); }
  // Any thread: the wind-down was asked and no order of this session is open.
  [[nodiscard]] bool flat() const noexcept { return flat_.load(std::memory_order_acquire); }
  [[nodiscard]] std::string_view name() const override { return "trade_engine"; }
  // Block idle strategy: both input queues wake the thread, and a timed strategy's next order
  // bounds the park.
  void on_wait_set(common::WaitSet& waits) override;
  [[nodiscard]] std::uint64_t max_park_ns() const noexcept override;

  // Cold, after the agents stopped: one line "seq N" (the last incremental seq applied), then
  // one line per resting order "ticker side price qty priority order_id", side BUY or SELL,
  // sorted by ticker, side (BUY first), price (best first), priority.
  void dump_books(std::FILE* out) const;

  // The md_read -> engine_in hop (ns). Read after the agent stopped.
  [[nodiscard]] const common::LatencyHistogram& md_read_to_engine_in() const noexcept {
    return md_to_engine_ns_;
  }

  // Agent thread (or stopped).
  [[nodiscard]] std::size_t ticker_count() const noexcept { return tickers_.size(); }
  [[nodiscard]] exchange::TickerId ticker_id(std::size_t index) const noexcept {
    return tickers_[index];
  }
  // The index of a traded ticker, or SIZE_MAX.
  [[nodiscard]] std::size_t ticker_index(exchange::TickerId id) const noexcept {
    for (std::size_t i = 0; i < tickers_.size(); ++i) {
      if (tickers_[i] == id) {
        return i;
      }
    }
    return SIZE_MAX;
  }
  [[nodiscard]] const MarketOrderBook& book(std::size_t index) const noexcept {
    return *books_[index];
  }
  [[nodiscard]] const TickerFeatures& features(std::size_t index) const noexcept {
    return features_[index];
  }
  [[nodiscard]] const Position& position(std::size_t index) const noexcept {
    return positions_[index];
  }
  [[nodiscard]] const OrderManager& order_manager() const noexcept { return orders_; }
  // Start-up, before the agent runs: client order ids continue from `next` (a state file).
  void restore_next_order_id(exchange::OrderId next) noexcept {
    orders_.restore_next_order_id(next);
  }
  [[nodiscard]] bool in_recovery() const noexcept { return in_recovery_; }
  [[nodiscard]] exchange::SeqNum last_seq() const noexcept { return last_seq_; }

  // Any thread.
  [[nodiscard]] const TickerStats& ticker_stats(std::size_t index) const noexcept {
    return stats_[index];
  }
  // Best bid and ask (level price and total qty) and the last trade of the client's book of
  // the ticker at `index`, as of the last market update the engine applied (docs/
  // operations.md, Status lines). Any thread.
  [[nodiscard]] common::TopOfBook top_of_book(std::size_t index) const noexcept {
    return index < tickers_.size() ? tops_[index].load() : common::TopOfBook{};
  }
  [[nodiscard]] const RiskManager& risk() const noexcept { return risk_; }
  [[nodiscard]] std::uint64_t orders_sent() const noexcept { return orders_.orders_sent(); }
  [[nodiscard]] std::uint64_t cancels_sent() const noexcept { return orders_.cancels_sent(); }
  [[nodiscard]] std::uint64_t modifies_sent() const noexcept { return orders_.modifies_sent(); }
  [[nodiscard]] std::uint64_t modify_rejects() const noexcept { return orders_.modify_rejects(); }
  [[nodiscard]] std::uint64_t expirations() const noexcept { return orders_.expirations(); }
  [[nodiscard]] std::uint64_t self_trade_cancels() const noexcept {
    return orders_.self_trade_cancels();
  }
  // The strategy's quote changes (OrderManager::quote_changes) and the NEW, CANCEL and MODIFY
  // requests it took: their ratio is the messages per quote change.
  [[nodiscard]] std::uint64_t quote_changes() const noexcept { return orders_.quote_changes(); }
  [[nodiscard]] std::uint64_t requests_sent() const noexcept { return orders_.requests_sent(); }
  [[nodiscard]] std::uint64_t send_failures() const noexcept { return orders_.send_failures(); }
  [[nodiscard]] std::uint64_t exchange_rejects(exchange::RejectReason r) const noexcept {
    return orders_.exchange_rejects(r);
  }
  [[nodiscard]] std::uint64_t total_exchange_rejects() const noexcept {
    return orders_.total_exchange_rejects();
  }
  [[nodiscard]] std::uint64_t fills() const noexcept { return fills_.load(); }
  // Catch-ups that reported a loss, and the orders reconciled or adopted.
  [[nodiscard]] std::uint64_t reconciles() const noexcept { return reconciles_.load(); }
  [[nodiscard]] std::uint64_t reconciled_orders() const noexcept {
    return orders_.reconciled_orders();
  }
  [[nodiscard]] std::uint64_t adopted_orders() const noexcept { return orders_.adopted_orders(); }
  [[nodiscard]] std::uint64_t next_order_id_published() const noexcept {
    return orders_.next_order_id_published();
  }
  [[nodiscard]] std::uint64_t market_events() const noexcept { return market_events_.load(); }
  [[nodiscard]] std::uint64_t gateway_events() const noexcept { return gateway_events_.load(); }
  [[nodiscard]] std::uint64_t book_errors() const noexcept { return book_errors_.load(); }
  // Market events or responses for a ticker this client does not trade.
  [[nodiscard]] std::uint64_t unknown_ticker_events() const noexcept {
    return unknown_ticker_.load();
  }

 private:
  void on_market_event(const MarketEvent& e, std::uint64_t in_tsc) noexcept;
  void on_gateway_event(const GatewayEvent& e) noexcept;
  void on_bbo(std::size_t t) noexcept;
  void run_strategy(std::size_t t) noexcept;
  void run_timer() noexcept;
  int wind_down() noexcept;  // returns the CANCELs sent
  void publish_position(std::size_t t) noexcept;

  std::vector<exchange::TickerId> tickers_;
  MarketEventQueue& market_events_in_;
  GatewayEventQueue& gateway_events_in_;
  std::vector<std::unique_ptr<MarketOrderBook>> books_;
  std::vector<TickerFeatures> features_;
  std::vector<Bbo> features_bbo_;  // the BBO features_ were last computed from
  std::vector<Position> positions_;
  std::unique_ptr<TickerStats[]> stats_;
  // Read by other threads (status line): one cache line per ticker.
  std::unique_ptr<common::TopOfBookCell[]> tops_;
  FeatureEngine feature_engine_;
  RiskManager risk_;
  OrderManager orders_;
  Strategy strategy_;
  const common::TscClock& clock_;
  bool in_recovery_ = false;
  bool quiet_ = false;  // no strategy runs: winding down or stopped
  exchange::SeqNum last_seq_ = 0;
  std::atomic<bool> wind_down_requested_{false};
  std::atomic<bool> flat_{false};

  common::SingleWriterCounter fills_;
  common::SingleWriterCounter reconciles_;
  common::SingleWriterCounter market_events_;
  common::SingleWriterCounter gateway_events_;
  common::SingleWriterCounter book_errors_;
  common::SingleWriterCounter unknown_ticker_;
  common::LatencyHistogram md_to_engine_ns_;
};

}  // namespace llt::trading
