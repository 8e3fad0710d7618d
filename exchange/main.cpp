// The exchange executable: parses options, wires the components (ExchangeApp), runs until
// SIGINT or SIGTERM, then stops them and prints the per-hop latency table. The shared main()
// is common/cli/process_main.h; running it: docs/operations.md.

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cli/process_main.h"
#include "common/logging/logger.h"
#include "exchange/exchange_app.h"
#include "exchange/exchange_summary.h"

namespace {

using llt::common::Logger;
using llt::exchange::ExchangeApp;
using llt::exchange::ExchangeOptions;

class ExchangeProcess final : public llt::common::Process {
 public:
  ExchangeProcess(const ExchangeOptions& options, Logger& logger)
      : logger_(logger), app_(options) {}

  std::string start() override {
    app_.start();
    const ExchangeOptions& o = app_.options();
    LLT_LOG_INFO(logger_, "exchange started: order entry port {}, market data port {}, {} tickers",
                 app_.port(), o.market_data.multicast_port, o.tickers.size());
    return fmt::format(
        "exchange: order entry on {}:{}; market data {}:{} (snapshots :{}) on interface {}, "
        "ttl {}; tickers {}; threading {}, idle {}",
        o.listen_addr, app_.port(), o.market_data.multicast_addr, o.market_data.multicast_port,
        o.market_data.snapshot_port, o.market_data.interface, o.ttl, fmt::join(o.tickers, ","),
        llt::common::to_string(o.process.threading), llt::common::to_string(o.process.idle));
  }

  std::string status_line() override { return app_.status_line(); }

  void log_status() override {
    const auto c = app_.order_server().counters();
    LLT_LOG_INFO(logger_, "status: sessions {} logged on {} requests {} responses {}",
                 c.sessions_live, c.sessions_logged_on, c.requests_received, c.responses_sent);
  }

  // The exit path: stop and the summary lines (the common code then prints the latency
  // table and writes the files asked for).
  void stop() override {
    LLT_LOG_INFO(logger_, "exchange stopping on signal");
    app_.stop();
    fmt::print("{}\n{}\n", app_.status_line(), app_.breakdown_line());
    LLT_LOG_INFO(logger_, "exchange stopped: {} requests, {} log records dropped",
                 app_.order_server().counters().requests_received, logger_.dropped());
  }

  std::vector<llt::common::LatencyHop> latency_hops() const override { return app_.latency_hops(); }

  std::string summary_json() const override { return llt::exchange::exchange_summary_json(app_); }

 private:
  Logger& logger_;
  ExchangeApp app_;
};

}  // namespace

int main(int argc, char** argv) {
  return llt::common::run_process<ExchangeProcess>("exchange", argc, argv,
                                                   llt::exchange::parse_exchange_command_line);
}
