#pragma once

#include <cstddef>
#include <cstdint>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/memory/mem_pool.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// A resting order as market data shows it, linked by pool index in priority order.
struct ReplicaOrder {
  static constexpr std::uint32_t kNoLink = UINT32_MAX;

  OrderId order_id = 0;  // market order id
  Price price = 0;
  Priority priority = 0;
  Qty qty = 0;
  Side side = Side::kInvalid;
  std::uint32_t prev = kNoLink;  // lower priority (older)
  std::uint32_t next = kNoLink;  // higher priority (newer)
};

static_assert(ReplicaOrder::kNoLink == common::MemPool<ReplicaOrder>::kNoIndex,
              "links are pool indices");

// What applying one incremental update did.
enum class ReplicaResult : std::uint8_t {
  kApplied,         // the book changed (or, for TRADE, needed no change)
  kIgnored,         // a record type that does not change a book (HEARTBEAT, SNAPSHOT_*)
  kUnknownOrder,    // MODIFY or CANCEL of an order not in the book: nothing changed
  kDuplicateOrder,  // ADD of an order id already resting: nothing changed
  kFull,            // ADD with every order slot in use: the order was not added
};

// One ticker's book as the incremental market data stream describes it (docs/protocol.md,
// MarketUpdate; the market_update.h comment): ADD rests an order, MODIFY sets its resting quantity,
// CANCEL removes it, CLEAR empties the book, TRADE changes nothing (the passive order's MODIFY or
// CANCEL that follows does).
//
// The orders are kept in one intrusive list in ascending priority, which is the order a
// snapshot lists them in: the matcher gives each resting order the next priority of its book,
// so an ADD normally goes at the tail in O(1) (an out-of-order ADD walks back to its place).
// Lookup by market order id is a fixed hash map; orders come from a pool. Everything is
// allocated in the constructor; no member allocates, locks or throws afterwards.
//
// Thread contract: not thread-safe; one thread (the snapshot synthesizer's) owns it.
class ReplicaBook {
 public:
  using Index = common::MemPool<ReplicaOrder>::Index;
  static constexpr Index kNoIndex = common::MemPool<ReplicaOrder>::kNoIndex;

  // Throws std::invalid_argument when max_orders is 0 or too large for the pool.
  ReplicaBook(TickerId ticker_id, std::size_t max_orders, std::uint64_t hash_seed)
      : ticker_id_(ticker_id), orders_(max_orders), index_(max_orders, hash_seed) {}

  ReplicaBook(const ReplicaBook&) = delete;
  ReplicaBook& operator=(const ReplicaBook&) = delete;

  // Applies one incremental record of this ticker (ticker_id is not checked here).
  [[nodiscard]] ReplicaResult apply(const MarketUpdate& update) noexcept {
    switch (update.msg_type) {
      case MarketUpdateType::kAdd:
        return add(update);
      case MarketUpdateType::kModify: {
        const Index slot = index_.find(update.order_id);
        if (LLT_UNLIKELY(slot == kNoIndex)) {
          return ReplicaResult::kUnknownOrder;
        }
        orders_.at(slot)->qty = update.qty;
        return ReplicaResult::kApplied;
      }
      case MarketUpdateType::kCancel: {
        const Index slot = index_.find(update.order_id);
        if (LLT_UNLIKELY(slot == kNoIndex)) {
          return ReplicaResult::kUnknownOrder;
        }
        remove(slot);
        return ReplicaResult::kApplied;
      }
      case MarketUpdateType::kTrade:
        return ReplicaResult::kApplied;
      case MarketUpdateType::kClear:
        clear();
        return ReplicaResult::kApplied;
      default:
        return ReplicaResult::kIgnored;
    }
  }

  // Removes every order. O(orders).
  void clear() noexcept {
    while (head_ != kNoIndex) {
      remove(head_);
    }
  }

  // Walk in ascending priority: first(), then next(order) until nullptr.
  [[nodiscard]] const ReplicaOrder* first() const noexcept { return order_at(head_); }
  [[nodiscard]] const ReplicaOrder* next(const ReplicaOrder& order) const noexcept {
    return order_at(order.next);
  }
  // The resting order with that market order id, or nullptr.
  [[nodiscard]] const ReplicaOrder* find(OrderId order_id) const noexcept {
    return order_at(index_.find(order_id));
  }

  [[nodiscard]] TickerId ticker_id() const noexcept { return ticker_id_; }
  [[nodiscard]] std::size_t order_count() const noexcept { return orders_.in_use(); }
  [[nodiscard]] std::size_t max_orders() const noexcept { return orders_.capacity(); }

 private:
  // Market order ids count up per book, so an ADD's id is next to the last ones and a CANCEL
  // usually names a recent order: hashed as blocks of 16 consecutive ids, they land on cache
  // lines recent updates loaded instead of a random line of a table of megabytes.
  using OrderIndex = common::FixedHashMap<OrderId, Index, kNoIndex, common::BlockHash<OrderId>>;

  [[nodiscard]] const ReplicaOrder* order_at(Index slot) const noexcept {
    return slot == kNoIndex ? nullptr : orders_.at(slot);
  }

  [[nodiscard]] ReplicaResult add(const MarketUpdate& update) noexcept {
    if (LLT_UNLIKELY(index_.find(update.order_id) != kNoIndex)) {
      return ReplicaResult::kDuplicateOrder;
    }
    ReplicaOrder* order = orders_.allocate();
    if (LLT_UNLIKELY(order == nullptr)) {
      return ReplicaResult::kFull;
    }
    order->order_id = update.order_id;
    order->price = update.price;
    order->priority = update.priority;
    order->qty = update.qty;
    order->side = update.side;
    const Index slot = orders_.index_of(order);
    LLT_VERIFY(index_.insert(update.order_id, slot),
               "the index holds as many keys as the pool has slots");

    // After the last order whose priority is not above the new one's: the tail, normally.
    Index after = tail_;
    while (LLT_UNLIKELY(after != kNoIndex && orders_.at(after)->priority > order->priority)) {
      after = orders_.at(after)->prev;
    }
    order->prev = after;
    order->next = after == kNoIndex ? head_ : orders_.at(after)->next;
    if (order->next != kNoIndex) {
      orders_.at(order->next)->prev = slot;
    } else {
      tail_ = slot;
    }
    if (after != kNoIndex) {
      orders_.at(after)->next = slot;
    } else {
      head_ = slot;
    }
    return ReplicaResult::kApplied;
  }

  void remove(Index slot) noexcept {
    ReplicaOrder& order = *orders_.at(slot);
    if (order.prev != kNoIndex) {
      orders_.at(order.prev)->next = order.next;
    } else {
      head_ = order.next;
    }
    if (order.next != kNoIndex) {
      orders_.at(order.next)->prev = order.prev;
    } else {
      tail_ = order.prev;
    }
    LLT_VERIFY(index_.erase(order.order_id), "a listed order is in the index");
    LLT_VERIFY(orders_.deallocate(&order), "a listed order is a live pool object");
  }

  TickerId ticker_id_;
  common::MemPool<ReplicaOrder> orders_;
  OrderIndex index_;
  Index head_ = kNoIndex;  // lowest priority
  Index tail_ = kNoIndex;  // highest priority
};

}  // namespace llt::exchange
