#include "exchange/matcher/price_ladder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <set>
#include <stdexcept>

#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

TEST(PriceLadder, bids_keep_the_highest_price_at_the_top) {
  PriceLadder bids(Side::kBuy, 8);
  ASSERT_TRUE(bids.insert(100, 0));
  ASSERT_TRUE(bids.insert(102, 1));
  ASSERT_TRUE(bids.insert(101, 2));
  EXPECT_EQ(bids.price_of(bids.best()), 102);
  EXPECT_EQ(bids.best().level, 1u);
  EXPECT_EQ(bids.price_of(bids.at_depth(1)), 101);
  EXPECT_EQ(bids.price_of(bids.at_depth(2)), 100);
}

TEST(PriceLadder, asks_keep_the_lowest_price_at_the_top) {
  PriceLadder asks(Side::kSell, 8);
  ASSERT_TRUE(asks.insert(100, 0));
  ASSERT_TRUE(asks.insert(98, 1));
  ASSERT_TRUE(asks.insert(99, 2));
  EXPECT_EQ(asks.price_of(asks.best()), 98);
  asks.pop_best();
  EXPECT_EQ(asks.price_of(asks.best()), 99);
  asks.erase(100);
  EXPECT_EQ(asks.size(), 1u);
  EXPECT_EQ(asks.price_of(asks.best()), 99);
}

TEST(PriceLadder, extreme_prices_order_correctly) {
  constexpr Price kMax = std::numeric_limits<Price>::max();
  PriceLadder asks(Side::kSell, 4);
  ASSERT_TRUE(asks.insert(kMax, 0));
  ASSERT_TRUE(asks.insert(1, 1));
  ASSERT_TRUE(asks.insert(kMax - 1, 2));
  EXPECT_EQ(asks.price_of(asks.at_depth(0)), 1);
  EXPECT_EQ(asks.price_of(asks.at_depth(1)), kMax - 1);
  EXPECT_EQ(asks.price_of(asks.at_depth(2)), kMax);
}

TEST(PriceLadder, refuses_insert_when_full) {
  PriceLadder bids(Side::kBuy, 2);
  ASSERT_TRUE(bids.insert(1, 0));
  ASSERT_TRUE(bids.insert(2, 1));
  EXPECT_FALSE(bids.insert(3, 2));
  EXPECT_EQ(bids.size(), 2u);
}

// The ladder holds exactly the model's prices, best first, each with its level slot (the
// tests store the price as the slot).
void expect_same_levels(const PriceLadder& ladder, const std::set<Price>& model) {
  ASSERT_EQ(ladder.size(), model.size());
  std::size_t depth = 0;
  auto check = [&](Price expected) {
    ASSERT_EQ(ladder.price_of(ladder.at_depth(depth)), expected) << "depth " << depth;
    ASSERT_EQ(ladder.at_depth(depth).level, static_cast<PoolIndex>(expected));
    ++depth;
  };
  if (ladder.side() == Side::kBuy) {
    for (auto it = model.rbegin(); it != model.rend(); ++it)
      check(*it);
  } else {
    for (const Price p : model)
      check(p);
  }
}

