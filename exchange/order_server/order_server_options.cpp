#include "exchange/order_server/order_server_options.h"

#include <stdexcept>
#include <string>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"

namespace llt::exchange {
namespace {

constexpr std::size_t kMaxSessionsLimit = std::size_t{1} << 16;
constexpr std::size_t kMaxBufferBytes = std::size_t{1} << 30;

[[noreturn]] void bad_option(const std::string& name, const std::string& value,
                             const std::string& rule) {
  throw std::invalid_argument("OrderServerOptions::" + name + " = " + value + ": " + rule);
}

void check_range(const char* name, std::uint64_t value, std::uint64_t low, std::uint64_t high) {
  if (value < low || value > high) {
    bad_option(name, std::to_string(value),
               "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
}

void check_positive(const char* name, std::chrono::milliseconds value) {
  if (value.count() <= 0) {
    bad_option(name, std::to_string(value.count()) + " ms", "must be > 0");
  }
}

}  // namespace

const OrderServerOptions& check_options(const OrderServerOptions& options) {
  check_range("max_sessions", options.max_sessions, 1, kMaxSessionsLimit);
  check_positive("heartbeat_interval", options.heartbeat_interval);
  check_positive("heartbeat_timeout (--heartbeat-timeout-ms)", options.heartbeat_timeout);
  check_positive("close_grace", options.close_grace);
  check_range("max_invalid_messages", options.max_invalid_messages, 1, UINT32_MAX);
  check_range("send_buffer_bytes", options.send_buffer_bytes, sizeof(ClientResponse),
              kMaxBufferBytes);
  check_range("receive_buffer_bytes", options.receive_buffer_bytes, sizeof(ClientRequest),
              kMaxBufferBytes);
  if (options.socket_send_buffer_bytes < 0) {
    bad_option("socket_send_buffer_bytes", std::to_string(options.socket_send_buffer_bytes),
               "must be >= 0 (0: the kernel's default)");
  }
  check_range("max_pending_requests", options.max_pending_requests, 1, std::size_t{1} << 24);
  check_range("max_clients (--max-clients)", options.max_clients, 1, std::size_t{1} << 20);
  check_range("replay_depth (--replay-depth)", options.replay_depth, 1, std::size_t{1} << 26);
  if (options.response_prefault_bytes > (std::size_t{1} << 30)) {
    bad_option("response_prefault_bytes", std::to_string(options.response_prefault_bytes),
               "must be at most 1 GiB (0: off)");
  }
  check_range("max_responses_per_poll", options.max_responses_per_poll, 1, UINT32_MAX);
  check_range("max_events_per_poll", options.max_events_per_poll, 1, 1 << 16);
  check_range("max_accepts_per_poll", options.max_accepts_per_poll, 1, 1 << 16);
  return options;
}

}  // namespace llt::exchange
