#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "exchange/matcher/fixed_hash_map.h"
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
        fold_multiply((key.client_order_id >> kBlockBits) ^ seed ^
                      (static_cast<std::uint64_t>(key.client_id) * 0xc4ceb9fe1a85ec53ULL));
    return (block << kBlockBits) | (key.client_order_id & ((1U << kBlockBits) - 1));
  }
};

// (client id, client order id) -> live resting order, shared by every book of a matcher so a
// client's order id is unique across tickers. A pointer (not a pool index) because the order
// may live in any book's pool; the book that owns it is the one whose pool contains it.
//
// Two tables. Clients number their orders upwards, so a table sized for the exchange's whole
// capacity (tens of MB) is walked end to end over a session: almost every new id would land
// on a line no recent request touched, a miss to memory on each NEW. Instead, an order goes
// to a small front table (kFrontMaxSize orders at a quarter load, about 380 KB, which stays
// in cache) when a free slot lies within kFrontProbe slots of its home there, and to the back
// table, sized for the full capacity, only when the front is crowded (a deep book). A lookup
// reads at most kFrontProbe + 1 front slots, and the back only when the back holds anything.
// Every operation stays O(1).
//
// Thread contract: as FixedHashMap (one thread, the matching engine's).
class OrderIdIndex {
 public:
  static constexpr std::size_t kFrontMaxSize = 4'096;
  static constexpr std::size_t kFrontProbe = 8;

  // Throws std::invalid_argument when max_size is 0 or absurdly large (start-up only).
  explicit OrderIdIndex(std::size_t max_size, std::uint64_t seed = 0)
      : max_size_(max_size),
        front_(std::min(max_size, kFrontMaxSize), seed, 4 * std::min(max_size, kFrontMaxSize)),
        back_(max_size, seed) {}

  OrderIdIndex(const OrderIdIndex&) = delete;
  OrderIdIndex& operator=(const OrderIdIndex&) = delete;

  // The key's hash, the same for both tables (they differ in size, so not in slots). Each
  // operation below also takes it, so a NEW that is looked up and then rests, or a CANCEL that
  // is looked up and then erased, hashes its key once.
  [[nodiscard]] std::uint64_t hash_of(OrderKey key) const noexcept { return front_.hash_of(key); }

  // The order stored for key, or nullptr.
  [[nodiscard]] Order* find(OrderKey key) const noexcept { return find(key, hash_of(key)); }
  [[nodiscard]] Order* find(OrderKey key, std::uint64_t hash) const noexcept {
    Order* const order = front_.find_near(key, hash, kFrontProbe);
    if (order != nullptr || LLT_LIKELY(back_.size() == 0)) {
      return order;
    }
    return back_.find(key, hash);
  }

  // Stores key -> order. Returns false, storing nothing, when size() == max_size(). The key
  // must be absent.
  [[nodiscard]] bool insert(OrderKey key, Order* order) noexcept {
    return insert(key, order, hash_of(key));
  }
  [[nodiscard]] bool insert(OrderKey key, Order* order, std::uint64_t hash) noexcept {
    if (LLT_UNLIKELY(full())) {
      return false;
    }
    return front_.insert_near(key, order, kFrontProbe, hash) || back_.insert(key, order, hash);
  }

  // Removes key. Returns false when it was absent.
  bool erase(OrderKey key) noexcept { return erase(key, hash_of(key)); }
  bool erase(OrderKey key, std::uint64_t hash) noexcept {
    return front_.erase_near(key, hash, kFrontProbe) ||
           (back_.size() != 0 && back_.erase(key, hash));
  }

  [[nodiscard]] std::size_t size() const noexcept { return front_.size() + back_.size(); }
  [[nodiscard]] std::size_t max_size() const noexcept { return max_size_; }
  [[nodiscard]] bool full() const noexcept { return size() == max_size_; }
  // Orders held by the back table (those that found no room near their front slot).
  [[nodiscard]] std::size_t back_size() const noexcept { return back_.size(); }

 private:
  using Table = FixedHashMap<OrderKey, Order*, nullptr, OrderKeyHash>;

  std::size_t max_size_;
  Table front_;
  Table back_;
};

}  // namespace llt::exchange
