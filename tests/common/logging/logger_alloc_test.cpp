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

namespace {

// Per thread, so the backend's and GoogleTest's allocations are not counted. Constant-
// initialised thread_locals: reading them from operator new allocates nothing.
thread_local bool t_counting = false;
thread_local std::size_t t_allocations = 0;

void* counted_alloc(std::size_t size, std::size_t align) noexcept {
  if (t_counting) {
    ++t_allocations;
  }
  if (size == 0) {
    size = 1;
  }
  if (align <= alignof(std::max_align_t)) {
    return std::malloc(size);
  }
  void* p = nullptr;
  return ::posix_memalign(&p, align, size) == 0 ? p : nullptr;
}

void* counted_alloc_or_throw(std::size_t size, std::size_t align) {
  void* p = counted_alloc(size, align);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}

// Starts counting the calling thread's allocations; stops and reports them on destruction.
class AllocationCounter {
 public:
  AllocationCounter() {
    t_allocations = 0;
    t_counting = true;
  }
  ~AllocationCounter() { t_counting = false; }
  std::size_t count() const { return t_allocations; }
};

}  // namespace

void* operator new(std::size_t size) {
  return counted_alloc_or_throw(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size) {
  return counted_alloc_or_throw(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_alloc_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_alloc_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size, alignof(std::max_align_t));
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_alloc(size, alignof(std::max_align_t));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_alloc(size, static_cast<std::size_t>(align));
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}

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
  auto* p = new int(1);
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
