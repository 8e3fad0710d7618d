#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/memory/huge_page_array.h"
#include "exchange/matcher/order.h"

namespace llt::exchange {

// Clients number their orders sequentially, so a client's consecutive ids are hashed as a
// block: ids 16k..16k+15 of one client share one random block of 16 slots (6 cache lines of
// 24-byte entries). A new order id then usually lands on a line its predecessors already
// brought into cache. Blocks are still spread by a full mix of (client, id / 16, seed), so
// unrelated clients do not cluster, and ids that are not sequential hash as well as a plain mix.
struct OrderKeyHash {
  static constexpr unsigned kBlockBits = 4;

  [[nodiscard]] std::uint64_t operator()(const OrderKey& key, std::uint64_t seed) const noexcept {
    // The odd multiplier moves the client id into the high bits before the full mix, so
    // (client, id) and (id, client) pairs do not collide.
    const std::uint64_t block =
        common::fold_multiply((key.client_order_id >> kBlockBits) ^ seed ^
                              (static_cast<std::uint64_t>(key.client_id) * 0xc4ceb9fe1a85ec53ULL));
    return (block << kBlockBits) | (key.client_order_id & ((1U << kBlockBits) - 1));
  }
};

// (client id, client order id) -> live resting order, shared by every book of a matcher so a
// client's order id is unique across tickers. A pointer (not a pool index) because the order
// may live in any book's pool; the book that owns it is the one whose pool contains it. The
// index keeps no key of its own: an order carries its (client_id, client_order_id), and a
// stored order must carry the key it was stored under.
//
// Two tables. Clients number their orders upwards, so a table sized for the exchange's whole
// capacity (tens of MB) is walked end to end over a session: almost every new id would land
// on a line no recent request touched, a miss to memory on each NEW. Instead, an order goes
// to a small front table (at most kFrontMaxGroups cache lines, 128 KB, which stays in cache)
// when its group there has a free slot, and to the back table, sized for the full capacity,
// only when that group is full (a deep book). The back table is read only while it holds
// anything. Every operation stays O(1).
//
// The front table is one cache line per group: kGroupSlots order pointers and a tag byte per
// slot (0: free; else the high bit over seven bits of the key's hash, see tag_of). A key's
// group is chosen by its hash, four consecutive ids of a client sharing one, so a client's
// next order usually lands on a line its last ones loaded. A lookup compares the key's tag
// against all tags of the group at once and checks the key of the order behind each match; an
// insert takes a free slot of the group, an erase frees the slot. Nothing shifts and nothing
// probes past the group, so the branches follow the request (found or not), not the table's
// layout.
//
// Thread contract: as FixedHashMap (one thread, the matching engine's).
class OrderIdIndex {
 public:
  static constexpr std::size_t kGroupSlots = 7;
  static constexpr std::size_t kFrontMaxGroups = 2'048;

  // Throws std::invalid_argument when max_size is 0 or absurdly large (start-up only).
  explicit OrderIdIndex(std::size_t max_size, std::uint64_t seed = 0)
      : max_size_(max_size),
        group_mask_(front_groups(max_size) - 1),
        front_(front_groups(max_size)),
        back_(max_size, seed) {}

  OrderIdIndex(const OrderIdIndex&) = delete;
  OrderIdIndex& operator=(const OrderIdIndex&) = delete;

  // The key's hash, the same for both tables. find and insert also take it, so a NEW that is
  // looked up and then rests hashes its key once.
  [[nodiscard]] std::uint64_t hash_of(OrderKey key) const noexcept { return back_.hash_of(key); }

  // The order stored for key, or nullptr.
  LLT_ALWAYS_INLINE [[nodiscard]] Order* find(OrderKey key) const noexcept {
    return find(key, hash_of(key));
  }
  LLT_ALWAYS_INLINE [[nodiscard]] Order* find(OrderKey key, std::uint64_t hash) const noexcept {
    const Group& group = front_[group_of(hash)];
    const std::size_t slot = slot_of(group, key, hash);
    if (slot != kGroupSlots) {
      return group.orders[slot];
    }
    return LLT_LIKELY(back_.size() == 0) ? nullptr : back_.find(key, hash);
  }

  // Stores key -> order (order carries key) and records in order->id_slot where, for
  // erase(order). Returns false, storing nothing, when size() == max_size(). The key must be
  // absent.
  [[nodiscard]] bool insert(OrderKey key, Order* order) noexcept {
    return insert(key, order, hash_of(key));
  }
  LLT_ALWAYS_INLINE [[nodiscard]] bool insert(OrderKey key, Order* order,
                                              std::uint64_t hash) noexcept {
    LLT_ASSERT(order != nullptr && order->client_id == key.client_id &&
                   order->client_order_id == key.client_order_id,
               "an indexed order carries its key");
    if (LLT_UNLIKELY(full())) {
      return false;
    }
    Group& group = front_[group_of(hash)];
    const std::uint64_t free_slots = zero_bytes(group.tags) & kSlotBytes;
    if (LLT_LIKELY(free_slots != 0)) {
      const auto slot = static_cast<std::size_t>(std::countr_zero(free_slots)) / 8;
      group.tags |= std::uint64_t{tag_of(hash)} << (8 * slot);
      group.orders[slot] = order;
      order->id_slot = static_cast<PoolIndex>(group_of(hash) * 8 + slot);
      ++front_size_;
      return true;
    }
    order->id_slot = kNoIndex;
    return back_.insert(key, order, hash);
  }

