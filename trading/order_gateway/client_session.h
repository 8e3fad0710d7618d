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
  kLoggingOn,     // connected, LOGON sent: waiting for its answer
  kLoggedOn,      // LOGON_ACCEPTED: the replay, then live responses, flow
  kStopped,       // the gateway stopped; nothing happens any more
};

// What the order gateway must do with one response, as decided by ClientSession::on_response.
enum class ClientSessionAction : std::uint8_t {
  kRoute,          // the next numbered response: hand it to the trade engine, then
                   // consume_response()
  kDuplicate,      // a numbered response already processed (seq_num <= last_processed()): skip
                   // it, never apply it twice
  kHeartbeat,      // the exchange's HEARTBEAT: consumes no number, nothing to route
  kLogonAccepted,  // tell the trade engine it is logged on, then accept_logon()
  kLogonRejected,  // end the session; connect again after the back-off
  kProtocolError,  // end the session (the reason says why); connect again after the back-off
  kIgnore,         // not in a session: discard
};

// Why a response broke the session rules.
enum class ProtocolError : std::uint8_t {
  kNone,
  kSeqGap,             // a numbered response past last_processed() + 1, or, once the replay
                       // is over, a HEARTBEAT announcing a number we never received
  kWrongClientId,      // client_id is not ours
  kUnknownMsgType,     // msg_type is not a response type of the protocol
  kUnexpectedMsgType,  // a response type this state does not allow: an order's answer before
                       // LOGON_ACCEPTED, a LOGON answer once logged on
  kBadLogonAnswer,     // LOGON_ACCEPTED numbers that contradict the LOGON: seq_num is not the
                       // first number asked for, the next live number is before it, or the
                       // next expected request number is 0
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
    case ClientSessionAction::kDuplicate:
      return "DUPLICATE";
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
    case ProtocolError::kBadLogonAnswer:
      return "BAD_LOGON_ANSWER";
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

// The client side of the session rules (docs/protocol.md, Sessions that survive disconnects)
// for the trading client's order gateway, as pure logic: no sockets, no clock (times are
// TscClock ticks passed in), so every rule is unit-testable. The counterpart of
// exchange::Session; OrderGateway acts on its decisions.
//
// Two numbers outlive every connection: the next request number (NEW, CANCEL, MODIFY take
// one each) and the last response number processed. A LOGON asks for every response after
// the last processed one; a numbered response is routed only at last_processed() + 1, skipped
// when already processed, and a gap ends the connection (the next LOGON replays it).
//
// Thread contract: not thread-safe; the gateway's thread calls every member.
class ClientSession {
 public:
  // client_id: stamped into every request and expected in every response (not 0: the
  // gateway's options are validated). keep_orders: every LOGON sets KEEP_ORDERS.
  ClientSession(exchange::ClientId client_id, const ClientSessionTimeouts& timeouts,
                bool keep_orders = false) noexcept
      : timeouts_(timeouts), client_id_(client_id), keep_orders_(keep_orders) {}

  // Start-up only, before the first open(): continue from numbers kept across a restart.
  // next_request_seq >= 1.
  void restore(exchange::SeqNum next_request_seq, exchange::SeqNum last_processed) noexcept {
    next_request_seq_ = next_request_seq == 0 ? 1 : next_request_seq;
    last_processed_ = last_processed;
  }

  // --- Connection lifecycle ---

  // A non-blocking connect started at now_ticks: connecting, until connect_timed_out().
  void start_connecting(std::uint64_t now_ticks) noexcept {
    state_ = ClientSessionState::kConnecting;
    deadline_ticks_ = now_ticks + timeouts_.connect_ticks;
  }

  // The TCP connection is up and its LOGON (logon_message()) goes out now: logging on, the
  // logon and receive timers start at now_ticks. Both stream numbers are kept; the LOGON asks
  // for the responses from last_processed() + 1 (from none after skip_replay_once()).
  void open(std::uint64_t now_ticks) noexcept {
    state_ = ClientSessionState::kLoggingOn;
    replay_from_ = skip_replay_ ? 0 : last_processed_ + 1;
    skip_replay_ = false;
    deadline_ticks_ = now_ticks + timeouts_.logon_ticks;
    last_receive_ticks_ = now_ticks;
    last_send_ticks_ = now_ticks;
  }

