#include "common/time/tsc_clock.h"

#include <cmath>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace llt::common {

namespace {

struct Sample {
  std::uint64_t ticks;
  std::uint64_t ns;
};

// A (tsc, monotonic) pair read as close together as possible: of a few tries, keep the one
// whose two rdtsc reads bracket clock_gettime most tightly.
Sample paired_sample() {
  Sample best{0, 0};
  std::uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t t0 = rdtsc();
    const std::uint64_t ns = monotonic_ns();
    const std::uint64_t t1 = rdtsc();
    if (t1 - t0 < best_gap) {
      best_gap = t1 - t0;
      best = Sample{t0 + (t1 - t0) / 2, ns};
    }
  }
  return best;
}

}  // namespace

bool TscClock::tsc_is_invariant() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000000U, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007U) {
    return false;
  }
  if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) == 0) {
    return false;
  }
  return (edx & (1U << 8)) != 0;
#else
  return false;
#endif
}

TscClock::TscClock(std::chrono::microseconds calibration, bool force_fallback) {
  if (!force_fallback && tsc_is_invariant()) {
    const Sample start = paired_sample();
    const auto wait_ns = static_cast<std::uint64_t>(calibration.count()) * 1000;
    while (monotonic_ns() - start.ns < wait_ns) {
    }
    const Sample end = paired_sample();
    const double ticks_per_ns =
        static_cast<double>(end.ticks - start.ticks) / static_cast<double>(end.ns - start.ns);
    if (std::isfinite(ticks_per_ns) && ticks_per_ns > 0.01) {
      source_ = Source::kTsc;
      ticks_per_ns_ = ticks_per_ns;
      ns_per_tick_q32_ = static_cast<std::uint64_t>(std::ldexp(1.0 / ticks_per_ns, 32));
    }
  }
  if (source_ == Source::kTsc) {
    const Sample base = paired_sample();
    base_ticks_ = base.ticks;
    base_monotonic_ns_ = base.ns;
  } else {
    base_ticks_ = monotonic_ns();
    base_monotonic_ns_ = base_ticks_;
  }
  base_realtime_ns_ = realtime_ns() - (monotonic_ns() - base_monotonic_ns_);
}

const TscClock& TscClock::instance() {
  static const TscClock clock;
  return clock;
}

}  // namespace llt::common
