#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/memory/mem_pool.h"
#include "exchange/matcher/book_handler.h"
#include "exchange/matcher/client_orders.h"
#include "exchange/matcher/level_index.h"
#include "exchange/matcher/order.h"
#include "exchange/matcher/order_id_index.h"
#include "exchange/matcher/price_ladder.h"
#include "exchange/matcher/price_level.h"
#include "exchange/matcher/self_trade_prevention.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// Capacities of one book, fixed at start-up. Every pool and index is allocated and touched in
// the book's constructor; an order whose remainder would need more is REJECTED(CAPACITY).
struct OrderBookOptions {
  // Resting orders per book (the exchange's --max-orders).
  std::size_t max_orders = 262'144;
  // Price levels per book, bids and asks together.
  std::size_t max_price_levels = 65'536;
  // Distinct clients with at least one order resting in the book.
  std::size_t max_clients = 4'096;
  // Seeds every hash index. main may pick a random seed per run so that crafted order ids
  // cannot force collisions; no result depends on it.
  std::uint64_t hash_seed = 0x243f6a8885a308d3ULL;
  // The exchange's --self-trade-prevention.
  SelfTradePrevention self_trade_prevention = SelfTradePrevention::kOff;
};

// The limit order book of one ticker: price-time priority, fills at the resting order's price.
//
// Events (docs/protocol.md, Order of events), each handed to the Handler as it happens, in this
// order:
//  NEW accepted: ACCEPTED to the aggressor; then per match FILLED to the aggressor, FILLED to
//    the resting owner, TRADE, then the resting order's MODIFY (partly filled) or CANCEL
//    (fully filled, qty 0); finally, for the remainder: GTC rests (ADD), IOC ends
//    (CANCELED(EXPIRED), nothing on market data).
//  FOK: all or nothing, decided before any fill: if the opposite side cannot fill the whole qty
//    within the limit (counting only what self-trade prevention lets trade), ACCEPTED then
//    CANCELED(EXPIRED) and nothing else; otherwise it matches completely as above.
//  Self-trade (the resting order is the aggressor's client's) with prevention on:
//    cancel-newest: CANCELED(SELF_TRADE) to the aggressor, which ends there (nothing rests);
//    cancel-oldest: CANCELED(SELF_TRADE) to the resting order and its CANCEL update, and
//    matching goes on. With prevention off the two trade like any others.
//  NEW refused: one REJECTED, nothing else.
//  CANCEL: CANCELED (reason NONE) then the CANCEL update, or one CANCEL_REJECTED(UNKNOWN_ORDER).
//  MODIFY, same price and qty <= resting qty: MODIFIED, then the MODIFY update; the order keeps
//    its place. Any other change: MODIFIED (new price, leaves = new qty), the CANCEL update of
//    the old order, then it enters again as a GTC NEW would (fills, self-trade rules, ADD with a
//    new priority), keeping its market order id. Refused: one MODIFY_REJECTED.
//
// Validation of a NEW, first failure wins: INVALID_CLIENT_ID (client 0), INVALID_SIDE,
// INVALID_QTY (0), INVALID_PRICE (<= 0), INVALID_TIF (not GTC/IOC/FOK, or POST_ONLY with IOC
// or FOK), INVALID_FLAGS (a bit other than POST_ONLY), DUPLICATE_ORDER_ID (the client has a
// live order with that id in any book sharing the OrderIdIndex), WOULD_CROSS (POST_ONLY and
// the opposite best price is at or through the limit), CAPACITY (GTC only: the order would
// leave a remainder and resting it needs an order, level, client or index slot that is
// exhausted; an order whose crossing opposite levels hold its whole qty is never refused).
//
// Validation of a MODIFY, first failure wins: INVALID_TIF (tif != 0), INVALID_FLAGS (flags
// != 0), UNKNOWN_ORDER, INVALID_SIDE (not the order's side), INVALID_QTY (0), INVALID_PRICE
// (<= 0), CAPACITY (it loses priority, needs a new level, leaving frees none, none is free, and
// the crossing opposite levels hold less than the new qty).
//
// Identity: market order ids count up from 1 per book, one per accepted NEW, so
// (ticker_id, market_order_id) names an order. Priority counts up from 1 per book, one per
// order that rests; a level's FIFO is its orders by ascending priority.
//
// Costs: add at an existing level, cancel, modify in place and order lookup are O(1) (hash
// indexes and intrusive lists); the FOK check walks only the levels (with prevention on, the
// orders) it needs to cover the qty; the best level is the back of a sorted array, so taking the
// next level after one empties is O(1) whatever rests deeper (see PriceLadder). Opening or closing
// a level moves the ladder entries between it and the top: O(1) at the touch, where levels come and
// go, O(depth) deep in the book. No call allocates, locks or throws; the constructor throws
// std::invalid_argument for a zero capacity.
//
// Budgeted matching: add() matches at most max_matches resting orders. If the order still
// crosses after that, the match is left pending: match_pending() is true and resume_match()
// continues it. While a match is pending no other mutating call may be made (the matching
// engine uses this to bound the events of one step by the room in its output queues).
//
// Thread contract: every member is called from one thread (the matching engine's).
template <BookHandler Handler>
class OrderBook {
 public:
  static constexpr std::uint32_t kUnlimitedMatches = UINT32_MAX;

