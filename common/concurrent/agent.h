#pragma once

#include <string_view>

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
};

}  // namespace llt::common
