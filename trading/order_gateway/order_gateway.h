#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string_view>

#include "common/concurrent/agent.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "trading/order_gateway/client_session.h"
#include "trading/order_gateway/order_gateway_options.h"
#include "trading/order_gateway/reconnect_backoff.h"
#include "trading/order_gateway/request_ring.h"
#include "trading/order_gateway/round_trip_table.h"
#include "trading/trading_messages.h"

namespace llt::common {
class Logger;
}

namespace llt::trading {

// A copy of the order gateway's counters (OrderGateway::counters()).
struct OrderGatewayCounters {
  std::uint64_t connect_attempts = 0;
  std::uint64_t reconnects = 0;        // connect attempts after the first one
  std::uint64_t connect_failures = 0;  // refused, failed or timed out before connecting
  std::uint64_t logons = 0;            // LOGON_ACCEPTED
  std::uint64_t logon_rejects = 0;     // LOGON_REJECTED (e.g. CLIENT_ID_IN_USE)
  std::uint64_t logon_timeouts = 0;    // no answer to LOGON within logon_timeout
  std::uint64_t disconnects = 0;       // kDisconnected events: sessions that ended
  std::uint64_t requests_sent = 0;     // NEW, CANCEL and MODIFY written (or queued) to the
                                       // socket, resends not included
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t responses_received = 0;   // every ClientResponse read, heartbeats included
  std::uint64_t heartbeats_received = 0;  // consumed, not forwarded
  // Requests answered with a synthetic REJECTED(NOT_LOGGED_IN): no session was logged on and
  // caught up.
  std::uint64_t refused_while_disconnected = 0;
  // Requests that were neither NEW, CANCEL nor MODIFY: answered REJECTED(UNKNOWN_MSG_TYPE), not
  // sent.
  std::uint64_t invalid_requests = 0;
  // Polls that left a request in the queue because the send buffer was full.
  std::uint64_t send_stalls = 0;
  // Polls that left responses unread because the gateway event queue was full.
  std::uint64_t event_queue_stalls = 0;
  // Inbound seq gap, wrong client id, unknown or unexpected message type: the session was
  // dropped and is re-established.
  std::uint64_t protocol_errors = 0;
  std::uint64_t receive_timeouts = 0;  // nothing arrived for receive_timeout
  // Requests sent while the round-trip table was full: not measured.
  std::uint64_t untracked_round_trips = 0;
  // Resuming the session across connections (docs/recovery.md).
  std::uint64_t replayed_responses = 0;   // routed before the LOGON_ACCEPTED's next live number
  std::uint64_t duplicate_responses = 0;  // numbered responses already processed: skipped
  std::uint64_t resent_requests = 0;      // requests sent again with their original numbers
  std::uint64_t resends_unavailable = 0;  // logons whose missed requests the ring no longer held
  std::uint64_t replays_unavailable = 0;  // LOGON_REJECTED(REPLAY_UNAVAILABLE)
  std::uint64_t stream_resets = 0;        // LOGON_REJECTED(BAD_SEQ_NUM): the exchange's new day
  std::uint64_t caught_up = 0;            // kCaughtUp events: resumed sessions
  std::uint64_t next_request_seq = 1;     // the number the next request takes
  std::uint64_t last_processed = 0;       // the last response number processed
  // Percentiles of md_read_to_order_sent (tick-to-trade) and order_sent_to_response_read,
  // published by the gateway's thread once a second, for status lines.
  std::uint64_t tick_to_trade_p50_ns = 0;
  std::uint64_t tick_to_trade_p99_ns = 0;
  std::uint64_t round_trip_p50_ns = 0;
  std::uint64_t round_trip_p99_ns = 0;
  bool connected = false;  // a TCP connection is up (logging on or logged on)
  bool logged_on = false;
};

// The trading client's order gateway agent (docs/architecture.md): the TCP session to the
// exchange's order server, as socket and queue code acting on a ClientSession's decisions
// (the session rules, stream numbers and timers: client_session.h, docs/protocol.md).
//
// Each poll() advances one connection: wait out the back-off (ReconnectBackoff) ->
// non-blocking connect -> LOGON asking for every response after the last one processed ->
// LOGON_ACCEPTED, emitted as kLoggedOn -> resend, from the RequestRing and with their original
// numbers, of the requests numbered from the exchange's next expected one -> kCaughtUp once
// the replayed responses reached its next live number. When a session ends kDisconnected is
// emitted once for every connection on which a LOGON was sent (docs/recovery.md).
//
// Routing: every numbered response at the next number becomes a kResponse event with
// read_tsc = rdtsc of the read that completed it; one already processed is skipped and
// counted. When the event queue is full the gateway stops reading until there is room:
// nothing is dropped. A request that cannot go out (no session caught up, or neither NEW,
// CANCEL nor MODIFY) is answered at once with a synthetic REJECTED with seq_num 0, the
// request's ticker_id, order_id (as client_order_id), side and price, and reject_reason
// NOT_LOGGED_IN or UNKNOWN_MSG_TYPE; it took no number. A request that does not fit the send
// buffer stays in the request queue for the next poll.
//
// Latency (docs/latency.md), stamped with rdtsc when a request is handed to the socket:
// md_read_to_order_sent (OrderRequest::md_read_tsc != 0), engine_in_to_order_sent
// (engine_in_tsc != 0), order_sent_to_response_read (a NEW to its ACCEPTED/REJECTED, a
// CANCEL to its CANCELED/CANCEL_REJECTED/REJECTED; RoundTripTable; resends are not timed).
//
// No allocation, lock, blocking call or exception after construction; logging (optional) is
// the async logger's, on session events only.
//
// Thread contract: constructed on any thread; restore() before the agent runs; on_start,
// poll and on_stop on the gateway's thread, which is the consumer of the request queue and
// the producer of the event queue. counters(), connected() and logged_on() from any thread;
// the histograms and session() only from the gateway's thread or when it is not running.
class OrderGateway final : public common::Agent {
 public:
  static constexpr std::string_view kMdReadToOrderSent = "md_read_to_order_sent";
  static constexpr std::string_view kEngineInToOrderSent = "engine_in_to_order_sent";
  static constexpr std::string_view kOrderSentToResponseRead = "order_sent_to_response_read";

