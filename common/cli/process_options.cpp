#include "common/cli/process_options.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
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
#include "common/net/socket_fd.h"
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
  // Unset: no pinning. Given, the list may not be empty (a forgotten value, not "no CPUs").
  if (!vm["cpus"].defaulted() && flag_text(vm, "cpus").empty()) {
    throw UsageError("--cpus: '' is an empty list (leave the flag out not to pin threads)");
  }
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

// At most this much of a config file is read: what is longer is no list of flags (a device or a
// file named by mistake), and reading it whole would take the memory it holds.
constexpr std::size_t kConfigLimit = std::size_t{1} << 20;

// At most this many characters of a line are quoted in an error: a config file named by mistake
// may be one long line.
constexpr std::size_t kQuoteLimit = 80;

// `text` as it may be quoted in an error: bytes that are not printable ASCII as \xHH (so that a
// binary file does not write control characters to the terminal), cut after about kQuoteLimit
// characters with "...".
std::string printable(std::string_view text) {
  std::string result;
  std::size_t i = 0;
  for (; i < text.size() && result.size() < kQuoteLimit; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      result += static_cast<char>(byte);
    } else {
      result += fmt::format("\\x{:02X}", byte);
    }
  }
  if (i < text.size()) {
    result += "...";
  }
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

// A switch (--stage-costs) is given on the command line without a value; in a config file or
// the environment it has one, and that must be exactly true or false: Boost would also take
// yes, on, 1 and an empty value, so that "keep-orders =" would turn the switch on.
bool is_switch(const po::option_description& option) {
  return option.semantic()->max_tokens() == 0;
}

void check_switch_value(const po::option_description& option, const std::string& value,
                        const std::string& origin) {
  if (is_switch(option) && value != "true" && value != "false") {
    throw UsageError(fmt::format("{}: --{}: '{}' is not true or false", origin, option.long_name(),
                                 printable(value)));
  }
}

// A flag that takes a value directly followed by another flag (--port --tickers 1): Boost would
// take the second flag as the first one's value. And "--" or "-" where a flag is expected: no
// flag of these programs takes positional arguments, and Boost reads "--" as a flag with an
// empty name that matches every flag.
void check_words(int argc, const char* const argv[], const po::options_description& desc) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word(argv[i]);
    if (word == "--" || word == "-") {
      throw UsageError(fmt::format("'{}': this program takes no positional arguments", word));
    }
    const po::option_description* option = nullptr;
    if (word.starts_with("--") && word.find('=') == std::string_view::npos) {
      try {
        option = desc.find_nothrow(std::string(word.substr(2)), true);
      } catch (const po::error&) {
        // Ambiguous: the parser says so.
      }
    } else if (word.size() == 2 && word[0] == '-') {
      option = desc.find_nothrow(std::string(word), false);
    }
    if (option == nullptr || option->semantic()->min_tokens() == 0 || i + 1 == argc) {
      continue;
    }
    const std::string_view next(argv[i + 1]);
    if (next.starts_with("--")) {
      throw UsageError(fmt::format("--{}: needs a value ('{}' that follows it is a flag)",
                                   option->long_name(), next));
    }
    ++i;  // the value: it may start with '-' ("-1" is refused by the flag's own check)
  }
}

// Whether `status` is /dev/null's: the usual way to say "no settings" where a file is asked for.
bool is_dev_null(const struct stat& status) {
  struct stat null_status {};
  return S_ISCHR(status.st_mode) && ::stat("/dev/null", &null_status) == 0 &&
         S_ISCHR(null_status.st_mode) && status.st_rdev == null_status.st_rdev;
}

// The text of the config file `path`, read once (a pipe, such as --config <(...), can be read
// only once) and in chunks, to at most kConfigLimit bytes. A regular file or a pipe (or
// /dev/null, empty): another device (/dev/zero, /dev/urandom) would never end.
std::string read_config_text(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode)) {
      throw UsageError(fmt::format("--config: '{}' is a directory, not a file", path));
    }
    if (is_dev_null(status)) {
      return {};
    }
    if (!S_ISREG(status.st_mode) && !S_ISFIFO(status.st_mode)) {
      throw UsageError(fmt::format("--config: '{}' is not a regular file or a pipe", path));
    }
  }
  const SocketFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw UsageError(fmt::format("--config: cannot read '{}': {}", path,
                                 std::generic_category().message(errno)));
  }
  std::string text;
  std::vector<char> chunk(std::size_t{64} << 10);
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw UsageError(fmt::format("--config: cannot read '{}': {}", path,
                                   std::generic_category().message(errno)));
    }
    if (n == 0) {
      return text;
    }
    if (text.size() + static_cast<std::size_t>(n) > kConfigLimit) {
      throw UsageError(fmt::format("--config: '{}' is larger than 1 MiB", path));
    }
    text.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

