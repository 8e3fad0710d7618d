#include "trading/order_gateway/order_gateway.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/logging/logger.h"
#include "common/net/socket_address.h"
#include "common/time/rdtsc.h"

namespace llt::trading {

namespace {

using exchange::ClientRequest;
using exchange::ClientRequestType;
using exchange::ClientResponse;
using exchange::ClientResponseType;
using exchange::RejectReason;

sockaddr_in exchange_address(const OrderGatewayOptions& options) {
  try {
    return common::make_sockaddr(options.host, options.port);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("order gateway option host '" + options.host +
                                "': " + error.what());
  }
}

// The session's timers in ticks of `clock`, converted once (the options are validated).
ClientSessionTimeouts session_timeouts(const OrderGatewayOptions& options,
                                       const common::TscClock& clock) noexcept {
  ClientSessionTimeouts timeouts;
  timeouts.connect_ticks = clock.to_ticks(options.connect_timeout);
  timeouts.logon_ticks = clock.to_ticks(options.logon_timeout);
  timeouts.heartbeat_interval_ticks = clock.to_ticks(options.heartbeat_interval);
  timeouts.receive_ticks =
      options.receive_timeout.count() == 0 ? 0 : clock.to_ticks(options.receive_timeout);
  return timeouts;
}

}  // namespace

OrderGateway::OrderGateway(const OrderGatewayOptions& options, OrderRequestQueue& requests,
                           GatewayEventQueue& events, common::Logger* logger,
                           const common::TscClock& clock)
    : options_(check_options(options)),
      requests_(requests),
      events_(events),
      logger_(logger),
      clock_(clock),
      address_(exchange_address(options_)),
      connection_(options_.receive_buffer_bytes, options_.send_buffer_bytes),
      backoff_(options_.reconnect_initial, options_.reconnect_max),
      sent_requests_(options_.resend_capacity),
      session_(options_.client_id, session_timeouts(options_, clock), options_.keep_orders),
      percentiles_interval_ticks_(clock.to_ticks(std::chrono::seconds(1))) {}

void OrderGateway::restore(exchange::SeqNum next_request_seq,
                           exchange::SeqNum last_processed) noexcept {
  session_.restore(next_request_seq, last_processed);
  sent_requests_.reset(session_.next_request_seq());
  publish_numbers();
}

void OrderGateway::on_start() {
  if (logger_ != nullptr) {
    // false (the registry is full): the gateway's records are dropped and counted in
    // Logger::dropped(); trading goes on.
    (void)logger_->register_thread("order_gateway");
  }
}

int OrderGateway::poll() {
  if (LLT_UNLIKELY(session_.state() == ClientSessionState::kStopped)) {
    return 0;
  }
  const std::uint64_t now = clock_.now_ticks();
  int work = 0;
  if (LLT_UNLIKELY(disconnect_pending_)) {
    work += flush_pending_disconnect() ? 1 : 0;
  }
  work += advance_connection(now);
  // Requests first: an order the trade engine just made leaves before the read (tick-to-trade).
  work += process_requests(now);
  if (session_.in_session()) {
    work += read_responses(now);
  }
  if (session_.logged_on() && !caught_up_) {
    if (resending()) {
      work += resend(now);
    }
    work += maybe_catch_up();
  }
  if (session_.heartbeat_due(now)) {
    work += send_heartbeat(now);
  }
  if (LLT_UNLIKELY(now >= next_percentiles_ticks_)) {
    publish_percentiles(now);
  }
  publish_numbers();
  return work;
}

void OrderGateway::publish_percentiles(std::uint64_t now_ticks) noexcept {
  tick_to_trade_p50_ns_.set(md_read_to_order_sent_.percentile(50));
  tick_to_trade_p99_ns_.set(md_read_to_order_sent_.percentile(99));
  round_trip_p50_ns_.set(order_sent_to_response_read_.percentile(50));
  round_trip_p99_ns_.set(order_sent_to_response_read_.percentile(99));
  next_percentiles_ticks_ = now_ticks + percentiles_interval_ticks_;
}

void OrderGateway::on_stop() {
  if (session_.state() == ClientSessionState::kStopped) {
    return;
  }
  if (session_.logged_on()) {
    ClientRequest logout{};
    logout.msg_type = ClientRequestType::kLogout;
    (void)send_unnumbered(logout, clock_.now_ticks());  // best effort: the socket closes next
  }
  if (connection_.is_open()) {
    (void)connection_.flush();  // best effort: what the kernel takes now
  }
  connection_.close();
  connector_.abandon();
  connected_.set(0);
  logged_on_.set(0);
  session_.stop();
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_, "order gateway: stopped (client {})", options_.client_id);
  }
}

