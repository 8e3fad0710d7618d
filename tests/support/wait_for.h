#pragma once

#include <chrono>
#include <thread>

namespace llt::test {

// Polls `done` every millisecond for up to `limit`; returns whether it came true, so a test
// fails rather than hangs.
template <typename Predicate>
bool wait_for(Predicate done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace llt::test
