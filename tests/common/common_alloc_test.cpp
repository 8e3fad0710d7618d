// Counts every heap allocation of the process (global operator new replaced) and checks that
// steady-state queue and pool calls make none.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <thread>

#include "common/concurrent/spsc_queue.h"
#include "common/memory/mem_pool.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "tests/support/allocation_counter.h"

namespace llt::common {
namespace {

struct Order {
  std::uint64_t id;
  std::int64_t price;
  std::uint32_t qty;
};

TEST(AllocFree, counter_sees_an_allocation) {
  const std::uint64_t before = test::process_allocations();
  // Through a volatile pointer: a new/delete pair nobody observes may be elided (clang does).
  int* volatile p = new int(1);
  EXPECT_EQ(test::process_allocations(), before + 1);
  delete p;
}

TEST(AllocFree, steady_state_queue_calls_do_not_allocate) {
  SpscQueue<Order> queue(1024);
  const std::uint64_t before = test::process_allocations();
  for (std::uint64_t i = 0; i < 1'000'000; ++i) {
    ASSERT_TRUE(queue.try_emplace(Order{i, 100, 1}));
    ASSERT_NE(queue.front(), nullptr);
    queue.pop();
  }
  EXPECT_EQ(test::process_allocations(), before);
}

TEST(AllocFree, steady_state_queue_across_two_threads_does_not_allocate) {
  SpscQueue<std::uint64_t> queue(256);
  constexpr std::uint64_t kItems = 1'000'000;
  std::atomic<std::uint64_t> producer_allocations{0};
  std::thread producer([&] {
    const std::uint64_t before = test::process_allocations();
    for (std::uint64_t i = 0; i < kItems; ++i) {
      while (!queue.try_push(i))
        cpu_relax();
    }
    producer_allocations = test::process_allocations() - before;
  });
  const std::uint64_t before = test::process_allocations();
  std::uint64_t received = 0;
  while (received < kItems) {
    if (queue.front() != nullptr) {
      queue.pop();
      ++received;
    }
  }
  const std::uint64_t consumer_allocations = test::process_allocations() - before;
  producer.join();
  // Thread start-up allocates before the producer's loop; the loops themselves must not.
  EXPECT_EQ(producer_allocations.load(), 0U);
  EXPECT_LE(consumer_allocations, 2U) << "only std::thread's own start-up may allocate";
}

TEST(AllocFree, steady_state_pool_calls_do_not_allocate_even_when_exhausted) {
  MemPool<Order> pool(1000);
  Order* held[1000];
  const std::uint64_t before = test::process_allocations();
  for (int round = 0; round < 1000; ++round) {
    for (auto& slot : held) {
      slot = pool.allocate(Order{1, 2, 3});
      ASSERT_NE(slot, nullptr);
    }
    ASSERT_EQ(pool.allocate(Order{}), nullptr);
    for (auto* slot : held)
      ASSERT_TRUE(pool.deallocate(slot));
  }
  EXPECT_EQ(test::process_allocations(), before);
}

TEST(AllocFree, clock_and_histogram_record_without_allocating) {
  const TscClock& clock = TscClock::instance();
  auto histogram = std::make_unique<LatencyHistogram>();
  const std::uint64_t before = test::process_allocations();
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t t0 = clock.now_ticks();
    histogram->record(clock.elapsed_ns(t0, clock.now_ticks()));
  }
  EXPECT_EQ(test::process_allocations(), before);
  EXPECT_EQ(histogram->count(), 100'000U);
}

}  // namespace
}  // namespace llt::common