OrderGatewayCounters OrderGateway::counters() const noexcept {
  OrderGatewayCounters copy;
  copy.connect_attempts = counters_.connect_attempts.load();
  copy.tick_to_trade_p50_ns = tick_to_trade_p50_ns_.load();
  copy.tick_to_trade_p99_ns = tick_to_trade_p99_ns_.load();
  copy.round_trip_p50_ns = round_trip_p50_ns_.load();
  copy.round_trip_p99_ns = round_trip_p99_ns_.load();
  copy.reconnects = counters_.reconnects.load();
  copy.connect_failures = counters_.connect_failures.load();
  copy.logons = counters_.logons.load();
  copy.logon_rejects = counters_.logon_rejects.load();
  copy.logon_timeouts = counters_.logon_timeouts.load();
  copy.disconnects = counters_.disconnects.load();
  copy.requests_sent = counters_.requests_sent.load();
  copy.heartbeats_sent = counters_.heartbeats_sent.load();
  copy.responses_received = counters_.responses_received.load();
  copy.heartbeats_received = counters_.heartbeats_received.load();
  copy.refused_while_disconnected = counters_.refused_while_disconnected.load();
  copy.invalid_requests = counters_.invalid_requests.load();
  copy.send_stalls = counters_.send_stalls.load();
  copy.event_queue_stalls = counters_.event_queue_stalls.load();
  copy.protocol_errors = counters_.protocol_errors.load();
  copy.receive_timeouts = counters_.receive_timeouts.load();
  copy.untracked_round_trips = counters_.untracked_round_trips.load();
  copy.replayed_responses = counters_.replayed_responses.load();
  copy.duplicate_responses = counters_.duplicate_responses.load();
  copy.resent_requests = counters_.resent_requests.load();
  copy.resends_unavailable = counters_.resends_unavailable.load();
  copy.replays_unavailable = counters_.replays_unavailable.load();
  copy.stream_resets = counters_.stream_resets.load();
  copy.caught_up = counters_.caught_up.load();
  copy.next_request_seq = counters_.next_request_seq.load();
  copy.last_processed = counters_.last_processed.load();
  copy.connected = connected();
  copy.logged_on = logged_on();
  return copy;
}

// --- Connection lifecycle ---

int OrderGateway::advance_connection(std::uint64_t now_ticks) noexcept {
  switch (session_.state()) {
    case ClientSessionState::kDisconnected:
      if (now_ticks >= next_attempt_ticks_) {
        start_attempt(now_ticks);
        return 1;
      }
      return 0;
    case ClientSessionState::kConnecting:
      switch (connector_.check()) {
        case common::TcpConnector::Status::kConnected:
          on_connected(now_ticks);
          return 1;
        case common::TcpConnector::Status::kInProgress:
          if (session_.connect_timed_out(now_ticks)) {
            connector_.abandon();
            connect_failed(now_ticks, ETIMEDOUT);
            return 1;
          }
          return 0;
        case common::TcpConnector::Status::kFailed:
          connect_failed(now_ticks, connector_.error());
          return 1;
        case common::TcpConnector::Status::kIdle:
          connect_failed(now_ticks, 0);
          return 1;
      }
      return 0;
    case ClientSessionState::kLoggingOn:
      if (session_.logon_timed_out(now_ticks)) {
        counters_.logon_timeouts.add();
        end_session(EndCause::kLogonTimeout, now_ticks);
        return 1;
      }
      return 0;
    case ClientSessionState::kLoggedOn:
      if (session_.receive_timed_out(now_ticks)) {
        counters_.receive_timeouts.add();
        end_session(EndCause::kReceiveTimeout, now_ticks);
        return 1;
      }
      return 0;
    case ClientSessionState::kStopped:
      return 0;
  }
  return 0;
}