  // ids is shared with the other books of a matcher (a client's order ids are unique across
  // tickers); it must outlive the book, as must handler.
  OrderBook(TickerId ticker_id, const OrderBookOptions& options, OrderIdIndex& ids,
            Handler& handler)
      : ticker_id_(ticker_id),
        options_(options),
        handler_(handler),
        ids_(ids),
        orders_(options.max_orders + 1),
        link_sink_(orders_.allocate_indexed(Order{}).index),
        levels_(options.max_price_levels),
        clients_(options.max_clients),
        level_index_(options.max_price_levels, options.hash_seed),
        client_index_(options.max_clients, options.hash_seed),
        client_direct_(std::make_unique<PoolIndex[]>(kDirectClients)),
        bids_(Side::kBuy, options.max_price_levels),
        asks_(Side::kSell, options.max_price_levels) {
    std::fill_n(client_direct_.get(), kDirectClients, kNoIndex);
  }

  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  // NEW. Returns kNone when accepted (ACCEPTED was emitted; the match may still be pending if
  // max_matches ran out), or the reason of the one REJECTED emitted. max_matches >= 1.
  LLT_ALWAYS_INLINE [[nodiscard]] RejectReason add(
      ClientId client_id, OrderId client_order_id, Side side, Price price, Qty qty,
      TimeInForce tif = TimeInForce::kGtc, std::uint8_t flags = 0,
      std::uint32_t max_matches = kUnlimitedMatches) noexcept {
    LLT_ASSERT(!pending_, "add() while a match is pending: resume_match() it first");
    LLT_ASSERT(max_matches > 0, "max_matches must be at least 1");
    last_steps_ = 0;
    const std::uint64_t id_hash = ids_.hash_of(OrderKey{client_order_id, client_id});
    const RejectReason reason =
        validate(client_id, client_order_id, id_hash, side, price, qty, tif, flags);
    if (LLT_UNLIKELY(reason != RejectReason::kNone)) {
      respond(ClientResponseType::kRejected, client_id, client_order_id, 0, side, price, 0, 0,
              reason);
      return reason;
    }
    aggressor_ = Aggressor{client_id, client_order_id, next_market_order_id_++, price, qty, side,
                           tif,       id_hash};
    respond(ClientResponseType::kAccepted, client_id, client_order_id, aggressor_.market_order_id,
            side, price, 0, qty, RejectReason::kNone);
    if (LLT_UNLIKELY(tif == TimeInForce::kFok) && !fok_fillable(client_id, side, price, qty)) {
      end_aggressor(RejectReason::kExpired);
      return RejectReason::kNone;
    }
    (void)match(max_matches);  // match_pending() says whether it finished
    return RejectReason::kNone;
  }

  // MODIFY of the client's live order client_order_id in this book: new price and new resting
  // qty, side must be the order's. Returns kNone (MODIFIED emitted; a re-entry's match may be
  // pending if max_matches ran out) or the reason of the one MODIFY_REJECTED emitted.
  [[nodiscard]] RejectReason modify(ClientId client_id, OrderId client_order_id, Side side,
                                    Price price, Qty qty, TimeInForce tif = TimeInForce::kGtc,
                                    std::uint8_t flags = 0,
                                    std::uint32_t max_matches = kUnlimitedMatches) noexcept {
    LLT_ASSERT(!pending_, "modify() while a match is pending: resume_match() it first");
    LLT_ASSERT(max_matches > 0, "max_matches must be at least 1");
    last_steps_ = 0;
    const OrderKey key{client_order_id, client_id};
    Order* order = ids_.find(key);
    if (order != nullptr && orders_.index_of(order) == kNoIndex) {
      order = nullptr;  // the client's order rests in another book
    }
    RejectReason reason = RejectReason::kNone;
    if (tif != TimeInForce::kGtc) {
      reason = RejectReason::kInvalidTif;
    } else if (flags != 0) {
      reason = RejectReason::kInvalidFlags;
    } else if (order == nullptr) {
      reason = RejectReason::kUnknownOrder;
    } else if (side != order->side) {
      reason = RejectReason::kInvalidSide;
    } else if (qty == 0) {
      reason = RejectReason::kInvalidQty;
    } else if (price <= 0) {
      reason = RejectReason::kInvalidPrice;
    }
    PriceLevel* level = reason == RejectReason::kNone ? levels_.at(order->level) : nullptr;
    const bool in_place = level != nullptr && price == level->price && qty <= order->qty;
    if (reason == RejectReason::kNone && !in_place && !can_reenter(*order, *level, price) &&
        !fills_completely(side, price, qty)) {
      reason = RejectReason::kCapacity;
    }
    if (LLT_UNLIKELY(reason != RejectReason::kNone)) {
      respond(ClientResponseType::kModifyRejected, client_id, client_order_id, 0, side, price, 0, 0,
              reason);
      return reason;
    }
    respond(ClientResponseType::kModified, client_id, client_order_id, order->market_order_id, side,
            price, 0, qty, RejectReason::kNone);
    last_steps_ = 1;
    if (in_place) {
      level->total_qty -= order->qty - qty;
      order->qty = qty;
      publish(MarketUpdateType::kModify, order->market_order_id, side, price, qty, order->priority);
      return RejectReason::kNone;
    }
    publish(MarketUpdateType::kCancel, order->market_order_id, side, level->price, order->qty,
            order->priority);
    if (LLT_LIKELY(!crosses(side, price))) {
      // It rests again at once: the same events as leaving and entering, but the order keeps
      // its pool slot and its id index entry.
      requeue(*order, *level, price, qty);
      return RejectReason::kNone;
    }
    aggressor_ = Aggressor{client_id, client_order_id,   order->market_order_id, price, qty,
                           side,      TimeInForce::kGtc, ids_.hash_of(key)};
    take_out(*order, *level);
    (void)match(max_matches);
    return RejectReason::kNone;
  }

