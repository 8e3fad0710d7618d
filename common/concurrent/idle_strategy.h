#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <thread>

#include "common/concurrent/cache_line.h"

namespace llt::common {

// What a polling thread does after a pass over its agents. idle(work) is called with the
// amount of work the pass did: any work resets the strategy, none advances it.

// Busy-polls: lowest latency, burns its core. For pinned threads on cores of their own.
class SpinIdleStrategy {
 public:
  void idle(int work_count) noexcept {
    if (work_count == 0) {
      cpu_relax();
    }
  }
  void reset() noexcept {}
};

// Spins, then yields, then sleeps with an exponentially growing period, so an idle system
// does not burn its cores while a busy one still reacts within the spin phase.
struct BackoffOptions {
  std::uint32_t max_spins = 1000;
  std::uint32_t max_yields = 100;
  std::chrono::microseconds min_sleep{1};
  std::chrono::microseconds max_sleep{100};
};

class BackoffIdleStrategy {
 public:
  BackoffIdleStrategy() = default;
  explicit BackoffIdleStrategy(const BackoffOptions& options) : options_(options) {}

  void idle(int work_count) noexcept {
    if (work_count > 0) {
      reset();
      return;
    }
    if (spins_ < options_.max_spins) {
      ++spins_;
      cpu_relax();
    } else if (yields_ < options_.max_yields) {
      ++yields_;
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(sleep_);
      sleep_ = std::min(sleep_ * 2, options_.max_sleep);
    }
  }

  enum class Phase { kSpinning, kYielding, kSleeping };
  // What the next idle(0) will do.
  [[nodiscard]] Phase phase() const noexcept {
    if (spins_ < options_.max_spins)
      return Phase::kSpinning;
    if (yields_ < options_.max_yields)
      return Phase::kYielding;
    return Phase::kSleeping;
  }

  void reset() noexcept {
    spins_ = 0;
    yields_ = 0;
    sleep_ = options_.min_sleep;
  }

 private:
  BackoffOptions options_{};
  std::uint32_t spins_ = 0;
  std::uint32_t yields_ = 0;
  std::chrono::microseconds sleep_{options_.min_sleep};
};

// kBlock: spin a little, then park in the kernel until a watched socket is readable or a
// producer signals (common/concurrent/wait_set.h; run by AgentRunner, docs/architecture.md).
enum class IdleMode { kSpin, kBackoff, kBlock };

// "spin", "backoff" or "block"; nullopt for anything else.
[[nodiscard]] inline std::optional<IdleMode> parse_idle_mode(std::string_view text) noexcept {
  if (text == "spin")
    return IdleMode::kSpin;
  if (text == "backoff")
    return IdleMode::kBackoff;
  if (text == "block")
    return IdleMode::kBlock;
  return std::nullopt;
}

inline std::string_view to_string(IdleMode mode) noexcept {
  switch (mode) {
    case IdleMode::kSpin:
      return "spin";
    case IdleMode::kBackoff:
      return "backoff";
    case IdleMode::kBlock:
      return "block";
  }
  return "?";
}

}  // namespace llt::common
