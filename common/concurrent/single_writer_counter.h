#pragma once

#include <atomic>
#include <cstdint>

namespace llt::common {

// Statistics that one thread (an agent's) writes and any thread may read, for status lines
// and summaries while the agents run. Every write is a relaxed load and store, not an atomic
// read-modify-write, so it costs a plain add and store (no lock prefix): correct only while a
// single thread writes. A reader never sees a torn value; it sees a recent one, and several
// read together are not a consistent set.
//
// Two types, because a count and a level are read differently: a SingleWriterCounter only
// grows (or mirrors a count kept elsewhere, set()), so a reader may take differences between
// two reads as rates; a SingleWriterGauge is a signed level that goes up and down (open
// sessions, a position, P&L in cents).

// A count of events: unsigned, growing.
class SingleWriterCounter {
 public:
  // Writer thread only.
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Writer thread only: mirrors a count (or a last seq_num) the writer keeps elsewhere.
  void set(std::uint64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  // Any thread.
  [[nodiscard]] std::uint64_t load() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A level: signed, up and down.
class SingleWriterGauge {
 public:
  // Writer thread only.
  void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  // Writer thread only.
  void add(std::int64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Writer thread only.
  void sub(std::int64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  // Any thread.
  [[nodiscard]] std::int64_t load() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace llt::common
