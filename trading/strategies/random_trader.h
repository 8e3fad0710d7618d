#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "exchange/protocol/types.h"
#include "trading/book/market_order_book.h"
#include "trading/engine/order_manager.h"
#include "trading/features/feature_engine.h"
#include "trading/position/position_keeper.h"
#include "trading/strategies/strategy_options.h"

namespace llt::trading {

struct RandomTraderParams {
  exchange::Qty order_qty = 10;      // qty is uniform in [1, order_qty]
  exchange::Price half_spread = 50;  // price is round(fair) + uniform in [-2, +2] half spreads
  std::uint32_t orders_per_second = 20;
  std::uint64_t seed = 1;
  std::uint32_t invalid_percent = 2;  // requests the exchange must refuse, in percent of acts
};

// Bounded random requests of every kind for load and testing. At orders_per_second (time
// driven: the engine calls due() from poll with the current TSC), one act on a random ticker
// and side, at a price within two half spreads of the fair value (so about a quarter of them
// cross a market maker quoting fair +- half_spread), qty in [1, order_qty]:
//  - no order on that side: a NEW, GTC 50%, GTC POST_ONLY 20%, IOC 20%, FOK 10%;
//  - a live GTC order: MODIFY to the drawn price and qty 75%, CANCEL 25%;
//  - a request in flight: nothing;
//  - invalid_percent of the acts instead send what the exchange must refuse: a CANCEL with
//    flags (a live order), else a NEW with a tif above FOK, unknown flag bits, or POST_ONLY on
//    an IOC.
// Requests go through the order manager, so risk and the one-working-order-per-side rule
// hold, and every answer (rejects by reason included) is counted there. Deterministic for a
// seed (splitmix64), no allocation.
//
// Thread contract: the trade engine's thread.
class RandomTrader {
 public:
  static constexpr std::string_view kName = "random";
  static constexpr std::string_view kHelp = "random orders near the fair value, for load and tests";

  // ticks_per_second: TSC ticks in a second (TscClock::ticks_per_ns() * 1e9).
  RandomTrader(const RandomTraderParams& params, double ticks_per_second) noexcept
      : params_(params),
        state_(params.seed),
        interval_ticks_(
            params.orders_per_second == 0
                ? 0
                : static_cast<std::uint64_t>(ticks_per_second /
                                             static_cast<double>(params.orders_per_second))) {}

  [[nodiscard]] static RandomTrader make(const StrategyOptions& o, double ticks_per_second) {
    RandomTraderParams p;
    p.order_qty = o.order_qty;
    p.half_spread = o.half_spread;
    p.orders_per_second = o.orders_per_second;
    p.seed = o.random_seed;
    return RandomTrader(p, ticks_per_second);
  }

  // Time driven only: market data and order events change nothing.
  void on_update(std::size_t /*ticker*/, const TickerFeatures& /*f*/, const Bbo& /*bbo*/,
                 const Position& /*pos*/, OrderManager& /*om*/) noexcept {}

  // When an order is due: one on a random ticker.
  void on_timer(std::uint64_t now_ticks, std::span<const TickerFeatures> features,
                std::span<const Position> positions, OrderManager& om) noexcept {
    if (!due(now_ticks)) {
      return;
    }
    const std::size_t t = pick_ticker(features.size());
    act(t, features[t], positions[t], om);
  }

  // True when an order is due at `now_ticks` (then the next one is due one interval later;
  // after a stall the schedule restarts from now instead of bursting).
  [[nodiscard]] bool due(std::uint64_t now_ticks) noexcept {
    if (params_.orders_per_second == 0) {
      return false;
    }
    if (next_due_ == 0) {
      next_due_ = now_ticks;
    }
    if (now_ticks < next_due_) {
      return false;
    }
    next_due_ += interval_ticks_;
    if (next_due_ <= now_ticks) {
      next_due_ = now_ticks + interval_ticks_;
    }
    return true;
  }

  // A uniform ticker index in [0, count).
  [[nodiscard]] std::size_t pick_ticker(std::size_t count) noexcept {
    return count <= 1 ? 0 : static_cast<std::size_t>(next() % count);
  }

  // Sends one random request on `ticker` (see the class comment).
  void act(std::size_t ticker, const TickerFeatures& f, const Position& pos,
           OrderManager& om) noexcept {
    const exchange::Side side = (next() & 1) != 0 ? exchange::Side::kBuy : exchange::Side::kSell;
    const std::int64_t span = 4 * params_.half_spread + 1;
    const std::int64_t offset =
        static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(span)) -
        2 * params_.half_spread;
    exchange::Price price = std::llround(f.fair_value) + offset;
    if (price < 1) {
      price = 1;
    }
    const auto qty =
        static_cast<exchange::Qty>(1 + next() % (params_.order_qty == 0 ? 1 : params_.order_qty));
    const WorkingOrder& o = om.order(ticker, side);
    const bool live = o.state == OrderState::kLive && o.tif == exchange::TimeInForce::kGtc;
    if (next() % 100 < params_.invalid_percent) {
      send_invalid(ticker, side, price, qty, live, pos, om);
      return;
    }
    if (live) {
      (void)(next() % 4 == 0 ? om.cancel(ticker, side) : om.modify(ticker, side, price, qty, pos));
      return;
    }
    if (o.state != OrderState::kNone) {
      return;
    }
    const std::uint64_t kind = next() % 10;
    exchange::TimeInForce tif = exchange::TimeInForce::kGtc;
    std::uint8_t flags = 0;
    if (kind >= 9) {
      tif = exchange::TimeInForce::kFok;
    } else if (kind >= 7) {
      tif = exchange::TimeInForce::kIoc;
    } else if (kind >= 5) {
      flags = exchange::kFlagPostOnly;
    }
    (void)om.send_new(ticker, side, price, qty, pos, tif, flags);
  }

  // splitmix64.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  [[nodiscard]] std::uint64_t interval_ticks() const noexcept { return interval_ticks_; }
  // When the next order is due (clock ticks); 0 before the first on_timer, UINT64_MAX when
  // the rate is 0.
  [[nodiscard]] std::uint64_t next_due_ticks() const noexcept {
    return params_.orders_per_second == 0 ? UINT64_MAX : next_due_;
  }

 private:
  void send_invalid(std::size_t ticker, exchange::Side side, exchange::Price price,
                    exchange::Qty qty, bool live, const Position& pos, OrderManager& om) noexcept {
    if (live) {
      (void)om.cancel(ticker, side, exchange::kFlagPostOnly);  // CANCEL carries no flags
      return;
    }
    switch (next() % 3) {
      case 0:  // a tif above FOK
        (void)om.send_new(ticker, side, price, qty, pos,
                          static_cast<exchange::TimeInForce>(3 + next() % 253));
        break;
      case 1:  // a flag bit NEW does not define
        (void)om.send_new(ticker, side, price, qty, pos, exchange::TimeInForce::kGtc,
                          static_cast<std::uint8_t>(0x02U << (next() % 7)));
        break;
      default:  // POST_ONLY is GTC only
        (void)om.send_new(ticker, side, price, qty, pos, exchange::TimeInForce::kIoc,
                          exchange::kFlagPostOnly);
        break;
    }
  }

  RandomTraderParams params_;
  std::uint64_t state_;
  std::uint64_t interval_ticks_;
  std::uint64_t next_due_ = 0;
};

}  // namespace llt::trading
