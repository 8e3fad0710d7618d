#pragma once

#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/reject_reason.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

enum class ClientSessionState : std::uint8_t {
  kDisconnected,  // no connection: the gateway waits out its reconnect back-off
  kConnecting,    // a non-blocking connect is in progress
  kLoggingOn,     // connected, LOGON sent (seq 1): waiting for its answer
  kLoggedOn,      // LOGON_ACCEPTED: requests flow
  kStopped,       // the gateway stopped; nothing happens any more
};

// What the order gateway must do with one response, as decided by ClientSession::on_response.
enum class ClientSessionAction : std::uint8_t {
  kRoute,          // an order's answer: hand it to the trade engine, then consume_response()
  kHeartbeat,      // consume_response(); nothing to route
  kLogonAccepted,  // tell the trade engine it is logged on, then accept_logon()
  kLogonRejected,  // end the session; connect again after the back-off
  kProtocolError,  // end the session (the reason says why); connect again after the back-off
  kIgnore,         // not in a session: discard
};

// Why a response broke the session rules.
enum class ProtocolError : std::uint8_t {
  kNone,
  kSeqGap,             // seq_num is not the expected one (a gap or a repeat)
  kWrongClientId,      // client_id is not ours
  kUnknownMsgType,     // msg_type is not a response type of the protocol
  kUnexpectedMsgType,  // a response type this state does not allow: an order's answer before
                       // LOGON_ACCEPTED, a LOGON answer once logged on
};

struct ClientSessionDecision {
  ClientSessionAction action = ClientSessionAction::kIgnore;
  ProtocolError reason = ProtocolError::kNone;

  friend bool operator==(const ClientSessionDecision&, const ClientSessionDecision&) = default;
};

// Cold: for logs and test output.
[[nodiscard]] constexpr std::string_view to_string(ClientSessionAction action) noexcept {
  switch (action) {
    case ClientSessionAction::kRoute:
      return "ROUTE";
    case ClientSessionAction::kHeartbeat:
      return "HEARTBEAT";
    case ClientSessionAction::kLogonAccepted:
      return "LOGON_ACCEPTED";
    case ClientSessionAction::kLogonRejected:
      return "LOGON_REJECTED";
    case ClientSessionAction::kProtocolError:
      return "PROTOCOL_ERROR";
    case ClientSessionAction::kIgnore:
      return "IGNORE";
  }
  return "UNKNOWN";
}

// Cold: for logs and test output.
[[nodiscard]] constexpr std::string_view to_string(ProtocolError error) noexcept {
  switch (error) {
    case ProtocolError::kNone:
      return "NONE";
    case ProtocolError::kSeqGap:
      return "SEQ_GAP";
    case ProtocolError::kWrongClientId:
      return "WRONG_CLIENT_ID";
    case ProtocolError::kUnknownMsgType:
      return "UNKNOWN_MSG_TYPE";
    case ProtocolError::kUnexpectedMsgType:
      return "UNEXPECTED_MSG_TYPE";
  }
  return "UNKNOWN";
}

// The session's timers, in TscClock ticks (the unit of now_ticks), converted once from the
// gateway's millisecond options.
struct ClientSessionTimeouts {
  std::uint64_t connect_ticks = 1;             // a connect not completed by then is abandoned
  std::uint64_t logon_ticks = 1;               // a LOGON not answered by then ends the attempt
  std::uint64_t heartbeat_interval_ticks = 1;  // a HEARTBEAT is owed after this long unsent
  std::uint64_t receive_ticks = 0;             // logged on and silent this long: dead. 0: never
};

// The client side of the session rules (docs/protocol.md) for the trading client's order
// gateway, as pure logic: no sockets, no clock (times are TscClock ticks passed in), so every
// rule is unit-testable. The counterpart of exchange::Session; OrderGateway acts on its
// decisions. Rules of a response, checked in this order: not in a session -> ignored; seq_num
// != expected_seq() -> SEQ_GAP; client_id not ours -> WRONG_CLIENT_ID; then by type (see
// on_response).
//
// Thread contract: not thread-safe; the gateway's thread calls every member.
class ClientSession {
 public:
  // client_id: stamped into every request and expected in every response (not 0: the
  // gateway's options are validated).
  ClientSession(exchange::ClientId client_id, const ClientSessionTimeouts& timeouts) noexcept
      : timeouts_(timeouts), client_id_(client_id) {}

  // --- Connection lifecycle ---