void OrderGateway::start_attempt(std::uint64_t now_ticks) noexcept {
  counters_.connect_attempts.add();
  if (attempted_before_) {
    counters_.reconnects.add();
  }
  attempted_before_ = true;
  switch (connector_.start(address_)) {
    case common::TcpConnector::Status::kConnected:
      on_connected(now_ticks);
      return;
    case common::TcpConnector::Status::kInProgress:
      session_.start_connecting(now_ticks);
      return;
    case common::TcpConnector::Status::kFailed:
    case common::TcpConnector::Status::kIdle:
      connect_failed(now_ticks, connector_.error());
      return;
  }
}

void OrderGateway::on_connected(std::uint64_t now_ticks) noexcept {
  const common::IoResult attached = connection_.attach(connector_.take());
  if (!attached.ok()) {
    connect_failed(now_ticks, attached.error);
    return;
  }
  if (waits_ != nullptr) {
    (void)waits_->watch(connection_.fd());
  }
  round_trips_.clear();
  caught_up_ = false;
  resend_next_ = 0;
  resend_end_ = 0;
  session_.open(now_ticks);
  const ClientRequest logon = session_.logon_message();
  const common::IoResult sent = connection_.send(&logon, sizeof(logon));
  if (sent.ok()) {
    session_.on_unnumbered_sent(now_ticks);
  } else {
    connection_.close();
    connect_failed(now_ticks, sent.error);
    return;
  }
  connected_.set(1);
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_,
                 "order gateway: connected to {}:{}, LOGON sent (client {}, next request {}, "
                 "replay from {}, keep orders {})",
                 std::string_view(options_.host), options_.port, options_.client_id, logon.seq_num,
                 logon.order_id, options_.keep_orders);
  }
}

void OrderGateway::connect_failed(std::uint64_t now_ticks, int error) noexcept {
  counters_.connect_failures.add();
  if (logger_ != nullptr) {
    // strerrordesc_np (glibc): a constant string, so MT-safe where strerror is not; nullptr
    // for an unknown value.
    const char* text = error != 0 ? ::strerrordesc_np(error) : nullptr;
    LLT_LOG_INFO(*logger_, "order gateway: connect to {}:{} failed: {}",
                 std::string_view(options_.host), options_.port,
                 text != nullptr ? text : "unknown error");
  }
  schedule_retry(now_ticks);
}

void OrderGateway::end_session(EndCause cause, std::uint64_t now_ticks) noexcept {
  log_end(cause);
  connection_.close();
  connected_.set(0);
  logged_on_.set(0);
  round_trips_.clear();
  caught_up_ = false;
  resend_next_ = 0;
  resend_end_ = 0;
  counters_.disconnects.add();
  disconnect_pending_ = true;
  (void)flush_pending_disconnect();  // a full queue keeps it owed: poll() pushes it later
  schedule_retry(now_ticks);
}

void OrderGateway::schedule_retry(std::uint64_t now_ticks) noexcept {
  session_.close();
  next_attempt_ticks_ =
      now_ticks + clock_.to_ticks(std::chrono::nanoseconds(backoff_.next_delay_ns()));
}

