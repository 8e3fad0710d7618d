#include "exchange/market_data/market_data_publisher.h"

#include <stdexcept>

namespace llt::exchange {

const MarketDataPublisherOptions& check_options(const MarketDataPublisherOptions& options) {
  if (options.heartbeat_ms == 0) {
    throw std::invalid_argument("market data publisher: --md-heartbeat-ms must be > 0");
  }
  if (options.max_datagrams_per_poll == 0) {
    throw std::invalid_argument("market data publisher: max datagrams per poll must be > 0");
  }
  return options;
}

template class BasicMarketDataPublisher<common::McastSender>;

}  // namespace llt::exchange
