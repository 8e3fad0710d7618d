#include "exchange/order_server/session.h"

#include <gtest/gtest.h>

#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"

namespace llt::exchange {
namespace {

constexpr ClientId kClient = 7;

ClientRequest request(ClientRequestType type, SeqNum seq, ClientId client = kClient) {
  ClientRequest r{};
  r.seq_num = seq;
  r.msg_type = type;
  r.client_id = client;
  r.ticker_id = 1;
  r.order_id = 100 + seq;
  r.side = Side::kBuy;
  r.price = 100;
  r.qty = 1;
  return r;
}

SessionDecision decision(SessionAction action, RejectReason reason = RejectReason::kNone) {
  return SessionDecision{action, reason};
}

// A session that has logged on as kClient, whose request stream expects number 2 (one
// request arrived on an earlier connection).
Session logged_on_session(std::uint32_t max_invalid = 10) {
  Session session(max_invalid);
  session.open(0);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kLogon, 2), 0),
            decision(SessionAction::kLogon));
  session.accept_logon(kClient, 2);
  return session;
}

TEST(Session, throttles_orders_beyond_the_rate_without_consuming_the_seq_num) {
  // 3 orders a second, 1000 ticks a second: a token every 333 ticks, bursts of 3.
  Session session(10, OrderThrottle(3, 1000));
  session.open(0);
  ASSERT_EQ(session.on_request(request(ClientRequestType::kLogon, 2), 0),
            decision(SessionAction::kLogon));
  session.accept_logon(kClient, 2);
  for (SeqNum seq = 2; seq <= 4; ++seq) {
    EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, seq), 10),
              decision(SessionAction::kForward));
  }
  EXPECT_EQ(session.on_request(request(ClientRequestType::kCancel, 5), 10),
            decision(SessionAction::kRejected, RejectReason::kThrottled));
  EXPECT_EQ(session.expected_seq(), 5u) << "a throttled message does not consume its seq_num";
  EXPECT_EQ(session.invalid_messages(), 0u) << "throttling is not an invalid message";
  // Heartbeats are not orders: never throttled, and they take no number.
  EXPECT_EQ(session.on_request(request(ClientRequestType::kHeartbeat, 5), 10),
            decision(SessionAction::kHeartbeat));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 5), 300),
            decision(SessionAction::kRejected, RejectReason::kThrottled));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 5), 343),
            decision(SessionAction::kForward))
      << "one token earned after 333 ticks";
  // A long pause refills the bucket to its burst, no more.
  for (SeqNum seq = 6; seq <= 8; ++seq) {
    EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, seq), 100'000),
              decision(SessionAction::kForward));
  }
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 100'000),
            decision(SessionAction::kRejected, RejectReason::kThrottled));
}

TEST(Session, a_zero_rate_never_throttles) {
  Session session = logged_on_session();
  for (SeqNum seq = 2; seq < 10'000; ++seq) {
    ASSERT_EQ(session.on_request(request(ClientRequestType::kNew, seq), 0),
              decision(SessionAction::kForward));
  }
}

TEST(Session, starts_closed_and_awaits_logon_once_opened) {
  Session session;
  EXPECT_EQ(session.state(), SessionState::kClosed);
  session.open(5);
  EXPECT_EQ(session.state(), SessionState::kAwaitingLogon);
  EXPECT_EQ(session.expected_seq(), 1u);
  EXPECT_EQ(session.client_id(), kInvalidClientId);
  EXPECT_TRUE(session.accepting_requests());
  EXPECT_FALSE(session.logged_on());
}

TEST(Session, accepts_a_logon_and_expects_the_request_number_its_stream_gives) {
  Session session = logged_on_session();
  EXPECT_TRUE(session.logged_on());
  EXPECT_EQ(session.client_id(), kClient);
  EXPECT_EQ(session.expected_seq(), 2u);
  Session later;
  later.open(0);
  ASSERT_EQ(later.on_request(request(ClientRequestType::kLogon, 1), 0),
            decision(SessionAction::kLogon));
  later.accept_logon(kClient, 4711);
  EXPECT_EQ(later.expected_seq(), 4711u) << "the day's stream, not the connection, numbers";
}

