// The snapshot synthesizer's replica of one ticker's book: each record type's result and effect,
// the refusals (duplicate, unknown, full), the walk in priority order, and seeded random streams
// of 200,000 updates compared update for update with a std::map model.
#include "exchange/market_data/replica_book.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exchange/matcher/book_handler.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange {
namespace {

constexpr TickerId kTicker = 7;

MarketUpdate record(MarketUpdateType type, OrderId order_id = 0, Side side = Side::kInvalid,
                    Price price = 0, Qty qty = 0, Priority priority = 0) {
  return make_update(type, order_id, kTicker, side, price, qty, priority);
}

MarketUpdate add(OrderId id, Side side, Price price, Qty qty, Priority priority) {
  return record(MarketUpdateType::kAdd, id, side, price, qty, priority);
}
MarketUpdate modify(OrderId id, Qty qty) {
  return record(MarketUpdateType::kModify, id, Side::kBuy, 0, qty, 0);
}
MarketUpdate cancel(OrderId id) {
  return record(MarketUpdateType::kCancel, id, Side::kBuy, 0, 0, 0);
}

// The market order ids of the walk first() .. next() .. nullptr, in that order. Stops after
// max_orders() + 1 orders, so a cycle in the links shows as a walk too long instead of a hang.
std::vector<OrderId> walk_ids(const ReplicaBook& book) {
  std::vector<OrderId> ids;
  for (const ReplicaOrder* order = book.first();
       order != nullptr && ids.size() <= book.max_orders(); order = book.next(*order)) {
    ids.push_back(order->order_id);
  }
  return ids;
}

TEST(ReplicaBook, add_rests_the_order_with_the_fields_of_the_update) {
  ReplicaBook book(kTicker, 8, 0);
  EXPECT_EQ(book.ticker_id(), kTicker);
  EXPECT_EQ(book.max_orders(), 8u);
  EXPECT_EQ(book.order_count(), 0u);
  EXPECT_EQ(book.first(), nullptr);

  EXPECT_EQ(book.apply(add(1, Side::kBuy, 995, 10, 1)), ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(add(2, Side::kSell, 1005, 20, 2)), ReplicaResult::kApplied);
  EXPECT_EQ(book.order_count(), 2u);

  const ReplicaOrder* first = book.find(1);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->order_id, 1u);
  EXPECT_EQ(first->side, Side::kBuy);
  EXPECT_EQ(first->price, 995);
  EXPECT_EQ(first->qty, 10u);
  EXPECT_EQ(first->priority, 1u);
  const ReplicaOrder* second = book.find(2);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->side, Side::kSell);
  EXPECT_EQ(second->price, 1005);
  EXPECT_EQ(second->qty, 20u);
  EXPECT_EQ(second->priority, 2u);
  EXPECT_EQ(book.find(3), nullptr);

  EXPECT_EQ(book.first(), first);
  EXPECT_EQ(book.next(*first), second);
  EXPECT_EQ(book.next(*second), nullptr);
}

TEST(ReplicaBook, modify_sets_the_resting_qty_and_nothing_else) {
  ReplicaBook book(kTicker, 8, 0);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 995, 10, 1)), ReplicaResult::kApplied);
  ASSERT_EQ(book.apply(add(2, Side::kSell, 1005, 20, 2)), ReplicaResult::kApplied);

  // The update's other fields differ from the order's: only its qty is taken.
  EXPECT_EQ(book.apply(record(MarketUpdateType::kModify, 1, Side::kSell, 1, 4, 99)),
            ReplicaResult::kApplied);
  const ReplicaOrder* order = book.find(1);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->qty, 4u);
  EXPECT_EQ(order->side, Side::kBuy);
  EXPECT_EQ(order->price, 995);
  EXPECT_EQ(order->priority, 1u);
  EXPECT_EQ(book.find(2)->qty, 20u);

  // A MODIFY keeps the order's place in the walk; it may set any quantity, larger too.
  EXPECT_EQ(book.apply(modify(1, 30)), ReplicaResult::kApplied);
  EXPECT_EQ(book.find(1)->qty, 30u);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2}));
  EXPECT_EQ(book.order_count(), 2u);
}

