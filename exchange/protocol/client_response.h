#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"
#include "exchange/protocol/wire.h"

namespace llt::exchange {

// ClientResponse::msg_type.
enum class ClientResponseType : std::uint8_t {
  kInvalid = 0,
  kAccepted = 1,
  kCanceled = 2,
  kFilled = 3,
  kCancelRejected = 4,
  kRejected = 5,
  kLogonAccepted = 6,
  kLogonRejected = 7,
  kHeartbeat = 8,
  kModified = 9,
  kModifyRejected = 10,
};

[[nodiscard]] constexpr bool is_wire_type(ClientResponseType type) noexcept {
  return type >= ClientResponseType::kAccepted && type <= ClientResponseType::kModifyRejected;
}

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(ClientResponseType type) noexcept {
  switch (type) {
    case ClientResponseType::kAccepted:
      return "ACCEPTED";
    case ClientResponseType::kCanceled:
      return "CANCELED";
    case ClientResponseType::kFilled:
      return "FILLED";
    case ClientResponseType::kCancelRejected:
      return "CANCEL_REJECTED";
    case ClientResponseType::kRejected:
      return "REJECTED";
    case ClientResponseType::kLogonAccepted:
      return "LOGON_ACCEPTED";
    case ClientResponseType::kLogonRejected:
      return "LOGON_REJECTED";
    case ClientResponseType::kHeartbeat:
      return "HEARTBEAT";
    case ClientResponseType::kModified:
      return "MODIFIED";
    case ClientResponseType::kModifyRejected:
      return "MODIFY_REJECTED";
    case ClientResponseType::kInvalid:
      break;
  }
  return "UNKNOWN";
}

// Exchange -> client over TCP, 51 bytes. What each type carries (docs/protocol.md, What each
// response carries; every field not listed is zero, client_id and ticker_id are always the
// request's):
//  ACCEPTED         client_order_id, market_order_id, side, price, leaves_qty = qty
//  FILLED           the receiver's own client_order_id and market_order_id and side,
//                   price = the resting order's price, exec_qty, leaves_qty after the match
//  CANCELED         client_order_id, market_order_id, side, price (leaves_qty = 0),
//                   reject_reason = why it ended: NONE (the client's CANCEL), EXPIRED (IOC or
//                   FOK remainder), SELF_TRADE, DISCONNECTED
//  CANCEL_REJECTED  client_order_id, reject_reason (UNKNOWN_ORDER, UNKNOWN_TICKER, ...)
//  MODIFIED         client_order_id, market_order_id, side, the new price, leaves_qty = new qty
//  MODIFY_REJECTED  client_order_id, side and price as sent, reject_reason
//  REJECTED         client_order_id, side and price as sent, reject_reason
// seq_num is per session and is stamped by the order server; the matcher leaves it 0.
struct [[gnu::packed]] ClientResponse {
  SeqNum seq_num = 0;
  ClientResponseType msg_type = ClientResponseType::kInvalid;
  ClientId client_id = 0;
  TickerId ticker_id = 0;
  OrderId client_order_id = 0;
  OrderId market_order_id = 0;
  Side side = Side::kInvalid;
  Price price = 0;
  Qty exec_qty = 0;    // filled by this event (FILLED)
  Qty leaves_qty = 0;  // still resting after this event
  RejectReason reject_reason = RejectReason::kNone;

  friend bool operator==(const ClientResponse&, const ClientResponse&) = default;
};

static_assert(sizeof(ClientResponse) == 51, "docs/protocol.md: ClientResponse is 51 bytes");
static_assert(std::is_trivially_copyable_v<ClientResponse> &&
                  std::is_standard_layout_v<ClientResponse>,
              "sent and received as raw bytes (memcpy)");
static_assert(offsetof(ClientResponse, seq_num) == 0, "wire offset");
static_assert(offsetof(ClientResponse, msg_type) == 8, "wire offset");
static_assert(offsetof(ClientResponse, client_id) == 9, "wire offset");
static_assert(offsetof(ClientResponse, ticker_id) == 13, "wire offset");
static_assert(offsetof(ClientResponse, client_order_id) == 17, "wire offset");
static_assert(offsetof(ClientResponse, market_order_id) == 25, "wire offset");
static_assert(offsetof(ClientResponse, side) == 33, "wire offset");
static_assert(offsetof(ClientResponse, price) == 34, "wire offset");
static_assert(offsetof(ClientResponse, exec_qty) == 42, "wire offset");
static_assert(offsetof(ClientResponse, leaves_qty) == 46, "wire offset");
static_assert(offsetof(ClientResponse, reject_reason) == 50, "wire offset");

}  // namespace llt::exchange
