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
// expired, rejected, or gone with the exchange's day) returns its slot to kNone.
enum class OrderState : std::uint8_t {
  kNone = 0,           // no order: a NEW may be sent
  kPendingNew = 1,     // NEW sent, no ACCEPTED/REJECTED yet
  kLive = 2,           // accepted, leaves_qty > 0: a GTC order rests; an IOC or FOK order is
                       // about to trade or expire, and is neither moved nor cancelled
  kPendingCancel = 3,  // CANCEL sent, no CANCELED/CANCEL_REJECTED yet (fills may still come)
  kPendingModify = 4,  // MODIFY sent, no MODIFIED/MODIFY_REJECTED yet (fills may still come;
                       // a fill that finishes the order frees the slot, and the MODIFY's
                       // MODIFY_REJECTED(UNKNOWN_ORDER) then matches nothing)
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
    case OrderState::kPendingModify:
      return "PENDING_MODIFY";
  }
  return "UNKNOWN";
}

struct WorkingOrder {
  OrderState state = OrderState::kNone;
  exchange::TimeInForce tif = exchange::TimeInForce::kGtc;
  std::uint8_t flags = 0;
  exchange::OrderId client_order_id = 0;
  exchange::Price price = 0;
  exchange::Qty qty = 0;             // as sent (NEW), or as last MODIFIED
  exchange::Qty leaves = 0;          // still open (counted by the risk manager's position layer)
  exchange::Price modify_price = 0;  // kPendingModify: the price and qty the MODIFY asked for
  exchange::Qty modify_qty = 0;
};

// How move() changes a live order that rests at another price or qty.
enum class Requote : std::uint8_t {
  kModify,     // one MODIFY (time priority kept when only the qty shrinks at the same price)
  kCancelNew,  // CANCEL, then a NEW once CANCELED arrived (two requests, priority lost)
};

// What move() sends when the (ticker, side) has no order, and how it moves a live one.
struct MoveOptions {
  exchange::TimeInForce tif = exchange::TimeInForce::kGtc;  // of a NEW
  std::uint8_t flags = 0;                                   // of a NEW (kFlagPostOnly)
  Requote requote = Requote::kModify;
};

// What move() did.
enum class MoveResult : std::uint8_t {
  kNoChange,      // already working at that price and qty, or nothing asked and nothing working
  kSentNew,       // a NEW was queued
  kSentCancel,    // a CANCEL was queued (replace: the NEW follows once CANCELED arrives)
  kSentModify,    // a MODIFY was queued
  kWaiting,       // a request is in flight, or an IOC/FOK order has not ended; nothing sent
  kRiskRejected,  // the risk manager refused the NEW (counted there)
  kQueueFull,     // the request queue was full: nothing changed (counted as a send failure)
  kNotLoggedOn,   // no session: nothing sent
};

// One working order per side per ticker, moved by MODIFY (or by cancel + new)
// (docs/architecture.md, The trading client's components).
//
// move(ticker, side, price, qty): with no order, checks risk and sends a NEW of the options'
// tif and flags; with a live GTC order at another price or qty, checks risk on the new terms
// and sends a MODIFY (Requote::kModify; a refused check cancels the order instead) or a CANCEL
// (Requote::kCancelNew: the caller asks again after the CANCELED and gets the NEW then); qty 0
// cancels. While a request is in flight, or an IOC/FOK order has not ended, it waits. Client
// order ids increase from 1 and are never reused (a MODIFY keeps its order's id), so a late
// response of an order already finished (a CANCEL_REJECTED or MODIFY_REJECTED after the
// FILLED that raced the request, anything from before a disconnect) matches no slot and
// changes nothing. Fills change position in the trade engine whatever their order's state;
// here they only reduce leaves (leaves 0 finishes the order).
//
// Across reconnects (docs/recovery.md) orders keep their state: the replayed responses say
// what became of them. reconcile() resolves what the replay could not; while adopting (a
// restarted client rebuilding the day) an order of an earlier run that is still open is taken
// into its (ticker, side) slot.
//
// Thread contract: the trade engine's thread; the counters are readable from any thread.
class OrderManager {
 public:
  // ticker_ids: the traded tickers; a ticker's index in it names the ticker in every call.
  OrderManager(const std::vector<exchange::TickerId>& ticker_ids, OrderRequestQueue& requests,
               RiskManager& risk)
      : ticker_ids_(ticker_ids),
        slots_(ticker_ids.size()),
        replacing_(ticker_ids.size()),
        requests_(requests),
        risk_(risk) {
    next_order_id_mirror_.set(next_order_id_);
  }