TEST(ReplicaBook, cancel_removes_the_order_and_joins_its_neighbours) {
  ReplicaBook book(kTicker, 8, 0);
  for (OrderId id = 1; id <= 5; ++id) {
    ASSERT_EQ(book.apply(add(id, Side::kBuy, 1000, 10, id)), ReplicaResult::kApplied);
  }

  EXPECT_EQ(book.apply(cancel(3)), ReplicaResult::kApplied);  // the middle
  EXPECT_EQ(book.find(3), nullptr);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2, 4, 5}));
  EXPECT_EQ(book.apply(cancel(1)), ReplicaResult::kApplied);  // the head
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{2, 4, 5}));
  EXPECT_EQ(book.apply(cancel(5)), ReplicaResult::kApplied);  // the tail
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{2, 4}));
  EXPECT_EQ(book.order_count(), 2u);

  // A new ADD goes after the new tail, and the list can be emptied and refilled.
  EXPECT_EQ(book.apply(add(6, Side::kSell, 1001, 1, 6)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{2, 4, 6}));
  for (const OrderId id : {4, 2, 6}) {
    EXPECT_EQ(book.apply(cancel(id)), ReplicaResult::kApplied) << id;
  }
  EXPECT_EQ(book.first(), nullptr);
  EXPECT_EQ(book.order_count(), 0u);
  EXPECT_EQ(book.apply(add(7, Side::kBuy, 999, 3, 7)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{7}));
}

TEST(ReplicaBook, trade_is_applied_and_changes_nothing) {
  ReplicaBook book(kTicker, 8, 0);
  ASSERT_EQ(book.apply(add(1, Side::kSell, 1005, 10, 1)), ReplicaResult::kApplied);

  // The aggressor's id (not resting), then the passive order's id: neither changes the book.
  EXPECT_EQ(book.apply(record(MarketUpdateType::kTrade, 9, Side::kBuy, 1005, 4, 0)),
            ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(record(MarketUpdateType::kTrade, 1, Side::kBuy, 1005, 4, 0)),
            ReplicaResult::kApplied);
  EXPECT_EQ(book.order_count(), 1u);
  EXPECT_EQ(book.find(9), nullptr);
  const ReplicaOrder* order = book.find(1);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->qty, 10u);
  EXPECT_EQ(order->price, 1005);
  EXPECT_EQ(order->side, Side::kSell);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1}));
}

TEST(ReplicaBook, clear_empties_the_book_which_then_takes_the_same_ids_again) {
  ReplicaBook book(kTicker, 4, 0);
  for (OrderId id = 1; id <= 4; ++id) {
    ASSERT_EQ(book.apply(add(id, Side::kBuy, 1000, 10, id)), ReplicaResult::kApplied);
  }

  EXPECT_EQ(book.apply(record(MarketUpdateType::kClear)), ReplicaResult::kApplied);
  EXPECT_EQ(book.order_count(), 0u);
  EXPECT_EQ(book.first(), nullptr);
  for (OrderId id = 1; id <= 4; ++id) {
    EXPECT_EQ(book.find(id), nullptr) << id;
  }
  EXPECT_EQ(book.apply(cancel(2)), ReplicaResult::kUnknownOrder);

  // Every slot is free again and no id is taken: the full book's ids come back in any order.
  // (The first is checked alone: stale links would make the next ADD's walk back spin.)
  ASSERT_EQ(book.apply(add(3, Side::kSell, 1001, 5, 13)), ReplicaResult::kApplied);
  ASSERT_EQ(walk_ids(book), (std::vector<OrderId>{3}));
  for (const OrderId id : {1, 4, 2}) {
    EXPECT_EQ(book.apply(add(id, Side::kSell, 1001, 5, 10 + id)), ReplicaResult::kApplied) << id;
  }
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2, 3, 4}));
  EXPECT_EQ(book.order_count(), 4u);

  // clear() directly, and a CLEAR of an empty book.
  book.clear();
  EXPECT_EQ(book.order_count(), 0u);
  EXPECT_EQ(book.first(), nullptr);
  EXPECT_EQ(book.apply(record(MarketUpdateType::kClear)), ReplicaResult::kApplied);
  EXPECT_EQ(book.order_count(), 0u);
}