  // Validates the options and allocates the connection's buffers. Throws
  // std::invalid_argument naming the option for a bad value (client_id 0, port 0, a host
  // that is not a dotted IPv4 address, a zero interval or capacity, reconnect_initial >
  // reconnect_max). `logger` (optional) gets session events; it must outlive the gateway.
  OrderGateway(const OrderGatewayOptions& options, OrderRequestQueue& requests,
               GatewayEventQueue& events, common::Logger* logger = nullptr,
               const common::TscClock& clock = common::TscClock::instance());

  OrderGateway(const OrderGateway&) = delete;
  OrderGateway& operator=(const OrderGateway&) = delete;

  // Registers the gateway's thread with the logger (if any). Connecting starts at the first
  // poll() either way.
  void on_start() override;

  // One bounded, non-blocking pass: connect / log on / reconnect as due, route up to
  // max_responses_per_poll inbound messages, send or refuse up to max_requests_per_poll
  // requests, send a heartbeat when due. Returns the work done; 0 when nothing happened.
  // Does nothing after on_stop().
  int poll() override;

  // Sends LOGOUT when logged on, flushes what the kernel takes at once, and closes. No event
  // is emitted. Afterwards poll() does nothing.
  void on_stop() override;

  [[nodiscard]] std::string_view name() const override { return "order_gateway"; }
  // Block idle strategy: the request queue and the session's socket (watched at each connect)
  // wake the thread; a connect in progress and the heartbeats are served by the runner's
  // longest park.
  void on_wait_set(common::WaitSet& waits) override {
    waits_ = &waits;
    requests_.set_consumer_wake(&waits.signal());
    if (connection_.is_open()) {
      (void)waits.watch(connection_.fd());
    }
  }

  // Any thread.
  [[nodiscard]] OrderGatewayCounters counters() const noexcept;
  [[nodiscard]] bool connected() const noexcept { return connected_.load() != 0; }
  [[nodiscard]] bool logged_on() const noexcept { return logged_on_.load() != 0; }

  [[nodiscard]] const OrderGatewayOptions& options() const noexcept { return options_; }

