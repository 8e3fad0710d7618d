#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "exchange/protocol/types.h"

namespace llt::trading {

// One ticker's position. Money in cents, as doubles so a VWAP of uneven fills is exact enough
// (reports round to whole cents).
struct Position {
  std::int64_t position = 0;  // signed: > 0 long, < 0 short
  double vwap = 0.0;          // average price of the open position; 0 when flat
  double realized_pnl = 0.0;
  double unrealized_pnl = 0.0;  // position * (mark - vwap)
  double mark = 0.0;            // price the open position is valued at
  bool has_mid_mark = false;    // mark came from a two-sided mid (else the last fill price)
  std::uint64_t fills = 0;
  std::uint64_t filled_qty = 0;

  [[nodiscard]] double total_pnl() const noexcept { return realized_pnl + unrealized_pnl; }
};

// Position, VWAP and P&L per fill and per BBO change.
//
// A fill on the side of the position (or from flat) moves the VWAP to the quantity-weighted
// average. A fill against it first closes min(qty, |position|) units, realizing
// closed * (price - vwap) for a long (vwap - price for a short); a remainder opens a new
// position at the fill price; a position closed to flat has vwap 0.
//
// The mark is the mid of the latest two-sided BBO; one-sided or empty books keep the last
// two-sided mid, and before any two-sided BBO the last fill price is used.
//
// Thread contract: pure functions of their arguments (the trade engine owns the Positions).
struct PositionKeeper {
  static void on_fill(Position& p, exchange::Side side, exchange::Price price,
                      exchange::Qty qty) noexcept {
    if (qty == 0) {
      return;
    }
    const double px = static_cast<double>(price);
    const auto q = static_cast<std::int64_t>(qty);
    const std::int64_t signed_qty = side == exchange::Side::kBuy ? q : -q;
    const std::int64_t abs_position = p.position < 0 ? -p.position : p.position;
    if (p.position == 0 || (p.position > 0) == (signed_qty > 0)) {
      const auto open = static_cast<double>(abs_position);
      p.vwap = (p.vwap * open + px * static_cast<double>(q)) / (open + static_cast<double>(q));
    } else {
      const std::int64_t closed = std::min(q, abs_position);
      const double per_unit = p.position > 0 ? px - p.vwap : p.vwap - px;
      p.realized_pnl += per_unit * static_cast<double>(closed);
      if (q > closed) {
        p.vwap = px;  // the remainder opens the other way at the fill price
      } else if (q == abs_position) {
        p.vwap = 0.0;
      }
    }
    p.position += signed_qty;
    ++p.fills;
    p.filled_qty += qty;
    if (!p.has_mid_mark) {
      p.mark = px;
    }
    remark(p);
  }

  // A new BBO: a two-sided one sets the mark to its mid.
  static void on_mid(Position& p, bool two_sided, double mid) noexcept {
    if (two_sided) {
      p.mark = mid;
      p.has_mid_mark = true;
    }
    remark(p);
  }

  static void remark(Position& p) noexcept {
    p.unrealized_pnl = p.position == 0 ? 0.0 : static_cast<double>(p.position) * (p.mark - p.vwap);
  }
};

}  // namespace llt::trading
