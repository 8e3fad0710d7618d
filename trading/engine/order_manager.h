#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/concurrent/single_writer_counter.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"
#include "trading/position/position_keeper.h"
#include "trading/risk/risk_manager.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// The life of the one working order of a (ticker, side). A finished order (filled, cancelled,
// rejected, or dropped by a disconnect) returns its slot to kNone.
enum class OrderState : std::uint8_t {
  kNone = 0,           // no order: a NEW may be sent
  kPendingNew = 1,     // NEW sent, no ACCEPTED/REJECTED yet
  kLive = 2,           // resting at the exchange (leaves_qty > 0)
  kPendingCancel = 3,  // CANCEL sent, no CANCELED/CANCEL_REJECTED yet (fills may still come)
};

[[nodiscard]] constexpr std::string_view to_string(OrderState s) noexcept {
  switch (s) {
    case OrderState::kNone:
      return "NONE";
    case OrderState::kPendingNew:
      return "PENDING_NEW";
    case OrderState::kLive:
      return "LIVE";
    case OrderState::kPendingCancel:
      return "PENDING_CANCEL";
  }
  return "UNKNOWN";
}

struct WorkingOrder {
  OrderState state = OrderState::kNone;
  exchange::OrderId client_order_id = 0;
  exchange::Price price = 0;
  exchange::Qty qty = 0;     // as sent
  exchange::Qty leaves = 0;  // still open (counted by the risk manager's position layer)
};

// What move() did.
enum class MoveResult : std::uint8_t {
  kNoChange,      // already working at that price and qty, or nothing asked and nothing working
  kSentNew,       // a NEW was queued
  kSentCancel,    // a CANCEL was queued (replace: the NEW follows once CANCELED arrives)
  kWaiting,       // a NEW or CANCEL is in flight; nothing sent
  kRiskRejected,  // the risk manager refused the NEW (counted there)
  kQueueFull,     // the request queue was full: nothing changed (counted as a send failure)
  kNotLoggedOn,   // no session: nothing sent
};

// One working order per side per ticker, replaced by cancel + new (docs/architecture.md, The
// trading client's components).
//
// move(ticker, side, price, qty): with no order, checks risk and sends NEW; with a live order
// at another price or qty (or qty 0 asked), sends CANCEL; the caller asks again after the
// CANCELED and gets the NEW then. While a request is in flight it waits. Client order ids
// increase from 1 and are never reused, so a late response of an order already finished (a
// CANCEL_REJECTED after the FILLED that raced the cancel, anything from before a disconnect)
// matches no slot and changes nothing. Fills change position in the trade engine whatever
// their order's state; here they only reduce leaves (leaves 0 finishes the order).
//
// Thread contract: the trade engine's thread; the counters are readable from any thread.
class OrderManager {
 public:
  // ticker_ids: the traded tickers; a ticker's index in it names the ticker in every call.
  OrderManager(const std::vector<exchange::TickerId>& ticker_ids, OrderRequestQueue& requests,
               RiskManager& risk)
      : ticker_ids_(ticker_ids), slots_(ticker_ids.size()), requests_(requests), risk_(risk) {}

  // Orders may be sent only while logged on.
  void set_logged_on(bool on) noexcept { logged_on_ = on; }
  [[nodiscard]] bool logged_on() const noexcept { return logged_on_; }

  // TSC stamps copied into every request sent until the next call (0: not caused by market
  // data).
  void set_stamps(std::uint64_t md_read_tsc, std::uint64_t engine_in_tsc) noexcept {
    md_read_tsc_ = md_read_tsc;
    engine_in_tsc_ = engine_in_tsc;
  }

