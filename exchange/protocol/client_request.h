#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/types.h"
#include "exchange/protocol/wire.h"

namespace llt::exchange {

// ClientRequest::msg_type. Any other byte value is UNKNOWN_MSG_TYPE.
enum class ClientRequestType : std::uint8_t {
  kInvalid = 0,
  kNew = 1,
  kCancel = 2,
  kLogon = 3,
  kHeartbeat = 4,
  kLogout = 5,
};

// True for the values a client may send (docs/protocol.md, ClientRequest).
[[nodiscard]] constexpr bool is_wire_type(ClientRequestType type) noexcept {
  return type >= ClientRequestType::kNew && type <= ClientRequestType::kLogout;
}

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(ClientRequestType type) noexcept {
  switch (type) {
    case ClientRequestType::kNew:
      return "NEW";
    case ClientRequestType::kCancel:
      return "CANCEL";
    case ClientRequestType::kLogon:
      return "LOGON";
    case ClientRequestType::kHeartbeat:
      return "HEARTBEAT";
    case ClientRequestType::kLogout:
      return "LOGOUT";
    case ClientRequestType::kInvalid:
      break;
  }
  return "UNKNOWN";
}

// Client -> exchange over TCP, 38 bytes. A CANCEL names the order by ticker_id and order_id;
// its side, price and qty are ignored.
struct [[gnu::packed]] ClientRequest {
  SeqNum seq_num = 0;  // per session, first message 1, +1 per message
  ClientRequestType msg_type = ClientRequestType::kInvalid;
  ClientId client_id = 0;
  TickerId ticker_id = 0;
  OrderId order_id = 0;  // the client's own id, unique among its live orders
  Side side = Side::kInvalid;
  Price price = 0;  // cents
  Qty qty = 0;

  friend bool operator==(const ClientRequest&, const ClientRequest&) = default;
};

static_assert(sizeof(ClientRequest) == 38, "docs/protocol.md: ClientRequest is 38 bytes");
static_assert(std::is_trivially_copyable_v<ClientRequest> &&
                  std::is_standard_layout_v<ClientRequest>,
              "sent and received as raw bytes (memcpy)");
static_assert(offsetof(ClientRequest, seq_num) == 0, "wire offset");
static_assert(offsetof(ClientRequest, msg_type) == 8, "wire offset");
static_assert(offsetof(ClientRequest, client_id) == 9, "wire offset");
static_assert(offsetof(ClientRequest, ticker_id) == 13, "wire offset");
static_assert(offsetof(ClientRequest, order_id) == 17, "wire offset");
static_assert(offsetof(ClientRequest, side) == 25, "wire offset");
static_assert(offsetof(ClientRequest, price) == 26, "wire offset");
static_assert(offsetof(ClientRequest, qty) == 34, "wire offset");

}  // namespace llt::exchange