  // Continues a pending match with at most max_matches more matches (>= 1). Returns true when
  // the NEW is complete (its remainder, if any, now rests), false if still pending.
  [[nodiscard]] bool resume_match(std::uint32_t max_matches) noexcept {
    LLT_ASSERT(pending_, "resume_match() without a pending match");
    LLT_ASSERT(max_matches > 0, "max_matches must be at least 1");
    last_steps_ = 0;
    return match(max_matches);
  }

  [[nodiscard]] bool match_pending() const noexcept { return pending_; }

  // Matches (or cancels) performed by the last mutating call: each is one "step" producing at
  // most two responses and two updates.
  [[nodiscard]] std::uint32_t last_steps() const noexcept { return last_steps_; }

  // CANCEL of the client's order client_order_id in this book. Returns kNone (CANCELED with
  // reason NONE and the CANCEL update emitted) or kUnknownOrder (CANCEL_REJECTED emitted): no such
  // live order of this client in this book (never existed, already filled or cancelled, another
  // client's, or resting in another book).
  LLT_ALWAYS_INLINE [[nodiscard]] RejectReason cancel(ClientId client_id,
                                                      OrderId client_order_id) noexcept {
    LLT_ASSERT(!pending_, "cancel() while a match is pending: resume_match() it first");
    last_steps_ = 0;
    Order* order = ids_.find(OrderKey{client_order_id, client_id});
    if (LLT_UNLIKELY(order == nullptr || orders_.index_of(order) == kNoIndex)) {
      respond(ClientResponseType::kCancelRejected, client_id, client_order_id, 0, Side::kInvalid, 0,
              0, 0, RejectReason::kUnknownOrder);
      return RejectReason::kUnknownOrder;
    }
    cancel_order(*order, RejectReason::kNone);
    last_steps_ = 1;
    return RejectReason::kNone;
  }

  // Cancel-on-disconnect, one order at a time: cancels the client's oldest order resting in
  // this book (CANCELED(DISCONNECTED) + CANCEL update) and returns true, or returns false if it
  // has none.
  [[nodiscard]] bool cancel_oldest_of(ClientId client_id) noexcept {
    LLT_ASSERT(!pending_, "cancel while a match is pending: resume_match() it first");
    last_steps_ = 0;
    const PoolIndex slot = client_slot_of(client_id);
    if (slot == kNoIndex) {
      return false;
    }
    Order& oldest = *orders_.at(clients_.at(slot)->head);
    cancel_order(oldest, RejectReason::kDisconnected);
    last_steps_ = 1;
    return true;
  }

  // Cancels every order the client has resting in this book, oldest first. Returns how many.
  std::size_t cancel_all_of(ClientId client_id) noexcept {
    std::size_t cancelled = 0;
    while (cancel_oldest_of(client_id)) {
      ++cancelled;
    }
    return cancelled;
  }

  // --- Start-up from a state snapshot (docs/snapshots.md) ---

  // Puts back a resting order with its ids and priority, emitting nothing. The orders of a
  // book must come back in ascending priority (which rebuilds every level's FIFO and every
  // client's oldest-first list as they were). False, restoring nothing, when the order is
  // malformed, its priority is not above the last one restored, its id is live already or a
  // slot is missing.
  [[nodiscard]] bool restore_order(ClientId client_id, OrderId client_order_id,
                                   OrderId market_order_id, Side side, Price price, Qty qty,
                                   Priority priority) noexcept {
    LLT_ASSERT(!pending_, "restore_order() while a match is pending");
    if (client_id == kInvalidClientId || !is_valid(side) || price <= 0 || qty == 0 ||
        market_order_id == 0 || priority < next_priority_ ||
        ids_.find(OrderKey{client_order_id, client_id}) != nullptr ||
        !can_rest(client_id, side, price)) {
      return false;
    }
    next_priority_ = priority;
    rest<false>(Aggressor{client_id, client_order_id, market_order_id, price, qty, side,
                          TimeInForce::kGtc, ids_.hash_of(OrderKey{client_order_id, client_id})});
    return true;
  }

  // The ids the next accepted order and the next resting order take; restore_ids() sets them
  // after the orders are back (each at least what the restored orders need).
  [[nodiscard]] OrderId next_market_order_id() const noexcept { return next_market_order_id_; }
  [[nodiscard]] Priority next_priority() const noexcept { return next_priority_; }
  [[nodiscard]] bool restore_ids(OrderId next_market_order_id, Priority next_priority) noexcept {
    if (next_market_order_id < next_market_order_id_ || next_priority < next_priority_) {
      return false;
    }
    next_market_order_id_ = next_market_order_id;
    next_priority_ = next_priority;
    return true;
  }