TEST(ReplicaBook, heartbeat_and_other_record_types_are_ignored_and_change_nothing) {
  ReplicaBook book(kTicker, 8, 0);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 995, 10, 1)), ReplicaResult::kApplied);

  // Each names the resting order, as if it were a CANCEL or MODIFY of it.
  for (const MarketUpdateType type :
       {MarketUpdateType::kHeartbeat, MarketUpdateType::kSnapshotStart,
        MarketUpdateType::kSnapshotEnd, MarketUpdateType::kReplayEnd, MarketUpdateType::kInvalid,
        static_cast<MarketUpdateType>(200)}) {
    EXPECT_EQ(book.apply(record(type, 1, Side::kBuy, 995, 3, 1)), ReplicaResult::kIgnored)
        << static_cast<int>(type);
  }
  EXPECT_EQ(book.order_count(), 1u);
  const ReplicaOrder* order = book.find(1);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->qty, 10u);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1}));
}

TEST(ReplicaBook, add_of_a_resting_id_is_a_duplicate_and_changes_nothing) {
  ReplicaBook book(kTicker, 8, 0);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 995, 10, 1)), ReplicaResult::kApplied);
  ASSERT_EQ(book.apply(add(2, Side::kBuy, 995, 10, 2)), ReplicaResult::kApplied);

  EXPECT_EQ(book.apply(add(1, Side::kSell, 1010, 77, 3)), ReplicaResult::kDuplicateOrder);
  EXPECT_EQ(book.order_count(), 2u);
  const ReplicaOrder* order = book.find(1);
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->side, Side::kBuy);
  EXPECT_EQ(order->price, 995);
  EXPECT_EQ(order->qty, 10u);
  EXPECT_EQ(order->priority, 1u);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2}));

  // Once cancelled, the id may rest again.
  ASSERT_EQ(book.apply(cancel(1)), ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(add(1, Side::kSell, 1010, 77, 3)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{2, 1}));
  EXPECT_EQ(book.find(1)->qty, 77u);
}

TEST(ReplicaBook, modify_or_cancel_of_an_id_not_resting_is_unknown_and_changes_nothing) {
  ReplicaBook book(kTicker, 8, 0);
  EXPECT_EQ(book.apply(modify(1, 5)), ReplicaResult::kUnknownOrder);  // empty book
  EXPECT_EQ(book.apply(cancel(1)), ReplicaResult::kUnknownOrder);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 995, 10, 1)), ReplicaResult::kApplied);
  ASSERT_EQ(book.apply(add(2, Side::kBuy, 995, 10, 2)), ReplicaResult::kApplied);

  EXPECT_EQ(book.apply(modify(3, 5)), ReplicaResult::kUnknownOrder);  // never added
  EXPECT_EQ(book.apply(cancel(3)), ReplicaResult::kUnknownOrder);
  EXPECT_EQ(book.find(3), nullptr);
  ASSERT_EQ(book.apply(cancel(1)), ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(modify(1, 5)), ReplicaResult::kUnknownOrder);  // cancelled
  EXPECT_EQ(book.apply(cancel(1)), ReplicaResult::kUnknownOrder);
  EXPECT_EQ(book.find(1), nullptr);

  EXPECT_EQ(book.order_count(), 1u);
  EXPECT_EQ(book.find(2)->qty, 10u);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{2}));
}