void OrderGateway::log_end(EndCause cause) noexcept {
  if (logger_ == nullptr) {
    return;
  }
  const char* text = "unknown";
  switch (cause) {
    case EndCause::kPeerClosed:
      text = "the exchange closed the connection";
      break;
    case EndCause::kSocketError:
      text = "socket error";
      break;
    case EndCause::kLogonRejected:
      text = "LOGON_REJECTED";
      break;
    case EndCause::kLogonTimeout:
      text = "no answer to LOGON";
      break;
    case EndCause::kProtocolError:
      text = "protocol error";
      break;
    case EndCause::kReceiveTimeout:
      text = "nothing received from the exchange";
      break;
  }
  LLT_LOG_WARN(*logger_, "order gateway: session of client {} ended: {}; reconnecting",
               options_.client_id, text);
}

// --- Inbound ---

int OrderGateway::read_responses(std::uint64_t now_ticks) noexcept {
  int work = 0;
  if (connection_.pending_send_bytes() > 0) {
    const common::IoResult flushed = connection_.flush();
    if (LLT_UNLIKELY(flushed.status == common::IoStatus::kClosed ||
                     flushed.status == common::IoStatus::kError)) {
      end_session(flushed.status == common::IoStatus::kClosed ? EndCause::kPeerClosed
                                                              : EndCause::kSocketError,
                  now_ticks);
      return 1;
    }
    work += flushed.bytes > 0 ? 1 : 0;
  }
  const int budget = static_cast<int>(options_.max_responses_per_poll);
  bool blocked = false;
  // Whole messages left from an earlier read go first: they were read before anything new.
  int routed = route_buffered(now_ticks, budget, blocked);
  work += routed;
  if (!session_.in_session()) {
    return work;
  }
  if (blocked || routed >= budget) {
    if (blocked) {
      counters_.event_queue_stalls.add();
      session_.on_bytes_received(now_ticks);  // the exchange is not silent: we are not reading
    }
    return work;
  }
  // Only now, with no whole message buffered, so that every message routed next was
  // completed by this read and last_read_tsc_ is its read time.
  const common::IoResult read = connection_.read_some();
  switch (read.status) {
    case common::IoStatus::kOk:
      last_read_tsc_ = common::rdtsc();
      session_.on_bytes_received(now_ticks);
      routed = route_buffered(now_ticks, budget - routed, blocked);
      if (blocked && session_.in_session()) {
        counters_.event_queue_stalls.add();
      }
      return work + 1 + routed;
    case common::IoStatus::kWouldBlock:
    case common::IoStatus::kBufferFull:
      return work;
    case common::IoStatus::kClosed:
      end_session(EndCause::kPeerClosed, now_ticks);
      return work + 1;
    case common::IoStatus::kError:
      end_session(EndCause::kSocketError, now_ticks);
      return work + 1;
  }
  return work;
}

int OrderGateway::route_buffered(std::uint64_t now_ticks, int budget, bool& blocked) noexcept {
  int routed = 0;
  while (routed < budget) {
    const ClientResponse* next = connection_.peek_message<ClientResponse>();
    if (next == nullptr) {
      break;
    }
    const ClientResponse response = *next;
    const Routed result = route(response, now_ticks);
    if (result == Routed::kBlocked) {
      blocked = true;
      break;
    }
    ++routed;
    if (result == Routed::kEnded) {
      break;
    }
    connection_.consume(sizeof(ClientResponse));
  }
  return routed;
}

