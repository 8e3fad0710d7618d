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

// A session whose connection came up at `now` and whose LOGON went out then.
ClientSession logging_on_session(std::uint64_t now = 0,
                                 const ClientSessionTimeouts& timeouts = kTimeouts) {
  ClientSession session(kClient, timeouts);
  session.open(now);
  session.on_unnumbered_sent(now);
  return session;
}

ClientResponse logon_accepted(SeqNum first, SeqNum expected_request, SeqNum next_live) {
  ClientResponse r = response(ClientResponseType::kLogonAccepted, first);
  r.client_order_id = expected_request;
  r.market_order_id = next_live;
  return r;
}

// Logs `session` on (it must be logging on) with nothing to replay.
void log_on(ClientSession& session) {
  const ClientResponse accepted =
      logon_accepted(session.replay_from(), session.next_request_seq(), session.expected_seq());
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon(accepted);
}

// A session that has logged on at `now` on a fresh day.
ClientSession logged_on_session(std::uint64_t now = 0,
                                const ClientSessionTimeouts& timeouts = kTimeouts) {
  ClientSession session = logging_on_session(now, timeouts);
  log_on(session);
  return session;
}

// Routes and consumes the next numbered response.
void process_next(ClientSession& session) {
  const ClientResponse r = response(ClientResponseType::kAccepted, session.expected_seq());
  ASSERT_EQ(session.on_response(r), decision(ClientSessionAction::kRoute));
  session.consume_response();
}

TEST(ClientSession, starts_disconnected_and_out_of_session) {
  const ClientSession session(kClient, kTimeouts);
  EXPECT_EQ(session.state(), ClientSessionState::kDisconnected);
  EXPECT_FALSE(session.in_session());
  EXPECT_FALSE(session.logged_on());
  EXPECT_EQ(session.client_id(), kClient);
  EXPECT_EQ(session.next_request_seq(), 1u);
  EXPECT_EQ(session.last_processed(), 0u);
  EXPECT_EQ(session.expected_seq(), 1u);
}

TEST(ClientSession, ignores_responses_while_not_in_a_session) {
  ClientSession session(kClient, kTimeouts);
  const ClientResponse accepted = logon_accepted(1, 1, 1);
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

TEST(ClientSession, first_logon_of_the_day_asks_for_every_response_from_one) {
  ClientSession session(kClient, kTimeouts);
  session.open(0);
  const ClientRequest logon = session.logon_message();
  EXPECT_EQ(logon.msg_type, ClientRequestType::kLogon);
  EXPECT_EQ(logon.seq_num, 1u) << "the next request number";
  EXPECT_EQ(logon.client_id, kClient);
  EXPECT_EQ(logon.order_id, 1u) << "replay from 1";
  EXPECT_EQ(logon.flags, 0u);
  EXPECT_EQ(logon.tif, exchange::TimeInForce::kGtc);
}

TEST(ClientSession, logon_sets_keep_orders_when_asked) {
  ClientSession session(kClient, kTimeouts, /*keep_orders=*/true);
  session.open(0);
  EXPECT_EQ(session.logon_message().flags, exchange::kFlagKeepOrders);
  EXPECT_TRUE(session.keep_orders());
}

TEST(ClientSession, numbers_both_streams_across_connections) {
  ClientSession session = logged_on_session();
  for (int i = 0; i < 3; ++i) {
    session.on_request_sent(10);
  }
  process_next(session);
  process_next(session);
  ASSERT_EQ(session.next_request_seq(), 4u);
  ASSERT_EQ(session.last_processed(), 2u);
  session.close();

  session.open(20);
  EXPECT_EQ(session.state(), ClientSessionState::kLoggingOn);
  EXPECT_EQ(session.last_receive_ticks(), 20u);
  const ClientRequest logon = session.logon_message();
  EXPECT_EQ(logon.seq_num, 4u) << "no reset to 1 on a new connection";
  EXPECT_EQ(logon.order_id, 3u) << "replay everything after the last processed response";
  ClientRequest order{};
  order.msg_type = ClientRequestType::kNew;
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 4u);

  // The exchange got requests 1 and 2 only, and numbered 2 more responses (3, 4).
  const ClientResponse accepted = logon_accepted(3, 3, 5);
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon(accepted);
  EXPECT_EQ(session.exchange_expects(), 3u);
  EXPECT_EQ(session.live_next(), 5u);
  EXPECT_TRUE(session.replaying());
  EXPECT_FALSE(session.caught_up());
  process_next(session);
  process_next(session);
  EXPECT_EQ(session.last_processed(), 4u);
  EXPECT_FALSE(session.replaying());
  EXPECT_TRUE(session.caught_up());
  process_next(session);
  EXPECT_EQ(session.last_processed(), 5u) << "live responses follow";
}

