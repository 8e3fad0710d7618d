// The trading executable: parses options, wires the components (TradingApp), runs for
// --duration seconds or until SIGINT or SIGTERM, then winds down (cancels its open orders and
// waits for their answers, so no fill is still on its way), stops them and prints the summary
// and the per-hop latency table.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cli/option_values.h"
#include "common/logging/logger.h"
#include "trading/engine/trade_engine.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/trading_app.h"
#include "trading/trading_summary.h"

namespace {

// How long the wind-down waits for the exchange to answer the last cancels; an order still
// open then is cancelled by the exchange when the session closes.
constexpr std::chrono::milliseconds kWindDownTimeout{2000};

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "stored from a signal handler");

extern "C" void on_signal(int /*signal*/) {
  g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace

int main(int argc, char** argv) {
  using llt::trading::TradingApp;
  using llt::trading::TradingCommandLine;

  TradingCommandLine command_line;
  try {
    command_line = llt::trading::parse_trading_command_line(argc, argv);
  } catch (const llt::common::UsageError& e) {
    fmt::print(stderr, "trading: {}\nTry 'trading --help'.\n", e.what());
    return 2;
  }
  if (command_line.help) {
    fmt::print("{}", command_line.help_text);
    return 0;
  }
  const auto& options = command_line.options;

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<llt::common::Logger> logger;
  std::unique_ptr<TradingApp> app;
  try {
    llt::common::LoggerOptions log_options;
    log_options.path = options.log_file;
    logger = std::make_unique<llt::common::Logger>(log_options);
    app = std::make_unique<TradingApp>(options, logger.get());
  } catch (const std::exception& e) {
    fmt::print(stderr, "trading: {}\n", e.what());
    return 1;
  }
  logger->register_thread("main");
  app->start();
  LLT_LOG_INFO(*logger, "trading started: client {}, exchange port {}, market data port {}",
               options.client_id, options.port, options.multicast_port);
  fmt::print(
      "trading: client {} strategy {} tickers {}; order entry to {}:{}; market data {}:{} "
      "(snapshots :{}) on interface {}; threading {}, idle {}\n",
      options.client_id, llt::trading::to_string(options.strategy), fmt::join(options.tickers, ","),
      options.host, options.port, options.multicast_addr, options.multicast_port,
      options.snapshot_port, options.interface, llt::common::to_string(options.threading),
      llt::common::to_string(options.idle));
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(options.duration_s));
  const auto interval = std::chrono::seconds(options.stats_interval_s);
  auto next_status = start + interval;
  while (!g_stop.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = std::chrono::steady_clock::now();
    if (options.duration_s > 0 && now >= deadline) {
      break;
    }
    if (options.stats_interval_s > 0 && now >= next_status) {
      const std::string line = app->status_line();
      fmt::print("{}\n", line);
      std::fflush(stdout);
      if (!options.log_file.empty()) {
        LLT_LOG_INFO(*logger, "status: orders {} fills {} recovering {}",
                     app->engine().orders_sent(), app->engine().fills(),
                     app->consumer().recovering());
      }
      next_status += interval;
    }
  }

  LLT_LOG_INFO(*logger, "trading stopping");
  const bool flat = app->wind_down(kWindDownTimeout);
  app->stop();
  if (!flat) {
    fmt::print(stderr,
               "trading: wind-down: not flat after {} ms ({} order(s) open at stop); the "
               "exchange cancels them on logout, and a fill racing that is not in this "
               "summary\n",
               kWindDownTimeout.count(), app->engine().order_manager().open_orders());
  }
  fmt::print("{}", app->summary());
  app->print_latency_table(stdout);
  int status = 0;
  try {
    if (!options.latency_csv.empty()) {
      app->write_latency_csv(options.latency_csv);
    }
    if (!options.book_dump.empty()) {
      app->write_book_dump(options.book_dump);
    }
    if (!options.summary_json.empty()) {
      llt::trading::write_trading_summary_json(*app, options.summary_json);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "trading: {}\n", e.what());
    status = 1;
  }
  LLT_LOG_INFO(*logger, "trading stopped: {} log records dropped", logger->dropped());
  logger->stop();
  fmt::print("trading: stopped\n");
  return status;
}
