#include "common/cli/process_options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/program_options.hpp>

#include "common/cli/option_values.h"
#include "llt/version.h"

namespace llt::common {

namespace po = boost::program_options;

po::options_description command_line_description(const std::string& caption) {
  po::options_description desc(caption);
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("version", "print the version and exit")
    ("config", po::value<std::string>(),
     "read flags from this file, one 'name = value' a line (the long flag name without --, "
     "# starts a comment); the command line and LLT_* environment variables override it");
  // clang-format on
  return desc;
}

void add_process_flags(po::options_description& desc) {
  // clang-format off
  desc.add_options()
    ("threading", po::value<std::string>()->default_value("shared"),
     "dedicated (a pinned thread per agent) or shared (one thread)")
    ("idle", po::value<std::string>()->default_value("backoff"),
     "what an agent thread does when it finds no work: spin (busy-poll), backoff (spin, yield, "
     "then sleep up to 100 us) or block (sleep in epoll_wait until a packet or a queue wakes it)")
    ("cpus", po::value<std::string>()->default_value(""), "CPUs to pin agent threads to, e.g. 0,1")
    ("stats-interval", po::value<std::string>()->default_value("5"),
     "seconds between status lines (0: none)")
    ("log-file", po::value<std::string>()->default_value(""), "log file (default: stderr)")
    ("log-level", po::value<std::string>()->default_value("info"),
     "lowest level of the records logged: debug, info, warn or error")
    ("latency-csv", po::value<std::string>()->default_value(""),
     "write the per-hop latency histograms to this CSV file on exit")
    ("summary-json", po::value<std::string>()->default_value(""),
     "write the exit summary (counters, rejects by reason, latency percentiles; the trading "
     "client adds positions and P&L) to this JSON file on exit")
    ("stats-csv", po::value<std::string>()->default_value(""),
     "write a CSV with one row of counters, rates, P&L (cents), top of book (cents) and "
     "latency percentiles (us) per --stats-csv-interval-ms while running")
    ("stats-csv-interval-ms", po::value<std::string>()->default_value("1000"),
     "milliseconds between the rows of --stats-csv (10 to 3600000)")
    ("stage-costs", po::bool_switch(),
     "time every agent's polls (and the parts of the busiest) with the TSC and print where the "
     "time went at exit (a diagnostic: the timing costs a little on every poll)");
  // clang-format on
}

ProcessOptions read_process_flags(const po::variables_map& vm) {
  ProcessOptions o;
  o.threading = *parse_threading_mode(
      parse_choice("--threading", flag_text(vm, "threading"), {"dedicated", "shared"}));
  o.idle =
      *parse_idle_mode(parse_choice("--idle", flag_text(vm, "idle"), {"spin", "backoff", "block"}));
  o.cpus = parse_cpu_list("--cpus", flag_text(vm, "cpus"));
  o.stats_interval_s = static_cast<std::uint32_t>(unsigned_flag(vm, "stats-interval", 0, 86'400));
  o.log_file = flag_text(vm, "log-file");
  const std::string level =
      parse_choice("--log-level", flag_text(vm, "log-level"), {"debug", "info", "warn", "error"});
  o.log_level = level == "debug"  ? LogLevel::kDebug
                : level == "info" ? LogLevel::kInfo
                : level == "warn" ? LogLevel::kWarn
                                  : LogLevel::kError;
  o.latency_csv = flag_text(vm, "latency-csv");
  o.summary_json = flag_text(vm, "summary-json");
  o.stats_csv = flag_text(vm, "stats-csv");
  check_output_files({{"--log-file", o.log_file},
                      {"--latency-csv", o.latency_csv},
                      {"--summary-json", o.summary_json},
                      {"--stats-csv", o.stats_csv}});
  o.stats_csv_interval_ms =
      static_cast<std::uint32_t>(unsigned_flag(vm, "stats-csv-interval-ms", 10, 3'600'000));
  o.stage_costs = vm.count("stage-costs") != 0 && vm["stage-costs"].as<bool>();
  return o;
}

void add_market_data_flags(po::options_description& desc, const char* interface_help) {
  // clang-format off
  desc.add_options()
    ("multicast-addr,m", po::value<std::string>()->default_value("239.255.0.1"),
     "multicast group of both market data streams")
    ("multicast-port", po::value<std::string>()->default_value("5000"), "incremental stream port")
    ("snapshot-port", po::value<std::string>(), "snapshot stream port (default: multicast port + 1)")
    ("interface,i", po::value<std::string>()->default_value("127.0.0.1"), interface_help);
  // clang-format on
}

MarketDataChannelOptions read_market_data_flags(const po::variables_map& vm) {
  MarketDataChannelOptions o;
  o.multicast_addr =
      parse_multicast_group_text("--multicast-addr", flag_text(vm, "multicast-addr"));
  o.multicast_port = parse_port("--multicast-port", flag_text(vm, "multicast-port"));
  o.snapshot_port = parse_snapshot_port(
      "--snapshot-port",
      vm.count("snapshot-port") != 0 ? std::optional<std::string>(flag_text(vm, "snapshot-port"))
                                     : std::nullopt,
      o.multicast_port);
  o.interface = parse_multicast_interface_text("--interface", flag_text(vm, "interface"));
  return o;
}

RunnerOptions runner_options(const ProcessOptions& options, std::string name) {
  RunnerOptions runner;
  runner.threading = options.threading;
  runner.idle = options.idle;
  runner.cpus = options.cpus;
  runner.name = std::move(name);
  return runner;
}

namespace {

// Flags that only the command line may give: not read from the environment or a config file.
bool command_line_only(std::string_view name) {
  return name == "help" || name == "version" || name == "journal-check";
}

// True when `vm` holds a value of `name` given explicitly (not its default).
bool given(const po::variables_map& vm, const std::string& name) {
  const auto it = vm.find(name);
  return it != vm.end() && !it->second.defaulted() && !it->second.empty();
}

// The flags of `desc` but `exclude`, sharing their descriptions.
po::options_description without(const po::options_description& desc,
                                const std::set<std::string_view>& exclude) {
  po::options_description result;
  for (const auto& option : desc.options()) {
    const std::string& name = option->long_name();
    if (!command_line_only(name) && exclude.count(name) == 0) {
      result.add(option);
    }
  }
  return result;
}

// The text of a config file, read once: the parse and the search for an error's line use it
// (a pipe, such as --config <(...), can be read only once).
struct ConfigText {
  std::string path;
  std::string text;

  // The number of the `nth` line (from 1) after line `after` that sets `key` ("key = ..."
  // after blanks); 0 when there is none.
  [[nodiscard]] int line_of(std::string_view key, int nth = 1, int after = 0) const {
    std::istringstream in(text);
    std::string line;
    int found = 0;
    for (int number = 1; std::getline(in, line); ++number) {
      std::string_view rest = skip_blanks(line);
      if (number <= after || !rest.starts_with(key)) {
        continue;
      }
      rest = skip_blanks(rest.substr(key.size()));
      if (rest.starts_with('=') && ++found == nth) {
        return number;
      }
    }
    return 0;
  }

  // The number of the line that is `[section]` (after blanks); 0 when there is none.
  [[nodiscard]] int section_line(std::string_view section) const {
    std::istringstream in(text);
    std::string line;
    const std::string header = fmt::format("[{}]", section);
    for (int number = 1; std::getline(in, line); ++number) {
      if (skip_blanks(line).starts_with(header)) {
        return number;
      }
    }
    return 0;
  }

  // "PATH:LINE" when line > 0, else "PATH".
  [[nodiscard]] std::string at(int line) const {
    return line > 0 ? fmt::format("{}:{}", path, line) : path;
  }
  // "PATH:LINE" of `key`, or "PATH" when the line is not found.
  [[nodiscard]] std::string origin(std::string_view key) const { return at(line_of(key)); }

 private:
  static std::string_view skip_blanks(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
      text.remove_prefix(1);
    }
    return text;
  }
};

// ", --NAME is a switch: it takes no value" when the word `stray` follows a switch on the
// command line (--keep-orders true), else "".
std::string switch_before(int argc, const char* const argv[], const po::options_description& desc,
                          const std::string& stray) {
  for (int i = 2; i < argc; ++i) {
    const std::string_view previous(argv[i - 1]);
    if (argv[i] != stray || !previous.starts_with("--") || previous.find('=') != previous.npos) {
      continue;
    }
    const po::option_description* option = desc.find_nothrow(std::string(previous.substr(2)), true);
    if (option != nullptr && option->semantic()->max_tokens() == 0) {
      return fmt::format(": --{} is a switch and takes no value", option->long_name());
    }
  }
  return "";
}

// Stores the command line; errors name the flag.
void store_command_line(int argc, const char* const argv[], const po::options_description& desc,
                        po::variables_map& vm) {
  try {
    const po::parsed_options parsed = po::command_line_parser(argc, argv).options(desc).run();
    // Words that are no flag's value (Boost keeps them as positional tokens, which no flag of
    // these programs takes): a forgotten "--" or a value split from its flag by a stray space.
    const std::vector<std::string> stray =
        po::collect_unrecognized(parsed.options, po::include_positional);
    if (!stray.empty()) {
      throw UsageError(fmt::format("'{}': is not a flag or a flag's value (flags start with --){}",
                                   stray.front(), switch_before(argc, argv, desc, stray.front())));
    }
    po::store(parsed, vm);
  } catch (const po::unknown_option& e) {
    throw UsageError(fmt::format("{}: is not a flag of this program", e.get_option_name()));
  } catch (const po::invalid_command_line_syntax& e) {
    if (e.kind() == po::invalid_syntax::missing_parameter) {
      throw UsageError(fmt::format("{}: needs a value", e.get_option_name()));
    }
    throw UsageError(fmt::format("{}: {}", e.get_option_name(), e.what()));
  } catch (const po::ambiguous_option& e) {
    throw UsageError(fmt::format("{}: is ambiguous: {}", e.get_option_name(),
                                 fmt::join(e.alternatives(), ", ")));
  } catch (const po::multiple_occurrences& e) {
    throw UsageError(fmt::format("{}: is given more than once", e.get_option_name()));
  } catch (const po::error_with_option_name& e) {
    throw UsageError(fmt::format("{}: {}", e.get_option_name(), e.what()));
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
}

// Stores the LLT_* variables of the flags of `desc` (Boost's parse_environment with a name
// mapper); other variables are ignored. Values already on the command line win.
void store_environment(const po::options_description& desc, FlagValues& flags) {
  std::map<std::string, std::string, std::less<>> flag_of;  // LLT_NAME -> name
  for (const auto& option : desc.options()) {
    flag_of.emplace(environment_name(option->long_name()), option->long_name());
  }
  po::parsed_options parsed(&desc);
  try {
    parsed = po::parse_environment(desc, [&flag_of](const std::string& variable) -> std::string {
      const auto it = flag_of.find(variable);
      return it == flag_of.end() ? std::string() : it->second;
    });
  } catch (const po::error& e) {
    throw UsageError(fmt::format("environment: {}", e.what()));
  }
  for (const po::option& option : parsed.options) {
    if (!given(flags, option.string_key)) {
      flags.origins[option.string_key] =
          fmt::format("environment variable {}", environment_name(option.string_key));
    }
  }
  try {
    po::store(parsed, flags);
  } catch (const po::error_with_option_name& e) {
    throw UsageError(fmt::format("environment variable {}: {}",
                                 environment_name(e.get_option_name()), e.what()));
  } catch (const po::error& e) {
    throw UsageError(fmt::format("environment: {}", e.what()));
  }
}

// Stores the config file `path`; values already on the command line or in the environment
// win. Errors name the file, the line (when found) and the key.
void store_config_file(const std::string& path, const po::options_description& desc,
                       FlagValues& flags) {
  // A directory opens and reads as empty. Anything else that reads is taken, a pipe included
  // (--config <(...)): it is read once, here.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw UsageError(fmt::format("--config: '{}' is a directory, not a file", path));
  }
  std::ifstream in(path);
  if (!in) {
    throw UsageError(fmt::format("--config: cannot read '{}': {}", path,
                                 std::generic_category().message(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  const ConfigText config{path, content.str()};
  std::istringstream config_in(config.text);
  po::parsed_options parsed(&desc);
  try {
    parsed = po::parse_config_file(config_in, desc, false);
  } catch (const po::unknown_option& e) {
    // Boost names the key with its section, if any.
    std::string key = e.get_option_name();
    if (key.starts_with("--")) {
      key.erase(0, 2);
    }
    // The two slips a flag from the command line makes in a file: its leading --, and a
    // "[section]" line, which makes every key below it "section.key".
    if (const int line = config.line_of("--" + key); line > 0) {
      throw UsageError(fmt::format("{}: '--{}': a config file names a flag without its --",
                                   config.at(line), key));
    }
    if (const std::size_t dot = key.find('.'); dot != std::string::npos) {
      const std::string section = key.substr(0, dot);
      const std::string name = key.substr(dot + 1);
      const int line = config.line_of(name, 1, config.section_line(section));
      throw UsageError(
          fmt::format("{}: '{}': a config file has no [sections]: set '{}' before "
                      "the '[{}]' line or remove that line",
                      config.at(line), key, name, section));
    }
    throw UsageError(
        fmt::format("{}: '{}' is not a flag of this program or not one a config file may set",
                    config.origin(key), key));
  } catch (const po::error& e) {
    throw UsageError(fmt::format("{}: {}", path, e.what()));
  }
  for (const po::option& option : parsed.options) {
    if (!given(flags, option.string_key)) {
      flags.origins[option.string_key] = config.origin(option.string_key);
    }
  }
  try {
    po::store(parsed, flags);
  } catch (const po::multiple_occurrences& e) {
    std::string key = e.get_option_name();
    if (key.starts_with("--")) {
      key.erase(0, 2);
    }
    throw UsageError(
        fmt::format("{}: '{}' is set more than once", config.at(config.line_of(key, 2)), key));
  } catch (const po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    if (key.starts_with("--")) {
      key.erase(0, 2);
    }
    throw UsageError(fmt::format("{}: {}: {}", config.origin(key), key, e.what()));
  } catch (const po::error& e) {
    throw UsageError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace

UsageError FlagValues::with_origin(const UsageError& error) const {
  const std::string_view what(error.what());
  if (what.starts_with("--")) {
    const std::string_view name = what.substr(2, what.find(':') - 2);
    const auto it = origins.find(name);
    if (it != origins.end()) {
      return UsageError(fmt::format("{}: {}", it->second, what));
    }
  }
  return error;
}

std::string environment_name(std::string_view flag) {
  std::string name = "LLT_";
  for (const char c : flag) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

FlagValues parse_flags(int argc, const char* const argv[], const po::options_description& desc) {
  FlagValues flags;
  store_command_line(argc, argv, desc, flags);
  if (flags.count("help") != 0 || flags.count("version") != 0) {
    return flags;
  }
  // The environment may name the config file (LLT_CONFIG) but a config file may not.
  store_environment(without(desc, {}), flags);
  if (given(flags, "config")) {
    const std::string path = flags["config"].as<std::string>();
    if (path.empty()) {
      throw UsageError("--config: needs a file name");
    }
    try {
      store_config_file(path, without(desc, {"config"}), flags);
    } catch (const UsageError& e) {
      throw flags.with_origin(e);  // the file named by LLT_CONFIG says so
    }
  }
  try {
    po::notify(flags);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return flags;
}

bool version_requested(const po::variables_map& vm) {
  return vm.count("version") != 0;
}

std::string version_line(std::string_view program) {
  const std::string_view commit(LLT_GIT_COMMIT);
  if (commit.empty()) {
    return fmt::format("{} {}", program, LLT_VERSION);
  }
  return fmt::format("{} {} (commit {})", program, LLT_VERSION, commit);
}

std::string help_text(const po::options_description& desc) {
  std::ostringstream text;
  text << desc;
  return text.str();
}

const std::string& flag_text(const po::variables_map& vm, std::string_view name) {
  return vm[std::string(name)].as<std::string>();
}

std::uint64_t unsigned_flag(const po::variables_map& vm, std::string_view name, std::uint64_t min,
                            std::uint64_t max) {
  return parse_unsigned(fmt::format("--{}", name), flag_text(vm, name), min, max);
}

double double_flag(const po::variables_map& vm, std::string_view name, double min, double max) {
  return parse_double(fmt::format("--{}", name), flag_text(vm, name), min, max);
}

}  // namespace llt::common
