#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/types.h"
#include "exchange/protocol/wire.h"

namespace llt::exchange {

// MarketUpdate::msg_type. A record with any other value is dropped and counted.
enum class MarketUpdateType : std::uint8_t {
  kInvalid = 0,
  kClear = 1,
  kAdd = 2,
  kModify = 3,
  kCancel = 4,
  kTrade = 5,
  kSnapshotStart = 6,
  kSnapshotEnd = 7,
  kHeartbeat = 8,
  // Only on the replay TCP connection (docs/protocol.md, Market data replay), never on
  // multicast: the end of the answer to one request.
  kReplayEnd = 9,
};

// True for the types of the multicast streams (REPLAY_END is not one of them).
[[nodiscard]] constexpr bool is_wire_type(MarketUpdateType type) noexcept {
  return type >= MarketUpdateType::kClear && type <= MarketUpdateType::kHeartbeat;
}

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(MarketUpdateType type) noexcept {
  switch (type) {
    case MarketUpdateType::kClear:
      return "CLEAR";
    case MarketUpdateType::kAdd:
      return "ADD";
    case MarketUpdateType::kModify:
      return "MODIFY";
    case MarketUpdateType::kCancel:
      return "CANCEL";
    case MarketUpdateType::kTrade:
      return "TRADE";
    case MarketUpdateType::kSnapshotStart:
      return "SNAPSHOT_START";
    case MarketUpdateType::kSnapshotEnd:
      return "SNAPSHOT_END";
    case MarketUpdateType::kHeartbeat:
      return "HEARTBEAT";
    case MarketUpdateType::kReplayEnd:
      return "REPLAY_END";
    case MarketUpdateType::kInvalid:
      break;
  }
  return "UNKNOWN";
}

// Exchange -> everyone over UDP multicast, 42 bytes, 1 to kMaxUpdatesPerDatagram per datagram.
// What the matcher publishes (seq_num is left 0: the publisher numbers the stream):
//  ADD     order_id, side, price, qty = resting quantity, priority
//  MODIFY  a resting order after a partial fill: qty = its new resting quantity
//  CANCEL  order removed (cancelled, or fully filled after its TRADE): qty = the quantity it
//          removes from the book (0 after a fill), priority = the order's
//  TRADE   order_id = the aggressor's market order id, side = the aggressor's side,
//          price = the resting order's price, qty = quantity traded, priority 0
struct [[gnu::packed]] MarketUpdate {
  SeqNum seq_num = 0;
  MarketUpdateType msg_type = MarketUpdateType::kInvalid;
  OrderId order_id = 0;  // market order id (SNAPSHOT_*: last incremental seq_num included)
  TickerId ticker_id = 0;
  Side side = Side::kInvalid;
  Price price = 0;
  Qty qty = 0;
  Priority priority = 0;  // position in the FIFO at that price

  friend bool operator==(const MarketUpdate&, const MarketUpdate&) = default;
};

inline constexpr std::size_t kMaxUpdatesPerDatagram = 34;

static_assert(sizeof(MarketUpdate) == 42, "docs/protocol.md: MarketUpdate is 42 bytes");
static_assert(sizeof(MarketUpdate) * kMaxUpdatesPerDatagram <= 1472,
              "a full datagram fits one Ethernet frame (1500 - IP - UDP headers)");
static_assert(std::is_trivially_copyable_v<MarketUpdate> && std::is_standard_layout_v<MarketUpdate>,
              "sent and received as raw bytes (memcpy)");
static_assert(offsetof(MarketUpdate, seq_num) == 0, "wire offset");
static_assert(offsetof(MarketUpdate, msg_type) == 8, "wire offset");
static_assert(offsetof(MarketUpdate, order_id) == 9, "wire offset");
static_assert(offsetof(MarketUpdate, ticker_id) == 17, "wire offset");
static_assert(offsetof(MarketUpdate, side) == 21, "wire offset");
static_assert(offsetof(MarketUpdate, price) == 22, "wire offset");
static_assert(offsetof(MarketUpdate, qty) == 30, "wire offset");
static_assert(offsetof(MarketUpdate, priority) == 34, "wire offset");

}  // namespace llt::exchange