  // Makes the (ticker, side) order rest at price for qty; qty 0 means no order.
  [[nodiscard]] MoveResult move(std::size_t ticker, exchange::Side side, exchange::Price price,
                                exchange::Qty qty, const Position& position) noexcept {
    if (!logged_on_) {
      return MoveResult::kNotLoggedOn;
    }
    WorkingOrder& o = slot(ticker, side);
    switch (o.state) {
      case OrderState::kNone: {
        if (qty == 0 || price <= 0) {
          return MoveResult::kNoChange;
        }
        RiskInputs in;
        in.position = position.position;
        in.open_buy_qty = open_qty(ticker, exchange::Side::kBuy);
        in.open_sell_qty = open_qty(ticker, exchange::Side::kSell);
        in.total_pnl = position.total_pnl();
        in.open_orders = open_orders_;
        if (risk_.check(side, qty, in) != RiskResult::kAllowed) {
          return MoveResult::kRiskRejected;
        }
        if (!push(exchange::ClientRequestType::kNew, ticker, next_order_id_, side, price, qty)) {
          return MoveResult::kQueueFull;
        }
        o.state = OrderState::kPendingNew;
        o.client_order_id = next_order_id_++;
        o.price = price;
        o.qty = qty;
        o.leaves = qty;
        ++open_orders_;
        orders_sent_.add();
        return MoveResult::kSentNew;
      }
      case OrderState::kLive:
        if (qty > 0 && price == o.price && qty == o.qty) {
          return MoveResult::kNoChange;
        }
        return cancel(ticker, side);
      case OrderState::kPendingNew:
      case OrderState::kPendingCancel:
        break;
    }
    return MoveResult::kWaiting;
  }

  // Sends CANCEL for a live order; kNoChange when there is none, kWaiting when in flight.
  [[nodiscard]] MoveResult cancel(std::size_t ticker, exchange::Side side) noexcept {
    if (!logged_on_) {
      return MoveResult::kNotLoggedOn;
    }
    WorkingOrder& o = slot(ticker, side);
    if (o.state == OrderState::kNone) {
      return MoveResult::kNoChange;
    }
    if (o.state != OrderState::kLive) {
      return MoveResult::kWaiting;
    }
    if (!push(exchange::ClientRequestType::kCancel, ticker, o.client_order_id, side, o.price,
              o.qty)) {
      return MoveResult::kQueueFull;
    }
    o.state = OrderState::kPendingCancel;
    cancels_sent_.add();
    return MoveResult::kSentCancel;
  }

  // An order response of this session for `ticker` (index). Returns the slot it changed, or
  // nullptr when it matched no working order (late or foreign: ignored, counted).
  const WorkingOrder* on_response(std::size_t ticker, const exchange::ClientResponse& r) noexcept {
    using exchange::ClientResponseType;
    if (r.msg_type == ClientResponseType::kRejected) {
      const auto reason = static_cast<std::size_t>(r.reject_reason);
      exchange_rejects_[reason < kRejectReasonSlots ? reason : kRejectReasonSlots - 1].add();
    } else if (r.msg_type == ClientResponseType::kCancelRejected) {
      cancel_rejects_.add();
    }
    WorkingOrder* o = find(ticker, r.client_order_id);
    if (o == nullptr) {
      stale_responses_.add();
      return nullptr;
    }
    switch (r.msg_type) {
      case ClientResponseType::kAccepted:
        if (o->state == OrderState::kPendingNew) {
          o->state = OrderState::kLive;
          o->leaves = r.leaves_qty;
        }
        break;
      case ClientResponseType::kFilled:
        o->leaves = r.leaves_qty;
        if (r.leaves_qty == 0) {
          finish(*o);
        } else if (o->state == OrderState::kPendingNew) {
          o->state = OrderState::kLive;
        }
        break;
      case ClientResponseType::kCanceled:
        finish(*o);
        break;
      case ClientResponseType::kCancelRejected:
        // The exchange has no such live order: it is gone (a FILLED racing the cancel has
        // normally finished the slot already, and then this response matched nothing).
        if (o->state == OrderState::kPendingCancel) {
          finish(*o);
        }
        break;
      case ClientResponseType::kRejected:
        if (o->state == OrderState::kPendingNew) {
          finish(*o);
        } else if (o->state == OrderState::kPendingCancel) {
          o->state = OrderState::kLive;  // the CANCEL was refused; the order still rests
        }
        break;
      default:
        break;
    }
    return o;
  }

  // The session ended: the exchange cancelled every open order.
  void on_disconnected() noexcept {
    logged_on_ = false;
    for (auto& sides : slots_) {
      for (WorkingOrder& o : sides) {
        o = WorkingOrder{};
      }
    }
    open_orders_ = 0;
  }