  // Start-up, before the agent runs: continue the streams from numbers kept across a restart
  // (a state file). The resend ring starts empty at next_request_seq.
  void restore(exchange::SeqNum next_request_seq, exchange::SeqNum last_processed) noexcept;

  // Gateway's thread, or when it is not running.
  [[nodiscard]] const common::LatencyHistogram& md_read_to_order_sent() const noexcept {
    return md_read_to_order_sent_;
  }
  [[nodiscard]] const common::LatencyHistogram& engine_in_to_order_sent() const noexcept {
    return engine_in_to_order_sent_;
  }
  [[nodiscard]] const common::LatencyHistogram& order_sent_to_response_read() const noexcept {
    return order_sent_to_response_read_;
  }
  // The number the next NEW, CANCEL or MODIFY takes. Gateway's thread.
  [[nodiscard]] exchange::SeqNum next_request_seq() const noexcept {
    return session_.next_request_seq();
  }
  // Gateway's thread, or when it is not running.
  [[nodiscard]] const ClientSession& session() const noexcept { return session_; }

 private:
  // Why a session ended, for the log.
  enum class EndCause : std::uint8_t {
    kPeerClosed,
    kSocketError,
    kLogonRejected,
    kLogonTimeout,
    kProtocolError,
    kReceiveTimeout,
  };

  struct Counters {
    common::SingleWriterCounter connect_attempts;
    common::SingleWriterCounter reconnects;
    common::SingleWriterCounter connect_failures;
    common::SingleWriterCounter logons;
    common::SingleWriterCounter logon_rejects;
    common::SingleWriterCounter logon_timeouts;
    common::SingleWriterCounter disconnects;
    common::SingleWriterCounter requests_sent;
    common::SingleWriterCounter heartbeats_sent;
    common::SingleWriterCounter responses_received;
    common::SingleWriterCounter heartbeats_received;
    common::SingleWriterCounter refused_while_disconnected;
    common::SingleWriterCounter invalid_requests;
    common::SingleWriterCounter send_stalls;
    common::SingleWriterCounter event_queue_stalls;
    common::SingleWriterCounter protocol_errors;
    common::SingleWriterCounter receive_timeouts;
    common::SingleWriterCounter untracked_round_trips;
    common::SingleWriterCounter replayed_responses;
    common::SingleWriterCounter duplicate_responses;
    common::SingleWriterCounter resent_requests;
    common::SingleWriterCounter resends_unavailable;
    common::SingleWriterCounter replays_unavailable;
    common::SingleWriterCounter stream_resets;
    common::SingleWriterCounter caught_up;
    common::SingleWriterCounter next_request_seq;  // mirrors of the session's numbers
    common::SingleWriterCounter last_processed;
  };

  // Once a second: copies the histograms' p50/p99 to the gauges counters() reads.
  void publish_percentiles(std::uint64_t now_ticks) noexcept;

  // --- Connection lifecycle (cold) ---
  int advance_connection(std::uint64_t now_ticks) noexcept;
  void start_attempt(std::uint64_t now_ticks) noexcept;
  void on_connected(std::uint64_t now_ticks) noexcept;
  void connect_failed(std::uint64_t now_ticks, int error) noexcept;
  void end_session(EndCause cause, std::uint64_t now_ticks) noexcept;
  void schedule_retry(std::uint64_t now_ticks) noexcept;

  // --- Inbound ---
  int read_responses(std::uint64_t now_ticks) noexcept;
  // Routes up to `budget` whole buffered messages. Returns the number handled; sets `blocked`
  // when the event queue had no room. A message may end the session (see route()).
  int route_buffered(std::uint64_t now_ticks, int budget, bool& blocked) noexcept;
  enum class Routed : std::uint8_t {
    kDone,     // handled: consume it
    kBlocked,  // the event queue is full: leave it buffered and stop reading
    kEnded,    // it ended the session (the connection and its buffer are already closed)
  };
  // Acts on the session's decision about one response.
  [[nodiscard]] Routed route(const exchange::ClientResponse& response,
                             std::uint64_t now_ticks) noexcept;
  [[nodiscard]] Routed protocol_error(const exchange::ClientResponse& response,
                                      ProtocolError reason, std::uint64_t now_ticks) noexcept;

