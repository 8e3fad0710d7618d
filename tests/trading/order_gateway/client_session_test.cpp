#include "trading/order_gateway/client_session.h"

#include <gtest/gtest.h>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"

namespace llt::trading {
namespace {

using exchange::ClientRequest;
using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::RejectReason;
using exchange::SeqNum;

constexpr exchange::ClientId kClient = 7;

// Ticks are arbitrary numbers here: the session never reads a clock.
constexpr ClientSessionTimeouts kTimeouts{
    .connect_ticks = 100,
    .logon_ticks = 1000,
    .heartbeat_interval_ticks = 50,
    .receive_ticks = 500,
};

ClientResponse response(ClientResponseType type, SeqNum seq, exchange::ClientId client = kClient) {
  ClientResponse r{};
  r.seq_num = seq;
  r.msg_type = type;
  r.client_id = client;
  r.ticker_id = 1;
  r.client_order_id = 100 + seq;
  return r;
}

ClientSessionDecision decision(ClientSessionAction action,
                               ProtocolError reason = ProtocolError::kNone) {
  return ClientSessionDecision{action, reason};
}

ClientSessionDecision protocol_error(ProtocolError reason) {
  return decision(ClientSessionAction::kProtocolError, reason);
}

// A session whose connection came up at `now` and whose LOGON (seq 1) went out then.
ClientSession logging_on_session(std::uint64_t now = 0,
                                 const ClientSessionTimeouts& timeouts = kTimeouts) {
  ClientSession session(kClient, timeouts);
  session.open(now);
  ClientRequest logon{};
  logon.msg_type = ClientRequestType::kLogon;
  session.stamp(logon);
  EXPECT_EQ(logon.seq_num, 1u);
  session.on_sent(now);
  return session;
}

// A session that has logged on (LOGON seq 1 sent, LOGON_ACCEPTED seq 1 consumed) at `now`.
ClientSession logged_on_session(std::uint64_t now = 0,
                                const ClientSessionTimeouts& timeouts = kTimeouts) {
  ClientSession session = logging_on_session(now, timeouts);
  EXPECT_EQ(session.on_response(response(ClientResponseType::kLogonAccepted, 1)),
            decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon();
  return session;
}

TEST(ClientSession, starts_disconnected_and_out_of_session) {
  const ClientSession session(kClient, kTimeouts);
  EXPECT_EQ(session.state(), ClientSessionState::kDisconnected);
  EXPECT_FALSE(session.in_session());
  EXPECT_FALSE(session.logged_on());
  EXPECT_EQ(session.client_id(), kClient);
  EXPECT_EQ(session.peek_outbound_seq(), 1u);
  EXPECT_EQ(session.expected_seq(), 1u);
}

TEST(ClientSession, ignores_responses_while_not_in_a_session) {
  ClientSession session(kClient, kTimeouts);
  const ClientResponse accepted = response(ClientResponseType::kLogonAccepted, 1);
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kIgnore));
  session.start_connecting(0);
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kIgnore));
  session.stop();
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kIgnore));
}

TEST(ClientSession, times_out_a_connect_only_while_connecting) {
  ClientSession session(kClient, kTimeouts);
  EXPECT_FALSE(session.connect_timed_out(1'000'000)) << "no connect in progress";
  session.start_connecting(1000);
  EXPECT_EQ(session.state(), ClientSessionState::kConnecting);
  EXPECT_FALSE(session.connect_timed_out(1099));
  EXPECT_TRUE(session.connect_timed_out(1100));
  session.close();
  EXPECT_EQ(session.state(), ClientSessionState::kDisconnected);
  EXPECT_FALSE(session.connect_timed_out(5000));
}

TEST(ClientSession, opening_logs_on_with_both_sequence_numbers_at_one) {
  ClientSession session = logged_on_session();
  for (int i = 0; i < 3; ++i) {
    session.on_sent(10);
  }
  session.consume_response();
  ASSERT_EQ(session.peek_outbound_seq(), 5u);
  ASSERT_EQ(session.expected_seq(), 3u);
  session.close();

  session.open(20);
  EXPECT_EQ(session.state(), ClientSessionState::kLoggingOn);
  EXPECT_TRUE(session.in_session());
  EXPECT_FALSE(session.logged_on());
  EXPECT_EQ(session.peek_outbound_seq(), 1u) << "the new connection's LOGON takes seq 1";
  EXPECT_EQ(session.expected_seq(), 1u);
  EXPECT_EQ(session.last_receive_ticks(), 20u);
}

TEST(ClientSession, stamps_the_next_seq_num_and_our_client_id_and_takes_it_only_when_sent) {
  ClientSession session = logged_on_session();
  ClientRequest order{};
  order.msg_type = ClientRequestType::kNew;
  order.client_id = 99;
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 2u);
  EXPECT_EQ(order.client_id, kClient);
  EXPECT_EQ(session.peek_outbound_seq(), 2u) << "stamping takes nothing (the send may fail)";
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 2u);
  session.on_sent(30);
  EXPECT_EQ(session.peek_outbound_seq(), 3u);
  EXPECT_EQ(session.last_send_ticks(), 30u);
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 3u);
}

