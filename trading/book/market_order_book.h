#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"
#include "trading/book/order_id_map.h"

namespace llt::trading {

// Best bid and offer of one book. A side with no order reads price 0, qty 0 (has_bid/has_ask
// say which sides exist). Quantities are the level totals (u64: many u32 orders may rest).
struct Bbo {
  exchange::Price bid_price = 0;
  exchange::Price ask_price = 0;
  std::uint64_t bid_qty = 0;
  std::uint64_t ask_qty = 0;

  [[nodiscard]] bool has_bid() const noexcept { return bid_qty > 0; }
  [[nodiscard]] bool has_ask() const noexcept { return ask_qty > 0; }
  [[nodiscard]] bool two_sided() const noexcept { return has_bid() && has_ask(); }
  friend bool operator==(const Bbo&, const Bbo&) = default;
};

// What applying one market update did. Every value but kApplied/kIgnored is a bad update:
// nothing changed, and the book counts it (error_count()).
enum class BookResult : std::uint8_t {
  kApplied,         // the book changed (TRADE: noted, no book change)
  kIgnored,         // not a book record (SNAPSHOT_*, HEARTBEAT)
  kUnknownOrder,    // MODIFY or CANCEL of an order not in the book
  kDuplicateOrder,  // ADD of a market order id already resting
  kInvalid,         // ADD with an invalid side, qty 0 or price <= 0
  kFull,            // ADD with every order slot or every price level of its side in use
};

// A resting order as market data shows it.
struct BookOrder {
  exchange::OrderId order_id = 0;  // exchange market order id
  exchange::Price price = 0;
  exchange::Priority priority = 0;
  exchange::Qty qty = 0;
  exchange::Side side = exchange::Side::kInvalid;
  std::uint32_t dense_pos = 0;  // position in the live-order list (O(1) removal, cheap CLEAR)
};

// The last TRADE seen (kept for features and reports; a TRADE does not change the book).
struct LastTrade {
  exchange::Price price = 0;
  exchange::Qty qty = 0;
  exchange::Side aggressor_side = exchange::Side::kInvalid;
  std::uint64_t count = 0;
};

// One ticker's book on the trading client, built only from MarketUpdates (CLEAR, ADD, MODIFY =
// new resting qty of an order, CANCEL, TRADE), keyed by market order id. The BBO is recomputed
// after every update in O(1).
//
// Layout: orders live in a fixed array with a free list, found by an open-addressing map from
// market order id; each side's price levels (total qty and order count) are a flat array sorted
// with the best level at the back, so the BBO is the back entry and a level near the top (where
// almost all activity is) is found by a short scan from the back and inserted with a short
// memmove. Everything is allocated in the constructor; apply() never allocates or throws.
//
// Thread contract: not thread-safe; the trade engine's thread owns it.
class MarketOrderBook {
 public:
  // Throws std::invalid_argument when a capacity is 0 or too large (start-up only).
  MarketOrderBook(exchange::TickerId ticker_id, std::size_t max_orders, std::size_t max_levels)
      : ticker_id_(ticker_id),
        orders_(check(max_orders, "max_orders")),
        dense_(max_orders),
        free_(max_orders),
        index_(max_orders),
        bids_(check(max_levels, "max_levels")),
        asks_(max_levels) {
    for (std::size_t i = 0; i < max_orders; ++i) {
      free_[i] = static_cast<std::uint32_t>(max_orders - 1 - i);
    }
    free_count_ = max_orders;
  }

  MarketOrderBook(const MarketOrderBook&) = delete;
  MarketOrderBook& operator=(const MarketOrderBook&) = delete;

