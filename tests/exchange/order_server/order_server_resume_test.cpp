// Sessions that survive disconnects (docs/protocol.md, version 2; docs/recovery.md, Numbered
// streams), through real TCP sessions against the real OrderServer and MatchingEngine running
// in-process: LOGON_ACCEPTED's three numbers, the replay of missed responses with their original
// numbers before any live one, KEEP_ORDERS, the replay range, the request number across
// connections, numbered session rejects among engine responses, a replay larger than the socket
// buffers, and the number a HEARTBEAT carries.

#include <chrono>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

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
using testing::closed_by_server;
using testing::count_updates;
using testing::log_on;
using testing::OrderEntryClient;
using testing::OrderEntryExchange;
using testing::receive_response;

// Reads `count` responses into `out` (appended), each within the timeout.
::testing::AssertionResult receive_n(OrderEntryClient& client, std::size_t count,
                                     std::vector<ClientResponse>& out,
                                     std::chrono::milliseconds timeout = 10s) {
  for (std::size_t i = 0; i < count; ++i) {
    ClientResponse response{};
    const OrderEntryClient::Receive result = client.receive(response, timeout);
    if (result != OrderEntryClient::Receive::kMessage) {
      return ::testing::AssertionFailure()
             << "response " << i + 1 << " of " << count << " did not arrive ("
             << (result == OrderEntryClient::Receive::kClosed ? "closed" : "timeout or error")
             << ")";
    }
    out.push_back(response);
  }
  return ::testing::AssertionSuccess();
}

// The responses carry the numbers first, first + 1, ... in order.
::testing::AssertionResult numbered_from(const std::vector<ClientResponse>& responses,
                                         SeqNum first) {
  for (std::size_t i = 0; i < responses.size(); ++i) {
    const SeqNum seq = responses[i].seq_num;
    if (seq != first + i) {
      return ::testing::AssertionFailure()
             << "response " << i << " has seq_num " << seq << ", expected " << first + i << ": "
             << to_string(responses[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// Expects the server to close after sending nothing but these responses; returns them.
::testing::AssertionResult closed_after(OrderEntryClient& client,
                                        std::vector<ClientResponse>& before_close) {
  if (!client.wait_closed(5s, &before_close)) {
    return ::testing::AssertionFailure() << "still open";
  }
  return ::testing::AssertionSuccess();
}

// A LOGON that the server refuses: LOGON_REJECTED(reason), then the close.
::testing::AssertionResult logon_refused(std::uint16_t port, ClientId id, SeqNum replay_from,
                                         RejectReason reason, SeqNum* carried = nullptr) {
  OrderEntryClient client(port, id);
  if (!client.send(client.logon(replay_from))) {
    return ::testing::AssertionFailure() << "send LOGON failed";
  }
  ClientResponse reply{};
  ::testing::AssertionResult got =
      receive_response(client, reply, ClientResponseType::kLogonRejected, reason);
  if (!got) {
    return got;
  }
  if (carried != nullptr) {
    *carried = reply.seq_num;
  }
  return closed_by_server(client);
}

TEST(OrderServerResume, logon_accepted_tells_both_streams_on_a_first_logon_and_a_reconnect) {
  OrderEntryExchange exchange;
  {
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 0, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 1u);
    EXPECT_EQ(accepted.client_order_id, 1u);
    EXPECT_EQ(accepted.market_order_id, 1u);
    ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
    ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 101, 1)));
    ASSERT_TRUE(client.send(client.cancel(1, 2)));
    std::vector<ClientResponse> responses;
    ASSERT_TRUE(receive_n(client, 3, responses));
    ASSERT_TRUE(numbered_from(responses, 1));
    ASSERT_TRUE(client.send(client.logout()));
    // Order 1 still rests: its CANCELED(DISCONNECTED) is response 4.
    std::vector<ClientResponse> last;
    ASSERT_TRUE(closed_after(client, last));
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].msg_type, ClientResponseType::kCanceled);
    EXPECT_EQ(last[0].reject_reason, RejectReason::kDisconnected);
    EXPECT_EQ(last[0].seq_num, 4u);
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  {
    // No replay: the connection starts at the next live number.
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 0, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 5u);
    EXPECT_EQ(accepted.client_order_id, 4u) << "requests 1 to 3 arrived";
    EXPECT_EQ(accepted.market_order_id, 5u);
    ASSERT_TRUE(client.send(client.logout()));
    EXPECT_TRUE(closed_by_server(client)) << "nothing rested, nothing was sent";
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  {
    // Replay from 2: the connection starts at 2 and carries 2, 3, 4 again.
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 2, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 2u);
    EXPECT_EQ(accepted.client_order_id, 4u);
    EXPECT_EQ(accepted.market_order_id, 5u);
    std::vector<ClientResponse> replayed;
    ASSERT_TRUE(receive_n(client, 3, replayed));
    ASSERT_TRUE(numbered_from(replayed, 2));
    EXPECT_EQ(replayed[0].msg_type, ClientResponseType::kAccepted);
    EXPECT_EQ(replayed[0].client_order_id, 2u);
    EXPECT_EQ(replayed[1].msg_type, ClientResponseType::kCanceled);
    EXPECT_EQ(replayed[1].reject_reason, RejectReason::kNone);
    EXPECT_EQ(replayed[2].msg_type, ClientResponseType::kCanceled);
    EXPECT_EQ(replayed[2].reject_reason, RejectReason::kDisconnected);
    EXPECT_EQ(replayed[2].client_order_id, 1u);
  }
  // Counted after the send: the client may have read them first.
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.logons_with_replay == 1 && c.responses_replayed == 3; }));
}