TEST(ClientSession, logon_accepted_logs_on_and_consumes_its_seq_num) {
  ClientSession session = logging_on_session();
  const ClientResponse accepted = response(ClientResponseType::kLogonAccepted, 1);
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted))
      << "judging consumes nothing: a blocked response is judged again";
  EXPECT_EQ(session.expected_seq(), 1u);
  session.accept_logon();
  EXPECT_EQ(session.state(), ClientSessionState::kLoggedOn);
  EXPECT_TRUE(session.logged_on());
  EXPECT_EQ(session.expected_seq(), 2u);
}

TEST(ClientSession, logon_rejected_while_logging_on_ends_the_attempt) {
  ClientSession session = logging_on_session();
  ClientResponse rejected = response(ClientResponseType::kLogonRejected, 1);
  rejected.reject_reason = RejectReason::kClientIdInUse;
  EXPECT_EQ(session.on_response(rejected), decision(ClientSessionAction::kLogonRejected));
}

TEST(ClientSession, routes_order_answers_only_when_logged_on) {
  for (const ClientResponseType type :
       {ClientResponseType::kAccepted, ClientResponseType::kCanceled, ClientResponseType::kFilled,
        ClientResponseType::kCancelRejected, ClientResponseType::kRejected,
        ClientResponseType::kModified, ClientResponseType::kModifyRejected}) {
    SCOPED_TRACE(exchange::to_string(type));
    ClientSession logging_on = logging_on_session();
    EXPECT_EQ(logging_on.on_response(response(type, 1)),
              protocol_error(ProtocolError::kUnexpectedMsgType));
    ClientSession logged_on = logged_on_session();
    EXPECT_EQ(logged_on.on_response(response(type, 2)), decision(ClientSessionAction::kRoute));
  }
}

TEST(ClientSession, consumes_heartbeats_logging_on_or_logged_on) {
  ClientSession session = logging_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 1)),
            decision(ClientSessionAction::kHeartbeat));
  session.consume_response();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kLogonAccepted, 2)),
            decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 3)),
            decision(ClientSessionAction::kHeartbeat));
  session.consume_response();
  EXPECT_EQ(session.expected_seq(), 4u);
}

TEST(ClientSession, takes_a_logon_answer_once_logged_on_as_unexpected) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kLogonAccepted, 2)),
            protocol_error(ProtocolError::kUnexpectedMsgType));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kLogonRejected, 2)),
            protocol_error(ProtocolError::kUnexpectedMsgType));
}

TEST(ClientSession, takes_a_gap_or_a_repeat_in_seq_nums_as_a_seq_gap) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 3)),
            protocol_error(ProtocolError::kSeqGap));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 1)),
            protocol_error(ProtocolError::kSeqGap));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 2)),
            decision(ClientSessionAction::kRoute));
  ClientSession logging_on = logging_on_session();
  EXPECT_EQ(logging_on.on_response(response(ClientResponseType::kLogonAccepted, 2)),
            protocol_error(ProtocolError::kSeqGap));
}

TEST(ClientSession, takes_a_message_for_another_client_as_a_wrong_client_id) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 2, kClient + 1)),
            protocol_error(ProtocolError::kWrongClientId));
  ClientSession logging_on = logging_on_session();
  EXPECT_EQ(logging_on.on_response(response(ClientResponseType::kLogonAccepted, 1, 0)),
            protocol_error(ProtocolError::kWrongClientId));
}

TEST(ClientSession, checks_the_seq_num_before_the_client_id_and_both_before_the_type) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kInvalid, 5, kClient + 1)),
            protocol_error(ProtocolError::kSeqGap));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kInvalid, 2, kClient + 1)),
            protocol_error(ProtocolError::kWrongClientId));
}

TEST(ClientSession, takes_a_type_outside_the_protocol_as_unknown) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kInvalid, 2)),
            protocol_error(ProtocolError::kUnknownMsgType));
  EXPECT_EQ(session.on_response(response(static_cast<ClientResponseType>(200), 2)),
            protocol_error(ProtocolError::kUnknownMsgType));
  ClientSession logging_on = logging_on_session();
  EXPECT_EQ(logging_on.on_response(response(static_cast<ClientResponseType>(11), 1)),
            protocol_error(ProtocolError::kUnknownMsgType));
}

TEST(ClientSession, consumes_a_seq_num_only_when_told) {
  ClientSession session = logged_on_session();
  const ClientResponse accepted = response(ClientResponseType::kAccepted, 2);
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kRoute));
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kRoute));
  session.consume_response();
  EXPECT_EQ(session.expected_seq(), 3u);
  EXPECT_EQ(session.on_response(accepted), protocol_error(ProtocolError::kSeqGap))
      << "once consumed, the same seq_num is a repeat";
}