TEST(ClientSession, heartbeat_and_logout_carry_the_next_request_number_and_take_none) {
  ClientSession session = logged_on_session();
  ClientRequest order{};
  order.msg_type = ClientRequestType::kNew;
  order.client_id = 99;
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 1u);
  EXPECT_EQ(order.client_id, kClient);
  session.on_request_sent(30);
  EXPECT_EQ(session.next_request_seq(), 2u);
  EXPECT_EQ(session.last_send_ticks(), 30u);
  ClientRequest heartbeat{};
  heartbeat.msg_type = ClientRequestType::kHeartbeat;
  session.stamp(heartbeat);
  EXPECT_EQ(heartbeat.seq_num, 2u);
  session.on_unnumbered_sent(40);
  EXPECT_EQ(session.last_send_ticks(), 40u);
  EXPECT_EQ(session.next_request_seq(), 2u) << "a HEARTBEAT consumes no number";
  session.stamp(order);
  EXPECT_EQ(order.seq_num, 2u);
}

TEST(ClientSession, logon_accepted_logs_on_without_consuming_a_number) {
  ClientSession session = logging_on_session();
  const ClientResponse accepted = logon_accepted(1, 1, 1);
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted))
      << "judging consumes nothing: a blocked response is judged again";
  session.accept_logon(accepted);
  EXPECT_EQ(session.state(), ClientSessionState::kLoggedOn);
  EXPECT_TRUE(session.logged_on());
  EXPECT_TRUE(session.caught_up()) << "nothing to replay";
  EXPECT_EQ(session.expected_seq(), 1u) << "LOGON_ACCEPTED is not numbered";
}

TEST(ClientSession, takes_logon_answers_that_contradict_the_logon_as_bad) {
  ClientSession session = logging_on_session();  // asked from 1
  EXPECT_EQ(session.on_response(logon_accepted(2, 1, 5)),
            protocol_error(ProtocolError::kBadLogonAnswer))
      << "replay must start where asked";
  EXPECT_EQ(session.on_response(logon_accepted(1, 1, 0)),
            protocol_error(ProtocolError::kBadLogonAnswer))
      << "the next live number cannot be before the replay";
  EXPECT_EQ(session.on_response(logon_accepted(1, 0, 1)),
            protocol_error(ProtocolError::kBadLogonAnswer))
      << "request numbers start at 1";
  EXPECT_EQ(session.on_response(logon_accepted(1, 1, 9)),
            decision(ClientSessionAction::kLogonAccepted));
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
    EXPECT_EQ(logged_on.on_response(response(type, 1)), decision(ClientSessionAction::kRoute));
  }
}

TEST(ClientSession, skips_a_replayed_response_already_processed) {
  ClientSession session = logged_on_session();
  process_next(session);
  process_next(session);
  process_next(session);
  session.close();
  session.open(0);
  // An exchange that replays more than asked (from 2): 2 and 3 are repeats, 4 is new.
  const ClientResponse accepted = logon_accepted(4, 1, 5);
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon(accepted);
  EXPECT_EQ(session.on_response(response(ClientResponseType::kFilled, 2)),
            decision(ClientSessionAction::kDuplicate));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kFilled, 3)),
            decision(ClientSessionAction::kDuplicate));
  EXPECT_EQ(session.last_processed(), 3u) << "a duplicate is never applied";
  EXPECT_EQ(session.on_response(response(ClientResponseType::kFilled, 4)),
            decision(ClientSessionAction::kRoute));
}

TEST(ClientSession, takes_a_gap_in_numbered_responses_as_a_seq_gap) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 2)),
            protocol_error(ProtocolError::kSeqGap));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 1)),
            decision(ClientSessionAction::kRoute));
}

TEST(ClientSession, takes_a_heartbeat_ahead_of_us_as_a_gap_only_after_the_replay) {
  ClientSession session = logging_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 9)),
            decision(ClientSessionAction::kHeartbeat))
      << "logging on: the numbers are not known yet";
  const ClientResponse accepted = logon_accepted(1, 1, 3);  // responses 1 and 2 to replay
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon(accepted);
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 3)),
            decision(ClientSessionAction::kHeartbeat))
      << "still replaying: the live number is ahead";
  process_next(session);
  process_next(session);
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 3)),
            decision(ClientSessionAction::kHeartbeat));
  EXPECT_EQ(session.expected_seq(), 3u) << "a heartbeat consumes no number";
  EXPECT_EQ(session.on_response(response(ClientResponseType::kHeartbeat, 4)),
            protocol_error(ProtocolError::kSeqGap))
      << "response 3 was sent and never arrived";
}

