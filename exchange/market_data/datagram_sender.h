#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/net/io_status.h"
#include "common/net/mcast_socket.h"
#include "exchange/protocol/market_update.h"

namespace llt::exchange {

// What the market data agents send datagrams through: common::McastSender in the exchange,
// a scripted fake in tests (to reach the kWouldBlock and kError paths, which a loopback
// socket practically never takes). Constructed from (group, port, interface, ttl); send()
// returns kOk when the whole datagram went out, kWouldBlock when nothing was sent and the
// same datagram may be retried, kError (with errno) otherwise. send_datagrams(data, size,
// datagram_size) sends consecutive datagrams of datagram_size bytes (the last may be shorter)
// and reports in `bytes` the whole datagrams that went out when it returns kWouldBlock or
// kError (common::McastSender::send_datagrams).
template <typename Sender>
concept DatagramSender =
    std::constructible_from<Sender, std::string_view, std::uint16_t, std::string_view, int> &&
    requires(Sender& sender, const void* data, std::size_t size) {
  { sender.send(data, size) }
  noexcept->std::same_as<common::IoResult>;
  { sender.send_datagrams(data, size, size) }
  noexcept->std::same_as<common::IoResult>;
};

// A full datagram of the market data streams, in bytes.
inline constexpr std::size_t kMaxDatagramBytes = kMaxUpdatesPerDatagram * sizeof(MarketUpdate);

// The most datagrams a market data agent hands to one send_datagrams() call
// (docs/io_backends.md, Market data datagrams).
inline constexpr std::size_t kMaxDatagramsPerSend = 16;
static_assert(kMaxDatagramsPerSend <= common::McastSender::kMaxSegmentsPerSend,
              "one send_datagrams() call carries them all");

// The datagrams `records` records fill, kMaxUpdatesPerDatagram to a datagram.
[[nodiscard]] constexpr std::size_t datagrams_of(std::size_t records) noexcept {
  return (records + kMaxUpdatesPerDatagram - 1) / kMaxUpdatesPerDatagram;
}

}  // namespace llt::exchange