// One "name = value" line of a config file.
struct ConfigEntry {
  const po::option_description* option;
  std::string value;
  int line;
};

// The lines of a config file (Boost's syntax: '#' starts a comment, blanks around the name and
// the value are dropped), each checked: errors name the file, the line and the key.
std::vector<ConfigEntry> parse_config_text(const std::string& path, std::string_view text,
                                           const po::options_description& desc) {
  // Editors on Windows start a UTF-8 file with a byte order mark, which would be part of the
  // first name.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) {
    text.remove_prefix(kBom.size());
  }
  std::vector<ConfigEntry> entries;
  std::map<std::string, int, std::less<>> first_line;
  std::string section;
  for (int number = 1; !text.empty(); ++number) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) {
      continue;
    }
    const std::string at = fmt::format("{}:{}", path, number);
    if (line.starts_with('[') && line.ends_with(']')) {
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const std::size_t equals = line.find('=');
    const std::string_view name = trim(line.substr(0, equals));
    if (equals == std::string_view::npos || name.empty()) {
      throw UsageError(fmt::format("{}: '{}' is not 'name = value'", at, printable(line)));
    }
    // The slips a flag from the command line makes in a file: its leading --, its short name
    // (-p), and a "[section]" line, which Boost would make a prefix of every key below it.
    if (name.starts_with("--")) {
      throw UsageError(
          fmt::format("{}: '{}': a config file names a flag without its --", at, printable(name)));
    }
    if (name.starts_with('-')) {
      throw UsageError(
          fmt::format("{}: '{}': a config file names a flag by its long name, without dashes", at,
                      printable(name)));
    }
    if (!section.empty()) {
      throw UsageError(fmt::format(
          "{}: '{}.{}': a config file has no [sections]: set '{}' before the '[{}]' line or "
          "remove that line",
          at, printable(section), printable(name), printable(name), printable(section)));
    }
    const po::option_description* option = desc.find_nothrow(std::string(name), false);
    if (option == nullptr) {
      throw UsageError(
          fmt::format("{}: '{}' is not a flag of this program or not one a config file may set", at,
                      printable(name)));
    }
    if (!first_line.emplace(option->long_name(), number).second) {
      throw UsageError(fmt::format("{}: '{}' is set more than once", at, option->long_name()));
    }
    std::string value(trim(line.substr(equals + 1)));
    check_switch_value(*option, value, at);
    entries.push_back({option, std::move(value), number});
  }
  return entries;
}

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
    if (option != nullptr && is_switch(*option)) {
      return fmt::format(": --{} is a switch and takes no value", option->long_name());
    }
  }
  return "";
}

// Stores the command line; errors name the flag.
void store_command_line(int argc, const char* const argv[], const po::options_description& desc,
                        po::variables_map& vm) {
  check_words(argc, argv, desc);
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

// Stores `parsed`, one source's values, from `origin_of` each, but for the flags a stronger
// source gave.
template <class OriginOf>
void store_source(const po::parsed_options& parsed, OriginOf&& origin_of, FlagValues& flags) {
  po::parsed_options kept(parsed.description);
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const po::option& option = parsed.options[i];
    if (!given(flags, option.string_key)) {
      flags.origins[option.string_key] = origin_of(i);
      kept.options.push_back(option);
    }
  }
  try {
    po::store(kept, flags);
  } catch (const po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    if (key.starts_with("--")) {
      key.erase(0, 2);
    }
    throw UsageError(fmt::format("{}: --{}: {}", flags.origins[key], key, e.what()));
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
  const auto origin_of = [&parsed](std::size_t i) {
    return fmt::format("environment variable {}", environment_name(parsed.options[i].string_key));
  };
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const po::option& option = parsed.options[i];
    check_switch_value(parsed.description->find(option.string_key, false),
                       option.value.empty() ? std::string() : option.value.front(), origin_of(i));
  }
  store_source(parsed, origin_of, flags);
}

// Stores the config file `path`; values already on the command line or in the environment
// win, but every line is checked. Errors name the file, the line (when found) and the key.
void store_config_file(const std::string& path, const po::options_description& desc,
                       FlagValues& flags) {
  const std::string text = read_config_text(path);
  const std::vector<ConfigEntry> entries = parse_config_text(path, text, desc);
  po::parsed_options parsed(&desc);
  for (const ConfigEntry& entry : entries) {
    po::option option(entry.option->long_name(), {entry.value});
    option.original_tokens = {entry.option->long_name(), entry.value};
    parsed.options.push_back(std::move(option));
  }
  store_source(
      parsed, [&](std::size_t i) { return fmt::format("{}:{}", path, entries[i].line); }, flags);
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
