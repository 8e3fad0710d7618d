#include "common/concurrent/spsc_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common/concurrent/idle_strategy.h"
#include "tests/support/lifetime_tracker.h"

namespace llt::common {
namespace {

TEST(SpscQueue, rounds_capacity_up_to_a_power_of_two) {
  EXPECT_EQ(SpscQueue<int>(1).capacity(), 1U);
  EXPECT_EQ(SpscQueue<int>(5).capacity(), 8U);
  EXPECT_EQ(SpscQueue<int>(1024).capacity(), 1024U);
}

TEST(SpscQueue, rejects_zero_capacity) {
  EXPECT_THROW(SpscQueue<int>(0), std::invalid_argument);
}

TEST(SpscQueue, pops_in_push_order) {
  SpscQueue<int> queue(4);
  EXPECT_EQ(queue.front(), nullptr);
  ASSERT_TRUE(queue.try_push(1));
  ASSERT_TRUE(queue.try_push(2));
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(*queue.front(), 1);
  queue.pop();
  EXPECT_EQ(*queue.front(), 2);
  queue.pop();
  EXPECT_EQ(queue.front(), nullptr);
}

TEST(SpscQueue, refuses_push_when_full_without_overwriting) {
  SpscQueue<int> queue(4);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(queue.try_push(i));
  }
  EXPECT_FALSE(queue.try_push(99));
  EXPECT_EQ(queue.size_guess(), 4U);
  EXPECT_EQ(*queue.front(), 0);
  queue.pop();
  EXPECT_TRUE(queue.try_push(4));
  for (int expected = 1; expected <= 4; ++expected) {
    ASSERT_NE(queue.front(), nullptr);
    EXPECT_EQ(*queue.front(), expected);
    queue.pop();
  }
}

TEST(SpscQueue, release_batch_grows_with_capacity_up_to_32) {
  EXPECT_EQ(SpscQueue<int>(8).release_batch(), 1U);
  EXPECT_EQ(SpscQueue<int>(32).release_batch(), 1U);
  EXPECT_EQ(SpscQueue<int>(64).release_batch(), 2U);
  EXPECT_EQ(SpscQueue<int>(256).release_batch(), 8U);
  EXPECT_EQ(SpscQueue<int>(1024).release_batch(), 32U);
  EXPECT_EQ(SpscQueue<int>(65536).release_batch(), 32U);
}

// A consumer in the middle of a backlog hands popped slots back every release_batch() pops.
TEST(SpscQueue, hands_popped_slots_back_in_batches_while_a_backlog_remains) {
  SpscQueue<int> queue(256);  // batch of 8
  ASSERT_EQ(queue.release_batch(), 8U);
  for (int i = 0; i < 256; ++i) {
    ASSERT_TRUE(queue.try_push(i));
  }
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(*queue.front(), i);
    queue.pop();
  }
  EXPECT_EQ(queue.size_guess(), 256U) << "7 popped slots held back";
  EXPECT_FALSE(queue.try_push(256)) << "the producer still sees it full";
  ASSERT_EQ(*queue.front(), 7);
  queue.pop();
  EXPECT_EQ(queue.size_guess(), 248U) << "the 8th pop hands all 8 back";
  for (int i = 256; i < 264; ++i) {
    ASSERT_TRUE(queue.try_push(i));
  }
  EXPECT_FALSE(queue.try_push(264));
  for (int expected = 8; expected < 264; ++expected) {
    ASSERT_NE(queue.front(), nullptr);
    ASSERT_EQ(*queue.front(), expected);
    queue.pop();
  }
  EXPECT_EQ(queue.front(), nullptr);
  EXPECT_EQ(queue.size_guess(), 0U);
}

// Popping the last element the consumer has seen hands everything back at once, so a
// consumer that drained what it saw never leaves the producer short of room.
TEST(SpscQueue, hands_everything_back_on_draining_what_it_saw) {
  SpscQueue<int> queue(1024);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(queue.try_push(i));
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_NE(queue.front(), nullptr);
    queue.pop();
  }
  EXPECT_EQ(queue.size_guess(), 0U) << "the last visible element's pop released all";

  // It pops 3 of the 10 it sees (held back), then the other 7 (the last one releases all).
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(queue.try_push(i));
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(queue.front(), nullptr);
    queue.pop();
  }
  EXPECT_EQ(queue.size_guess(), 10U);
  for (int i = 0; i < 7; ++i) {
    ASSERT_NE(queue.front(), nullptr);
    queue.pop();
  }
  EXPECT_EQ(queue.size_guess(), 0U);
  EXPECT_EQ(queue.front(), nullptr);
}

TEST(SpscQueue, wraps_around_many_times) {
  SpscQueue<std::uint64_t> queue(8);
  std::uint64_t next_pop = 0;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(queue.try_push(i));
    if (i % 3 != 0 || queue.size_guess() == queue.capacity()) {
      ASSERT_EQ(*queue.front(), next_pop++);
      queue.pop();
    }
  }
  while (queue.front() != nullptr) {
    ASSERT_EQ(*queue.front(), next_pop++);
    queue.pop();
  }
  EXPECT_EQ(next_pop, 10'000U);
}

