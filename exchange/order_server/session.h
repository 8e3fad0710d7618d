#pragma once

#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

enum class SessionState : std::uint8_t {
  kClosed,         // no connection
  kAwaitingLogon,  // connected; the first message must be LOGON with seq 1
  kLoggedOn,       // bound to client_id()
  kClosing,        // a final reply is being flushed; further input is discarded
};

// What the order server must do with one request, as decided by Session::on_request.
enum class SessionAction : std::uint8_t {
  kLogon,             // a well-formed first LOGON: the server checks what only it knows (another
                      // live session with the id, capacity, the replay range), then
                      // accept_logon() and LOGON_ACCEPTED, or LOGON_REJECTED and close
  kLogonRejected,     // send LOGON_REJECTED(reason), then close
  kRejected,          // send REJECTED(reason); the session stays open
  kRejectedAndClose,  // send REJECTED(reason), then close (NOT_LOGGED_IN, invalid-message limit)
  kForward,           // NEW, CANCEL or MODIFY: hand it to the sequencer (its number consumed)
  kHeartbeat,         // no reply, no number consumed
  kLogout,            // no number consumed; close gracefully
  kIgnore,            // the session is closing or closed: discard
};

struct SessionDecision {
  SessionAction action = SessionAction::kIgnore;
  RejectReason reason = RejectReason::kNone;

  friend bool operator==(const SessionDecision&, const SessionDecision&) = default;
};

// Cold: for logs and test output.
[[nodiscard]] constexpr std::string_view to_string(SessionAction action) noexcept {
  switch (action) {
    case SessionAction::kLogon:
      return "LOGON";
    case SessionAction::kLogonRejected:
      return "LOGON_REJECTED";
    case SessionAction::kRejected:
      return "REJECTED";
    case SessionAction::kRejectedAndClose:
      return "REJECTED_AND_CLOSE";
    case SessionAction::kForward:
      return "FORWARD";
    case SessionAction::kHeartbeat:
      return "HEARTBEAT";
    case SessionAction::kLogout:
      return "LOGOUT";
    case SessionAction::kIgnore:
      return "IGNORE";
  }
  return "UNKNOWN";
}

// Token bucket on a session's NEW and CANCEL requests: on average at most `rate` a second,
// in bursts of up to `rate`. Rate 0 is no limit. Pure logic: times are ticks passed in.
class OrderThrottle {
 public:
  OrderThrottle() = default;
  OrderThrottle(std::uint32_t rate_per_second, std::uint64_t ticks_per_second) noexcept
      : rate_(rate_per_second),
        ticks_per_token_(rate_per_second == 0 ? 0 : ticks_per_second / rate_per_second) {
    if (ticks_per_token_ == 0)
      ticks_per_token_ = 1;
  }

  // A full bucket from now on.
  void reset(std::uint64_t now_ticks) noexcept {
    tokens_ = rate_;
    last_refill_ticks_ = now_ticks;
  }

  // Takes one token; false (taking nothing) when the bucket is empty.
  [[nodiscard]] bool try_take(std::uint64_t now_ticks) noexcept {
    if (rate_ == 0)
      return true;
    if (now_ticks > last_refill_ticks_) {
      const std::uint64_t earned = (now_ticks - last_refill_ticks_) / ticks_per_token_;
      if (earned > 0) {
        tokens_ = tokens_ + earned >= rate_ ? rate_ : static_cast<std::uint32_t>(tokens_ + earned);
        last_refill_ticks_ += earned * ticks_per_token_;
      }
    }
    if (tokens_ == 0)
      return false;
    --tokens_;
    return true;
  }

 private:
  std::uint32_t rate_ = 0;
  std::uint32_t tokens_ = 0;
  std::uint64_t ticks_per_token_ = 1;
  std::uint64_t last_refill_ticks_ = 0;
};

