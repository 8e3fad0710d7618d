#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/error.h"
#include "common/memory/huge_page_array.h"
#include "exchange/matcher/order.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// One side of a book: the price levels sorted by price with the best at the back of a flat
// array. Why this shape:
//  - the best level is read and removed at the back in O(1), so finding the next level after
//    the best empties costs the same however many levels rest far from the top;
//  - a new level near the touch (where almost all of them appear) is found by a short scan
//    from the back and inserted with a short memmove; a level deep in the book is found by
//    binary search, and its insert or erase moves only the entries between it and the top;
//  - entries carry the price, so neither search touches a level.
// Entries are keyed so that larger is better for both sides: key = price for bids and -price
// for asks. Prices are > 0 (validated), so the negation never overflows and any positive i64
// price works: there is no price table and no modulo.
//
// Thread contract: owned by one book, on the matching engine's thread.
class PriceLadder {
 public:
  struct Entry {
    std::int64_t key;  // price for bids, -price for asks: larger is better
    PoolIndex level;   // the level's slot in the book's level pool
  };

  // Throws std::invalid_argument when capacity is 0 or side is invalid (start-up only).
  PriceLadder(Side side, std::size_t capacity)
      : side_(check_side(side)), capacity_(check_capacity(capacity)), entries_(capacity) {}

  PriceLadder(const PriceLadder&) = delete;
  PriceLadder& operator=(const PriceLadder&) = delete;

  // Side is +1 (buy) or -1 (sell) on the wire, so the key is one multiply: no branch for the
  // CPU to mispredict on a random mix of sides. side must be valid.
  [[nodiscard]] static constexpr std::int64_t key_of(Side side, Price price) noexcept {
    return price * static_cast<std::int64_t>(static_cast<std::int8_t>(side));
  }
  [[nodiscard]] Price price_of(const Entry& entry) const noexcept {
    return side_ == Side::kBuy ? entry.key : -entry.key;
  }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] Side side() const noexcept { return side_; }

  // The best level. Precondition: !empty().
  [[nodiscard]] const Entry& best() const noexcept {
    LLT_ASSERT(size_ > 0, "best() of an empty side");
    return entries_[size_ - 1];
  }
  // depth 0 is the best level. Precondition: depth < size().
  [[nodiscard]] const Entry& at_depth(std::size_t depth) const noexcept {
    LLT_ASSERT(depth < size_, "depth past the last level");
    return entries_[size_ - 1 - depth];
  }

  // Adds a level at price. Returns false, adding nothing, when the side is full. The price
  // must not be on the ladder already (the book looks it up first; checked in debug builds).
  LLT_ALWAYS_INLINE [[nodiscard]] bool insert(Price price, PoolIndex level) noexcept {
    if (LLT_UNLIKELY(size_ == capacity_)) {
      return false;
    }
    const std::int64_t key = key_of(side_, price);
    // Position: after every entry worse than key, before every better one.
    std::size_t pos = size_;
    std::size_t scanned = 0;
    while (pos > 0 && entries_[pos - 1].key > key && scanned < kLinearScan) {
      --pos;
      ++scanned;
    }
    if (pos > 0 && entries_[pos - 1].key > key) {
      pos = static_cast<std::size_t>(
          std::upper_bound(entries_.data(), entries_.data() + pos, key,
                           [](std::int64_t k, const Entry& e) { return k < e.key; }) -
          entries_.data());
    }
    LLT_ASSERT(pos == 0 || entries_[pos - 1].key != key, "insert() of a price already present");
    std::memmove(&entries_[pos + 1], &entries_[pos], (size_ - pos) * sizeof(Entry));
    entries_[pos] = Entry{key, level};
    ++size_;
    return true;
  }

  // Removes the best level. Precondition: !empty().
  void pop_best() noexcept {
    LLT_ASSERT(size_ > 0, "pop_best() of an empty side");
    --size_;
  }

  // Removes the level at price. Precondition: the price is on the ladder.
  LLT_ALWAYS_INLINE void erase(Price price) noexcept {
    const std::int64_t key = key_of(side_, price);
    LLT_ASSERT(size_ > 0, "erase() from an empty side");
    if (LLT_LIKELY(entries_[size_ - 1].key == key)) {
      --size_;
      return;
    }
    std::size_t pos = size_ - 1;
    std::size_t scanned = 0;
    while (pos > 0 && entries_[pos].key != key && scanned < kLinearScan) {
      --pos;
      ++scanned;
    }
    if (entries_[pos].key != key) {
      pos = static_cast<std::size_t>(
          std::lower_bound(entries_.data(), entries_.data() + pos, key,
                           [](const Entry& e, std::int64_t k) { return e.key < k; }) -
          entries_.data());
    }
    LLT_ASSERT(pos < size_ && entries_[pos].key == key, "erase() of a price not on the ladder");
    std::memmove(&entries_[pos], &entries_[pos + 1], (size_ - pos - 1) * sizeof(Entry));
    --size_;
  }

 private:
  // Entries examined from the top before switching to binary search: new and cancelled
  // levels are usually within a few ticks of the touch.
  static constexpr std::size_t kLinearScan = 8;

  static Side check_side(Side side) {
    if (!is_valid(side)) {
      throw std::invalid_argument("PriceLadder side must be kBuy or kSell");
    }
    return side;
  }
  static std::size_t check_capacity(std::size_t capacity) {
    if (capacity == 0) {
      throw std::invalid_argument("PriceLadder capacity must be at least 1");
    }
    return capacity;
  }

  Side side_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  common::HugePageArray<Entry> entries_;
};

}  // namespace llt::exchange