// The maker rests 20 sells; the taker's burst of 12 buys fills them while the maker, having
// read its ACCEPTEDs and the first fills, is reset (SO_LINGER 0). Its orders that did not
// fill are cancelled on disconnect. Reconnecting with replay from the last number it
// processed + 1, it gets exactly what it missed, in order, with the original numbers, and
// only then the answer to the NEW it sent with its LOGON.
TEST(OrderServerResume, replays_what_a_reset_client_missed_in_order_before_live_responses) {
  constexpr OrderId kSells = 20;
  constexpr OrderId kBuys = 12;
  constexpr std::size_t kFillsRead = 3;
  OrderEntryExchange exchange;
  auto maker = std::make_unique<OrderEntryClient>(exchange.port(), 7);
  OrderEntryClient taker(exchange.port(), 8);
  ASSERT_TRUE(log_on(*maker));
  ASSERT_TRUE(log_on(taker));
  std::vector<ClientRequest> sells;
  for (OrderId id = 1; id <= kSells; ++id) {
    sells.push_back(maker->new_order(1, id, Side::kSell, 100, 1));
  }
  ASSERT_TRUE(maker->send(sells));
  std::vector<ClientResponse> processed;
  ASSERT_TRUE(receive_n(*maker, kSells, processed));

  std::vector<ClientRequest> buys;
  for (OrderId id = 1; id <= kBuys; ++id) {
    buys.push_back(taker.new_order(1, id, Side::kBuy, 100, 1));
  }
  ASSERT_TRUE(taker.send(buys));
  ASSERT_TRUE(receive_n(*maker, kFillsRead, processed));
  maker->reset();  // the rest of the fills are on their way to a dead socket
  maker.reset();

  // Every sell left the book, filled or cancelled on disconnect (a CANCEL update either way),
  // before the maker comes back.
  ASSERT_TRUE(exchange.wait_for_updates([&](const auto& updates) {
    return count_updates(updates, MarketUpdateType::kCancel) == kSells;
  }));
  ASSERT_TRUE(numbered_from(processed, 1));
  const SeqNum last_processed = processed.back().seq_num;

  OrderEntryClient again(exchange.port(), 7);
  again.set_next_seq(kSells + 1);  // it knows which requests it sent
  const std::vector<ClientRequest> resumed{again.logon(last_processed + 1),
                                           again.new_order(1, 100, Side::kBuy, 50, 1)};
  ASSERT_TRUE(again.send(resumed));
  ClientResponse accepted{};
  ASSERT_TRUE(receive_response(again, accepted, ClientResponseType::kLogonAccepted));
  const SeqNum next_live = accepted.market_order_id;
  EXPECT_EQ(accepted.seq_num, last_processed + 1);
  EXPECT_EQ(accepted.client_order_id, kSells + 1);
  EXPECT_EQ(next_live, 2 * kSells + 1) << "20 ACCEPTED, then one FILLED or CANCELED per sell";

  std::vector<ClientResponse> missed;
  ASSERT_TRUE(receive_n(again, next_live - last_processed - 1, missed));
  ASSERT_TRUE(numbered_from(missed, last_processed + 1));
  ClientResponse live{};
  ASSERT_TRUE(receive_response(again, live, ClientResponseType::kAccepted));
  EXPECT_EQ(live.seq_num, next_live) << "the live answer comes after the whole replay";
  EXPECT_EQ(live.client_order_id, 100u);

  // Together, what it read before the reset and the replay are its whole stream: each sell
  // accepted once, then filled or cancelled on disconnect exactly once.
  std::vector<ClientResponse> stream = processed;
  stream.insert(stream.end(), missed.begin(), missed.end());
  ASSERT_TRUE(numbered_from(stream, 1));
  std::map<OrderId, int> accepted_count;
  std::map<OrderId, int> ended_count;
  std::size_t fills = 0;
  for (const ClientResponse& response : stream) {
    const OrderId id = response.client_order_id;
    if (response.msg_type == ClientResponseType::kAccepted) {
      ++accepted_count[id];
    } else if (response.msg_type == ClientResponseType::kFilled) {
      EXPECT_EQ(response.leaves_qty, 0u);
      ++ended_count[id];
      ++fills;
    } else {
      EXPECT_EQ(response.msg_type, ClientResponseType::kCanceled) << to_string(response);
      EXPECT_EQ(response.reject_reason, RejectReason::kDisconnected) << to_string(response);
      ++ended_count[id];
    }
  }
  for (OrderId id = 1; id <= kSells; ++id) {
    EXPECT_EQ(accepted_count[id], 1) << "sell " << id;
    EXPECT_EQ(ended_count[id], 1) << "sell " << id;
  }
  EXPECT_EQ(fills, count_updates(exchange.updates(), MarketUpdateType::kTrade));
  EXPECT_GE(fills, kFillsRead);
  // The taker's side of the same trades.
  std::vector<ClientResponse> taker_responses;
  ASSERT_TRUE(receive_n(taker, kBuys + fills, taker_responses));
  ASSERT_TRUE(numbered_from(taker_responses, 1));
  EXPECT_EQ(exchange.counters().cancel_alls, 1u);
}

