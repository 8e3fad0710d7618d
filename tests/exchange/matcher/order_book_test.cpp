// Named tests for the order book and its matcher, one behaviour each, including the classic
// order book bugs (each test says which one it guards against).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/matcher.h"
#include "tests/support/book_checks.h"
#include "tests/support/book_events.h"

namespace llt::test {
namespace {

using exchange::kFlagPostOnly;
using exchange::Matcher;
using exchange::OrderBookOptions;
using exchange::TimeInForce;

constexpr Price kMaxPrice = std::numeric_limits<Price>::max();

class OrderBookTest : public ::testing::Test {
 protected:
  explicit OrderBookTest(OrderBookOptions options = small_options())
      : matcher_({1, 2}, options, recorder_) {}

  static OrderBookOptions small_options() {
    OrderBookOptions options;
    options.max_orders = 64;
    options.max_price_levels = 32;
    options.max_clients = 8;
    return options;
  }

  // Sends one request and returns its events, one canonical line each.
  std::vector<std::string> send(const ClientRequest& request) {
    recorder_.events.clear();
    last_reason_ = matcher_.process(request);
    std::vector<std::string> lines;
    for (const BookEvent& event : recorder_.events)
      lines.push_back(describe(event));
    const std::string problem =
        check_book_invariants(*matcher_.book(1)) + check_book_invariants(*matcher_.book(2));
    EXPECT_EQ(problem, "");
    return lines;
  }
  std::vector<std::string> buy(ClientId client, OrderId id, Price price, Qty qty,
                               TickerId ticker = 1) {
    return send(new_order(client, ticker, id, Side::kBuy, price, qty));
  }
  std::vector<std::string> sell(ClientId client, OrderId id, Price price, Qty qty,
                                TickerId ticker = 1) {
    return send(new_order(client, ticker, id, Side::kSell, price, qty));
  }
  std::vector<std::string> cancel(ClientId client, OrderId id, TickerId ticker = 1) {
    ClientRequest request;
    request.msg_type = ClientRequestType::kCancel;
    request.client_id = client;
    request.ticker_id = ticker;
    request.order_id = id;
    return send(request);
  }
  static ClientRequest new_order(ClientId client, TickerId ticker, OrderId id, Side side,
                                 Price price, Qty qty) {
    ClientRequest request;
    request.msg_type = ClientRequestType::kNew;
    request.client_id = client;
    request.ticker_id = ticker;
    request.order_id = id;
    request.side = side;
    request.price = price;
    request.qty = qty;
    return request;
  }
  const Matcher<RecordingHandler>::Book& book(TickerId ticker = 1) {
    return *matcher_.book(ticker);
  }
  // "price x total" per level, best first.
  std::string levels(Side side, TickerId ticker = 1) {
    std::string text;
    for (std::size_t depth = 0; depth < book(ticker).level_count(side); ++depth) {
      const auto* level = book(ticker).level_at_depth(side, depth);
      text += fmt::format("{}{}x{}", text.empty() ? "" : ",", level->price, level->total_qty);
    }
    return text;
  }

  std::vector<std::string> send_new(ClientId client, OrderId id, Side side, Price price, Qty qty,
                                    TimeInForce tif, std::uint8_t flags = 0) {
    ClientRequest request = new_order(client, 1, id, side, price, qty);
    request.tif = tif;
    request.flags = flags;
    return send(request);
  }
  std::vector<std::string> modify(ClientId client, OrderId id, Side side, Price price, Qty qty) {
    ClientRequest request = new_order(client, 1, id, side, price, qty);
    request.msg_type = ClientRequestType::kModify;
    return send(request);
  }
  // The first word of each line after its "->" or "md" marker: "ACCEPTED FILLED md:TRADE ...".
  static std::string kinds(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
      const bool md = line.rfind("md ", 0) == 0;
      const std::size_t start = line.find(' ') + 1;
      text += fmt::format("{}{}{}", text.empty() ? "" : " ", md ? "md:" : "",
                          line.substr(start, line.find(' ', start) - start));
    }
    return text;
  }

