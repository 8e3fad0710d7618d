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
  std::uint64_t requests_sent = 0;     // NEW and CANCEL written (or queued) to the socket
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t responses_received = 0;   // every ClientResponse read, heartbeats included
  std::uint64_t heartbeats_received = 0;  // consumed, not forwarded
  // Requests answered with a synthetic REJECTED(NOT_LOGGED_IN): no session was logged on.
  std::uint64_t refused_while_disconnected = 0;
  // Requests that were neither NEW nor CANCEL: answered REJECTED(UNKNOWN_MSG_TYPE), not sent.
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
// (the session rules, sequence numbers and timers: client_session.h, docs/protocol.md).
//
// Each poll() advances one connection: wait out the back-off (ReconnectBackoff:
// reconnect_initial doubling to reconnect_max, reset by a logon) -> non-blocking connect
// (common::TcpConnector) -> LOGON -> LOGON_ACCEPTED, emitted as kLoggedOn. When a session
// ends (LOGON_REJECTED, a protocol error, the peer closing or resetting, a socket error, a
// logon or receive timeout) kDisconnected is emitted once for every connection on which a
// LOGON was sent, and the exchange cancels the session's open orders (docs/recovery.md).
//
// Routing: every response except HEARTBEAT (consumed) and the LOGON answer becomes a
// kResponse event with read_tsc = rdtsc of the read that completed it. When the event queue
// is full the gateway stops reading until there is room: nothing is dropped. A request the
// session refuses (not logged on, or neither NEW nor CANCEL) is answered at once with a
// synthetic REJECTED with seq_num 0 (no exchange message has seq 0), the request's ticker_id,
// order_id (as client_order_id), side and price, and reject_reason NOT_LOGGED_IN or
// UNKNOWN_MSG_TYPE, so the engine has one answer per request. A request that does not fit
// the send buffer stays in the request queue for the next poll.
//
// Latency (docs/latency.md), stamped with rdtsc when a request is handed to the socket:
// md_read_to_order_sent (OrderRequest::md_read_tsc != 0), engine_in_to_order_sent
// (engine_in_tsc != 0), order_sent_to_response_read (a NEW to its ACCEPTED/REJECTED, a
// CANCEL to its CANCELED/CANCEL_REJECTED/REJECTED; RoundTripTable).
//
// No allocation, lock, blocking call or exception after construction; logging (optional) is
// the async logger's, on session events only.
//
// Thread contract: constructed on any thread; on_start, poll and on_stop on the gateway's
// thread, which is the consumer of the request queue and the producer of the event queue.
// counters(), connected() and logged_on() from any thread; the histograms and session() only
// from the gateway's thread or when it is not running.
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

  // Any thread.
  [[nodiscard]] OrderGatewayCounters counters() const noexcept;
  [[nodiscard]] bool connected() const noexcept { return connected_.load() != 0; }
  [[nodiscard]] bool logged_on() const noexcept { return logged_on_.load() != 0; }

  [[nodiscard]] const OrderGatewayOptions& options() const noexcept { return options_; }

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
  // The seq_num the next outbound message of this connection takes. Gateway's thread.
  [[nodiscard]] exchange::SeqNum next_outbound_seq() const noexcept {
    return session_.peek_outbound_seq();
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

  // --- Outbound ---
  int process_requests(std::uint64_t now_ticks) noexcept;
  // Sends one message stamped with the session's next seq_num and our client id. Returns the
  // socket's status; the seq_num is taken only on kOk.
  [[nodiscard]] common::IoResult send_message(exchange::ClientRequest& message,
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
  common::TcpConnector connector_;
  ReconnectBackoff backoff_;
  RoundTripTable round_trips_;

  ClientSession session_;                 // state, sequence numbers and timers, in TscClock ticks
  std::uint64_t next_attempt_ticks_ = 0;  // disconnected: when to connect (0: at once)
  std::uint64_t last_read_tsc_ = 0;       // rdtsc of the read that completed the buffered bytes
  bool disconnect_pending_ = false;       // a kDisconnected is owed to the trade engine
  bool attempted_before_ = false;         // for the reconnects counter

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
