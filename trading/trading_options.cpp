#include "trading/trading_options.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/cli/option_values.h"
#include "trading/strategies/strategy_registry.h"

namespace llt::trading {

namespace po = boost::program_options;
using common::double_flag;
using common::flag_text;
using common::unsigned_flag;
using common::UsageError;

namespace {

// "a, b or c": the --strategy help, from the registry.
std::string strategy_choices() {
  std::string text;
  for (std::size_t i = 0; i < Strategy::kNames.size(); ++i) {
    const bool last = i + 1 == Strategy::kNames.size();
    text += fmt::format("{}{}", i == 0 ? "" : (last ? " or " : ", "), Strategy::kNames[i]);
  }
  return text;
}

// One line per registered strategy, after the flags in --help.
std::string strategy_help() {
  std::size_t width = 0;
  for (std::string_view name : Strategy::kNames) {
    width = std::max(width, name.size());
  }
  std::string text = "\nStrategies (--strategy):\n";
  for (std::size_t i = 0; i < Strategy::kNames.size(); ++i) {
    text += fmt::format("  {:<{}}  {}\n", Strategy::kNames[i], width, Strategy::kHelps[i]);
  }
  return text;
}

// Where a flag's value came from (FlagValues::origins): 3 the command line, 2 an LLT_*
// environment variable, 1 the --config file.
int source_rank(const common::FlagValues& vm, const std::string& flag) {
  const auto it = vm.origins.find(flag);
  if (it == vm.origins.end()) {
    return 3;
  }
  return it->second.starts_with("environment variable ") ? 2 : 1;
}

}  // namespace

TradingCommandLine parse_trading_command_line(int argc, const char* const argv[]) {
  // Every value is read as text and validated by common/cli, so an error names the flag.
  po::options_description desc = common::command_line_description(
      "Usage: trading [options]\n\nRuns a trading client: market data with gap recovery, a "
      "strategy, risk checks and an order entry session to the exchange.\nOptions");
  const std::string strategies = strategy_choices();
  // clang-format off
  desc.add_options()
    ("host,H", po::value<std::string>()->default_value("127.0.0.1"), "exchange order entry host: an IPv4 address or a host name (resolved to IPv4 at start-up)")
    ("port,p", po::value<std::string>()->default_value("12345"), "exchange order entry port")
    ("client-id,c", po::value<std::string>()->default_value("1"), "client id (1-4294967295), one live session per id")
    ("strategy,s", po::value<std::string>()->default_value("market-maker"), strategies.c_str())
    ("ticker,t", po::value<std::string>()->default_value("1"), "ticker id to trade, or a comma list")
    ("order-qty", po::value<std::string>()->default_value("10"), "base quantity per order (shares)")
    ("max-order-qty", po::value<std::string>()->default_value("100"), "risk: largest order quantity (shares)")
    ("max-position", po::value<std::string>()->default_value("1000"),
     "risk: largest absolute position per ticker, counting open orders (shares)")
    ("max-loss", po::value<std::string>()->default_value("100000"),
     "risk: no new risk once realized + unrealized P&L is below minus this (cents)")
    ("max-open-orders", po::value<std::string>()->default_value("10"), "risk: open orders at most")
    ("half-spread", po::value<std::string>()->default_value("50"), "market maker: half-spread (cents)")
    ("skew-factor", po::value<std::string>()->default_value("0.5"),
     "market maker: quote size reduction at full position (0-1)")
    ("requote", po::value<std::string>()->default_value("modify"),
     "market maker: how a quote moves, modify (one MODIFY) or cancel-new (CANCEL, then NEW)")
    ("signal-threshold", po::value<std::string>()->default_value("0.3"),
     "liquidity taker: crosses when |trade signal| exceeds this (0-1)")
    ("ema-alpha", po::value<std::string>()->default_value("0.2"),
     "fair value EMA weight of each new mid (0-1]")
    ("reference-price", po::value<std::string>()->default_value("10000"),
     "fair value (cents) of a ticker whose book has never been two-sided")
    ("orders-per-second", po::value<std::string>()->default_value("20"), "random trader: orders per second")
    ("random-seed", po::value<std::string>()->default_value("1"), "random trader: PRNG seed");
  common::add_market_data_flags(desc, "IPv4 address of the interface to join the multicast group on");
  desc.add_options()
    ("md-interface", po::value<std::string>(),
     "the same as --interface: this client's own IPv4 address on the market data network")
    ("md-loss-rate", po::value<std::string>()->default_value("0"),
     "debug: drop this fraction (0-1) of incremental datagrams on purpose")
    ("md-loss-seed", po::value<std::string>()->default_value("1"), "debug: seed of --md-loss-rate")
    ("md-replay", po::value<std::string>()->default_value("on"),
     "on a gap, ask the exchange's market data replay for the missing updates (on) or only wait for a snapshot (off)")
    ("md-replay-port", po::value<std::string>()->default_value("0"),
     "exchange market data replay port on --host (0: --multicast-port + 2)")
    ("md-replay-timeout-ms", po::value<std::string>()->default_value("250"),
     "a replay not answered in full within this many milliseconds leaves the gap to the snapshot stream (1-60000)")
    ("reconnect-max-ms", po::value<std::string>()->default_value("2000"),
     "longest wait between reconnect attempts, milliseconds (the wait doubles up to this)")
    ("keep-orders", po::bool_switch(),
     "log on with KEEP_ORDERS: the exchange keeps this client's resting orders when a connection ends")
    ("resend-capacity", po::value<std::string>()->default_value("65536"),
     "requests kept to resend, with their numbers, after a reconnect (1-16777216)")
    ("state-file", po::value<std::string>()->default_value(""),
     "keep the session's numbers in this file across restarts (missing: a fresh day)")
    ("duration", po::value<std::string>()->default_value("0"),
     "seconds to run, then exit cleanly (0: until SIGINT/SIGTERM)");
  common::add_process_flags(desc);
  desc.add_options()
    ("book-dump", po::value<std::string>()->default_value(""),
     "write the client's order books (one resting order a line) to this file on exit");
  // clang-format on

  const common::FlagValues vm = common::parse_flags(argc, argv, desc);
  TradingCommandLine result;
  if (vm.count("help") != 0) {
    result.help = true;
    result.help_text = common::help_text(desc) + strategy_help();
    return result;
  }
  if (common::version_requested(vm)) {
    result.version = true;
    return result;
  }

  // A bad value from the environment or a config file names where it came from.
  result.options = common::read_flags(vm, [](const common::FlagValues& vm) {
    TradingOptions o;
    o.host = common::parse_ipv4_host("--host", flag_text(vm, "host"));
    o.port = common::parse_port("--port", flag_text(vm, "port"));
    o.client_id = static_cast<exchange::ClientId>(unsigned_flag(vm, "client-id", 1, UINT32_MAX));
    o.reconnect_max_ms =
        static_cast<std::uint32_t>(unsigned_flag(vm, "reconnect-max-ms", 10, 600'000));
    o.keep_orders = vm["keep-orders"].as<bool>();
    o.resend_capacity =
        static_cast<std::uint32_t>(unsigned_flag(vm, "resend-capacity", 1, 16'777'216));
    o.state_file = flag_text(vm, "state-file");

    o.market_data = common::read_market_data_flags(vm);
    if (vm.count("md-interface") != 0) {
      // The same flag under two names: the one from the stronger source wins (command line,
      // then environment, then config file); two different values from one source are refused.
      const std::string md_interface =
          common::parse_multicast_interface_text("--md-interface", flag_text(vm, "md-interface"));
      const int md_rank = source_rank(vm, "md-interface");
      const int rank = vm["interface"].defaulted() ? 0 : source_rank(vm, "interface");
      if (md_rank == rank && md_interface != o.market_data.interface) {
        throw UsageError(fmt::format("--md-interface: '{}' differs from --interface '{}'; give one",
                                     md_interface, o.market_data.interface));
      }
      if (md_rank >= rank) {
        o.market_data.interface = md_interface;
      }
    }
    o.md_loss_rate = double_flag(vm, "md-loss-rate", 0.0, 1.0);
    o.md_loss_seed = unsigned_flag(vm, "md-loss-seed", 0, UINT64_MAX);
    o.md_replay = common::parse_choice("--md-replay", flag_text(vm, "md-replay"),
                                       std::vector<std::string_view>{"on", "off"}) == "on";
    o.md_replay_port = static_cast<std::uint16_t>(unsigned_flag(vm, "md-replay-port", 0, 65535));
    if (o.md_replay && o.md_replay_port == 0) {
      // The exchange's default, decided here so that a multicast port near the top of the range
      // is refused with the flags to change, instead of wrapping to a port nobody serves.
      const unsigned port = o.market_data.multicast_port + 2U;
      if (port > 65535) {
        throw UsageError(
            fmt::format("--md-replay-port: the default, --multicast-port + 2 = {}, is past 65535; "
                        "give --md-replay-port or --md-replay off",
                        port));
      }
      o.md_replay_port = static_cast<std::uint16_t>(port);
      if (o.md_replay_port == o.port) {
        throw UsageError(
            fmt::format("--md-replay-port: the default, --multicast-port + 2 = {}, is --port, the "
                        "exchange's order entry port; give --md-replay-port or --md-replay off",
                        port));
      }
    } else if (o.md_replay && o.md_replay_port == o.port) {
      // Both are on --host: a replay request sent to the order entry port is never answered.
      throw UsageError(fmt::format(
          "--md-replay-port: '{}' is --port, the exchange's order entry port", o.md_replay_port));
    }
    o.md_replay_timeout_ms =
        static_cast<std::uint32_t>(unsigned_flag(vm, "md-replay-timeout-ms", 1, 60'000));

    o.strategy = common::parse_choice(
        "--strategy", flag_text(vm, "strategy"),
        std::vector<std::string_view>(Strategy::kNames.begin(), Strategy::kNames.end()));
    o.tickers = common::parse_id_list("--ticker", flag_text(vm, "ticker"), 1, UINT32_MAX);
    if (o.tickers.size() > exchange::kMaxTickers) {
      throw UsageError(fmt::format("--ticker: {} tickers, at most {} (each has its own books)",
                                   o.tickers.size(), exchange::kMaxTickers));
    }
    o.max_order_qty = static_cast<exchange::Qty>(unsigned_flag(vm, "max-order-qty", 1, UINT32_MAX));
    o.order_qty = static_cast<exchange::Qty>(unsigned_flag(vm, "order-qty", 1, UINT32_MAX));
    if (o.order_qty > o.max_order_qty) {
      throw UsageError(fmt::format("--order-qty: '{}' is above --max-order-qty ({})", o.order_qty,
                                   o.max_order_qty));
    }
    o.max_position = static_cast<std::int64_t>(unsigned_flag(vm, "max-position", 1, 1'000'000'000));
    // From a flat position every strategy but the random trader (which draws sizes from 1 to
    // --order-qty) sends --order-qty: above --max-position, its own risk check refuses them all.
    if (o.strategy != RandomTrader::kName && o.order_qty > o.max_position) {
      throw UsageError(
          fmt::format("--order-qty: '{}' is above --max-position ({}): the {} would send nothing",
                      o.order_qty, o.max_position, o.strategy));
    }
    o.max_loss = static_cast<std::int64_t>(unsigned_flag(vm, "max-loss", 0, 1'000'000'000'000'000));
    o.max_open_orders =
        static_cast<std::uint32_t>(unsigned_flag(vm, "max-open-orders", 1, 1'000'000));
    o.half_spread =
        static_cast<exchange::Price>(unsigned_flag(vm, "half-spread", 1, 1'000'000'000'000));
    o.skew_factor = double_flag(vm, "skew-factor", 0.0, 1.0);
    o.requote = common::parse_choice("--requote", flag_text(vm, "requote"),
                                     std::vector<std::string_view>{"modify", "cancel-new"});
    o.signal_threshold = double_flag(vm, "signal-threshold", 0.0, 1.0);
    o.ema_alpha = double_flag(vm, "ema-alpha", 0.0, 1.0);
    if (o.ema_alpha == 0.0) {
      throw UsageError("--ema-alpha: '0' would never move the fair value; give a value in (0, 1]");
    }
    o.reference_price = static_cast<exchange::Price>(
        unsigned_flag(vm, "reference-price", 1, 1'000'000'000'000'000));
    o.orders_per_second =
        static_cast<std::uint32_t>(unsigned_flag(vm, "orders-per-second", 1, 1'000'000));
    o.random_seed = unsigned_flag(vm, "random-seed", 0, UINT64_MAX);

    o.duration_s = double_flag(vm, "duration", 0.0, 31'536'000.0);
    o.process = common::read_process_flags(vm);
    o.book_dump = flag_text(vm, "book-dump");
    // The client's own files beside the process's: each writable, no two the same. The state
    // file is written every status interval and at exit, as PATH.tmp renamed over PATH
    // (session_state_file.h), so its folder must take new files; found only at the first save,
    // a bad path would lose the numbers of a run that has already traded.
    common::check_output_files(
        {{"--log-file", o.process.log_file},
         {"--latency-csv", o.process.latency_csv},
         {"--summary-json", o.process.summary_json},
         {"--stats-csv", o.process.stats_csv},
         {"--book-dump", o.book_dump},
         {"--state-file", o.state_file, common::OutputWrite::kReplacedByRename}});
    return o;
  });
  return result;
}

}  // namespace llt::trading
