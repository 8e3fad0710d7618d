#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/net/io_backend.h"

namespace llt::exchange {

struct OrderServerOptions {
  std::string address = "127.0.0.1";  // IPv4 address to listen on (--port binds here)
  std::uint16_t port = 12345;         // 0: the kernel picks one, see OrderServer::port()
  // Concurrent TCP sessions (connections in any state); further connections are accepted and
  // closed at once.
  std::size_t max_sessions = 256;
  // A HEARTBEAT goes to a logged-on client when nothing was sent to it for this long.
  std::chrono::milliseconds heartbeat_interval{1000};
  // A session that sent nothing for this long is closed (--heartbeat-timeout-ms).
  std::chrono::milliseconds heartbeat_timeout{10000};
  // Rejected messages after which a session is closed (the last one is still answered).
  std::uint32_t max_invalid_messages = 10;
  // NEW and CANCEL requests a session may send per second (bursts up to as many); beyond,
  // REJECTED(THROTTLED). 0: no limit (--max-orders-per-second).
  std::uint32_t max_orders_per_second = 0;
  // Per session: the bound on responses written but not yet taken by the kernel. A client
  // that does not read until this buffer cannot take its next response is disconnected (and
  // its orders cancelled); nothing is ever skipped.
  std::size_t send_buffer_bytes = 64 * 1024;
  // Per session: received bytes not yet decoded (at least one request).
  std::size_t receive_buffer_bytes = 32 * 1024;
  // SO_SNDBUF of each session socket, in bytes; 0 keeps the kernel's (autotuned) default.
  // With a value set, the kernel holds at most about twice this for a slow reader.
  int socket_send_buffer_bytes = 0;
  // How long a session that is being closed with a final reply (LOGON_REJECTED, NOT_LOGGED_IN,
  // LOGOUT, ...) may take to flush it before the socket is closed anyway.
  std::chrono::milliseconds close_grace{100};
  // Requests the FIFO sequencer holds while the engine's queue is full; when they are all
  // taken the server stops decoding (bytes wait in the socket buffers). Room for one
  // cancel-on-disconnect per session is reserved on top of this.
  std::size_t max_pending_requests = 4096;
  // Client ids known in one trading day (each has its numbered streams); a LOGON with one more
  // gets LOGON_REJECTED(CAPACITY) (--max-clients).
  std::size_t max_clients = 256;
  // Responses kept per client for replay (rounded up to a power of two); older ones are
  // REPLAY_UNAVAILABLE (--replay-depth).
  std::size_t replay_depth = 65536;
  // Each logged-on client's replay ring is committed this far ahead of its next response by
  // a background thread, so the order server's thread does not commit the ring's memory
  // itself (docs/recovery.md, Committing the rings ahead of the writer); 0 leaves it to the writes.
  std::size_t response_prefault_bytes = std::size_t{4} << 20;
  // Engine responses routed by one poll(), so agents sharing a thread all get their turn.
  std::uint32_t max_responses_per_poll = 1024;
  std::size_t max_events_per_poll = 64;   // epoll events or ring completions per poll()
  std::size_t max_accepts_per_poll = 32;  // connections accepted by one poll()
  // epoll or io_uring (docs/io_backends.md). With uring, responses are handed to the kernel
  // together at the end of each routing pass, and send_buffer_bytes also holds the bytes of
  // a send the kernel has not finished.
  common::IoBackend io = common::IoBackend::kEpoll;
};

// Start-up: returns `options` when every value is in range; otherwise throws
// std::invalid_argument naming the option, its value and the rule.
const OrderServerOptions& check_options(const OrderServerOptions& options);

}  // namespace llt::exchange
