// Protocol version 2 order types through real TCP sessions (docs/protocol.md, Order of events
// and Validation order): MODIFY in place and losing priority, IOC and FOK expiry, POST_ONLY,
// self-trade prevention, and every reject of a bad tif or flags, each with its reason and
// counted by the order server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/matcher/order_book.h"
#include "exchange/order_server/order_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "exchange/protocol/market_update.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using testing::log_on;
using testing::OrderEntryClient;
using testing::OrderEntryExchange;

constexpr TickerId kTicker = 1;

// What a response should be; the fields not listed here are zero.
struct Expect {
  ClientResponseType type;
  OrderId client_order_id = 0;
  OrderId market_order_id = 0;  // ACCEPTED: 0 takes any
  Side side = Side::kInvalid;
  Price price = 0;
  Qty exec_qty = 0;
  Qty leaves_qty = 0;
  RejectReason reason = RejectReason::kNone;
};

// Receives the next response of `client` and compares every field but seq_num. Returns the
// response, so a test can read the market order id it was given.
ClientResponse expect_next(OrderEntryClient& client, const Expect& e, const std::string& what) {
  ClientResponse got{};
  if (client.receive(got, 5s) != OrderEntryClient::Receive::kMessage) {
    ADD_FAILURE() << what << ": no response, expected " << to_string(e.type);
    return got;
  }
  ClientResponse want{};
  want.seq_num = got.seq_num;
  want.msg_type = e.type;
  want.client_id = client.client_id();
  want.ticker_id = kTicker;
  want.client_order_id = e.client_order_id;
  // An ACCEPTED assigns the id: any is taken.
  want.market_order_id = e.type == ClientResponseType::kAccepted && e.market_order_id == 0
                             ? OrderId{got.market_order_id}
                             : e.market_order_id;
  want.side = e.side;
  want.price = e.price;
  want.exec_qty = e.exec_qty;
  want.leaves_qty = e.leaves_qty;
  want.reject_reason = e.reason;
  EXPECT_TRUE(got == want) << what << "\n  got  " << to_string(got) << "\n  want "
                           << to_string(want);
  return got;
}

// Nothing more arrives for `client` within a short wait.
void expect_silence(OrderEntryClient& client, const std::string& what) {
  ClientResponse extra{};
  const auto result = client.receive(extra, 150ms);
  EXPECT_EQ(result, OrderEntryClient::Receive::kTimeout)
      << what << ": unexpected "
      << (result == OrderEntryClient::Receive::kMessage ? to_string(extra)
                                                        : std::string("close or error"));
}

MarketUpdate update(MarketUpdateType type, OrderId order_id, Side side, Price price, Qty qty,
                    Priority priority) {
  MarketUpdate u{};
  u.msg_type = type;
  u.order_id = order_id;
  u.ticker_id = kTicker;
  u.side = side;
  u.price = price;
  u.qty = qty;
  u.priority = priority;
  return u;
}

// The market updates published after the first `from`, once there are `from + count` of them;
// their seq_nums zeroed so they compare with update().
std::vector<MarketUpdate> updates_after(OrderEntryExchange& exchange, std::size_t from,
                                        std::size_t count) {
  EXPECT_TRUE(exchange.wait_for_updates([&](const std::vector<MarketUpdate>& all) {
    return all.size() >= from + count;
  })) << "waited for "
      << from + count << " updates, have " << exchange.updates().size();
  std::vector<MarketUpdate> out;
  const auto& all = exchange.updates();
  for (std::size_t i = from; i < all.size(); ++i) {
    MarketUpdate u = all[i];
    u.seq_num = 0;
    out.push_back(u);
  }
  return out;
}

void expect_updates(const std::vector<MarketUpdate>& got, const std::vector<MarketUpdate>& want,
                    const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
    EXPECT_TRUE(got[i] == want[i]) << what << " update " << i << "\n  got  " << to_string(got[i])
                                   << "\n  want " << to_string(want[i]);
  }
}

