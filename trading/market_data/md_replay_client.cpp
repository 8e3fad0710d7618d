#include "trading/market_data/md_replay_client.h"

#include <stdexcept>
#include <string>

#include "common/net/socket_address.h"

namespace llt::trading {
namespace {

std::uint64_t checked_timeout_ticks(std::uint16_t port, std::uint32_t timeout_ms,
                                    const common::TscClock& clock) {
  if (port == 0) {
    throw std::invalid_argument("market data replay port must be > 0, got 0");
  }
  if (timeout_ms == 0) {
    throw std::invalid_argument("market data replay timeout must be > 0 ms, got 0");
  }
  return clock.to_ticks(std::chrono::milliseconds(timeout_ms));
}

}  // namespace

MdReplayClient::MdReplayClient(const std::string& host, std::uint16_t port,
                               std::uint32_t timeout_ms, const common::TscClock& clock)
    : address_(common::make_sockaddr(host, port)),
      timeout_ticks_(checked_timeout_ticks(port, timeout_ms, clock)),
      connection_(kReceiveBytes, kSendBytes) {}

}  // namespace llt::trading
