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
// manager's slot), and after one the next on that side waits for the ticker's BBO to change,
// so an IOC that expired against a book market data had not updated yet is not sent again
// and again at the same stale price.
//
// Thread contract: the trade engine's thread.
class LiquidityTaker {
 public:
  static constexpr std::string_view kName = "liquidity-taker";
  static constexpr std::string_view kHelp =
      "crosses the spread when |trade signal| > --signal-threshold";

  // Start-up: allocates the per-ticker state.
  explicit LiquidityTaker(const LiquidityTakerParams& params)
      : params_(params), tickers_(params.ticker_count) {}

  [[nodiscard]] static LiquidityTaker make(const StrategyOptions& o, double /*ticks_per_second*/) {
    LiquidityTakerParams p;
    p.order_qty = o.order_qty;
    p.signal_threshold = o.signal_threshold;
    p.ticker_count = o.ticker_count;
    return LiquidityTaker(p);
  }

  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& bbo, const Position& pos,
                 OrderManager& om) noexcept {
    if (ticker >= tickers_.size()) {
      return;
    }
    TickerState& t = tickers_[ticker];
    if (!(t.last_bbo == bbo)) {
      t.last_bbo = bbo;
      t.armed = {true, true};
    }
    if (f.signal > params_.signal_threshold && bbo.has_ask()) {
      take(ticker, exchange::Side::kBuy, bbo.ask_price, pos, om);
    }
    if (f.signal < -params_.signal_threshold && bbo.has_bid()) {
      take(ticker, exchange::Side::kSell, bbo.bid_price, pos, om);
    }
  }

  [[nodiscard]] const LiquidityTakerParams& params() const noexcept { return params_; }

 private:
  // What the taker remembers of a ticker.
  struct TickerState {
    Bbo last_bbo;                 // as of the previous on_update
    std::array<bool, 2> armed{};  // [0 buy, 1 sell]: the BBO changed since that side's
                                  // last IOC (or there was none)
  };

  void take(std::size_t ticker, exchange::Side side, exchange::Price price, const Position& pos,
            OrderManager& om) noexcept {
    bool& armed = tickers_[ticker].armed[side == exchange::Side::kBuy ? 0 : 1];
    if (!armed || om.order(ticker, side).state != OrderState::kNone) {
      return;
    }
    MoveOptions ioc;
    ioc.tif = exchange::TimeInForce::kIoc;
    if (om.move(ticker, side, price, params_.order_qty, pos, ioc) == MoveResult::kSentNew) {
      armed = false;
    }
  }

  LiquidityTakerParams params_;
  std::vector<TickerState> tickers_;
};

}  // namespace llt::trading