// A resting order: sends the NEW, expects ACCEPTED, returns its market order id.
OrderId rest(OrderEntryClient& client, OrderId id, Side side, Price price, Qty qty) {
  EXPECT_TRUE(client.send(client.new_order(kTicker, id, side, price, qty)));
  const ClientResponse accepted =
      expect_next(client, {ClientResponseType::kAccepted, id, 0, side, price, 0, qty}, "rest");
  return accepted.market_order_id;
}

class OrderServerOrderTypes : public ::testing::Test {
 protected:
  explicit OrderServerOrderTypes(SelfTradePrevention stp = SelfTradePrevention::kOff)
      : exchange_(testing::test_order_server_options(), engine_options(stp)) {}

  static MatchingEngineOptions engine_options(SelfTradePrevention stp) {
    MatchingEngineOptions options = testing::test_engine_options();
    options.book.self_trade_prevention = stp;
    return options;
  }

  void SetUp() override {
    ASSERT_TRUE(log_on(a_));
    ASSERT_TRUE(log_on(b_));
    ASSERT_TRUE(log_on(c_));
  }

  Priority priority_of_add(std::size_t index) {
    const auto& all = exchange_.updates();
    EXPECT_LT(index, all.size());
    return index < all.size() ? Priority{all[index].priority} : Priority{0};
  }

  OrderEntryExchange exchange_;
  OrderEntryClient a_{exchange_.port(), 7};
  OrderEntryClient b_{exchange_.port(), 8};
  OrderEntryClient c_{exchange_.port(), 9};
};

TEST_F(OrderServerOrderTypes, modify_in_place_keeps_time_priority) {
  const OrderId a1 = rest(a_, 1, Side::kBuy, 100, 5);
  const OrderId b1 = rest(b_, 1, Side::kBuy, 100, 5);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);
  const Priority a_priority = priority_of_add(0);

  ASSERT_TRUE(a_.send(a_.modify(kTicker, 1, Side::kBuy, 100, 3)));
  expect_next(a_, {ClientResponseType::kModified, 1, a1, Side::kBuy, 100, 0, 3}, "in place");
  expect_updates(updates_after(exchange_, 2, 1),
                 {update(MarketUpdateType::kModify, a1, Side::kBuy, 100, 3, a_priority)},
                 "MODIFY with the same priority");

  // A sell of 3 meets A's order first: it kept its place ahead of B's.
  ASSERT_TRUE(c_.send(c_.new_order(kTicker, 1, Side::kSell, 100, 3)));
  const ClientResponse c_accepted =
      expect_next(c_, {ClientResponseType::kAccepted, 1, 0, Side::kSell, 100, 0, 3}, "sell");
  expect_next(c_,
              {ClientResponseType::kFilled, 1, c_accepted.market_order_id, Side::kSell, 100, 3, 0},
              "aggressor filled");
  expect_next(a_, {ClientResponseType::kFilled, 1, a1, Side::kBuy, 100, 3, 0}, "A filled first");
  expect_silence(b_, "B is behind A");

  // qty equal to the resting qty also counts as in place.
  ASSERT_TRUE(b_.send(b_.modify(kTicker, 1, Side::kBuy, 100, 5)));
  expect_next(b_, {ClientResponseType::kModified, 1, b1, Side::kBuy, 100, 0, 5}, "same qty");
}

TEST_F(OrderServerOrderTypes, modify_to_a_larger_qty_loses_time_priority) {
  const OrderId a1 = rest(a_, 1, Side::kBuy, 100, 5);
  const OrderId b1 = rest(b_, 1, Side::kBuy, 100, 5);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);
  const Priority a_priority = priority_of_add(0);
  const Priority b_priority = priority_of_add(1);

  ASSERT_TRUE(a_.send(a_.modify(kTicker, 1, Side::kBuy, 100, 6)));
  expect_next(a_, {ClientResponseType::kModified, 1, a1, Side::kBuy, 100, 0, 6}, "larger qty");
  const auto moved = updates_after(exchange_, 2, 2);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_GT(Priority{moved[1].priority}, b_priority) << "a new priority, behind B";
  expect_updates(moved,
                 {update(MarketUpdateType::kCancel, a1, Side::kBuy, 100, 5, a_priority),
                  update(MarketUpdateType::kAdd, a1, Side::kBuy, 100, 6, moved[1].priority)},
                 "CANCEL at the old priority, ADD at a new one");

  ASSERT_TRUE(c_.send(c_.new_order(kTicker, 1, Side::kSell, 100, 5)));
  const ClientResponse c_accepted =
      expect_next(c_, {ClientResponseType::kAccepted, 1, 0, Side::kSell, 100, 0, 5}, "sell");
  expect_next(c_,
              {ClientResponseType::kFilled, 1, c_accepted.market_order_id, Side::kSell, 100, 5, 0},
              "aggressor filled");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kBuy, 100, 5, 0}, "B is first now");
  expect_silence(a_, "A lost its place");
}

