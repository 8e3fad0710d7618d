#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace llt::trading {

// The wait before each reconnect attempt: `initial` after the first failure, doubling after
// each further consecutive failure, capped at `max`; a successful logon resets it. Doubling
// keeps a restarting exchange from being hammered, the cap bounds how long a client stays
// away once the exchange is back.
//
// Thread contract: not thread-safe; the owning agent's thread calls every member.
class ReconnectBackoff {
 public:
  // initial <= max is the caller's contract (OrderGatewayOptions are validated).
  ReconnectBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) noexcept
      : initial_ns_(to_ns(initial)), max_ns_(std::max(to_ns(max), to_ns(initial))) {}

  // The wait before the next attempt, in nanoseconds; the one after it doubles.
  [[nodiscard]] std::uint64_t next_delay_ns() noexcept {
    const std::uint64_t delay = current_ns_ == 0 ? initial_ns_ : current_ns_;
    current_ns_ = delay >= max_ns_ / 2 ? max_ns_ : delay * 2;
    return delay;
  }

  // After a successful logon: the next failure waits `initial` again.
  void reset() noexcept { current_ns_ = 0; }

 private:
  static std::uint64_t to_ns(std::chrono::milliseconds ms) noexcept {
    return ms.count() <= 0 ? 0 : static_cast<std::uint64_t>(ms.count()) * 1'000'000ULL;
  }

  std::uint64_t initial_ns_;
  std::uint64_t max_ns_;
  std::uint64_t current_ns_ = 0;  // 0: no failure since the last reset
};

}  // namespace llt::trading
