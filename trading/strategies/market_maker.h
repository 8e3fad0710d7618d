#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exchange/protocol/types.h"
#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

struct MarketMakerParams {
  exchange::Qty order_qty = 10;
  exchange::Price half_spread = 50;  // cents
  double skew_factor = 0.5;          // quote size reduction on the inventory side at full position
  std::int64_t max_position = 1000;
  Requote requote = Requote::kModify;  // how a quote moves: one MODIFY, or CANCEL then NEW
};

// A quote for both sides; a side with qty 0 is not quoted.
struct Quote {
  exchange::Price bid_price = 0;
  exchange::Qty bid_qty = 0;
  exchange::Price ask_price = 0;
  exchange::Qty ask_qty = 0;
  friend bool operator==(const Quote&, const Quote&) = default;
};

// Inventory-skewed two-sided quoting (the strategies row of docs/architecture.md, The trading
// client's components):
//   half = half_spread + trunc(|imbalance| * half_spread * 0.5), the widening only on a
//     two-sided book (spread > 0): a one-sided book is most often our own requote in flight
//     (a MODIFY that loses priority, or cancel then new), and widening on it would requote
//     the other side in a loop
//   ratio = clamp(position / max_position, -1, 1)
//   bid_qty = trunc(order_qty * (1 - max(skew * ratio, 0)))
//   ask_qty = trunc(order_qty * (1 + min(skew * ratio, 0)))
//   bid = round(fair) - half, ask = round(fair) + half
// A bid at a price <= 0 is not quoted (qty 0), nor is a side whose qty truncates to 0.
// A side with no order gets a NEW; a live quote that differs is moved with one MODIFY (so a
// size that only shrinks at the same price keeps its place in the queue), or with cancel +
// new under Requote::kCancelNew (--requote cancel-new, to compare the two).
//
// Thread contract: the trade engine's thread.
class MarketMaker {
 public:
  static constexpr std::string_view kName = "market-maker";
  static constexpr std::string_view kHelp =
      "quotes both sides around the fair value, sized by the position";

  explicit MarketMaker(const MarketMakerParams& params) noexcept : params_(params) {}

  [[nodiscard]] static MarketMaker make(const StrategyOptions& o, double /*ticks_per_second*/) {
    MarketMakerParams p;
    p.order_qty = o.order_qty;
    p.half_spread = o.half_spread;
    p.skew_factor = o.skew_factor;
    p.max_position = o.max_position;
    p.requote = o.requote;
    return MarketMaker(p);
  }

  [[nodiscard]] static Quote quotes(const MarketMakerParams& p, const TickerFeatures& f,
                                    std::int64_t position) noexcept {
    const double hs = static_cast<double>(p.half_spread);
    const double imbalance = f.spread > 0.0 ? f.imbalance : 0.0;
    const auto imbalance_adj = static_cast<exchange::Price>(std::fabs(imbalance) * hs * 0.5);
    const exchange::Price half = p.half_spread + imbalance_adj;
    const double ratio =
        p.max_position > 0
            ? std::clamp(static_cast<double>(position) / static_cast<double>(p.max_position), -1.0,
                         1.0)
            : 0.0;
    const double bid_factor = 1.0 - std::max(p.skew_factor * ratio, 0.0);
    const double ask_factor = 1.0 + std::min(p.skew_factor * ratio, 0.0);
    const exchange::Price fair = std::llround(f.fair_value);
    Quote q;
    q.bid_price = fair - half;
    q.ask_price = fair + half;
    q.bid_qty =
        static_cast<exchange::Qty>(std::max(0.0, static_cast<double>(p.order_qty) * bid_factor));
    q.ask_qty =
        static_cast<exchange::Qty>(std::max(0.0, static_cast<double>(p.order_qty) * ask_factor));
    if (q.bid_price <= 0) {
      q.bid_qty = 0;
    }
    if (q.ask_price <= 0) {
      q.ask_qty = 0;
    }
    return q;
  }

  // Any change of features, position or orders: move both quotes (a MODIFY, or cancel + new,
  // when they differ from the working orders).
  void on_update(std::size_t ticker, const TickerFeatures& f, const Bbo& /*bbo*/,
                 const Position& pos, OrderManager& om) noexcept {
    const Quote q = quotes(params_, f, pos.position);
    MoveOptions options;
    options.requote = params_.requote;
    (void)om.move(ticker, exchange::Side::kBuy, q.bid_price, q.bid_qty, pos, options);
    (void)om.move(ticker, exchange::Side::kSell, q.ask_price, q.ask_qty, pos, options);
  }

  [[nodiscard]] const MarketMakerParams& params() const noexcept { return params_; }

 private:
  MarketMakerParams params_;
};

}  // namespace llt::trading