TEST_F(OrderServerOrderTypes, modify_to_a_crossing_price_trades_then_rests_the_remainder) {
  const OrderId a1 = rest(a_, 1, Side::kBuy, 100, 5);
  const OrderId b1 = rest(b_, 1, Side::kSell, 102, 4);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);
  const Priority a_priority = priority_of_add(0);
  const Priority b_priority = priority_of_add(1);

  ASSERT_TRUE(a_.send(a_.modify(kTicker, 1, Side::kBuy, 103, 5)));
  expect_next(a_, {ClientResponseType::kModified, 1, a1, Side::kBuy, 103, 0, 5},
              "MODIFIED before any fill");
  expect_next(a_, {ClientResponseType::kFilled, 1, a1, Side::kBuy, 102, 4, 1},
              "filled at the resting price, leaves counted down from the new qty");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 102, 4, 0}, "B filled");
  const auto events = updates_after(exchange_, 2, 4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_GT(Priority{events[3].priority}, b_priority);
  expect_updates(events,
                 {update(MarketUpdateType::kCancel, a1, Side::kBuy, 100, 5, a_priority),
                  update(MarketUpdateType::kTrade, a1, Side::kBuy, 102, 4, 0),
                  update(MarketUpdateType::kCancel, b1, Side::kSell, 102, 0, b_priority),
                  update(MarketUpdateType::kAdd, a1, Side::kBuy, 103, 1, events[3].priority)},
                 "CANCEL, TRADE, the resting order's CANCEL, ADD of the rest");
  expect_silence(a_, "nothing else for A");
}

TEST_F(OrderServerOrderTypes, ioc_trades_what_it_can_and_expires_the_rest) {
  const OrderId b1 = rest(b_, 1, Side::kSell, 100, 3);
  ASSERT_EQ(updates_after(exchange_, 0, 1).size(), 1u);

  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 1, Side::kBuy, 101, 5, TimeInForce::kIoc)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 1, 0, Side::kBuy, 101, 0, 5}, "IOC");
  const OrderId a1 = accepted.market_order_id;
  expect_next(a_, {ClientResponseType::kFilled, 1, a1, Side::kBuy, 100, 3, 2}, "IOC filled");
  expect_next(a_,
              {ClientResponseType::kCanceled, 1, a1, Side::kBuy, 101, 0, 0, RejectReason::kExpired},
              "the rest expires at its limit");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 100, 3, 0}, "B filled");
  const auto events = updates_after(exchange_, 1, 2);
  EXPECT_EQ(testing::count_updates(events, MarketUpdateType::kAdd), 0u) << "an IOC never rests";
  EXPECT_EQ(testing::count_updates(events, MarketUpdateType::kTrade), 1u);

  // Nothing to trade with: ACCEPTED, then CANCELED(EXPIRED) at once.
  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 101, 5, TimeInForce::kIoc)));
  const ClientResponse second =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 101, 0, 5}, "IOC 2");
  expect_next(a_,
              {ClientResponseType::kCanceled, 2, second.market_order_id, Side::kBuy, 101, 0, 0,
               RejectReason::kExpired},
              "IOC 2 expires whole");
  expect_silence(a_, "nothing else");
  EXPECT_EQ(exchange_.updates().size(), 3u) << "an IOC that trades nothing publishes nothing";
}