// KEEP_ORDERS: the keeper's orders outlive two connections; one fills while it is away and the
// FILLED is replayed. A client without it has its order CANCELED(DISCONNECTED) in its stream.
TEST(OrderServerResume, keep_orders_orders_survive_the_disconnect_and_their_fill_is_replayed) {
  OrderEntryExchange exchange;
  ClientResponse keeper_first{};
  ClientResponse other_order{};
  {
    OrderEntryClient keeper(exchange.port(), 7);
    OrderEntryClient other(exchange.port(), 9);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(keeper, 0, kFlagKeepOrders, accepted));
    ASSERT_TRUE(log_on(other));
    ASSERT_TRUE(keeper.send(keeper.new_order(1, 1, Side::kSell, 100, 5)));
    ASSERT_TRUE(keeper.send(keeper.new_order(2, 2, Side::kSell, 200, 5)));
    ASSERT_TRUE(other.send(other.new_order(1, 3, Side::kSell, 102, 5)));
    ASSERT_TRUE(receive_response(keeper, keeper_first, ClientResponseType::kAccepted));
    ASSERT_TRUE(receive_response(keeper, ClientResponseType::kAccepted));
    ASSERT_TRUE(receive_response(other, other_order, ClientResponseType::kAccepted));
    keeper.reset();
    other.reset();
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) {
    return c.sessions_live == 0 && c.closed(SessionCloseCause::kPeerClosed) == 2;
  }));
  EXPECT_EQ(exchange.counters().cancel_alls, 1u) << "only the client without KEEP_ORDERS";
  ASSERT_TRUE(exchange.wait_for_updates(
      [](const auto& updates) { return count_updates(updates, MarketUpdateType::kCancel) == 1; }));
  for (const MarketUpdate& update : exchange.updates()) {
    if (update.msg_type == MarketUpdateType::kCancel) {
      EXPECT_EQ(update.order_id, other_order.market_order_id);
    }
  }

  // The keeper's sell on ticker 1 is still in the book: it trades while the keeper is away.
  OrderEntryClient taker(exchange.port(), 8);
  ASSERT_TRUE(log_on(taker));
  ASSERT_TRUE(taker.send(taker.new_order(1, 1, Side::kBuy, 100, 5)));
  ASSERT_TRUE(receive_response(taker, ClientResponseType::kAccepted));
  ClientResponse taker_fill{};
  ASSERT_TRUE(receive_response(taker, taker_fill, ClientResponseType::kFilled));
  EXPECT_EQ(taker_fill.exec_qty, 5u);
  EXPECT_EQ(taker_fill.price, 100);

  {
    OrderEntryClient keeper(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(keeper, 3, kFlagKeepOrders, accepted));
    EXPECT_EQ(accepted.seq_num, 3u);
    EXPECT_EQ(accepted.client_order_id, 3u);
    EXPECT_EQ(accepted.market_order_id, 4u);
    ClientResponse fill{};
    ASSERT_TRUE(receive_response(keeper, fill, ClientResponseType::kFilled));
    EXPECT_EQ(fill.seq_num, 3u);
    EXPECT_EQ(fill.client_order_id, 1u);
    EXPECT_EQ(fill.market_order_id, keeper_first.market_order_id);
    EXPECT_EQ(fill.exec_qty, 5u);
    EXPECT_EQ(fill.leaves_qty, 0u);
    keeper.close();
  }
  {
    OrderEntryClient other(exchange.port(), 9);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(other, 2, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 2u);
    EXPECT_EQ(accepted.market_order_id, 3u);
    ClientResponse canceled{};
    ASSERT_TRUE(receive_response(other, canceled, ClientResponseType::kCanceled,
                                 RejectReason::kDisconnected));
    EXPECT_EQ(canceled.seq_num, 2u);
    EXPECT_EQ(canceled.client_order_id, 3u);
    EXPECT_EQ(canceled.market_order_id, other_order.market_order_id);
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 1; }));
  // The other's second connection had nothing left to cancel; the keeper's asked for none.
  EXPECT_EQ(exchange.counters().cancel_alls, 2u);
  for (const MarketUpdate& update : exchange.updates()) {
    EXPECT_FALSE(update.msg_type == MarketUpdateType::kCancel && update.ticker_id == 2)
        << "the keeper's sell on ticker 2 was cancelled";
  }
  exchange.stop();
  EXPECT_EQ(exchange.engine().book(1)->order_count(), 0u);
  EXPECT_EQ(exchange.engine().book(2)->order_count(), 1u)
      << "the keeper's sell on ticker 2 outlived both of its connections";
}