TEST(Session, rejects_anything_but_logon_first_with_not_logged_in_and_closes) {
  for (const ClientRequestType type :
       {ClientRequestType::kNew, ClientRequestType::kCancel, ClientRequestType::kModify,
        ClientRequestType::kHeartbeat, ClientRequestType::kLogout, ClientRequestType{0},
        ClientRequestType{42}, kCancelAllOfClient}) {
    Session session;
    session.open(0);
    EXPECT_EQ(session.on_request(request(type, 1), 0),
              decision(SessionAction::kRejectedAndClose, RejectReason::kNotLoggedIn))
        << static_cast<int>(type);
  }
}

TEST(Session, does_not_check_a_logon_seq_num) {
  for (const SeqNum seq : {SeqNum{0}, SeqNum{1}, SeqNum{2}, SeqNum{99}, ~SeqNum{0}}) {
    Session session;
    session.open(0);
    EXPECT_EQ(session.on_request(request(ClientRequestType::kLogon, seq), 0),
              decision(SessionAction::kLogon))
        << seq;
  }
}

TEST(Session, rejects_a_logon_with_client_id_zero) {
  Session session;
  session.open(0);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kLogon, 1, 0), 0),
            decision(SessionAction::kLogonRejected, RejectReason::kInvalidClientId));
}

TEST(Session, rejects_a_logon_with_a_nonzero_tif_as_invalid_tif) {
  for (const std::uint8_t tif : {1, 2, 3, 255}) {
    Session session;
    session.open(0);
    ClientRequest logon = request(ClientRequestType::kLogon, 1);
    logon.tif = TimeInForce{tif};
    EXPECT_EQ(session.on_request(logon, 0),
              decision(SessionAction::kLogonRejected, RejectReason::kInvalidTif))
        << int{tif};
    EXPECT_FALSE(session.logged_on());
  }
}

TEST(Session, rejects_a_logon_with_unknown_flag_bits_as_invalid_flags) {
  for (const std::uint8_t flags : {0x02, 0x03, 0x80, 0xff}) {
    Session session;
    session.open(0);
    ClientRequest logon = request(ClientRequestType::kLogon, 1);
    logon.flags = flags;
    EXPECT_EQ(session.on_request(logon, 0),
              decision(SessionAction::kLogonRejected, RejectReason::kInvalidFlags))
        << int{flags};
  }
}

TEST(Session, checks_a_logon_tif_before_its_flags) {
  Session session;
  session.open(0);
  ClientRequest logon = request(ClientRequestType::kLogon, 1);
  logon.tif = TimeInForce::kIoc;
  logon.flags = 0x80;
  EXPECT_EQ(session.on_request(logon, 0),
            decision(SessionAction::kLogonRejected, RejectReason::kInvalidTif));
}

TEST(Session, accepts_a_logon_with_keep_orders) {
  Session session;
  session.open(0);
  ClientRequest logon = request(ClientRequestType::kLogon, 1);
  logon.flags = kFlagKeepOrders;
  EXPECT_EQ(session.on_request(logon, 0), decision(SessionAction::kLogon));
  session.accept_logon(kClient, 1);
  EXPECT_TRUE(session.logged_on());
  EXPECT_EQ(session.expected_seq(), 1u);
}

TEST(Session, rejects_a_heartbeat_or_logout_with_a_tif_without_advancing_the_seq_num) {
  for (const ClientRequestType type : {ClientRequestType::kHeartbeat, ClientRequestType::kLogout}) {
    Session session = logged_on_session();
    ClientRequest r = request(type, 2);
    r.tif = TimeInForce::kIoc;
    EXPECT_EQ(session.on_request(r, 0),
              decision(SessionAction::kRejected, RejectReason::kInvalidTif))
        << to_string(type);
    EXPECT_EQ(session.expected_seq(), 2u);
    EXPECT_EQ(session.invalid_messages(), 1u) << "counts as an invalid message";
    r.tif = TimeInForce::kGtc;
    EXPECT_NE(session.on_request(r, 0).action, SessionAction::kRejected)
        << "the same message without the tif is taken";
    EXPECT_EQ(session.expected_seq(), 2u) << "and consumes no number";
  }
}