  RecordingHandler recorder_;
  Matcher<RecordingHandler> matcher_;
  RejectReason last_reason_ = RejectReason::kNone;
};

using Lines = std::vector<std::string>;

TEST_F(OrderBookTest, new_that_trades_emits_events_in_design_order) {
  sell(2, 20, 101, 5);  // moid 1
  sell(3, 30, 101, 5);  // moid 2, same level, behind
  EXPECT_EQ(
      buy(1, 10, 101, 7),
      (Lines{
          // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
          "-> ACCEPTED client=1 ticker=1 id=10 moid=3 side=BUY price=101 exec=0 leaves=7 "
          "reason=NONE",
          "-> FILLED client=1 ticker=1 id=10 moid=3 side=BUY price=101 exec=5 leaves=2 reason=NONE",
          "-> FILLED client=2 ticker=1 id=20 moid=1 side=SELL price=101 exec=5 leaves=0 "
          "reason=NONE",
          "md TRADE ticker=1 oid=3 side=BUY price=101 qty=5 priority=0",
          "md CANCEL ticker=1 oid=1 side=SELL price=101 qty=0 priority=1",
          "-> FILLED client=1 ticker=1 id=10 moid=3 side=BUY price=101 exec=2 leaves=0 reason=NONE",
          "-> FILLED client=3 ticker=1 id=30 moid=2 side=SELL price=101 exec=2 leaves=3 "
          "reason=NONE",
          "md TRADE ticker=1 oid=3 side=BUY price=101 qty=2 priority=0",
          "md MODIFY ticker=1 oid=2 side=SELL price=101 qty=3 priority=2",
      }));
  EXPECT_EQ(levels(Side::kSell), "101x3");
  EXPECT_EQ(levels(Side::kBuy), "");
}

// Classic bug: the trade printed at the aggressor's limit instead of the resting price.
TEST_F(OrderBookTest, trade_prints_at_resting_price) {
  sell(2, 20, 100, 5);
  const Lines events = buy(1, 10, 105, 5);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(
      events[1],
      "-> FILLED client=1 ticker=1 id=10 moid=2 side=BUY price=100 exec=5 leaves=0 reason=NONE");
  EXPECT_EQ(
      events[2],
      "-> FILLED client=2 ticker=1 id=20 moid=1 side=SELL price=100 exec=5 leaves=0 reason=NONE");
  EXPECT_EQ(events[3], "md TRADE ticker=1 oid=2 side=BUY price=100 qty=5 priority=0");
  // And for a sell aggressor against a higher bid.
  buy(3, 30, 110, 4);
  const Lines sell_events = sell(4, 40, 90, 4);
  ASSERT_EQ(sell_events.size(), 5u);
  EXPECT_EQ(sell_events[3], "md TRADE ticker=1 oid=4 side=SELL price=110 qty=4 priority=0");
}

// Classic bug: accepting a second live order under an id the client already uses.
TEST_F(OrderBookTest, rejects_duplicate_live_order_id) {
  buy(1, 10, 100, 5);
  EXPECT_EQ(buy(1, 10, 99, 1),
            Lines{"-> REJECTED client=1 ticker=1 id=10 moid=0 side=BUY price=99 exec=0 leaves=0 "
                  "reason=DUPLICATE_ORDER_ID"});
  // Unique across tickers too: order ids are per client, not per book.
  EXPECT_EQ(sell(1, 10, 500, 1, /*ticker=*/2).front(),
            "-> REJECTED client=1 ticker=2 id=10 moid=0 side=SELL price=500 exec=0 leaves=0 "
            "reason=DUPLICATE_ORDER_ID");
  // Another client may use the same number.
  EXPECT_EQ(last_reason_, RejectReason::kDuplicateOrderId);
  buy(2, 10, 100, 5);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
  EXPECT_EQ(levels(Side::kBuy), "100x10");
}

// Classic bug: the cached best price still points at a level that just emptied.
TEST_F(OrderBookTest, best_price_moves_to_next_level_after_best_level_empties) {
  sell(2, 20, 101, 5);
  sell(2, 21, 103, 5);
  sell(2, 22, 107, 5);
  buy(1, 10, 101, 5);  // empties 101 by a fill
  EXPECT_EQ(book().best_price(Side::kSell), 103);
  cancel(2, 21);  // empties 103 by a cancel
  EXPECT_EQ(book().best_price(Side::kSell), 107);
  // A buy at the old best prices must not trade, and rests as the new best bid.
  EXPECT_EQ(buy(1, 11, 103, 1).size(), 2u);
  EXPECT_EQ(book().best_price(Side::kBuy), 103);
  EXPECT_EQ(levels(Side::kSell), "107x5");
}

// Classic bug: cancelling the head or a middle order breaks the FIFO links, so a later sweep
// skips, repeats or reorders orders.
TEST_F(OrderBookTest, cancel_of_head_and_middle_then_sweep_fills_the_rest_in_time_order) {
  for (OrderId id = 1; id <= 5; ++id)
    sell(static_cast<ClientId>(id), id, 100, 1);
  cancel(1, 1);  // head
  cancel(3, 3);  // middle
  const Lines events = buy(7, 70, 100, 10);
  std::vector<std::string> passive_fills;
  for (const std::string& line : events) {
    if (line.rfind("-> FILLED client=7", 0) != 0 && line.rfind("-> FILLED", 0) == 0) {
      passive_fills.push_back(line.substr(0, line.find(" ticker")));
    }
  }
  EXPECT_EQ(passive_fills,
            (Lines{"-> FILLED client=2", "-> FILLED client=4", "-> FILLED client=5"}));
  EXPECT_EQ(events.back(), "md ADD ticker=1 oid=6 side=BUY price=100 qty=7 priority=6");
  EXPECT_EQ(levels(Side::kSell), "");
  // Cancelling the tail and then adding keeps the tail pointer right.
  sell(1, 80, 200, 1);
  sell(2, 81, 200, 1);
  cancel(2, 81);
  sell(3, 82, 200, 1);
  const Lines sweep = buy(7, 71, 200, 2);
  ASSERT_GE(sweep.size(), 9u);
  EXPECT_NE(sweep[2].find("client=1 ticker=1 id=80"), std::string::npos);
  EXPECT_NE(sweep[6].find("client=3 ticker=1 id=82"), std::string::npos);
}

// Classic bug: a sweep through several levels leaves its remainder behind the wrong price, or
// leaves stale levels behind it.
TEST_F(OrderBookTest, multi_level_sweep_remainder_becomes_new_best) {
  sell(2, 20, 101, 2);
  sell(2, 21, 102, 3);
  sell(2, 22, 104, 4);
  sell(2, 23, 110, 1);
  buy(3, 30, 99, 5);
  const Lines events = buy(1, 10, 105, 12);
  EXPECT_EQ(events.back(), "md ADD ticker=1 oid=6 side=BUY price=105 qty=3 priority=6");
  EXPECT_EQ(levels(Side::kSell), "110x1");
  EXPECT_EQ(levels(Side::kBuy), "105x3,99x5");
  EXPECT_EQ(book().best_price(Side::kBuy), 105);
}

// Classic bug: a fully filled order stays findable and can be "cancelled".
TEST_F(OrderBookTest, cancel_of_fully_filled_order_is_rejected) {
  sell(2, 20, 100, 5);
  buy(1, 10, 100, 5);
  EXPECT_EQ(cancel(2, 20), Lines{"-> CANCEL_REJECTED client=2 ticker=1 id=20 moid=0 side=0 "
                                 "price=0 exec=0 leaves=0 reason=UNKNOWN_ORDER"});
  // The aggressor, filled on arrival, never rested either.
  EXPECT_EQ(cancel(1, 10).front().find("UNKNOWN_ORDER") != std::string::npos, true);
  // A partly filled order is still cancellable, for its remaining quantity.
  sell(2, 21, 100, 5);
  buy(1, 11, 100, 2);
  EXPECT_EQ(cancel(2, 21),
            (Lines{"-> CANCELED client=2 ticker=1 id=21 moid=3 side=SELL price=100 exec=0 leaves=0 "
                   "reason=NONE",
                   "md CANCEL ticker=1 oid=3 side=SELL price=100 qty=3 priority=2"}));
}

TEST_F(OrderBookTest, cancel_rejects_other_clients_order_and_wrong_ticker) {
  buy(1, 10, 100, 5);
  EXPECT_EQ(cancel(2, 10).front().find("CANCEL_REJECTED client=2"), 3u);
  EXPECT_EQ(last_reason_, RejectReason::kUnknownOrder);
  EXPECT_EQ(cancel(1, 10, /*ticker=*/2).front().find("reason=UNKNOWN_ORDER") != std::string::npos,
            true);
  EXPECT_EQ(cancel(1, 10, /*ticker=*/9),
            Lines{"-> CANCEL_REJECTED client=1 ticker=9 id=10 moid=0 side=0 price=0 exec=0 "
                  "leaves=0 reason=UNKNOWN_TICKER"});
  EXPECT_EQ(levels(Side::kBuy), "100x5");
  EXPECT_EQ(cancel(1, 10).size(), 2u);
  EXPECT_EQ(cancel(1, 10).front().find("UNKNOWN_ORDER") != std::string::npos, true);  // twice
}

// Classic bug: an id stays "live" in the index after its order left the book.
TEST_F(OrderBookTest, order_id_can_be_reused_after_cancel_or_fill) {
  buy(1, 10, 100, 5);
  cancel(1, 10);
  buy(1, 10, 101, 6);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
  EXPECT_EQ(levels(Side::kBuy), "101x6");
  sell(2, 20, 101, 6);  // fills it
  buy(1, 10, 99, 1);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
  EXPECT_EQ(book().find_order(1, 10)->market_order_id, 4u);
  EXPECT_EQ(cancel(1, 10).front().find("moid=4") != std::string::npos, true);
}

// Classic bug: cancel (or a fill) does not return the order's pool slot, or an emptied level's,
// so the book runs out of capacity after enough churn.
TEST_F(OrderBookTest, cancel_and_fill_return_every_pool_slot) {
  const std::size_t capacity = book().options().max_orders;  // 64
  for (int round = 0; round < 20; ++round) {
    for (OrderId i = 0; i < capacity; ++i) {
      const ClientId client = static_cast<ClientId>(1 + i % 8);
      buy(client, 1000 * static_cast<OrderId>(round) + i, 100 - static_cast<Price>(i % 32), 1);
      ASSERT_EQ(last_reason_, RejectReason::kNone) << "round " << round << " order " << i;
    }
    EXPECT_EQ(book().order_count(), capacity);
    buy(1, 999'999, 1, 1);
    EXPECT_EQ(last_reason_, RejectReason::kCapacity);
    if (round % 2 == 0) {
      for (OrderId i = 0; i < capacity; ++i)
        cancel(static_cast<ClientId>(1 + i % 8), 1000 * static_cast<OrderId>(round) + i);
    } else {
      sell(9, 5'000'000 + static_cast<OrderId>(round), 1, static_cast<Qty>(capacity));
    }
    EXPECT_EQ(book().order_count(), 0u);
    EXPECT_EQ(book().level_pool_in_use(), 0u);
    EXPECT_EQ(book().client_count(), 0u);
    EXPECT_EQ(matcher_.order_ids().size(), 0u);
  }
}

TEST_F(OrderBookTest, rejects_each_invalid_field_with_its_reason) {
  auto reason_of = [&](const ClientRequest& request) {
    send(request);
    EXPECT_EQ(recorder_.events.size(), 1u);
    return last_reason_;
  };
  EXPECT_EQ(reason_of(new_order(1, 5, 1, Side::kBuy, 100, 1)), RejectReason::kUnknownTicker);
  EXPECT_EQ(reason_of(new_order(0, 1, 1, Side::kBuy, 100, 1)), RejectReason::kInvalidClientId);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kInvalid, 100, 1)), RejectReason::kInvalidSide);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, static_cast<Side>(2), 100, 1)),
            RejectReason::kInvalidSide);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kBuy, 100, 0)), RejectReason::kInvalidQty);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kSell, 0, 1)), RejectReason::kInvalidPrice);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kSell, std::numeric_limits<Price>::min(), 1)),
            RejectReason::kInvalidPrice);
  ClientRequest logon = new_order(1, 1, 1, Side::kBuy, 100, 1);
  logon.msg_type = ClientRequestType::kLogon;
  EXPECT_EQ(reason_of(logon), RejectReason::kUnknownMsgType);
  // The first failing rule wins, in the documented order.
  EXPECT_EQ(reason_of(new_order(0, 1, 1, Side::kInvalid, 0, 0)), RejectReason::kInvalidClientId);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kInvalid, 0, 0)), RejectReason::kInvalidSide);
  EXPECT_EQ(reason_of(new_order(1, 1, 1, Side::kBuy, 0, 0)), RejectReason::kInvalidQty);
  // Nothing was consumed: the next accepted order gets market order id 1.
  EXPECT_EQ(buy(1, 1, 100, 1).front().find("moid=1 ") != std::string::npos, true);
}