  // Every resting order in ascending priority (both sides): fn(const Order&, Price). Cold:
  // sorts a copy of the book's order pointers.
  template <class Fn>
  void for_each_by_priority(Fn&& fn) const {
    std::vector<const Order*> all;
    all.reserve(order_count());
    for (const Side side : {Side::kBuy, Side::kSell}) {
      for (std::size_t depth = 0; const PriceLevel* level = level_at_depth(side, depth); ++depth) {
        for (const Order* order = first_order(*level); order != nullptr;
             order = next_order(*order)) {
          all.push_back(order);
        }
      }
    }
    std::sort(all.begin(), all.end(),
              [](const Order* a, const Order* b) { return a->priority < b->priority; });
    for (const Order* order : all) {
      fn(*order, price_of(*order));
    }
  }

  // --- Observers (same thread; cheap, for tests, snapshots and the engine) ---

  [[nodiscard]] TickerId ticker_id() const noexcept { return ticker_id_; }
  [[nodiscard]] const OrderBookOptions& options() const noexcept { return options_; }

  [[nodiscard]] std::optional<Price> best_price(Side side) const noexcept {
    const PriceLadder& ladder = ladder_of(side);
    if (ladder.empty()) {
      return std::nullopt;
    }
    return ladder.price_of(ladder.best());
  }

  [[nodiscard]] std::size_t level_count(Side side) const noexcept { return ladder_of(side).size(); }
  [[nodiscard]] std::size_t level_count() const noexcept { return bids_.size() + asks_.size(); }
  [[nodiscard]] std::size_t order_count() const noexcept { return orders_.in_use() - 1; }
  [[nodiscard]] std::size_t client_count() const noexcept { return clients_.in_use(); }
  [[nodiscard]] std::size_t level_pool_in_use() const noexcept { return levels_.in_use(); }

  // depth 0 is the best level; nullptr past the last one.
  [[nodiscard]] const PriceLevel* level_at_depth(Side side, std::size_t depth) const noexcept {
    const PriceLadder& ladder = ladder_of(side);
    return depth < ladder.size() ? &level_at(ladder.at_depth(depth).level) : nullptr;
  }

  [[nodiscard]] const PriceLevel* find_level(Side side, Price price) const noexcept {
    if (!is_valid(side) || price <= 0) {
      return nullptr;
    }
    const PoolIndex slot = level_index_.find(PriceLadder::key_of(side, price));
    return slot == kNoIndex ? nullptr : &level_at(slot);
  }

  // FIFO walk of a level: first_order, then next_order until nullptr.
  [[nodiscard]] const Order* first_order(const PriceLevel& level) const noexcept {
    return level.head == kNoIndex ? nullptr : &order_at(level.head);
  }
  [[nodiscard]] const Order* next_order(const Order& order) const noexcept {
    return order.next == kNoIndex ? nullptr : &order_at(order.next);
  }

  // The client's live order with that id if it rests in this book, else nullptr.
  [[nodiscard]] const Order* find_order(ClientId client_id,
                                        OrderId client_order_id) const noexcept {
    const Order* order = ids_.find(OrderKey{client_order_id, client_id});
    return order != nullptr && orders_.index_of(order) != kNoIndex ? order : nullptr;
  }

  [[nodiscard]] Price price_of(const Order& order) const noexcept {
    return level_at(order.level).price;
  }

  // The client's orders in this book, oldest first: first_order_of, then next_order_of.
  [[nodiscard]] const Order* first_order_of(ClientId client_id) const noexcept {
    const PoolIndex slot = client_slot_of(client_id);
    if (slot == kNoIndex) {
      return nullptr;
    }
    return &order_at(clients_.at(slot)->head);
  }
  [[nodiscard]] const Order* next_order_of(const Order& order) const noexcept {
    return order.client_next == kNoIndex ? nullptr : &order_at(order.client_next);
  }

 private:
  // The NEW being matched (pending between resume_match calls).
  struct Aggressor {
    ClientId client_id = 0;
    OrderId client_order_id = 0;
    OrderId market_order_id = 0;
    Price price = 0;
    Qty qty = 0;  // still to fill
    Side side = Side::kInvalid;
    TimeInForce tif = TimeInForce::kGtc;
    std::uint64_t id_hash = 0;  // OrderIdIndex hash of (client_order_id, client_id)
  };

  using ClientIndex = common::FixedHashMap<ClientId, PoolIndex, kNoIndex>;
  // Orders and levels are big pools read at random: on huge pages.
  using OrderPool = common::MemPool<Order, true>;
  using LevelPool = common::MemPool<PriceLevel, true>;
  // Client ids below this (the usual, small ones) find their ClientOrders through a flat table
  // (16 KB per book) instead of the hash index.
  static constexpr ClientId kDirectClients = 4'096;

