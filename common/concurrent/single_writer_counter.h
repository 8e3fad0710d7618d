#pragma once

#include <atomic>
#include <cstdint>

namespace llt::common {

// A statistic that one thread (an agent's) counts and any thread may read, for status lines
// while the agents run. The increment is a relaxed load and store, not an atomic
// read-modify-write, so it costs a plain add and store (no lock prefix): correct only while a
// single thread writes. Readers see a recent value; several counters read together are not a
// consistent set.
class SingleWriterCounter {
 public:
  // Writer thread only.
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Writer thread only.
  void set(std::uint64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  // Any thread.
  [[nodiscard]] std::uint64_t load() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace llt::common
