#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/io_backend.h"

namespace llt::test {

// The I/O back end a test's servers use: LLT_TEST_IO=uring selects io_uring, anything else
// (or nothing) epoll. ctest runs the order server suites and the hostile clients a second time
// with it set (tests/CMakeLists.txt), so both back ends meet the same checks.
inline common::IoBackend test_io_backend() {
  const char* value = std::getenv("LLT_TEST_IO");
  return value != nullptr && std::string_view(value) == "uring" ? common::IoBackend::kUring
                                                                : common::IoBackend::kEpoll;
}

// The exchange flags that select it.
inline std::vector<std::string> test_io_flags() {
  return {"--io", std::string(common::to_string(test_io_backend()))};
}

}  // namespace llt::test
