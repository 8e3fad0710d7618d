#pragma once

#include <cstdint>

#include "exchange/matcher/order.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// One client's resting orders in one book, oldest first, linked through
// Order::client_prev/client_next. Exists only while the client has an order resting there;
// cancel-on-disconnect walks it instead of scanning the book.
struct ClientOrders {
  ClientId client_id = 0;
  PoolIndex head = kNoIndex;  // oldest (lowest market order id)
  PoolIndex tail = kNoIndex;
  std::uint32_t order_count = 0;
};

}  // namespace llt::exchange