  // A non-blocking connect started at now_ticks: connecting, until connect_timed_out().
  void start_connecting(std::uint64_t now_ticks) noexcept {
    state_ = ClientSessionState::kConnecting;
    deadline_ticks_ = now_ticks + timeouts_.connect_ticks;
  }

  // The TCP connection is up and its LOGON goes out now (it takes seq 1): logging on, both
  // sequence numbers restart at 1, the logon and receive timers start at now_ticks.
  void open(std::uint64_t now_ticks) noexcept {
    state_ = ClientSessionState::kLoggingOn;
    next_outbound_seq_ = 1;
    expected_seq_ = 1;
    deadline_ticks_ = now_ticks + timeouts_.logon_ticks;
    last_receive_ticks_ = now_ticks;
    last_send_ticks_ = now_ticks;
  }

  // After on_response returned kLogonAccepted and the gateway acted on it: logged on; the
  // LOGON_ACCEPTED's seq_num is consumed.
  void accept_logon() noexcept {
    state_ = ClientSessionState::kLoggedOn;
    ++expected_seq_;
  }

  // The connection is gone, or never came up: disconnected until start_connecting().
  void close() noexcept { state_ = ClientSessionState::kDisconnected; }

  // For good: every later response is ignored and no timer is ever due.
  void stop() noexcept { state_ = ClientSessionState::kStopped; }

  // --- Outbound ---

  // Whether a request of `type` from the trade engine may go out now. Returns kNone;
  // kUnknownMsgType unless it is a NEW, a CANCEL or a MODIFY (checked first: the gateway sends
  // LOGON, HEARTBEAT and LOGOUT itself); kNotLoggedIn unless logged on. Its tif and flags go
  // out as given: the exchange judges them.
  [[nodiscard]] exchange::RejectReason check_request(
      exchange::ClientRequestType type) const noexcept {
    if (LLT_UNLIKELY(!exchange::is_order_type(type))) {
      return exchange::RejectReason::kUnknownMsgType;
    }
    if (LLT_UNLIKELY(state_ != ClientSessionState::kLoggedOn)) {
      return exchange::RejectReason::kNotLoggedIn;
    }
    return exchange::RejectReason::kNone;
  }

  // Writes the next outbound seq_num and our client id into `message`; takes nothing, so a
  // message the socket refuses leaves the seq_num free.
  void stamp(exchange::ClientRequest& message) const noexcept {
    message.seq_num = next_outbound_seq_;
    message.client_id = client_id_;
  }

  // The message stamped last was taken by the socket at now_ticks: its seq_num is consumed
  // and the heartbeat timer restarts.
  void on_sent(std::uint64_t now_ticks) noexcept {
    ++next_outbound_seq_;
    last_send_ticks_ = now_ticks;
  }

  // --- Inbound ---

  // Judges one response without consuming it (the gateway may have to leave it buffered
  // while the trade engine's queue is full, and ask again). Returns, after the common checks
  // above: HEARTBEAT -> kHeartbeat (logging on or logged on); ACCEPTED, CANCELED, FILLED,
  // CANCEL_REJECTED, REJECTED, MODIFIED or MODIFY_REJECTED -> kRoute when logged on, else
  // UNEXPECTED_MSG_TYPE;
  // LOGON_ACCEPTED -> kLogonAccepted and LOGON_REJECTED -> kLogonRejected when logging on,
  // else UNEXPECTED_MSG_TYPE; any other msg_type -> UNKNOWN_MSG_TYPE.
  [[nodiscard]] ClientSessionDecision on_response(
      const exchange::ClientResponse& response) const noexcept {
    using exchange::ClientResponseType;
    if (LLT_UNLIKELY(!in_session())) {
      return {ClientSessionAction::kIgnore, ProtocolError::kNone};
    }
    if (LLT_UNLIKELY(response.seq_num != expected_seq_)) {
      return {ClientSessionAction::kProtocolError, ProtocolError::kSeqGap};
    }
    if (LLT_UNLIKELY(response.client_id != client_id_)) {
      return {ClientSessionAction::kProtocolError, ProtocolError::kWrongClientId};
    }
    const bool logged_on = state_ == ClientSessionState::kLoggedOn;
    switch (response.msg_type) {
      case ClientResponseType::kHeartbeat:
        return {ClientSessionAction::kHeartbeat, ProtocolError::kNone};
      case ClientResponseType::kAccepted:
      case ClientResponseType::kCanceled:
      case ClientResponseType::kFilled:
      case ClientResponseType::kCancelRejected:
      case ClientResponseType::kRejected:
      case ClientResponseType::kModified:
      case ClientResponseType::kModifyRejected:
        return logged_on ? ClientSessionDecision{ClientSessionAction::kRoute, ProtocolError::kNone}
                         : unexpected();
      case ClientResponseType::kLogonAccepted:
        return logged_on ? unexpected()
                         : ClientSessionDecision{ClientSessionAction::kLogonAccepted,
                                                 ProtocolError::kNone};
      case ClientResponseType::kLogonRejected:
        return logged_on ? unexpected()
                         : ClientSessionDecision{ClientSessionAction::kLogonRejected,
                                                 ProtocolError::kNone};
      case ClientResponseType::kInvalid:
        break;
    }
    return {ClientSessionAction::kProtocolError, ProtocolError::kUnknownMsgType};
  }

