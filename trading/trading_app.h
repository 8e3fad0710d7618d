#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "common/stats/latency_report.h"
#include "trading/engine/trade_engine_options.h"
#include "trading/market_data/market_data_consumer_options.h"
#include "trading/order_gateway/order_gateway_options.h"
#include "trading/trading_messages.h"
#include "trading/trading_options.h"

namespace llt::common {
class Logger;
}  // namespace llt::common

namespace llt::trading {

class MarketDataConsumer;
class OrderGateway;
class TradeEngine;

// How the command line's options map onto each agent's options (start-up). TradingApp wires
// its agents with these; a test or benchmark that wires them differently uses them too.
[[nodiscard]] MarketDataConsumerOptions consumer_options(const TradingOptions& o);
[[nodiscard]] TradeEngineOptions trade_engine_options(const TradingOptions& o);
// Host, port, client id and the reconnect cap; the session timers keep their defaults.
[[nodiscard]] OrderGatewayOptions order_gateway_options(const TradingOptions& o);
// The runner's options; `stage_costs` (--stage-costs) times each agent's polls when not null.
[[nodiscard]] common::RunnerOptions runner_options(const TradingOptions& o,
                                                   common::StageCosts* stage_costs = nullptr);

// The whole trading client in one object: the three agents, the queues between them, and the
// runner that places them on threads. The executable's main() and the tests build it the same
// way.
//
//   UDP -> MarketDataConsumer -> [market events] -> TradeEngine -> [order requests]
//          -> OrderGateway -> TCP;  TCP -> OrderGateway -> [gateway events] -> TradeEngine
//
// Thread contract: construct, start, stop and the reports on one controlling thread;
// status_line() from that thread while the agents run.
class TradingApp {
 public:
  // Queue capacities, in elements. A full queue is back-pressure (the upstream agent holds its
  // input), never loss.
  static constexpr std::size_t kMarketEventQueueCapacity = 1 << 16;
  static constexpr std::size_t kOrderRequestQueueCapacity = 1 << 12;
  static constexpr std::size_t kGatewayEventQueueCapacity = 1 << 14;

  // Start-up: allocates every queue, book and buffer, opens the market data sockets (the
  // order gateway connects from its agent, with back-off) and reads --state-file. Throws
  // std::invalid_argument naming a bad option, std::system_error naming the address and errno
  // text when a socket cannot be set up, and std::runtime_error naming the state file when it
  // is corrupt. `logger` (optional, must outlive the app) gets the order
  // gateway's session events.
  explicit TradingApp(const TradingOptions& options, common::Logger* logger = nullptr);
  ~TradingApp();

  TradingApp(const TradingApp&) = delete;
  TradingApp& operator=(const TradingApp&) = delete;

  void start();
  // While the agents run: asks the trade engine to stop trading and cancel its open orders,
  // and waits until none is open (every fill of this session has then been applied) or
  // `timeout` passed. Returns whether it got flat. Call stop() next.
  bool wind_down(std::chrono::milliseconds timeout);
  // Stops the agents (each finishes its current pass; the gateway logs out), joins their
  // threads, then applies the responses and market events the trade engine had not taken
  // yet. Idempotent.
  void stop();

  [[nodiscard]] const TradingOptions& options() const noexcept { return options_; }

  // Cold, from the controlling thread (periodically and after stop()): writes --state-file,
  // if set. Throws std::system_error naming the file.
  void save_state() const;
  // The last response number of the state file read at start-up (0: none).
  [[nodiscard]] std::uint64_t restored_last_response_seq() const noexcept {
    return restored_last_response_seq_;
  }

  // One status line: position, realized and unrealized P&L, orders sent, fills, risk
  // rejects, recoveries, tick-to-trade p50/p99. Cold.
  [[nodiscard]] std::string status_line() const;
  // After stop(): the exit summary, a line per ticker and totals. Cold.
  [[nodiscard]] std::string summary() const;
  // --stats-csv (docs/operations.md, Charts of a run): the column names after time_s, and one
  // row of their values; interval_s is the time since the previous row. Cold.
  [[nodiscard]] std::string stats_csv_header() const;
  [[nodiscard]] std::string stats_csv_row(double interval_s);

  // The per-hop latency histograms (ns), in pipeline order: after stop(), the exit's latency
  // table, --latency-csv and the summary's percentiles.
  [[nodiscard]] std::vector<common::LatencyHop> latency_hops() const;
  // After stop(): the client's books (--book-dump). Throws std::system_error naming the file.
  void write_book_dump(const std::string& path) const;

  [[nodiscard]] const MarketDataConsumer& consumer() const noexcept { return *consumer_; }
  [[nodiscard]] const TradeEngine& engine() const noexcept { return *engine_; }
  [[nodiscard]] const OrderGateway& gateway() const noexcept { return *gateway_; }

 private:
  TradingOptions options_;
  MarketEventQueue market_events_{kMarketEventQueueCapacity};
  OrderRequestQueue order_requests_{kOrderRequestQueueCapacity};
  GatewayEventQueue gateway_events_{kGatewayEventQueueCapacity};
  std::unique_ptr<MarketDataConsumer> consumer_;
  std::unique_ptr<TradeEngine> engine_;
  std::unique_ptr<OrderGateway> gateway_;
  std::unique_ptr<common::StageCosts> stage_costs_;  // --stage-costs only
  std::unique_ptr<common::AgentRunner> runner_;
  std::uint64_t restored_last_response_seq_ = 0;
  // The counters of the previous --stats-csv row, for its rates.
  struct CsvBase {
    std::uint64_t requests = 0;
    std::uint64_t fills = 0;
    std::uint64_t md_updates = 0;
  };
  CsvBase csv_base_;
};

}  // namespace llt::trading