TEST(SpscQueue, emplaces_move_only_elements) {
  SpscQueue<std::unique_ptr<int>> queue(2);
  ASSERT_TRUE(queue.try_emplace(std::make_unique<int>(7)));
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(**queue.front(), 7);
  queue.pop();
}

TEST(SpscQueue, try_emplace_with_fills_the_slot_in_place_and_publishes_it) {
  struct Message {
    std::uint64_t id = 0;
    std::uint32_t qty = 0;
  };
  SpscQueue<Message> queue(2);
  const Message* filled = nullptr;
  ASSERT_TRUE(queue.try_emplace_with([&](Message& slot) noexcept {
    EXPECT_EQ(queue.front(), nullptr);  // not visible before fill() returns
    slot.id = 7;
    slot.qty = 30;
    filled = &slot;
  }));
  ASSERT_NE(queue.front(), nullptr);
  EXPECT_EQ(queue.front(), filled);  // the element is the slot that was filled
  EXPECT_EQ(queue.front()->id, 7U);
  EXPECT_EQ(queue.front()->qty, 30U);
  ASSERT_TRUE(queue.try_emplace_with([](Message& slot) noexcept { slot.id = 8; }));
  int calls = 0;
  EXPECT_FALSE(queue.try_emplace_with([&](Message&) noexcept { ++calls; }));
  EXPECT_EQ(calls, 0);  // full: fill() is not called
  queue.pop();
  EXPECT_EQ(queue.front()->id, 8U);
  EXPECT_EQ(queue.front()->qty, 0U);  // default-constructed before fill()
  queue.pop();
  EXPECT_EQ(queue.front(), nullptr);
}

TEST(SpscQueue, destroys_every_element_exactly_once) {
  test::LifetimeCounts counts;
  {
    SpscQueue<test::LifetimeTracker> queue(16);
    for (std::uint64_t i = 0; i < 10; ++i) {
      ASSERT_TRUE(queue.try_emplace(&counts, i));
    }
    for (int i = 0; i < 4; ++i) {
      ASSERT_NE(queue.front(), nullptr);
      queue.pop();
    }
    EXPECT_EQ(counts.alive(), 6);
  }
  EXPECT_EQ(counts.alive(), 0);
  EXPECT_EQ(counts.constructed.load(), 10);
}

TEST(SpscQueue, keeps_indices_on_separate_cache_lines) {
  // Read-only fields, the producer's line, read_idx_ alone, the consumer's private line (the
  // offsets themselves are static_asserted in the class).
  EXPECT_GE(sizeof(SpscQueue<int>), 4 * kCacheLineSize);
  EXPECT_EQ(alignof(SpscQueue<int>), kCacheLineSize);
}

// Two threads, ten million items: every item arrives, once, in order.
TEST(SpscQueue, two_thread_stress_preserves_order_and_count) {
  constexpr std::uint64_t kItems = 10'000'000;
  SpscQueue<std::uint64_t> queue(1024);
  std::thread producer([&queue] {
    for (std::uint64_t i = 0; i < kItems; ++i) {
      BackoffIdleStrategy idle;  // yields when the cores are oversubscribed
      while (!queue.try_push(i)) {
        idle.idle(0);
      }
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t out_of_order = 0;
  BackoffIdleStrategy idle;
  while (expected < kItems) {
    const std::uint64_t* item = queue.front();
    idle.idle(item == nullptr ? 0 : 1);
    if (item == nullptr) {
      continue;
    }
    if (*item != expected) {
      ++out_of_order;
    }
    ++expected;
    queue.pop();
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0U);
  EXPECT_EQ(expected, kItems);
  EXPECT_EQ(queue.front(), nullptr);
}

// The same with an element that owns heap memory, so a race on the slot shows up under
// ASan/TSan as a use-after-free or a data race rather than a silently wrong number.
TEST(SpscQueue, two_thread_stress_with_owning_elements) {
  constexpr int kItems = 200'000;
  SpscQueue<std::unique_ptr<int>> queue(64);
  std::thread producer([&queue] {
    for (int i = 0; i < kItems; ++i) {
      auto item = std::make_unique<int>(i);
      BackoffIdleStrategy idle;
      while (!queue.try_push(std::move(item))) {
        idle.idle(0);
      }
    }
  });
  int expected = 0;
  BackoffIdleStrategy idle;
  while (expected < kItems) {
    std::unique_ptr<int>* item = queue.front();
    idle.idle(item == nullptr ? 0 : 1);
    if (item == nullptr) {
      continue;
    }
    ASSERT_EQ(**item, expected);
    ++expected;
    queue.pop();
  }
  producer.join();
}

}  // namespace
}  // namespace llt::common