TEST_F(OrderServerOrderTypes, fok_that_cannot_fill_completely_expires_without_trading) {
  const OrderId b1 = rest(b_, 1, Side::kSell, 100, 3);
  rest(c_, 1, Side::kSell, 102, 5);  // beyond the FOK's limit: does not count
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);

  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 1, Side::kBuy, 101, 4, TimeInForce::kFok)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 1, 0, Side::kBuy, 101, 0, 4}, "FOK");
  expect_next(a_,
              {ClientResponseType::kCanceled, 1, accepted.market_order_id, Side::kBuy, 101, 0, 0,
               RejectReason::kExpired},
              "3 of 4 within the limit: killed");
  expect_silence(b_, "no fill for the resting order");
  EXPECT_EQ(exchange_.updates().size(), 2u) << "nothing on market data";

  // Exactly fillable: it trades whole.
  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 101, 3, TimeInForce::kFok)));
  const ClientResponse second =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 101, 0, 3}, "FOK 2");
  expect_next(a_, {ClientResponseType::kFilled, 2, second.market_order_id, Side::kBuy, 100, 3, 0},
              "FOK 2 fills");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 100, 3, 0}, "B filled");
}

TEST_F(OrderServerOrderTypes, post_only_that_would_cross_is_rejected_and_one_that_would_not_rests) {
  rest(b_, 1, Side::kSell, 100, 3);
  ASSERT_EQ(updates_after(exchange_, 0, 1).size(), 1u);

  ASSERT_TRUE(
      a_.send(a_.new_order(kTicker, 1, Side::kBuy, 100, 2, TimeInForce::kGtc, kFlagPostOnly)));
  expect_next(
      a_, {ClientResponseType::kRejected, 1, 0, Side::kBuy, 100, 0, 0, RejectReason::kWouldCross},
      "a buy at the best ask would cross");
  expect_silence(b_, "no trade");
  EXPECT_EQ(exchange_.updates().size(), 1u);

  ASSERT_TRUE(
      a_.send(a_.new_order(kTicker, 1, Side::kBuy, 99, 2, TimeInForce::kGtc, kFlagPostOnly)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 1, 0, Side::kBuy, 99, 0, 2}, "below: rests");
  const auto added = updates_after(exchange_, 1, 1);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_TRUE(added[0].msg_type == MarketUpdateType::kAdd &&
              added[0].order_id == accepted.market_order_id);
  EXPECT_EQ(exchange_.counters().rejects(RejectReason::kWouldCross), 1u);
}

TEST_F(OrderServerOrderTypes, answers_a_bad_tif_or_flags_with_the_reject_of_its_message_type) {
  const OrderId a1 = rest(a_, 1, Side::kBuy, 90, 5);
  struct Case {
    const char* what;
    ClientRequest request;
    ClientResponseType type;
    RejectReason reason;
  };
  auto with = [](ClientRequest r, std::uint8_t tif, std::uint8_t flags) {
    r.tif = TimeInForce{tif};
    r.flags = flags;
    return r;
  };
  // Built one at a time: each takes the next seq_num.
  std::vector<Case> cases;
  cases.push_back({"NEW tif 3", with(a_.new_order(kTicker, 2, Side::kBuy, 90, 1), 3, 0),
                   ClientResponseType::kRejected, RejectReason::kInvalidTif});
  cases.push_back({"NEW IOC + POST_ONLY",
                   with(a_.new_order(kTicker, 2, Side::kBuy, 90, 1), 1, kFlagPostOnly),
                   ClientResponseType::kRejected, RejectReason::kInvalidTif});
  cases.push_back({"NEW FOK + POST_ONLY",
                   with(a_.new_order(kTicker, 2, Side::kBuy, 90, 1), 2, kFlagPostOnly),
                   ClientResponseType::kRejected, RejectReason::kInvalidTif});
  cases.push_back({"NEW flag bit 1", with(a_.new_order(kTicker, 2, Side::kBuy, 90, 1), 0, 0x02),
                   ClientResponseType::kRejected, RejectReason::kInvalidFlags});
  cases.push_back({"CANCEL tif 1", with(a_.cancel(kTicker, 1), 1, 0),
                   ClientResponseType::kCancelRejected, RejectReason::kInvalidTif});
  cases.push_back({"CANCEL flags 1", with(a_.cancel(kTicker, 1), 0, 1),
                   ClientResponseType::kCancelRejected, RejectReason::kInvalidFlags});
  cases.push_back({"MODIFY tif 2", with(a_.modify(kTicker, 1, Side::kBuy, 91, 5), 2, 0),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidTif});
  cases.push_back({"MODIFY flags POST_ONLY",
                   with(a_.modify(kTicker, 1, Side::kBuy, 91, 5), 0, kFlagPostOnly),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidFlags});
  for (const Case& c : cases) {
    ASSERT_TRUE(a_.send(c.request)) << c.what;
    const bool cancel = c.type == ClientResponseType::kCancelRejected;
    expect_next(a_,
                {c.type, c.request.order_id, 0, cancel ? Side::kInvalid : Side{c.request.side},
                 cancel ? Price{0} : Price{c.request.price}, 0, 0, c.reason},
                c.what);
  }
  // Each consumed its seq_num (the session forwarded it), and the order still rests as it was.
  ASSERT_TRUE(a_.send(a_.cancel(kTicker, 1)));
  expect_next(a_, {ClientResponseType::kCanceled, 1, a1, Side::kBuy, 90, 0, 0}, "still there");
  const OrderServerCounters counters = exchange_.counters();
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidTif), 5u);
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidFlags), 3u);
  EXPECT_EQ(counters.sessions_logged_on, 3u) << "matcher rejects do not close a session";
}

