// The session rules of docs/protocol.md (Session rules), each checked through real TCP sessions
// against the real OrderServer and MatchingEngine running in-process.

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "exchange/exchange_messages.h"
#include "exchange/order_server/order_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using testing::closed_by_server;
using testing::log_on;
using testing::OrderEntryClient;
using testing::OrderEntryExchange;
using testing::receive_response;
using Steady = std::chrono::steady_clock;

// Enough bytes behind a refused request that the server cannot read them in one go: a
// server that closed at once would leave them unread, and the kernel would then reset the
// connection and could discard the reply.
std::vector<std::byte> junk(std::size_t bytes = 256 * 1024) {
  return std::vector<std::byte>(bytes, std::byte{0x5a});
}

TEST(OrderServerSessionRules, accepts_a_first_logon_with_both_streams_starting_at_one) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(client.send(client.logon()));
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kLogonAccepted));
  EXPECT_EQ(reply.seq_num, 1u) << "the number of the first response it will carry";
  EXPECT_EQ(reply.client_order_id, 1u) << "the request number expected next";
  EXPECT_EQ(reply.market_order_id, 1u) << "the next live response number";
  EXPECT_EQ(reply.client_id, 7u);
  EXPECT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == 1; }));
}

TEST(OrderServerSessionRules,
     answers_a_first_message_that_is_not_logon_with_not_logged_in_then_closes) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ClientResponse reply{};
  ASSERT_TRUE(
      receive_response(client, reply, ClientResponseType::kRejected, RejectReason::kNotLoggedIn));
  EXPECT_EQ(reply.seq_num, 0u) << "a connection that never logged on belongs to no stream";
  EXPECT_EQ(reply.client_order_id, 1u);
  EXPECT_TRUE(closed_by_server(client));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.closed(SessionCloseCause::kNotLoggedIn) == 1 && c.sessions_live == 0;
  }));
  EXPECT_EQ(exchange.counters().requests_forwarded, 0u) << "nothing reached the engine";
}

TEST(OrderServerSessionRules,
     delivers_not_logged_in_before_closing_even_with_unread_bytes_behind_it) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  const ClientRequest first = client.new_order(1, 1, Side::kBuy, 100, 1);
  std::vector<std::byte> bytes = junk();
  std::memcpy(bytes.data(), &first, sizeof(first));
  ASSERT_TRUE(client.send_bytes(bytes.data(), bytes.size()));
  std::this_thread::sleep_for(100ms);  // the server has decided and closed by now
  ASSERT_TRUE(receive_response(client, ClientResponseType::kRejected, RejectReason::kNotLoggedIn));
  EXPECT_TRUE(closed_by_server(client));
}

TEST(OrderServerSessionRules, rejects_logon_with_client_id_zero_as_invalid_client_id_then_closes) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 0);
  const ClientRequest logon = client.logon();
  std::vector<std::byte> bytes = junk();
  std::memcpy(bytes.data(), &logon, sizeof(logon));
  ASSERT_TRUE(client.send_bytes(bytes.data(), bytes.size()));
  std::this_thread::sleep_for(100ms);
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kLogonRejected,
                               RejectReason::kInvalidClientId));
  EXPECT_EQ(reply.seq_num, 1u);
  EXPECT_TRUE(closed_by_server(client));
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(SessionCloseCause::kLogonRejected) == 1; }));
}

TEST(OrderServerSessionRules, does_not_check_the_seq_num_of_a_logon_and_expects_request_one) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  client.set_next_seq(2);
  ASSERT_TRUE(client.send(client.logon()));
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kLogonAccepted));
  EXPECT_EQ(reply.client_order_id, 1u) << "a new client's request stream starts at one";
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));  // request 2
  ASSERT_TRUE(receive_response(client, ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  client.set_next_seq(1);
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kAccepted));
  EXPECT_EQ(reply.seq_num, 2u);
}

TEST(OrderServerSessionRules, rejects_a_logon_asking_for_replay_beyond_the_stream_then_closes) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  const ClientRequest logon = client.logon(2);
  std::vector<std::byte> bytes = junk();
  std::memcpy(bytes.data(), &logon, sizeof(logon));
  ASSERT_TRUE(client.send_bytes(bytes.data(), bytes.size()));
  std::this_thread::sleep_for(100ms);
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kLogonRejected,
                               RejectReason::kBadSeqNum));
  EXPECT_EQ(reply.seq_num, 1u) << "the next number of the client's response stream";
  EXPECT_TRUE(closed_by_server(client));
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(SessionCloseCause::kLogonRejected) == 1; }));
}