  // Applies one record of this ticker (ticker_id is not checked here). Bad records change
  // nothing and are counted. bbo() is current afterwards.
  [[nodiscard]] BookResult apply(const exchange::MarketUpdate& u) noexcept {
    using exchange::MarketUpdateType;
    BookResult result = BookResult::kIgnored;
    switch (u.msg_type) {
      case MarketUpdateType::kAdd:
        result = add(u);
        break;
      case MarketUpdateType::kModify:
        result = modify(u.order_id, u.qty);
        break;
      case MarketUpdateType::kCancel: {
        const std::uint32_t slot = index_.find(u.order_id);
        if (LLT_UNLIKELY(slot == OrderIdMap::kNone)) {
          result = BookResult::kUnknownOrder;
        } else {
          remove(slot);
          result = BookResult::kApplied;
        }
        break;
      }
      case MarketUpdateType::kTrade:
        last_trade_.price = u.price;
        last_trade_.qty = u.qty;
        last_trade_.aggressor_side = u.side;
        ++last_trade_.count;
        result = BookResult::kApplied;
        break;
      case MarketUpdateType::kClear:
        clear();
        result = BookResult::kApplied;
        break;
      default:
        break;
    }
    if (LLT_UNLIKELY(result != BookResult::kApplied && result != BookResult::kIgnored)) {
      ++error_count_;
    }
    refresh_bbo();
    return result;
  }

  // Removes every order. O(orders).
  void clear() noexcept {
    while (order_count_ > 0) {
      remove(dense_[order_count_ - 1]);
    }
    bids_.size = 0;
    asks_.size = 0;
  }

  [[nodiscard]] const Bbo& bbo() const noexcept { return bbo_; }
  // True when the last apply() changed the BBO.
  [[nodiscard]] bool bbo_changed() const noexcept { return bbo_changed_; }
  [[nodiscard]] const LastTrade& last_trade() const noexcept { return last_trade_; }
  [[nodiscard]] std::uint64_t error_count() const noexcept { return error_count_; }
  [[nodiscard]] std::size_t order_count() const noexcept { return order_count_; }
  [[nodiscard]] std::size_t level_count(exchange::Side side) const noexcept {
    return side == exchange::Side::kBuy ? bids_.size : asks_.size;
  }
  [[nodiscard]] exchange::TickerId ticker_id() const noexcept { return ticker_id_; }
  // The resting order with that market order id, or nullptr.
  [[nodiscard]] const BookOrder* find(exchange::OrderId order_id) const noexcept {
    const std::uint32_t slot = index_.find(order_id);
    return slot == OrderIdMap::kNone ? nullptr : &orders_[slot];
  }

  // Cold: calls f(const BookOrder&) for every resting order, in no particular order.
  template <typename F>
  void for_each_order(F&& f) const {
    for (std::size_t i = 0; i < order_count_; ++i) {
      f(orders_[dense_[i]]);
    }
  }

 private:
  struct Level {
    std::int64_t key = 0;  // price for bids, -price for asks: larger is better
    std::uint64_t qty = 0;
    std::uint32_t count = 0;
  };

  // Sorted ascending by key; the best level is levels[size - 1].
  struct Ladder {
    explicit Ladder(std::size_t capacity) : levels(capacity) {}
    std::vector<Level> levels;
    std::size_t size = 0;

    // Index of the level with this key, or the index where it would be inserted (and found
    // = false). Scans a few entries from the top, then binary searches.
    [[nodiscard]] std::size_t locate(std::int64_t key, bool& found) const noexcept {
      std::size_t hi = size;  // answer is in [lo, hi]
      std::size_t lo = 0;
      for (int step = 0; step < 4 && hi > lo; ++step) {
        const std::int64_t k = levels[hi - 1].key;
        if (k == key) {
          found = true;
          return hi - 1;
        }
        if (k < key) {
          found = false;
          return hi;
        }
        --hi;
      }
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (levels[mid].key < key) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      found = lo < size && levels[lo].key == key;
      return lo;
    }
  };

  static std::size_t check(std::size_t n, const char* what) {
    if (n == 0 || n >= (std::size_t{1} << 31)) {
      throw std::invalid_argument(std::string("MarketOrderBook ") + what +
                                  " must be in [1, 2^31), got " + std::to_string(n));
    }
    return n;
  }

  [[nodiscard]] static std::int64_t key_of(exchange::Side side, exchange::Price price) noexcept {
    return side == exchange::Side::kBuy ? price : -price;
  }
  [[nodiscard]] Ladder& ladder(exchange::Side side) noexcept {
    return side == exchange::Side::kBuy ? bids_ : asks_;
  }

