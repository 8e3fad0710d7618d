#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"

namespace llt::trading {

// Fixed-capacity open-addressing map from a market order id to a slot index, with linear
// probing and backward-shift deletion (no tombstones, so probe runs never grow with churn).
// The table has at least twice max_size slots (load factor <= 1/2) and is allocated in the
// constructor; find/insert/erase never allocate.
//
// Thread contract: not thread-safe; owned by one book, on the trade engine's thread.
class OrderIdMap {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;  // "absent"; never stored as a value

  // Throws std::invalid_argument when max_size is 0 or does not fit a slot index.
  explicit OrderIdMap(std::size_t max_size)
      : max_size_(check(max_size)), mask_(std::bit_ceil(2 * max_size_) - 1), entries_(mask_ + 1) {}

  // The value stored for key, or kNone.
  [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.value == kNone) {
        return kNone;
      }
      if (e.key == key) {
        return e.value;
      }
    }
  }

  // Stores key -> value; the key must be absent. Returns false when size() == max_size().
  [[nodiscard]] bool insert(std::uint64_t key, std::uint32_t value) noexcept {
    LLT_ASSERT(value != kNone, "kNone marks a free slot");
    if (LLT_UNLIKELY(size_ == max_size_)) {
      return false;
    }
    std::size_t i = home(key);
    while (entries_[i].value != kNone) {
      i = (i + 1) & mask_;
    }
    entries_[i] = Entry{key, value};
    ++size_;
    return true;
  }

  // Removes key; false when absent.
  [[nodiscard]] bool erase(std::uint64_t key) noexcept {
    std::size_t hole = home(key);
    while (true) {
      const Entry& e = entries_[hole];
      if (e.value == kNone) {
        return false;
      }
      if (e.key == key) {
        break;
      }
      hole = (hole + 1) & mask_;
    }
    for (std::size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
      const Entry candidate = entries_[next];
      if (candidate.value == kNone) {
        break;
      }
      // Move it back only if the hole lies on its probe path (home .. next, cyclically).
      if (((next - home(candidate.key)) & mask_) >= ((next - hole) & mask_)) {
        entries_[hole] = candidate;
        hole = next;
      }
    }
    entries_[hole].value = kNone;
    --size_;
    return true;
  }

  // O(table size): for CLEAR, which is rare (recovery) and already O(orders).
  void clear() noexcept {
    for (Entry& e : entries_) {
      e.value = kNone;
    }
    size_ = 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Entry {
    std::uint64_t key = 0;
    std::uint32_t value = kNone;
  };

  static std::size_t check(std::size_t max_size) {
    if (max_size == 0 || max_size >= (std::size_t{1} << 31)) {
      throw std::invalid_argument("OrderIdMap max_size must be in [1, 2^31), got " +
                                  std::to_string(max_size));
    }
    return max_size;
  }

  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept {
    // MurmurHash3 finalizer: sequential exchange ids spread over the table.
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key) & mask_;
  }

  std::size_t max_size_;
  std::size_t mask_;
  std::size_t size_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace llt::trading