TEST(OrderServerSessionRules, refuses_a_second_live_session_for_a_client_id_and_keeps_the_first) {
  OrderEntryExchange exchange;
  OrderEntryClient first(exchange.port(), 5);
  ASSERT_TRUE(log_on(first));

  OrderEntryClient second(exchange.port(), 5);
  const ClientRequest logon = second.logon();
  std::vector<std::byte> bytes = junk();
  std::memcpy(bytes.data(), &logon, sizeof(logon));
  ASSERT_TRUE(second.send_bytes(bytes.data(), bytes.size()));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(
      receive_response(second, ClientResponseType::kLogonRejected, RejectReason::kClientIdInUse));
  EXPECT_TRUE(closed_by_server(second));

  ASSERT_TRUE(first.send(first.new_order(1, 1, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(first, ClientResponseType::kAccepted));

  // Once the first session is gone the id may log on again.
  first.close();
  ASSERT_TRUE(exchange.wait_for([](const auto& c) { return c.sessions_logged_on == 0; }));
  OrderEntryClient third(exchange.port(), 5);
  EXPECT_TRUE(log_on(third));
}

TEST(OrderServerSessionRules, rejects_a_client_id_mismatch_without_consuming_the_seq_num) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ClientRequest wrong = client.new_order(1, 1, Side::kBuy, 100, 1);
  wrong.client_id = 8;
  ASSERT_TRUE(client.send(wrong));
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kRejected,
                               RejectReason::kClientIdMismatch));
  EXPECT_EQ(reply.client_order_id, 1u);
  EXPECT_EQ(reply.seq_num, 1u) << "numbered in the bound client's stream";
  EXPECT_EQ(reply.client_id, 7u);

  client.set_next_seq(1);  // the rejected message did not advance the expected seq_num
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  EXPECT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  EXPECT_EQ(exchange.counters().rejects(RejectReason::kClientIdMismatch), 1u);
}

TEST(OrderServerSessionRules,
     rejects_a_gap_in_seq_nums_as_bad_seq_num_and_accepts_the_expected_one) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  client.set_next_seq(5);
  ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  client.set_next_seq(1);  // a repeat is just as bad
  ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  client.set_next_seq(2);
  ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 100, 1)));
  EXPECT_TRUE(receive_response(client, ClientResponseType::kAccepted));
}

TEST(OrderServerSessionRules, rejects_unknown_msg_types_including_the_internal_cancel_all) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 11, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));

  ClientRequest unknown = client.make(ClientRequestType{9});
  ASSERT_TRUE(client.send(unknown));
  ASSERT_TRUE(
      receive_response(client, ClientResponseType::kRejected, RejectReason::kUnknownMsgType));
  client.set_next_seq(unknown.seq_num);
  ASSERT_TRUE(client.send(client.make(kCancelAllOfClient)));
  ASSERT_TRUE(
      receive_response(client, ClientResponseType::kRejected, RejectReason::kUnknownMsgType));

  // The order survived: the internal byte never reached the engine.
  client.set_next_seq(unknown.seq_num);
  ASSERT_TRUE(client.send(client.cancel(1, 11)));
  EXPECT_TRUE(receive_response(client, ClientResponseType::kCanceled));
  EXPECT_EQ(exchange.counters().cancel_alls, 0u);
}

TEST(OrderServerSessionRules, rejects_a_second_logon_on_a_logged_on_session_and_stays_open) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ClientRequest again = client.make(ClientRequestType::kLogon);
  ASSERT_TRUE(client.send(again));
  ASSERT_TRUE(
      receive_response(client, ClientResponseType::kRejected, RejectReason::kClientIdInUse));
  client.set_next_seq(again.seq_num);
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kSell, 100, 1)));
  EXPECT_TRUE(receive_response(client, ClientResponseType::kAccepted));
}

TEST(OrderServerSessionRules, closes_a_session_after_too_many_invalid_messages_answering_the_last) {
  OrderServerOptions options = testing::test_order_server_options();
  options.max_invalid_messages = 3;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  for (int i = 0; i < 3; ++i) {
    client.set_next_seq(100);
    ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 100, 1)));
    ASSERT_TRUE(receive_response(client, ClientResponseType::kRejected, RejectReason::kBadSeqNum))
        << "invalid message " << i + 1;
  }
  ClientResponse canceled{};
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled,
                               RejectReason::kDisconnected))
      << "cancel-on-disconnect is reported to the closing session";
  EXPECT_EQ(canceled.client_order_id, 1u);
  EXPECT_TRUE(closed_by_server(client));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.closed(SessionCloseCause::kTooManyInvalid) == 1 && c.cancel_alls == 1;
  }));
  EXPECT_TRUE(exchange.wait_for_updates([](const auto& updates) {
    return testing::count_updates(updates, MarketUpdateType::kCancel) == 1;
  }));
}

