#pragma once

#include <concepts>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/cli/option_values.h"
#include "common/cli/process_options.h"
#include "common/stats/latency_report.h"

// The main() both executables share (cold code, the main thread): command line, signals,
// start-up errors, the status loop and the stop. Each main.cpp only wires its components
// into a Process. Running the executables: docs/operations.md.
namespace llt::common {

class Logger;

// Exit statuses of both executables.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;        // a component could not be set up, a file not written
inline constexpr int kExitUsageError = 2;     // a bad flag value, an unknown flag
inline constexpr int kExitNeverLoggedOn = 3;  // the trading client never logged on

// What a run came to, beyond its files being written: a status other than kExitOk is the
// exit status, with `message` printed on stderr.
struct RunOutcome {
  int status = kExitOk;
  std::string message;
};

// One executable as run_process() drives it. Every call is on the main thread.
class Process {
 public:
  virtual ~Process() = default;

  // Starts the agents; returns the start-up line printed on stdout.
  [[nodiscard]] virtual std::string start() = 0;
  // The line printed every --stats-interval while the agents run.
  [[nodiscard]] virtual std::string status_line() = 0;
  // After each status line when --log-file is given: a short record in the log.
  virtual void log_status() = 0;
  // --stats-csv (docs/operations.md, Charts of a run): the names of the columns after time_s,
  // comma-separated, asked once after start(); then every --stats-csv-interval-ms (and once
  // after stop()) one row of their values, where `interval_s` is the time since the previous
  // row (for rates; 0 for the first). An empty header: the process writes no stats CSV.
  [[nodiscard]] virtual std::string stats_csv_header() const { return {}; }
  [[nodiscard]] virtual std::string stats_csv_row(double /*interval_s*/) { return {}; }
  // Checked between status lines: a non-empty text is a failure the process cannot go on
  // from (e.g. its journal cannot be written); it stops, the text is printed on stderr and
  // the exit status is kExitFailure.
  [[nodiscard]] virtual std::string fatal_error() const { return {}; }
  // Seconds to run before stopping on its own; 0: until SIGINT or SIGTERM.
  [[nodiscard]] virtual double run_for_s() const noexcept { return 0.0; }
  // Stops the agents and prints the exit summary lines on stdout.
  virtual void stop() = 0;
  // After stop(): the per-hop latency histograms, printed as a table on stdout and written
  // to --latency-csv.
  [[nodiscard]] virtual std::vector<LatencyHop> latency_hops() const = 0;
  // After stop(): the exit summary as one JSON document, written to --summary-json.
  [[nodiscard]] virtual std::string summary_json() const = 0;
  // After stop(): the executable's own exit files. Throws std::system_error naming the flag
  // and the path when one cannot be written.
  virtual void write_files() const {}
  // After stop(), when everything else went well: the run's own outcome (e.g. the trading
  // client never logged on: kExitNeverLoggedOn).
  [[nodiscard]] virtual RunOutcome outcome() const { return {}; }
};

// Builds the process once the logger (--log-file) is open; throws to refuse to start.
// A build that takes long (the exchange's journal replay) looks at stop_signal_pending()
// between steps and throws StartUpStopped when SIGINT or SIGTERM came meanwhile.
using ProcessFactory = std::function<std::unique_ptr<Process>(Logger& logger)>;

// Thrown by a ProcessFactory that gave up its start-up because a stop was asked for (what():
// where it was, and what is left as it was): run_process prints "<program>: <what>" on stderr
// and returns kExitOk, as a stop of a running process does.
class StartUpStopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether SIGINT or SIGTERM is pending: sent, and not yet taken by the status loop (from
// run_process on, they are blocked in every thread, so one sent during start-up waits). Cheap
// enough to ask every few thousand steps of a long start-up. Where they are not blocked (outside
// run_process) none stays pending, so false.
[[nodiscard]] bool stop_signal_pending() noexcept;

// Prints "<program>: <what>" and "Try '<program> --help'." on stderr; returns kExitUsageError.
int report_usage_error(std::string_view program, const UsageError& error);

// SIGINT and SIGTERM request a stop (blocked in every thread and taken by the main thread
// itself, between status ticks, so a signal that comes during start-up is not lost), SIGPIPE
// is ignored; opens the logger and builds the process with `make` (an exception prints
// "<program>: <what>" on stderr and returns kExitFailure, StartUpStopped kExitOk); starts it,
// prints a status line every options.stats_interval_s (and a --stats-csv row every
// options.stats_csv_interval_ms) until a stop is requested or run_for_s() passed, stops
// it, prints the latency table, writes --latency-csv, --summary-json and write_files() (a
// file that cannot be written: "<program>: <what>" on stderr, exit status kExitFailure),
// then, when all went well, takes Process::outcome() (a non-zero status: its message on
// stderr), stops the logger and prints "<program>: stopped". The logger keeps records from
// options.log_level up. Returns the exit status.
int run_process(std::string_view program, const ProcessOptions& options,
                const ProcessFactory& make);

// The whole main(): parses argv with `parse` (a UsageError: report_usage_error; --help: the
// help text on stdout, kExitOk; --version: version_line() on stdout, kExitOk), then run_process
// with the options' `process` member and a P built from (options, logger).
template <class P, class Options>
requires std::constructible_from<P, const Options&, Logger&>
int run_process(std::string_view program, int argc, char** argv,
                CommandLine<Options> (*parse)(int, const char* const[])) {
  CommandLine<Options> command_line;
  try {
    command_line = parse(argc, argv);
  } catch (const UsageError& e) {
    return report_usage_error(program, e);
  }
  if (command_line.help) {
    std::fputs(command_line.help_text.c_str(), stdout);
    return kExitOk;
  }
  if (command_line.version) {
    std::fputs((version_line(program) + "\n").c_str(), stdout);
    return kExitOk;
  }
  const Options& options = command_line.options;
  return run_process(program, options.process,
                     [&options](Logger& logger) { return std::make_unique<P>(options, logger); });
}

}  // namespace llt::common