TEST(OrderServerResume, serves_replay_only_within_the_kept_range) {
  OrderServerOptions options = testing::test_order_server_options();
  options.replay_depth = 8;
  OrderEntryExchange exchange(options);
  {
    // 12 ACCEPTED, then 12 CANCELED(DISCONNECTED): responses 1 to 24, 17 to 24 kept.
    OrderEntryClient client(exchange.port(), 7);
    ASSERT_TRUE(log_on(client));
    std::vector<ClientRequest> orders;
    for (OrderId id = 1; id <= 12; ++id) {
      orders.push_back(client.new_order(1, id, Side::kBuy, 100, 1));
    }
    ASSERT_TRUE(client.send(orders));
    std::vector<ClientResponse> responses;
    ASSERT_TRUE(receive_n(client, 12, responses));
    ASSERT_TRUE(client.send(client.logout()));
    ASSERT_TRUE(closed_after(client, responses));
    ASSERT_EQ(responses.size(), 24u);
    ASSERT_TRUE(numbered_from(responses, 1));
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));

  SeqNum carried = 0;
  EXPECT_TRUE(logon_refused(exchange.port(), 7, 26, RejectReason::kBadSeqNum, &carried));
  EXPECT_EQ(carried, 25u) << "LOGON_REJECTED carries the next response number";
  EXPECT_TRUE(logon_refused(exchange.port(), 7, 16, RejectReason::kReplayUnavailable));
  EXPECT_TRUE(logon_refused(exchange.port(), 7, 1, RejectReason::kReplayUnavailable));
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  {
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 17, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 17u);
    EXPECT_EQ(accepted.client_order_id, 13u);
    EXPECT_EQ(accepted.market_order_id, 25u);
    std::vector<ClientResponse> replayed;
    ASSERT_TRUE(receive_n(client, 8, replayed));
    ASSERT_TRUE(numbered_from(replayed, 17));
    for (const ClientResponse& response : replayed) {
      EXPECT_EQ(response.msg_type, ClientResponseType::kCanceled);
      EXPECT_EQ(response.reject_reason, RejectReason::kDisconnected);
    }
    ASSERT_TRUE(client.send(client.logout()));
    EXPECT_TRUE(closed_by_server(client));
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  {
    // Replay from the next live number is a replay of nothing: allowed.
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 25, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 25u);
    client.close();
  }
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  {
    // Replay from 0: only live responses.
    OrderEntryClient client(exchange.port(), 7);
    ClientResponse accepted{};
    ASSERT_TRUE(log_on(client, 0, 0, accepted));
    EXPECT_EQ(accepted.seq_num, 25u);
    client.set_next_seq(accepted.client_order_id);
    ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
    ClientResponse first{};
    ASSERT_TRUE(receive_response(client, first, ClientResponseType::kAccepted));
    EXPECT_EQ(first.seq_num, 25u);
  }
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kReplayUnavailable), 2u);
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kBadSeqNum), 1u);
}

