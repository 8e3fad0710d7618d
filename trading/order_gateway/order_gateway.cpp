#include "trading/order_gateway/order_gateway.h"

#include <cerrno>
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

std::uint64_t to_ns(std::chrono::milliseconds ms) noexcept {
  return ms.count() <= 0 ? 0 : static_cast<std::uint64_t>(ms.count()) * 1'000'000ULL;
}

[[noreturn]] void reject_option(const std::string& what) {
  throw std::invalid_argument("order gateway option " + what);
}

void require_positive(std::chrono::milliseconds value, const char* name) {
  if (value.count() <= 0) {
    reject_option(std::string(name) + " must be > 0 ms, got " + std::to_string(value.count()));
  }
}

const OrderGatewayOptions& validated(const OrderGatewayOptions& options) {
  if (options.client_id == exchange::kInvalidClientId) {
    reject_option("client_id must not be 0");
  }
  if (options.port == 0) {
    reject_option("port must not be 0");
  }
  require_positive(options.reconnect_initial, "reconnect_initial");
  require_positive(options.reconnect_max, "reconnect_max");
  if (options.reconnect_initial > options.reconnect_max) {
    reject_option("reconnect_initial (" + std::to_string(options.reconnect_initial.count()) +
                  " ms) must not exceed reconnect_max (" +
                  std::to_string(options.reconnect_max.count()) + " ms)");
  }
  require_positive(options.heartbeat_interval, "heartbeat_interval");
  require_positive(options.connect_timeout, "connect_timeout");
  require_positive(options.logon_timeout, "logon_timeout");
  if (options.receive_timeout.count() < 0) {
    reject_option("receive_timeout must be >= 0 ms, got " +
                  std::to_string(options.receive_timeout.count()));
  }
  if (options.receive_buffer_bytes < sizeof(ClientResponse)) {
    reject_option("receive_buffer_bytes must hold one ClientResponse (51 bytes), got " +
                  std::to_string(options.receive_buffer_bytes));
  }
  if (options.send_buffer_bytes < sizeof(ClientRequest)) {
    reject_option("send_buffer_bytes must hold one ClientRequest (38 bytes), got " +
                  std::to_string(options.send_buffer_bytes));
  }
  if (options.max_requests_per_poll == 0) {
    reject_option("max_requests_per_poll must be > 0");
  }
  if (options.max_responses_per_poll == 0) {
    reject_option("max_responses_per_poll must be > 0");
  }
  return options;
}

sockaddr_in exchange_address(const OrderGatewayOptions& options) {
  try {
    return common::make_sockaddr(options.host, options.port);
  } catch (const std::invalid_argument& error) {
    reject_option("host '" + options.host + "': " + error.what());
  }
}

}  // namespace

OrderGateway::OrderGateway(const OrderGatewayOptions& options, OrderRequestQueue& requests,
                           GatewayEventQueue& events, common::Logger* logger,
                           const common::TscClock& clock)
    : options_(validated(options)),
      requests_(requests),
      events_(events),
      logger_(logger),
      clock_(clock),
      address_(exchange_address(options_)),
      connection_(options_.receive_buffer_bytes, options_.send_buffer_bytes),
      backoff_(options_.reconnect_initial, options_.reconnect_max),
      heartbeat_interval_ns_(to_ns(options_.heartbeat_interval)),
      connect_timeout_ns_(to_ns(options_.connect_timeout)),
      logon_timeout_ns_(to_ns(options_.logon_timeout)),
      receive_timeout_ns_(to_ns(options_.receive_timeout)) {}

void OrderGateway::on_start() {
  if (logger_ != nullptr) {
    (void)logger_->register_thread("order_gateway");
  }
}

int OrderGateway::poll() {
  if (LLT_UNLIKELY(state_ == State::kStopped)) {
    return 0;
  }
  const std::uint64_t now_ns = common::monotonic_ns();
  int work = 0;
  if (LLT_UNLIKELY(disconnect_pending_)) {
    work += flush_pending_disconnect() ? 1 : 0;
  }
  work += advance_connection(now_ns);
  // Requests first: an order the trade engine just made leaves before the read (tick-to-trade).
  work += process_requests(now_ns);
  if (in_session()) {
    work += read_responses(now_ns);
  }
  if (state_ == State::kLoggedOn) {
    work += send_heartbeat_if_due(now_ns);
  }
  if (LLT_UNLIKELY(now_ns >= next_percentiles_ns_)) {
    publish_percentiles(now_ns);
  }
  return work;
}

