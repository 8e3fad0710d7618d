#pragma once

#include <atomic>
#include <cstdint>

namespace llt::test {

// An element that counts its constructions and destructions, so a container test can check
// that every element it constructed was destroyed exactly once.
struct LifetimeCounts {
  std::atomic<std::int64_t> constructed{0};
  std::atomic<std::int64_t> destroyed{0};
  [[nodiscard]] std::int64_t alive() const { return constructed.load() - destroyed.load(); }
};

class LifetimeTracker {
 public:
  LifetimeTracker(LifetimeCounts* counts, std::uint64_t value) : counts_(counts), value_(value) {
    counts_->constructed.fetch_add(1, std::memory_order_relaxed);
  }
  LifetimeTracker(const LifetimeTracker& other) noexcept
      : counts_(other.counts_), value_(other.value_) {
    counts_->constructed.fetch_add(1, std::memory_order_relaxed);
  }
  LifetimeTracker(LifetimeTracker&& other) noexcept : counts_(other.counts_), value_(other.value_) {
    counts_->constructed.fetch_add(1, std::memory_order_relaxed);
  }
  LifetimeTracker& operator=(const LifetimeTracker&) = delete;
  ~LifetimeTracker() { counts_->destroyed.fetch_add(1, std::memory_order_relaxed); }

  [[nodiscard]] std::uint64_t value() const { return value_; }

 private:
  LifetimeCounts* counts_;
  std::uint64_t value_;
};

}  // namespace llt::test
