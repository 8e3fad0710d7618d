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
//  - a level near the touch (where almost all of them open and close) is placed within the
//    top few entries by a count of compares and a fixed-size block move, with no branch on
//    where; a level deep in the book is found by binary search, and its insert or erase moves
//    only the entries between it and the top;
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
      : side_(check_side(side)),
        capacity_(check_capacity(capacity)),
        storage_(kWindow + capacity_ + kWindow),
        entries_(storage_.data() + kWindow) {
    for (std::size_t i = 0; i < kWindow; ++i)
      storage_[i].key = kSentinelKey;
  }

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
    const std::size_t at_or_below = window_count_at_or_below(key);
    std::size_t pos = size_ - kWindow + at_or_below;
    if (LLT_LIKELY(at_or_below > 0)) {
      shift_window(pos + 1, pos);
    } else {
      pos = static_cast<std::size_t>(
          std::upper_bound(entries_, entries_ + pos, key,
                           [](std::int64_t k, const Entry& e) { return k < e.key; }) -
          entries_);
      std::memmove(&entries_[pos + 1], &entries_[pos], (size_ - pos) * sizeof(Entry));
    }
    LLT_ASSERT(pos == 0 || entries_[pos - 1].key != key, "insert() of a price already present");
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
    const std::size_t at_or_below = window_count_at_or_below(key);
    std::size_t pos = size_ - kWindow + at_or_below - 1;
    if (LLT_LIKELY(at_or_below > 0)) {
      LLT_ASSERT(entries_[pos].key == key, "erase() of a price not on the ladder");
      shift_window(pos, pos + 1);
    } else {
      pos = static_cast<std::size_t>(
          std::lower_bound(entries_, entries_ + size_ - kWindow, key,
                           [](const Entry& e, std::int64_t k) { return e.key < k; }) -
          entries_);
      LLT_ASSERT(pos < size_ && entries_[pos].key == key, "erase() of a price not on the ladder");
      std::memmove(&entries_[pos], &entries_[pos + 1], (size_ - pos - 1) * sizeof(Entry));
    }
    --size_;
  }

 private:
  // Levels near the touch, where nearly all of them open and close, are placed within the top
  // kWindow entries without a branch on where: the position is a count of compares, and the
  // entries above it move as one fixed-size block. Anything deeper is binary searched.
  static constexpr std::size_t kWindow = 7;
  // Sentinel entries below the array (key INT64_MIN: worse than any level) let the window
  // reach below the bottom of a short ladder, and slack entries above it let a block move run
  // past the top.
  static constexpr std::int64_t kSentinelKey = INT64_MIN;

  // How many of the top kWindow entries have key <= key (sentinels included): kWindow - n of
  // them are better. 0 means the position is below the window.
  LLT_ALWAYS_INLINE [[nodiscard]] std::size_t window_count_at_or_below(
      std::int64_t key) const noexcept {
    // May start among the sentinels, which are part of storage_.
    const Entry* window =
        entries_ + (static_cast<std::ptrdiff_t>(size_) - static_cast<std::ptrdiff_t>(kWindow));
    std::size_t count = 0;
    for (std::size_t i = 0; i < kWindow; ++i)
      count += static_cast<std::size_t>(window[i].key <= key);
    return count;
  }

  // Copies the kWindow entries at from to to (overlapping): a fixed-size block, so no branch
  // depends on how many of them are live. Both ranges stay within the slack above the top.
  LLT_ALWAYS_INLINE void shift_window(std::size_t to, std::size_t from) noexcept {
    Entry block[kWindow];
    std::memcpy(block, &entries_[from], sizeof block);
    std::memcpy(&entries_[to], block, sizeof block);
  }

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
  common::HugePageArray<Entry> storage_;  // kWindow sentinels, capacity_ entries, kWindow slack
  Entry* entries_;                        // storage_ after the sentinels
};

}  // namespace llt::exchange
