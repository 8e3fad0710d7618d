#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include "common/cli/option_values.h"
#include "common/concurrent/agent_runner.h"
#include "common/concurrent/idle_strategy.h"
#include "common/logging/logger.h"

// The flags both executables take, declared and read here once (cold code). Each executable
// adds them to its own options_description, so its --help lists them with its other flags;
// docs/operations.md has the tables.
namespace llt::common {

// How the process places its agents on threads and what it reports.
struct ProcessOptions {
  ThreadingMode threading = ThreadingMode::kShared;  // --threading
  IdleMode idle = IdleMode::kBackoff;                // --idle
  std::vector<int> cpus;                             // --cpus; empty: no pinning
  std::uint32_t stats_interval_s = 5;                // --stats-interval; 0: no status line
  std::string log_file;                              // --log-file; empty: stderr
  LogLevel log_level = LogLevel::kInfo;              // --log-level: the lowest level logged
  std::string latency_csv;                           // --latency-csv; empty: none
  std::string summary_json;                          // --summary-json; empty: none
  std::string stats_csv;                             // --stats-csv; empty: none
  std::uint32_t stats_csv_interval_ms = 1000;        // --stats-csv-interval-ms
  bool stage_costs = false;                          // --stage-costs
};

// The two multicast market data streams: the exchange sends them, a trading client joins them.
struct MarketDataChannelOptions {
  std::string multicast_addr = "239.255.0.1";  // --multicast-addr, a multicast group
  std::uint16_t multicast_port = 5000;         // --multicast-port, the incremental stream
  std::uint16_t snapshot_port = 5001;          // --snapshot-port; multicast_port + 1 unless given
  std::string interface = "127.0.0.1";         // --interface, a local IPv4 address
};

// What an executable's command-line parser returns.
template <class Options>
struct CommandLine {
  bool help = false;     // --help was given: print help_text and exit 0
  bool version = false;  // --version was given: print version_line() and exit 0
  std::string help_text;
  Options options;
};

// An options_description captioned `caption` whose first flags are --help (-h), --version and
// --config.
[[nodiscard]] boost::program_options::options_description command_line_description(
    const std::string& caption);

// Adds --threading, --idle, --cpus, --stats-interval, --log-file, --log-level, --latency-csv,
// --summary-json, --stats-csv, --stats-csv-interval-ms and --stage-costs.
void add_process_flags(boost::program_options::options_description& desc);
// Throws UsageError naming the flag and the reason for a bad value.
[[nodiscard]] ProcessOptions read_process_flags(const boost::program_options::variables_map& vm);

// Adds --multicast-addr (-m), --multicast-port, --snapshot-port and --interface (-i);
// `interface_help` says what the interface is used for on this side.
void add_market_data_flags(boost::program_options::options_description& desc,
                           const char* interface_help);
// Throws UsageError naming the flag and the reason for a bad value.
[[nodiscard]] MarketDataChannelOptions read_market_data_flags(
    const boost::program_options::variables_map& vm);

// The agent runner's options for these flags; `name` prefixes the thread names.
[[nodiscard]] RunnerOptions runner_options(const ProcessOptions& options, std::string name);

// The flags' values with where each came from when it was not the command line
// (docs/operations.md, Configuration files and environment).
class FlagValues : public boost::program_options::variables_map {
 public:
  // "environment variable LLT_PORT" or "FILE:LINE", by flag name without dashes; a flag
  // absent here came from the command line or is its default.
  std::map<std::string, std::string, std::less<>> origins;

  // `error` ("--flag: reason") prefixed with the flag's origin when it has one.
  [[nodiscard]] UsageError with_origin(const UsageError& error) const;
};

// The environment variable of a long flag: LLT_ + the name upper-cased, dashes to
// underscores ("stats-interval": LLT_STATS_INTERVAL).
[[nodiscard]] std::string environment_name(std::string_view flag);

// Parses the flags of `desc` (every value declared as text, so each flag's validation is ours)
// from, in order of precedence: argv, the LLT_* environment variables, the --config file (named
// on the command line or in LLT_CONFIG), then the defaults. Throws UsageError for an unknown
// flag, a missing value (also when another flag follows), a positional word ("--" included) or
// a flag given twice on the command line ("--flag: reason"); for a config file that is not a
// regular file or a pipe, is larger than 1 MiB, cannot be read, has an unknown key, a key set
// twice or a line that is not "name = value" (naming the file, the line and the key); for a
// switch whose value in a file or a known LLT_* variable is not exactly true or false (naming
// the line or the variable), whichever source wins. Other LLT_* variables are ignored. A value
// that a stronger source replaces is not read further: its meaning may depend on the other
// values of its own source, and reading some (a host name, an output file) asks the machine.
[[nodiscard]] FlagValues parse_flags(int argc, const char* const argv[],
                                     const boost::program_options::options_description& desc);

// Runs `read`(flags), which reads and checks the flags' values; a UsageError about a flag whose
// value came from the environment or a config file is rethrown naming that origin too.
template <class Read>
auto read_flags(const FlagValues& flags, Read&& read) -> decltype(read(flags)) {
  try {
    return read(flags);
  } catch (const UsageError& e) {
    throw flags.with_origin(e);
  }
}

// True when --version was given: the parser then returns with CommandLine::version set and
// reads no other flag.
[[nodiscard]] bool version_requested(const boost::program_options::variables_map& vm);

// "<program> <version> (commit <short hash>)", the --version line (without the commit part
// when the build was configured without git); the version is the project's, from the
// generated llt/version.h.
[[nodiscard]] std::string version_line(std::string_view program);

// The --help text of `desc`.
[[nodiscard]] std::string help_text(const boost::program_options::options_description& desc);

// A flag's text, as declared with po::value<std::string>(); `name` without the dashes.
[[nodiscard]] const std::string& flag_text(const boost::program_options::variables_map& vm,
                                           std::string_view name);

// The value of --`name` (no dashes) as a decimal in [min, max]; throws UsageError naming
// --`name` and the reason.
[[nodiscard]] std::uint64_t unsigned_flag(const boost::program_options::variables_map& vm,
                                          std::string_view name, std::uint64_t min,
                                          std::uint64_t max);
[[nodiscard]] double double_flag(const boost::program_options::variables_map& vm,
                                 std::string_view name, double min, double max);

}  // namespace llt::common
