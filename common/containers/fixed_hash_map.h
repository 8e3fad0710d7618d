#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "common/error.h"
#include "common/memory/huge_page_array.h"

namespace llt::common {

// Multiplies x by an odd 64-bit constant into a 128-bit product and folds its halves together
// (the mixing step of wyhash and mum-hash): every input bit reaches the low output bits a
// table index is taken from, sequential keys spread over the whole table, and it costs one
// multiply and one xor where a MurmurHash3 finalizer costs two multiplies and three shifts.
[[nodiscard]] constexpr std::uint64_t fold_multiply(std::uint64_t x) noexcept {
  __extension__ using Product = unsigned __int128;
  const Product product = static_cast<Product>(x) * 0x9e3779b97f4a7c15ULL;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

// Default hash for integral keys. The seed enters before mixing, so keys crafted to collide
// under one seed do not collide under another.
template <typename Key>
struct FixedHash {
  static_assert(std::is_integral_v<Key>, "provide a hash for non-integral keys");
  [[nodiscard]] std::uint64_t operator()(Key key, std::uint64_t seed) const noexcept {
    return fold_multiply(static_cast<std::uint64_t>(key) ^ seed);
  }
};

// Hash for integral keys that arrive in runs of neighbours (prices a few ticks apart, ids a
// client numbers sequentially): keys that differ only in their low kBlockBits bits share one
// randomly placed block of 2^kBlockBits consecutive slots, so a new key next to recent ones
// usually lands on a cache line already loaded. Blocks are spread by a full seeded mix.
template <typename Key, unsigned kBlockBits = 4>
struct BlockHash {
  static_assert(std::is_integral_v<Key>, "BlockHash is for integral keys");
  [[nodiscard]] std::uint64_t operator()(Key key, std::uint64_t seed) const noexcept {
    const auto bits = static_cast<std::uint64_t>(key);
    return (fold_multiply((bits >> kBlockBits) ^ seed) << kBlockBits) |
           (bits & ((std::uint64_t{1} << kBlockBits) - 1));
  }
};

// Fixed-capacity open-addressing hash map with linear probing and backward-shift deletion (no
// tombstones, so probe sequences never lengthen with churn). The table is allocated and
// touched in the constructor (in a HugePageArray, so a big table costs few TLB entries) with
// at least twice max_size slots, keeping the load factor at or below 1/2: a lookup usually
// reads one cache line. find/insert/erase never allocate.
//
// A slot is empty when its value equals kEmpty, so kEmpty is never stored (a null pointer or
// an invalid index, chosen by the user).
//
// Keys are taken by value: callers pass fields of packed wire structs, and a reference to one
// would be misaligned.
//
// Thread contract: not thread-safe; owned by one thread (the matching engine's).
template <typename Key, typename Value, Value kEmpty, typename Hash = FixedHash<Key>>
class FixedHashMap {
 public:
  // Throws std::invalid_argument when max_size is 0 or absurdly large (start-up only).
  explicit FixedHashMap(std::size_t max_size, std::uint64_t seed = 0)
      : max_size_(check_max_size(max_size)),
        capacity_(std::bit_ceil(std::max(kMinCapacity, 2 * max_size_))),
        mask_(capacity_ - 1),
        seed_(seed),
        entries_(capacity_) {}

  FixedHashMap(const FixedHashMap&) = delete;
  FixedHashMap& operator=(const FixedHashMap&) = delete;

  // The value stored for key, or kEmpty.
  LLT_ALWAYS_INLINE [[nodiscard]] Value find(Key key) const noexcept {
    return find(key, hash_of(key));
  }

  // The hash of key under this map's seed. Every operation also has a form that takes it, for
  // a caller that looks a key up and then inserts or erases it: the key is hashed once.
  [[nodiscard]] std::uint64_t hash_of(Key key) const noexcept { return Hash{}(key, seed_); }

  // find(key) for hash == hash_of(key).
  LLT_ALWAYS_INLINE [[nodiscard]] Value find(Key key, std::uint64_t hash) const noexcept {
    const std::size_t slot = locate(key, hash);
    return slot == kNowhere ? kEmpty : entries_[slot].value;
  }

  // Stores key -> value. Returns false, storing nothing, when size() == max_size(). The key
  // must be absent (the caller has just looked it up; checked in debug builds).
  [[nodiscard]] bool insert(Key key, Value value) noexcept {
    return insert(key, value, hash_of(key));
  }
  [[nodiscard]] bool insert(Key key, Value value, std::uint64_t hash) noexcept {
    LLT_ASSERT(value != kEmpty, "kEmpty marks a free slot and cannot be stored");
    if (LLT_UNLIKELY(size_ == max_size_)) {
      return false;
    }
    std::size_t i = hash & mask_;
    while (entries_[i].value != kEmpty) {
      LLT_ASSERT(!(entries_[i].key == key), "insert() of a key already present");
      i = (i + 1) & mask_;
    }
    entries_[i].key = key;
    entries_[i].value = value;
    ++size_;
    return true;
  }

  // Removes key. Returns false when it was absent. Later entries of the probe run are shifted
  // back into the hole, so every remaining key stays reachable from its home slot.
  [[nodiscard]] bool erase(Key key) noexcept { return erase(key, hash_of(key)); }
  [[nodiscard]] bool erase(Key key, std::uint64_t hash) noexcept {
    return erase_at(locate(key, hash));
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  [[nodiscard]] bool full() const noexcept { return size_ == max_size_; }
  // Slots in the table (a power of two, at least 2 * max_size()).
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  // At least as many slots as a BlockHash block, so a block never wraps onto itself.
  static constexpr std::size_t kMinCapacity = 64;

  struct Entry {
    Key key{};
    Value value = kEmpty;
  };

  static constexpr std::size_t kNowhere = SIZE_MAX;

  // The slot holding key, kNowhere if absent.
  [[nodiscard]] std::size_t locate(Key key, std::uint64_t hash) const noexcept {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& entry = entries_[i];
      if (entry.value == kEmpty) {
        return kNowhere;
      }
      if (entry.key == key) {
        return i;
      }
    }
  }

  // Empties slot hole (kNowhere: returns false). Later entries of the probe run are shifted
  // back into the hole, so every remaining key stays reachable from its home slot.
  [[nodiscard]] bool erase_at(std::size_t hole) noexcept {
    if (hole == kNowhere) {
      return false;
    }
    for (std::size_t next = (hole + 1) & mask_;; next = (next + 1) & mask_) {
      Entry& candidate = entries_[next];
      if (candidate.value == kEmpty) {
        break;
      }
      // The candidate may fill the hole only if the hole lies on its probe path, that is,
      // between its home slot and its current slot (cyclically).
      const std::size_t from_home = (next - home(candidate.key)) & mask_;
      const std::size_t from_hole = (next - hole) & mask_;
      if (from_home >= from_hole) {
        entries_[hole] = candidate;
        hole = next;
      }
    }
    entries_[hole].value = kEmpty;
    --size_;
    return true;
  }

  [[nodiscard]] std::size_t home(Key key) const noexcept {
    return static_cast<std::size_t>(hash_of(key)) & mask_;
  }

  static std::size_t check_max_size(std::size_t max_size) {
    if (max_size == 0 || max_size > (std::size_t{1} << 40)) {
      throw std::invalid_argument("FixedHashMap max_size must be between 1 and 2^40");
    }
    return max_size;
  }

  std::size_t max_size_;
  std::size_t capacity_;
  std::size_t mask_;
  std::uint64_t seed_;
  std::size_t size_ = 0;
  common::HugePageArray<Entry> entries_;
};

}  // namespace llt::common
