#pragma once

#include <cstdint>
#include <string_view>

#include "common/concurrent/wait_set.h"

namespace llt::common {

// A stage of the pipeline. The runner calls poll() in a loop on the thread it places the agent
// on; poll() does a bounded amount of work without blocking and returns how much it did
// (0 means it found nothing to do, which lets the idle strategy back off).
//
// Thread contract: on_start, every poll and on_stop run on the same thread, in that order.
class Agent {
 public:
  virtual ~Agent() = default;
  virtual int poll() = 0;
  [[nodiscard]] virtual std::string_view name() const = 0;
  virtual void on_start() {}
  virtual void on_stop() {}

  // Block idle strategy only (docs/architecture.md): called once on the agent's thread, after
  // on_start and before the first poll. The agent watches the descriptors whose readiness
  // means work for poll(), hands `waits.signal()` to the queues it consumes
  // (SpscQueue::set_consumer_wake), and may keep `waits` to watch the sockets it opens later.
  virtual void on_wait_set(WaitSet& /*waits*/) {}

  // Block idle strategy only: how long, from now, the agent may go unpolled without missing
  // a timer of its own (an order due, a heartbeat). The thread never parks longer than the
  // least of its agents' answers, nor longer than RunnerOptions::max_park.
  [[nodiscard]] virtual std::uint64_t max_park_ns() const noexcept { return UINT64_MAX; }
};

}  // namespace llt::common