TEST(ClientSession, takes_a_logon_answer_once_logged_on_as_unexpected) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(logon_accepted(1, 1, 1)),
            protocol_error(ProtocolError::kUnexpectedMsgType));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kLogonRejected, 1)),
            protocol_error(ProtocolError::kUnexpectedMsgType));
}

TEST(ClientSession, takes_a_message_for_another_client_as_a_wrong_client_id) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 1, kClient + 1)),
            protocol_error(ProtocolError::kWrongClientId));
  EXPECT_EQ(session.on_response(response(ClientResponseType::kAccepted, 7, kClient + 1)),
            protocol_error(ProtocolError::kWrongClientId))
      << "the client id is checked before the number";
  ClientSession logging_on = logging_on_session();
  ClientResponse accepted = logon_accepted(1, 1, 1);
  accepted.client_id = 0;
  EXPECT_EQ(logging_on.on_response(accepted), protocol_error(ProtocolError::kWrongClientId));
}

TEST(ClientSession, takes_a_type_outside_the_protocol_as_unknown) {
  ClientSession session = logged_on_session();
  EXPECT_EQ(session.on_response(response(ClientResponseType::kInvalid, 1)),
            protocol_error(ProtocolError::kUnknownMsgType));
  EXPECT_EQ(session.on_response(response(static_cast<ClientResponseType>(200), 1)),
            protocol_error(ProtocolError::kUnknownMsgType));
  ClientSession logging_on = logging_on_session();
  EXPECT_EQ(logging_on.on_response(response(static_cast<ClientResponseType>(11), 1)),
            protocol_error(ProtocolError::kUnknownMsgType));
}

TEST(ClientSession, consumes_a_number_only_when_told) {
  ClientSession session = logged_on_session();
  const ClientResponse accepted = response(ClientResponseType::kAccepted, 1);
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kRoute));
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kRoute));
  session.consume_response();
  EXPECT_EQ(session.expected_seq(), 2u);
  EXPECT_EQ(session.on_response(accepted), decision(ClientSessionAction::kDuplicate))
      << "once consumed, the same number is a repeat";
}

TEST(ClientSession, asks_for_no_replay_once_after_replay_unavailable) {
  ClientSession session = logged_on_session();
  process_next(session);
  session.close();
  session.skip_replay_once();
  session.open(0);
  EXPECT_EQ(session.logon_message().order_id, 0u);
  EXPECT_EQ(session.on_response(logon_accepted(8, 1, 9)),
            protocol_error(ProtocolError::kBadLogonAnswer))
      << "with none asked, seq_num is the next live number";
  EXPECT_EQ(session.on_response(logon_accepted(0, 1, 0)),
            protocol_error(ProtocolError::kBadLogonAnswer))
      << "response numbers start at 1";
  const ClientResponse accepted = logon_accepted(9, 1, 9);
  ASSERT_EQ(session.on_response(accepted), decision(ClientSessionAction::kLogonAccepted));
  session.accept_logon(accepted);
  EXPECT_EQ(session.expected_seq(), 9u) << "the missed responses are given up";
  EXPECT_TRUE(session.caught_up());
  session.close();
  session.open(0);
  EXPECT_EQ(session.logon_message().order_id, 9u) << "only once";
}

TEST(ClientSession, restores_and_resets_its_streams) {
  ClientSession session(kClient, kTimeouts);
  session.restore(40, 12);
  session.open(0);
  EXPECT_EQ(session.logon_message().seq_num, 40u);
  EXPECT_EQ(session.logon_message().order_id, 13u);
  session.close();
  session.reset_streams();
  session.open(0);
  EXPECT_EQ(session.logon_message().seq_num, 1u);
  EXPECT_EQ(session.logon_message().order_id, 1u);
  session.set_next_request_seq(7);
  EXPECT_EQ(session.next_request_seq(), 7u);
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
  log_on(session);
  EXPECT_FALSE(session.logon_timed_out(10'000)) << "answered";
}

TEST(ClientSession, owes_a_heartbeat_only_when_logged_on_and_idle_for_the_interval) {
  ClientSession logging_on = logging_on_session(0);
  EXPECT_FALSE(logging_on.heartbeat_due(1000)) << "not logged on";
  ClientSession session = logged_on_session(0);
  EXPECT_FALSE(session.heartbeat_due(49));
  EXPECT_TRUE(session.heartbeat_due(50));
  session.on_unnumbered_sent(60);
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
  session.on_request_sent(950);
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
  EXPECT_EQ(to_string(ClientSessionAction::kDuplicate), "DUPLICATE");
  EXPECT_EQ(to_string(ProtocolError::kBadLogonAnswer), "BAD_LOGON_ANSWER");
  EXPECT_EQ(to_string(static_cast<ProtocolError>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace llt::trading