  // Removes key. Returns false when it was absent.
  [[nodiscard]] bool erase(OrderKey key) noexcept { return erase(key, hash_of(key)); }
  // Removes a stored order through the slot insert() recorded in it: no hash and no search
  // for an order in the front table. Precondition: order is the object that was inserted (or
  // never was), not a copy. In the front table a stale or copied order is refused (returns
  // false: the slot must hold this very order); in the back table (id_slot kNoIndex) the key
  // is erased without checking which order it maps to, so a copy would erase the original.
  LLT_ALWAYS_INLINE [[nodiscard]] bool erase(const Order& order) noexcept {
    if (LLT_UNLIKELY(order.id_slot == kNoIndex)) {
      return back_.size() != 0 && back_.erase(OrderKey{order.client_order_id, order.client_id});
    }
    Group& group = front_[order.id_slot / 8];
    const std::size_t slot = order.id_slot % 8;
    const std::uint64_t tag_mask = std::uint64_t{0xff} << (8 * slot);
    if (LLT_UNLIKELY(group.orders[slot] != &order || (group.tags & tag_mask) == 0)) {
      return false;
    }
    group.tags &= ~tag_mask;
    --front_size_;
    return true;
  }
  [[nodiscard]] bool erase(OrderKey key, std::uint64_t hash) noexcept {
    Group& group = front_[group_of(hash)];
    const std::size_t slot = slot_of(group, key, hash);
    if (slot != kGroupSlots) {
      group.tags &= ~(std::uint64_t{0xff} << (8 * slot));
      --front_size_;
      return true;
    }
    return back_.size() != 0 && back_.erase(key, hash);
  }

  [[nodiscard]] std::size_t size() const noexcept { return front_size_ + back_.size(); }
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  [[nodiscard]] bool full() const noexcept { return size() == max_size_; }
  // Orders held by the back table (those whose front group was full).
  [[nodiscard]] std::size_t back_size() const noexcept { return back_.size(); }
  // Slots of the front table.
  [[nodiscard]] std::size_t front_capacity() const noexcept {
    return (group_mask_ + 1) * kGroupSlots;
  }
  // The front group key belongs to (for tests and diagnostics).
  [[nodiscard]] std::size_t front_group(OrderKey key) const noexcept {
    return group_of(hash_of(key));
  }

 private:
  struct alignas(64) Group {
    std::uint64_t tags = 0;  // byte i: slot i's tag (0: free); the top byte is always 0
    Order* orders[kGroupSlots] = {};
  };
  static_assert(sizeof(Group) == 64, "a group is one cache line");

  using Table = common::FixedHashMap<OrderKey, Order*, nullptr, OrderKeyHash>;

  static constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;
  static constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  static constexpr std::uint64_t kSlotBytes = kHighBits >> 8;  // the high bit of bytes 0..6

  // Groups for max_size orders at a load of at most about 1/4 of the slots, a power of two.
  static std::size_t front_groups(std::size_t max_size) {
    return std::bit_ceil(std::clamp<std::size_t>(max_size / 2, 1, kFrontMaxGroups));
  }

  // Ids 4k..4k+3 of a client share a group (OrderKeyHash keeps an id's low bits in the
  // hash's low bits). The tag tells them apart by those two low bits and takes five more from
  // the top of the hash, which the group index does not use.
  [[nodiscard]] std::size_t group_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> 2) & group_mask_;
  }
  [[nodiscard]] static std::uint8_t tag_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint8_t>(0x80 | ((hash >> 59) << 2) | (hash & 3));
  }

  // The high bit of each byte of x that may be zero: exact for a zero byte; a byte above a zero
  // byte may also be flagged (callers check the key, or only test bytes whose tags are >= 0x80).
  [[nodiscard]] static std::uint64_t zero_bytes(std::uint64_t x) noexcept {
    return (x - kLowBits) & ~x & kHighBits;
  }

  // The slot of group holding key, or kGroupSlots.
  LLT_ALWAYS_INLINE [[nodiscard]] static std::size_t slot_of(const Group& group, OrderKey key,
                                                             std::uint64_t hash) noexcept {
    std::uint64_t candidates = zero_bytes(group.tags ^ (kLowBits * tag_of(hash))) & kSlotBytes;
    while (candidates != 0) {
      const auto slot = static_cast<std::size_t>(std::countr_zero(candidates)) / 8;
      const Order& order = *group.orders[slot];
      if (LLT_LIKELY(order.client_order_id == key.client_order_id &&
                     order.client_id == key.client_id)) {
        return slot;
      }
      candidates &= candidates - 1;
    }
    return kGroupSlots;
  }

  std::size_t max_size_;
  std::size_t group_mask_;
  std::size_t front_size_ = 0;
  common::HugePageArray<Group> front_;
  Table back_;
};

}  // namespace llt::exchange
