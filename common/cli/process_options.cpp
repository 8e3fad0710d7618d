#include "common/cli/process_options.h"

#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/program_options.hpp>

#include "common/cli/option_values.h"
#include "llt/version.h"

namespace llt::common {

namespace po = boost::program_options;

po::options_description command_line_description(const std::string& caption) {
  po::options_description desc(caption);
  desc.add_options()("help,h", "show this help and exit")("version", "print the version and exit");
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
    ("latency-csv", po::value<std::string>()->default_value(""),
     "write the per-hop latency histograms to this CSV file on exit")
    ("summary-json", po::value<std::string>()->default_value(""),
     "write the exit summary (counters, rejects by reason, latency percentiles; the trading "
     "client adds positions and P&L) to this JSON file on exit");
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
  o.latency_csv = flag_text(vm, "latency-csv");
  o.summary_json = flag_text(vm, "summary-json");
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

po::variables_map parse_flags(int argc, const char* const argv[],
                              const po::options_description& desc) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
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
  return vm;
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