void OrderGateway::publish_percentiles(std::uint64_t now_ns) noexcept {
  tick_to_trade_p50_ns_.set(md_read_to_order_sent_.percentile(50));
  tick_to_trade_p99_ns_.set(md_read_to_order_sent_.percentile(99));
  round_trip_p50_ns_.set(order_sent_to_response_read_.percentile(50));
  round_trip_p99_ns_.set(order_sent_to_response_read_.percentile(99));
  next_percentiles_ns_ = now_ns + kPercentilesIntervalNs;
}

void OrderGateway::on_stop() {
  if (state_ == State::kStopped) {
    return;
  }
  if (state_ == State::kLoggedOn) {
    ClientRequest logout{};
    logout.msg_type = ClientRequestType::kLogout;
    (void)send_message(logout, common::monotonic_ns());
  }
  if (connection_.is_open()) {
    (void)connection_.flush();  // best effort: what the kernel takes now
  }
  connection_.close();
  connector_.abandon();
  connected_.set(0);
  logged_on_.set(0);
  state_ = State::kStopped;
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
  copy.connected = connected();
  copy.logged_on = logged_on();
  return copy;
}

// --- Connection lifecycle ---

int OrderGateway::advance_connection(std::uint64_t now_ns) noexcept {
  switch (state_) {
    case State::kWaiting:
      if (now_ns >= next_attempt_ns_) {
        start_attempt(now_ns);
        return 1;
      }
      return 0;
    case State::kConnecting:
      switch (connector_.check()) {
        case TcpConnector::Status::kConnected:
          on_connected(now_ns);
          return 1;
        case TcpConnector::Status::kInProgress:
          if (now_ns >= connect_deadline_ns_) {
            connector_.abandon();
            connect_failed(now_ns, ETIMEDOUT);
            return 1;
          }
          return 0;
        case TcpConnector::Status::kFailed:
          connect_failed(now_ns, connector_.error());
          return 1;
        case TcpConnector::Status::kIdle:
          connect_failed(now_ns, 0);
          return 1;
      }
      return 0;
    case State::kLoggingOn:
      if (now_ns >= logon_deadline_ns_) {
        counters_.logon_timeouts.add();
        end_session(EndCause::kLogonTimeout, now_ns);
        return 1;
      }
      return 0;
    case State::kLoggedOn:
      if (receive_timeout_ns_ != 0 && now_ns - last_receive_ns_ >= receive_timeout_ns_) {
        counters_.receive_timeouts.add();
        end_session(EndCause::kReceiveTimeout, now_ns);
        return 1;
      }
      return 0;
    case State::kStopped:
      return 0;
  }
  return 0;
}

void OrderGateway::start_attempt(std::uint64_t now_ns) noexcept {
  counters_.connect_attempts.add();
  if (attempted_before_) {
    counters_.reconnects.add();
  }
  attempted_before_ = true;
  switch (connector_.start(address_)) {
    case TcpConnector::Status::kConnected:
      on_connected(now_ns);
      return;
    case TcpConnector::Status::kInProgress:
      state_ = State::kConnecting;
      connect_deadline_ns_ = now_ns + connect_timeout_ns_;
      return;
    case TcpConnector::Status::kFailed:
    case TcpConnector::Status::kIdle:
      connect_failed(now_ns, connector_.error());
      return;
  }
}

void OrderGateway::on_connected(std::uint64_t now_ns) noexcept {
  const common::IoResult attached = connection_.attach(connector_.take());
  if (!attached.ok()) {
    connect_failed(now_ns, attached.error);
    return;
  }
  next_out_seq_ = 1;
  expected_in_seq_ = 1;
  round_trips_.clear();
  last_receive_ns_ = now_ns;
  ClientRequest logon{};
  logon.msg_type = ClientRequestType::kLogon;
  const common::IoResult sent = send_message(logon, now_ns);
  if (!sent.ok()) {
    connection_.close();
    connect_failed(now_ns, sent.error);
    return;
  }
  connected_.set(1);
  state_ = State::kLoggingOn;
  logon_deadline_ns_ = now_ns + logon_timeout_ns_;
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_, "order gateway: connected to {}:{}, LOGON sent (client {})",
                 std::string_view(options_.host), options_.port, options_.client_id);
  }
}

void OrderGateway::connect_failed(std::uint64_t now_ns, int error) noexcept {
  counters_.connect_failures.add();
  if (logger_ != nullptr) {
    // strerrordesc_np (glibc): a constant string, so MT-safe where strerror is not; nullptr
    // for an unknown value.
    const char* text = error != 0 ? ::strerrordesc_np(error) : nullptr;
    LLT_LOG_INFO(*logger_, "order gateway: connect to {}:{} failed: {}",
                 std::string_view(options_.host), options_.port,
                 text != nullptr ? text : "unknown error");
  }
  schedule_retry(now_ns);
}

