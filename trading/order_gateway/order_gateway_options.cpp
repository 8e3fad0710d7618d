#include "trading/order_gateway/order_gateway_options.h"

#include "trading/trading_options.h"

namespace llt::trading {

OrderGatewayOptions make_order_gateway_options(const TradingOptions& options) {
  OrderGatewayOptions gateway;
  gateway.host = options.host;
  gateway.port = options.port;
  gateway.client_id = options.client_id;
  gateway.reconnect_max = std::chrono::milliseconds(options.reconnect_max_ms);
  if (gateway.reconnect_initial > gateway.reconnect_max) {
    gateway.reconnect_initial = gateway.reconnect_max;
  }
  return gateway;
}

}  // namespace llt::trading
