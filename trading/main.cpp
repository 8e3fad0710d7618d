// The trading executable: parses options, wires the components (TradingApp), runs for
// --duration seconds or until SIGINT or SIGTERM, then winds down (cancels its open orders and
// waits for their answers, so no fill is still on its way), stops them and prints the summary
// and the per-hop latency table. The shared main() is common/cli/process_main.h; running it:
// docs/operations.md.

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cli/process_main.h"
#include "common/logging/logger.h"
#include "trading/engine/trade_engine.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/order_gateway/order_gateway.h"
#include "trading/trading_app.h"
#include "trading/trading_summary.h"

namespace {

using llt::common::Logger;
using llt::trading::TradingApp;
using llt::trading::TradingOptions;

// How long the wind-down waits for the exchange to answer the last cancels; an order still
// open then is cancelled by the exchange when the session closes.
constexpr std::chrono::milliseconds kWindDownTimeout{2000};

class TradingProcess final : public llt::common::Process {
 public:
  TradingProcess(const TradingOptions& options, Logger& logger)
      : logger_(logger), app_(options, &logger) {}

  std::string start() override {
    app_.start();
    const TradingOptions& o = app_.options();
    LLT_LOG_INFO(logger_, "trading started: client {}, exchange port {}, market data port {}",
                 o.client_id, o.port, o.market_data.multicast_port);
    return fmt::format(
        "trading: client {} strategy {} tickers {}; order entry to {}:{}; market data {}:{} "
        "(snapshots :{}) on interface {}; threading {}, idle {}",
        o.client_id, o.strategy, fmt::join(o.tickers, ","), o.host, o.port,
        o.market_data.multicast_addr, o.market_data.multicast_port, o.market_data.snapshot_port,
        o.market_data.interface, llt::common::to_string(o.process.threading),
        llt::common::to_string(o.process.idle));
  }

  // Every status interval the --state-file is written too, from this (the controlling) thread.
  std::string status_line() override {
    try {
      app_.save_state();
    } catch (const std::system_error& error) {
      LLT_LOG_WARN(logger_, "state not saved: {}", std::string_view(error.what()));
    }
    return app_.status_line();
  }

  std::string stats_csv_header() const override { return app_.stats_csv_header(); }
  std::string stats_csv_row(double interval_s) override { return app_.stats_csv_row(interval_s); }

  void log_status() override {
    LLT_LOG_INFO(logger_, "status: orders {} fills {} recovering {}", app_.engine().orders_sent(),
                 app_.engine().fills(), app_.consumer().recovering());
  }

  double run_for_s() const noexcept override { return app_.options().duration_s; }

  // The exit path: wind down, stop and the summary (the common code then prints the latency
  // table and writes the files asked for).
  void stop() override {
    LLT_LOG_INFO(logger_, "trading stopping");
    const bool flat = app_.wind_down(kWindDownTimeout);
    app_.stop();
    try {
      app_.save_state();
    } catch (const std::system_error& error) {
      fmt::print(stderr, "trading: state not saved: {}\n", error.what());
    }
    if (!flat) {
      fmt::print(stderr,
                 "trading: wind-down: not flat after {} ms ({} order(s) open, {} answer(s) to a "
                 "CANCEL or MODIFY still owed at stop); the exchange cancels open orders on "
                 "logout, and a fill racing that is not in this summary\n",
                 kWindDownTimeout.count(), app_.engine().order_manager().open_orders(),
                 app_.engine().order_manager().answers_owed());
    }
    fmt::print("{}", app_.summary());
    LLT_LOG_INFO(logger_, "trading stopped: {} log records dropped", logger_.dropped());
  }

  std::vector<llt::common::LatencyHop> latency_hops() const override { return app_.latency_hops(); }

  std::string summary_json() const override { return llt::trading::trading_summary_json(app_); }

  // Exit status 3 when the client never logged on during its run (docs/operations.md, Exit
  // codes): the exchange was never reachable, or every logon was rejected or unanswered.
  llt::common::RunOutcome outcome() const override {
    const llt::trading::OrderGatewayCounters c = app_.gateway().counters();
    if (c.logons != 0) {
      return {};
    }
    const TradingOptions& o = app_.options();
    return {llt::common::kExitNeverLoggedOn,
            fmt::format("never logged on to the exchange at {}:{} as client {} ({} connect "
                        "attempt(s), {} failed; {} logon(s) rejected, {} unanswered)",
                        o.host, o.port, o.client_id, c.connect_attempts, c.connect_failures,
                        c.logon_rejects, c.logon_timeouts)};
  }

  // --book-dump.
  void write_files() const override {
    if (!app_.options().book_dump.empty()) {
      app_.write_book_dump(app_.options().book_dump);
    }
  }

 private:
  Logger& logger_;
  TradingApp app_;
};

}  // namespace

int main(int argc, char** argv) {
  return llt::common::run_process<TradingProcess>("trading", argc, argv,
                                                  llt::trading::parse_trading_command_line);
}