// Inserts and erases near the top and deep in the book (past the top window) agree with an
// ordered set.
TEST(PriceLadder, random_inserts_and_erases_agree_with_an_ordered_set) {
  for (const Side side : {Side::kBuy, Side::kSell}) {
    PriceLadder ladder(side, 4'096);
    std::set<Price> model;
    test::SplitMix64 rng(side == Side::kBuy ? 1 : 2);
    for (int i = 0; i < 50'000; ++i) {
      const Price price = 1 + static_cast<Price>(rng.below(3'000));
      if (model.count(price) == 0) {
        if (model.size() < 4'096 && rng.chance(520)) {
          ASSERT_TRUE(ladder.insert(price, static_cast<PoolIndex>(price)));
          model.insert(price);
        }
      } else if (rng.chance(500)) {
        ladder.erase(price);
        model.erase(price);
      }
      if (i % 500 == 0) {
        ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model)) << "step " << i;
      }
    }
  }
}

TEST(PriceLadder, levels_opening_and_closing_near_the_top_keep_the_order) {
  // The flow of a real book: a short ladder (about half of its 24 entries in use) whose
  // levels open and close a few ticks from the best, now and then one deep, checked against an
  // ordered set after every step. Ladders shorter than the top window and full ladders are
  // walked position by position in every_position_of_every_size_keeps_the_order below.
  constexpr std::size_t kCapacity = 24;
  for (const Side side : {Side::kBuy, Side::kSell}) {
    PriceLadder ladder(side, kCapacity);
    std::set<Price> model;
    test::SplitMix64 rng(side == Side::kBuy ? 3 : 4);
    Price mid = 10'000;
    for (int i = 0; i < 100'000; ++i) {
      mid += static_cast<Price>(rng.below(3)) - 1;
      Price price = mid + static_cast<Price>(rng.below(21)) - 10;
      if (rng.chance(30)) {
        price = mid + static_cast<Price>(rng.below(2'000)) - 1'000;  // deep on either side
      }
      const bool erase = !model.empty() && (rng.chance(model.size() * 1'000 / kCapacity) ||
                                            model.size() == kCapacity);
      if (erase) {
        // A level near the top, or now and then any level.
        auto it = model.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng.below(model.size())));
        if (rng.chance(700)) {
          const auto depth =
              static_cast<std::ptrdiff_t>(rng.below(std::min<std::size_t>(model.size(), 7)));
          it = side == Side::kBuy ? std::prev(model.end(), 1 + depth)
                                  : std::next(model.begin(), depth);
        }
        ladder.erase(*it);
        model.erase(it);
      } else if (model.count(price) == 0) {
        ASSERT_TRUE(ladder.insert(price, static_cast<PoolIndex>(price)));
        model.insert(price);
      }
      ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model)) << "step " << i;
    }
  }
}

TEST(PriceLadder, every_position_of_every_size_keeps_the_order) {
  // Every size from empty to full, for capacities around the top window (7 entries): a level
  // opened at every position (below the bottom, between each pair, above the top) and closed
  // again, and every level closed and opened again. Short ladders put the window on the
  // sentinels below the array; full ones move entries into the slack above it.
  for (const Side side : {Side::kBuy, Side::kSell}) {
    for (std::size_t capacity = 1; capacity <= 17; ++capacity) {
      for (std::size_t size = 0; size <= capacity; ++size) {
        PriceLadder ladder(side, capacity);
        std::set<Price> model;
        for (std::size_t k = 0; k < size; ++k) {
          const Price price = 100 + 2 * static_cast<Price>(k);
          ASSERT_TRUE(ladder.insert(price, static_cast<PoolIndex>(price)));
          model.insert(price);
        }
        ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model));
        for (std::size_t k = 0; k <= size; ++k) {
          const Price price = 99 + 2 * static_cast<Price>(k);  // odd: between the levels
          if (size == capacity) {
            EXPECT_FALSE(ladder.insert(price, 0)) << "full at capacity " << capacity;
            ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model));
            continue;
          }
          ASSERT_TRUE(ladder.insert(price, static_cast<PoolIndex>(price)));
          model.insert(price);
          ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model))
              << "capacity " << capacity << " size " << size << " opened " << price;
          ladder.erase(price);
          model.erase(price);
          ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model))
              << "capacity " << capacity << " size " << size << " closed " << price;
        }
        for (std::size_t k = 0; k < size; ++k) {
          const Price price = 100 + 2 * static_cast<Price>(k);
          ladder.erase(price);
          model.erase(price);
          ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model))
              << "capacity " << capacity << " size " << size << " closed " << price;
          ASSERT_TRUE(ladder.insert(price, static_cast<PoolIndex>(price)));
          model.insert(price);
          ASSERT_NO_FATAL_FAILURE(expect_same_levels(ladder, model))
              << "capacity " << capacity << " size " << size << " reopened " << price;
        }
      }
    }
  }
}

TEST(PriceLadder, rejects_invalid_construction) {
  EXPECT_THROW(PriceLadder(Side::kInvalid, 4), std::invalid_argument);
  EXPECT_THROW(PriceLadder(Side::kBuy, 0), std::invalid_argument);
}

}  // namespace
}  // namespace llt::exchange
