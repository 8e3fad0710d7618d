#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

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
  std::size_t ticker_count = 1;
};

// Crosses the spread when the signal is strong: signal > threshold buys order_qty at the best
// ask, signal < -threshold sells at the best bid, as IOC orders: what does not fill on arrival
// expires (CANCELED(EXPIRED)) instead of resting. One IOC per side at a time (the order
// manager's slot), and after one the next on that side waits for a change of the BBO, so an
// IOC that expired against a book not yet updated by market data is not sent again at once.
//
// Thread contract: the trade engine's thread.
class LiquidityTaker {
 public:
  static constexpr std::string_view kName = "liquidity-taker";
  static constexpr std::string_view kHelp =
      "crosses the spread when |trade signal| > --signal-threshold";

  // Start-up: allocates the per-ticker memory of the BBOs sent against.
  explicit LiquidityTaker(const LiquidityTakerParams& params)
      : params_(params), sent_against_(params.ticker_count) {}

  [[nodiscard]] static LiquidityTaker make(const StrategyOptions& o, double /*ticks_per_second*/) {
    LiquidityTakerParams p;
    p.order_qty = o.order_qty;
    p.signal_threshold = o.signal_threshold;
    p.ticker_count = o.ticker_count;
    return LiquidityTaker(p);
  }

  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    if (ticker >= sent_against_.size()) {
      return;
    }
    if (f.signal > params_.signal_threshold && bbo.has_ask()) {
      take(ticker, exchange::Side::kBuy, bbo.ask_price, bbo, pos, om);
    }
    if (f.signal < -params_.signal_threshold && bbo.has_bid()) {
      take(ticker, exchange::Side::kSell, bbo.bid_price, bbo, pos, om);
    }
  }

  [[nodiscard]] const LiquidityTakerParams& params() const noexcept { return params_; }

 private:
  void take(std::size_t ticker, exchange::Side side, exchange::Price price, const Bbo& bbo,
            const Position& pos, OrderManager& om) noexcept {
    Bbo& last = sent_against_[ticker][side == exchange::Side::kBuy ? 0 : 1];
    if (last == bbo || om.order(ticker, side).state != OrderState::kNone) {
      return;
    }
    MoveOptions ioc;
    ioc.tif = exchange::TimeInForce::kIoc;
    if (om.move(ticker, side, price, params_.order_qty, pos, ioc) == MoveResult::kSentNew) {
      last = bbo;
    }
  }

  LiquidityTakerParams params_;
  std::vector<std::array<Bbo, 2>> sent_against_;  // [ticker][0 buy, 1 sell]: the last IOC's BBO
};

}  // namespace llt::trading