  // Orders may be sent only while logged on (and caught up).
  void set_logged_on(bool on) noexcept { logged_on_ = on; }

  // While on, a response for an order this manager does not know that leaves it open (an
  // ACCEPTED, a MODIFIED, a FILLED with leaves) takes that order into the free slot of its
  // (ticker, side) as a live GTC order: a restarted client rebuilding the day from the replay.
  void set_adopting(bool on) noexcept { adopting_ = on; }

  // Start-up: client order ids continue from `next` (ids are never reused within a day).
  void restore_next_order_id(exchange::OrderId next) noexcept {
    if (next > next_order_id_) {
      next_order_id_ = next;
      next_order_id_mirror_.set(next);
    }
  }
  [[nodiscard]] bool logged_on() const noexcept { return logged_on_; }

  // TSC stamps copied into every request sent until the next call (0: not caused by market
  // data).
  void set_stamps(std::uint64_t md_read_tsc, std::uint64_t engine_in_tsc) noexcept {
    md_read_tsc_ = md_read_tsc;
    engine_in_tsc_ = engine_in_tsc;
  }

  // Makes the (ticker, side) order rest at price for qty; qty 0 means no order.
  [[nodiscard]] MoveResult move(std::size_t ticker, exchange::Side side, exchange::Price price,
                                exchange::Qty qty, const Position& position,
                                const MoveOptions& options = {}) noexcept {
    if (!logged_on_) {
      return MoveResult::kNotLoggedOn;
    }
    WorkingOrder& o = slot(ticker, side);
    switch (o.state) {
      case OrderState::kNone:
        if (qty == 0 || price <= 0) {
          replacing_[ticker][index(side)] = false;  // the replacement is not wanted any more
          return MoveResult::kNoChange;
        }
        return send_new(ticker, side, price, qty, position, options.tif, options.flags);
      case OrderState::kLive:
        if (o.tif != exchange::TimeInForce::kGtc) {
          return MoveResult::kWaiting;
        }
        if (qty > 0 && price == o.price && qty == o.qty) {
          return MoveResult::kNoChange;
        }
        if (qty == 0 || price <= 0) {
          return cancel(ticker, side);
        }
        if (options.requote == Requote::kCancelNew) {
          const MoveResult r = cancel(ticker, side);
          replacing_[ticker][index(side)] = r == MoveResult::kSentCancel;
          return r;
        }
        return modify(ticker, side, price, qty, position);
      case OrderState::kPendingNew:
      case OrderState::kPendingCancel:
      case OrderState::kPendingModify:
        break;
    }
    return MoveResult::kWaiting;
  }

  // Sends a NEW when the (ticker, side) has no order (else kWaiting), risk checked first. tif
  // and flags are sent as given, valid or not (the exchange answers REJECTED(INVALID_TIF or
  // INVALID_FLAGS) to a bad one, which the random trader sends on purpose).
  [[nodiscard]] MoveResult send_new(std::size_t ticker, exchange::Side side, exchange::Price price,
                                    exchange::Qty qty, const Position& position,
                                    exchange::TimeInForce tif = exchange::TimeInForce::kGtc,
                                    std::uint8_t flags = 0) noexcept {
    if (!logged_on_) {
      return MoveResult::kNotLoggedOn;
    }
    WorkingOrder& o = slot(ticker, side);
    if (o.state != OrderState::kNone) {
      return MoveResult::kWaiting;
    }
    if (risk_.check(side, qty, risk_inputs(ticker, position, nullptr)) != RiskResult::kAllowed) {
      return MoveResult::kRiskRejected;
    }
    if (!push(exchange::ClientRequestType::kNew, ticker, next_order_id_, side, price, qty, tif,
              flags)) {
      return MoveResult::kQueueFull;
    }
    bool& replacing = replacing_[ticker][index(side)];
    if (!replacing) {
      quote_changes_.add();
    }
    replacing = false;
    o = WorkingOrder{};
    o.state = OrderState::kPendingNew;
    o.tif = tif;
    o.flags = flags;
    o.client_order_id = next_order_id_++;
    next_order_id_mirror_.set(next_order_id_);
    o.price = price;
    o.qty = qty;
    o.leaves = qty;
    ++open_orders_;
    orders_sent_.add();
    return MoveResult::kSentNew;
  }

