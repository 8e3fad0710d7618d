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
  kModify = 6,
};

// True for the values a client may send (docs/protocol.md, ClientRequest).
[[nodiscard]] constexpr bool is_wire_type(ClientRequestType type) noexcept {
  return type >= ClientRequestType::kNew && type <= ClientRequestType::kModify;
}

// The requests the session layer forwards to the matching engine.
[[nodiscard]] constexpr bool is_order_type(ClientRequestType type) noexcept {
  return type == ClientRequestType::kNew || type == ClientRequestType::kCancel ||
         type == ClientRequestType::kModify;
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
    case ClientRequestType::kModify:
      return "MODIFY";
    case ClientRequestType::kInvalid:
      break;
  }
  return "UNKNOWN";
}

// ClientRequest::tif, time in force of a NEW (every other message carries 0). Any other byte
// value is INVALID_TIF.
enum class TimeInForce : std::uint8_t {
  kGtc = 0,  // rests until cancelled, filled, or its session ends
  kIoc = 1,  // trades what it can on arrival; the rest is CANCELED(EXPIRED), never rests
  kFok = 2,  // trades its whole qty on arrival or nothing: CANCELED(EXPIRED)
};

[[nodiscard]] constexpr bool is_valid(TimeInForce tif) noexcept {
  return tif <= TimeInForce::kFok;
}

// Cold. Values outside the table read "INVALID".
[[nodiscard]] constexpr std::string_view to_string(TimeInForce tif) noexcept {
  switch (tif) {
    case TimeInForce::kGtc:
      return "GTC";
    case TimeInForce::kIoc:
      return "IOC";
    case TimeInForce::kFok:
      return "FOK";
  }
  return "INVALID";
}

// ClientRequest::flags bits. Which bits a message may set depends on its type; any other bit,
// or a bit on a type that has none, is INVALID_FLAGS.
inline constexpr std::uint8_t kFlagPostOnly = 0x01;    // NEW, GTC only: never trades on arrival
inline constexpr std::uint8_t kFlagKeepOrders = 0x01;  // LOGON: no cancel-on-disconnect

// The flag bits a message of this type may carry.
[[nodiscard]] constexpr std::uint8_t allowed_flags(ClientRequestType type) noexcept {
  return type == ClientRequestType::kNew     ? kFlagPostOnly
         : type == ClientRequestType::kLogon ? kFlagKeepOrders
                                             : std::uint8_t{0};
}

// Client -> exchange over TCP, 40 bytes (protocol version 2). A CANCEL names the order by
// ticker_id and order_id; its side, price and qty are ignored. A MODIFY names the order the
// same way and carries its side, new price and new resting qty.
struct [[gnu::packed]] ClientRequest {
  SeqNum seq_num = 0;  // per session, first message 1, +1 per message
  ClientRequestType msg_type = ClientRequestType::kInvalid;
  ClientId client_id = 0;
  TickerId ticker_id = 0;
  OrderId order_id = 0;  // the client's own id, unique among its live orders
  Side side = Side::kInvalid;
  Price price = 0;  // cents
  Qty qty = 0;
  TimeInForce tif = TimeInForce::kGtc;  // NEW only
  std::uint8_t flags = 0;               // kFlagPostOnly (NEW), kFlagKeepOrders (LOGON)

  friend bool operator==(const ClientRequest&, const ClientRequest&) = default;
};

static_assert(sizeof(ClientRequest) == 40, "docs/protocol.md: ClientRequest is 40 bytes");
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
static_assert(offsetof(ClientRequest, tif) == 38, "wire offset");
static_assert(offsetof(ClientRequest, flags) == 39, "wire offset");

}  // namespace llt::exchange
