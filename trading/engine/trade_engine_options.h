#pragma once

#include <vector>

#include "exchange/protocol/types.h"
#include "trading/risk/risk_manager.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

// What the trade engine trades and how: the tickers, the strategy, the fair value's EMA and
// the risk limits. Prices are integer cents. The trading executable fills it from its flags
// (trade_engine_options() in trading_app.h); tests set it directly.
struct TradeEngineOptions {
  std::vector<exchange::TickerId> tickers{1};  // --ticker; distinct, at least one
  StrategyOptions strategy;
  double ema_alpha = 0.2;                   // --ema-alpha: fair value EMA weight of a new mid
  exchange::Price reference_price = 10000;  // --reference-price: fair value of an empty book
  RiskLimits risk;
};

}  // namespace llt::trading