TEST_F(OrderServerOrderTypes, reports_the_first_failure_in_the_validation_order) {
  rest(a_, 1, Side::kBuy, 100, 5);
  rest(b_, 1, Side::kSell, 105, 5);
  struct Case {
    const char* what;
    ClientRequest request;
    ClientResponseType type;
    RejectReason reason;
  };
  auto with = [](ClientRequest r, std::uint8_t tif, std::uint8_t flags) {
    r.tif = TimeInForce{tif};
    r.flags = flags;
    return r;
  };
  std::vector<Case> cases;
  cases.push_back({"NEW price 0 and tif 3", with(a_.new_order(kTicker, 2, Side::kBuy, 0, 1), 3, 0),
                   ClientResponseType::kRejected, RejectReason::kInvalidPrice});
  cases.push_back({"NEW tif 3 and flag bit 1",
                   with(a_.new_order(kTicker, 2, Side::kBuy, 100, 1), 3, 0x02),
                   ClientResponseType::kRejected, RejectReason::kInvalidTif});
  cases.push_back({"NEW flag bit 1 and a duplicate id",
                   with(a_.new_order(kTicker, 1, Side::kBuy, 100, 1), 0, 0x02),
                   ClientResponseType::kRejected, RejectReason::kInvalidFlags});
  cases.push_back({"NEW duplicate id and a crossing POST_ONLY",
                   with(a_.new_order(kTicker, 1, Side::kBuy, 105, 1), 0, kFlagPostOnly),
                   ClientResponseType::kRejected, RejectReason::kDuplicateOrderId});
  cases.push_back({"POST_ONLY sell at the best bid",
                   with(a_.new_order(kTicker, 2, Side::kSell, 100, 1), 0, kFlagPostOnly),
                   ClientResponseType::kRejected, RejectReason::kWouldCross});
  cases.push_back({"CANCEL tif and flags of an unknown order", with(a_.cancel(kTicker, 9), 1, 1),
                   ClientResponseType::kCancelRejected, RejectReason::kInvalidTif});
  cases.push_back({"CANCEL flags of an unknown order", with(a_.cancel(kTicker, 9), 0, 1),
                   ClientResponseType::kCancelRejected, RejectReason::kInvalidFlags});
  cases.push_back({"MODIFY tif of an unknown order",
                   with(a_.modify(kTicker, 9, Side::kBuy, 100, 1), 1, 0),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidTif});
  cases.push_back({"MODIFY flags of an unknown order",
                   with(a_.modify(kTicker, 9, Side::kBuy, 100, 1), 0, 1),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidFlags});
  cases.push_back({"MODIFY unknown order with the wrong side and qty 0",
                   a_.modify(kTicker, 9, Side::kSell, 100, 0), ClientResponseType::kModifyRejected,
                   RejectReason::kUnknownOrder});
  cases.push_back({"MODIFY wrong side and qty 0", a_.modify(kTicker, 1, Side::kSell, 100, 0),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidSide});
  cases.push_back({"MODIFY qty 0 and price 0", a_.modify(kTicker, 1, Side::kBuy, 0, 0),
                   ClientResponseType::kModifyRejected, RejectReason::kInvalidQty});
  for (const Case& c : cases) {
    ASSERT_TRUE(a_.send(c.request)) << c.what;
    const bool cancel = c.type == ClientResponseType::kCancelRejected;
    expect_next(a_,
                {c.type, c.request.order_id, 0, cancel ? Side::kInvalid : Side{c.request.side},
                 cancel ? Price{0} : Price{c.request.price}, 0, 0, c.reason},
                c.what);
  }
  EXPECT_EQ(exchange_.updates().size(), 2u) << "no reject publishes anything";
}