TEST(ReplicaBook, add_with_every_slot_in_use_is_full_and_fits_again_after_a_cancel) {
  ReplicaBook book(kTicker, 3, 0);
  for (OrderId id = 1; id <= 3; ++id) {
    ASSERT_EQ(book.apply(add(id, Side::kBuy, 1000, 10, id)), ReplicaResult::kApplied);
  }

  EXPECT_EQ(book.apply(add(4, Side::kBuy, 1000, 10, 4)), ReplicaResult::kFull);
  EXPECT_EQ(book.order_count(), 3u);
  EXPECT_EQ(book.find(4), nullptr);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2, 3}));
  // Nothing of the refused order remains: it is unknown, and a duplicate check still wins.
  EXPECT_EQ(book.apply(cancel(4)), ReplicaResult::kUnknownOrder);
  EXPECT_EQ(book.apply(add(2, Side::kBuy, 1000, 10, 5)), ReplicaResult::kDuplicateOrder);

  ASSERT_EQ(book.apply(cancel(2)), ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(add(4, Side::kSell, 1001, 6, 4)), ReplicaResult::kApplied);
  EXPECT_EQ(book.order_count(), 3u);
  ASSERT_NE(book.find(4), nullptr);
  EXPECT_EQ(book.find(4)->qty, 6u);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 3, 4}));
  EXPECT_EQ(book.apply(add(5, Side::kBuy, 1000, 10, 5)), ReplicaResult::kFull);
}

TEST(ReplicaBook, walk_is_in_ascending_priority_with_an_out_of_order_add_at_its_place) {
  ReplicaBook book(kTicker, 16, 0);
  ASSERT_EQ(book.apply(add(1, Side::kBuy, 1000, 1, 10)), ReplicaResult::kApplied);
  ASSERT_EQ(book.apply(add(2, Side::kSell, 1001, 1, 20)), ReplicaResult::kApplied);
  ASSERT_EQ(book.apply(add(3, Side::kBuy, 999, 1, 30)), ReplicaResult::kApplied);

  // Lower than the tail's priority: goes between 10 and 20, then before everything.
  EXPECT_EQ(book.apply(add(4, Side::kBuy, 1000, 1, 15)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 4, 2, 3}));
  EXPECT_EQ(book.apply(add(5, Side::kSell, 1002, 1, 5)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{5, 1, 4, 2, 3}));
  // Just below the tail, then a new tail again.
  EXPECT_EQ(book.apply(add(6, Side::kBuy, 1000, 1, 29)), ReplicaResult::kApplied);
  EXPECT_EQ(book.apply(add(7, Side::kBuy, 1000, 1, 40)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{5, 1, 4, 2, 6, 3, 7}));
  // An equal priority goes after the orders that already have it.
  EXPECT_EQ(book.apply(add(8, Side::kBuy, 1000, 1, 15)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{5, 1, 4, 8, 2, 6, 3, 7}));

  std::vector<Priority> priorities;
  for (const ReplicaOrder* order = book.first(); order != nullptr; order = book.next(*order)) {
    priorities.push_back(order->priority);
  }
  EXPECT_EQ(priorities, (std::vector<Priority>{5, 10, 15, 15, 20, 29, 30, 40}));

  // Removing the out-of-order orders leaves the rest linked in order.
  for (const OrderId id : {5, 8, 4}) {
    ASSERT_EQ(book.apply(cancel(id)), ReplicaResult::kApplied) << id;
  }
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{1, 2, 6, 3, 7}));
  EXPECT_EQ(book.apply(add(9, Side::kBuy, 1000, 1, 1)), ReplicaResult::kApplied);
  EXPECT_EQ(walk_ids(book), (std::vector<OrderId>{9, 1, 2, 6, 3, 7}));
}

