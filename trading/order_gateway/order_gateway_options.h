#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "exchange/protocol/types.h"

namespace llt::trading {

// How the order gateway reaches the exchange and paces its session (docs/protocol.md, Session
// rules).
struct OrderGatewayOptions {
  std::string host = "127.0.0.1";  // IPv4 address of the exchange's order server
  std::uint16_t port = 12345;
  exchange::ClientId client_id = 1;  // 0 is invalid
  // Wait before the first reconnect after a failure; it doubles per further consecutive
  // failure up to reconnect_max and resets on a successful logon.
  std::chrono::milliseconds reconnect_initial{50};
  std::chrono::milliseconds reconnect_max{2000};
  // A HEARTBEAT goes out after this long without sending (the exchange closes a session
  // silent for its --heartbeat-timeout-ms, 10 s by default).
  std::chrono::milliseconds heartbeat_interval{1000};
  // A connect that has not completed by then is abandoned (and retried with back-off).
  std::chrono::milliseconds connect_timeout{200};
  // A LOGON not answered by then ends the attempt (and it is retried with back-off).
  std::chrono::milliseconds logon_timeout{2000};
  // A session on which nothing arrived for this long is taken for dead (the exchange sends
  // a HEARTBEAT after 1 s of silence). 0: never.
  std::chrono::milliseconds receive_timeout{10000};
  // Bytes of responses read but not yet routed (at least one ClientResponse).
  std::size_t receive_buffer_bytes = 64 * 1024;
  // Bytes of requests the kernel has not taken yet (at least one ClientRequest). When full,
  // requests wait in the request queue.
  std::size_t send_buffer_bytes = 64 * 1024;
  // Bounds on one poll(), so agents sharing a thread all get their turn.
  std::uint32_t max_requests_per_poll = 64;
  std::uint32_t max_responses_per_poll = 256;
  // Every LOGON sets KEEP_ORDERS: the exchange keeps our resting orders when a connection
  // ends (else it cancels them, CANCELED(DISCONNECTED), replayed on the next connection).
  bool keep_orders = false;
  // Requests kept, numbers and contents, to resend those the exchange did not get before a
  // connection ended (at least 1).
  std::size_t resend_capacity = 65536;
};

// Start-up: returns `options` when every value is in range; otherwise throws
// std::invalid_argument "order gateway option NAME ..." with the value and the rule. The host
// is checked where it is resolved, in the OrderGateway constructor.
const OrderGatewayOptions& check_options(const OrderGatewayOptions& options);

}  // namespace llt::trading