TEST(OrderServerSessionRules,
     flushes_every_reply_queued_before_the_close_to_a_client_that_reads_late) {
  // The replies to many invalid messages pile up in the session's send buffer (small socket
  // buffers, a client that reads only after writing); the last one closes the session. A
  // close that dropped the queued bytes would cut the reply stream short.
  constexpr int kInvalid = 1500;
  OrderServerOptions options = testing::test_order_server_options(2);
  options.max_invalid_messages = kInvalid;
  options.socket_send_buffer_bytes = 4096;
  options.send_buffer_bytes = 1 << 20;
  options.close_grace = 500ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7, 5s, 4096);
  ASSERT_TRUE(log_on(client));
  std::vector<ClientRequest> invalid;
  invalid.reserve(kInvalid);
  client.set_next_seq(1000);
  for (int i = 0; i < kInvalid; ++i) {
    invalid.push_back(client.new_order(1, 1, Side::kBuy, 100, 1));  // 1000, 1001, ...: all bad
  }
  ASSERT_TRUE(client.send(invalid));
  ASSERT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(SessionCloseCause::kTooManyInvalid) == 1; }));
  std::vector<ClientResponse> replies;
  EXPECT_TRUE(client.wait_closed(5s, &replies));
  ASSERT_EQ(replies.size(), static_cast<std::size_t>(kInvalid));
  for (std::size_t i = 0; i < replies.size(); ++i) {
    ASSERT_EQ(replies[i].msg_type, ClientResponseType::kRejected) << i;
    ASSERT_EQ(replies[i].seq_num, i + 1) << i;
  }
}

TEST(OrderServerSessionRules, consumes_client_heartbeats_silently_and_they_keep_the_session_alive) {
  OrderServerOptions options = testing::test_order_server_options();
  // A heartbeat every 50 ms for twice the timeout: a loaded machine may stall the test's thread
  // for a few hundred ms, never for the whole second.
  options.heartbeat_timeout = 1000ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  const auto until = Steady::now() + 2000ms;
  while (Steady::now() < until) {
    ASSERT_TRUE(client.send(client.heartbeat()));
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ClientResponse reply{};
  ASSERT_TRUE(receive_response(client, reply, ClientResponseType::kAccepted));
  EXPECT_EQ(reply.seq_num, 1u) << "no reply to any client heartbeat, and none numbered";
  EXPECT_EQ(exchange.counters().closed(SessionCloseCause::kHeartbeatTimeout), 0u);
}

TEST(OrderServerSessionRules, sends_a_heartbeat_after_the_interval_without_output) {
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_interval = 100ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  const auto before_logon = Steady::now();
  ASSERT_TRUE(log_on(client));
  ClientResponse heartbeat{};
  ASSERT_TRUE(
      receive_response(client, heartbeat, ClientResponseType::kHeartbeat, RejectReason::kNone, 2s));
  // The interval runs from the LOGON_ACCEPTED the server sent, after the client's LOGON.
  EXPECT_GE(Steady::now() - before_logon, 100ms);
  EXPECT_EQ(heartbeat.seq_num, 1u) << "the next live response number: none was sent yet";
  EXPECT_EQ(heartbeat.client_id, 7u);
}

// Responses are numbered 1, 2, 3, ...; LOGON_ACCEPTED and HEARTBEAT carry the next number
// without taking it.
TEST(OrderServerSessionRules,
     numbers_responses_contiguously_from_one_and_heartbeats_carry_the_next_number) {
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_interval = 60ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  std::vector<ClientResponse> received;
  std::size_t heartbeats = 0;
  // Receives until a message of `type` arrives; heartbeats may come in between at any time.
  auto expect_next = [&](ClientResponseType type, RejectReason reason = RejectReason::kNone) {
    for (;;) {
      ClientResponse response{};
      if (client.receive(response, 2s) != OrderEntryClient::Receive::kMessage) {
        return ::testing::AssertionResult(::testing::AssertionFailure() << "no message");
      }
      received.push_back(response);
      if (response.msg_type == ClientResponseType::kHeartbeat) {
        ++heartbeats;
        if (type == ClientResponseType::kHeartbeat) {
          return ::testing::AssertionSuccess();
        }
        continue;
      }
      if (response.msg_type != type || response.reject_reason != reason) {
        return ::testing::AssertionResult(::testing::AssertionFailure()
                                          << "got " << to_string(response));
      }
      return ::testing::AssertionSuccess();
    }
  };
  ASSERT_TRUE(client.send(client.logon()));
  ASSERT_TRUE(expect_next(ClientResponseType::kLogonAccepted));
  ASSERT_TRUE(expect_next(ClientResponseType::kHeartbeat));
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 1)));
  ASSERT_TRUE(expect_next(ClientResponseType::kAccepted));
  client.set_next_seq(50);
  ASSERT_TRUE(client.send(client.new_order(1, 2, Side::kBuy, 100, 1)));
  ASSERT_TRUE(expect_next(ClientResponseType::kRejected, RejectReason::kBadSeqNum));
  ASSERT_TRUE(expect_next(ClientResponseType::kHeartbeat));
  client.set_next_seq(2);
  ASSERT_TRUE(client.send(client.cancel(1, 1)));
  ASSERT_TRUE(expect_next(ClientResponseType::kCanceled));
  ASSERT_TRUE(expect_next(ClientResponseType::kHeartbeat));
  EXPECT_GE(heartbeats, 3u);
  SeqNum next = 1;
  for (std::size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].seq_num, next) << "message " << i << ": " << to_string(received[i]);
    const ClientResponseType type = received[i].msg_type;
    if (type != ClientResponseType::kHeartbeat && type != ClientResponseType::kLogonAccepted) {
      ++next;
    }
  }
  EXPECT_EQ(next, 4u) << "ACCEPTED, REJECTED and CANCELED took 1, 2 and 3";
}