  // --- Resuming ---
  // After LOGON_ACCEPTED: what to resend, given the exchange's next expected request number.
  void plan_resend(exchange::SeqNum exchange_expects) noexcept;
  // Sends up to max_requests_per_poll of the planned resends. Returns the number sent.
  int resend(std::uint64_t now_ticks) noexcept;
  // Emits kCaughtUp once the resend is done and the replay reached the live stream.
  int maybe_catch_up() noexcept;
  [[nodiscard]] bool resending() const noexcept { return resend_next_ < resend_end_; }
  [[nodiscard]] bool end_on_send_failure(common::IoStatus status, std::uint64_t now_ticks) noexcept;
  void publish_numbers() noexcept;

  // --- Outbound ---
  int process_requests(std::uint64_t now_ticks) noexcept;
  // Sends one NEW, CANCEL or MODIFY stamped with the session's next request number and our
  // client id, and keeps it in the resend ring. Returns the socket's status; the number is
  // taken only on kOk.
  [[nodiscard]] common::IoResult send_request(exchange::ClientRequest& message,
                                              std::uint64_t now_ticks) noexcept;
  // Sends a HEARTBEAT or LOGOUT stamped with the next request number, which it does not take.
  [[nodiscard]] common::IoResult send_unnumbered(exchange::ClientRequest& message,
                                                 std::uint64_t now_ticks) noexcept;
  // Answers a request with a synthetic REJECTED(reason). False when the event queue is full.
  [[nodiscard]] bool refuse(const OrderRequest& request, exchange::RejectReason reason) noexcept;
  int send_heartbeat(std::uint64_t now_ticks) noexcept;

  // --- Events ---
  // Pushes an event, after any pending kDisconnected (so the order of events is kept). False
  // when the queue has no room.
  [[nodiscard]] bool emit(const GatewayEvent& event) noexcept;
  // Pushes the owed kDisconnected. False (it stays owed) when the queue has no room.
  [[nodiscard]] bool flush_pending_disconnect() noexcept;

  void log_end(EndCause cause) noexcept;

  OrderGatewayOptions options_;
  OrderRequestQueue& requests_;
  GatewayEventQueue& events_;
  common::Logger* logger_;
  const common::TscClock& clock_;
  sockaddr_in address_{};

  common::TcpConnection connection_;
  common::WaitSet* waits_ = nullptr;  // block idle strategy only
  common::TcpConnector connector_;
  ReconnectBackoff backoff_;
  RoundTripTable round_trips_;
  RequestRing sent_requests_;  // for the resend after a reconnect

  ClientSession session_;                 // state, sequence numbers and timers, in TscClock ticks
  std::uint64_t next_attempt_ticks_ = 0;  // disconnected: when to connect (0: at once)
  std::uint64_t last_read_tsc_ = 0;       // rdtsc of the read that completed the buffered bytes
  bool disconnect_pending_ = false;       // a kDisconnected is owed to the trade engine
  bool attempted_before_ = false;         // for the reconnects counter
  // Logged on: the resend runs over [resend_next_, resend_end_); kCaughtUp was emitted.
  exchange::SeqNum resend_next_ = 0;
  exchange::SeqNum resend_end_ = 0;
  bool caught_up_ = false;
  // What the next kCaughtUp reports: the worst loss since the last one.
  ResumeOutcome outcome_ = ResumeOutcome::kComplete;

  Counters counters_;
  common::SingleWriterCounter tick_to_trade_p50_ns_;
  common::SingleWriterCounter tick_to_trade_p99_ns_;
  common::SingleWriterCounter round_trip_p50_ns_;
  common::SingleWriterCounter round_trip_p99_ns_;
  std::uint64_t percentiles_interval_ticks_;  // a second
  std::uint64_t next_percentiles_ticks_ = 0;
  common::SingleWriterCounter connected_;  // 0 or 1
  common::SingleWriterCounter logged_on_;  // 0 or 1

  common::LatencyHistogram md_read_to_order_sent_;
  common::LatencyHistogram engine_in_to_order_sent_;
  common::LatencyHistogram order_sent_to_response_read_;
};

}  // namespace llt::trading
