#include "exchange/exchange_options.h"

#include <sstream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/cli/option_values.h"

namespace llt::exchange {

namespace po = boost::program_options;
using common::UsageError;

ExchangeCommandLine parse_exchange_command_line(int argc, const char* const argv[]) {
  // Every value is read as text and validated by common/cli, so an error names the flag.
  po::options_description desc(
      "Usage: exchange [options]\n\nRuns the exchange: TCP order entry, matching, and market "
      "data on UDP multicast.\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("port,p", po::value<std::string>()->default_value("12345"), "TCP order entry listen port (0: any free port, printed at start)")
    ("listen-addr", po::value<std::string>()->default_value("127.0.0.1"),
     "IPv4 address the order entry port listens on")
    ("multicast-addr,m", po::value<std::string>()->default_value("239.255.0.1"),
     "multicast group of both market data streams")
    ("multicast-port", po::value<std::string>()->default_value("5000"), "incremental stream port")
    ("snapshot-port", po::value<std::string>(), "snapshot stream port (default: multicast port + 1)")
    ("tickers,t", po::value<std::string>()->default_value("1,2,3"), "comma-separated ticker ids")
    ("interface,i", po::value<std::string>()->default_value("127.0.0.1"),
     "IPv4 address of the interface multicast is sent on")
    ("ttl", po::value<std::string>()->default_value("1"), "multicast TTL (0-255)")
    ("snapshot-interval-ms", po::value<std::string>()->default_value("1000"),
     "time between full snapshots")
    ("md-heartbeat-ms", po::value<std::string>()->default_value("1000"),
     "incremental stream idle time before a heartbeat")
    ("heartbeat-timeout-ms", po::value<std::string>()->default_value("10000"),
     "a session silent this long is closed")
    ("max-orders", po::value<std::string>()->default_value("262144"),
     "resting orders per ticker (beyond: REJECTED CAPACITY)")
    ("max-sessions", po::value<std::string>()->default_value("256"), "concurrent TCP sessions")
    ("max-orders-per-second", po::value<std::string>()->default_value("0"),
     "NEW and CANCEL a session may send per second, beyond: REJECTED THROTTLED (0: no limit)")
    ("threading", po::value<std::string>()->default_value("shared"),
     "dedicated (a pinned thread per agent) or shared (one thread)")
    ("idle", po::value<std::string>()->default_value("backoff"), "spin or backoff")
    ("cpus", po::value<std::string>()->default_value(""), "CPUs to pin agent threads to, e.g. 0,1")
    ("stats-interval", po::value<std::string>()->default_value("5"),
     "seconds between status lines (0: none)")
    ("log-file", po::value<std::string>()->default_value(""), "log file (default: stderr)")
    ("latency-csv", po::value<std::string>()->default_value(""),
     "write the per-hop latency histograms to this CSV file on exit")
    ("summary-json", po::value<std::string>()->default_value(""),
     "write the exit summary (counters, rejects by reason, sessions closed by cause, trades, "
     "market data, latency percentiles) to this JSON file on exit");
  // clang-format on

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  ExchangeCommandLine result;
  if (vm.count("help") != 0) {
    std::ostringstream text;
    text << desc;
    result.help = true;
    result.help_text = text.str();
    return result;
  }

  const auto text = [&vm](const char* name) { return vm[name].as<std::string>(); };
  ExchangeOptions& o = result.options;
  o.port = static_cast<std::uint16_t>(common::parse_unsigned("--port", text("port"), 0, 65535));
  o.listen_addr = common::parse_ipv4_text("--listen-addr", text("listen-addr"));
  o.multicast_addr = common::parse_multicast_group_text("--multicast-addr", text("multicast-addr"));
  o.multicast_port = common::parse_port("--multicast-port", text("multicast-port"));
  o.snapshot_port = common::parse_snapshot_port(
      "--snapshot-port",
      vm.count("snapshot-port") != 0 ? std::optional<std::string>(text("snapshot-port"))
                                     : std::nullopt,
      o.multicast_port);
  o.tickers = common::parse_id_list("--tickers", text("tickers"), 1, UINT32_MAX);
  o.interface = common::parse_multicast_interface_text("--interface", text("interface"));
  o.ttl = static_cast<int>(common::parse_unsigned("--ttl", text("ttl"), 0, 255));
  o.snapshot_interval_ms = static_cast<std::uint32_t>(
      common::parse_unsigned("--snapshot-interval-ms", text("snapshot-interval-ms"), 1, 3'600'000));
  o.md_heartbeat_ms = static_cast<std::uint32_t>(
      common::parse_unsigned("--md-heartbeat-ms", text("md-heartbeat-ms"), 1, 3'600'000));
  o.heartbeat_timeout_ms = static_cast<std::uint32_t>(common::parse_unsigned(
      "--heartbeat-timeout-ms", text("heartbeat-timeout-ms"), 100, 86'400'000));
  o.max_orders = static_cast<std::uint32_t>(
      common::parse_unsigned("--max-orders", text("max-orders"), 1, 1U << 26));
  o.max_sessions = static_cast<std::uint32_t>(
      common::parse_unsigned("--max-sessions", text("max-sessions"), 1, 65536));
  o.max_orders_per_second = static_cast<std::uint32_t>(common::parse_unsigned(
      "--max-orders-per-second", text("max-orders-per-second"), 0, 100'000'000));
  o.threading = *common::parse_threading_mode(
      common::parse_choice("--threading", text("threading"), {"dedicated", "shared"}));
  o.idle =
      *common::parse_idle_mode(common::parse_choice("--idle", text("idle"), {"spin", "backoff"}));
  o.cpus = common::parse_cpu_list("--cpus", text("cpus"));
  o.stats_interval_s = static_cast<std::uint32_t>(
      common::parse_unsigned("--stats-interval", text("stats-interval"), 0, 86'400));
  o.log_file = text("log-file");
  o.latency_csv = text("latency-csv");
  o.summary_json = text("summary-json");
  return result;
}

}  // namespace llt::exchange