// The session rules of docs/protocol.md (Session rules, version 2) for one TCP connection, as
// pure logic (no sockets, no clock: times are TscClock ticks passed in), so every rule is
// unit-testable. Only NEW, CANCEL and MODIFY are numbered requests: the client's request
// stream lasts for the day, so the expected number comes from the client's stream at logon
// (accept_logon) and goes back to it when the connection ends (expected_seq()).
//
// Rules, checked in this order:
//  Awaiting logon: anything but LOGON -> REJECTED(NOT_LOGGED_IN) and close; LOGON with client
//    id 0 -> LOGON_REJECTED(INVALID_CLIENT_ID); tif != 0 -> LOGON_REJECTED(INVALID_TIF); flags
//    beyond KEEP_ORDERS -> LOGON_REJECTED(INVALID_FLAGS); otherwise kLogon (its seq_num, the
//    client's next request number, is not checked; the server checks the replay range, another
//    live session with the id and capacity, which only it can know).
//  Logged on: a msg_type that is not a wire type (including the internal ones) ->
//    UNKNOWN_MSG_TYPE; client_id != the bound id -> CLIENT_ID_MISMATCH; a NEW, CANCEL or MODIFY
//    whose seq_num is not the expected one -> BAD_SEQ_NUM; a second LOGON -> CLIENT_ID_IN_USE
//    (the id is already logged on, on this very session); a HEARTBEAT or LOGOUT with tif != 0
//    -> INVALID_TIF, with flags != 0 -> INVALID_FLAGS; a NEW, CANCEL or MODIFY beyond the
//    session's order throttle -> THROTTLED (not counted as invalid). A rejected message does
//    not advance the expected number and counts as invalid: the max_invalid_messages-th one is
//    answered and the session closes. NEW, CANCEL and MODIFY that pass consume their number
//    and are forwarded (the matcher checks their tif and flags); HEARTBEAT and LOGOUT consume
//    none (their seq_num is not checked); LOGOUT closes the session.
//
// Outbound numbering is the order server's (ClientStreams); the session only keeps the time of
// its last send, for heartbeats.
//
// Thread contract: not thread-safe; the order server's thread calls every member.
class Session {
 public:
  // max_invalid_messages: rejected messages after which the session closes (>= 1).
  explicit Session(std::uint32_t max_invalid_messages = 10, OrderThrottle throttle = {}) noexcept
      : throttle_(throttle), max_invalid_(max_invalid_messages == 0 ? 1 : max_invalid_messages) {}

  // A new connection: awaiting LOGON, counters reset.
  void open(std::uint64_t now_ticks) noexcept {
    state_ = SessionState::kAwaitingLogon;
    client_id_ = kInvalidClientId;
    expected_seq_ = 1;
    last_receive_ticks_ = now_ticks;
    last_send_ticks_ = now_ticks;
    invalid_messages_ = 0;
    throttle_.reset(now_ticks);
  }

