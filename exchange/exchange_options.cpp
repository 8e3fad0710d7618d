#include "exchange/exchange_options.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include <boost/program_options.hpp>

#include "common/cli/option_values.h"
#include "common/net/socket_address.h"

namespace llt::exchange {

namespace po = boost::program_options;
using common::flag_text;
using common::unsigned_flag;

ExchangeCommandLine parse_exchange_command_line(int argc, const char* const argv[]) {
  // Every value is read as text and validated by common/cli, so an error names the flag.
  po::options_description desc = common::command_line_description(
      "Usage: exchange [options]\n\nRuns the exchange: TCP order entry, matching, and market "
      "data on UDP multicast.\nOptions");
  // clang-format off
  desc.add_options()
    ("port,p", po::value<std::string>()->default_value("12345"), "TCP order entry listen port (0: any free port, printed at start)")
    ("listen-addr", po::value<std::string>()->default_value("127.0.0.1"),
     "IPv4 address the order entry port listens on")
    ("tickers,t", po::value<std::string>()->default_value("1,2,3"), "comma-separated ticker ids");
  common::add_market_data_flags(desc, "IPv4 address of the interface multicast is sent on");
  desc.add_options()
    ("ttl", po::value<std::string>()->default_value("1"), "multicast TTL (router hops, 0-255)")
    ("snapshot-interval-ms", po::value<std::string>()->default_value("1000"),
     "milliseconds between full snapshots")
    ("md-heartbeat-ms", po::value<std::string>()->default_value("1000"),
     "incremental stream idle milliseconds before a heartbeat")
    ("heartbeat-timeout-ms", po::value<std::string>()->default_value("10000"),
     "a session silent this many milliseconds is closed")
    ("max-orders", po::value<std::string>()->default_value("262144"),
     "resting orders per ticker (beyond: REJECTED CAPACITY)")
    ("max-sessions", po::value<std::string>()->default_value("256"), "concurrent TCP sessions")
    ("max-orders-per-second", po::value<std::string>()->default_value("0"),
     "NEW, CANCEL and MODIFY a session may send per second, beyond: REJECTED THROTTLED (0: no limit)")
    ("self-trade-prevention", po::value<std::string>()->default_value("off"),
     "when an order would trade with a resting order of the same client: off (they trade), "
     "cancel-newest (the incoming order ends, CANCELED SELF_TRADE) or cancel-oldest (the resting "
     "order is cancelled and matching goes on)")
    ("io", po::value<std::string>()->default_value("epoll"),
     "how the TCP listeners (order entry, market data replay) talk to the kernel: epoll "
     "(readiness, then a recv() or send() per connection) or uring (io_uring: receives kept "
     "posted, every connection's sends handed over in one call; docs/io_backends.md)")
    ("journal-dir", po::value<std::string>()->default_value(""),
     "directory of the journal: every input is appended before it takes effect, and a restart "
     "on the same directory resumes the trading day (empty: no journal; docs/recovery.md)")
    ("journal-sync", po::value<std::string>()->default_value("none"),
     "none (the journal is written to the page cache before responses leave: survives kill -9) "
     "or batch (plus fdatasync per batch: survives power loss)")
    ("journal-snapshot-records", po::value<std::string>()->default_value("1000000"),
     "write a state snapshot beside the journal once this many records follow the last one, "
     "so a restart replays only what came after it (0: no snapshots)")
    ("journal-snapshot-responses", po::value<std::string>()->default_value("65536"),
     "each client's newest responses a snapshot keeps, so a client that reconnects after a "
     "restart can have them replayed (older: LOGON_REJECTED REPLAY_UNAVAILABLE; 1-67108864)")
    ("journal-prune", po::bool_switch(),
     "after each snapshot, remove the journal files and older snapshots it makes unneeded "
     "(each named on stderr); without it every file is kept")
    ("journal-check", po::value<std::string>()->default_value(""),
     "verify the journal in this directory, print its summary and exit (0 clean, 1 corrupt)")
    ("max-clients", po::value<std::string>()->default_value("256"),
     "client ids of one trading day (each keeps its numbered streams); beyond: LOGON_REJECTED CAPACITY")
    ("replay-depth", po::value<std::string>()->default_value("0"),
     "responses kept per client for replay on reconnect, older: LOGON_REJECTED REPLAY_UNAVAILABLE "
     "(0: 65536 without a journal, 1048576 with one)")
    ("md-replay-port", po::value<std::string>(),
     "TCP port of the market data replay (gap fill of the incremental stream; default: multicast "
     "port + 2; 0: off)")
    ("md-replay-depth", po::value<std::string>()->default_value("1048576"),
     "incremental updates kept for replay (48 bytes of memory each, 1 to 67108864); older: "
     "REPLAY_END NOT_AVAILABLE");
  // clang-format on
  common::add_process_flags(desc);

  const common::FlagValues vm = common::parse_flags(argc, argv, desc);
  ExchangeCommandLine result;
  if (vm.count("help") != 0) {
    result.help = true;
    result.help_text = common::help_text(desc);
    return result;
  }
  if (common::version_requested(vm)) {
    result.version = true;
    return result;
  }

  // A bad value from the environment or a config file names where it came from.
  result.options = common::read_flags(vm, [](const common::FlagValues& vm) {
    ExchangeOptions o;
    o.port = static_cast<std::uint16_t>(unsigned_flag(vm, "port", 0, 65535));
    o.listen_addr = common::parse_ipv4_text("--listen-addr", flag_text(vm, "listen-addr"));
    if (common::is_multicast(common::parse_ipv4(o.listen_addr))) {
      throw common::UsageError("--listen-addr: '" + o.listen_addr +
                               "' is a multicast group: order entry listens on an address of "
                               "this host (or 0.0.0.0: all of them)");
    }
    o.tickers = common::parse_id_list("--tickers", flag_text(vm, "tickers"), 1, UINT32_MAX);
    if (o.tickers.size() > kMaxTickers) {
      throw common::UsageError(
          fmt::format("--tickers: {} tickers, at most {} (each has its own order book)",
                      o.tickers.size(), kMaxTickers));
    }
    o.market_data = common::read_market_data_flags(vm);
    o.ttl = static_cast<int>(unsigned_flag(vm, "ttl", 0, 255));
    o.snapshot_interval_ms =
        static_cast<std::uint32_t>(unsigned_flag(vm, "snapshot-interval-ms", 1, 3'600'000));
    o.md_heartbeat_ms =
        static_cast<std::uint32_t>(unsigned_flag(vm, "md-heartbeat-ms", 1, 3'600'000));
    o.heartbeat_timeout_ms =
        static_cast<std::uint32_t>(unsigned_flag(vm, "heartbeat-timeout-ms", 100, 86'400'000));
    o.max_orders = static_cast<std::uint32_t>(unsigned_flag(vm, "max-orders", 1, 1U << 26));
    o.max_sessions = static_cast<std::uint32_t>(unsigned_flag(vm, "max-sessions", 1, 65536));
    o.max_orders_per_second =
        static_cast<std::uint32_t>(unsigned_flag(vm, "max-orders-per-second", 0, 100'000'000));
    o.self_trade_prevention = *parse_self_trade_prevention(
        common::parse_choice("--self-trade-prevention", flag_text(vm, "self-trade-prevention"),
                             {"off", "cancel-newest", "cancel-oldest"}));
    o.io = *common::parse_io_backend(
        common::parse_choice("--io", flag_text(vm, "io"), {"epoll", "uring"}));
    o.journal_dir = flag_text(vm, "journal-dir");
    o.journal_sync_batch = common::parse_choice("--journal-sync", flag_text(vm, "journal-sync"),
                                                {"none", "batch"}) == "batch";
    o.journal_snapshot_records = unsigned_flag(vm, "journal-snapshot-records", 0, 1ULL << 40);
    o.journal_snapshot_responses =
        static_cast<std::uint32_t>(unsigned_flag(vm, "journal-snapshot-responses", 1, 1U << 26));
    o.journal_prune = vm["journal-prune"].as<bool>();
    if (o.journal_prune && (o.journal_dir.empty() || o.journal_snapshot_records == 0)) {
      throw common::UsageError(
          "--journal-prune: needs --journal-dir and --journal-snapshot-records above 0");
    }
    // The other journal flags say how to keep a journal: without one they would be ignored.
    for (const char* flag :
         {"journal-sync", "journal-snapshot-records", "journal-snapshot-responses"}) {
      if (o.journal_dir.empty() && !vm[flag].defaulted()) {
        throw common::UsageError(fmt::format("--{}: needs --journal-dir", flag));
      }
    }
    if (!o.journal_dir.empty()) {
      std::error_code error;
      if (std::filesystem::exists(o.journal_dir, error) &&
          !std::filesystem::is_directory(o.journal_dir, error)) {
        throw common::UsageError("--journal-dir: '" + o.journal_dir + "' is not a directory");
      }
    }
    // --journal-check is listed for --help; main() runs the check tool before any parsing, when
    // it is spelled out. An abbreviation the parser completes (--journal-c) gets here instead.
    if (!flag_text(vm, "journal-check").empty()) {
      throw common::UsageError(kJournalCheckRunsAlone);
    }
    o.max_clients = static_cast<std::uint32_t>(unsigned_flag(vm, "max-clients", 1, 1U << 20));
    o.replay_depth = static_cast<std::uint32_t>(unsigned_flag(vm, "replay-depth", 0, 1U << 26));
    if (vm.count("md-replay-port") != 0) {
      o.md_replay_port = static_cast<std::uint16_t>(unsigned_flag(vm, "md-replay-port", 0, 65535));
    } else if (o.market_data.multicast_port > 65533) {
      throw common::UsageError(
          "--md-replay-port: the default (multicast port + 2) is past 65535; give one");
    } else {
      o.md_replay_port = static_cast<std::uint16_t>(o.market_data.multicast_port + 2);
    }
    if (*o.md_replay_port != 0 && *o.md_replay_port == o.port) {
      throw common::UsageError("--md-replay-port: '" + std::to_string(*o.md_replay_port) +
                               "' is the order entry port");
    }
    o.md_replay_depth =
        static_cast<std::uint32_t>(unsigned_flag(vm, "md-replay-depth", 1, 1U << 26));
    o.process = common::read_process_flags(vm);
    return o;
  });
  return result;
}

std::uint16_t md_replay_port_of(const ExchangeOptions& options) noexcept {
  if (options.md_replay_port.has_value()) {
    return *options.md_replay_port;
  }
  const unsigned port = options.market_data.multicast_port + 2U;
  return port > 65535 ? 0 : static_cast<std::uint16_t>(port);
}

}  // namespace llt::exchange
