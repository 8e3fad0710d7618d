#pragma once

#include "trading/strategies/liquidity_taker.h"
#include "trading/strategies/market_maker.h"
#include "trading/strategies/random_trader.h"
#include "trading/strategies/strategy.h"

namespace llt::trading {

// Every strategy the trading client can run, in the order --help lists them. This list is the
// one place a strategy is registered: --strategy accepts its names, --help prints its help
// lines, and the trade engine builds the one named (docs/strategies.md).
using RegisteredStrategies = StrategyList<MarketMaker, LiquidityTaker, RandomTrader>;

// The trade engine's strategy.
using Strategy = StrategySet<RegisteredStrategies>;

}  // namespace llt::trading
