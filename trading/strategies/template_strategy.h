#pragma once

#include <cmath>
#include <cstddef>
#include <string_view>

#include "exchange/protocol/types.h"
#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

struct TemplateStrategyParams {
  exchange::Qty order_qty = 10;
  exchange::Price half_spread = 50;  // cents
};

// The strategy to copy when writing a new one (docs/strategies.md). It is not in
// strategy_registry.h, so the trading client cannot run it; template_strategy_test.cpp builds
// and drives it, so it keeps compiling against the engine's interface.
//
// Rests order_qty at round(fair) - half_spread (bid) and round(fair) + half_spread (ask)
// while the ticker's book is two-sided, and pulls both quotes when it is not.
//
// Thread contract: the trade engine's thread.
class TemplateStrategy {
 public:
  static constexpr std::string_view kName = "template";
  static constexpr std::string_view kHelp = "quotes at the fair value +- --half-spread";

  explicit TemplateStrategy(const TemplateStrategyParams& params) noexcept : params_(params) {}

  // Start-up: picks its knobs out of the flags' values.
  [[nodiscard]] static TemplateStrategy make(const StrategyOptions& o,
                                             double /*ticks_per_second*/) {
    TemplateStrategyParams p;
    p.order_qty = o.order_qty;
    p.half_spread = o.half_spread;
    return TemplateStrategy(p);
  }

  // After every BBO change and order event of `ticker` (its index in the traded list). Asks
  // the order manager for the orders it wants working; qty 0 cancels a working one.
  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    const exchange::Qty qty = bbo.two_sided() ? params_.order_qty : 0;
    const exchange::Price fair = std::llround(f.fair_value);
    (void)om.move(ticker, exchange::Side::kBuy, fair - params_.half_spread, qty, pos);
    (void)om.move(ticker, exchange::Side::kSell, fair + params_.half_spread, qty, pos);
  }

 private:
  TemplateStrategyParams params_;
};

}  // namespace llt::trading
