#include "trading/trading_options.h"

#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/cli/option_values.h"

namespace llt::trading {

namespace po = boost::program_options;
using common::UsageError;

std::string_view to_string(StrategyKind kind) noexcept {
  switch (kind) {
    case StrategyKind::kMarketMaker:
      return "market-maker";
    case StrategyKind::kLiquidityTaker:
      return "liquidity-taker";
    case StrategyKind::kRandom:
      return "random";
  }
  return "unknown";
}

TradingCommandLine parse_trading_command_line(int argc, const char* const argv[]) {
  // Every value is read as text and validated by common/cli, so an error names the flag.
  po::options_description desc(
      "Usage: trading [options]\n\nRuns a trading client: market data with gap recovery, a "
      "strategy, risk checks and an order entry session to the exchange.\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "show this help and exit")
    ("host,H", po::value<std::string>()->default_value("127.0.0.1"), "exchange order entry IPv4 address")
    ("port,p", po::value<std::string>()->default_value("12345"), "exchange order entry port")
    ("client-id,c", po::value<std::string>()->default_value("1"), "client id (1-4294967295), one live session per id")
    ("strategy,s", po::value<std::string>()->default_value("market-maker"),
     "market-maker, liquidity-taker or random")
    ("ticker,t", po::value<std::string>()->default_value("1"), "ticker id to trade, or a comma list")
    ("order-qty", po::value<std::string>()->default_value("10"), "base quantity per order")
    ("max-order-qty", po::value<std::string>()->default_value("100"), "risk: largest order quantity")
    ("max-position", po::value<std::string>()->default_value("1000"),
     "risk: largest absolute position per ticker, counting open orders")
    ("max-loss", po::value<std::string>()->default_value("100000"),
     "risk: no new risk once realized + unrealized P&L is below minus this (cents)")
    ("max-open-orders", po::value<std::string>()->default_value("10"), "risk: open orders at most")
    ("half-spread", po::value<std::string>()->default_value("50"), "market maker: half-spread (cents)")
    ("skew-factor", po::value<std::string>()->default_value("0.5"),
     "market maker: quote size reduction at full position (0-1)")
    ("signal-threshold", po::value<std::string>()->default_value("0.3"),
     "liquidity taker: crosses when |trade signal| exceeds this (0-1)")
    ("ema-alpha", po::value<std::string>()->default_value("0.2"),
     "fair value EMA weight of each new mid (0-1]")
    ("reference-price", po::value<std::string>()->default_value("10000"),
     "fair value (cents) of a ticker whose book has never been two-sided")
    ("orders-per-second", po::value<std::string>()->default_value("20"), "random trader: order rate")
    ("random-seed", po::value<std::string>()->default_value("1"), "random trader: PRNG seed")
    ("multicast-addr,m", po::value<std::string>()->default_value("239.255.0.1"),
     "multicast group of both market data streams")
    ("multicast-port", po::value<std::string>()->default_value("5000"), "incremental stream port")
    ("snapshot-port", po::value<std::string>(), "snapshot stream port (default: multicast port + 1)")
    ("interface,i", po::value<std::string>()->default_value("127.0.0.1"),
     "IPv4 address of the interface to join the multicast group on")
    ("md-loss-rate", po::value<std::string>()->default_value("0"),
     "debug: drop this fraction (0-1) of incremental datagrams on purpose")
    ("md-loss-seed", po::value<std::string>()->default_value("1"), "debug: seed of --md-loss-rate")
    ("reconnect-max-ms", po::value<std::string>()->default_value("2000"),
     "longest wait between reconnect attempts (the wait doubles up to this)")
    ("duration", po::value<std::string>()->default_value("0"),
     "seconds to run, then exit cleanly (0: until SIGINT/SIGTERM)")
    ("threading", po::value<std::string>()->default_value("shared"),
     "dedicated (a pinned thread per agent) or shared (one thread)")
    ("idle", po::value<std::string>()->default_value("backoff"), "spin or backoff")
    ("cpus", po::value<std::string>()->default_value(""), "CPUs to pin agent threads to, e.g. 0,1")
    ("stats-interval", po::value<std::string>()->default_value("5"),
     "seconds between status lines (0: none)")
    ("log-file", po::value<std::string>()->default_value(""), "log file (default: stderr)")
    ("latency-csv", po::value<std::string>()->default_value(""),
     "write the per-hop latency histograms to this CSV file on exit")
    ("book-dump", po::value<std::string>()->default_value(""),
     "write the client's order books (one resting order a line) to this file on exit")
    ("summary-json", po::value<std::string>()->default_value(""),
     "write the exit summary (positions, P&L, counters, rejects by reason, market data, "
     "session, latency percentiles) to this JSON file on exit");
  // clang-format on

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  TradingCommandLine result;
  if (vm.count("help") != 0) {
    std::ostringstream text;
    text << desc;
    result.help = true;
    result.help_text = text.str();
    return result;
  }

  const auto text = [&vm](const char* name) { return vm[name].as<std::string>(); };
  const auto unsigned_flag = [&text](const char* name, std::uint64_t min, std::uint64_t max) {
    return common::parse_unsigned(fmt::format("--{}", name), text(name), min, max);
  };
  const auto double_flag = [&text](const char* name, double min, double max) {
    return common::parse_double(fmt::format("--{}", name), text(name), min, max);
  };
  TradingOptions& o = result.options;
  o.host = common::parse_ipv4_text("--host", text("host"));
  o.port = common::parse_port("--port", text("port"));
  o.client_id = static_cast<exchange::ClientId>(unsigned_flag("client-id", 1, UINT32_MAX));
  o.reconnect_max_ms = static_cast<std::uint32_t>(unsigned_flag("reconnect-max-ms", 10, 600'000));

  o.multicast_addr = common::parse_multicast_group_text("--multicast-addr", text("multicast-addr"));
  o.multicast_port = common::parse_port("--multicast-port", text("multicast-port"));
  o.snapshot_port = common::parse_snapshot_port(
      "--snapshot-port",
      vm.count("snapshot-port") != 0 ? std::optional<std::string>(text("snapshot-port"))
                                     : std::nullopt,
      o.multicast_port);
  o.interface = common::parse_multicast_interface_text("--interface", text("interface"));
  o.md_loss_rate = double_flag("md-loss-rate", 0.0, 1.0);
  o.md_loss_seed = unsigned_flag("md-loss-seed", 0, UINT64_MAX);

  const std::string strategy = common::parse_choice("--strategy", text("strategy"),
                                                    {"market-maker", "liquidity-taker", "random"});
  o.strategy = strategy == "market-maker"      ? StrategyKind::kMarketMaker
               : strategy == "liquidity-taker" ? StrategyKind::kLiquidityTaker
                                               : StrategyKind::kRandom;
  o.tickers = common::parse_id_list("--ticker", text("ticker"), 1, UINT32_MAX);
  o.max_order_qty = static_cast<exchange::Qty>(unsigned_flag("max-order-qty", 1, UINT32_MAX));
  o.order_qty = static_cast<exchange::Qty>(unsigned_flag("order-qty", 1, UINT32_MAX));
  if (o.order_qty > o.max_order_qty) {
    throw UsageError(fmt::format("--order-qty: '{}' is above --max-order-qty ({})", o.order_qty,
                                 o.max_order_qty));
  }
  o.max_position = static_cast<std::int64_t>(unsigned_flag("max-position", 1, 1'000'000'000));
  o.max_loss = static_cast<std::int64_t>(unsigned_flag("max-loss", 0, 1'000'000'000'000'000));
  o.max_open_orders = static_cast<std::uint32_t>(unsigned_flag("max-open-orders", 1, 1'000'000));
  o.half_spread = static_cast<exchange::Price>(unsigned_flag("half-spread", 1, 1'000'000'000'000));
  o.skew_factor = double_flag("skew-factor", 0.0, 1.0);
  o.signal_threshold = double_flag("signal-threshold", 0.0, 1.0);
  o.ema_alpha = double_flag("ema-alpha", 0.0, 1.0);
  if (o.ema_alpha == 0.0) {
    throw UsageError("--ema-alpha: '0' would never move the fair value; give a value in (0, 1]");
  }
  o.reference_price =
      static_cast<exchange::Price>(unsigned_flag("reference-price", 1, 1'000'000'000'000'000));
  o.orders_per_second =
      static_cast<std::uint32_t>(unsigned_flag("orders-per-second", 1, 1'000'000));
  o.random_seed = unsigned_flag("random-seed", 0, UINT64_MAX);

  o.duration_s = double_flag("duration", 0.0, 31'536'000.0);
  o.threading = *common::parse_threading_mode(
      common::parse_choice("--threading", text("threading"), {"dedicated", "shared"}));
  o.idle =
      *common::parse_idle_mode(common::parse_choice("--idle", text("idle"), {"spin", "backoff"}));
  o.cpus = common::parse_cpu_list("--cpus", text("cpus"));
  o.stats_interval_s = static_cast<std::uint32_t>(unsigned_flag("stats-interval", 0, 86'400));
  o.log_file = text("log-file");
  o.latency_csv = text("latency-csv");
  o.book_dump = text("book-dump");
  o.summary_json = text("summary-json");
  return result;
}

}  // namespace llt::trading