  [[nodiscard]] BookResult add(const exchange::MarketUpdate& u) noexcept {
    if (LLT_UNLIKELY(!exchange::is_valid(u.side) || u.qty == 0 || u.price <= 0)) {
      return BookResult::kInvalid;
    }
    if (LLT_UNLIKELY(index_.find(u.order_id) != OrderIdMap::kNone)) {
      return BookResult::kDuplicateOrder;
    }
    if (LLT_UNLIKELY(free_count_ == 0)) {
      return BookResult::kFull;
    }
    Ladder& lad = ladder(u.side);
    const std::int64_t key = key_of(u.side, u.price);
    bool found = false;
    const std::size_t at = lad.locate(key, found);
    if (!found) {
      if (LLT_UNLIKELY(lad.size == lad.levels.size())) {
        return BookResult::kFull;
      }
      for (std::size_t i = lad.size; i > at; --i) {
        lad.levels[i] = lad.levels[i - 1];
      }
      lad.levels[at] = Level{key, 0, 0};
      ++lad.size;
    }
    lad.levels[at].qty += u.qty;
    ++lad.levels[at].count;

    const std::uint32_t slot = free_[--free_count_];
    BookOrder& o = orders_[slot];
    o.order_id = u.order_id;
    o.price = u.price;
    o.priority = u.priority;
    o.qty = u.qty;
    o.side = u.side;
    o.dense_pos = static_cast<std::uint32_t>(order_count_);
    dense_[order_count_++] = slot;
    LLT_VERIFY(index_.insert(u.order_id, slot),
               "the index holds as many keys as there are order slots");
    return BookResult::kApplied;
  }

  // A MODIFY to qty 0 removes the order (the exchange sends CANCEL for that; be lenient).
  [[nodiscard]] BookResult modify(exchange::OrderId order_id, exchange::Qty qty) noexcept {
    const std::uint32_t slot = index_.find(order_id);
    if (LLT_UNLIKELY(slot == OrderIdMap::kNone)) {
      return BookResult::kUnknownOrder;
    }
    if (LLT_UNLIKELY(qty == 0)) {
      remove(slot);
      return BookResult::kApplied;
    }
    BookOrder& o = orders_[slot];
    Ladder& lad = ladder(o.side);
    bool found = false;
    const std::size_t at = lad.locate(key_of(o.side, o.price), found);
    LLT_ASSERT(found, "a resting order's level exists");
    lad.levels[at].qty = lad.levels[at].qty - o.qty + qty;
    o.qty = qty;
    return BookResult::kApplied;
  }

  void remove(std::uint32_t slot) noexcept {
    BookOrder& o = orders_[slot];
    Ladder& lad = ladder(o.side);
    bool found = false;
    const std::size_t at = lad.locate(key_of(o.side, o.price), found);
    if (LLT_LIKELY(found)) {
      Level& level = lad.levels[at];
      level.qty -= o.qty;
      if (--level.count == 0) {
        for (std::size_t i = at + 1; i < lad.size; ++i) {
          lad.levels[i - 1] = lad.levels[i];
        }
        --lad.size;
      }
    }
    // Swap the last live order into this one's dense position.
    const std::uint32_t last = dense_[--order_count_];
    dense_[o.dense_pos] = last;
    orders_[last].dense_pos = o.dense_pos;
    LLT_VERIFY(index_.erase(o.order_id), "a resting order is in the index");
    free_[free_count_++] = slot;
  }

  void refresh_bbo() noexcept {
    Bbo next;
    if (bids_.size > 0) {
      const Level& b = bids_.levels[bids_.size - 1];
      next.bid_price = b.key;
      next.bid_qty = b.qty;
    }
    if (asks_.size > 0) {
      const Level& a = asks_.levels[asks_.size - 1];
      next.ask_price = -a.key;
      next.ask_qty = a.qty;
    }
    bbo_changed_ = !(next == bbo_);
    bbo_ = next;
  }

  exchange::TickerId ticker_id_;
  std::vector<BookOrder> orders_;
  std::vector<std::uint32_t> dense_;  // slots of live orders, [0, order_count_)
  std::vector<std::uint32_t> free_;   // free slots, [0, free_count_)
  std::size_t order_count_ = 0;
  std::size_t free_count_ = 0;
  OrderIdMap index_;
  Ladder bids_;
  Ladder asks_;
  Bbo bbo_;
  bool bbo_changed_ = false;
  LastTrade last_trade_;
  std::uint64_t error_count_ = 0;
};

}  // namespace llt::trading
