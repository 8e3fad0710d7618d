#include "trading/order_gateway/order_gateway_options.h"

#include <stdexcept>
#include <string>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"

namespace llt::trading {
namespace {

using exchange::ClientRequest;
using exchange::ClientResponse;

[[noreturn]] void reject_option(const std::string& what) {
  throw std::invalid_argument("order gateway option " + what);
}

void require_positive(std::chrono::milliseconds value, const char* name) {
  if (value.count() <= 0) {
    reject_option(std::string(name) + " must be > 0 ms, got " + std::to_string(value.count()));
  }
}

}  // namespace

const OrderGatewayOptions& check_options(const OrderGatewayOptions& options) {
  if (options.client_id == exchange::kInvalidClientId) {
    reject_option("client_id must not be 0");
  }
  if (options.port == 0) {
    reject_option("port must not be 0");
  }
  require_positive(options.reconnect_initial, "reconnect_initial");
  require_positive(options.reconnect_max, "reconnect_max");
  if (options.reconnect_initial > options.reconnect_max) {
    reject_option("reconnect_initial (" + std::to_string(options.reconnect_initial.count()) +
                  " ms) must not exceed reconnect_max (" +
                  std::to_string(options.reconnect_max.count()) + " ms)");
  }
  require_positive(options.heartbeat_interval, "heartbeat_interval");
  require_positive(options.connect_timeout, "connect_timeout");
  require_positive(options.logon_timeout, "logon_timeout");
  if (options.receive_timeout.count() < 0) {
    reject_option("receive_timeout must be >= 0 ms, got " +
                  std::to_string(options.receive_timeout.count()));
  }
  if (options.receive_buffer_bytes < sizeof(ClientResponse)) {
    reject_option("receive_buffer_bytes must hold one ClientResponse (" +
                  std::to_string(sizeof(ClientResponse)) + " bytes), got " +
                  std::to_string(options.receive_buffer_bytes));
  }
  if (options.send_buffer_bytes < sizeof(ClientRequest)) {
    reject_option("send_buffer_bytes must hold one ClientRequest (" +
                  std::to_string(sizeof(ClientRequest)) + " bytes), got " +
                  std::to_string(options.send_buffer_bytes));
  }
  if (options.max_requests_per_poll == 0) {
    reject_option("max_requests_per_poll must be > 0");
  }
  if (options.max_responses_per_poll == 0) {
    reject_option("max_responses_per_poll must be > 0");
  }
  if (options.resend_capacity == 0) {
    reject_option("resend_capacity must be > 0");
  }
  return options;
}

}  // namespace llt::trading
