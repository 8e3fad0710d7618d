#include "exchange/matcher/fixed_hash_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "exchange/matcher/order_id_index.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
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

TEST(FixedHashMap, order_keys_of_different_clients_do_not_collide) {
  OrderIdIndex index(16);
  Order a{.client_order_id = 10, .client_id = 1};
  Order b{.client_order_id = 1, .client_id = 10};
  ASSERT_TRUE(index.insert(OrderKey{10, 1}, &a));
  ASSERT_TRUE(index.insert(OrderKey{1, 10}, &b));
  EXPECT_EQ(index.find(OrderKey{10, 1}), &a);
  EXPECT_EQ(index.find(OrderKey{1, 10}), &b);
  EXPECT_EQ(index.find(OrderKey{10, 2}), nullptr);
}

TEST(OrderIdIndex, a_full_group_overflows_to_the_back_table_and_a_freed_slot_is_reused) {
  OrderIdIndex index(4'096, 3);
  // Nine keys of one front group (seven slots), found by trying ids of two clients.
  std::vector<OrderKey> keys;
  const std::size_t group = index.front_group(OrderKey{1, 1});
  for (OrderId id = 1; keys.size() < 9 && id < 1'000'000; ++id) {
    for (ClientId client : {ClientId{1}, ClientId{2}}) {
      if (keys.size() < 9 && index.front_group(OrderKey{id, client}) == group) {
        keys.push_back(OrderKey{id, client});
      }
    }
  }
  ASSERT_EQ(keys.size(), 9u);
  std::deque<Order> orders;
  for (const OrderKey& key : keys)
    orders.push_back(Order{.client_order_id = key.client_order_id, .client_id = key.client_id});

  for (std::size_t i = 0; i < OrderIdIndex::kGroupSlots; ++i)
    ASSERT_TRUE(index.insert(keys[i], &orders[i]));
  EXPECT_EQ(index.back_size(), 0u) << "seven keys fit their group";
  ASSERT_TRUE(index.insert(keys[7], &orders[7]));
  EXPECT_EQ(index.back_size(), 1u) << "the eighth goes to the back table";
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ(index.find(keys[i]), &orders[i]) << i;
  EXPECT_EQ(index.find(keys[8]), nullptr);

  EXPECT_FALSE(index.erase(orders[8])) << "never stored";
  EXPECT_TRUE(index.erase(orders[2]));
  EXPECT_FALSE(index.erase(orders[2])) << "erased twice";
  EXPECT_FALSE(index.erase(keys[2])) << "erased twice";
  EXPECT_EQ(index.find(keys[2]), nullptr);
  ASSERT_TRUE(index.insert(keys[8], &orders[8]));
  EXPECT_EQ(index.back_size(), 1u) << "the ninth takes the slot the erase freed";
  EXPECT_EQ(orders[8].id_slot, orders[2].id_slot);
  EXPECT_FALSE(index.erase(orders[2])) << "its old slot now holds another order";
  EXPECT_EQ(index.find(keys[8]), &orders[8]);
  EXPECT_EQ(orders[7].id_slot, kNoIndex) << "in the back table";
  EXPECT_TRUE(index.erase(orders[7]));
  EXPECT_FALSE(index.erase(orders[7])) << "erased twice";
  EXPECT_EQ(index.back_size(), 0u);
  EXPECT_EQ(index.size(), 7u);
  for (std::size_t i : {0, 1, 3, 4, 5, 6, 8})
    EXPECT_EQ(index.find(keys[i]), &orders[i]) << i;
}

TEST(OrderIdIndex, a_deep_book_overflows_into_the_back_table_and_stays_exact) {
  // More orders than the front table's groups can place (6 per 7-slot group on average, so
  // many groups fill): the rest go to the back table, and every operation keeps agreeing with
  // a plain map. Tags of unrelated keys often collide at this load, so lookups also exercise
  // the check of the order's own key.
  constexpr std::size_t kMax = 6 * OrderIdIndex::kFrontMaxGroups;
  OrderIdIndex index(kMax, 99);
  EXPECT_EQ(index.front_capacity(), 7 * OrderIdIndex::kFrontMaxGroups);
  std::deque<Order> orders;  // stable addresses; an indexed order carries its key
  std::unordered_map<std::uint64_t, Order*> model;  // client << 32 | id
  const auto key_of = [](std::uint64_t packed) {
    return OrderKey{packed & 0xffffffffU, static_cast<ClientId>(packed >> 32)};
  };
  const auto order_for = [&](std::uint64_t packed) {
    const OrderKey key = key_of(packed);
    return &orders.emplace_back(
        Order{.client_order_id = key.client_order_id, .client_id = key.client_id});
  };
  // 8 clients numbering orders 1, 2, 3, ...
  for (std::size_t i = 0; i < kMax; ++i) {
    const std::uint64_t packed = (std::uint64_t{1 + i % 8} << 32) | (1 + i / 8);
    Order* const order = order_for(packed);
    ASSERT_TRUE(index.insert(key_of(packed), order)) << i;
    model[packed] = order;
  }
  EXPECT_TRUE(index.full());
  EXPECT_EQ(index.size(), kMax);
  EXPECT_GT(index.back_size(), 0u) << "the front table overflowed into the back one";
  Order extra{.client_order_id = 1'000'000, .client_id = 1};
  EXPECT_FALSE(index.insert(OrderKey{1'000'000, 1}, &extra)) << "full: refused";
  EXPECT_EQ(index.find(OrderKey{1'000'000, 1}), nullptr);
  for (const auto& [packed, order] : model)
    ASSERT_EQ(index.find(key_of(packed)), order);

  // Random erases and re-inserts with fresh ids, checked against the model.
  test::SplitMix64 rng(5);
  std::vector<std::uint64_t> live;
  live.reserve(model.size());
  for (const auto& entry : model)
    live.push_back(entry.first);
  std::uint64_t next_id = 1'000'000;
  for (int step = 0; step < 200'000; ++step) {
    if (!live.empty() && (rng.chance(550) || index.full())) {
      const std::size_t at = rng.below(live.size());
      const std::uint64_t packed = live[at];
      live[at] = live.back();
      live.pop_back();
      // By key, or through the slot recorded in the order.
      if (step % 2 == 0) {
        ASSERT_TRUE(index.erase(key_of(packed)));
      } else {
        ASSERT_TRUE(index.erase(*model[packed]));
      }
      ASSERT_FALSE(index.erase(key_of(packed))) << "erased twice";
      ASSERT_FALSE(index.erase(*model[packed])) << "erased twice";
      model.erase(packed);
    } else {
      const std::uint64_t packed = (std::uint64_t{1 + rng.below(8)} << 32) | next_id++;
      Order* const order = order_for(packed);
      ASSERT_TRUE(index.insert(key_of(packed), order));
      model[packed] = order;
      live.push_back(packed);
    }
    ASSERT_EQ(index.size(), model.size());
    if (step % 20'000 == 0) {
      for (const auto& [packed, order] : model)
        ASSERT_EQ(index.find(key_of(packed)), order);
    }
  }
  for (const std::uint64_t packed : live)
    ASSERT_TRUE(index.erase(key_of(packed)));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.back_size(), 0u);
}

TEST(FixedHashMap, rejects_zero_capacity_at_construction) {
  EXPECT_THROW(Map(0), std::invalid_argument);
}

}  // namespace
}  // namespace llt::exchange