TEST(OrderServerResume, expects_the_next_request_number_across_a_reconnect) {
  OrderEntryExchange exchange;
  {
    OrderEntryClient client(exchange.port(), 7);
    ASSERT_TRUE(log_on(client));
    ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
    ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 101, 1)));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  }  // closed: both orders are cancelled, responses 3 and 4
  ASSERT_TRUE(exchange.wait_for_updates(
      [](const auto& updates) { return count_updates(updates, MarketUpdateType::kCancel) == 2; }));
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));

  OrderEntryClient again(exchange.port(), 7);
  ClientResponse accepted{};
  ASSERT_TRUE(log_on(again, 0, 0, accepted));
  EXPECT_EQ(accepted.client_order_id, 3u);
  EXPECT_EQ(accepted.market_order_id, 5u);
  // A client that forgot its numbers starts again from 1: refused, numbered, not processed.
  ASSERT_TRUE(again.send(again.new_order(1, 3, Side::kBuy, 100, 1)));
  ClientResponse reply{};
  ASSERT_TRUE(
      receive_response(again, reply, ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  EXPECT_EQ(reply.seq_num, 5u);
  EXPECT_EQ(reply.client_order_id, 3u);
  again.set_next_seq(accepted.client_order_id);
  ASSERT_TRUE(again.send(again.new_order(1, 3, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(again, reply, ClientResponseType::kAccepted));
  EXPECT_EQ(reply.seq_num, 6u);
  EXPECT_EQ(reply.client_order_id, 3u);
}

// Session rejects travel through the engine so that they are numbered in the client's stream:
// sent in one write with valid requests, every answer comes in request order, numbered 1, 2,
// 3, ... with no gap.
TEST(OrderServerResume, numbers_session_rejects_in_request_order_among_engine_responses) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  std::vector<ClientRequest> batch;
  batch.push_back(client.new_order(1, 1, Side::kBuy, 100, 1));  // 1
  client.set_next_seq(9);
  batch.push_back(client.new_order(1, 2, Side::kBuy, 100, 1));  // BAD_SEQ_NUM
  client.set_next_seq(2);
  batch.push_back(client.new_order(1, 2, Side::kBuy, 101, 1));  // 2
  ClientRequest mismatch = client.cancel(1, 1);                 // 3, another id
  mismatch.client_id = 8;
  batch.push_back(mismatch);
  batch.push_back(client.heartbeat());
  client.set_next_seq(3);
  batch.push_back(client.cancel(1, 1));  // 3
  batch.push_back(client.logon());       // CLIENT_ID_IN_USE
  ClientRequest unknown = client.make(ClientRequestType{9});
  batch.push_back(unknown);                                  // UNKNOWN_MSG_TYPE
  batch.push_back(client.modify(1, 2, Side::kBuy, 101, 1));  // 4
  ASSERT_TRUE(client.send(batch));

  struct Expected {
    ClientResponseType type;
    RejectReason reason;
    OrderId client_order_id;
  };
  const Expected expected[] = {
      {ClientResponseType::kAccepted, RejectReason::kNone, 1},
      {ClientResponseType::kRejected, RejectReason::kBadSeqNum, 2},
      {ClientResponseType::kAccepted, RejectReason::kNone, 2},
      {ClientResponseType::kRejected, RejectReason::kClientIdMismatch, 1},
      {ClientResponseType::kCanceled, RejectReason::kNone, 1},
      {ClientResponseType::kRejected, RejectReason::kClientIdInUse, 0},
      {ClientResponseType::kRejected, RejectReason::kUnknownMsgType, 0},
      {ClientResponseType::kModified, RejectReason::kNone, 2},
  };
  std::vector<ClientResponse> responses;
  ASSERT_TRUE(receive_n(client, std::size(expected), responses));
  ASSERT_TRUE(numbered_from(responses, 1));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(responses[i].msg_type, expected[i].type) << i << ": " << to_string(responses[i]);
    EXPECT_EQ(responses[i].reject_reason, expected[i].reason)
        << i << ": " << to_string(responses[i]);
    EXPECT_EQ(responses[i].client_order_id, expected[i].client_order_id)
        << i << ": " << to_string(responses[i]);
    EXPECT_EQ(responses[i].client_id, 7u) << "all in the bound client's stream";
  }
  // A reconnect replays the rejects with the rest.
  client.close();
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  ASSERT_TRUE(exchange.wait_for_updates(
      [](const auto& updates) { return count_updates(updates, MarketUpdateType::kCancel) == 2; }));
  OrderEntryClient again(exchange.port(), 7);
  ClientResponse accepted{};
  ASSERT_TRUE(log_on(again, 1, 0, accepted));
  EXPECT_EQ(accepted.client_order_id, 5u);
  EXPECT_EQ(accepted.market_order_id, std::size(expected) + 2) << "and the CANCELED of order 2";
  std::vector<ClientResponse> replayed;
  ASSERT_TRUE(receive_n(again, std::size(expected) + 1, replayed));
  ASSERT_TRUE(numbered_from(replayed, 1));
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(std::memcmp(&replayed[i], &responses[i], sizeof(ClientResponse)), 0)
        << i << ": replayed " << to_string(replayed[i]) << ", first sent "
        << to_string(responses[i]);
  }
}