  // The LOGON of this connection: seq_num = the next request number (consumes none),
  // order_id = the first response number asked for, flags = KEEP_ORDERS or 0.
  [[nodiscard]] exchange::ClientRequest logon_message() const noexcept {
    exchange::ClientRequest logon{};
    logon.msg_type = exchange::ClientRequestType::kLogon;
    logon.seq_num = next_request_seq_;
    logon.client_id = client_id_;
    logon.order_id = replay_from_;
    logon.flags = keep_orders_ ? exchange::kFlagKeepOrders : 0;
    return logon;
  }

  // After on_response returned kLogonAccepted for `accepted` and the gateway acted on it:
  // logged on. Keeps the exchange's next expected request number (client_order_id) and its
  // next live response number (market_order_id); after a LOGON that asked for no replay, the
  // responses before the live ones count as processed.
  void accept_logon(const exchange::ClientResponse& accepted) noexcept {
    state_ = ClientSessionState::kLoggedOn;
    exchange_expects_ = accepted.client_order_id;
    live_next_ = accepted.market_order_id;
    if (replay_from_ == 0) {
      last_processed_ = accepted.seq_num - 1;
    }
  }

  // The connection is gone, or never came up: disconnected until start_connecting().
  void close() noexcept { state_ = ClientSessionState::kDisconnected; }

  // For good: every later response is ignored and no timer is ever due.
  void stop() noexcept { state_ = ClientSessionState::kStopped; }

  // The exchange cannot replay what we asked (REPLAY_UNAVAILABLE): the next LOGON asks for
  // live responses only. What was missed is lost to this client (counted by the gateway).
  void skip_replay_once() noexcept { skip_replay_ = true; }

  // The exchange's response stream is behind the one we processed (a LOGON_REJECTED
  // BAD_SEQ_NUM: it started a new day): both streams start again from 1.
  void reset_streams() noexcept {
    next_request_seq_ = 1;
    last_processed_ = 0;
  }

  // The exchange expects `next` and the requests before it cannot be resent (or it has more
  // than we sent, after a restart from an older state): number from `next` on.
  void set_next_request_seq(exchange::SeqNum next) noexcept { next_request_seq_ = next; }

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

  // Writes the next request number and our client id into `message` (a request, or a
  // HEARTBEAT or LOGOUT, which carry it too); takes nothing, so a message the socket refuses
  // leaves the number free.
  void stamp(exchange::ClientRequest& message) const noexcept {
    message.seq_num = next_request_seq_;
    message.client_id = client_id_;
  }

  // The NEW, CANCEL or MODIFY stamped last was taken by the socket at now_ticks: its number
  // is consumed and the heartbeat timer restarts.
  void on_request_sent(std::uint64_t now_ticks) noexcept {
    ++next_request_seq_;
    last_send_ticks_ = now_ticks;
  }

  // A LOGON, HEARTBEAT, LOGOUT or resent request was taken by the socket at now_ticks: no
  // number is consumed; the heartbeat timer restarts.
  void on_unnumbered_sent(std::uint64_t now_ticks) noexcept { last_send_ticks_ = now_ticks; }

  // --- Inbound ---

