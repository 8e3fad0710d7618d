#pragma once

#include <chrono>
#include <cstdint>

#include "common/time/rdtsc.h"

namespace llt::common {

// A clock that reads the invariant TSC on the hot path and converts ticks to nanoseconds with
// a fixed-point multiply calibrated against CLOCK_MONOTONIC at construction. Where the TSC is
// not invariant (or not x86) it falls back to clock_gettime, and then a tick is a nanosecond.
//
// Thread contract: const after construction; every member is safe from any thread.
class TscClock {
 public:
  enum class Source { kTsc, kClockGettime };

  // Calibrates for about `calibration` (busy-waits; start-up only). force_fallback selects
  // clock_gettime even when the TSC is usable.
  explicit TscClock(std::chrono::microseconds calibration = std::chrono::milliseconds(20),
                    bool force_fallback = false);

  // The process-wide clock, calibrated on first use (thread-safe initialisation).
  static const TscClock& instance();

  [[nodiscard]] std::uint64_t now_ticks() const noexcept {
    return source_ == Source::kTsc ? rdtsc() : monotonic_ns();
  }

  // Duration in nanoseconds of a tick delta. Exact to the calibration's precision for deltas
  // of any size (128-bit product).
  [[nodiscard]] std::uint64_t ticks_to_ns(std::uint64_t ticks) const noexcept {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(ticks) * ns_per_tick_q32_) >> 32);
  }

  // The ticks of `duration`, never less than 1 (even for a zero or negative duration), so a
  // timer set from it is never due on every poll. Cold (a floating-point multiply): convert
  // options once, at construction, and compare tick deltas on the hot path.
  [[nodiscard]] std::uint64_t to_ticks(std::chrono::nanoseconds duration) const noexcept {
    const double ticks = static_cast<double>(duration.count()) * ticks_per_ns_;
    return ticks < 1.0 ? 1 : static_cast<std::uint64_t>(ticks);
  }

  // Nanoseconds elapsed between two now_ticks() readings; 0 if `end` is earlier.
  [[nodiscard]] std::uint64_t elapsed_ns(std::uint64_t start, std::uint64_t end) const noexcept {
    return end > start ? ticks_to_ns(end - start) : 0;
  }

  // CLOCK_MONOTONIC nanoseconds of a now_ticks() reading.
  [[nodiscard]] std::uint64_t to_monotonic_ns(std::uint64_t ticks) const noexcept {
    return ticks >= base_ticks_ ? base_monotonic_ns_ + ticks_to_ns(ticks - base_ticks_)
                                : base_monotonic_ns_ - ticks_to_ns(base_ticks_ - ticks);
  }

  // Wall-clock (CLOCK_REALTIME) nanoseconds since the epoch of a now_ticks() reading, as of
  // calibration: used by the logger backend to print timestamps.
  [[nodiscard]] std::uint64_t to_realtime_ns(std::uint64_t ticks) const noexcept {
    return to_monotonic_ns(ticks) - base_monotonic_ns_ + base_realtime_ns_;
  }

  [[nodiscard]] std::uint64_t now_ns() const noexcept { return to_monotonic_ns(now_ticks()); }

  [[nodiscard]] Source source() const noexcept { return source_; }
  [[nodiscard]] double ticks_per_ns() const noexcept { return ticks_per_ns_; }

  // True when this CPU advertises an invariant TSC (CPUID 0x80000007, EDX bit 8).
  [[nodiscard]] static bool tsc_is_invariant() noexcept;

 private:
  Source source_ = Source::kClockGettime;
  double ticks_per_ns_ = 1.0;
  std::uint64_t ns_per_tick_q32_ = std::uint64_t{1} << 32;  // ns per tick, 32.32 fixed point
  std::uint64_t base_ticks_ = 0;
  std::uint64_t base_monotonic_ns_ = 0;
  std::uint64_t base_realtime_ns_ = 0;
};

}  // namespace llt::common
