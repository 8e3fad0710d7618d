#include "exchange/matcher/order_id_index.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

TEST(OrderIdIndex, order_keys_of_different_clients_do_not_collide) {
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

}  // namespace
}  // namespace llt::exchange
