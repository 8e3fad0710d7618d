#include "exchange/order_server/order_server.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace llt::exchange {
namespace {

constexpr std::size_t kMaxSessionsLimit = std::size_t{1} << 16;
constexpr std::size_t kMaxBufferBytes = std::size_t{1} << 30;
// Heartbeats and timeouts are checked this often.
constexpr std::chrono::microseconds kTimerSweepInterval{1000};

[[noreturn]] void bad_option(const std::string& name, const std::string& value,
                             const std::string& rule) {
  throw std::invalid_argument("OrderServerOptions::" + name + " = " + value + ": " + rule);
}

void check_range(const char* name, std::uint64_t value, std::uint64_t low, std::uint64_t high) {
  if (value < low || value > high) {
    bad_option(name, std::to_string(value),
               "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
}

void check_positive(const char* name, std::chrono::milliseconds value) {
  if (value.count() <= 0) {
    bad_option(name, std::to_string(value.count()) + " ms", "must be > 0");
  }
}

const OrderServerOptions& checked(const OrderServerOptions& options) {
  check_range("max_sessions", options.max_sessions, 1, kMaxSessionsLimit);
  check_positive("heartbeat_interval", options.heartbeat_interval);
  check_positive("heartbeat_timeout (--heartbeat-timeout-ms)", options.heartbeat_timeout);
  check_positive("close_grace", options.close_grace);
  check_range("max_invalid_messages", options.max_invalid_messages, 1, UINT32_MAX);
  check_range("send_buffer_bytes", options.send_buffer_bytes, sizeof(ClientResponse),
              kMaxBufferBytes);
  check_range("receive_buffer_bytes", options.receive_buffer_bytes, sizeof(ClientRequest),
              kMaxBufferBytes);
  if (options.socket_send_buffer_bytes < 0) {
    bad_option("socket_send_buffer_bytes", std::to_string(options.socket_send_buffer_bytes),
               "must be >= 0 (0: the kernel's default)");
  }
  check_range("max_pending_requests", options.max_pending_requests, 1, std::size_t{1} << 24);
  check_range("max_responses_per_poll", options.max_responses_per_poll, 1, UINT32_MAX);
  check_range("max_events_per_poll", options.max_events_per_poll, 1, 1 << 16);
  check_range("max_accepts_per_poll", options.max_accepts_per_poll, 1, 1 << 16);
  return options;
}

common::TcpServerOptions tcp_options(const OrderServerOptions& options) {
  common::TcpServerOptions tcp;
  tcp.address = options.address;
  tcp.port = options.port;
  tcp.max_connections = options.max_sessions;
  tcp.receive_buffer_bytes = options.receive_buffer_bytes;
  tcp.send_buffer_bytes = options.send_buffer_bytes;
  // Room for every session to connect at once (the kernel caps it at somaxconn).
  tcp.listen_backlog = static_cast<int>(std::max<std::size_t>(128, options.max_sessions));
  tcp.max_events_per_poll = options.max_events_per_poll;
  tcp.max_accepts_per_poll = options.max_accepts_per_poll;
  return tcp;
}

std::uint64_t to_ticks(const common::TscClock& clock, std::chrono::nanoseconds duration) {
  const double ticks = static_cast<double>(duration.count()) * clock.ticks_per_ns();
  return ticks < 1.0 ? 1 : static_cast<std::uint64_t>(ticks);
}

}  // namespace

OrderServer::OrderServer(const OrderServerOptions& options, RequestQueue& requests,
                         ResponseQueue& responses, const common::TscClock& clock)
    : options_(checked(options)),
      requests_(requests),
      responses_(responses),
      clock_(clock),
      heartbeat_interval_ticks_(to_ticks(clock, options_.heartbeat_interval)),
      heartbeat_timeout_ticks_(to_ticks(clock, options_.heartbeat_timeout)),
      close_grace_ticks_(to_ticks(clock, options_.close_grace)),
      sweep_interval_ticks_(to_ticks(clock, kTimerSweepInterval)),
      server_(tcp_options(options_)),
      port_(server_.port()),
      local_name_(server_.local_name()),
      slots_(options_.max_sessions),
      sessions_by_client_(options_.max_sessions),
      // One cancel-all per session is reserved on top of the requests (see logon()).
      sequencer_(options_.max_pending_requests + options_.max_sessions),
      dirty_(options_.max_sessions),
      backlog_(options_.max_sessions),
      closing_(options_.max_sessions) {
  for (SessionSlot& slot : slots_) {
    slot.session = Session(
        options_.max_invalid_messages,
        OrderThrottle(options_.max_orders_per_second, to_ticks(clock_, std::chrono::seconds(1))));
  }
  last_sweep_ticks_ = clock_.now_ticks();
}

OrderServer::~OrderServer() = default;

int OrderServer::poll() {
  now_ = clock_.now_ticks();
  int work = drain_responses();
  work += flush_dirty();
  work += process_backlog();
  Events events{*this};
  work += server_.poll(events);
  work += release_requests();
  now_ = clock_.now_ticks();
  if (now_ - last_sweep_ticks_ >= sweep_interval_ticks_) {
    last_sweep_ticks_ = now_;
    work += sweep_timers();
  }
  if (!closing_.empty()) {
    work += sweep_closing();
  }
  work += flush_dirty();
  return work;
}

OrderServerCounters OrderServer::counters() const noexcept {
  OrderServerCounters copy;
  copy.sessions_accepted = counters_.sessions_accepted.get();
  copy.sessions_live = counters_.sessions_live.get();
  copy.sessions_logged_on = counters_.sessions_logged_on.get();
  copy.connections_refused = counters_.connections_refused.get();
  copy.requests_received = counters_.requests_received.get();
  copy.requests_forwarded = counters_.requests_forwarded.get();
  copy.requests_sequenced = counters_.requests_sequenced.get();
  copy.cancel_alls = counters_.cancel_alls.get();
  copy.responses_sent = counters_.responses_sent.get();
  copy.heartbeats_sent = counters_.heartbeats_sent.get();
  copy.responses_without_session = counters_.responses_without_session.get();
  copy.sequencer_stalls = counters_.sequencer_stalls.get();
  for (std::size_t i = 0; i < kRejectReasonSlots; ++i) {
    copy.rejects_by_reason[i] = counters_.rejects_by_reason[i].get();
  }
  for (std::size_t i = 0; i < kSessionCloseCauseCount; ++i) {
    copy.sessions_closed_by_cause[i] = counters_.sessions_closed_by_cause[i].get();
  }
  return copy;
}

}  // namespace llt::exchange
