#include "common/cli/process_main.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "common/json/json_writer.h"
#include "common/logging/logger.h"

namespace llt::common {

namespace {

// How often the main thread looks at the clock while it waits for a stop signal.
constexpr std::chrono::milliseconds kStatusLoopTick{10};

// SIGINT and SIGTERM stop the process. They are blocked in every thread (the mask is set on
// the main thread before any other thread exists, and threads inherit it) and the main thread
// takes them itself, synchronously, in its status loop (sigtimedwait). No handler runs on
// whichever thread the kernel picked, and a signal that arrives during start-up waits,
// pending, until the loop takes it.
sigset_t stop_signals() {
  sigset_t set{};
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void block_stop_signals() {
  const sigset_t set = stop_signals();
  (void)pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

// Waits up to `limit` for SIGINT or SIGTERM; true when one came.
bool wait_for_stop_signal(std::chrono::milliseconds limit) {
  const sigset_t set = stop_signals();
  const auto ms = limit.count();
  const timespec timeout{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
  const int taken = sigtimedwait(&set, nullptr, &timeout);
  return taken == SIGINT || taken == SIGTERM;
}

}  // namespace

bool stop_signal_pending() noexcept {
  sigset_t pending{};
  if (sigpending(&pending) != 0) {
    return false;
  }
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

namespace {

using Clock = std::chrono::steady_clock;

// --stats-csv: the header once the process started, a row every --stats-csv-interval-ms and
// one more after the stop. Each row is flushed, so the file can be read (or plotted) while the
// process runs. A write error ends the file's rows and is reported at the exit.
class StatsCsv {
 public:
  StatsCsv(const ProcessOptions& options, Clock::time_point start)
      : start_(start),
        last_row_(start),
        interval_(std::chrono::milliseconds(options.stats_csv_interval_ms)),
        next_row_(start + interval_) {
    if (options.stats_csv.empty()) {
      return;
    }
    file_ = std::fopen(options.stats_csv.c_str(), "w");
    if (file_ == nullptr) {
      throw std::system_error(errno, std::generic_category(),
                              "--stats-csv: cannot write " + options.stats_csv);
    }
    path_ = options.stats_csv;
  }
  StatsCsv(const StatsCsv&) = delete;
  StatsCsv& operator=(const StatsCsv&) = delete;
  ~StatsCsv() {
    if (file_ != nullptr) {
      (void)std::fclose(file_);
    }
  }

  void write_header(const Process& process) {
    if (file_ == nullptr) {
      return;
    }
    columns_ = process.stats_csv_header();
    if (columns_.empty()) {
      close();  // this process has no stats rows
      return;
    }
    write_line("time_s," + columns_);
  }

  // A row when one is due.
  void tick(Process& process, Clock::time_point now) {
    if (file_ != nullptr && !columns_.empty() && now >= next_row_) {
      row(process, now);
      next_row_ += interval_;
      if (next_row_ <= now) {
        next_row_ = now + interval_;  // the loop fell behind: no burst of rows
      }
    }
  }

  // The last row (after the stop). Returns "" or the write error.
  std::string finish(Process& process) {
    if (file_ != nullptr && !columns_.empty()) {
      row(process, Clock::now());
    }
    if (file_ != nullptr && std::fclose(file_) != 0 && error_.empty()) {
      error_ = fmt::format("--stats-csv: closing {} failed: {}", path_,
                           std::generic_category().message(errno));
    }
    file_ = nullptr;
    return error_;
  }

 private:
  void row(Process& process, Clock::time_point now) {
    const double interval_s = rows_ == 0 ? 0.0 : seconds(now - last_row_);
    write_line(fmt::format("{:.3f},{}", seconds(now - start_), process.stats_csv_row(interval_s)));
    last_row_ = now;
    ++rows_;
  }

  void write_line(const std::string& line) {
    if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) == EOF ||
        std::fflush(file_) != 0) {
      error_ = fmt::format("--stats-csv: write to {} failed: {}", path_,
                           std::generic_category().message(errno));
      close();
    }
  }

  void close() {
    if (file_ != nullptr) {
      (void)std::fclose(file_);
      file_ = nullptr;
    }
  }

  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  Clock::time_point start_;
  Clock::time_point last_row_;
  Clock::duration interval_;
  Clock::time_point next_row_;
  std::FILE* file_ = nullptr;
  std::string path_;
  std::string columns_;
  std::string error_;
  std::uint64_t rows_ = 0;
};

// Prints a status line every --stats-interval (and writes the --stats-csv rows) until a
// signal, run_for_s() passed, or a fatal error (returned; empty otherwise).
std::string run_status_loop(Process& process, const ProcessOptions& options, StatsCsv& csv) {
  const double run_for_s = process.run_for_s();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(run_for_s));
  const auto interval = std::chrono::seconds(options.stats_interval_s);
  auto next_status = start + interval;
  while (!wait_for_stop_signal(kStatusLoopTick)) {
    const auto now = Clock::now();
    if (run_for_s > 0 && now >= deadline) {
      break;
    }
    std::string fatal = process.fatal_error();
    if (!fatal.empty()) {
      return fatal;
    }
    csv.tick(process, now);
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
  block_stop_signals();
  // Lifecycle events go to the log (--log-file, else stderr); status records too when a log
  // file is given (on a terminal the status lines are already on stdout).
  std::unique_ptr<Logger> logger;
  std::unique_ptr<Process> process;
  std::unique_ptr<StatsCsv> csv;
  try {
    LoggerOptions log_options;
    log_options.path = options.log_file;
    log_options.min_level = options.log_level;
    try {
      logger = std::make_unique<Logger>(log_options);
    } catch (const std::system_error& e) {
      // The flags' check passed (the file could be made) but the open for appending failed.
      fmt::print(stderr, "{}: --log-file {}: cannot open: {}\n", program, options.log_file,
                 e.code().message());
      return kExitFailure;
    }
    process = make(*logger);
    csv = std::make_unique<StatsCsv>(options, Clock::now());
  } catch (const StartUpStopped& e) {
    fmt::print(stderr, "{}: {}\n", program, e.what());
    return kExitOk;
  } catch (const std::bad_alloc&) {
    // Every pool, queue and ring is allocated here, sized by flags.
    fmt::print(stderr,
               "{}: out of memory while allocating at start-up: lower the capacities the flags "
               "set (see '{} --help')\n",
               program, program);
    return kExitFailure;
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
  csv->write_header(*process);
  const std::string fatal = run_status_loop(*process, options, *csv);
  if (!fatal.empty()) {
    fmt::print(stderr, "{}: {}\n", program, fatal);
  }
  process->stop();
  int status = finish(program, *process, options);
  const std::string csv_error = csv->finish(*process);
  if (!csv_error.empty()) {
    fmt::print(stderr, "{}: {}\n", program, csv_error);
    status = kExitFailure;
  }
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
  if (logger->write_failures() > 0) {
    // The log lost records (a full disk, /dev/full): a file the run wrote is incomplete.
    fmt::print(stderr, "{}: {}: {} writes failed, the log is incomplete: {}\n", program,
               options.log_file.empty() ? std::string("the log (stderr)")
                                        : "--log-file " + options.log_file,
               logger->write_failures(),
               std::generic_category().message(logger->last_write_errno()));
    if (status == kExitOk) {
      status = kExitFailure;
    }
  }
  fmt::print("{}: stopped\n", program);
  return status;
}

}  // namespace llt::common