OrderGateway::Routed OrderGateway::route(const ClientResponse& response,
                                         std::uint64_t now_ticks) noexcept {
  const ClientSessionDecision decision = session_.on_response(response);
  switch (decision.action) {
    case ClientSessionAction::kRoute: {
      GatewayEvent event;
      event.type = GatewayEventType::kResponse;
      event.response = response;
      event.read_tsc = last_read_tsc_;
      if (!emit(event)) {
        return Routed::kBlocked;
      }
      if (session_.replaying()) {
        counters_.replayed_responses.add();
      }
      const std::uint64_t sent_tsc = round_trips_.take(response);
      if (sent_tsc != 0) {
        order_sent_to_response_read_.record(clock_.elapsed_ns(sent_tsc, last_read_tsc_));
      }
      session_.consume_response();
      counters_.responses_received.add();
      return Routed::kDone;
    }
    case ClientSessionAction::kDuplicate:
      counters_.duplicate_responses.add();
      counters_.responses_received.add();
      return Routed::kDone;
    case ClientSessionAction::kHeartbeat:
      counters_.heartbeats_received.add();
      counters_.responses_received.add();
      return Routed::kDone;
    case ClientSessionAction::kLogonAccepted: {
      GatewayEvent event;
      event.type = GatewayEventType::kLoggedOn;
      event.response = response;
      event.read_tsc = last_read_tsc_;
      if (!emit(event)) {
        return Routed::kBlocked;
      }
      session_.accept_logon(response);
      plan_resend(response.client_order_id);
      logged_on_.set(1);
      backoff_.reset();
      counters_.logons.add();
      counters_.responses_received.add();
      if (logger_ != nullptr) {
        LLT_LOG_INFO(*logger_,
                     "order gateway: logged on as client {}: replay {} to {}, exchange expects "
                     "request {}, resending {}",
                     options_.client_id, response.seq_num, response.market_order_id,
                     response.client_order_id, resend_end_ - resend_next_);
      }
      return Routed::kDone;
    }
    case ClientSessionAction::kLogonRejected:
      counters_.responses_received.add();
      counters_.logon_rejects.add();
      if (logger_ != nullptr) {
        LLT_LOG_WARN(*logger_, "order gateway: LOGON_REJECTED ({}) for client {}",
                     exchange::to_string(response.reject_reason), options_.client_id);
      }
      if (response.reject_reason == RejectReason::kBadSeqNum) {
        // We asked for a response the exchange has not sent: its streams are behind ours,
        // it started a new day. Both start again from 1; our orders there are gone.
        counters_.stream_resets.add();
        session_.reset_streams();
        sent_requests_.reset(1);
        outcome_ = std::max(outcome_, ResumeOutcome::kStreamsReset);
        if (logger_ != nullptr) {
          LLT_LOG_ERROR(*logger_,
                        "order gateway: the exchange has not sent the responses we processed "
                        "(a new day): numbering both streams from 1 again");
        }
      } else if (response.reject_reason == RejectReason::kReplayUnavailable) {
        counters_.replays_unavailable.add();
        session_.skip_replay_once();
        outcome_ = std::max(outcome_, ResumeOutcome::kResponsesLost);
        if (logger_ != nullptr) {
          LLT_LOG_ERROR(*logger_,
                        "order gateway: the exchange cannot replay from response {}: the "
                        "missed responses are lost, open orders will be cancelled",
                        session_.expected_seq());
        }
      }
      end_session(EndCause::kLogonRejected, now_ticks);
      return Routed::kEnded;
    case ClientSessionAction::kProtocolError:
      return protocol_error(response, decision.reason, now_ticks);
    case ClientSessionAction::kIgnore:
      return Routed::kDone;
  }
  return Routed::kDone;
}

OrderGateway::Routed OrderGateway::protocol_error(const ClientResponse& response,
                                                  ProtocolError reason,
                                                  std::uint64_t now_ticks) noexcept {
  counters_.protocol_errors.add();
  if (logger_ != nullptr) {
    LLT_LOG_ERROR(*logger_,
                  "order gateway: protocol error {}: msg_type {} seq {} (expected {}) client {} "
                  "(expected {}) while {}",
                  to_string(reason), static_cast<unsigned>(response.msg_type), response.seq_num,
                  session_.expected_seq(), response.client_id, options_.client_id,
                  session_.logged_on() ? "logged on" : "logging on");
  }
  end_session(EndCause::kProtocolError, now_ticks);
  return Routed::kEnded;
}

// --- Resuming ---

