#pragma once

#include <cstdint>
#include <ctime>

namespace llt::common {

// Raw time-stamp counter. Not serializing: it may be reordered with nearby loads and stores,
// which is the right trade for stamping hops (tens of cycles of skew, no pipeline flush).
inline std::uint64_t rdtsc() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
#endif
}

// CLOCK_MONOTONIC in nanoseconds (vDSO, no system call on Linux).
inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// CLOCK_REALTIME in nanoseconds since the Unix epoch.
inline std::uint64_t realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace llt::common