// 50,000 kept responses replayed to a client with a small receive window that does not read
// at first: far more than the socket buffers and the session's send bound hold. They arrive
// complete, in order, identical to the first time, and the answer to the NEW sent with the
// LOGON comes after them.
TEST(OrderServerResume, replays_more_than_the_socket_buffers_hold_to_a_slow_reader) {
  constexpr std::size_t kPairs = 25'000;
  constexpr std::size_t kWindow = 1000;
  OrderServerOptions options = testing::test_order_server_options();
  options.socket_send_buffer_bytes = 4096;
  OrderEntryExchange exchange(options);
  std::vector<ClientResponse> first_time;
  first_time.reserve(2 * kPairs);
  SeqNum next_request = 0;
  {
    OrderEntryClient client(exchange.port(), 7);
    ASSERT_TRUE(log_on(client));
    std::vector<ClientRequest> batch;
    for (std::size_t done = 0; done < kPairs; done += kWindow / 2) {
      batch.clear();
      for (std::size_t i = 0; i < kWindow / 2; ++i) {
        const auto id = static_cast<OrderId>(done + i + 1);
        batch.push_back(client.new_order(1, id, Side::kBuy, 100, 1));
        batch.push_back(client.cancel(1, id));
      }
      ASSERT_TRUE(client.send(batch));
      ASSERT_TRUE(receive_n(client, batch.size(), first_time));
      (void)exchange.updates();  // the engine stops when nobody takes its market data
    }
    next_request = client.next_seq();
    client.close();
  }
  ASSERT_EQ(first_time.size(), 2 * kPairs);
  ASSERT_TRUE(numbered_from(first_time, 1));
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));

  OrderEntryClient slow(exchange.port(), 7, 10s, 4096);
  slow.set_next_seq(next_request);
  const std::vector<ClientRequest> logon_and_new{slow.logon(1),
                                                 slow.new_order(2, 1, Side::kSell, 500, 1)};
  ASSERT_TRUE(slow.send(logon_and_new));
  // Not reading: the server fills what it may and waits for room.
  std::this_thread::sleep_for(300ms);
  ClientResponse accepted{};
  ASSERT_TRUE(receive_response(slow, accepted, ClientResponseType::kLogonAccepted));
  EXPECT_EQ(accepted.seq_num, 1u);
  EXPECT_EQ(accepted.market_order_id, 2 * kPairs + 1);
  std::vector<ClientResponse> replayed;
  replayed.reserve(2 * kPairs);
  // Slowly at first, then at full speed.
  for (int pause = 0; pause < 5; ++pause) {
    ASSERT_TRUE(receive_n(slow, 100, replayed));
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(receive_n(slow, 2 * kPairs - replayed.size(), replayed));
  ASSERT_EQ(replayed.size(), first_time.size());
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    ASSERT_EQ(std::memcmp(&replayed[i], &first_time[i], sizeof(ClientResponse)), 0)
        << i << ": replayed " << to_string(replayed[i]) << ", first sent "
        << to_string(first_time[i]);
  }
  ClientResponse live{};
  ASSERT_TRUE(receive_response(slow, live, ClientResponseType::kAccepted));
  EXPECT_EQ(live.seq_num, 2 * kPairs + 1);
  EXPECT_EQ(live.ticker_id, 2u);
  // Counted after the send; the live ACCEPTED is sent by the replay too when it was numbered
  // before the replay ended.
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.responses_replayed == 2 * kPairs || c.responses_replayed == 2 * kPairs + 1;
  }));
  EXPECT_EQ(exchange.counters().closed(SessionCloseCause::kSendBufferFull), 0u);
}

