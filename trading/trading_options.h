#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "common/concurrent/idle_strategy.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

enum class StrategyKind : std::uint8_t { kMarketMaker, kLiquidityTaker, kRandom };

// "market-maker", "liquidity-taker", "random".
[[nodiscard]] std::string_view to_string(StrategyKind kind) noexcept;

// Everything the trading executable can be told on its command line. Defaults are the seed's,
// except that every address defaults to loopback. Prices are integer cents.
struct TradingOptions {
  // Order entry.
  std::string host = "127.0.0.1";
  std::uint16_t port = 12345;
  exchange::ClientId client_id = 1;
  std::uint32_t reconnect_max_ms = 2000;  // back-off between reconnects doubles up to this

  // Market data.
  std::string multicast_addr = "239.255.0.1";
  std::uint16_t multicast_port = 5000;
  std::uint16_t snapshot_port = 5001;  // multicast_port + 1 unless given
  std::string interface = "127.0.0.1";
  double md_loss_rate = 0.0;  // fraction of incremental datagrams dropped on purpose
  std::uint64_t md_loss_seed = 1;

  // Strategy.
  StrategyKind strategy = StrategyKind::kMarketMaker;
  std::vector<exchange::TickerId> tickers{1};  // --ticker: one id or a comma list
  exchange::Qty order_qty = 10;                // base quantity per order
  exchange::Price half_spread = 50;            // market maker, cents
  double skew_factor = 0.5;                    // market maker: quote size skew at full position
  double signal_threshold = 0.3;               // liquidity taker: trades when |signal| > this
  double ema_alpha = 0.2;                      // feature engine: fair value EMA weight of a new mid
  exchange::Price reference_price = 10000;     // fair value while a ticker's book is empty
  std::uint32_t orders_per_second = 20;        // random trader: order rate
  std::uint64_t random_seed = 1;               // random trader

  // Risk.
  exchange::Qty max_order_qty = 100;
  std::int64_t max_position = 1000;
  std::int64_t max_loss = 100000;  // cents
  std::uint32_t max_open_orders = 10;

  // Process.
  double duration_s = 0.0;  // 0: run until SIGINT/SIGTERM
  common::ThreadingMode threading = common::ThreadingMode::kShared;
  common::IdleMode idle = common::IdleMode::kBackoff;
  std::vector<int> cpus;
  std::uint32_t stats_interval_s = 5;  // 0: no status line
  std::string log_file;                // empty: stderr
  std::string latency_csv;             // empty: none
  std::string book_dump;               // empty: none; else the client's books at exit
  std::string summary_json;            // empty: none; else the exit summary as JSON
};

struct TradingCommandLine {
  bool help = false;  // --help was given: print help_text and exit 0
  std::string help_text;
  TradingOptions options;
};

// Parses and validates argv (cold). Throws common::UsageError naming the flag and the reason
// for an unknown flag, a missing value or a bad one.
[[nodiscard]] TradingCommandLine parse_trading_command_line(int argc, const char* const argv[]);

}  // namespace llt::trading