TEST(ReplicaBook, refuses_zero_max_orders_at_construction) {
  EXPECT_THROW(ReplicaBook(kTicker, 0, 0), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// The book against a plain model, update by update.

// What the model keeps of a resting order. add_seq breaks priority ties: of two orders with
// equal priorities the book lists the one added earlier first.
struct ModelOrder {
  Side side;
  Price price;
  Qty qty;
  Priority priority;
  std::uint64_t add_seq;
};

struct DifferentialCase {
  std::uint64_t seed;
  std::uint64_t hash_seed;
};

// gtest prints the case by its seeds instead of its bytes.
void PrintTo(const DifferentialCase& c, std::ostream* out) {
  *out << "seed " << c.seed << ", hash seed " << c.hash_seed;
}

constexpr std::size_t kMaxOrders = 4'096;
constexpr std::size_t kOperations = 200'000;
constexpr std::size_t kWalkEvery = 500;      // operations between whole-book comparisons
constexpr std::size_t kWalkAlwaysUpTo = 32;  // ... except with at most this many resting

// A random incremental stream for one book, and the model's expectation of every update.
//
// Order ids are drawn to stress the id index (a hash map over blocks of 16 consecutive ids):
// mostly the next market order id, counting up from 1, as the matcher assigns them; some are
// small multiples of large powers of two (keys alike in their low bits), some come from runs
// spaced exactly 16 apart (one id per block) and 64 apart, and some re-ADD a resting id. CANCELs
// name recent orders, any resting order, or an order gone or never added; MODIFYs any resting
// order or one not resting. The ADD share changes every few thousand updates, so the book
// fills up to max_orders (ADDs refused as full), drains, and now and then is CLEARed.
class Differential {
 public:
  explicit Differential(const DifferentialCase& c)
      : rng_(c.seed), book_(kTicker, kMaxOrders, c.hash_seed) {
    spaced16_ = (std::uint64_t{1} << 36) + rng_.below(1u << 20) * 16;
    spaced64_ = (std::uint64_t{1} << 44) + rng_.below(1u << 20) * 64;
  }

  // Draws one update, applies it to both and checks the result code and the order it touched.
  // Returns the problem, empty if none.
  std::string step(std::size_t op) {
    if (op % 5'000 == 0) {
      add_per_mille_ = 250 + rng_.below(450);  // 25% (draining) .. 70% (filling up)
    }
    const MarketUpdate update = draw();
    const ReplicaResult expected = expect_and_apply(update);
    const ReplicaResult actual = book_.apply(update);
    ++results_[static_cast<int>(actual)];
    max_count_ = std::max(max_count_, model_.size());
    if (actual != expected) {
      return fmt::format("op {}: type {} id {}: result {}, the model expects {}", op,
                         static_cast<int>(update.msg_type), update.order_id,
                         static_cast<int>(actual), static_cast<int>(expected));
    }
    if (book_.order_count() != model_.size()) {
      return fmt::format("op {}: order_count {}, the model has {}", op, book_.order_count(),
                         model_.size());
    }
    return check_order(update.order_id, op);
  }

  // The whole book: the walk against the model sorted by priority, and find() of every id.
  std::string check_book(std::size_t op) const {
    std::vector<std::pair<OrderId, const ModelOrder*>> expected;
    expected.reserve(model_.size());
    for (const auto& [id, order] : model_) {
      expected.emplace_back(id, &order);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      return a.second->priority != b.second->priority ? a.second->priority < b.second->priority
                                                      : a.second->add_seq < b.second->add_seq;
    });
    std::size_t position = 0;
    for (const ReplicaOrder* order = book_.first(); order != nullptr;
         order = book_.next(*order), ++position) {
      if (position >= expected.size()) {
        return fmt::format("op {}: the walk has more than the model's {} orders", op,
                           expected.size());
      }
      const auto& [id, want] = expected[position];
      if (order->order_id != id || order->price != want->price || order->qty != want->qty ||
          order->side != want->side || order->priority != want->priority) {
        return fmt::format(
            "op {}: walk position {}: order {} price {} qty {} side {} priority {}, the model "
            "has order {} price {} qty {} side {} priority {}",
            op, position, order->order_id, order->price, order->qty, static_cast<int>(order->side),
            order->priority, id, want->price, want->qty, static_cast<int>(want->side),
            want->priority);
      }
    }
    if (position != expected.size()) {
      return fmt::format("op {}: the walk has {} orders, the model {}", op, position,
                         expected.size());
    }
    for (const auto& [id, want] : model_) {
      const ReplicaOrder* order = book_.find(id);
      if (order == nullptr || order->order_id != id) {
        return fmt::format("op {}: find({}) does not return the resting order", op, id);
      }
    }
    if (book_.order_count() != model_.size()) {
      return fmt::format("op {}: order_count {}, the model has {}", op, book_.order_count(),
                         model_.size());
    }
    return {};
  }

  [[nodiscard]] std::size_t results(ReplicaResult result) const {
    const auto it = results_.find(static_cast<int>(result));
    return it == results_.end() ? 0 : it->second;
  }
  [[nodiscard]] std::size_t resting() const { return model_.size(); }
  [[nodiscard]] std::size_t max_count() const { return max_count_; }
  [[nodiscard]] std::size_t clears() const { return clears_; }
  [[nodiscard]] std::size_t out_of_order_adds() const { return out_of_order_adds_; }
  [[nodiscard]] std::size_t unusual_ids() const { return unusual_ids_; }

 private:
  MarketUpdate draw() {
    const std::uint64_t roll = rng_.below(1000);
    if (roll < add_per_mille_) {
      return add(draw_add_id(), rng_.chance(500) ? Side::kBuy : Side::kSell,
                 static_cast<Price>(900 + rng_.below(200)), static_cast<Qty>(1 + rng_.below(1000)),
                 draw_priority());
    }
    const std::uint64_t rest = rng_.below(1000);
    if (rest < 550) {  // CANCEL
      const std::uint64_t kind = rng_.below(100);
      const OrderId id = kind < 45 ? recent_id() : kind < 90 ? resting_id() : absent_id();
      return record(MarketUpdateType::kCancel, id, Side::kBuy, 0, 0, 0);
    }
    if (rest < 900) {  // MODIFY
      const OrderId id = rng_.chance(900) ? resting_id() : absent_id();
      return record(MarketUpdateType::kModify, id, Side::kBuy, 0,
                    static_cast<Qty>(rng_.below(1000)), 0);
    }
    if (rest < 960) {  // TRADE: an aggressor id, resting or not
      return record(MarketUpdateType::kTrade, rng_.chance(500) ? resting_id() : next_id_,
                    Side::kSell, 1000, 5, 0);
    }
    if (rest < 961 && rng_.chance(60)) {  // CLEAR: about 1 in 30,000 updates
      return record(MarketUpdateType::kClear);
    }
    static constexpr MarketUpdateType kIgnoredTypes[] = {
        MarketUpdateType::kHeartbeat, MarketUpdateType::kSnapshotStart,
        MarketUpdateType::kSnapshotEnd, MarketUpdateType::kReplayEnd, MarketUpdateType::kInvalid};
    return record(kIgnoredTypes[rng_.below(std::size(kIgnoredTypes))], resting_id(), Side::kBuy,
                  1000, 1, 1);
  }

  OrderId draw_add_id() {
    const std::uint64_t kind = rng_.below(1000);
    if (kind < 800) {
      return next_id_++;
    }
    ++unusual_ids_;
    if (kind < 860) {  // k * 2^s: the low bits (the place within a block) all zero
      return (1 + rng_.below(15)) << (16 + rng_.below(47));
    }
    if (kind < 920) {  // a run one id per block: equal low bits, neighbouring blocks
      spaced16_ += 16;
      return spaced16_;
    }
    if (kind < 970) {  // a run four blocks apart
      spaced64_ += 64;
      return spaced64_;
    }
    if (kind < 975) {  // the ends of the id range
      return rng_.chance(500) ? 0 : UINT64_MAX;
    }
    return resting_id();  // a duplicate while it rests
  }

  // Mostly the next priority of the book; sometimes one below the tail's, which the book must
  // walk back to place (equal to a resting order's at times).
  Priority draw_priority() {
    if (next_priority_ > 1 && rng_.chance(50)) {
      ++out_of_order_adds_;
      return rng_.chance(800)
                 ? next_priority_ - 1 - rng_.below(std::min<Priority>(64, next_priority_ - 1))
                 : rng_.below(next_priority_);
    }
    return next_priority_++;
  }

  // One of the last ids added (sequential or not), resting or already gone.
  OrderId recent_id() {
    if (added_.empty()) {
      return next_id_;
    }
    const std::size_t back = rng_.below(std::min<std::size_t>(added_.size(), 32));
    return added_[added_.size() - 1 - back];
  }
  // Any resting order, chosen uniformly (old ones included).
  OrderId resting_id() {
    if (resting_.empty()) {
      return next_id_;
    }
    return resting_[rng_.below(resting_.size())];
  }
  // An id not resting: one added long ago (likely gone), a neighbour of the next, or any.
  OrderId absent_id() {
    const std::uint64_t kind = rng_.below(3);
    if (kind == 0 && !added_.empty()) {
      return added_[rng_.below(added_.size())];
    }
    if (kind == 1) {
      return next_id_ + rng_.below(16);
    }
    return rng_.next();
  }

  ReplicaResult expect_and_apply(const MarketUpdate& update) {
    const OrderId id = update.order_id;
    switch (update.msg_type) {
      case MarketUpdateType::kAdd: {
        if (model_.count(id) != 0) {
          return ReplicaResult::kDuplicateOrder;
        }
        if (model_.size() == kMaxOrders) {
          return ReplicaResult::kFull;
        }
        model_.emplace(
            id, ModelOrder{update.side, update.price, update.qty, update.priority, add_seq_++});
        position_[id] = resting_.size();
        resting_.push_back(id);
        added_.push_back(id);
        return ReplicaResult::kApplied;
      }
      case MarketUpdateType::kModify: {
        const auto it = model_.find(id);
        if (it == model_.end()) {
          return ReplicaResult::kUnknownOrder;
        }
        it->second.qty = update.qty;
        return ReplicaResult::kApplied;
      }
      case MarketUpdateType::kCancel: {
        if (model_.erase(id) == 0) {
          return ReplicaResult::kUnknownOrder;
        }
        forget(id);
        return ReplicaResult::kApplied;
      }
      case MarketUpdateType::kTrade:
        return ReplicaResult::kApplied;
      case MarketUpdateType::kClear:
        ++clears_;
        model_.clear();
        resting_.clear();
        position_.clear();
        return ReplicaResult::kApplied;
      default:
        return ReplicaResult::kIgnored;
    }
  }

  void forget(OrderId id) {
    const auto it = position_.find(id);
    const std::size_t at = it->second;
    position_.erase(it);
    if (at + 1 != resting_.size()) {
      resting_[at] = resting_.back();
      position_[resting_[at]] = at;
    }
    resting_.pop_back();
  }

  // The order an update named: as the model has it, or absent from both.
  std::string check_order(OrderId id, std::size_t op) const {
    const ReplicaOrder* order = book_.find(id);
    const auto it = model_.find(id);
    if (it == model_.end()) {
      return order == nullptr
                 ? std::string{}
                 : fmt::format("op {}: find({}) returns an order the model lacks", op, id);
    }
    const ModelOrder& want = it->second;
    if (order == nullptr || order->order_id != id || order->price != want.price ||
        order->qty != want.qty || order->side != want.side || order->priority != want.priority) {
      return fmt::format("op {}: find({}) does not return the order the model has", op, id);
    }
    return {};
  }

  test::SplitMix64 rng_;
  ReplicaBook book_;
  std::map<OrderId, ModelOrder> model_;
  std::vector<OrderId> resting_;                       // the model's ids, for uniform picks
  std::unordered_map<OrderId, std::size_t> position_;  // id -> index in resting_
  std::vector<OrderId> added_;                         // every id added, in order
  OrderId next_id_ = 1;
  Priority next_priority_ = 1;
  std::uint64_t add_seq_ = 0;
  std::uint64_t spaced16_ = 0;
  std::uint64_t spaced64_ = 0;
  std::uint64_t add_per_mille_ = 500;
  std::map<int, std::size_t> results_;
  std::size_t max_count_ = 0;
  std::size_t clears_ = 0;
  std::size_t out_of_order_adds_ = 0;
  std::size_t unusual_ids_ = 0;
};

class ReplicaBookDifferential : public ::testing::TestWithParam<DifferentialCase> {};

TEST_P(ReplicaBookDifferential, agrees_with_a_map_model_update_for_update) {
  Differential differential(GetParam());
  for (std::size_t op = 0; op < kOperations; ++op) {
    const std::string problem = differential.step(op);
    ASSERT_TRUE(problem.empty()) << problem;
    // A small book (at the start, after a CLEAR or draining to empty: the head and tail edge
    // cases) is compared after every update, so broken links fail here before a later ADD's
    // walk back can spin on them.
    if ((op + 1) % kWalkEvery == 0 || differential.resting() <= kWalkAlwaysUpTo) {
      const std::string book_problem = differential.check_book(op);
      ASSERT_TRUE(book_problem.empty()) << book_problem;
    }
  }
  const std::string book_problem = differential.check_book(kOperations);
  ASSERT_TRUE(book_problem.empty()) << book_problem;

  const std::size_t applied = differential.results(ReplicaResult::kApplied);
  const std::size_t full = differential.results(ReplicaResult::kFull);
  const std::size_t duplicates = differential.results(ReplicaResult::kDuplicateOrder);
  const std::size_t unknown = differential.results(ReplicaResult::kUnknownOrder);
  const std::size_t ignored = differential.results(ReplicaResult::kIgnored);
  std::printf(
      "%zu updates: %zu applied, %zu full, %zu duplicate, %zu unknown, %zu ignored; %zu clears, "
      "%zu out-of-order adds, %zu unusual ids, at most %zu resting\n",
      kOperations, applied, full, duplicates, unknown, ignored, differential.clears(),
      differential.out_of_order_adds(), differential.unusual_ids(), differential.max_count());
  // The stream must actually reach what the comparison claims to cover.
  EXPECT_EQ(differential.max_count(), kMaxOrders) << "the book must fill up";
  EXPECT_GT(full, 100u);
  EXPECT_GT(duplicates, 100u);
  EXPECT_GT(unknown, 1'000u);
  EXPECT_GT(ignored, 100u);
  EXPECT_GT(differential.clears(), 0u);
  EXPECT_GT(differential.out_of_order_adds(), 1'000u);
  EXPECT_GT(differential.unusual_ids(), 10'000u);
}

const DifferentialCase kCases[] = {
    {1, 0},
    {2, 0},
    {3, 0},
    {4, 0},
    {5, 0},
    {1, 0x5eedc0ffee123457},
    {2, 0x5eedc0ffee123457},
    {3, 0x5eedc0ffee123457},
    {4, 0x5eedc0ffee123457},
    {5, 0x5eedc0ffee123457},
};

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaBookDifferential, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           return fmt::format("seed_{}_hash_seed_{}", info.param.seed,
                                              info.param.hash_seed == 0 ? "0" : "nonzero");
                         });

}  // namespace
}  // namespace llt::exchange