TEST(Session, rejects_a_heartbeat_or_logout_with_flags_without_advancing_the_seq_num) {
  for (const ClientRequestType type : {ClientRequestType::kHeartbeat, ClientRequestType::kLogout}) {
    for (const std::uint8_t flags : {0x01, 0x02, 0x80}) {
      Session session = logged_on_session();
      ClientRequest r = request(type, 2);
      r.flags = flags;
      EXPECT_EQ(session.on_request(r, 0),
                decision(SessionAction::kRejected, RejectReason::kInvalidFlags))
          << to_string(type) << " flags " << int{flags};
      EXPECT_EQ(session.expected_seq(), 2u);
      EXPECT_EQ(session.invalid_messages(), 1u);
      EXPECT_TRUE(session.logged_on());
    }
  }
}

TEST(Session, closes_on_the_max_invalid_message_when_it_is_a_bad_tif_or_flags) {
  Session session = logged_on_session(2);
  ClientRequest heartbeat = request(ClientRequestType::kHeartbeat, 2);
  heartbeat.flags = 0x01;
  EXPECT_EQ(session.on_request(heartbeat, 0),
            decision(SessionAction::kRejected, RejectReason::kInvalidFlags));
  heartbeat.flags = 0;
  heartbeat.tif = TimeInForce::kFok;
  EXPECT_EQ(session.on_request(heartbeat, 0),
            decision(SessionAction::kRejectedAndClose, RejectReason::kInvalidTif));
}

TEST(Session, forwards_new_cancel_and_modify_whatever_their_tif_and_flags) {
  // The matcher, not the session, answers a bad tif or flags on an order message, with the
  // reply of that message's type.
  Session session = logged_on_session();
  SeqNum seq = 2;
  for (const ClientRequestType type :
       {ClientRequestType::kNew, ClientRequestType::kCancel, ClientRequestType::kModify}) {
    for (const std::uint8_t tif : {0, 1, 2, 3}) {
      ClientRequest r = request(type, seq);
      r.tif = TimeInForce{tif};
      r.flags = static_cast<std::uint8_t>(0x81 * (tif & 1));
      EXPECT_EQ(session.on_request(r, 0), decision(SessionAction::kForward))
          << to_string(type) << " tif " << int{tif};
      ++seq;
    }
  }
  EXPECT_EQ(session.expected_seq(), seq);
  EXPECT_EQ(session.invalid_messages(), 0u);
}

TEST(Session, throttles_modify_like_new_and_cancel) {
  // 2 orders a second, 1000 ticks a second: bursts of 2, a token every 500 ticks.
  Session session(10, OrderThrottle(2, 1000));
  session.open(0);
  ASSERT_EQ(session.on_request(request(ClientRequestType::kLogon, 2), 0),
            decision(SessionAction::kLogon));
  session.accept_logon(kClient, 2);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kModify, 3), 0),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kModify, 4), 0),
            decision(SessionAction::kRejected, RejectReason::kThrottled))
      << "MODIFY takes a token like NEW and CANCEL";
  EXPECT_EQ(session.expected_seq(), 4u);
  EXPECT_EQ(session.invalid_messages(), 0u);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kModify, 4), 500),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kCancel, 5), 500),
            decision(SessionAction::kRejected, RejectReason::kThrottled))
      << "the MODIFY spent the earned token";
}

TEST(Session, forwards_new_cancel_and_modify_with_consecutive_seq_nums) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kCancel, 3), 0),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kModify, 4), 0),
            decision(SessionAction::kForward));
  EXPECT_EQ(session.expected_seq(), 5u);
}

TEST(Session, takes_a_heartbeat_with_any_seq_num_consuming_no_number) {
  Session session = logged_on_session();
  for (const SeqNum seq : {SeqNum{2}, SeqNum{1}, SeqNum{77}}) {
    EXPECT_EQ(session.on_request(request(ClientRequestType::kHeartbeat, seq), 0),
              decision(SessionAction::kHeartbeat))
        << seq;
  }
  EXPECT_EQ(session.expected_seq(), 2u);
  EXPECT_EQ(session.invalid_messages(), 0u);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0),
            decision(SessionAction::kForward));
}

TEST(Session, takes_a_logout_with_any_seq_num_and_asks_to_close) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType::kLogout, 9), 0),
            decision(SessionAction::kLogout));
  EXPECT_EQ(session.expected_seq(), 2u);
}

TEST(Session, rejects_a_client_id_mismatch_without_advancing_the_seq_num) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2, kClient + 1), 0),
            decision(SessionAction::kRejected, RejectReason::kClientIdMismatch));
  EXPECT_EQ(session.expected_seq(), 2u);
  EXPECT_EQ(session.invalid_messages(), 1u);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0),
            decision(SessionAction::kForward));
}