void OrderGateway::plan_resend(exchange::SeqNum exchange_expects) noexcept {
  const exchange::SeqNum next = session_.next_request_seq();
  resend_next_ = 0;
  resend_end_ = 0;
  if (exchange_expects >= next) {
    if (exchange_expects > next) {
      // It got requests we no longer count (a restart from an older state): continue there.
      session_.set_next_request_seq(exchange_expects);
      sent_requests_.reset(exchange_expects);
      if (logger_ != nullptr) {
        LLT_LOG_WARN(*logger_, "order gateway: exchange expects request {}, we were at {}",
                     exchange_expects, next);
      }
    }
    return;
  }
  if (sent_requests_.holds_from(exchange_expects)) {
    resend_next_ = exchange_expects;
    resend_end_ = next;
    return;
  }
  counters_.resends_unavailable.add();
  session_.set_next_request_seq(exchange_expects);
  sent_requests_.reset(exchange_expects);
  outcome_ = std::max(outcome_, ResumeOutcome::kRequestsLost);
  if (logger_ != nullptr) {
    LLT_LOG_ERROR(*logger_,
                  "order gateway: exchange expects request {} but the resend ring holds only "
                  "from {}: requests {} to {} are lost, their orders are reconciled",
                  exchange_expects, sent_requests_.first(), exchange_expects, next - 1);
  }
}

int OrderGateway::resend(std::uint64_t now_ticks) noexcept {
  int sent = 0;
  while (resending() && sent < static_cast<int>(options_.max_requests_per_poll)) {
    const ClientRequest& message = sent_requests_.at(resend_next_);
    const common::IoResult result = connection_.send(&message, sizeof(message));
    if (!result.ok()) {
      return sent + (end_on_send_failure(result.status, now_ticks) ? 1 : 0);
    }
    session_.on_unnumbered_sent(now_ticks);
    ++resend_next_;
    ++sent;
    counters_.resent_requests.add();
  }
  return sent;
}

bool OrderGateway::end_on_send_failure(common::IoStatus status, std::uint64_t now_ticks) noexcept {
  switch (status) {
    case common::IoStatus::kOk:
      return false;
    case common::IoStatus::kBufferFull:
    case common::IoStatus::kWouldBlock:
      counters_.send_stalls.add();  // retried after the next flush
      return false;
    case common::IoStatus::kClosed:
      end_session(EndCause::kPeerClosed, now_ticks);
      return true;
    case common::IoStatus::kError:
      end_session(EndCause::kSocketError, now_ticks);
      return true;
  }
  return false;
}

int OrderGateway::maybe_catch_up() noexcept {
  if (caught_up_ || resending() || !session_.caught_up()) {
    return 0;
  }
  GatewayEvent event;
  event.type = GatewayEventType::kCaughtUp;
  event.resume = outcome_;
  event.read_tsc = common::rdtsc();
  if (!emit(event)) {
    return 0;
  }
  caught_up_ = true;
  outcome_ = ResumeOutcome::kComplete;
  counters_.caught_up.add();
  return 1;
}

void OrderGateway::publish_numbers() noexcept {
  counters_.next_request_seq.set(session_.next_request_seq());
  counters_.last_processed.set(session_.last_processed());
}

// --- Outbound ---

