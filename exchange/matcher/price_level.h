#pragma once

#include <cstdint>

#include "exchange/matcher/order.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// All resting orders of one side at one price, in time priority: a FIFO linked through
// Order::prev/next, matched from the head, appended at the tail. A level exists only while
// it holds at least one order.
struct PriceLevel {
  Price price = 0;
  std::uint64_t total_qty = 0;  // sum of the orders' resting qty (u64: many u32 quantities)
  PoolIndex head = kNoIndex;    // oldest order, matched first
  PoolIndex tail = kNoIndex;    // newest order
  std::uint32_t order_count = 0;
  Side side = Side::kInvalid;
};

static_assert(sizeof(PriceLevel) <= 32, "two levels per cache line");

}  // namespace llt::exchange