  [[nodiscard]] RejectReason validate(ClientId client_id, OrderId client_order_id,
                                      std::uint64_t id_hash, Side side, Price price, Qty qty,
                                      TimeInForce tif, std::uint8_t flags) const noexcept {
    if (LLT_UNLIKELY(client_id == kInvalidClientId)) {
      return RejectReason::kInvalidClientId;
    }
    if (LLT_UNLIKELY(!is_valid(side))) {
      return RejectReason::kInvalidSide;
    }
    if (LLT_UNLIKELY(qty == 0)) {
      return RejectReason::kInvalidQty;
    }
    if (LLT_UNLIKELY(price <= 0)) {
      return RejectReason::kInvalidPrice;
    }
    const bool post_only = (flags & kFlagPostOnly) != 0;
    if (LLT_UNLIKELY(!is_valid(tif) || (post_only && tif != TimeInForce::kGtc))) {
      return RejectReason::kInvalidTif;
    }
    if (LLT_UNLIKELY((flags & ~allowed_flags(ClientRequestType::kNew)) != 0)) {
      return RejectReason::kInvalidFlags;
    }
    if (LLT_UNLIKELY(ids_.find(OrderKey{client_order_id, client_id}, id_hash) != nullptr)) {
      return RejectReason::kDuplicateOrderId;
    }
    if (LLT_UNLIKELY(post_only && crosses(side, price))) {
      return RejectReason::kWouldCross;
    }
    if (LLT_UNLIKELY(tif == TimeInForce::kGtc && !can_rest(client_id, side, price) &&
                     !fills_completely(side, price, qty))) {
      return RejectReason::kCapacity;
    }
    return RejectReason::kNone;
  }

  // Whether a NEW at (side, price) would trade on arrival: the opposite best is at or through
  // the limit.
  [[nodiscard]] bool crosses(Side side, Price price) const noexcept {
    const PriceLadder& opposite = side == Side::kBuy ? asks_ : bids_;
    return !opposite.empty() && opposite.best().key >= PriceLadder::key_of(opposite.side(), price);
  }

  // Whether an order that leaves `level` can rest again at `price`: its own order, client and
  // index slots are freed by its leaving, so only a level can be missing.
  [[nodiscard]] bool can_reenter(const Order& order, const PriceLevel& level,
                                 Price price) const noexcept {
    return levels_.available() > 0 || level.order_count == 1 ||
           level_index_.find(PriceLadder::key_of(order.side, price)) != kNoIndex;
  }

  // FOK: whether matching would fill all of qty. Walks the crossing levels best first and stops
  // as soon as they cover qty; with self-trade prevention on it walks their orders, counting
  // only other clients' (cancel-oldest skips the client's own; cancel-newest stops at the
  // first, where the order would end).
  [[nodiscard]] bool fok_fillable(ClientId client_id, Side side, Price price,
                                  Qty qty) const noexcept {
    if (options_.self_trade_prevention == SelfTradePrevention::kOff) {
      return fills_completely(side, price, qty);
    }
    const PriceLadder& opposite = side == Side::kBuy ? asks_ : bids_;
    const std::int64_t limit_key = PriceLadder::key_of(opposite.side(), price);
    const bool stop_at_own = options_.self_trade_prevention == SelfTradePrevention::kCancelNewest;
    std::uint64_t available = 0;
    for (std::size_t depth = 0; depth < opposite.size(); ++depth) {
      const PriceLadder::Entry& entry = opposite.at_depth(depth);
      if (entry.key < limit_key) {
        break;
      }
      for (PoolIndex slot = level_at(entry.level).head; slot != kNoIndex;
           slot = order_at(slot).next) {
        const Order& resting = order_at(slot);
        if (resting.client_id == client_id) {
          if (stop_at_own) {
            return false;
          }
          continue;
        }
        available += resting.qty;
        if (available >= qty) {
          return true;
        }
      }
    }
    return false;
  }

  // Whether a remainder at (side, price) would find every slot it needs. Matching only frees
  // slots, so a yes here still holds when the remainder rests.
  [[nodiscard]] bool can_rest(ClientId client_id, Side side, Price price) const noexcept {
    if (LLT_LIKELY(!orders_.exhausted() && !levels_.exhausted() && !clients_.exhausted() &&
                   !ids_.full())) {
      return true;
    }
    if (orders_.available() == 0 || ids_.full()) {
      return false;
    }
    if (levels_.available() == 0 &&
        level_index_.find(PriceLadder::key_of(side, price)) == kNoIndex) {
      return false;
    }
    return clients_.available() > 0 || client_slot_of(client_id) != kNoIndex;
  }

  // Whether the opposite side holds at least qty at prices crossing the limit. Asked when a
  // pool is exhausted and for FOK; walks the crossing levels' totals, only as far as needed.
  [[nodiscard]] bool fills_completely(Side side, Price price, Qty qty) const noexcept {
    const PriceLadder& opposite = side == Side::kBuy ? asks_ : bids_;
    const std::int64_t limit_key = PriceLadder::key_of(opposite.side(), price);
    std::uint64_t available = 0;
    for (std::size_t depth = 0; depth < opposite.size(); ++depth) {
      const PriceLadder::Entry& entry = opposite.at_depth(depth);
      if (entry.key < limit_key) {
        break;
      }
      available += level_at(entry.level).total_qty;
      if (available >= qty) {
        return true;
      }
    }
    return false;
  }