int OrderGateway::process_requests(std::uint64_t now_ticks) noexcept {
  int work = 0;
  for (std::uint32_t n = 0; n < options_.max_requests_per_poll; ++n) {
    OrderRequest* request = requests_.front();
    if (request == nullptr) {
      break;
    }
    const ClientRequestType type = request->request.msg_type;
    RejectReason refusal = session_.check_request(type);
    if (refusal == RejectReason::kNone && !caught_up_) {
      refusal = RejectReason::kNotLoggedIn;  // the resend goes first; nothing is queued here
    }
    if (LLT_UNLIKELY(refusal != RejectReason::kNone)) {
      if (!refuse(*request, refusal)) {
        break;
      }
      if (refusal == RejectReason::kUnknownMsgType) {
        counters_.invalid_requests.add();
      } else {
        counters_.refused_while_disconnected.add();
      }
      requests_.pop();
      ++work;
      continue;
    }
    ClientRequest message = request->request;
    // Tick-to-trade ends when the order is handed to the kernel: the send() itself is the
    // kernel's (docs/latency.md: read to send, excluding the kernel).
    const std::uint64_t handed_tsc = common::rdtsc();
    const common::IoResult sent = send_request(message, now_ticks);
    if (LLT_LIKELY(sent.ok())) {
      if (request->md_read_tsc != 0) {
        md_read_to_order_sent_.record(clock_.elapsed_ns(request->md_read_tsc, handed_tsc));
      }
      if (request->engine_in_tsc != 0) {
        engine_in_to_order_sent_.record(clock_.elapsed_ns(request->engine_in_tsc, handed_tsc));
      }
      if (!round_trips_.add(type, message.ticker_id, message.order_id, handed_tsc)) {
        counters_.untracked_round_trips.add();
      }
      counters_.requests_sent.add();
      requests_.pop();
      ++work;
      continue;
    }
    if (sent.status == common::IoStatus::kBufferFull) {
      counters_.send_stalls.add();  // kept in the queue: retried after the next flush
      break;
    }
    // The session is gone; this request stays queued and is refused on the next turn.
    end_session(
        sent.status == common::IoStatus::kClosed ? EndCause::kPeerClosed : EndCause::kSocketError,
        now_ticks);
    ++work;
  }
  return work;
}

common::IoResult OrderGateway::send_request(ClientRequest& message,
                                            std::uint64_t now_ticks) noexcept {
  session_.stamp(message);
  const common::IoResult result = connection_.send(&message, sizeof(message));
  if (LLT_LIKELY(result.ok())) {
    session_.on_request_sent(now_ticks);
    sent_requests_.push(message);
  }
  return result;
}

common::IoResult OrderGateway::send_unnumbered(ClientRequest& message,
                                               std::uint64_t now_ticks) noexcept {
  session_.stamp(message);
  const common::IoResult result = connection_.send(&message, sizeof(message));
  if (LLT_LIKELY(result.ok())) {
    session_.on_unnumbered_sent(now_ticks);
  }
  return result;
}

bool OrderGateway::refuse(const OrderRequest& request, RejectReason reason) noexcept {
  GatewayEvent event;
  event.type = GatewayEventType::kResponse;
  event.response.seq_num = 0;  // synthetic: numbered responses start at 1
  event.response.msg_type = ClientResponseType::kRejected;
  event.response.client_id = options_.client_id;
  event.response.ticker_id = request.request.ticker_id;
  event.response.client_order_id = request.request.order_id;
  event.response.side = request.request.side;
  event.response.price = request.request.price;
  event.response.reject_reason = reason;
  event.read_tsc = common::rdtsc();
  return emit(event);
}

int OrderGateway::send_heartbeat(std::uint64_t now_ticks) noexcept {
  ClientRequest heartbeat{};
  heartbeat.msg_type = ClientRequestType::kHeartbeat;
  const common::IoResult sent = send_unnumbered(heartbeat, now_ticks);
  switch (sent.status) {
    case common::IoStatus::kOk:
      counters_.heartbeats_sent.add();
      return 1;
    case common::IoStatus::kBufferFull:
    case common::IoStatus::kWouldBlock:
      return 0;  // bytes are queued: the exchange is hearing from us; retried next poll
    case common::IoStatus::kClosed:
      end_session(EndCause::kPeerClosed, now_ticks);
      return 1;
    case common::IoStatus::kError:
      end_session(EndCause::kSocketError, now_ticks);
      return 1;
  }
  return 0;
}

// --- Events ---

bool OrderGateway::emit(const GatewayEvent& event) noexcept {
  if (LLT_UNLIKELY(disconnect_pending_) && !flush_pending_disconnect()) {
    return false;
  }
  return events_.try_push(event);
}

bool OrderGateway::flush_pending_disconnect() noexcept {
  GatewayEvent event;
  event.type = GatewayEventType::kDisconnected;
  event.read_tsc = common::rdtsc();
  if (!events_.try_push(event)) {
    return false;
  }
  disconnect_pending_ = false;
  return true;
}

}  // namespace llt::trading
