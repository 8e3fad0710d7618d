#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/concurrent/single_writer_counter.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

// The outcome of a pre-trade check; every value but kAllowed is a reject reason.
enum class RiskResult : std::uint8_t {
  kAllowed = 0,
  kOrderTooLarge = 1,      // qty > max_order_qty
  kPositionTooLarge = 2,   // |projected position| > max_position (not risk-reducing)
  kLossTooLarge = 3,       // realized + unrealized < -max_loss
  kTooManyOpenOrders = 4,  // open orders >= max_open_orders
};
inline constexpr std::size_t kRiskResultCount = 5;

// Cold.
[[nodiscard]] constexpr std::string_view to_string(RiskResult r) noexcept {
  switch (r) {
    case RiskResult::kAllowed:
      return "ALLOWED";
    case RiskResult::kOrderTooLarge:
      return "ORDER_TOO_LARGE";
    case RiskResult::kPositionTooLarge:
      return "POSITION_TOO_LARGE";
    case RiskResult::kLossTooLarge:
      return "LOSS_TOO_LARGE";
    case RiskResult::kTooManyOpenOrders:
      return "TOO_MANY_OPEN_ORDERS";
  }
  return "UNKNOWN";
}

struct RiskLimits {
  exchange::Qty max_order_qty = 100;
  std::int64_t max_position = 1000;
  std::int64_t max_loss = 100000;  // cents
  std::uint32_t max_open_orders = 10;
};

// What a check needs to know about the ticker and the client's working orders.
struct RiskInputs {
  std::int64_t position = 0;
  std::uint64_t open_buy_qty = 0;   // leaves of this ticker's working buy orders
  std::uint64_t open_sell_qty = 0;  // leaves of this ticker's working sell orders
  double total_pnl = 0.0;           // realized + unrealized, cents
  std::uint32_t open_orders = 0;    // working orders of the client (every ticker)
};

// The four pre-trade layers, in order (the risk manager row of docs/architecture.md, The
// trading client's components):
//  1. order size: qty > max_order_qty
//  2. position: projected = position + open_buy + qty (buy) or position - open_sell - qty
//     (sell); rejected when |projected| > max_position, unless the order is risk-reducing
//     (a buy while short, a sell while long), which always passes this layer
//  3. loss: realized + unrealized < -max_loss
//  4. open orders: open_orders >= max_open_orders
// Every reject is counted by reason.
//
// Thread contract: check() on the trade engine's thread only; rejects() from any thread.
class RiskManager {
 public:
  explicit RiskManager(const RiskLimits& limits) noexcept : limits_(limits) {}

  [[nodiscard]] RiskResult check(exchange::Side side, exchange::Qty qty,
                                 const RiskInputs& in) noexcept {
    const RiskResult r = evaluate(side, qty, in);
    if (r != RiskResult::kAllowed) {
      rejects_[static_cast<std::size_t>(r)].add();
    }
    return r;
  }

  // Pure: the layer that would reject, without counting.
  [[nodiscard]] RiskResult evaluate(exchange::Side side, exchange::Qty qty,
                                    const RiskInputs& in) const noexcept {
    if (qty > limits_.max_order_qty) {
      return RiskResult::kOrderTooLarge;
    }
    const auto q = static_cast<std::int64_t>(qty);
    const std::int64_t projected =
        side == exchange::Side::kBuy
            ? in.position + static_cast<std::int64_t>(in.open_buy_qty) + q
            : in.position - static_cast<std::int64_t>(in.open_sell_qty) - q;
    const bool risk_reducing = (side == exchange::Side::kBuy && in.position < 0) ||
                               (side == exchange::Side::kSell && in.position > 0);
    if (!risk_reducing && (projected < 0 ? -projected : projected) > limits_.max_position) {
      return RiskResult::kPositionTooLarge;
    }
    if (in.total_pnl < -static_cast<double>(limits_.max_loss)) {
      return RiskResult::kLossTooLarge;
    }
    if (in.open_orders >= limits_.max_open_orders) {
      return RiskResult::kTooManyOpenOrders;
    }
    return RiskResult::kAllowed;
  }

  // Any thread.
  [[nodiscard]] std::uint64_t rejects(RiskResult reason) const noexcept {
    return rejects_[static_cast<std::size_t>(reason)].load();
  }
  [[nodiscard]] std::uint64_t total_rejects() const noexcept {
    std::uint64_t sum = 0;
    for (std::size_t i = 1; i < kRiskResultCount; ++i) {
      sum += rejects_[i].load();
    }
    return sum;
  }
  [[nodiscard]] const RiskLimits& limits() const noexcept { return limits_; }

 private:
  RiskLimits limits_;
  std::array<common::SingleWriterCounter, kRiskResultCount> rejects_{};
};

}  // namespace llt::trading
