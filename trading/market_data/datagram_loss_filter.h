#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace llt::trading {

// The --md-loss-rate debug knob: decides, for each incremental datagram read, whether to drop
// it on purpose so that gap recovery runs on a healthy network. Deterministic for a given seed
// (splitmix64), so a test or a bug report can replay the same losses; no <random> engine, no
// allocation, a multiply and a compare per datagram.
//
// Thread contract: not thread-safe; the market data consumer's thread.
class DatagramLossFilter {
 public:
  // rate in [0, 1]: the fraction of datagrams dropped (0: none, 1: all). Throws
  // std::invalid_argument naming the value otherwise.
  explicit DatagramLossFilter(double rate = 0.0, std::uint64_t seed = 1) : state_(seed) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw std::invalid_argument("--md-loss-rate must be in [0, 1], got " + std::to_string(rate));
    }
    // A 64-bit draw is dropped when below rate * 2^64; rate 1 drops every draw.
    enabled_ = rate > 0.0;
    all_ = rate >= 1.0;
    threshold_ = all_ ? UINT64_MAX : static_cast<std::uint64_t>(std::ldexp(rate, 64));
  }

  // True when this datagram is to be dropped. Draws only when the knob is on, so rate 0 costs a
  // predictable branch.
  [[nodiscard]] bool drop() noexcept {
    if (!enabled_) {
      return false;
    }
    const std::uint64_t draw = next();
    return all_ || draw < threshold_;
  }

  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

 private:
  // splitmix64 (Steele, Lea, Flood 2014): passes BigCrush, one state word.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
  std::uint64_t threshold_ = 0;
  bool enabled_ = false;
  bool all_ = false;
};

}  // namespace llt::trading
