#include "common/time/tsc_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

namespace llt::common {
namespace {

using namespace std::chrono_literals;

// Measures a sleep with both the clock under test and CLOCK_MONOTONIC; they must agree to a
// few percent. A preemption between the two clock reads skews one try, so the best of three
// counts.
void expect_agrees_with_monotonic(const TscClock& clock) {
  double best = 1e9;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::uint64_t t0 = clock.now_ticks();
    const std::uint64_t m0 = monotonic_ns();
    std::this_thread::sleep_for(50ms);
    const std::uint64_t t1 = clock.now_ticks();
    const std::uint64_t m1 = monotonic_ns();
    const double ratio =
        static_cast<double>(clock.elapsed_ns(t0, t1)) / static_cast<double>(m1 - m0);
    if (std::abs(ratio - 1.0) < std::abs(best - 1.0))
      best = ratio;
  }
  EXPECT_NEAR(best, 1.0, 0.05);
}

TEST(TscClock, agrees_with_clock_monotonic) {
  expect_agrees_with_monotonic(TscClock::instance());
}

TEST(TscClock, fallback_agrees_with_clock_monotonic) {
  const TscClock fallback(1ms, /*force_fallback=*/true);
  EXPECT_EQ(fallback.source(), TscClock::Source::kClockGettime);
  EXPECT_DOUBLE_EQ(fallback.ticks_per_ns(), 1.0);
  expect_agrees_with_monotonic(fallback);
}

TEST(TscClock, uses_the_tsc_where_it_is_invariant) {
  const TscClock& clock = TscClock::instance();
  if (!TscClock::tsc_is_invariant()) {
    EXPECT_EQ(clock.source(), TscClock::Source::kClockGettime);
    GTEST_SKIP() << "this CPU has no invariant TSC";
  }
  EXPECT_EQ(clock.source(), TscClock::Source::kTsc);
  EXPECT_GT(clock.ticks_per_ns(), 0.1);
  EXPECT_LT(clock.ticks_per_ns(), 10.0);
}

TEST(TscClock, now_ns_tracks_monotonic_time) {
  const TscClock& clock = TscClock::instance();
  const auto before = static_cast<std::int64_t>(monotonic_ns());
  const auto now = static_cast<std::int64_t>(clock.now_ns());
  const auto after = static_cast<std::int64_t>(monotonic_ns());
  // Calibration error accumulates with time since calibration; a millisecond is generous.
  EXPECT_GE(now, before - 1'000'000);
  EXPECT_LE(now, after + 1'000'000);
}

TEST(TscClock, realtime_conversion_is_close_to_the_wall_clock) {
  const TscClock& clock = TscClock::instance();
  const auto wall = static_cast<std::int64_t>(realtime_ns());
  const auto converted = static_cast<std::int64_t>(clock.to_realtime_ns(clock.now_ticks()));
  EXPECT_NEAR(static_cast<double>(converted - wall), 0.0, 5e6);
}

TEST(TscClock, converts_large_tick_deltas_without_overflow) {
  const TscClock& clock = TscClock::instance();
  const std::uint64_t hour_ticks = static_cast<std::uint64_t>(3600.0 * 1e9 * clock.ticks_per_ns());
  const double ns = static_cast<double>(clock.ticks_to_ns(hour_ticks));
  EXPECT_NEAR(ns / 3.6e12, 1.0, 1e-6);
}

TEST(TscClock, converts_a_duration_to_ticks_and_back) {
  const TscClock& clock = TscClock::instance();
  const std::uint64_t ticks = clock.to_ticks(250ms);
  EXPECT_NEAR(static_cast<double>(clock.ticks_to_ns(ticks)) / 250e6, 1.0, 1e-6);
  EXPECT_EQ(clock.to_ticks(0ns), 1U) << "never 0 ticks";
  EXPECT_EQ(clock.to_ticks(-5ms), 1U);
}

TEST(TscClock, elapsed_is_zero_when_end_precedes_start) {
  EXPECT_EQ(TscClock::instance().elapsed_ns(100, 50), 0U);
}

}  // namespace
}  // namespace llt::common