TEST(Session, rejects_a_gap_or_a_repeat_in_seq_nums_without_advancing) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 3), 0),
            decision(SessionAction::kRejected, RejectReason::kBadSeqNum));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 1), 0),
            decision(SessionAction::kRejected, RejectReason::kBadSeqNum));
  EXPECT_EQ(session.expected_seq(), 2u);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0),
            decision(SessionAction::kForward));
}

TEST(Session, rejects_unknown_and_internal_msg_types_as_unknown_msg_type) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType{7}, 2), 0),
            decision(SessionAction::kRejected, RejectReason::kUnknownMsgType));
  EXPECT_EQ(session.on_request(request(kCancelAllOfClient, 2), 0),
            decision(SessionAction::kRejected, RejectReason::kUnknownMsgType));
  EXPECT_EQ(session.on_request(request(ClientRequestType::kInvalid, 2), 0),
            decision(SessionAction::kRejected, RejectReason::kUnknownMsgType));
  EXPECT_EQ(session.expected_seq(), 2u);
}

TEST(Session, rejects_a_second_logon_as_client_id_in_use_and_stays_logged_on) {
  Session session = logged_on_session();
  EXPECT_EQ(session.on_request(request(ClientRequestType::kLogon, 2), 0),
            decision(SessionAction::kRejected, RejectReason::kClientIdInUse));
  EXPECT_TRUE(session.logged_on());
  EXPECT_EQ(session.expected_seq(), 2u);
}

TEST(Session, closes_on_the_max_invalid_message) {
  Session session = logged_on_session(3);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 0).action,
            SessionAction::kRejected);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 0).action,
            SessionAction::kRejected);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 0),
            decision(SessionAction::kRejectedAndClose, RejectReason::kBadSeqNum));
}

TEST(Session, valid_messages_do_not_reset_the_invalid_count) {
  Session session = logged_on_session(2);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 0).action,
            SessionAction::kRejected);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0).action,
            SessionAction::kForward);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 9), 0).action,
            SessionAction::kRejectedAndClose);
}

TEST(Session, ignores_everything_while_closing_or_closed) {
  Session session = logged_on_session();
  session.start_closing();
  EXPECT_FALSE(session.accepting_requests());
  EXPECT_EQ(session.on_request(request(ClientRequestType::kNew, 2), 0).action,
            SessionAction::kIgnore);
  session.close();
  EXPECT_EQ(session.state(), SessionState::kClosed);
  EXPECT_EQ(session.on_request(request(ClientRequestType::kLogon, 1), 0).action,
            SessionAction::kIgnore);
}

TEST(Session, records_the_time_of_the_last_send) {
  Session session;
  session.open(0);
  session.on_sent(10);
  session.on_sent(20);
  EXPECT_EQ(session.last_send_ticks(), 20u);
  session.open(30);
  EXPECT_EQ(session.last_send_ticks(), 30u) << "a new connection starts its timer";
}

TEST(Session, owes_a_heartbeat_only_when_logged_on_and_idle_for_the_interval) {
  Session session;
  session.open(0);
  EXPECT_FALSE(session.heartbeat_due(1000, 100)) << "not logged on";
  session.accept_logon(kClient, 1);
  EXPECT_FALSE(session.heartbeat_due(99, 100));
  EXPECT_TRUE(session.heartbeat_due(100, 100));
  session.on_sent(150);
  EXPECT_FALSE(session.heartbeat_due(200, 100));
  EXPECT_TRUE(session.heartbeat_due(250, 100));
}

TEST(Session, times_out_when_nothing_was_received_for_the_timeout) {
  Session session;
  session.open(0);
  EXPECT_FALSE(session.receive_timed_out(99, 100));
  EXPECT_TRUE(session.receive_timed_out(100, 100)) << "also before logon";
  session.on_bytes_received(100);
  EXPECT_FALSE(session.receive_timed_out(150, 100));
  (void)session.on_request(request(ClientRequestType::kLogon, 1), 180);
  EXPECT_FALSE(session.receive_timed_out(250, 100));
  EXPECT_TRUE(session.receive_timed_out(280, 100));
  session.start_closing();
  EXPECT_FALSE(session.receive_timed_out(1000, 100)) << "a closing session is not timed";
}

}  // namespace
}  // namespace llt::exchange
