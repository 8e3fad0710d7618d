#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/cli/process_options.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

// Everything the trading executable can be told on its command line. Defaults are those of
// docs/operations.md (Trading client flags); every address defaults to loopback. Prices are
// integer cents.
struct TradingOptions {
  // Order entry.
  std::string host = "127.0.0.1";
  std::uint16_t port = 12345;
  exchange::ClientId client_id = 1;
  std::uint32_t reconnect_max_ms = 2000;  // back-off between reconnects doubles up to this
  bool keep_orders = false;               // LOGON KEEP_ORDERS: orders survive a disconnect
  std::uint32_t resend_capacity = 65536;  // requests kept to resend after a reconnect
  std::string state_file;                 // empty: none; else the session state across restarts

  // Market data.
  common::MarketDataChannelOptions market_data;  // the streams it joins, on --interface
  double md_loss_rate = 0.0;  // fraction of incremental datagrams dropped on purpose
  std::uint64_t md_loss_seed = 1;
  bool md_replay = true;                     // --md-replay on|off: gaps filled by replay first
  std::uint16_t md_replay_port = 0;          // 0: --multicast-port + 2 (parsing fills it in)
  std::uint32_t md_replay_timeout_ms = 250;  // then the snapshot stream finishes the recovery

  // Strategy.
  std::string strategy = "market-maker";       // a name in strategies/strategy_registry.h
  std::vector<exchange::TickerId> tickers{1};  // --ticker: one id or a comma list
  exchange::Qty order_qty = 10;                // base quantity per order
  exchange::Price half_spread = 50;            // market maker, cents
  double skew_factor = 0.5;                    // market maker: quote size skew at full position
  std::string requote = "modify";              // market maker: "modify" or "cancel-new"
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
  common::ProcessOptions process;
  std::string book_dump;  // empty: none; else the client's books at exit
};

using TradingCommandLine = common::CommandLine<TradingOptions>;

// Parses and validates argv (cold). Throws common::UsageError naming the flag and the reason
// for an unknown flag, a missing value or a bad one.
[[nodiscard]] TradingCommandLine parse_trading_command_line(int argc, const char* const argv[]);

}  // namespace llt::trading
