#pragma once

#include <cstddef>
#include <cstdint>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/memory/huge_page_array.h"
#include "exchange/matcher/order.h"

namespace llt::exchange {

// Price level key (PriceLadder::key_of: price for bids, -price for asks) -> slot of the level
// in one book's level pool.
//
// Two tables. Resting prices cluster around the touch, so most keys of a side differ only in
// their low bits: a direct table, kSideSlots entries per side indexed by the key's low bits,
// holds a level whose entry is free, and a lookup there is one load and one compare, with no
// hash and no probing. The sides have separate halves, so a bid and an ask near the same
// price never share an entry. A key whose entry is taken by another live key of its side (a
// price kSideSlots ticks, or a multiple of it, away from a resting one) goes to the back
// table, a FixedHashMap sized for every level of the book, which is read only while it holds
// anything. Any i64 key works; keys that share an entry never collide, they only take the
// slower table.
//
// Invariant: a key is in at most one table, and when the direct entry carries the key it is
// not in the back table (an insert goes to the direct entry whenever that entry is free, and
// a key is inserted only while absent). So a direct entry carrying the key answers for it,
// even when freed (slot kNoIndex: absent).
//
// Thread contract: as FixedHashMap (one thread, the matching engine's).
class LevelIndex {
 public:
  static constexpr std::size_t kSideSlots = 1'024;

  // max_size: the book's price levels. Throws std::invalid_argument when max_size is 0.
  LevelIndex(std::size_t max_size, std::uint64_t seed)
      : max_size_(max_size), direct_(2 * kSideSlots), back_(max_size, seed) {}

  LevelIndex(const LevelIndex&) = delete;
  LevelIndex& operator=(const LevelIndex&) = delete;

  // The level slot stored for key, or kNoIndex.
  LLT_ALWAYS_INLINE [[nodiscard]] PoolIndex find(std::int64_t key) const noexcept {
    const Entry& entry = direct_[direct_of(key)];
    if (LLT_LIKELY(entry.key == key)) {
      return entry.slot;
    }
    return LLT_LIKELY(back_.size() == 0) ? kNoIndex : back_.find(key);
  }

  // Stores key -> slot (slot != kNoIndex). Returns false, storing nothing, when size() ==
  // max_size(). The key must be absent.
  LLT_ALWAYS_INLINE [[nodiscard]] bool insert(std::int64_t key, PoolIndex slot) noexcept {
    LLT_ASSERT(find(key) == kNoIndex, "insert() of a key already present");
    LLT_ASSERT(slot != kNoIndex, "kNoIndex marks a free entry");
    if (LLT_UNLIKELY(size() == max_size_)) {
      return false;
    }
    Entry& entry = direct_[direct_of(key)];
    if (LLT_LIKELY(entry.slot == kNoIndex)) {
      entry = Entry{key, slot};
      ++direct_size_;
      return true;
    }
    return back_.insert(key, slot);
  }

  // Removes key. Returns false when it was absent.
  LLT_ALWAYS_INLINE [[nodiscard]] bool erase(std::int64_t key) noexcept {
    Entry& entry = direct_[direct_of(key)];
    if (LLT_LIKELY(entry.key == key)) {
      if (entry.slot == kNoIndex) {
        return false;
      }
      entry.slot = kNoIndex;
      --direct_size_;
      return true;
    }
    return back_.size() != 0 && back_.erase(key);
  }

  [[nodiscard]] std::size_t size() const noexcept { return direct_size_ + back_.size(); }
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  // Keys held by the back table (those whose direct entry was taken).
  [[nodiscard]] std::size_t back_size() const noexcept { return back_.size(); }

 private:
  struct Entry {
    std::int64_t key = 0;
    PoolIndex slot = kNoIndex;
  };
  static_assert((kSideSlots & (kSideSlots - 1)) == 0, "the low bits index a side's half");

  // Bids (key > 0) in the first half, asks (key < 0) in the second.
  [[nodiscard]] static std::size_t direct_of(std::int64_t key) noexcept {
    const auto bits = static_cast<std::uint64_t>(key);
    return static_cast<std::size_t>((bits & (kSideSlots - 1)) | ((bits >> 63) * kSideSlots));
  }

  std::size_t max_size_;
  std::size_t direct_size_ = 0;
  common::HugePageArray<Entry> direct_;
  common::FixedHashMap<std::int64_t, PoolIndex, kNoIndex, common::BlockHash<std::int64_t>> back_;
};

}  // namespace llt::exchange
