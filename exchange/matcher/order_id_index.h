#pragma once

#include <cstdint>

#include "exchange/matcher/fixed_hash_map.h"
#include "exchange/matcher/order.h"

namespace llt::exchange {

// Clients number their orders sequentially, so a client's consecutive ids are hashed as a
// block: ids 16k..16k+15 of one client share one random block of 16 slots (6 cache lines of
// 24-byte entries). A new order id then usually lands on a line its predecessors already
// brought into cache, instead of on a cold line of a table sized for the whole exchange's
// capacity. Blocks are still spread by a full mix of (client, id / 16, seed), so unrelated
// clients do not cluster, and ids that are not sequential hash as well as a plain mix.
struct OrderKeyHash {
  static constexpr unsigned kBlockBits = 4;

  [[nodiscard]] std::uint64_t operator()(const OrderKey& key, std::uint64_t seed) const noexcept {
    // The odd multiplier moves the client id into the high bits before the full mix, so
    // (client, id) and (id, client) pairs do not collide.
    const std::uint64_t block =
        mix64((key.client_order_id >> kBlockBits) ^ seed ^
              (static_cast<std::uint64_t>(key.client_id) * 0x9e3779b97f4a7c15ULL));
    return (block << kBlockBits) | (key.client_order_id & ((1U << kBlockBits) - 1));
  }
};

// (client id, client order id) -> live resting order, shared by every book of a matcher so a
// client's order id is unique across tickers. A pointer (not a pool index) because the order
// may live in any book's pool; the book that owns it is the one whose pool contains it.
using OrderIdIndex = FixedHashMap<OrderKey, Order*, nullptr, OrderKeyHash>;

}  // namespace llt::exchange