TEST_F(OrderBookTest, market_order_ids_and_priorities_count_up_per_book) {
  buy(1, 1, 100, 1);
  buy(1, 2, 100, 1, /*ticker=*/2);
  sell(1, 3, 105, 1);
  buy(2, 4, 105, 1);  // fills 3, does not rest: consumes a market order id, not a priority
  EXPECT_EQ(buy(1, 5, 100, 1).back(), "md ADD ticker=1 oid=4 side=BUY price=100 qty=1 priority=3");
  EXPECT_EQ(buy(1, 6, 101, 1, /*ticker=*/2).back(),
            "md ADD ticker=2 oid=2 side=BUY price=101 qty=1 priority=2");
}

// Exhaustion of any pool refuses only orders that would rest; crossing orders still trade.
TEST_F(OrderBookTest, capacity_rejects_only_orders_that_would_rest) {
  for (OrderId i = 0; i < 64; ++i)
    sell(static_cast<ClientId>(1 + i % 8), 100 + i, 200 + static_cast<Price>(i % 32), 10);
  EXPECT_EQ(buy(1, 1, 150, 1), Lines{"-> REJECTED client=1 ticker=1 id=1 moid=0 side=BUY price=150 "
                                     "exec=0 leaves=0 reason=CAPACITY"});
  // Fully fillable: accepted and traded even though nothing could rest.
  EXPECT_EQ(buy(1, 2, 201, 20).size(), 1u + 4 * 2);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
  // Full again; an order that would leave a remainder is refused before anything trades.
  sell(2, 500, 231, 10);
  sell(2, 501, 231, 10);
  EXPECT_EQ(book().order_count(), 64u);
  EXPECT_EQ(buy(1, 3, 202, 41).size(), 1u);
  EXPECT_EQ(last_reason_, RejectReason::kCapacity);
  // The other book is unaffected.
  buy(1, 4, 150, 1, /*ticker=*/2);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
}

