// The exchange executable: parses options, wires the components (ExchangeApp), runs until
// SIGINT or SIGTERM, then stops them and prints the per-hop latency table. The shared main()
// is common/cli/process_main.h; running it: docs/operations.md.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/cli/process_main.h"
#include "common/logging/logger.h"
#include "exchange/exchange_app.h"
#include "exchange/exchange_summary.h"
#include "exchange/journal/journal_check.h"

namespace {

using llt::common::Logger;
using llt::exchange::ExchangeApp;
using llt::exchange::ExchangeOptions;

class ExchangeProcess final : public llt::common::Process {
 public:
  ExchangeProcess(const ExchangeOptions& options, Logger& logger)
      : logger_(logger), app_(options, &logger) {}

  std::string start() override {
    const llt::exchange::ExchangeRecovery& r = app_.recovery();
    if (r.journaled) {
      if (!r.torn_tail.empty()) {
        fmt::print("exchange: journal: torn tail cut off: {}\n", r.torn_tail);
      }
      if (!r.snapshot.empty()) {
        fmt::print("exchange: journal: restored snapshot {} ({} records before it not replayed)\n",
                   r.snapshot, r.records_in_snapshot);
      }
      fmt::print(
          "exchange: journal {} ({}): {} records replayed ({} requests) in {:.3f} s, {} clients, "
          "market data seq {}, {} cancel-on-disconnects applied\n",
          app_.options().journal_dir,
          app_.options().journal_sync_batch ? "sync batch" : "sync none", r.records, r.requests,
          static_cast<double>(r.elapsed_ns) / 1e9, r.clients, r.md_seq, r.owed_cancels);
      LLT_LOG_INFO(logger_, "journal replayed: {} records in {} ns, torn tail: {}", r.records,
                   r.elapsed_ns, r.torn_tail.empty() ? "none" : r.torn_tail);
    }
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
  std::string stats_csv_header() const override { return app_.stats_csv_header(); }
  std::string stats_csv_row(double interval_s) override { return app_.stats_csv_row(interval_s); }

  std::string fatal_error() const override {
    if (!app_.failed()) {
      return {};
    }
    const int error = app_.journal() != nullptr ? app_.journal()->writer().last_errno() : 0;
    return fmt::format("the journal in {} cannot be written ({}): nothing more is acknowledged",
                       app_.options().journal_dir, std::system_category().message(error));
  }

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
    if (const std::string stages = app_.stage_costs_table(); !stages.empty()) {
      fmt::print("exchange: stage costs (--stage-costs), TSC time per agent poll and part:\n{}",
                 stages);
    }
    LLT_LOG_INFO(logger_, "exchange stopped: {} requests, {} log records dropped",
                 app_.order_server().counters().requests_received, logger_.dropped());
  }

  std::vector<llt::common::LatencyHop> latency_hops() const override { return app_.latency_hops(); }

  std::string summary_json() const override { return llt::exchange::exchange_summary_json(app_); }

 private:
  Logger& logger_;
  ExchangeApp app_;
};

// --journal-check DIR: the directory to check, or a UsageError. The check runs alone, so any
// other argument is refused rather than ignored.
std::string journal_check_directory(int argc, char** argv, int at) {
  constexpr std::string_view kCheck = "--journal-check";
  const std::string_view arg(argv[at]);
  std::string directory;
  if (arg == kCheck) {
    if (at + 1 >= argc) {
      throw llt::common::UsageError("--journal-check: needs a value");
    }
    directory = argv[at + 1];
  } else {
    directory = std::string(arg.substr(kCheck.size() + 1));
  }
  const int used = arg == kCheck ? 2 : 1;
  if (argc != used + 1) {
    throw llt::common::UsageError(llt::exchange::kJournalCheckRunsAlone);
  }
  if (directory.empty()) {
    throw llt::common::UsageError("--journal-check: needs a directory");
  }
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(directory, error);
  if (!std::filesystem::exists(status)) {
    throw llt::common::UsageError("--journal-check: '" + directory + "' does not exist");
  }
  if (!std::filesystem::is_directory(status)) {
    throw llt::common::UsageError("--journal-check: '" + directory + "' is not a directory");
  }
  if (::access(directory.c_str(), R_OK | X_OK) != 0) {
    throw llt::common::UsageError("--journal-check: '" + directory +
                                  "' cannot be read: " + std::generic_category().message(errno));
  }
  return directory;
}

}  // namespace

int main(int argc, char** argv) {
  // --journal-check DIR runs the check tool instead of the exchange.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--journal-check" || arg.starts_with("--journal-check=")) {
      try {
        return llt::exchange::journal_check(journal_check_directory(argc, argv, i), std::cout);
      } catch (const llt::common::UsageError& e) {
        return llt::common::report_usage_error("exchange", e);
      }
    }
  }
  return llt::common::run_process<ExchangeProcess>("exchange", argc, argv,
                                                   llt::exchange::parse_exchange_command_line);
}