void OrderGateway::end_session(EndCause cause, std::uint64_t now_ns) noexcept {
  log_end(cause);
  connection_.close();
  connected_.set(0);
  logged_on_.set(0);
  round_trips_.clear();
  counters_.disconnects.add();
  disconnect_pending_ = true;
  (void)flush_pending_disconnect();
  schedule_retry(now_ns);
}

void OrderGateway::schedule_retry(std::uint64_t now_ns) noexcept {
  state_ = State::kWaiting;
  next_attempt_ns_ = now_ns + backoff_.next_delay_ns();
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

int OrderGateway::read_responses(std::uint64_t now_ns) noexcept {
  int work = 0;
  if (connection_.pending_send_bytes() > 0) {
    const common::IoResult flushed = connection_.flush();
    if (LLT_UNLIKELY(flushed.status == common::IoStatus::kClosed ||
                     flushed.status == common::IoStatus::kError)) {
      end_session(flushed.status == common::IoStatus::kClosed ? EndCause::kPeerClosed
                                                              : EndCause::kSocketError,
                  now_ns);
      return 1;
    }
    work += flushed.bytes > 0 ? 1 : 0;
  }
  const int budget = static_cast<int>(options_.max_responses_per_poll);
  bool blocked = false;
  // Whole messages left from an earlier read go first: they were read before anything new.
  int routed = route_buffered(now_ns, budget, blocked);
  work += routed;
  if (!in_session()) {
    return work;
  }
  if (blocked || routed >= budget) {
    if (blocked) {
      counters_.event_queue_stalls.add();
      last_receive_ns_ = now_ns;  // the exchange is not silent: we are not reading
    }
    return work;
  }
  // Only now, with no whole message buffered, so that every message routed next was
  // completed by this read and last_read_tsc_ is its read time.
  const common::IoResult read = connection_.read_some();
  switch (read.status) {
    case common::IoStatus::kOk:
      last_read_tsc_ = common::rdtsc();
      last_receive_ns_ = now_ns;
      routed = route_buffered(now_ns, budget - routed, blocked);
      if (blocked && in_session()) {
        counters_.event_queue_stalls.add();
      }
      return work + 1 + routed;
    case common::IoStatus::kWouldBlock:
    case common::IoStatus::kBufferFull:
      return work;
    case common::IoStatus::kClosed:
      end_session(EndCause::kPeerClosed, now_ns);
      return work + 1;
    case common::IoStatus::kError:
      end_session(EndCause::kSocketError, now_ns);
      return work + 1;
  }
  return work;
}

int OrderGateway::route_buffered(std::uint64_t now_ns, int budget, bool& blocked) noexcept {
  int routed = 0;
  while (routed < budget) {
    const ClientResponse* next = connection_.peek_message<ClientResponse>();
    if (next == nullptr) {
      break;
    }
    const ClientResponse response = *next;
    const Routed result = route(response, now_ns);
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
                                         std::uint64_t now_ns) noexcept {
  if (LLT_UNLIKELY(response.seq_num != expected_in_seq_ ||
                   response.client_id != options_.client_id)) {
    return protocol_error(response, now_ns);
  }
  switch (response.msg_type) {
    case ClientResponseType::kHeartbeat:
      counters_.heartbeats_received.add();
      break;
    case ClientResponseType::kAccepted:
    case ClientResponseType::kCanceled:
    case ClientResponseType::kFilled:
    case ClientResponseType::kCancelRejected:
    case ClientResponseType::kRejected: {
      if (LLT_UNLIKELY(state_ != State::kLoggedOn)) {
        return protocol_error(response, now_ns);
      }
      GatewayEvent event;
      event.type = GatewayEventType::kResponse;
      event.response = response;
      event.read_tsc = last_read_tsc_;
      if (!emit(event)) {
        return Routed::kBlocked;
      }
      const std::uint64_t sent_tsc = round_trips_.take(response);
      if (sent_tsc != 0) {
        order_sent_to_response_read_.record(clock_.elapsed_ns(sent_tsc, last_read_tsc_));
      }
      break;
    }
    case ClientResponseType::kLogonAccepted: {
      if (LLT_UNLIKELY(state_ != State::kLoggingOn)) {
        return protocol_error(response, now_ns);
      }
      GatewayEvent event;
      event.type = GatewayEventType::kLoggedOn;
      event.response = response;
      event.read_tsc = last_read_tsc_;
      if (!emit(event)) {
        return Routed::kBlocked;
      }
      state_ = State::kLoggedOn;
      logged_on_.set(1);
      backoff_.reset();
      counters_.logons.add();
      if (logger_ != nullptr) {
        LLT_LOG_INFO(*logger_, "order gateway: logged on as client {}", options_.client_id);
      }
      break;
    }
    case ClientResponseType::kLogonRejected:
      if (LLT_UNLIKELY(state_ != State::kLoggingOn)) {
        return protocol_error(response, now_ns);
      }
      counters_.responses_received.add();
      counters_.logon_rejects.add();
      if (logger_ != nullptr) {
        LLT_LOG_WARN(*logger_, "order gateway: LOGON_REJECTED ({}) for client {}",
                     exchange::to_string(response.reject_reason), options_.client_id);
      }
      end_session(EndCause::kLogonRejected, now_ns);
      return Routed::kEnded;
    default:
      return protocol_error(response, now_ns);
  }
  ++expected_in_seq_;
  counters_.responses_received.add();
  return Routed::kDone;
}

OrderGateway::Routed OrderGateway::protocol_error(const ClientResponse& response,
                                                  std::uint64_t now_ns) noexcept {
  counters_.protocol_errors.add();
  if (logger_ != nullptr) {
    LLT_LOG_ERROR(*logger_,
                  "order gateway: protocol error: msg_type {} seq {} (expected {}) client {} "
                  "(expected {}) while {}",
                  static_cast<unsigned>(response.msg_type), response.seq_num, expected_in_seq_,
                  response.client_id, options_.client_id,
                  state_ == State::kLoggedOn ? "logged on" : "logging on");
  }
  end_session(EndCause::kProtocolError, now_ns);
  return Routed::kEnded;
}

// --- Outbound ---

int OrderGateway::process_requests(std::uint64_t now_ns) noexcept {
  int work = 0;
  for (std::uint32_t n = 0; n < options_.max_requests_per_poll; ++n) {
    OrderRequest* request = requests_.front();
    if (request == nullptr) {
      break;
    }
    const ClientRequestType type = request->request.msg_type;
    if (LLT_UNLIKELY(type != ClientRequestType::kNew && type != ClientRequestType::kCancel)) {
      if (!refuse(*request, RejectReason::kUnknownMsgType)) {
        break;
      }
      counters_.invalid_requests.add();
      requests_.pop();
      ++work;
      continue;
    }
    if (state_ != State::kLoggedOn) {
      if (!refuse(*request, RejectReason::kNotLoggedIn)) {
        break;
      }
      counters_.refused_while_disconnected.add();
      requests_.pop();
      ++work;
      continue;
    }
    ClientRequest message = request->request;
    // Tick-to-trade ends when the order is handed to the kernel: the send() itself is the
    // kernel's (DESIGN section 6: read to send, excluding the kernel).
    const std::uint64_t handed_tsc = common::rdtsc();
    const common::IoResult sent = send_message(message, now_ns);
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
        now_ns);
    ++work;
  }
  return work;
}

common::IoResult OrderGateway::send_message(ClientRequest& message, std::uint64_t now_ns) noexcept {
  message.seq_num = next_out_seq_;
  message.client_id = options_.client_id;
  const common::IoResult result = connection_.send(&message, sizeof(message));
  if (LLT_LIKELY(result.ok())) {
    ++next_out_seq_;
    last_send_ns_ = now_ns;
  }
  return result;
}

bool OrderGateway::refuse(const OrderRequest& request, RejectReason reason) noexcept {
  GatewayEvent event;
  event.type = GatewayEventType::kResponse;
  event.response.seq_num = 0;  // synthetic: exchange messages start at 1
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

int OrderGateway::send_heartbeat_if_due(std::uint64_t now_ns) noexcept {
  if (now_ns - last_send_ns_ < heartbeat_interval_ns_) {
    return 0;
  }
  ClientRequest heartbeat{};
  heartbeat.msg_type = ClientRequestType::kHeartbeat;
  const common::IoResult sent = send_message(heartbeat, now_ns);
  switch (sent.status) {
    case common::IoStatus::kOk:
      counters_.heartbeats_sent.add();
      return 1;
    case common::IoStatus::kBufferFull:
    case common::IoStatus::kWouldBlock:
      return 0;  // bytes are queued: the exchange is hearing from us; retried next poll
    case common::IoStatus::kClosed:
      end_session(EndCause::kPeerClosed, now_ns);
      return 1;
    case common::IoStatus::kError:
      end_session(EndCause::kSocketError, now_ns);
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
