#include "exchange/matcher/level_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "exchange/matcher/price_ladder.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

constexpr auto kWrap = static_cast<std::int64_t>(LevelIndex::kSideSlots);

TEST(LevelIndex, keys_near_each_other_take_the_direct_table_whatever_the_price) {
  // Bids at mid - d and asks at mid + d: with a mid that is a multiple of the table's span,
  // their keys (PriceLadder::key_of: price for a bid, -price for an ask) have the same low bits.
  constexpr std::int64_t kMid = 1'000 * kWrap;
  LevelIndex index(128, 1);
  for (std::int64_t d = 1; d <= 40; ++d) {
    ASSERT_EQ(PriceLadder::key_of(Side::kBuy, kMid - d), kMid - d);
    ASSERT_EQ(PriceLadder::key_of(Side::kSell, kMid + d), -(kMid + d));
    ASSERT_TRUE(index.insert(kMid - d, static_cast<PoolIndex>(d)));
    ASSERT_TRUE(index.insert(-(kMid + d), static_cast<PoolIndex>(100 + d)));
  }
  EXPECT_EQ(index.size(), 80u);
  EXPECT_EQ(index.back_size(), 0u) << "bids and asks have separate direct entries";
  EXPECT_EQ(index.find(kMid - 17), 17u);
  EXPECT_EQ(index.find(-(kMid + 17)), 117u);
  EXPECT_EQ(index.find(kMid - 41), kNoIndex);
  EXPECT_EQ(index.find(-(kMid - 17)), kNoIndex);
  EXPECT_EQ(index.find(kMid + 17), kNoIndex);
}

TEST(LevelIndex, keys_that_share_a_direct_entry_stay_distinct) {
  LevelIndex index(16, 2);
  ASSERT_TRUE(index.insert(500, 1));
  ASSERT_TRUE(index.insert(500 + kWrap, 2));
  ASSERT_TRUE(index.insert(500 + 7 * kWrap, 3));
  EXPECT_EQ(index.back_size(), 2u) << "the entry was taken: the back table holds the others";
  EXPECT_EQ(index.find(500), 1u);
  EXPECT_EQ(index.find(500 + kWrap), 2u);
  EXPECT_EQ(index.find(500 + 7 * kWrap), 3u);
  EXPECT_EQ(index.find(500 + 2 * kWrap), kNoIndex);

  EXPECT_TRUE(index.erase(500));
  EXPECT_FALSE(index.erase(500)) << "erased twice";
  EXPECT_EQ(index.find(500), kNoIndex);
  EXPECT_EQ(index.find(500 + kWrap), 2u) << "still found in the back table";

  // The freed entry takes the next key, while the back table still holds the others.
  ASSERT_TRUE(index.insert(500 + 3 * kWrap, 4));
  EXPECT_EQ(index.back_size(), 2u);
  EXPECT_EQ(index.find(500 + 3 * kWrap), 4u);
  EXPECT_TRUE(index.erase(500 + kWrap));
  EXPECT_FALSE(index.erase(500 + kWrap)) << "erased twice";
  EXPECT_EQ(index.find(500 + kWrap), kNoIndex);
  EXPECT_EQ(index.find(500 + 7 * kWrap), 3u);
  EXPECT_EQ(index.size(), 2u);
}

TEST(LevelIndex, any_i64_key_works) {
  LevelIndex index(8, 3);
  const std::vector<std::int64_t> keys{std::numeric_limits<std::int64_t>::max(),
                                       -std::numeric_limits<std::int64_t>::max(),
                                       std::numeric_limits<std::int64_t>::min(),
                                       1,
                                       -1,
                                       0,
                                       std::numeric_limits<std::int64_t>::max() - kWrap};
  for (std::size_t i = 0; i < keys.size(); ++i)
    ASSERT_TRUE(index.insert(keys[i], static_cast<PoolIndex>(i))) << keys[i];
  for (std::size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(index.find(keys[i]), static_cast<PoolIndex>(i)) << keys[i];
  for (const std::int64_t key : keys)
    EXPECT_TRUE(index.erase(key)) << key;
  EXPECT_EQ(index.size(), 0u);
}

TEST(LevelIndex, refuses_an_insert_beyond_max_size) {
  LevelIndex index(3, 4);
  ASSERT_TRUE(index.insert(10, 0));
  ASSERT_TRUE(index.insert(10 + kWrap, 1));
  ASSERT_TRUE(index.insert(11, 2));
  EXPECT_FALSE(index.insert(12, 3)) << "full, though its direct entry is free";
  EXPECT_FALSE(index.insert(10 + 2 * kWrap, 3)) << "full";
  EXPECT_EQ(index.find(12), kNoIndex);
  ASSERT_TRUE(index.erase(11));
  EXPECT_TRUE(index.insert(12, 3));
}

TEST(LevelIndex, random_operations_agree_with_a_plain_map) {
  // Keys mostly near a wandering touch, some far away and some exactly a multiple of the
  // direct table's size apart, so both tables and their hand-over are exercised.
  constexpr std::size_t kMax = 2'000;
  LevelIndex index(kMax, 5);
  std::unordered_map<std::int64_t, PoolIndex> model;
  std::vector<std::int64_t> live;
  test::SplitMix64 rng(11);
  std::int64_t touch = 1'000'000;
  PoolIndex next_slot = 0;
  std::size_t most_in_back = 0;
  for (int step = 0; step < 300'000; ++step) {
    touch += static_cast<std::int64_t>(rng.below(5)) - 2;
    if (!live.empty() && (rng.chance(480) || model.size() == kMax)) {
      const std::size_t at = rng.below(live.size());
      const std::int64_t key = live[at];
      live[at] = live.back();
      live.pop_back();
      ASSERT_TRUE(index.erase(key)) << key;
      ASSERT_FALSE(index.erase(key)) << key;
      model.erase(key);
      continue;
    }
    std::int64_t key = touch + static_cast<std::int64_t>(rng.below(200)) - 100;
    if (rng.chance(100)) {
      key = static_cast<std::int64_t>(rng.next());
    } else if (rng.chance(100)) {
      key += kWrap * static_cast<std::int64_t>(1 + rng.below(4));
    }
    if (rng.chance(500) && key != std::numeric_limits<std::int64_t>::min()) {
      key = -key;
    }
    if (model.count(key) != 0) {
      ASSERT_EQ(index.find(key), model[key]) << key;
      continue;
    }
    ASSERT_EQ(index.find(key), kNoIndex) << key;
    const PoolIndex slot = next_slot++ % 1'000'000;
    ASSERT_TRUE(index.insert(key, slot)) << key;
    model[key] = slot;
    live.push_back(key);
    ASSERT_EQ(index.size(), model.size());
    most_in_back = std::max(most_in_back, index.back_size());
    if (step % 10'000 == 0) {
      for (const auto& [k, v] : model)
        ASSERT_EQ(index.find(k), v) << k;
    }
  }
  EXPECT_GT(most_in_back, 10u) << "the flow put keys in the back table";
  for (const auto& [k, v] : model)
    ASSERT_EQ(index.find(k), v) << k;
}

TEST(LevelIndex, rejects_zero_capacity_at_construction) {
  EXPECT_THROW(LevelIndex(0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace llt::exchange
