#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "exchange/protocol/types.h"
#include "trading/engine/order_manager.h"

namespace llt::trading {

// Which strategy the trade engine runs and the knobs strategies read (each reads the ones it
// needs in its make()). Prices are integer cents. Filled from the trading executable's flags.
struct StrategyOptions {
  std::string name = "market-maker";     // --strategy: a name in strategy_registry.h
  exchange::Qty order_qty = 10;          // --order-qty: base quantity per order
  exchange::Price half_spread = 50;      // --half-spread
  double skew_factor = 0.5;              // --skew-factor: quote size skew at full position
  double signal_threshold = 0.3;         // --signal-threshold: trades when |signal| > this
  std::uint32_t orders_per_second = 20;  // --orders-per-second
  std::uint64_t random_seed = 1;         // --random-seed
  std::int64_t max_position = 1000;      // --max-position, the risk limit, for position skew
  Requote requote = Requote::kModify;    // --requote: how the market maker moves its quotes
  std::size_t ticker_count = 1;          // the traded tickers (set by the trade engine)
};

}  // namespace llt::trading