  // The response judged kRoute or kHeartbeat was acted on: its seq_num is consumed.
  void consume_response() noexcept { ++expected_seq_; }

  // Bytes arrived (even if no whole message yet), or whole messages wait unread because the
  // trade engine's queue is full: the exchange is not silent.
  void on_bytes_received(std::uint64_t now_ticks) noexcept { last_receive_ticks_ = now_ticks; }

  // --- Timers ---

  // Connecting, and the connect timeout has passed since start_connecting().
  [[nodiscard]] bool connect_timed_out(std::uint64_t now_ticks) const noexcept {
    return state_ == ClientSessionState::kConnecting && now_ticks >= deadline_ticks_;
  }

  // Logging on, and the logon timeout has passed since open().
  [[nodiscard]] bool logon_timed_out(std::uint64_t now_ticks) const noexcept {
    return state_ == ClientSessionState::kLoggingOn && now_ticks >= deadline_ticks_;
  }

  // Logged on, a receive timeout is set, and nothing arrived for that long.
  [[nodiscard]] bool receive_timed_out(std::uint64_t now_ticks) const noexcept {
    return state_ == ClientSessionState::kLoggedOn && timeouts_.receive_ticks != 0 &&
           now_ticks >= last_receive_ticks_ &&
           now_ticks - last_receive_ticks_ >= timeouts_.receive_ticks;
  }

  // Logged on and nothing was sent for the heartbeat interval: a HEARTBEAT is owed.
  [[nodiscard]] bool heartbeat_due(std::uint64_t now_ticks) const noexcept {
    return state_ == ClientSessionState::kLoggedOn && now_ticks >= last_send_ticks_ &&
           now_ticks - last_send_ticks_ >= timeouts_.heartbeat_interval_ticks;
  }

  // --- State ---

  [[nodiscard]] ClientSessionState state() const noexcept { return state_; }
  // Logging on or logged on: a connection is up and responses are read.
  [[nodiscard]] bool in_session() const noexcept {
    return state_ == ClientSessionState::kLoggingOn || state_ == ClientSessionState::kLoggedOn;
  }
  [[nodiscard]] bool logged_on() const noexcept { return state_ == ClientSessionState::kLoggedOn; }
  [[nodiscard]] exchange::ClientId client_id() const noexcept { return client_id_; }
  // The seq_num the next response must carry.
  [[nodiscard]] exchange::SeqNum expected_seq() const noexcept { return expected_seq_; }
  // The seq_num the next outbound message will carry (not taken).
  [[nodiscard]] exchange::SeqNum peek_outbound_seq() const noexcept { return next_outbound_seq_; }
  [[nodiscard]] std::uint64_t last_receive_ticks() const noexcept { return last_receive_ticks_; }
  [[nodiscard]] std::uint64_t last_send_ticks() const noexcept { return last_send_ticks_; }

 private:
  [[nodiscard]] static ClientSessionDecision unexpected() noexcept {
    return {ClientSessionAction::kProtocolError, ProtocolError::kUnexpectedMsgType};
  }

  ClientSessionTimeouts timeouts_;
  std::uint64_t deadline_ticks_ = 0;  // connecting: the connect's; logging on: the LOGON's
  std::uint64_t last_receive_ticks_ = 0;
  std::uint64_t last_send_ticks_ = 0;
  exchange::SeqNum next_outbound_seq_ = 1;
  exchange::SeqNum expected_seq_ = 1;
  exchange::ClientId client_id_;
  ClientSessionState state_ = ClientSessionState::kDisconnected;
};

}  // namespace llt::trading
