// Replaces the global operator new/delete to count the heap allocations made by the calling
// thread, and checks that a registered thread's log calls make none.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <thread>

#include "common/logging/logger.h"
#include "tests/support/allocation_counter.h"

namespace {

// Counts the calling thread's allocations from construction on (the backend's and
// GoogleTest's threads are not counted).
class AllocationCounter {
 public:
  AllocationCounter() : start_(llt::test::thread_allocations()) {}
  std::size_t count() const { return llt::test::thread_allocations() - start_; }

 private:
  std::uint64_t start_;
};

}  // namespace

namespace llt::common {
namespace {

enum class Side : std::int8_t { kBuy = 1, kSell = -1 };

LoggerOptions null_output() {
  LoggerOptions options;
  options.path = "/dev/null";
  options.min_level = LogLevel::kDebug;
  options.queue_capacity = 1024;
  return options;
}

TEST(LoggerAlloc, the_counter_sees_allocations_on_this_thread) {
  AllocationCounter counter;
  // Through a volatile pointer: a new/delete pair nobody observes may be elided (clang does).
  int* volatile p = new int(1);
  const std::size_t seen = counter.count();
  delete p;
  EXPECT_EQ(seen, 1U);
}

TEST(LoggerAlloc, steady_state_log_calls_do_not_allocate_on_the_caller_thread) {
  Logger logger(null_output());
  ASSERT_TRUE(logger.register_thread("alloc-test"));
  const std::string owned = "owned string";
  const std::string_view view = "view";
  std::size_t allocations = 0;
  {
    AllocationCounter counter;
    // More calls than the queue holds, so the full-queue (drop) path runs too.
    for (int i = 0; i < 20'000; ++i) {
      LLT_LOG_INFO(logger, "int {} double {}", i, i * 0.5);
      LLT_LOG_WARN(logger, "strings {} {} {}", "literal", owned, view);
      LLT_LOG_ERROR(logger, "enum {} bool {} char {}", Side::kSell, true, 'x');
      LLT_LOG_DEBUG(logger, "no arguments");
    }
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0U);
  logger.stop();
  {
    AllocationCounter counter;
    LLT_LOG_INFO(logger, "after stop {}", 1);  // counted as dropped, still no allocation
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0U);
}

TEST(LoggerAlloc, only_the_first_call_of_an_unregistered_thread_allocates) {
  Logger logger(null_output());
  std::size_t first = 0;
  std::size_t later = 0;
  std::thread producer([&] {
    {
      AllocationCounter counter;
      LLT_LOG_INFO(logger, "first {}", 1);
      first = counter.count();
    }
    AllocationCounter counter;
    for (int i = 0; i < 1000; ++i) {
      LLT_LOG_INFO(logger, "later {}", i);
    }
    later = counter.count();
  });
  producer.join();
  EXPECT_GT(first, 0U);  // the queue, allocated once at registration
  EXPECT_EQ(later, 0U);
}

}  // namespace
}  // namespace llt::common
