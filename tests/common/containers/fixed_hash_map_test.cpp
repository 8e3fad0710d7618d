#include "common/containers/fixed_hash_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "tests/support/order_flow_generator.h"

namespace llt::common {
namespace {

using Map = FixedHashMap<std::uint64_t, std::uint32_t, UINT32_MAX>;

// Every key hashes to slot 0: the worst case for probing and backward-shift deletion.
struct CollidingHash {
  std::uint64_t operator()(std::uint64_t, std::uint64_t) const noexcept { return 0; }
};
// Keys hash to the last slots, so probe runs wrap around the end of the table.
struct WrappingHash {
  std::uint64_t operator()(std::uint64_t key, std::uint64_t) const noexcept { return 62 + key % 2; }
};

TEST(FixedHashMap, finds_what_was_inserted_and_nothing_else) {
  Map map(100);
  EXPECT_EQ(map.capacity(), 256u);
  EXPECT_TRUE(map.insert(5, 50));
  EXPECT_TRUE(map.insert(6, 60));
  EXPECT_EQ(map.find(5), 50u);
  EXPECT_EQ(map.find(6), 60u);
  EXPECT_EQ(map.find(7), UINT32_MAX);
  EXPECT_EQ(map.size(), 2u);
}

TEST(FixedHashMap, refuses_insert_beyond_max_size) {
  Map map(3);
  EXPECT_TRUE(map.insert(1, 1));
  EXPECT_TRUE(map.insert(2, 2));
  EXPECT_TRUE(map.insert(3, 3));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.insert(4, 4));
  EXPECT_EQ(map.find(4), UINT32_MAX);
  EXPECT_TRUE(map.erase(2));
  EXPECT_TRUE(map.insert(4, 4));
}

TEST(FixedHashMap, erase_keeps_colliding_keys_reachable) {
  FixedHashMap<std::uint64_t, std::uint32_t, UINT32_MAX, CollidingHash> map(6);
  for (std::uint64_t k = 1; k <= 6; ++k)
    ASSERT_TRUE(map.insert(k, static_cast<std::uint32_t>(k)));
  EXPECT_TRUE(map.erase(1));  // the head of the probe run
  EXPECT_TRUE(map.erase(4));  // the middle
  EXPECT_FALSE(map.erase(4));
  for (std::uint64_t k : {2, 3, 5, 6})
    EXPECT_EQ(map.find(k), k) << k;
  EXPECT_EQ(map.find(1), UINT32_MAX);
}

TEST(FixedHashMap, erase_across_the_table_end_keeps_keys_reachable) {
  FixedHashMap<std::uint64_t, std::uint32_t, UINT32_MAX, WrappingHash> map(8);  // 64 slots
  ASSERT_EQ(map.capacity(), 64u);
  for (std::uint64_t k = 0; k < 8; ++k)
    ASSERT_TRUE(map.insert(k, static_cast<std::uint32_t>(k)));
  for (std::uint64_t k = 0; k < 8; k += 3)
    EXPECT_TRUE(map.erase(k));
  for (std::uint64_t k = 0; k < 8; ++k) {
    EXPECT_EQ(map.find(k), k % 3 == 0 ? UINT32_MAX : k) << k;
  }
}

TEST(FixedHashMap, random_churn_agrees_with_unordered_map) {
  Map map(512, 0x1234);
  std::unordered_map<std::uint64_t, std::uint32_t> model;
  test::SplitMix64 rng(7);
  for (int i = 0; i < 200'000; ++i) {
    const std::uint64_t key = rng.below(2'000);
    if (rng.chance(550)) {
      if (model.count(key) == 0 && model.size() < 512) {
        ASSERT_TRUE(map.insert(key, static_cast<std::uint32_t>(i)));
        model[key] = static_cast<std::uint32_t>(i);
      }
    } else {
      ASSERT_EQ(map.erase(key), model.erase(key) == 1);
    }
    if (i % 1000 == 0) {
      for (std::uint64_t k = 0; k < 2'000; ++k) {
        const auto it = model.find(k);
        ASSERT_EQ(map.find(k), it == model.end() ? UINT32_MAX : it->second);
      }
    }
  }
  EXPECT_EQ(map.size(), model.size());
}

TEST(FixedHashMap, block_hash_keeps_neighbouring_keys_in_one_block) {
  const BlockHash<std::int64_t> hash;
  const std::uint64_t base = hash(160, 7) & ~std::uint64_t{15};
  for (std::int64_t k = 160; k < 176; ++k) {
    EXPECT_EQ(hash(k, 7), base + static_cast<std::uint64_t>(k - 160)) << k;
  }
  EXPECT_NE(hash(176, 7) & ~std::uint64_t{15}, base);
  EXPECT_NE(hash(160, 8), hash(160, 7)) << "the seed moves blocks";
  // Negative keys (ask-side ladder keys) hash like any other.
  FixedHashMap<std::int64_t, std::uint32_t, UINT32_MAX, BlockHash<std::int64_t>> map(64);
  for (std::int64_t k = -40; k < 40; k += 3)
    ASSERT_TRUE(map.insert(k, static_cast<std::uint32_t>(k + 100)));
  for (std::int64_t k = -40; k < 40; k += 3)
    EXPECT_EQ(map.find(k), static_cast<std::uint32_t>(k + 100));
  EXPECT_EQ(map.find(-39), UINT32_MAX);
}

TEST(FixedHashMap, rejects_zero_capacity_at_construction) {
  EXPECT_THROW(Map(0), std::invalid_argument);
}

}  // namespace
}  // namespace llt::common
