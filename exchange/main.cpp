// The exchange executable: parses options, wires the components (ExchangeApp), runs until
// SIGINT or SIGTERM, then stops them and prints the per-hop latency table.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "common/cli/option_values.h"
#include "common/logging/logger.h"
#include "exchange/exchange_app.h"
#include "exchange/exchange_summary.h"

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "stored from a signal handler");

extern "C" void on_signal(int /*signal*/) {
  g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace

int main(int argc, char** argv) {
  using llt::exchange::ExchangeApp;
  using llt::exchange::ExchangeCommandLine;

  ExchangeCommandLine command_line;
  try {
    command_line = llt::exchange::parse_exchange_command_line(argc, argv);
  } catch (const llt::common::UsageError& e) {
    fmt::print(stderr, "exchange: {}\nTry 'exchange --help'.\n", e.what());
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

  // Lifecycle events go to the log (--log-file, else stderr); status lines too when a log
  // file is given (on a terminal they are already on stdout).
  std::unique_ptr<llt::common::Logger> logger;
  std::unique_ptr<ExchangeApp> app;
  try {
    llt::common::LoggerOptions log_options;
    log_options.path = options.log_file;
    logger = std::make_unique<llt::common::Logger>(log_options);
    app = std::make_unique<ExchangeApp>(options);
  } catch (const std::exception& e) {
    fmt::print(stderr, "exchange: {}\n", e.what());
    return 1;
  }
  logger->register_thread("main");
  app->start();
  LLT_LOG_INFO(*logger, "exchange started: order entry port {}, market data port {}, {} tickers",
               app->port(), options.multicast_port, options.tickers.size());
  fmt::print(
      "exchange: order entry on {}:{}; market data {}:{} (snapshots :{}) on interface {}, ttl "
      "{}; tickers {}; threading {}, idle {}\n",
      options.listen_addr, app->port(), options.multicast_addr, options.multicast_port,
      options.snapshot_port, options.interface, options.ttl, fmt::join(options.tickers, ","),
      llt::common::to_string(options.threading), llt::common::to_string(options.idle));
  std::fflush(stdout);

  const auto interval = std::chrono::seconds(options.stats_interval_s);
  auto next_status = std::chrono::steady_clock::now() + interval;
  while (!g_stop.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (options.stats_interval_s > 0 && std::chrono::steady_clock::now() >= next_status) {
      fmt::print("{}\n", app->status_line());
      std::fflush(stdout);
      if (!options.log_file.empty()) {
        const auto c = app->order_server().counters();
        LLT_LOG_INFO(*logger, "status: sessions {} logged on {} requests {} responses {}",
                     c.sessions_live, c.sessions_logged_on, c.requests_received, c.responses_sent);
      }
      next_status += interval;
    }
  }

  LLT_LOG_INFO(*logger, "exchange stopping on signal");
  app->stop();
  fmt::print("{}\n{}\n", app->status_line(), app->breakdown_line());
  app->print_latency_table(stdout);
  int status = 0;
  if (!options.latency_csv.empty()) {
    try {
      app->write_latency_csv(options.latency_csv);
    } catch (const std::exception& e) {
      fmt::print(stderr, "exchange: {}\n", e.what());
      status = 1;
    }
  }
  if (!options.summary_json.empty()) {
    try {
      llt::exchange::write_exchange_summary_json(*app, options.summary_json);
    } catch (const std::exception& e) {
      fmt::print(stderr, "exchange: {}\n", e.what());
      status = 1;
    }
  }
  LLT_LOG_INFO(*logger, "exchange stopped: {} requests, {} log records dropped",
               app->order_server().counters().requests_received, logger->dropped());
  logger->stop();
  fmt::print("exchange: stopped\n");
  return status;
}