TEST_F(OrderBookTest, capacity_of_levels_and_clients_is_enforced_separately) {
  for (Price p = 1; p <= 32; ++p)
    buy(1, static_cast<OrderId>(p), p, 1);
  buy(1, 100, 50, 1);  // a 33rd level
  EXPECT_EQ(last_reason_, RejectReason::kCapacity);
  buy(2, 100, 32, 1);  // an existing level takes more orders
  EXPECT_EQ(last_reason_, RejectReason::kNone);
  for (ClientId c = 3; c <= 8; ++c)
    buy(c, 1, 10, 1);
  buy(9, 1, 10, 1);  // a 9th client with resting orders
  EXPECT_EQ(last_reason_, RejectReason::kCapacity);
  cancel(3, 1);
  buy(9, 1, 10, 1);
  EXPECT_EQ(last_reason_, RejectReason::kNone);
}

// Any positive i64 price works: no price table, no modulo, no overflow in the side's key.
TEST_F(OrderBookTest, prices_anywhere_in_the_i64_range_work) {
  sell(2, 20, kMaxPrice, 1);
  sell(2, 21, kMaxPrice - 1, 1);
  sell(2, 22, 1'000'000'000'000'000, 1);
  buy(3, 30, 1, 1);
  buy(3, 31, 2, 1);
  EXPECT_EQ(levels(Side::kSell), "1000000000000000x1,9223372036854775806x1,9223372036854775807x1");
  EXPECT_EQ(levels(Side::kBuy), "2x1,1x1");
  const Lines sweep = buy(1, 10, kMaxPrice, 3);  // takes all three asks
  EXPECT_EQ(sweep[sweep.size() - 2],
            "md TRADE ticker=1 oid=6 side=BUY price=9223372036854775807 qty=1 priority=0");
  EXPECT_EQ(levels(Side::kSell), "");
  sell(1, 11, 1, 5);  // takes both bids, rests 3 at price 1
  EXPECT_EQ(levels(Side::kBuy), "");
  EXPECT_EQ(levels(Side::kSell), "1x3");
}

// The next best level is found without walking the levels far from the top (a sorted array
// with the best at the back); here, with many far levels, it must also still be correct.
TEST_F(OrderBookTest, many_far_levels_do_not_disturb_the_touch) {
  OrderBookOptions options;
  options.max_price_levels = 20'000;
  options.max_orders = 20'000;
  RecordingHandler recorder;
  Matcher<RecordingHandler> big({1}, options, recorder);
  auto request = [&](OrderId id, Side side, Price price, Qty qty, ClientRequestType type) {
    ClientRequest r = new_order(1, 1, id, side, price, qty);
    r.msg_type = type;
    big.process(r);
  };
  for (OrderId i = 0; i < 10'000; ++i) {
    request(i + 1, Side::kSell, 1'000'000 + static_cast<Price>(i) * 997, 1,
            ClientRequestType::kNew);
  }
  for (Price p = 100; p < 110; ++p)
    request(static_cast<OrderId>(p) * 1'000'000, Side::kSell, p, 1, ClientRequestType::kNew);
  const auto& b = *big.book(1);
  for (Price p = 100; p < 110; ++p) {
    EXPECT_EQ(b.best_price(Side::kSell), p);
    request(static_cast<OrderId>(p) * 1'000'000, Side::kSell, 0, 0, ClientRequestType::kCancel);
  }
  EXPECT_EQ(b.best_price(Side::kSell), 1'000'000);
  // Cancelling a level deep in the book keeps the order of the rest.
  request(5'001, Side::kSell, 0, 0, ClientRequestType::kCancel);
  EXPECT_EQ(b.level_count(Side::kSell), 9'999u);
  EXPECT_EQ(check_book_invariants(b), "");
}

TEST_F(OrderBookTest, cancel_all_of_client_cancels_oldest_first_book_by_book) {
  buy(1, 10, 100, 1, /*ticker=*/2);
  buy(1, 11, 99, 1);
  sell(1, 12, 105, 1);
  buy(2, 20, 100, 1);
  ClientRequest cancel_all;
  cancel_all.msg_type = exchange::kCancelAllOfClient;
  cancel_all.client_id = 1;
  EXPECT_EQ(send(cancel_all), (Lines{
                                  // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
                                  "-> CANCELED client=1 ticker=1 id=11 moid=1 side=BUY price=99 "
                                  "exec=0 leaves=0 reason=DISCONNECTED",
                                  "md CANCEL ticker=1 oid=1 side=BUY price=99 qty=1 priority=1",
                                  "-> CANCELED client=1 ticker=1 id=12 moid=2 side=SELL price=105 "
                                  "exec=0 leaves=0 reason=DISCONNECTED",
                                  "md CANCEL ticker=1 oid=2 side=SELL price=105 qty=1 priority=2",
                                  "-> CANCELED client=1 ticker=2 id=10 moid=1 side=BUY price=100 "
                                  "exec=0 leaves=0 reason=DISCONNECTED",
                                  "md CANCEL ticker=2 oid=1 side=BUY price=100 qty=1 priority=1",
                              }));
  EXPECT_EQ(levels(Side::kBuy), "100x1");  // client 2's order stays
  EXPECT_TRUE(send(cancel_all).empty());   // nothing left: no events
}

// A request cut into steps emits exactly the events of the uncut request.
TEST_F(OrderBookTest, budgeted_sweep_resumes_to_the_same_events) {
  RecordingHandler whole_recorder;
  Matcher<RecordingHandler> whole({1, 2}, small_options(), whole_recorder);
  std::vector<ClientRequest> requests;
  for (OrderId i = 1; i <= 30; ++i)
    requests.push_back(new_order(static_cast<ClientId>(1 + i % 5), 1, i, Side::kSell,
                                 100 + static_cast<Price>(i % 7), 3));
  requests.push_back(new_order(6, 1, 99, Side::kBuy, 104, 80));
  for (const ClientRequest& r : requests)
    whole.process(r);
  recorder_.events.clear();
  std::size_t calls = 0;
  for (const ClientRequest& r : requests) {
    matcher_.process(r, 2);
    ++calls;
    while (matcher_.busy()) {
      EXPECT_LE(matcher_.last_steps(), 2u);
      const bool done = matcher_.resume(2);
      EXPECT_EQ(done, !matcher_.busy()) << "true exactly when it finished";
      ++calls;
    }
  }
  EXPECT_GT(calls, requests.size() + 5);
  EXPECT_EQ(describe(recorder_.events), describe(whole_recorder.events));
  EXPECT_EQ(whole.book(1)->order_count(), book().order_count());
  EXPECT_EQ(whole.book(1)->best_price(Side::kBuy), book().best_price(Side::kBuy));
  EXPECT_EQ(whole.book(1)->best_price(Side::kSell), book().best_price(Side::kSell));
}

// IOC: trades what it can; the remainder is CANCELED(EXPIRED) and never rests.
TEST_F(OrderBookTest, ioc_trades_what_it_can_and_expires_the_rest_without_an_add) {
  sell(2, 20, 101, 3);
  const Lines events = send_new(1, 10, Side::kBuy, 102, 5, TimeInForce::kIoc);
  EXPECT_EQ(kinds(events), "ACCEPTED FILLED FILLED md:TRADE md:CANCEL CANCELED");
  EXPECT_EQ(events.back(),
            "-> CANCELED client=1 ticker=1 id=10 moid=2 side=BUY price=102 exec=0 leaves=0 "
            "reason=EXPIRED");
  EXPECT_EQ(levels(Side::kBuy), "");
  EXPECT_EQ(kinds(send_new(1, 11, Side::kBuy, 102, 5, TimeInForce::kIoc)), "ACCEPTED CANCELED");
  EXPECT_EQ(book().order_count(), 0u);
}

// FOK: all or nothing, decided before any fill.
TEST_F(OrderBookTest, fok_one_lot_short_fills_nothing_and_fok_that_fits_fills_all) {
  sell(2, 20, 101, 2);
  sell(3, 30, 102, 2);
  sell(4, 40, 103, 2);
  sell(4, 41, 104, 9);  // beyond the limit
  EXPECT_EQ(send_new(1, 10, Side::kBuy, 103, 7, TimeInForce::kFok),
            (Lines{
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
                "-> ACCEPTED client=1 ticker=1 id=10 moid=5 side=BUY price=103 exec=0 leaves=7 "
                "reason=NONE",
                "-> CANCELED client=1 ticker=1 id=10 moid=5 side=BUY price=103 exec=0 leaves=0 "
                "reason=EXPIRED",
            }));
  EXPECT_EQ(levels(Side::kSell), "101x2,102x2,103x2,104x9");
  EXPECT_EQ(kinds(send_new(1, 11, Side::kBuy, 103, 6, TimeInForce::kFok)),
            "ACCEPTED FILLED FILLED md:TRADE md:CANCEL FILLED FILLED md:TRADE md:CANCEL FILLED "
            "FILLED md:TRADE md:CANCEL");
  EXPECT_EQ(levels(Side::kSell), "104x9");
  EXPECT_EQ(levels(Side::kBuy), "");
}

TEST_F(OrderBookTest, post_only_that_would_trade_is_rejected_and_one_that_would_not_rests) {
  sell(2, 20, 101, 2);
  EXPECT_EQ(send_new(1, 10, Side::kBuy, 101, 1, TimeInForce::kGtc, kFlagPostOnly),
            (Lines{"-> REJECTED client=1 ticker=1 id=10 moid=0 side=BUY price=101 exec=0 leaves=0 "
                   "reason=WOULD_CROSS"}));
  EXPECT_EQ(kinds(send_new(1, 10, Side::kBuy, 100, 1, TimeInForce::kGtc, kFlagPostOnly)),
            "ACCEPTED md:ADD");
  EXPECT_EQ(levels(Side::kBuy), "100x1");
}

TEST_F(OrderBookTest, invalid_tif_and_flags_get_their_reasons) {
  const auto reason_of = [](const Lines& lines) {
    return lines.size() == 1 ? lines[0].substr(lines[0].rfind("reason=")) : "?";
  };
  EXPECT_EQ(reason_of(send_new(1, 1, Side::kBuy, 100, 1, static_cast<TimeInForce>(3))),
            "reason=INVALID_TIF");
  EXPECT_EQ(reason_of(send_new(1, 1, Side::kBuy, 100, 1, TimeInForce::kIoc, kFlagPostOnly)),
            "reason=INVALID_TIF");
  EXPECT_EQ(reason_of(send_new(1, 1, Side::kBuy, 100, 1, TimeInForce::kGtc, 0x02)),
            "reason=INVALID_FLAGS");
  buy(1, 1, 100, 1);
  ClientRequest cancel_request = new_order(1, 1, 1, Side::kBuy, 0, 0);
  cancel_request.msg_type = ClientRequestType::kCancel;
  cancel_request.flags = 1;
  EXPECT_EQ(send(cancel_request),
            (Lines{"-> CANCEL_REJECTED client=1 ticker=1 id=1 moid=0 side=0 price=0 exec=0 "
                   "leaves=0 reason=INVALID_FLAGS"}));
  ClientRequest modify_request = new_order(1, 1, 1, Side::kBuy, 100, 1);
  modify_request.msg_type = ClientRequestType::kModify;
  modify_request.tif = TimeInForce::kIoc;
  EXPECT_EQ(reason_of(send(modify_request)), "reason=INVALID_TIF");
  EXPECT_EQ(reason_of(modify(1, 1, Side::kSell, 100, 1)), "reason=INVALID_SIDE");
  EXPECT_EQ(reason_of(modify(1, 1, Side::kBuy, 100, 0)), "reason=INVALID_QTY");
  EXPECT_EQ(reason_of(modify(1, 1, Side::kBuy, 0, 1)), "reason=INVALID_PRICE");
  EXPECT_EQ(reason_of(modify(2, 1, Side::kBuy, 100, 1)), "reason=UNKNOWN_ORDER");
  EXPECT_EQ(levels(Side::kBuy), "100x1");  // nothing refused changed the book
}

// A modify down in size at the same price keeps the order's place: the next fill goes to it.
TEST_F(OrderBookTest, modify_down_in_place_keeps_priority) {
  buy(1, 10, 100, 5);  // moid 1, priority 1
  buy(2, 20, 100, 5);  // moid 2, priority 2
  EXPECT_EQ(modify(1, 10, Side::kBuy, 100, 3),
            (Lines{
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
                "-> MODIFIED client=1 ticker=1 id=10 moid=1 side=BUY price=100 exec=0 leaves=3 "
                "reason=NONE",
                "md MODIFY ticker=1 oid=1 side=BUY price=100 qty=3 priority=1",
            }));
  EXPECT_EQ(levels(Side::kBuy), "100x8");
  const Lines fill = sell(3, 30, 100, 1);
  ASSERT_GE(fill.size(), 3u);
  EXPECT_EQ(fill[2],
            "-> FILLED client=1 ticker=1 id=10 moid=1 side=BUY price=100 exec=1 leaves=2 "
            "reason=NONE");
}

// Up in size, or to another price: the order goes to the back, with a new priority.
TEST_F(OrderBookTest, modify_up_in_size_or_price_loses_priority) {
  buy(1, 10, 100, 5);  // moid 1, priority 1
  buy(2, 20, 100, 5);  // moid 2, priority 2
  EXPECT_EQ(modify(1, 10, Side::kBuy, 100, 6),
            (Lines{
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
                "-> MODIFIED client=1 ticker=1 id=10 moid=1 side=BUY price=100 exec=0 leaves=6 "
                "reason=NONE",
                "md CANCEL ticker=1 oid=1 side=BUY price=100 qty=5 priority=1",
                "md ADD ticker=1 oid=1 side=BUY price=100 qty=6 priority=3",
            }));
  const Lines fill = sell(3, 30, 100, 1);
  ASSERT_GE(fill.size(), 3u);
  EXPECT_EQ(fill[2],
            "-> FILLED client=2 ticker=1 id=20 moid=2 side=BUY price=100 exec=1 leaves=4 "
            "reason=NONE");
  EXPECT_EQ(kinds(modify(2, 20, Side::kBuy, 99, 4)), "MODIFIED md:CANCEL md:ADD");
  EXPECT_EQ(levels(Side::kBuy), "100x6,99x4");
}

// A modify to a crossing price trades: MODIFIED first, the old order's CANCEL, then the fills.
TEST_F(OrderBookTest, modify_that_crosses_trades_and_rests_the_remainder) {
  sell(2, 20, 101, 2);  // moid 1
  buy(1, 10, 99, 5);    // moid 2
  EXPECT_EQ(
      modify(1, 10, Side::kBuy, 101, 5),
      (Lines{
          // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): line wrap
          "-> MODIFIED client=1 ticker=1 id=10 moid=2 side=BUY price=101 exec=0 leaves=5 "
          "reason=NONE",
          "md CANCEL ticker=1 oid=2 side=BUY price=99 qty=5 priority=2",
          "-> FILLED client=1 ticker=1 id=10 moid=2 side=BUY price=101 exec=2 leaves=3 reason=NONE",
          "-> FILLED client=2 ticker=1 id=20 moid=1 side=SELL price=101 exec=2 leaves=0 "
          "reason=NONE",
          "md TRADE ticker=1 oid=2 side=BUY price=101 qty=2 priority=0",
          "md CANCEL ticker=1 oid=1 side=SELL price=101 qty=0 priority=1",
          "md ADD ticker=1 oid=2 side=BUY price=101 qty=3 priority=3",
      }));
  EXPECT_EQ(levels(Side::kBuy), "101x3");
  EXPECT_EQ(levels(Side::kSell), "");
}

class SelfTradeTest : public OrderBookTest,
                      public ::testing::WithParamInterface<exchange::SelfTradePrevention> {
 protected:
  SelfTradeTest() : OrderBookTest(with_mode(GetParam())) {}
  static OrderBookOptions with_mode(exchange::SelfTradePrevention mode) {
    OrderBookOptions options = small_options();
    options.self_trade_prevention = mode;
    return options;
  }
};

// Client 1's own order sits between two other clients' orders in the queue.
TEST_P(SelfTradeTest, each_mode_treats_the_own_order_as_the_design_says) {
  sell(2, 20, 101, 1);  // moid 1
  sell(1, 11, 101, 1);  // moid 2: client 1's own
  sell(3, 30, 101, 1);  // moid 3
  const Lines events = buy(1, 10, 101, 3);
  switch (GetParam()) {
    case exchange::SelfTradePrevention::kOff:
      EXPECT_EQ(kinds(events),
                "ACCEPTED FILLED FILLED md:TRADE md:CANCEL FILLED FILLED md:TRADE md:CANCEL FILLED "
                "FILLED md:TRADE md:CANCEL");
      EXPECT_EQ(levels(Side::kSell), "");
      break;
    case exchange::SelfTradePrevention::kCancelNewest:
      EXPECT_EQ(kinds(events), "ACCEPTED FILLED FILLED md:TRADE md:CANCEL CANCELED");
      EXPECT_EQ(events.back(),
                "-> CANCELED client=1 ticker=1 id=10 moid=4 side=BUY price=101 exec=0 leaves=0 "
                "reason=SELF_TRADE");
      EXPECT_EQ(levels(Side::kSell), "101x2");
      EXPECT_EQ(levels(Side::kBuy), "");
      break;
    case exchange::SelfTradePrevention::kCancelOldest:
      EXPECT_EQ(kinds(events),
                "ACCEPTED FILLED FILLED md:TRADE md:CANCEL CANCELED md:CANCEL FILLED FILLED "
                "md:TRADE md:CANCEL md:ADD");
      EXPECT_EQ(events[5],
                "-> CANCELED client=1 ticker=1 id=11 moid=2 side=SELL price=101 exec=0 leaves=0 "
                "reason=SELF_TRADE");
      EXPECT_EQ(levels(Side::kSell), "");
      EXPECT_EQ(levels(Side::kBuy), "101x1");
      break;
  }
}

// A FOK counts only what it may trade: its own order does not fill it.
TEST_P(SelfTradeTest, fok_counts_only_what_self_trade_prevention_lets_it_trade) {
  sell(1, 11, 101, 5);  // own, first in the queue
  sell(2, 20, 101, 2);
  const Lines events = send_new(1, 10, Side::kBuy, 101, 2, TimeInForce::kFok);
  switch (GetParam()) {
    case exchange::SelfTradePrevention::kOff:
      EXPECT_EQ(kinds(events), "ACCEPTED FILLED FILLED md:TRADE md:MODIFY");
      break;
    case exchange::SelfTradePrevention::kCancelNewest:
      EXPECT_EQ(kinds(events), "ACCEPTED CANCELED");
      EXPECT_EQ(levels(Side::kSell), "101x7");
      break;
    case exchange::SelfTradePrevention::kCancelOldest:
      EXPECT_EQ(kinds(events), "ACCEPTED CANCELED md:CANCEL FILLED FILLED md:TRADE md:CANCEL");
      EXPECT_EQ(levels(Side::kSell), "");
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SelfTradeTest,
                         ::testing::Values(exchange::SelfTradePrevention::kOff,
                                           exchange::SelfTradePrevention::kCancelNewest,
                                           exchange::SelfTradePrevention::kCancelOldest),
                         [](const auto& info) {
                           std::string name(exchange::to_string(info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace llt::test
