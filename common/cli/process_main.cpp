#include "common/cli/process_main.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "common/json/json_writer.h"
#include "common/logging/logger.h"

namespace llt::common {

namespace {

// How often the main thread looks at the stop flag and the clock.
constexpr std::chrono::milliseconds kStatusLoopTick{10};

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "stored from a signal handler");

extern "C" void on_stop_signal(int /*signal*/) {
  g_stop.store(true, std::memory_order_relaxed);
}

void install_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGPIPE, SIG_IGN);
}

// Prints a status line every --stats-interval until a signal, run_for_s() passed, or a fatal
// error (returned; empty otherwise).
std::string run_status_loop(Process& process, const ProcessOptions& options) {
  using Clock = std::chrono::steady_clock;
  const double run_for_s = process.run_for_s();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run_for_s));
  const auto interval = std::chrono::seconds(options.stats_interval_s);
  auto next_status = start + interval;
  while (!g_stop.load(std::memory_order_relaxed)) {
    std::this_thread::sleep_for(kStatusLoopTick);
    const auto now = Clock::now();
    if (run_for_s > 0 && now >= deadline) {
      break;
    }
    std::string fatal = process.fatal_error();
    if (!fatal.empty()) {
      return fatal;
    }
    if (options.stats_interval_s > 0 && now >= next_status) {
      fmt::print("{}\n", process.status_line());
      std::fflush(stdout);
      if (!options.log_file.empty()) {
        process.log_status();
      }
      next_status += interval;
    }
  }
  return {};
}

// Calls write(); on an exception prints "<program>: <what>" and returns false.
template <class Write>
bool write_exit_file(std::string_view program, Write&& write) {
  try {
    write();
    return true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return false;
  }
}

// After Process::stop(): the latency table and every file asked for (each attempted even
// when an earlier one failed). Returns the exit status.
int finish(std::string_view program, const Process& process, const ProcessOptions& options) {
  const std::vector<LatencyHop> hops = process.latency_hops();
  print_latency_table(stdout, hops);
  bool written = true;
  if (!options.latency_csv.empty()) {
    written &= write_exit_file(program, [&] { write_latency_csv(options.latency_csv, hops); });
  }
  if (!options.summary_json.empty()) {
    written &= write_exit_file(program, [&] {
      write_text_file(options.summary_json, process.summary_json(), "--summary-json");
    });
  }
  written &= write_exit_file(program, [&] { process.write_files(); });
  return written ? kExitOk : kExitFailure;
}

}  // namespace

int report_usage_error(std::string_view program, const UsageError& error) {
  fmt::print(stderr, "{}: {}\nTry '{} --help'.\n", program, error.what(), program);
  return kExitUsageError;
}

int run_process(std::string_view program, const ProcessOptions& options,
                const ProcessFactory& make) {
  install_stop_signals();
  // Lifecycle events go to the log (--log-file, else stderr); status records too when a log
  // file is given (on a terminal the status lines are already on stdout).
  std::unique_ptr<Logger> logger;
  std::unique_ptr<Process> process;
  try {
    LoggerOptions log_options;
    log_options.path = options.log_file;
    log_options.min_level = options.log_level;
    logger = std::make_unique<Logger>(log_options);
    process = make(*logger);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return kExitFailure;
  }
  if (!logger->register_thread("main")) {
    // Not fatal: the main thread's records are dropped and counted in dropped().
    fmt::print(stderr, "{}: logger: no queue left for the main thread\n", program);
  }
  fmt::print("{}\n", process->start());
  std::fflush(stdout);
  const std::string fatal = run_status_loop(*process, options);
  if (!fatal.empty()) {
    fmt::print(stderr, "{}: {}\n", program, fatal);
  }
  process->stop();
  int status = finish(program, *process, options);
  if (!fatal.empty()) {
    status = kExitFailure;
  }
  if (status == kExitOk) {
    const RunOutcome outcome = process->outcome();
    if (outcome.status != kExitOk) {
      fmt::print(stderr, "{}: {}\n", program, outcome.message);
      status = outcome.status;
    }
  }
  logger->stop();
  fmt::print("{}: stopped\n", program);
  return status;
}

}  // namespace llt::common
