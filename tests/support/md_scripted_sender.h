#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/net/io_status.h"
#include "exchange/market_data/datagram_sender.h"
#include "exchange/protocol/market_update.h"

namespace llt::test {

// A DatagramSender for unit tests that need the paths a loopback socket practically never
// takes: it keeps every datagram it accepts, refuses the next N sends with kWouldBlock or fails
// them with kError on request. Not a network: nothing leaves the process.
class MdScriptedSender {
 public:
  MdScriptedSender(std::string_view /*group*/, std::uint16_t /*port*/,
                   std::string_view /*interface*/, int /*ttl*/) {}

  common::IoResult send(const void* data, std::size_t size) noexcept {
    ++attempts_;
    if (refuse_ > 0) {
      --refuse_;
      return {common::IoStatus::kWouldBlock, 0, 0};
    }
    if (fail_ > 0) {
      --fail_;
      return {common::IoStatus::kError, 0, EIO};
    }
    std::vector<exchange::MarketUpdate> records(size / sizeof(exchange::MarketUpdate));
    std::memcpy(records.data(), data, records.size() * sizeof(exchange::MarketUpdate));
    sizes_.push_back(size);
    datagrams_.push_back(std::move(records));
    return {common::IoStatus::kOk, size, 0};
  }

  // The next n sends return kWouldBlock (nothing sent).
  void refuse_next(int n) { refuse_ = n; }
  // After any refusals, the next n sends return kError with EIO.
  void fail_next(int n) { fail_ = n; }

  [[nodiscard]] const std::vector<std::vector<exchange::MarketUpdate>>& datagrams() const {
    return datagrams_;
  }
  [[nodiscard]] const std::vector<std::size_t>& sizes() const { return sizes_; }
  // Every record accepted, in order.
  [[nodiscard]] std::vector<exchange::MarketUpdate> records() const {
    std::vector<exchange::MarketUpdate> all;
    for (const auto& datagram : datagrams_) {
      all.insert(all.end(), datagram.begin(), datagram.end());
    }
    return all;
  }
  [[nodiscard]] int attempts() const { return attempts_; }
  void clear() {
    datagrams_.clear();
    sizes_.clear();
  }

 private:
  int refuse_ = 0;
  int fail_ = 0;
  int attempts_ = 0;
  std::vector<std::vector<exchange::MarketUpdate>> datagrams_;
  std::vector<std::size_t> sizes_;
};

static_assert(exchange::DatagramSender<MdScriptedSender>);

}  // namespace llt::test