TEST(ClientSession, lets_only_new_cancel_and_modify_out_and_only_when_logged_on) {
  ClientSession session(kClient, kTimeouts);
  EXPECT_EQ(session.check_request(ClientRequestType::kNew), RejectReason::kNotLoggedIn);
  EXPECT_EQ(session.check_request(ClientRequestType::kCancel), RejectReason::kNotLoggedIn);
  EXPECT_EQ(session.check_request(ClientRequestType::kModify), RejectReason::kNotLoggedIn);
  EXPECT_EQ(session.check_request(ClientRequestType::kLogout), RejectReason::kUnknownMsgType)
      << "the type is checked first";
  session = logging_on_session();
  EXPECT_EQ(session.check_request(ClientRequestType::kNew), RejectReason::kNotLoggedIn);
  session = logged_on_session();
  EXPECT_EQ(session.check_request(ClientRequestType::kNew), RejectReason::kNone);
  EXPECT_EQ(session.check_request(ClientRequestType::kCancel), RejectReason::kNone);
  EXPECT_EQ(session.check_request(ClientRequestType::kModify), RejectReason::kNone);
  for (const ClientRequestType type :
       {ClientRequestType::kInvalid, ClientRequestType::kLogon, ClientRequestType::kHeartbeat,
        ClientRequestType::kLogout, static_cast<ClientRequestType>(77)}) {
    EXPECT_EQ(session.check_request(type), RejectReason::kUnknownMsgType) << static_cast<int>(type);
  }
  session.close();
  EXPECT_EQ(session.check_request(ClientRequestType::kNew), RejectReason::kNotLoggedIn);
}

TEST(ClientSession, times_out_a_logon_without_answer_only_while_logging_on) {
  ClientSession session = logging_on_session(2000);
  EXPECT_FALSE(session.logon_timed_out(2999));
  EXPECT_TRUE(session.logon_timed_out(3000));
  session.accept_logon();
  EXPECT_FALSE(session.logon_timed_out(10'000)) << "answered";
}

TEST(ClientSession, owes_a_heartbeat_only_when_logged_on_and_idle_for_the_interval) {
  ClientSession logging_on = logging_on_session(0);
  EXPECT_FALSE(logging_on.heartbeat_due(1000)) << "not logged on";
  ClientSession session = logged_on_session(0);
  EXPECT_FALSE(session.heartbeat_due(49));
  EXPECT_TRUE(session.heartbeat_due(50));
  session.on_sent(60);
  EXPECT_FALSE(session.heartbeat_due(109)) << "any message sent restarts the interval";
  EXPECT_TRUE(session.heartbeat_due(110));
  EXPECT_FALSE(session.heartbeat_due(10)) << "a time before the last send is never due";
  session.stop();
  EXPECT_FALSE(session.heartbeat_due(1000));
}

TEST(ClientSession, times_out_when_logged_on_and_nothing_was_received_for_the_timeout) {
  ClientSession logging_on = logging_on_session(0);
  EXPECT_FALSE(logging_on.receive_timed_out(10'000)) << "the logon timeout covers logging on";
  ClientSession session = logged_on_session(0);
  EXPECT_FALSE(session.receive_timed_out(499));
  EXPECT_TRUE(session.receive_timed_out(500));
  session.on_bytes_received(400);
  EXPECT_FALSE(session.receive_timed_out(899));
  EXPECT_TRUE(session.receive_timed_out(900));
  session.on_sent(950);
  EXPECT_TRUE(session.receive_timed_out(950)) << "sending does not make the exchange alive";
  session.close();
  EXPECT_FALSE(session.receive_timed_out(10'000));
}

TEST(ClientSession, never_times_out_receiving_with_a_zero_timeout) {
  ClientSessionTimeouts timeouts = kTimeouts;
  timeouts.receive_ticks = 0;
  ClientSession session = logged_on_session(0, timeouts);
  EXPECT_FALSE(session.receive_timed_out(1'000'000'000));
}

TEST(ClientSession, stops_for_good) {
  ClientSession session = logged_on_session();
  session.stop();
  EXPECT_EQ(session.state(), ClientSessionState::kStopped);
  EXPECT_FALSE(session.in_session());
  EXPECT_EQ(session.check_request(ClientRequestType::kNew), RejectReason::kNotLoggedIn);
  EXPECT_FALSE(session.receive_timed_out(1'000'000));
  EXPECT_FALSE(session.logon_timed_out(1'000'000));
  EXPECT_FALSE(session.connect_timed_out(1'000'000));
}

TEST(ClientSession, names_actions_and_errors_for_logs) {
  EXPECT_EQ(to_string(ClientSessionAction::kRoute), "ROUTE");
  EXPECT_EQ(to_string(ClientSessionAction::kProtocolError), "PROTOCOL_ERROR");
  EXPECT_EQ(to_string(ProtocolError::kSeqGap), "SEQ_GAP");
  EXPECT_EQ(to_string(ProtocolError::kUnexpectedMsgType), "UNEXPECTED_MSG_TYPE");
  EXPECT_EQ(to_string(static_cast<ProtocolError>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace llt::trading