  // Matches the aggressor against the opposite side, best level first, FIFO within a level,
  // at the resting price. Returns true when done (remainder rested), false when it stopped
  // after max_matches with the order still crossing.
  LLT_ALWAYS_INLINE [[nodiscard]] bool match(std::uint32_t max_matches) noexcept {
    Aggressor& aggressor = aggressor_;
    PriceLadder& opposite = aggressor.side == Side::kBuy ? asks_ : bids_;
    // A level crosses when its key is at least the limit's key on that side's scale.
    const std::int64_t limit_key = PriceLadder::key_of(opposite.side(), aggressor.price);
    std::uint32_t matches = 0;
    while (aggressor.qty > 0 && !opposite.empty()) {
      const PriceLadder::Entry best = opposite.best();
      if (best.key < limit_key) {
        break;
      }
      PriceLevel& level = *levels_.at(best.level);
      const Price price = level.price;
      while (aggressor.qty > 0 && level.head != kNoIndex) {
        if (LLT_UNLIKELY(matches == max_matches)) {
          pending_ = true;
          last_steps_ = matches;
          return false;
        }
        ++matches;
        Order& resting = *orders_.at(level.head);
        if (LLT_UNLIKELY(resting.client_id == aggressor.client_id && self_trade_prevention_on())) {
          if (options_.self_trade_prevention == SelfTradePrevention::kCancelNewest) {
            end_aggressor(RejectReason::kSelfTrade);  // qty 0: the loops end, nothing rests
            break;
          }
          // cancel-oldest: the resting order goes (its level, if emptied, goes below).
          announce_cancel(resting, price, RejectReason::kSelfTrade);
          remove_order(resting, level);
          continue;
        }
        const Qty fill = std::min(aggressor.qty, resting.qty);
        aggressor.qty -= fill;
        resting.qty -= fill;
        level.total_qty -= fill;
        respond(ClientResponseType::kFilled, aggressor.client_id, aggressor.client_order_id,
                aggressor.market_order_id, aggressor.side, price, fill, aggressor.qty,
                RejectReason::kNone);
        respond(ClientResponseType::kFilled, resting.client_id, resting.client_order_id,
                resting.market_order_id, resting.side, price, fill, resting.qty,
                RejectReason::kNone);
        publish(MarketUpdateType::kTrade, aggressor.market_order_id, aggressor.side, price, fill,
                0);
        if (resting.qty == 0) {
          publish(MarketUpdateType::kCancel, resting.market_order_id, resting.side, price, 0,
                  resting.priority);
          remove_order(resting, level);
        } else {
          publish(MarketUpdateType::kModify, resting.market_order_id, resting.side, price,
                  resting.qty, resting.priority);
        }
      }
      if (level.order_count == 0) {
        opposite.pop_best();
        free_level(level);
      }
    }
    last_steps_ = matches;
    pending_ = false;
    if (aggressor.qty > 0) {
      if (LLT_LIKELY(aggressor.tif == TimeInForce::kGtc)) {
        rest(aggressor);
      } else {
        LLT_ASSERT(aggressor.tif == TimeInForce::kIoc, "a FOK was checked to fill completely");
        end_aggressor(RejectReason::kExpired);
      }
    }
    return true;
  }

  [[nodiscard]] bool self_trade_prevention_on() const noexcept {
    return options_.self_trade_prevention != SelfTradePrevention::kOff;
  }

  // The aggressor ends without resting (IOC or FOK remainder, self-trade cancel-newest):
  // CANCELED(reason) at its limit price, leaves 0, nothing on market data.
  void end_aggressor(RejectReason reason) noexcept {
    Aggressor& aggressor = aggressor_;
    respond(ClientResponseType::kCanceled, aggressor.client_id, aggressor.client_order_id,
            aggressor.market_order_id, aggressor.side, aggressor.price, 0, 0, reason);
    aggressor.qty = 0;
    pending_ = false;
  }

  // The slot of the level at (side, price), opened (pool, index and ladder) when there is none.
  // Callers checked that a level slot is free when one is needed.
  LLT_ALWAYS_INLINE [[nodiscard]] PoolIndex level_for(Side side, Price price) noexcept {
    const std::int64_t key = PriceLadder::key_of(side, price);
    const PoolIndex found = level_index_.find(key);
    if (found != kNoIndex) {
      return found;
    }
    const auto fresh = levels_.allocate_indexed(PriceLevel{.price = price, .side = side});
    LLT_ASSERT(fresh.object != nullptr, "level pool exhausted after the capacity check");
    LLT_VERIFY(level_index_.insert(key, fresh.index), "level index full after the capacity check");
    LLT_VERIFY(ladder_of(side).insert(price, fresh.index), "ladder full after the capacity check");
    return fresh.index;
  }

