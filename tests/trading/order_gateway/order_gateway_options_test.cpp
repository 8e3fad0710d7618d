// check_options(OrderGatewayOptions): every rule refuses its value and names the option.
#include "trading/order_gateway/order_gateway_options.h"

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace llt::trading {
namespace {

using namespace std::chrono_literals;

std::string refusal(const OrderGatewayOptions& options) {
  try {
    (void)check_options(options);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(OrderGatewayOptions, the_defaults_pass_and_are_returned_as_given) {
  const OrderGatewayOptions options;
  EXPECT_EQ(&check_options(options), &options);
}

TEST(OrderGatewayOptions, every_rule_names_the_option) {
  const std::vector<std::pair<std::string, std::function<void(OrderGatewayOptions&)>>> cases{
      {"client_id must not be 0", [](auto& o) { o.client_id = 0; }},
      {"port must not be 0", [](auto& o) { o.port = 0; }},
      {"reconnect_initial must be > 0 ms, got 0", [](auto& o) { o.reconnect_initial = 0ms; }},
      {"reconnect_max must be > 0 ms, got -1", [](auto& o) { o.reconnect_max = -1ms; }},
      {"reconnect_initial (300 ms) must not exceed reconnect_max (200 ms)",
       [](auto& o) {
         o.reconnect_initial = 300ms;
         o.reconnect_max = 200ms;
       }},
      {"heartbeat_interval must be > 0 ms", [](auto& o) { o.heartbeat_interval = 0ms; }},
      {"connect_timeout must be > 0 ms", [](auto& o) { o.connect_timeout = 0ms; }},
      {"logon_timeout must be > 0 ms", [](auto& o) { o.logon_timeout = 0ms; }},
      {"receive_timeout must be >= 0 ms, got -5", [](auto& o) { o.receive_timeout = -5ms; }},
      {"receive_buffer_bytes must hold one ClientResponse",
       [](auto& o) { o.receive_buffer_bytes = 50; }},
      {"send_buffer_bytes must hold one ClientRequest", [](auto& o) { o.send_buffer_bytes = 37; }},
      {"max_requests_per_poll must be > 0", [](auto& o) { o.max_requests_per_poll = 0; }},
      {"max_responses_per_poll must be > 0", [](auto& o) { o.max_responses_per_poll = 0; }},
      {"resend_capacity must be > 0", [](auto& o) { o.resend_capacity = 0; }},
  };
  for (const auto& [expected, spoil] : cases) {
    OrderGatewayOptions options;
    spoil(options);
    const std::string message = refusal(options);
    EXPECT_EQ(message.rfind("order gateway option " + expected, 0), 0U)
        << "expected '" << expected << "', got '" << message << "'";
  }
}

TEST(OrderGatewayOptions, the_smallest_valid_values_pass) {
  OrderGatewayOptions options;
  options.receive_timeout = 0ms;  // never
  options.receive_buffer_bytes = sizeof(exchange::ClientResponse);
  options.send_buffer_bytes = sizeof(exchange::ClientRequest);
  options.reconnect_initial = 1ms;
  options.reconnect_max = 1ms;
  options.max_requests_per_poll = 1;
  options.max_responses_per_poll = 1;
  options.resend_capacity = 1;
  EXPECT_EQ(refusal(options), "");
}

}  // namespace
}  // namespace llt::trading
