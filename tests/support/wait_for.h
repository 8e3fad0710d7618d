#pragma once

#include <chrono>
#include <thread>

namespace llt::test {

// How long a test waits by default for something that must happen (a response, a close, a
// counter): a passing run waits only as long as it takes, and a loaded machine running a
// sanitized build can take seconds where an idle one takes microseconds. A check that
// something does not happen passes its own short limit.
inline constexpr std::chrono::seconds kEventLimit{20};

// Polls `done` every millisecond for up to `limit`; returns whether it came true, so a test
// fails rather than hangs.
template <typename Predicate>
bool wait_for(Predicate done, std::chrono::milliseconds limit = kEventLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace llt::test