  // Applies the rules above to one decoded request received at now_ticks. Mutates only the
  // expected seq_num, the invalid-message count and the last receive time.
  [[nodiscard]] SessionDecision on_request(const ClientRequest& request,
                                           std::uint64_t now_ticks) noexcept {
    if (state_ == SessionState::kLoggedOn) {
      last_receive_ticks_ = now_ticks;
      return on_logged_on_request(request, now_ticks);
    }
    if (state_ == SessionState::kAwaitingLogon) {
      last_receive_ticks_ = now_ticks;
      if (request.msg_type != ClientRequestType::kLogon) {
        ++invalid_messages_;
        return {SessionAction::kRejectedAndClose, RejectReason::kNotLoggedIn};
      }
      if (request.client_id == kInvalidClientId) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidClientId};
      }
      if (request.tif != TimeInForce::kGtc) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidTif};
      }
      if ((request.flags & ~allowed_flags(ClientRequestType::kLogon)) != 0) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidFlags};
      }
      return {SessionAction::kLogon, RejectReason::kNone};
    }
    return {SessionAction::kIgnore, RejectReason::kNone};
  }

  // Binds the session after on_request returned kLogon for this client id; next_request is
  // the number its request stream expects next.
  void accept_logon(ClientId client_id, SeqNum next_request) noexcept {
    state_ = SessionState::kLoggedOn;
    client_id_ = client_id;
    expected_seq_ = next_request;
  }

  // The session stops taking requests: it only flushes what it has sent.
  void start_closing() noexcept { state_ = SessionState::kClosing; }
  void close() noexcept { state_ = SessionState::kClosed; }

  // Bytes arrived (even if no whole message yet): the peer is alive.
  void on_bytes_received(std::uint64_t now_ticks) noexcept { last_receive_ticks_ = now_ticks; }

  // A message went out on the session at now_ticks (the heartbeat timer restarts).
  void on_sent(std::uint64_t now_ticks) noexcept { last_send_ticks_ = now_ticks; }

  // Logged on and nothing was sent for interval_ticks: the server owes a HEARTBEAT.
  [[nodiscard]] bool heartbeat_due(std::uint64_t now_ticks,
                                   std::uint64_t interval_ticks) const noexcept {
    return state_ == SessionState::kLoggedOn && now_ticks >= last_send_ticks_ &&
           now_ticks - last_send_ticks_ >= interval_ticks;
  }

  // Open (awaiting logon or logged on) and nothing was received for timeout_ticks.
  [[nodiscard]] bool receive_timed_out(std::uint64_t now_ticks,
                                       std::uint64_t timeout_ticks) const noexcept {
    return (state_ == SessionState::kAwaitingLogon || state_ == SessionState::kLoggedOn) &&
           now_ticks >= last_receive_ticks_ && now_ticks - last_receive_ticks_ >= timeout_ticks;
  }

  [[nodiscard]] SessionState state() const noexcept { return state_; }
  [[nodiscard]] bool logged_on() const noexcept { return state_ == SessionState::kLoggedOn; }
  // Awaiting logon or logged on: requests are still processed.
  [[nodiscard]] bool accepting_requests() const noexcept {
    return state_ == SessionState::kAwaitingLogon || state_ == SessionState::kLoggedOn;
  }
  // The bound client id, kInvalidClientId before logon.
  [[nodiscard]] ClientId client_id() const noexcept { return client_id_; }
  // The request number expected next.
  [[nodiscard]] SeqNum expected_seq() const noexcept { return expected_seq_; }
  [[nodiscard]] std::uint32_t invalid_messages() const noexcept { return invalid_messages_; }
  [[nodiscard]] std::uint64_t last_receive_ticks() const noexcept { return last_receive_ticks_; }
  [[nodiscard]] std::uint64_t last_send_ticks() const noexcept { return last_send_ticks_; }

 private:
  [[nodiscard]] SessionDecision on_logged_on_request(const ClientRequest& request,
                                                     std::uint64_t now_ticks) noexcept {
    const ClientRequestType type = request.msg_type;
    RejectReason reason = RejectReason::kNone;
    if (LLT_UNLIKELY(!is_wire_type(type))) {
      reason = RejectReason::kUnknownMsgType;
    } else if (request.client_id != client_id_) {
      reason = RejectReason::kClientIdMismatch;
    } else if (is_order_type(type) && request.seq_num != expected_seq_) {
      reason = RejectReason::kBadSeqNum;
    } else if (type == ClientRequestType::kLogon) {
      reason = RejectReason::kClientIdInUse;
    } else if (!is_order_type(type) && request.tif != TimeInForce::kGtc) {
      reason = RejectReason::kInvalidTif;
    } else if (!is_order_type(type) && request.flags != 0) {
      reason = RejectReason::kInvalidFlags;
    }
    if (reason != RejectReason::kNone) {
      ++invalid_messages_;
      return {invalid_messages_ >= max_invalid_ ? SessionAction::kRejectedAndClose
                                                : SessionAction::kRejected,
              reason};
    }
    if (is_order_type(type) && !throttle_.try_take(now_ticks)) {
      return {SessionAction::kRejected, RejectReason::kThrottled};
    }
    switch (type) {
      case ClientRequestType::kHeartbeat:
        return {SessionAction::kHeartbeat, RejectReason::kNone};
      case ClientRequestType::kLogout:
        return {SessionAction::kLogout, RejectReason::kNone};
      default:
        ++expected_seq_;
        return {SessionAction::kForward, RejectReason::kNone};
    }
  }

  OrderThrottle throttle_;
  std::uint64_t last_receive_ticks_ = 0;
  std::uint64_t last_send_ticks_ = 0;
  SeqNum expected_seq_ = 1;
  ClientId client_id_ = kInvalidClientId;
  std::uint32_t invalid_messages_ = 0;
  std::uint32_t max_invalid_;
  SessionState state_ = SessionState::kClosed;
};

}  // namespace llt::exchange