  // Judges one response without consuming it (the gateway may have to leave it buffered
  // while the trade engine's queue is full, and ask again). Not in a session -> kIgnore;
  // client_id not ours -> WRONG_CLIENT_ID; then by type:
  //  - ACCEPTED, CANCELED, FILLED, CANCEL_REJECTED, REJECTED, MODIFIED, MODIFY_REJECTED (the
  //    numbered ones): UNEXPECTED_MSG_TYPE unless logged on; seq_num <= last_processed() ->
  //    kDuplicate; seq_num == last_processed() + 1 -> kRoute; else SEQ_GAP;
  //  - HEARTBEAT -> kHeartbeat, except SEQ_GAP when logged on, the replay is over
  //    (!replaying()) and it announces a number past last_processed() + 1;
  //  - LOGON_ACCEPTED when logging on: BAD_LOGON_ANSWER when its seq_num is not the number
  //    asked for (with none asked: its next live number), its next live number
  //    (market_order_id) is before its seq_num, or its next expected request number
  //    (client_order_id) is 0; else kLogonAccepted;
  //  - LOGON_REJECTED when logging on -> kLogonRejected;
  //  - a LOGON answer once logged on -> UNEXPECTED_MSG_TYPE; any other type -> UNKNOWN_MSG_TYPE.
  [[nodiscard]] ClientSessionDecision on_response(
      const exchange::ClientResponse& response) const noexcept {
    using exchange::ClientResponseType;
    if (LLT_UNLIKELY(!in_session())) {
      return {ClientSessionAction::kIgnore, ProtocolError::kNone};
    }
    if (LLT_UNLIKELY(response.client_id != client_id_)) {
      return {ClientSessionAction::kProtocolError, ProtocolError::kWrongClientId};
    }
    const bool logged_on = state_ == ClientSessionState::kLoggedOn;
    switch (response.msg_type) {
      case ClientResponseType::kAccepted:
      case ClientResponseType::kCanceled:
      case ClientResponseType::kFilled:
      case ClientResponseType::kCancelRejected:
      case ClientResponseType::kRejected:
      case ClientResponseType::kModified:
      case ClientResponseType::kModifyRejected:
        if (LLT_UNLIKELY(!logged_on)) {
          return unexpected();
        }
        if (LLT_UNLIKELY(response.seq_num <= last_processed_)) {
          return {ClientSessionAction::kDuplicate, ProtocolError::kNone};
        }
        if (LLT_UNLIKELY(response.seq_num != last_processed_ + 1)) {
          return {ClientSessionAction::kProtocolError, ProtocolError::kSeqGap};
        }
        return {ClientSessionAction::kRoute, ProtocolError::kNone};
      case ClientResponseType::kHeartbeat:
        if (logged_on && !replaying() && response.seq_num > last_processed_ + 1) {
          return {ClientSessionAction::kProtocolError, ProtocolError::kSeqGap};
        }
        return {ClientSessionAction::kHeartbeat, ProtocolError::kNone};
      case ClientResponseType::kLogonAccepted: {
        if (logged_on) {
          return unexpected();
        }
        const exchange::SeqNum first = replay_from_ == 0 ? response.market_order_id : replay_from_;
        if (LLT_UNLIKELY(response.seq_num == 0 || response.seq_num != first ||
                         response.market_order_id < response.seq_num ||
                         response.client_order_id == 0)) {
          return {ClientSessionAction::kProtocolError, ProtocolError::kBadLogonAnswer};
        }
        return {ClientSessionAction::kLogonAccepted, ProtocolError::kNone};
      }
      case ClientResponseType::kLogonRejected:
        return logged_on ? unexpected()
                         : ClientSessionDecision{ClientSessionAction::kLogonRejected,
                                                 ProtocolError::kNone};
      case ClientResponseType::kInvalid:
        break;
    }
    return {ClientSessionAction::kProtocolError, ProtocolError::kUnknownMsgType};
  }

  // The response judged kRoute was acted on: its number is processed.
  void consume_response() noexcept { ++last_processed_; }

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
  // Logged on and the responses numbered before the LOGON_ACCEPTED's next live number are
  // not all processed yet.
  [[nodiscard]] bool replaying() const noexcept {
    return state_ == ClientSessionState::kLoggedOn && last_processed_ + 1 < live_next_;
  }
  // Logged on and the replay is over: last_processed() reached the next live number - 1.
  [[nodiscard]] bool caught_up() const noexcept {
    return state_ == ClientSessionState::kLoggedOn && last_processed_ + 1 >= live_next_;
  }
  [[nodiscard]] exchange::ClientId client_id() const noexcept { return client_id_; }
  [[nodiscard]] bool keep_orders() const noexcept { return keep_orders_; }
  // The number the next NEW, CANCEL or MODIFY takes.
  [[nodiscard]] exchange::SeqNum next_request_seq() const noexcept { return next_request_seq_; }
  // The last response number processed (0: none yet).
  [[nodiscard]] exchange::SeqNum last_processed() const noexcept { return last_processed_; }
  // The seq_num the next numbered response must carry.
  [[nodiscard]] exchange::SeqNum expected_seq() const noexcept { return last_processed_ + 1; }
  // The first response number this connection's LOGON asked for (0: none).
  [[nodiscard]] exchange::SeqNum replay_from() const noexcept { return replay_from_; }
  // From the LOGON_ACCEPTED of this connection: the next request number the exchange
  // expects, and its next live response number.
  [[nodiscard]] exchange::SeqNum exchange_expects() const noexcept { return exchange_expects_; }
  [[nodiscard]] exchange::SeqNum live_next() const noexcept { return live_next_; }
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
  exchange::SeqNum next_request_seq_ = 1;
  exchange::SeqNum last_processed_ = 0;
  exchange::SeqNum replay_from_ = 1;
  exchange::SeqNum exchange_expects_ = 0;
  exchange::SeqNum live_next_ = 0;
  exchange::ClientId client_id_;
  bool keep_orders_;
  bool skip_replay_ = false;
  ClientSessionState state_ = ClientSessionState::kDisconnected;
};

}  // namespace llt::trading