  // Puts the aggressor's remainder on its own side. Every slot was checked by can_rest() in
  // validate() and matching only frees slots, so no allocation here can fail.
  // kPublish false: start-up restore, the ADD is not published.
  template <bool kPublish = true>
  LLT_ALWAYS_INLINE void rest(const Aggressor& aggressor) noexcept {
    const PoolIndex level_slot = level_for(aggressor.side, aggressor.price);
    PriceLevel* const level = levels_.at(level_slot);

    PoolIndex client_slot = client_slot_of(aggressor.client_id);
    ClientOrders* client = nullptr;
    if (client_slot == kNoIndex) {
      const auto fresh = clients_.allocate_indexed(ClientOrders{.client_id = aggressor.client_id});
      LLT_ASSERT(fresh.object != nullptr, "client pool exhausted after the capacity check");
      client = fresh.object;
      client_slot = fresh.index;
      LLT_VERIFY(index_client(aggressor.client_id, client_slot),
                 "client index full after the capacity check");
    } else {
      client = clients_.at(client_slot);
    }

    const auto fresh = orders_.allocate_indexed(Order{.market_order_id = aggressor.market_order_id,
                                                      .client_order_id = aggressor.client_order_id,
                                                      .priority = next_priority_++,
                                                      .client_id = aggressor.client_id,
                                                      .qty = aggressor.qty,
                                                      .level = level_slot,
                                                      .prev = level->tail,
                                                      .next = kNoIndex,
                                                      .client_slot = client_slot,
                                                      .client_prev = client->tail,
                                                      .client_next = kNoIndex,
                                                      .side = aggressor.side});
    LLT_ASSERT(fresh.object != nullptr, "order pool exhausted after the capacity check");
    Order* const order = fresh.object;
    const PoolIndex order_slot = fresh.index;

    if (level->tail != kNoIndex) {
      orders_.at(level->tail)->next = order_slot;
    } else {
      level->head = order_slot;
    }
    level->tail = order_slot;
    ++level->order_count;
    level->total_qty += aggressor.qty;

    if (client->tail != kNoIndex) {
      orders_.at(client->tail)->client_next = order_slot;
    } else {
      client->head = order_slot;
    }
    client->tail = order_slot;
    ++client->order_count;

    LLT_VERIFY(ids_.insert(OrderKey{aggressor.client_order_id, aggressor.client_id}, order,
                           aggressor.id_hash),
               "order id index full after the capacity check");

    if constexpr (kPublish) {
      publish(MarketUpdateType::kAdd, order->market_order_id, order->side, aggressor.price,
              order->qty, order->priority);
    }
  }

  // CANCELED(reason) to the order's owner, the CANCEL update, and the order leaves the book.
  LLT_ALWAYS_INLINE void cancel_order(Order& order, RejectReason reason) noexcept {
    PriceLevel& level = *levels_.at(order.level);
    announce_cancel(order, level.price, reason);
    take_out(order, level);
  }

  // CANCELED(reason) to the resting order's owner and its CANCEL update (qty = what rested).
  void announce_cancel(const Order& order, Price price, RejectReason reason) noexcept {
    respond(ClientResponseType::kCanceled, order.client_id, order.client_order_id,
            order.market_order_id, order.side, price, 0, 0, reason);
    publish(MarketUpdateType::kCancel, order.market_order_id, order.side, price, order.qty,
            order.priority);
  }

  // A MODIFY that loses priority and does not cross: the order moves to the back of the level
  // at `price` (opened if needed; its old level is freed first if it empties, so a level is
  // found whenever can_reenter() held) and to the back of its client's list, with a new
  // priority and qty, then its ADD is published.
  void requeue(Order& order, PriceLevel& old_level, Price price, Qty qty) noexcept {
    const PoolIndex sink = link_sink_;
    const PoolIndex slot = orders_.index_of(&order);
    unlink<&Order::prev, &Order::next>(order, old_level.head, old_level.tail, sink);
    --old_level.order_count;
    old_level.total_qty -= order.qty;
    const Side side = order.side;
    if (old_level.order_count == 0 && old_level.price != price) {
      ladder_of(side).erase(old_level.price);
      free_level(old_level);
    }
    const PoolIndex level_slot = level_for(side, price);
    PriceLevel& level = *levels_.at(level_slot);
    order.qty = qty;
    order.priority = next_priority_++;
    order.level = level_slot;
    order.prev = level.tail;
    order.next = kNoIndex;
    if (level.tail != kNoIndex) {
      orders_.at(level.tail)->next = slot;
    } else {
      level.head = slot;
    }
    level.tail = slot;
    ++level.order_count;
    level.total_qty += qty;

    ClientOrders& client = *clients_.at(order.client_slot);
    if (client.tail != slot) {
      unlink<&Order::client_prev, &Order::client_next>(order, client.head, client.tail, sink);
      order.client_prev = client.tail;
      order.client_next = kNoIndex;
      orders_.at(client.tail)->client_next = slot;
      client.tail = slot;
    }
    publish(MarketUpdateType::kAdd, order.market_order_id, side, price, qty, order.priority);
  }

  // The order leaves the book; its level goes too if it empties.
  LLT_ALWAYS_INLINE void take_out(Order& order, PriceLevel& level) noexcept {
    remove_order(order, level);
    if (level.order_count == 0) {
      ladder_of(level.side).erase(level.price);
      free_level(level);
    }
  }

  // link == kNoIndex ? a : b without a branch (a compiler turns a plain ?: into one, which
  // mispredicts whenever the condition is as random as the flow): a cmov on x86-64, masks
  // elsewhere.
  [[nodiscard]] static PoolIndex if_none(PoolIndex link, PoolIndex a, PoolIndex b) noexcept {
#if defined(__x86_64__)
    asm("cmpl $-1, %[link]\n\tcmove %[a], %[b]"
        : [b] "+r"(b)
        : [link] "r"(link), [a] "r"(a)
        : "cc");
    return b;
#else
    const PoolIndex mask = PoolIndex{0} - static_cast<PoolIndex>(link == kNoIndex);
    return (a & mask) | (b & ~mask);
#endif
  }