TEST(OrderServerResume, heartbeat_carries_the_next_live_response_number) {
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_interval = 100ms;
  OrderEntryExchange exchange(options);
  {
    OrderEntryClient client(exchange.port(), 7);
    ASSERT_TRUE(log_on(client));
    ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
    ClientResponse heartbeat{};
    ASSERT_TRUE(receive_response(client, heartbeat, ClientResponseType::kHeartbeat,
                                 RejectReason::kNone, 2s));
    EXPECT_EQ(heartbeat.seq_num, 2u);
    ASSERT_TRUE(receive_response(client, heartbeat, ClientResponseType::kHeartbeat,
                                 RejectReason::kNone, 2s));
    EXPECT_EQ(heartbeat.seq_num, 2u) << "a heartbeat takes no number";
  }  // closed: the order's CANCELED(DISCONNECTED) is response 2
  ASSERT_TRUE(exchange.wait_for_updates(
      [](const auto& updates) { return count_updates(updates, MarketUpdateType::kCancel) == 1; }));
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_live == 0; }));
  OrderEntryClient again(exchange.port(), 7);
  ClientResponse accepted{};
  ASSERT_TRUE(log_on(again, 0, 0, accepted));
  EXPECT_EQ(accepted.seq_num, 3u);
  ClientResponse heartbeat{};
  ASSERT_TRUE(
      receive_response(again, heartbeat, ClientResponseType::kHeartbeat, RejectReason::kNone, 2s));
  EXPECT_EQ(heartbeat.seq_num, 3u);
  again.set_next_seq(accepted.client_order_id);
  ASSERT_TRUE(again.send(again.new_order(1, 2, Side::kBuy, 100, 1)));
  ClientResponse reply{};
  for (;;) {  // a heartbeat may come first
    ASSERT_EQ(again.receive(reply, 2s), OrderEntryClient::Receive::kMessage);
    if (reply.msg_type != ClientResponseType::kHeartbeat) {
      break;
    }
    EXPECT_EQ(reply.seq_num, 3u);
  }
  EXPECT_EQ(reply.msg_type, ClientResponseType::kAccepted);
  EXPECT_EQ(reply.seq_num, 3u);
}

}  // namespace
}  // namespace llt::exchange
