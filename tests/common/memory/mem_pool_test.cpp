#include "common/memory/mem_pool.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <vector>

#include "tests/support/lifetime_tracker.h"

namespace llt::common {
namespace {

struct Point {
  Point(int x_in, int y_in) : x(x_in), y(y_in) {}
  int x;
  int y;
};

TEST(MemPool, constructs_in_place_with_arguments) {
  MemPool<Point> pool(4);
  Point* p = pool.allocate(3, 4);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->x, 3);
  EXPECT_EQ(p->y, 4);
  EXPECT_EQ(pool.in_use(), 1U);
  EXPECT_TRUE(pool.deallocate(p));
  EXPECT_EQ(pool.in_use(), 0U);
}

TEST(MemPool, returns_null_when_exhausted) {
  MemPool<std::uint64_t> pool(3);
  std::vector<std::uint64_t*> taken;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(pool.exhausted()) << i;
    taken.push_back(pool.allocate(i));
    ASSERT_NE(taken.back(), nullptr);
  }
  EXPECT_TRUE(pool.exhausted());
  EXPECT_EQ(pool.allocate(9U), nullptr);
  EXPECT_EQ(pool.available(), 0U);
  ASSERT_TRUE(pool.deallocate(taken.back()));
  EXPECT_FALSE(pool.exhausted()) << "a freed slot is available again";
  std::set<std::uint64_t*> distinct(taken.begin(), taken.end());
  EXPECT_EQ(distinct.size(), 3U);
}

TEST(MemPool, reuses_a_freed_slot) {
  MemPool<std::uint64_t> pool(2);
  std::uint64_t* a = pool.allocate(1U);
  std::uint64_t* b = pool.allocate(2U);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(pool.allocate(3U), nullptr);
  ASSERT_TRUE(pool.deallocate(a));
  std::uint64_t* c = pool.allocate(4U);
  EXPECT_EQ(c, a);
  EXPECT_EQ(*c, 4U);
  EXPECT_EQ(*b, 2U);
}

TEST(MemPool, refuses_to_free_a_slot_twice) {
  MemPool<std::uint64_t> pool(2);
  std::uint64_t* a = pool.allocate(1U);
  EXPECT_TRUE(pool.deallocate(a));
  EXPECT_FALSE(pool.deallocate(a));
  EXPECT_EQ(pool.in_use(), 0U);
  // The free list is intact: both slots come back, distinct, and then it is empty.
  std::uint64_t* x = pool.allocate(1U);
  std::uint64_t* y = pool.allocate(2U);
  EXPECT_NE(x, nullptr);
  EXPECT_NE(y, nullptr);
  EXPECT_NE(x, y);
  EXPECT_EQ(pool.allocate(3U), nullptr);
}

TEST(MemPool, refuses_foreign_and_null_pointers) {
  MemPool<std::uint64_t> pool(2);
  MemPool<std::uint64_t> other(2);
  std::uint64_t local = 0;
  std::uint64_t* theirs = other.allocate(1U);
  EXPECT_FALSE(pool.deallocate(nullptr));
  EXPECT_FALSE(pool.deallocate(&local));
  EXPECT_FALSE(pool.deallocate(theirs));
  EXPECT_TRUE(other.deallocate(theirs));
}

TEST(MemPool, maps_objects_to_indices_and_back) {
  MemPool<Point> pool(8);
  Point* p = pool.allocate(1, 2);
  const auto index = pool.index_of(p);
  ASSERT_NE(index, MemPool<Point>::kNoIndex);
  EXPECT_EQ(pool.at(index), p);
  EXPECT_EQ(pool.index_of(nullptr), MemPool<Point>::kNoIndex);
}

TEST(MemPool, allocate_indexed_returns_the_slot_index_and_nothing_when_exhausted) {
  MemPool<Point> pool(2);
  const auto a = pool.allocate_indexed(1, 2);
  const auto b = pool.allocate_indexed(3, 4);
  ASSERT_NE(a.object, nullptr);
  ASSERT_NE(b.object, nullptr);
  EXPECT_EQ(a.index, pool.index_of(a.object));
  EXPECT_EQ(b.index, pool.index_of(b.object));
  EXPECT_NE(a.index, b.index);
  EXPECT_EQ(b.object->x, 3);
  const auto none = pool.allocate_indexed(5, 6);
  EXPECT_EQ(none.object, nullptr);
  EXPECT_EQ(none.index, MemPool<Point>::kNoIndex);
  ASSERT_TRUE(pool.deallocate(a.object));
  const auto again = pool.allocate_indexed(7, 8);
  EXPECT_EQ(again.index, a.index) << "the freed slot is reused";
}