  // Sends a MODIFY of a live GTC order to rest at price for qty (qty >= 1). Risk is checked on
  // the new terms as for a NEW that replaces the order; when refused (counted there), the
  // order is cancelled instead and kSentCancel returned, since its old terms are not what was
  // asked. kNoChange without an order, kWaiting while a request is in flight or for an IOC/FOK
  // order.
  [[nodiscard]] MoveResult modify(std::size_t ticker, exchange::Side side, exchange::Price price,
                                  exchange::Qty qty, const Position& position) noexcept {
    MoveResult refusal = MoveResult::kNoChange;
    WorkingOrder* const changeable = changeable_order(ticker, side, refusal);
    if (changeable == nullptr) {
      return refusal;
    }
    WorkingOrder& o = *changeable;
    if (risk_.check(side, qty, risk_inputs(ticker, position, &o)) != RiskResult::kAllowed) {
      return cancel(ticker, side);
    }
    if (!push(exchange::ClientRequestType::kModify, ticker, o.client_order_id, side, price, qty,
              exchange::TimeInForce::kGtc, 0)) {
      return MoveResult::kQueueFull;
    }
    o.state = OrderState::kPendingModify;
    o.modify_price = price;
    o.modify_qty = qty;
    modifies_sent_.add();
    quote_changes_.add();
    return MoveResult::kSentModify;
  }

  // Sends CANCEL for a live order; kNoChange when there is none, kWaiting when in flight or
  // for an IOC/FOK order (it ends by itself). flags: 0; anything else is refused by the
  // exchange (CANCEL_REJECTED(INVALID_FLAGS), the order stays live), which the random trader
  // sends on purpose.
  [[nodiscard]] MoveResult cancel(std::size_t ticker, exchange::Side side,
                                  std::uint8_t flags = 0) noexcept {
    MoveResult refusal = MoveResult::kNoChange;
    WorkingOrder* const changeable = changeable_order(ticker, side, refusal);
    if (changeable == nullptr) {
      return refusal;
    }
    WorkingOrder& o = *changeable;
    if (!push(exchange::ClientRequestType::kCancel, ticker, o.client_order_id, side, o.price, o.qty,
              exchange::TimeInForce::kGtc, flags)) {
      return MoveResult::kQueueFull;
    }
    o.state = OrderState::kPendingCancel;
    cancels_sent_.add();
    quote_changes_.add();
    return MoveResult::kSentCancel;
  }

