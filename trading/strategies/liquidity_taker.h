#pragma once

#include <cstddef>
#include <string_view>

#include "exchange/protocol/types.h"
#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

struct LiquidityTakerParams {
  exchange::Qty order_qty = 10;
  double signal_threshold = 0.3;
};

// Crosses the spread when the signal is strong: signal > threshold buys order_qty at the best
// ask, signal < -threshold sells at the best bid. An order that did not fill completely and
// rests is cancelled on the next update unless the signal still asks for exactly it (the
// order manager keeps at most one working order per side).
//
// Thread contract: the trade engine's thread.
class LiquidityTaker {
 public:
  static constexpr std::string_view kName = "liquidity-taker";
  static constexpr std::string_view kHelp =
      "crosses the spread when |trade signal| > --signal-threshold";

  explicit LiquidityTaker(const LiquidityTakerParams& params) noexcept : params_(params) {}

  [[nodiscard]] static LiquidityTaker make(const StrategyOptions& o, double /*ticks_per_second*/) {
    LiquidityTakerParams p;
    p.order_qty = o.order_qty;
    p.signal_threshold = o.signal_threshold;
    return LiquidityTaker(p);
  }

  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    const bool buy = f.signal > params_.signal_threshold && bbo.has_ask();
    const bool sell = f.signal < -params_.signal_threshold && bbo.has_bid();
    (void)om.move(ticker, exchange::Side::kBuy, buy ? bbo.ask_price : 0,
                  buy ? params_.order_qty : 0, pos);
    (void)om.move(ticker, exchange::Side::kSell, sell ? bbo.bid_price : 0,
                  sell ? params_.order_qty : 0, pos);
  }

  [[nodiscard]] const LiquidityTakerParams& params() const noexcept { return params_; }

 private:
  LiquidityTakerParams params_;
};

}  // namespace llt::trading
