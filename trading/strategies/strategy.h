#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "trading/strategies/liquidity_taker.h"
#include "trading/strategies/market_maker.h"
#include "trading/strategies/random_trader.h"
#include "trading/trading_options.h"

namespace llt::trading {

// The configured strategy, dispatched statically (a variant: one switch per event, no virtual
// call). on_update runs after every BBO change and every order event of a ticker; on_timer
// runs from every poll (only the random trader uses it).
//
// Thread contract: the trade engine's thread.
class Strategy {
 public:
  // ticks_per_second: for the random trader's clock.
  Strategy(const TradingOptions& o, double ticks_per_second) : impl_(make(o, ticks_per_second)) {}

  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    if (auto* mm = std::get_if<MarketMaker>(&impl_)) {
      mm->on_update(ticker, f, bbo, pos, om);
    } else if (auto* lt = std::get_if<LiquidityTaker>(&impl_)) {
      lt->on_update(ticker, f, bbo, pos, om);
    }
  }

  // The random trader, or nullptr.
  [[nodiscard]] RandomTrader* random_trader() noexcept { return std::get_if<RandomTrader>(&impl_); }

 private:
  using Impl = std::variant<MarketMaker, LiquidityTaker, RandomTrader>;

  static Impl make(const TradingOptions& o, double ticks_per_second) {
    switch (o.strategy) {
      case StrategyKind::kLiquidityTaker: {
        LiquidityTakerParams p;
        p.order_qty = o.order_qty;
        p.signal_threshold = o.signal_threshold;
        return Impl{std::in_place_type<LiquidityTaker>, p};
      }
      case StrategyKind::kRandom: {
        RandomTraderParams p;
        p.order_qty = o.order_qty;
        p.half_spread = o.half_spread;
        p.orders_per_second = o.orders_per_second;
        p.seed = o.random_seed;
        return Impl{std::in_place_type<RandomTrader>, p, ticks_per_second};
      }
      case StrategyKind::kMarketMaker:
        break;
    }
    MarketMakerParams p;
    p.order_qty = o.order_qty;
    p.half_spread = o.half_spread;
    p.skew_factor = o.skew_factor;
    p.max_position = o.max_position;
    return Impl{std::in_place_type<MarketMaker>, p};
  }

  Impl impl_;
};

}  // namespace llt::trading