TEST(OrderServerOrderTypesCapacity, a_modify_that_needs_a_new_level_when_none_is_free_is_refused) {
  MatchingEngineOptions engine = testing::test_engine_options();
  engine.book.max_price_levels = 2;
  OrderEntryExchange exchange(testing::test_order_server_options(), engine);
  OrderEntryClient a(exchange.port(), 7);
  OrderEntryClient b(exchange.port(), 8);
  ASSERT_TRUE(log_on(a));
  ASSERT_TRUE(log_on(b));
  const OrderId b1 = rest(b, 1, Side::kBuy, 100, 1);
  const OrderId a1 = rest(a, 1, Side::kBuy, 100, 1);
  rest(a, 2, Side::kBuy, 99, 1);  // both level slots in use

  // Order 1 shares its level: moving it needs a third level.
  ASSERT_TRUE(a.send(a.modify(kTicker, 1, Side::kBuy, 98, 1)));
  expect_next(
      a, {ClientResponseType::kModifyRejected, 1, 0, Side::kBuy, 98, 0, 0, RejectReason::kCapacity},
      "no level free");
  // To an existing level it moves; and so does an order that alone holds its level.
  ASSERT_TRUE(a.send(a.modify(kTicker, 1, Side::kBuy, 99, 1)));
  expect_next(a, {ClientResponseType::kModified, 1, a1, Side::kBuy, 99, 0, 1}, "existing level");
  ASSERT_TRUE(b.send(b.modify(kTicker, 1, Side::kBuy, 98, 1)));
  expect_next(b, {ClientResponseType::kModified, 1, b1, Side::kBuy, 98, 0, 1},
              "alone at 100: leaving frees the level it needs");
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kCapacity), 1u);
}

TEST_F(OrderServerOrderTypes, modify_rejects_carry_the_request_and_are_counted) {
  rest(a_, 1, Side::kBuy, 100, 5);
  rest(b_, 2, Side::kSell, 110, 5);
  struct Case {
    const char* what;
    ClientRequest request;
    RejectReason reason;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"unknown ticker", a_.modify(99, 1, Side::kBuy, 100, 5), RejectReason::kUnknownTicker});
  cases.push_back(
      {"unknown order", a_.modify(kTicker, 3, Side::kBuy, 100, 5), RejectReason::kUnknownOrder});
  cases.push_back({"another client's order", a_.modify(kTicker, 2, Side::kSell, 110, 5),
                   RejectReason::kUnknownOrder});
  cases.push_back(
      {"wrong side", a_.modify(kTicker, 1, Side::kSell, 100, 5), RejectReason::kInvalidSide});
  cases.push_back({"qty 0", a_.modify(kTicker, 1, Side::kBuy, 100, 0), RejectReason::kInvalidQty});
  cases.push_back(
      {"price 0", a_.modify(kTicker, 1, Side::kBuy, 0, 5), RejectReason::kInvalidPrice});
  for (const Case& c : cases) {
    ASSERT_TRUE(a_.send(c.request)) << c.what;
    ClientResponse got{};
    ASSERT_EQ(a_.receive(got, 5s), OrderEntryClient::Receive::kMessage) << c.what;
    ClientResponse want{};
    want.seq_num = got.seq_num;
    want.msg_type = ClientResponseType::kModifyRejected;
    want.client_id = 7;
    want.ticker_id = c.request.ticker_id;
    want.client_order_id = c.request.order_id;
    want.side = c.request.side;
    want.price = c.request.price;
    want.reject_reason = c.reason;
    EXPECT_TRUE(got == want) << c.what << "\n  got  " << to_string(got) << "\n  want "
                             << to_string(want);
  }
  const OrderServerCounters counters = exchange_.counters();
  EXPECT_EQ(counters.rejects(RejectReason::kUnknownTicker), 1u);
  EXPECT_EQ(counters.rejects(RejectReason::kUnknownOrder), 2u);
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidSide), 1u);
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidQty), 1u);
  EXPECT_EQ(counters.rejects(RejectReason::kInvalidPrice), 1u);
  expect_silence(b_, "B's order untouched");
  EXPECT_EQ(exchange_.updates().size(), 2u) << "a rejected MODIFY publishes nothing";
}