  // Unlinks order from one of its two lists: its level's FIFO (through prev/next) or its
  // client's list (client_prev/client_next), whose ends are head and tail. Which neighbours an
  // order has is as random as the flow, so there is no branch on it: a missing neighbour's link
  // is written to link_sink_ instead, and head and tail are rewritten either way (with their
  // own value when the order is not at that end).
  // sink: link_sink_, read once by the caller (a store to any PoolIndex could be to it).
  template <PoolIndex Order::*kPrev, PoolIndex Order::*kNext>
  void unlink(const Order& order, PoolIndex& head, PoolIndex& tail, PoolIndex sink) noexcept {
    const PoolIndex prev = order.*kPrev;
    const PoolIndex next = order.*kNext;
    head = if_none(prev, next, head);
    tail = if_none(next, prev, tail);
    orders_.at(if_none(prev, sink, prev))->*kNext = next;
    orders_.at(if_none(next, sink, next))->*kPrev = prev;
  }

  // Unlinks the order from its level and its client list, drops it from the id index and
  // returns its slot. The level stays (the caller frees it if now empty).
  void remove_order(Order& order, PriceLevel& level) noexcept {
    const PoolIndex sink = link_sink_;
    unlink<&Order::prev, &Order::next>(order, level.head, level.tail, sink);
    --level.order_count;
    level.total_qty -= order.qty;

    ClientOrders& client = *clients_.at(order.client_slot);
    unlink<&Order::client_prev, &Order::client_next>(order, client.head, client.tail, sink);
    if (--client.order_count == 0) {
      LLT_VERIFY(unindex_client(client.client_id), "client slot out of step with its index");
      LLT_VERIFY(clients_.deallocate(&client), "client slot out of step with its index");
    }

    LLT_VERIFY(ids_.erase(order), "order slot out of step with the id index");
    LLT_VERIFY(orders_.deallocate(&order), "order slot out of step with the id index");
  }

  // Drops an empty level from the index and the pool (the caller took it off the ladder).
  LLT_ALWAYS_INLINE void free_level(PriceLevel& level) noexcept {
    LLT_ASSERT(level.order_count == 0 && level.total_qty == 0, "freeing a non-empty level");
    LLT_VERIFY(level_index_.erase(PriceLadder::key_of(level.side, level.price)),
               "level slot out of step with its index");
    LLT_VERIFY(levels_.deallocate(&level), "level slot out of step with its index");
  }

  void respond(ClientResponseType type, ClientId client_id, OrderId client_order_id,
               OrderId market_order_id, Side side, Price price, Qty exec_qty, Qty leaves_qty,
               RejectReason reason) noexcept {
    emit_response(handler_, type, client_id, ticker_id_, client_order_id, market_order_id, side,
                  price, exec_qty, leaves_qty, reason);
  }

  void publish(MarketUpdateType type, OrderId order_id, Side side, Price price, Qty qty,
               Priority priority) noexcept {
    emit_update(handler_, type, order_id, ticker_id_, side, price, qty, priority);
  }

  // Client id -> slot of its ClientOrders in this book, or kNoIndex.
  [[nodiscard]] PoolIndex client_slot_of(ClientId client_id) const noexcept {
    return client_id < kDirectClients ? client_direct_[client_id] : client_index_.find(client_id);
  }
  [[nodiscard]] bool index_client(ClientId client_id, PoolIndex slot) noexcept {
    if (client_id < kDirectClients) {
      client_direct_[client_id] = slot;
      return true;
    }
    return client_index_.insert(client_id, slot);
  }
  [[nodiscard]] bool unindex_client(ClientId client_id) noexcept {
    if (client_id < kDirectClients) {
      const bool was = client_direct_[client_id] != kNoIndex;
      client_direct_[client_id] = kNoIndex;
      return was;
    }
    return client_index_.erase(client_id);
  }

  [[nodiscard]] PriceLadder& ladder_of(Side side) noexcept {
    return side == Side::kBuy ? bids_ : asks_;
  }
  [[nodiscard]] const PriceLadder& ladder_of(Side side) const noexcept {
    return side == Side::kBuy ? bids_ : asks_;
  }

  [[nodiscard]] const PriceLevel& level_at(PoolIndex slot) const noexcept {
    return *levels_.at(slot);
  }
  [[nodiscard]] const Order& order_at(PoolIndex slot) const noexcept {
    return *orders_.at(slot);
  }

  TickerId ticker_id_;
  OrderBookOptions options_;
  Handler& handler_;
  OrderIdIndex& ids_;
  OrderPool orders_;  // max_orders + 1 slots: one is link_sink_
  // An order slot that is never in a list: remove_order() writes the links of neighbours an
  // order does not have here rather than branching on whether it has them.
  PoolIndex link_sink_;
  LevelPool levels_;
  common::MemPool<ClientOrders> clients_;
  LevelIndex level_index_;                      // PriceLadder key (price or -price) -> level slot
  ClientIndex client_index_;                    // client ids >= kDirectClients
  std::unique_ptr<PoolIndex[]> client_direct_;  // client ids below kDirectClients
  PriceLadder bids_;
  PriceLadder asks_;
  Aggressor aggressor_;
  bool pending_ = false;
  std::uint32_t last_steps_ = 0;
  OrderId next_market_order_id_ = 1;
  Priority next_priority_ = 1;
};

}  // namespace llt::exchange