TEST(MemPool, an_order_sized_object_gets_an_aligned_slot_of_its_own_size) {
  struct alignas(8) Line {
    std::byte bytes[64];
  };
  MemPool<Line> pool(4);
  Line* first = pool.allocate();
  Line* second = pool.allocate();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % 64, 0u) << "one cache line per object";
  EXPECT_EQ(std::abs(reinterpret_cast<std::byte*>(second) - reinterpret_cast<std::byte*>(first)),
            64);
}

TEST(MemPool, an_object_of_another_size_keeps_its_flag_in_its_slot_and_is_guarded_the_same) {
  struct Odd {
    std::uint32_t a;
    std::uint32_t b;
    std::uint32_t c;
  };
  static_assert(sizeof(Odd) == 12);
  MemPool<Odd> pool(3);
  Odd* x = pool.allocate(Odd{1, 2, 3});
  Odd* y = pool.allocate(Odd{4, 5, 6});
  Odd* z = pool.allocate(Odd{7, 8, 9});
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(pool.allocate(Odd{0, 0, 0}), nullptr) << "exhausted";
  EXPECT_EQ(y->b, 5u);
  EXPECT_TRUE(pool.deallocate(y));
  EXPECT_FALSE(pool.deallocate(y)) << "freed twice";
  EXPECT_EQ(pool.index_of(x), 0u);
  EXPECT_EQ(pool.index_of(z), 2u);
  Odd* again = pool.allocate(Odd{10, 11, 12});
  EXPECT_EQ(again, y) << "the freed slot is reused";
  EXPECT_EQ(x->c, 3u) << "neighbours untouched by the flags and the free list";
  EXPECT_EQ(z->a, 7u);
  EXPECT_EQ(pool.in_use(), 3u);
}

TEST(MemPool, destroys_live_objects_with_the_pool) {
  test::LifetimeCounts counts;
  {
    MemPool<test::LifetimeTracker> pool(8);
    auto* a = pool.allocate(&counts, 1U);
    ASSERT_NE(pool.allocate(&counts, 2U), nullptr);
    ASSERT_TRUE(pool.deallocate(a));
    EXPECT_EQ(counts.alive(), 1);
  }
  EXPECT_EQ(counts.alive(), 0);
}

TEST(MemPool, rejects_zero_capacity) {
  EXPECT_THROW(MemPool<int>(0), std::invalid_argument);
}

TEST(MemPool, survives_a_full_drain_and_refill_cycle) {
  constexpr std::size_t kCapacity = 10'000;
  MemPool<std::uint64_t> pool(kCapacity);
  std::vector<std::uint64_t*> taken;
  taken.reserve(kCapacity);
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < kCapacity; ++i) {
      taken.push_back(pool.allocate(i));
      ASSERT_NE(taken.back(), nullptr);
    }
    EXPECT_EQ(pool.allocate(0U), nullptr);
    for (std::size_t i = 0; i < kCapacity; ++i) {
      ASSERT_EQ(*taken[i], i);
      ASSERT_TRUE(pool.deallocate(taken[i]));
    }
    taken.clear();
    EXPECT_EQ(pool.in_use(), 0U);
  }
}

TEST(MemPool, a_large_huge_page_pool_lives_on_huge_page_aligned_storage) {
  struct alignas(64) Line {
    std::uint64_t words[8];
  };
  constexpr std::size_t kCapacity = (std::size_t{4} << 20) / sizeof(Line);  // 4 MiB
  MemPool<Line, true> pool(kCapacity);
  Line* first = pool.allocate(Line{{1, 2, 3, 4, 5, 6, 7, 8}});
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(pool.index_of(first), 0u) << "the free list starts at slot 0";
  EXPECT_EQ(first->words[7], 8u);
#if !defined(LLT_SANITIZED)
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % HugePageArray<Line>::kHugePageSize, 0u);
#endif
  for (std::size_t i = 1; i < kCapacity; ++i)
    ASSERT_NE(pool.allocate(Line{}), nullptr) << i;
  EXPECT_TRUE(pool.exhausted());
  EXPECT_EQ(pool.allocate(Line{}), nullptr);
  ASSERT_TRUE(pool.deallocate(first));
  EXPECT_FALSE(pool.deallocate(first)) << "freed twice";
  EXPECT_EQ(pool.allocate(Line{}), first) << "the freed slot is reused";
}

}  // namespace
}  // namespace llt::common