TEST(OrderServerSessionRules,
     closes_a_silent_session_after_the_heartbeat_timeout_and_cancels_its_orders) {
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_timeout = 250ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  // The client's last message is this NEW: the server counts the silence from its arrival,
  // which is after this moment.
  const auto silent_since = Steady::now();
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 3)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  ClientResponse canceled{};
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled,
                               RejectReason::kDisconnected, 10s));
  EXPECT_TRUE(closed_by_server(client, 10s));
  // Less a little for the server's clock (TSC ticks calibrated at start-up).
  EXPECT_GE(Steady::now() - silent_since, 240ms);
  EXPECT_TRUE(exchange.wait_for(
      [](const auto& c) { return c.closed(SessionCloseCause::kHeartbeatTimeout) == 1; }));
  EXPECT_TRUE(exchange.wait_for_updates([](const auto& updates) {
    return testing::count_updates(updates, MarketUpdateType::kCancel) == 1;
  }));
}

TEST(OrderServerSessionRules, closes_a_connection_that_never_logs_on_after_the_heartbeat_timeout) {
  OrderServerOptions options = testing::test_order_server_options();
  options.heartbeat_timeout = 200ms;
  OrderEntryExchange exchange(options);
  OrderEntryClient client(exchange.port(), 7);
  EXPECT_TRUE(closed_by_server(client, 3s));
  EXPECT_EQ(exchange.counters().cancel_alls, 0u) << "it never logged on";
}

TEST(OrderServerSessionRules, logout_cancels_resting_orders_reports_the_cancels_and_closes) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 3)));
  ASSERT_TRUE(client.send(client.new_order(2, 2, Side::kSell, 200, 4)));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(client, ClientResponseType::kAccepted));
  ASSERT_TRUE(client.send(client.logout()));
  ClientResponse canceled{};
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled,
                               RejectReason::kDisconnected));
  EXPECT_EQ(canceled.client_order_id, 1u);
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled,
                               RejectReason::kDisconnected));
  EXPECT_EQ(canceled.client_order_id, 2u);
  EXPECT_TRUE(closed_by_server(client));
  EXPECT_TRUE(exchange.wait_for([](const auto& c) {
    return c.closed(SessionCloseCause::kLogout) == 1 && c.sessions_live == 0 &&
           c.sessions_logged_on == 0;
  }));
  EXPECT_TRUE(exchange.wait_for_updates([](const auto& updates) {
    return testing::count_updates(updates, MarketUpdateType::kCancel) == 2;
  }));
  EXPECT_EQ(exchange.counters().responses_without_session, 0u);
  OrderEntryClient again(exchange.port(), 7);
  EXPECT_TRUE(log_on(again)) << "the id is free once the server closed the session";
}

TEST(OrderServerSessionRules, answers_a_new_sent_together_with_logout_before_closing) {
  OrderEntryExchange exchange;
  OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(log_on(client));
  const std::vector<ClientRequest> both{client.new_order(3, 1, Side::kSell, 500, 2),
                                        client.logout()};
  ASSERT_TRUE(client.send(both));
  ClientResponse accepted{};
  ClientResponse canceled{};
  ASSERT_TRUE(receive_response(client, accepted, ClientResponseType::kAccepted));
  ASSERT_TRUE(receive_response(client, canceled, ClientResponseType::kCanceled,
                               RejectReason::kDisconnected));
  EXPECT_EQ(canceled.market_order_id, accepted.market_order_id);
  EXPECT_EQ(canceled.seq_num, accepted.seq_num + 1);
  EXPECT_TRUE(closed_by_server(client));
}

}  // namespace
}  // namespace llt::exchange
