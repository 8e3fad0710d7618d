#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llt::exchange {

// Why a request was refused (ClientResponse::reject_reason; docs/protocol.md, Reject reasons).
// The matcher also returns it from every mutating call as its error code: kNone is success.
enum class RejectReason : std::uint8_t {
  kNone = 0,
  kNotLoggedIn = 1,
  kClientIdMismatch = 2,
  kBadSeqNum = 3,
  kUnknownTicker = 4,
  kInvalidSide = 5,
  kInvalidQty = 6,
  kInvalidPrice = 7,
  kDuplicateOrderId = 8,
  kUnknownOrder = 9,
  kCapacity = 10,
  kThrottled = 11,
  kClientIdInUse = 12,
  kUnknownMsgType = 13,
  kInvalidClientId = 14,
  kWouldCross = 15,         // POST_ONLY that would trade on arrival
  kExpired = 16,            // CANCELED: IOC or FOK remainder
  kSelfTrade = 17,          // CANCELED: self-trade prevention
  kDisconnected = 18,       // CANCELED: cancel-on-disconnect
  kReplayUnavailable = 19,  // LOGON asked for responses older than the exchange keeps
  kInvalidTif = 20,
  kInvalidFlags = 21,
};

// Reasons 0 .. kRejectReasonCount - 1 are defined; counters keep one more slot for any other.
inline constexpr std::size_t kRejectReasonCount = 22;

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kNone:
      return "NONE";
    case RejectReason::kNotLoggedIn:
      return "NOT_LOGGED_IN";
    case RejectReason::kClientIdMismatch:
      return "CLIENT_ID_MISMATCH";
    case RejectReason::kBadSeqNum:
      return "BAD_SEQ_NUM";
    case RejectReason::kUnknownTicker:
      return "UNKNOWN_TICKER";
    case RejectReason::kInvalidSide:
      return "INVALID_SIDE";
    case RejectReason::kInvalidQty:
      return "INVALID_QTY";
    case RejectReason::kInvalidPrice:
      return "INVALID_PRICE";
    case RejectReason::kDuplicateOrderId:
      return "DUPLICATE_ORDER_ID";
    case RejectReason::kUnknownOrder:
      return "UNKNOWN_ORDER";
    case RejectReason::kCapacity:
      return "CAPACITY";
    case RejectReason::kThrottled:
      return "THROTTLED";
    case RejectReason::kClientIdInUse:
      return "CLIENT_ID_IN_USE";
    case RejectReason::kUnknownMsgType:
      return "UNKNOWN_MSG_TYPE";
    case RejectReason::kInvalidClientId:
      return "INVALID_CLIENT_ID";
    case RejectReason::kWouldCross:
      return "WOULD_CROSS";
    case RejectReason::kExpired:
      return "EXPIRED";
    case RejectReason::kSelfTrade:
      return "SELF_TRADE";
    case RejectReason::kDisconnected:
      return "DISCONNECTED";
    case RejectReason::kReplayUnavailable:
      return "REPLAY_UNAVAILABLE";
    case RejectReason::kInvalidTif:
      return "INVALID_TIF";
    case RejectReason::kInvalidFlags:
      return "INVALID_FLAGS";
  }
  return "UNKNOWN";
}

}  // namespace llt::exchange
