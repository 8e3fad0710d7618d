#pragma once

#include <cstdint>

#include "common/memory/mem_pool.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// A slot index into one of a book's pools; links between orders, levels and clients are
// 32-bit indices rather than 64-bit pointers.
using PoolIndex = std::uint32_t;
inline constexpr PoolIndex kNoIndex = UINT32_MAX;
static_assert(kNoIndex == common::MemPool<int>::kNoIndex, "one 'no slot' value for every pool");

// A resting order. It lives in its book's order pool and is linked, by pool index, into two
// intrusive doubly linked lists: the FIFO of its price level (matching order) and the list
// of its client's orders in this book (oldest first, for cancel-on-disconnect). It has no
// price field: its price is its level's.
struct Order {
  OrderId market_order_id = 0;
  OrderId client_order_id = 0;
  Priority priority = 0;
  ClientId client_id = 0;
  Qty qty = 0;  // resting (leaves) quantity; > 0 while the order is in a book
  PoolIndex level = kNoIndex;
  PoolIndex prev = kNoIndex;  // towards the head of the level (older)
  PoolIndex next = kNoIndex;  // towards the tail (newer)
  PoolIndex client_slot = kNoIndex;
  PoolIndex client_prev = kNoIndex;
  PoolIndex client_next = kNoIndex;
  // Where the OrderIdIndex front table holds or held it (group * 8 + slot), or kNoIndex (back
  // table, or never indexed). Written by OrderIdIndex::insert and left as is by an erase: the
  // front table checks that the slot still holds this order.
  PoolIndex id_slot = kNoIndex;
  Side side = Side::kInvalid;
};

static_assert(sizeof(Order) <= 64, "an order fits one cache line");

// Identifies a live order across every book of a matcher: order ids are per client, and a
// client's id is unique among all its live orders (docs/protocol.md, ClientRequest).
struct OrderKey {
  OrderId client_order_id = 0;
  ClientId client_id = 0;

  friend bool operator==(const OrderKey&, const OrderKey&) = default;
};

}  // namespace llt::exchange