  // An order response of this session for `ticker` (index). Returns the slot it changed, or
  // nullptr when it matched no working order (late or foreign: ignored, counted). Every
  // REJECTED, CANCEL_REJECTED and MODIFY_REJECTED is counted by reason, and every CANCELED by
  // why the order ended, whether it matched a slot or not.
  const WorkingOrder* on_response(std::size_t ticker, const exchange::ClientResponse& r) noexcept {
    using exchange::ClientResponseType;
    using exchange::RejectReason;
    switch (r.msg_type) {
      case ClientResponseType::kRejected:
        exchange_rejects_[reason_slot(r.reject_reason)].add();
        break;
      case ClientResponseType::kCancelRejected:
        exchange_rejects_[reason_slot(r.reject_reason)].add();
        cancel_rejects_.add();
        break;
      case ClientResponseType::kModifyRejected:
        exchange_rejects_[reason_slot(r.reject_reason)].add();
        modify_rejects_.add();
        break;
      case ClientResponseType::kModified:
        modifies_done_.add();
        break;
      case ClientResponseType::kCanceled:
        cancels_by_reason_[reason_slot(r.reject_reason)].add();
        break;
      default:
        break;
    }
    if (r.seq_num != 0 && r.client_order_id >= next_order_id_) {
      restore_next_order_id(r.client_order_id + 1);  // an id of an earlier run: never reuse it
    }
    WorkingOrder* o = find(ticker, r.client_order_id);
    if (o == nullptr && adopting_) {
      o = adopt(ticker, r);
    }
    if (o == nullptr) {
      stale_responses_.add();
      settle_owed_answer(r);
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
          owe_answer_if_in_flight(*o);
          finish(*o);  // also while a CANCEL or MODIFY is in flight: the order is gone
        } else if (o->state == OrderState::kPendingNew) {
          o->state = OrderState::kLive;
        }
        break;
      case ClientResponseType::kCanceled:
        // NONE answers our CANCEL; EXPIRED, SELF_TRADE or DISCONNECTED end the order while a
        // CANCEL or MODIFY may be in flight, and that request's answer still comes.
        if (o->state == OrderState::kPendingModify || r.reject_reason != RejectReason::kNone) {
          owe_answer_if_in_flight(*o);
        }
        finish(*o);
        break;
      case ClientResponseType::kModified:
        // Before any FILLED the change causes: the order rests on its new terms.
        if (o->state == OrderState::kPendingModify) {
          o->state = OrderState::kLive;
          o->price = r.price;
          o->qty = r.leaves_qty;
          o->leaves = r.leaves_qty;
        }
        break;
      case ClientResponseType::kCancelRejected:
        if (o->state == OrderState::kPendingCancel) {
          // UNKNOWN_ORDER: the exchange has no such live order, it is gone (a FILLED racing
          // the cancel has normally finished the slot already, and then this response matched
          // nothing). Any other reason refused the CANCEL itself: the order still rests.
          if (r.reject_reason == RejectReason::kUnknownOrder) {
            finish(*o);
          } else {
            o->state = OrderState::kLive;
            replacing_[ticker][slot_index(ticker, *o)] = false;
          }
        }
        break;
      case ClientResponseType::kModifyRejected:
        if (o->state == OrderState::kPendingModify) {
          // As CANCEL_REJECTED: UNKNOWN_ORDER means gone, anything else leaves the order
          // resting on its old terms.
          if (r.reject_reason == RejectReason::kUnknownOrder) {
            finish(*o);
          } else {
            o->state = OrderState::kLive;
          }
        }
        break;
      case ClientResponseType::kRejected:
        if (o->state == OrderState::kPendingNew) {
          finish(*o);
        } else if (o->state == OrderState::kPendingCancel ||
                   o->state == OrderState::kPendingModify) {
          o->state = OrderState::kLive;  // a session rule refused the request; the order rests
          replacing_[ticker][slot_index(ticker, *o)] = false;
        }
        break;
      default:
        break;
    }
    return o;
  }

  // The session ended: nothing is sent until the next catch-up. Orders keep their state; the
  // next connection's replay brings their fills and, without KEEP_ORDERS, their
  // CANCELED(DISCONNECTED).
  void on_disconnected() noexcept { logged_on_ = false; }

  // After a catch-up, resolves what the reconnect could not recover (ResumeOutcome):
  // kRequestsLost cancels by id every order still waiting for an answer (its request may
  // never have reached the exchange); kResponsesLost cancels by id every open order; a
  // CANCELED or a CANCEL_REJECTED(UNKNOWN_ORDER) then finishes each. kStreamsReset forgets
  // every order (the exchange's new day has none of them). Returns the CANCELs queued.
  int reconcile(ResumeOutcome outcome) noexcept {
    if (outcome == ResumeOutcome::kStreamsReset) {
      for (auto& sides : slots_) {
        for (WorkingOrder& o : sides) {
          reconciled_orders_.add(o.state != OrderState::kNone ? 1 : 0);
          o = WorkingOrder{};
        }
      }
      for (auto& sides : replacing_) {
        sides = {false, false};
      }
      open_orders_ = 0;
      answers_owed_ = 0;
      return 0;
    }
    if (outcome == ResumeOutcome::kComplete) {
      return 0;
    }
    answers_owed_ = 0;  // their requests or answers may be among the lost
    int sent = 0;
    for (std::size_t t = 0; t < slots_.size(); ++t) {
      for (std::size_t i = 0; i < 2; ++i) {
        WorkingOrder& o = slots_[t][i];
        const bool pending = o.state == OrderState::kPendingNew ||
                             o.state == OrderState::kPendingCancel ||
                             o.state == OrderState::kPendingModify;
        const bool unknown =
            outcome == ResumeOutcome::kResponsesLost ? o.state != OrderState::kNone : pending;
        if (!unknown) {
          continue;
        }
        reconciled_orders_.add();
        const exchange::Side side = i == 0 ? exchange::Side::kBuy : exchange::Side::kSell;
        if (push(exchange::ClientRequestType::kCancel, t, o.client_order_id, side, o.price, o.qty,
                 exchange::TimeInForce::kGtc, 0)) {
          o.state = OrderState::kPendingCancel;
          replacing_[t][i] = false;
          cancels_sent_.add();
          ++sent;
        }
      }
    }
    return sent;
  }

  [[nodiscard]] const WorkingOrder& order(std::size_t ticker, exchange::Side side) const noexcept {
    return slots_[ticker][index(side)];
  }
  // The qty the order may still trade: its leaves, or while a MODIFY is in flight the larger
  // of its leaves and the MODIFY's qty (either may rest when the answers arrive).
  [[nodiscard]] std::uint64_t open_qty(std::size_t ticker, exchange::Side side) const noexcept {
    const WorkingOrder& o = order(ticker, side);
    if (o.state == OrderState::kNone) {
      return 0;
    }
    return o.state == OrderState::kPendingModify && o.modify_qty > o.leaves ? o.modify_qty
                                                                            : o.leaves;
  }
  [[nodiscard]] std::uint32_t open_orders() const noexcept { return open_orders_; }
  // Answers still to come for orders that ended while their CANCEL or MODIFY was in flight
  // (a FILLED racing a CANCEL: the CANCEL_REJECTED follows). The session is settled when this
  // and open_orders() are 0: every request sent has had its answer.
  [[nodiscard]] std::uint32_t answers_owed() const noexcept { return answers_owed_; }
  [[nodiscard]] exchange::OrderId next_order_id() const noexcept { return next_order_id_; }

  // Any thread: the next client order id, for the state file.
  [[nodiscard]] std::uint64_t next_order_id_published() const noexcept {
    return next_order_id_mirror_.load();
  }
  // Orders reconcile() cancelled by id or forgot, and orders adopted from a replay.
  [[nodiscard]] std::uint64_t reconciled_orders() const noexcept {
    return reconciled_orders_.load();
  }
  [[nodiscard]] std::uint64_t adopted_orders() const noexcept { return adopted_orders_.load(); }

  // Any thread.
  [[nodiscard]] std::uint64_t orders_sent() const noexcept { return orders_sent_.load(); }
  [[nodiscard]] std::uint64_t cancels_sent() const noexcept { return cancels_sent_.load(); }
  [[nodiscard]] std::uint64_t modifies_sent() const noexcept { return modifies_sent_.load(); }
  // NEW, CANCEL and MODIFY requests queued for the gateway.
  [[nodiscard]] std::uint64_t requests_sent() const noexcept {
    return orders_sent() + cancels_sent() + modifies_sent();
  }
  // Changes of a working quote sent: a NEW placing one, a MODIFY, a CANCEL pulling one, and a
  // CANCEL + NEW replacing one (one change, two requests: the NEW completing it is not
  // counted). An ask that came while a request was in flight and that a later ask overtook
  // was never sent and is not counted. requests_sent() / quote_changes() is the messages per
  // quote change: 1 when moving by MODIFY, up to 2 by cancel + new.
  [[nodiscard]] std::uint64_t quote_changes() const noexcept { return quote_changes_.load(); }
  [[nodiscard]] std::uint64_t send_failures() const noexcept { return send_failures_.load(); }
  [[nodiscard]] std::uint64_t cancel_rejects() const noexcept { return cancel_rejects_.load(); }
  [[nodiscard]] std::uint64_t modify_rejects() const noexcept { return modify_rejects_.load(); }
  // MODIFIED received.
  [[nodiscard]] std::uint64_t modifies_done() const noexcept { return modifies_done_.load(); }
  [[nodiscard]] std::uint64_t stale_responses() const noexcept { return stale_responses_.load(); }
  // CANCELED received, by the reason the order ended (NONE: our CANCEL).
  [[nodiscard]] std::uint64_t cancels(exchange::RejectReason reason) const noexcept {
    return cancels_by_reason_[reason_slot(reason)].load();
  }
  // CANCELED(EXPIRED): IOC and FOK orders that ended with qty left.
  [[nodiscard]] std::uint64_t expirations() const noexcept {
    return cancels(exchange::RejectReason::kExpired);
  }
  [[nodiscard]] std::uint64_t self_trade_cancels() const noexcept {
    return cancels(exchange::RejectReason::kSelfTrade);
  }
  // REJECTED, CANCEL_REJECTED and MODIFY_REJECTED by reason (gateway refusals included).
  [[nodiscard]] std::uint64_t exchange_rejects(exchange::RejectReason reason) const noexcept {
    return exchange_rejects_[reason_slot(reason)].load();
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
  [[nodiscard]] static std::size_t index(exchange::Side side) noexcept {
    return side == exchange::Side::kBuy ? 0 : 1;
  }
  [[nodiscard]] static std::size_t reason_slot(exchange::RejectReason reason) noexcept {
    const auto i = static_cast<std::size_t>(reason);
    return i < kRejectReasonSlots ? i : kRejectReasonSlots - 1;
  }

  [[nodiscard]] WorkingOrder& slot(std::size_t ticker, exchange::Side side) noexcept {
    return slots_[ticker][index(side)];
  }
  // 0 (buy) or 1 (sell): which of the ticker's two slots o is.
  [[nodiscard]] std::size_t slot_index(std::size_t ticker, const WorkingOrder& o) const noexcept {
    return &o == &slots_[ticker][0] ? 0 : 1;
  }

  // The live GTC order of (ticker, side) that a MODIFY or CANCEL may change, or nullptr with
  // why not in refusal: kNotLoggedOn, kNoChange (no order), kWaiting (a request in flight, or
  // an IOC/FOK order, which ends by itself).
  [[nodiscard]] WorkingOrder* changeable_order(std::size_t ticker, exchange::Side side,
                                               MoveResult& refusal) noexcept {
    if (!logged_on_) {
      refusal = MoveResult::kNotLoggedOn;
      return nullptr;
    }
    WorkingOrder& o = slot(ticker, side);
    if (o.state == OrderState::kNone) {
      refusal = MoveResult::kNoChange;
      return nullptr;
    }
    if (o.state != OrderState::kLive || o.tif != exchange::TimeInForce::kGtc) {
      refusal = MoveResult::kWaiting;
      return nullptr;
    }
    return &o;
  }

  [[nodiscard]] WorkingOrder* find(std::size_t ticker, exchange::OrderId id) noexcept {
    for (WorkingOrder& o : slots_[ticker]) {
      if (o.state != OrderState::kNone && o.client_order_id == id) {
        return &o;
      }
    }
    return nullptr;
  }

  // What the risk manager sees for an order of `ticker`; `replaced`, when given, is the
  // working order the new terms replace, left out of the open qty and order count.
  [[nodiscard]] RiskInputs risk_inputs(std::size_t ticker, const Position& position,
                                       const WorkingOrder* replaced) const noexcept {
    RiskInputs in;
    in.position = position.position;
    in.open_buy_qty = open_qty(ticker, exchange::Side::kBuy);
    in.open_sell_qty = open_qty(ticker, exchange::Side::kSell);
    in.total_pnl = position.total_pnl();
    in.open_orders = open_orders_;
    if (replaced != nullptr) {
      (replaced == &slots_[ticker][0] ? in.open_buy_qty : in.open_sell_qty) -= replaced->leaves;
      --in.open_orders;
    }
    return in;
  }

  // See set_adopting. Returns the slot it took, or nullptr.
  [[nodiscard]] WorkingOrder* adopt(std::size_t ticker,
                                    const exchange::ClientResponse& r) noexcept {
    using exchange::ClientResponseType;
    const bool opens = r.msg_type == ClientResponseType::kAccepted ||
                       r.msg_type == ClientResponseType::kModified ||
                       r.msg_type == ClientResponseType::kFilled;
    if (!opens || r.leaves_qty == 0 || r.seq_num == 0 ||
        (r.side != exchange::Side::kBuy && r.side != exchange::Side::kSell)) {
      return nullptr;
    }
    WorkingOrder& o = slot(ticker, r.side);
    if (o.state != OrderState::kNone) {
      return nullptr;
    }
    o = WorkingOrder{};
    o.state = OrderState::kLive;
    o.client_order_id = r.client_order_id;
    o.price = r.price;
    o.qty = r.leaves_qty;
    o.leaves = r.leaves_qty;
    ++open_orders_;
    adopted_orders_.add();
    return &o;
  }

  // o ends now; a CANCEL or MODIFY of it in flight still gets exactly one answer (DESIGN:
  // every CANCEL gets one CANCELED or CANCEL_REJECTED), which will match no slot.
  void owe_answer_if_in_flight(const WorkingOrder& o) noexcept {
    if (o.state == OrderState::kPendingCancel || o.state == OrderState::kPendingModify) {
      ++answers_owed_;
    }
  }

  // A response that matched no slot: when it is the kind that answers a CANCEL or MODIFY, it
  // settles one owed answer.
  void settle_owed_answer(const exchange::ClientResponse& r) noexcept {
    using exchange::ClientResponseType;
    const bool answers_request = r.msg_type == ClientResponseType::kCancelRejected ||
                                 r.msg_type == ClientResponseType::kModifyRejected ||
                                 r.msg_type == ClientResponseType::kRejected ||
                                 (r.msg_type == ClientResponseType::kCanceled &&
                                  r.reject_reason == exchange::RejectReason::kNone);
    if (answers_request && answers_owed_ > 0) {
      --answers_owed_;
    }
  }

  void finish(WorkingOrder& o) noexcept {
    o.state = OrderState::kNone;
    o.leaves = 0;
    --open_orders_;
  }

  [[nodiscard]] bool push(exchange::ClientRequestType type, std::size_t ticker,
                          exchange::OrderId id, exchange::Side side, exchange::Price price,
                          exchange::Qty qty, exchange::TimeInForce tif,
                          std::uint8_t flags) noexcept {
    OrderRequest req;
    req.request.msg_type = type;
    req.request.ticker_id = ticker_ids_[ticker];
    req.request.order_id = id;
    req.request.side = side;
    req.request.price = price;
    req.request.qty = qty;
    req.request.tif = tif;
    req.request.flags = flags;
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
  // [ticker][0 buy, 1 sell]: a CANCEL of move() under Requote::kCancelNew went out and the
  // NEW replacing the order is still to come (it completes that quote change).
  std::vector<std::array<bool, 2>> replacing_;
  OrderRequestQueue& requests_;
  RiskManager& risk_;
  exchange::OrderId next_order_id_ = 1;
  std::uint32_t open_orders_ = 0;
  std::uint32_t answers_owed_ = 0;
  bool logged_on_ = false;
  bool adopting_ = false;
  std::uint64_t md_read_tsc_ = 0;
  std::uint64_t engine_in_tsc_ = 0;

  common::SingleWriterCounter orders_sent_;
  common::SingleWriterCounter cancels_sent_;
  common::SingleWriterCounter modifies_sent_;
  common::SingleWriterCounter quote_changes_;
  common::SingleWriterCounter send_failures_;
  common::SingleWriterCounter cancel_rejects_;
  common::SingleWriterCounter modify_rejects_;
  common::SingleWriterCounter modifies_done_;
  common::SingleWriterCounter stale_responses_;
  common::SingleWriterCounter reconciled_orders_;
  common::SingleWriterCounter adopted_orders_;
  common::SingleWriterCounter next_order_id_mirror_;
  std::array<common::SingleWriterCounter, kRejectReasonSlots> exchange_rejects_{};
  std::array<common::SingleWriterCounter, kRejectReasonSlots> cancels_by_reason_{};
};

}  // namespace llt::trading