class OrderServerCancelNewest : public OrderServerOrderTypes {
 protected:
  OrderServerCancelNewest() : OrderServerOrderTypes(SelfTradePrevention::kCancelNewest) {}
};

TEST_F(OrderServerCancelNewest, an_order_that_meets_its_own_client_ends_there) {
  const OrderId b1 = rest(b_, 1, Side::kSell, 100, 2);
  const OrderId a1 = rest(a_, 1, Side::kSell, 101, 5);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);

  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 102, 6)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 102, 0, 6}, "buy");
  const OrderId a2 = accepted.market_order_id;
  expect_next(a_, {ClientResponseType::kFilled, 2, a2, Side::kBuy, 100, 2, 4}, "B's order first");
  expect_next(
      a_, {ClientResponseType::kCanceled, 2, a2, Side::kBuy, 102, 0, 0, RejectReason::kSelfTrade},
      "then its own order: the newest ends");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 100, 2, 0}, "B filled");
  expect_silence(a_, "its resting order is untouched");
  const auto events = updates_after(exchange_, 2, 2);
  EXPECT_EQ(testing::count_updates(events, MarketUpdateType::kAdd), 0u);
  ASSERT_TRUE(a_.send(a_.cancel(kTicker, 1)));
  expect_next(a_, {ClientResponseType::kCanceled, 1, a1, Side::kSell, 101, 0, 0}, "still rests");
}

TEST_F(OrderServerCancelNewest, a_fok_counts_other_clients_orders_only_up_to_its_own) {
  rest(b_, 1, Side::kSell, 100, 2);
  rest(a_, 1, Side::kSell, 100, 2);
  rest(b_, 2, Side::kSell, 101, 5);
  ASSERT_EQ(updates_after(exchange_, 0, 3).size(), 3u);

  // 2 of B's before its own order, where it would stop: 2 < 3, killed.
  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 101, 3, TimeInForce::kFok)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 101, 0, 3}, "FOK");
  expect_next(a_,
              {ClientResponseType::kCanceled, 2, accepted.market_order_id, Side::kBuy, 101, 0, 0,
               RejectReason::kExpired},
              "killed before its own order");
  expect_silence(b_, "nothing traded");
  EXPECT_EQ(exchange_.updates().size(), 3u);
}

TEST_F(OrderServerCancelNewest, a_modify_that_meets_its_own_order_ends_without_resting) {
  const OrderId a1 = rest(a_, 1, Side::kBuy, 100, 2);
  const OrderId a2 = rest(a_, 2, Side::kSell, 102, 3);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);
  const Priority a1_priority = priority_of_add(0);

  ASSERT_TRUE(a_.send(a_.modify(kTicker, 1, Side::kBuy, 102, 2)));
  expect_next(a_, {ClientResponseType::kModified, 1, a1, Side::kBuy, 102, 0, 2}, "MODIFIED");
  expect_next(
      a_, {ClientResponseType::kCanceled, 1, a1, Side::kBuy, 102, 0, 0, RejectReason::kSelfTrade},
      "then it meets its own sell and ends");
  expect_updates(updates_after(exchange_, 2, 1),
                 {update(MarketUpdateType::kCancel, a1, Side::kBuy, 100, 2, a1_priority)},
                 "its CANCEL, no ADD");
  ASSERT_TRUE(a_.send(a_.cancel(kTicker, 2)));
  expect_next(a_, {ClientResponseType::kCanceled, 2, a2, Side::kSell, 102, 0, 0},
              "the sell still rests");
}

