#pragma once

#include <algorithm>
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
    if (accept_first_ > 0) {
      --accept_first_;
    } else if (refuse_ > 0) {
      --refuse_;
      return {common::IoStatus::kWouldBlock, 0, 0};
    } else if (fail_ > 0) {
      --fail_;
      return {common::IoStatus::kError, 0, EIO};
    }
    std::vector<exchange::MarketUpdate> records(size / sizeof(exchange::MarketUpdate));
    std::memcpy(records.data(), data, records.size() * sizeof(exchange::MarketUpdate));
    sizes_.push_back(size);
    datagrams_.push_back(std::move(records));
    return {common::IoStatus::kOk, size, 0};
  }

  // Datagram by datagram through send(), so refusals and failures apply to each: stops at the
  // first one refused or failed, reporting the datagrams accepted before it.
  common::IoResult send_datagrams(const void* data, std::size_t size,
                                  std::size_t datagram_size) noexcept {
    ++multi_calls_;
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < size) {
      const std::size_t n = std::min(datagram_size, size - done);
      const common::IoResult result = send(bytes + done, n);
      if (!result.ok()) {
        return {result.status, done, result.error};
      }
      done += n;
    }
    return {common::IoStatus::kOk, size, 0};
  }

  // After `after` more accepted sends, the next n return kWouldBlock (nothing sent).
  void refuse_next(int n, int after = 0) {
    refuse_ = n;
    accept_first_ = after;
  }
  // After `after` more accepted sends and any refusals, the next n return kError with EIO.
  void fail_next(int n, int after = 0) {
    fail_ = n;
    accept_first_ = after;
  }

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
  // send_datagrams() calls (each may carry several datagrams).
  [[nodiscard]] int multi_calls() const { return multi_calls_; }
  void clear() {
    datagrams_.clear();
    sizes_.clear();
  }

 private:
  int accept_first_ = 0;
  int refuse_ = 0;
  int fail_ = 0;
  int attempts_ = 0;
  int multi_calls_ = 0;
  std::vector<std::vector<exchange::MarketUpdate>> datagrams_;
  std::vector<std::size_t> sizes_;
};

static_assert(exchange::DatagramSender<MdScriptedSender>);

}  // namespace llt::test
