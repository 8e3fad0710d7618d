#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include "common/concurrent/agent_runner.h"
#include "common/concurrent/idle_strategy.h"

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
  std::string latency_csv;                           // --latency-csv; empty: none
  std::string summary_json;                          // --summary-json; empty: none
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

// An options_description captioned `caption` whose first flags are --help (-h) and --version.
[[nodiscard]] boost::program_options::options_description command_line_description(
    const std::string& caption);

// Adds --threading, --idle, --cpus, --stats-interval, --log-file, --latency-csv and
// --summary-json.
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

// Parses argv against `desc` (every value declared as text, so each flag's validation is ours).
// Throws UsageError "--flag: reason" for an unknown flag, a missing value or a flag given
// twice.
[[nodiscard]] boost::program_options::variables_map parse_flags(
    int argc, const char* const argv[], const boost::program_options::options_description& desc);

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
