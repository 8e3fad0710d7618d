#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llt::exchange {

// Why the order server ended a session (OrderServerCounters::sessions_closed_by_cause).
enum class SessionCloseCause : std::uint8_t {
  kPeerClosed,        // the client closed or reset the connection (also mid-message)
  kLogout,            // LOGOUT
  kHeartbeatTimeout,  // nothing received for heartbeat_timeout
  kTooManyInvalid,    // max_invalid_messages rejected messages
  kSendBufferFull,    // a slow reader: its next response did not fit send_buffer_bytes
  kNotLoggedIn,       // the first message was not a LOGON
  kLogonRejected,     // LOGON_REJECTED (BAD_SEQ_NUM, INVALID_CLIENT_ID, CLIENT_ID_IN_USE, CAPACITY)
  kSocketError,       // a send failed with an unexpected errno
};
inline constexpr std::size_t kSessionCloseCauseCount = 8;
static_assert(static_cast<std::size_t>(SessionCloseCause::kSocketError) + 1 ==
                  kSessionCloseCauseCount,
              "one counter slot per cause");

// Cold: for the status line and reports.
[[nodiscard]] constexpr std::string_view to_string(SessionCloseCause cause) noexcept {
  switch (cause) {
    case SessionCloseCause::kPeerClosed:
      return "peer_closed";
    case SessionCloseCause::kLogout:
      return "logout";
    case SessionCloseCause::kHeartbeatTimeout:
      return "heartbeat_timeout";
    case SessionCloseCause::kTooManyInvalid:
      return "too_many_invalid";
    case SessionCloseCause::kSendBufferFull:
      return "send_buffer_full";
    case SessionCloseCause::kNotLoggedIn:
      return "not_logged_in";
    case SessionCloseCause::kLogonRejected:
      return "logon_rejected";
    case SessionCloseCause::kSocketError:
      return "socket_error";
  }
  return "unknown";
}

}  // namespace llt::exchange