  [[nodiscard]] const WorkingOrder& order(std::size_t ticker, exchange::Side side) const noexcept {
    return slots_[ticker][side == exchange::Side::kBuy ? 0 : 1];
  }
  [[nodiscard]] std::uint64_t open_qty(std::size_t ticker, exchange::Side side) const noexcept {
    const WorkingOrder& o = order(ticker, side);
    return o.state == OrderState::kNone ? 0 : o.leaves;
  }
  [[nodiscard]] std::uint32_t open_orders() const noexcept { return open_orders_; }
  [[nodiscard]] exchange::OrderId next_order_id() const noexcept { return next_order_id_; }

  // Any thread.
  [[nodiscard]] std::uint64_t orders_sent() const noexcept { return orders_sent_.load(); }
  [[nodiscard]] std::uint64_t cancels_sent() const noexcept { return cancels_sent_.load(); }
  [[nodiscard]] std::uint64_t send_failures() const noexcept { return send_failures_.load(); }
  [[nodiscard]] std::uint64_t cancel_rejects() const noexcept { return cancel_rejects_.load(); }
  [[nodiscard]] std::uint64_t stale_responses() const noexcept { return stale_responses_.load(); }
  [[nodiscard]] std::uint64_t exchange_rejects(exchange::RejectReason reason) const noexcept {
    const auto i = static_cast<std::size_t>(reason);
    return exchange_rejects_[i < kRejectReasonSlots ? i : kRejectReasonSlots - 1].load();
  }
  [[nodiscard]] std::uint64_t total_exchange_rejects() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& c : exchange_rejects_) {
      sum += c.load();
    }
    return sum;
  }

  // One slot per defined RejectReason, and one for anything above.
  static constexpr std::size_t kRejectReasonSlots = exchange::kRejectReasonCount + 1;

 private:
  [[nodiscard]] WorkingOrder& slot(std::size_t ticker, exchange::Side side) noexcept {
    return slots_[ticker][side == exchange::Side::kBuy ? 0 : 1];
  }

  [[nodiscard]] WorkingOrder* find(std::size_t ticker, exchange::OrderId id) noexcept {
    for (WorkingOrder& o : slots_[ticker]) {
      if (o.state != OrderState::kNone && o.client_order_id == id) {
        return &o;
      }
    }
    return nullptr;
  }

  void finish(WorkingOrder& o) noexcept {
    o.state = OrderState::kNone;
    o.leaves = 0;
    --open_orders_;
  }

  [[nodiscard]] bool push(exchange::ClientRequestType type, std::size_t ticker,
                          exchange::OrderId id, exchange::Side side, exchange::Price price,
                          exchange::Qty qty) noexcept {
    OrderRequest req;
    req.request.msg_type = type;
    req.request.ticker_id = ticker_ids_[ticker];
    req.request.order_id = id;
    req.request.side = side;
    req.request.price = price;
    req.request.qty = qty;
    req.md_read_tsc = md_read_tsc_;
    req.engine_in_tsc = engine_in_tsc_;
    if (!requests_.try_push(req)) {
      send_failures_.add();
      return false;
    }
    return true;
  }

  std::vector<exchange::TickerId> ticker_ids_;
  std::vector<std::array<WorkingOrder, 2>> slots_;  // [ticker][0 buy, 1 sell]
  OrderRequestQueue& requests_;
  RiskManager& risk_;
  exchange::OrderId next_order_id_ = 1;
  std::uint32_t open_orders_ = 0;
  bool logged_on_ = false;
  std::uint64_t md_read_tsc_ = 0;
  std::uint64_t engine_in_tsc_ = 0;

  common::SingleWriterCounter orders_sent_;
  common::SingleWriterCounter cancels_sent_;
  common::SingleWriterCounter send_failures_;
  common::SingleWriterCounter cancel_rejects_;
  common::SingleWriterCounter stale_responses_;
  std::array<common::SingleWriterCounter, kRejectReasonSlots> exchange_rejects_{};
};

}  // namespace llt::trading