class OrderServerCancelOldest : public OrderServerOrderTypes {
 protected:
  OrderServerCancelOldest() : OrderServerOrderTypes(SelfTradePrevention::kCancelOldest) {}
};

TEST_F(OrderServerCancelOldest, the_resting_order_of_the_same_client_is_cancelled) {
  const OrderId a1 = rest(a_, 1, Side::kSell, 100, 2);
  const OrderId b1 = rest(b_, 1, Side::kSell, 101, 5);
  ASSERT_EQ(updates_after(exchange_, 0, 2).size(), 2u);
  const Priority a_priority = priority_of_add(0);

  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 101, 3)));
  const ClientResponse accepted =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 101, 0, 3}, "buy");
  const OrderId a2 = accepted.market_order_id;
  expect_next(
      a_, {ClientResponseType::kCanceled, 1, a1, Side::kSell, 100, 0, 0, RejectReason::kSelfTrade},
      "its own resting order is cancelled");
  expect_next(a_, {ClientResponseType::kFilled, 2, a2, Side::kBuy, 101, 3, 0}, "then B's order");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 101, 3, 2}, "B filled");
  const auto events = updates_after(exchange_, 2, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0] == update(MarketUpdateType::kCancel, a1, Side::kSell, 100, 2, a_priority))
      << to_string(events[0]);
  EXPECT_EQ(events[1].msg_type, MarketUpdateType::kTrade);
  EXPECT_EQ(events[2].msg_type, MarketUpdateType::kModify);
}

TEST_F(OrderServerCancelOldest, a_fok_skips_its_own_orders_when_it_counts) {
  const OrderId a1 = rest(a_, 1, Side::kSell, 100, 5);
  const OrderId b1 = rest(b_, 1, Side::kSell, 100, 2);
  const OrderId b2 = rest(b_, 2, Side::kSell, 101, 1);
  ASSERT_EQ(updates_after(exchange_, 0, 3).size(), 3u);

  // 4 wanted, 3 of other clients within the limit: killed, its own 5 do not count.
  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 2, Side::kBuy, 101, 4, TimeInForce::kFok)));
  const ClientResponse killed =
      expect_next(a_, {ClientResponseType::kAccepted, 2, 0, Side::kBuy, 101, 0, 4}, "FOK 4");
  expect_next(a_,
              {ClientResponseType::kCanceled, 2, killed.market_order_id, Side::kBuy, 101, 0, 0,
               RejectReason::kExpired},
              "killed");
  EXPECT_EQ(exchange_.updates().size(), 3u);

  // 3 wanted: fillable. Its own order goes first (SELF_TRADE), then the two fills.
  ASSERT_TRUE(a_.send(a_.new_order(kTicker, 3, Side::kBuy, 101, 3, TimeInForce::kFok)));
  const ClientResponse filled =
      expect_next(a_, {ClientResponseType::kAccepted, 3, 0, Side::kBuy, 101, 0, 3}, "FOK 3");
  const OrderId a3 = filled.market_order_id;
  expect_next(
      a_, {ClientResponseType::kCanceled, 1, a1, Side::kSell, 100, 0, 0, RejectReason::kSelfTrade},
      "its own resting sell is cancelled");
  expect_next(a_, {ClientResponseType::kFilled, 3, a3, Side::kBuy, 100, 2, 1}, "fill at 100");
  expect_next(a_, {ClientResponseType::kFilled, 3, a3, Side::kBuy, 101, 1, 0}, "fill at 101");
  expect_next(b_, {ClientResponseType::kFilled, 1, b1, Side::kSell, 100, 2, 0}, "B1 filled");
  expect_next(b_, {ClientResponseType::kFilled, 2, b2, Side::kSell, 101, 1, 0}, "B2 filled");
}

}  // namespace
}  // namespace llt::exchange
