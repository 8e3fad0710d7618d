#pragma once

#include <algorithm>
#include <cstdint>

#include "exchange/protocol/types.h"
#include "trading/book/market_order_book.h"

namespace llt::trading {

// What the strategies read about one ticker (the features row of docs/architecture.md, The
// trading client's components). Prices in cents, as doubles.
struct TickerFeatures {
  double fair_value = 0.0;  // EMA of the two-sided mid; the reference price until there is one
  double mid = 0.0;
  double spread = 0.0;          // ask - bid; 0 unless the book is two-sided
  double imbalance = 0.0;       // (bid_qty - ask_qty) / (bid_qty + ask_qty), in [-1, 1]
  double signal = 0.0;          // clamp(0.7 * (fair - mid) / spread + 0.3 * imbalance, -1, 1)
  bool seen_two_sided = false;  // the book has had a two-sided BBO at least once
};

// Computes one ticker's features from its BBO. Definitions for every book shape, so nothing
// divides by zero:
//  - two-sided: mid = (bid + ask) / 2, spread = ask - bid; the fair value's EMA takes the mid
//    (the first two-sided mid seeds it: fair = mid).
//  - one-sided: mid = that side's price, spread = 0, so the fair-value term of the signal is 0;
//    imbalance is +1 (bids only) or -1 (asks only); the fair value holds.
//  - empty: mid = the fair value, spread = 0, imbalance = 0, signal = 0; the fair value holds.
//  - crossed or locked (ask <= bid, only seen transiently during a rebuild): spread is what it
//    is but the fair-value term is 0 whenever spread <= 0.
// The fair value is the reference price until the first two-sided BBO.
//
// Thread contract: pure functions of their arguments.
class FeatureEngine {
 public:
  FeatureEngine(double ema_alpha, exchange::Price reference_price) noexcept
      : alpha_(ema_alpha), reference_price_(static_cast<double>(reference_price)) {}

  // Features before any market data.
  [[nodiscard]] TickerFeatures initial() const noexcept {
    TickerFeatures f;
    f.fair_value = reference_price_;
    f.mid = reference_price_;
    return f;
  }

  // Updates `f` (the ticker's previous features) for a new BBO.
  void on_bbo(const Bbo& bbo, TickerFeatures& f) const noexcept {
    const double bid = static_cast<double>(bbo.bid_price);
    const double ask = static_cast<double>(bbo.ask_price);
    if (bbo.two_sided()) {
      f.mid = (bid + ask) / 2.0;
      f.spread = ask - bid;
      if (f.seen_two_sided) {
        f.fair_value = alpha_ * f.mid + (1.0 - alpha_) * f.fair_value;
      } else {
        f.fair_value = f.mid;
        f.seen_two_sided = true;
      }
    } else if (bbo.has_bid()) {
      f.mid = bid;
      f.spread = 0.0;
    } else if (bbo.has_ask()) {
      f.mid = ask;
      f.spread = 0.0;
    } else {
      if (!f.seen_two_sided) {
        f.fair_value = reference_price_;
      }
      f.mid = f.fair_value;
      f.spread = 0.0;
    }
    const double bq = static_cast<double>(bbo.bid_qty);
    const double aq = static_cast<double>(bbo.ask_qty);
    f.imbalance = bq + aq > 0.0 ? (bq - aq) / (bq + aq) : 0.0;
    const double fv_term = f.spread > 0.0 ? (f.fair_value - f.mid) / f.spread : 0.0;
    f.signal = std::clamp(0.7 * fv_term + 0.3 * f.imbalance, -1.0, 1.0);
  }

  [[nodiscard]] double alpha() const noexcept { return alpha_; }

 private:
  double alpha_;
  double reference_price_;
};

}  // namespace llt::trading
