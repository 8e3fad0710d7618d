#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "exchange/matcher/fixed_hash_map.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/matcher/matching_messages.h"
#include "exchange/order_server/fifo_sequencer.h"
#include "exchange/order_server/read_stamps.h"
#include "exchange/order_server/session.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/reject_reason.h"

namespace llt::exchange {

struct OrderServerOptions {
  std::string address = "127.0.0.1";  // IPv4 address to listen on (--port binds here)
  std::uint16_t port = 12345;         // 0: the kernel picks one, see OrderServer::port()
  // Concurrent TCP sessions (connections in any state); further connections are accepted and
  // closed at once.
  std::size_t max_sessions = 256;
  // A HEARTBEAT goes to a logged-on client when nothing was sent to it for this long.
  std::chrono::milliseconds heartbeat_interval{1000};
  // A session that sent nothing for this long is closed (--heartbeat-timeout-ms).
  std::chrono::milliseconds heartbeat_timeout{10000};
  // Rejected messages after which a session is closed (the last one is still answered).
  std::uint32_t max_invalid_messages = 10;
  // NEW and CANCEL requests a session may send per second (bursts up to as many); beyond,
  // REJECTED(THROTTLED). 0: no limit (--max-orders-per-second).
  std::uint32_t max_orders_per_second = 0;
  // Per session: the bound on responses written but not yet taken by the kernel. A client
  // that does not read until this buffer cannot take its next response is disconnected (and
  // its orders cancelled); nothing is ever skipped.
  std::size_t send_buffer_bytes = 64 * 1024;
  // Per session: received bytes not yet decoded (at least one request).
  std::size_t receive_buffer_bytes = 32 * 1024;
  // SO_SNDBUF of each session socket, in bytes; 0 keeps the kernel's (autotuned) default.
  // With a value set, the kernel holds at most about twice this for a slow reader.
  int socket_send_buffer_bytes = 0;
  // How long a session that is being closed with a final reply (LOGON_REJECTED, NOT_LOGGED_IN,
  // LOGOUT, ...) may take to flush it before the socket is closed anyway.
  std::chrono::milliseconds close_grace{100};
  // Requests the FIFO sequencer holds while the engine's queue is full; when they are all
  // taken the server stops decoding (bytes wait in the socket buffers). Room for one
  // cancel-on-disconnect per session is reserved on top of this.
  std::size_t max_pending_requests = 4096;
  // Engine responses routed by one poll(), so agents sharing a thread all get their turn.
  std::uint32_t max_responses_per_poll = 1024;
  std::size_t max_events_per_poll = 64;   // epoll events handled by one poll()
  std::size_t max_accepts_per_poll = 32;  // connections accepted by one poll()
};

// Why the order server ended a session (OrderServerCounters::sessions_closed_by_cause).
enum class SessionCloseCause : std::uint8_t {
  kPeerClosed,        // the client closed or reset the connection (also mid-message)
  kLogout,            // LOGOUT
  kHeartbeatTimeout,  // nothing received for heartbeat_timeout
  kTooManyInvalid,    // max_invalid_messages rejected messages
  kSendBufferFull,    // a slow reader: its next response did not fit send_buffer_bytes
  kNotLoggedIn,       // the first message was not a LOGON
  kLogonRejected,     // LOGON_REJECTED (BAD_SEQ_NUM, INVALID_CLIENT_ID, CLIENT_ID_IN_USE, CAPACITY)
  kSocketError,       // a send failed with an unexpected errno
};
inline constexpr std::size_t kSessionCloseCauseCount = 8;
// RejectReason values are < 16; larger (corrupt) values are counted in the last slot.
inline constexpr std::size_t kRejectReasonSlots = 16;

// Cold: for the status line and reports.
[[nodiscard]] constexpr std::string_view to_string(SessionCloseCause cause) noexcept {
  switch (cause) {
    case SessionCloseCause::kPeerClosed:
      return "peer_closed";
    case SessionCloseCause::kLogout:
      return "logout";
    case SessionCloseCause::kHeartbeatTimeout:
      return "heartbeat_timeout";
    case SessionCloseCause::kTooManyInvalid:
      return "too_many_invalid";
    case SessionCloseCause::kSendBufferFull:
      return "send_buffer_full";
    case SessionCloseCause::kNotLoggedIn:
      return "not_logged_in";
    case SessionCloseCause::kLogonRejected:
      return "logon_rejected";
    case SessionCloseCause::kSocketError:
      return "socket_error";
  }
  return "unknown";
}

// A copy of the order server's counters (OrderServer::counters()).
struct OrderServerCounters {
  std::uint64_t sessions_accepted = 0;    // connections taken into the session table
  std::uint64_t sessions_live = 0;        // open connections, in any state (gauge)
  std::uint64_t sessions_logged_on = 0;   // gauge
  std::uint64_t connections_refused = 0;  // accepted and closed at once: the table was full
  std::uint64_t requests_received = 0;    // whole requests decoded, valid or not
  std::uint64_t requests_forwarded = 0;   // NEW and CANCEL handed to the sequencer
  std::uint64_t requests_sequenced = 0;   // released to the engine, cancel-alls included
  std::uint64_t cancel_alls = 0;          // cancel-on-disconnect requests enqueued
  std::uint64_t responses_sent = 0;       // every message written to a client, heartbeats too
  std::uint64_t heartbeats_sent = 0;
  // Engine responses for a client with no live session (it disconnected; its orders are
  // being cancelled): counted, not sent.
  std::uint64_t responses_without_session = 0;
  // Polls that ended with requests still pending because the engine's queue was full.
  std::uint64_t sequencer_stalls = 0;
  // Every reject, by RejectReason value: the session layer's (REJECTED, LOGON_REJECTED) and
  // the engine's (REJECTED, CANCEL_REJECTED), sent or not.
  std::array<std::uint64_t, kRejectReasonSlots> rejects_by_reason{};
  std::array<std::uint64_t, kSessionCloseCauseCount> sessions_closed_by_cause{};

  [[nodiscard]] std::uint64_t rejects(RejectReason reason) const noexcept {
    return rejects_by_reason[slot_of(reason)];
  }
  [[nodiscard]] std::uint64_t closed(SessionCloseCause cause) const noexcept {
    return sessions_closed_by_cause[static_cast<std::size_t>(cause)];
  }
  [[nodiscard]] static constexpr std::size_t slot_of(RejectReason reason) noexcept {
    const auto value = static_cast<std::size_t>(reason);
    return value < kRejectReasonSlots ? value : kRejectReasonSlots - 1;
  }
};

// The exchange's order server agent (DESIGN sections 2 and 3): the TCP gateway and the FIFO
// sequencer in front of the matching engine.
//
// Each poll(): routes up to max_responses_per_poll engine responses to the sessions bound to
// their client ids, stamping each session's next outbound seq_num; decodes the requests of
// readable sessions (38-byte records reassembled from any split), applies the session rules
// (Session) so that only valid NEW and CANCEL requests of logged-on sessions reach the
// sequencer; releases the sequencer into the engine's request queue in receive-time order;
// sends heartbeats and closes timed-out sessions; and flushes what it wrote, one send() per
// session per phase. Every step is non-blocking and bounded.
//
// Sessions end (counted by SessionCloseCause) on disconnect or reset, LOGOUT, heartbeat
// timeout, too many invalid messages, a send buffer overflow, or a rejected logon. A session
// that was logged on gets a kCancelAllOfClient request through the sequencer (after every
// request it sent before), never dropped: room for one per session is reserved.
//
// Graceful close (LOGON_REJECTED, REJECTED(NOT_LOGGED_IN), the last of too many invalid
// messages, LOGOUT, heartbeat timeout), so that the final replies arrive instead of being
// lost to a reset: input is read and discarded; a session that was logged on stays bound to
// its client id for close_grace, so the engine's answers to its last requests and the
// CANCELED of its cancel-on-disconnect still reach it; then, once its output is flushed,
// shutdown(SHUT_WR) sends FIN; the socket is closed when the peer closes, or close_grace
// later. A disconnected peer or a slow reader (its send bound exceeded) is cut at once, and
// engine responses for its client id are counted (responses_without_session), not sent.
//
// Latency (nanoseconds, DESIGN section 6): tcp_read_to_sequenced() from the TCP read of a
// NEW or CANCEL to its release to the engine; tcp_read_to_response_sent() from the TCP read
// of the request behind an engine response to the send() of that response.
//
// Thread contract: constructed on any thread (binds and listens there); poll() on the order
// server's thread, which is the producer of the request queue and the consumer of the
// response queue. counters() may be called from any thread; the histograms only from the
// order server's thread or when it is not running (after the runner stopped).
class OrderServer final : public common::Agent {
 public:
  static constexpr std::string_view kTcpReadToSequenced = "tcp_read_to_sequenced";
  static constexpr std::string_view kTcpReadToResponseSent = "tcp_read_to_response_sent";
  static constexpr std::string_view kSequencedToEngineIn = "sequenced_to_engine_in";
  // Responses staged per session within one poll phase; they leave in one send().
  static constexpr std::size_t kStagedResponsesPerSession = 64;

  // Start-up: validates the options, allocates every session, buffer and the sequencer, and
  // binds and listens. Throws std::invalid_argument naming the option for a bad value, and
  // std::system_error naming the address and errno text when the socket cannot be set up
  // (e.g. "bind 127.0.0.1:12345: Address already in use").
  OrderServer(const OrderServerOptions& options, RequestQueue& requests, ResponseQueue& responses,
              const common::TscClock& clock = common::TscClock::instance());

  OrderServer(const OrderServer&) = delete;
  OrderServer& operator=(const OrderServer&) = delete;
  ~OrderServer() override;

  // One bounded, non-blocking pass (see the class comment). Returns the work done; 0 when
  // nothing happened. Never allocates, locks or throws.
  int poll() override;

  [[nodiscard]] std::string_view name() const override { return "order_server"; }

  // The port actually bound (the kernel's choice when the options said 0). Any thread.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::string& local_name() const noexcept { return local_name_; }
  [[nodiscard]] const OrderServerOptions& options() const noexcept { return options_; }

  // A consistent-enough copy of the counters (each one is exact; they are not read at one
  // instant). Any thread.
  [[nodiscard]] OrderServerCounters counters() const noexcept;

  // Order server's thread, or when it is not running.
  [[nodiscard]] const common::LatencyHistogram& tcp_read_to_sequenced() const noexcept {
    return read_to_sequenced_;
  }
  [[nodiscard]] const common::LatencyHistogram& tcp_read_to_response_sent() const noexcept {
    return read_to_response_sent_;
  }
  // From the sequencer's release of a request to the engine taking it, once per request.
  [[nodiscard]] const common::LatencyHistogram& sequenced_to_engine_in() const noexcept {
    return sequenced_to_engine_in_;
  }
  // Requests waiting in the sequencer. Order server's thread.
  [[nodiscard]] std::size_t sequencer_pending() const noexcept { return sequencer_.size(); }

 private:
  using ConnectionId = common::TcpConnectionId;
  static constexpr std::uint32_t kNoSession = UINT32_MAX;

  // Written by the order server's thread only; any thread may load. A relaxed load plus
  // store is a plain increment on x86 (no lock prefix), and a reader never sees a torn value.
  class Counter {
   public:
    void add(std::uint64_t n = 1) noexcept {
      value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void sub(std::uint64_t n = 1) noexcept {
      value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
    }
    void set(std::uint64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t get() const noexcept {
      return value_.load(std::memory_order_relaxed);
    }

   private:
    std::atomic<std::uint64_t> value_{0};
  };

  struct Counters {
    Counter sessions_accepted;
    Counter sessions_live;
    Counter sessions_logged_on;
    Counter connections_refused;
    Counter requests_received;
    Counter requests_forwarded;
    Counter requests_sequenced;
    Counter cancel_alls;
    Counter responses_sent;
    Counter heartbeats_sent;
    Counter responses_without_session;
    Counter sequencer_stalls;
    std::array<Counter, kRejectReasonSlots> rejects_by_reason;
    std::array<Counter, kSessionCloseCauseCount> sessions_closed_by_cause;
  };

  // Per connection id: the session rules' state plus its I/O bookkeeping.
  struct SessionSlot {
    Session session;
    // When each buffered byte was read: a request's receive time is its last byte's read.
    ReadStamps stamps;
    std::uint64_t unbind_deadline_ticks = 0;  // closing: the client id is released then
    std::uint64_t close_deadline_ticks = 0;   // closing: the socket is closed then
    std::uint32_t staged = 0;
    bool has_backlog = false;    // whole requests left undecoded: the sequencer was full
    bool shutdown_sent = false;  // closing: SHUT_WR done after the final flush
    bool bound = false;          // sessions_by_client_ maps the session's client id here
    std::array<ClientResponse, kStagedResponsesPerSession> stage{};
    // recv_ticks of each staged engine response; 0 for session-level replies (not measured).
    std::array<std::uint64_t, kStagedResponsesPerSession> stage_recv_ticks{};
  };

  // A set of connection ids in insertion order, with O(1) insert and membership, that never
  // allocates after construction (each id is in it at most once).
  class IdList {
   public:
    explicit IdList(std::size_t max_ids) : member_(max_ids, 0) { ids_.reserve(max_ids); }

    void add(ConnectionId id) noexcept {
      if (member_[id] == 0) {
        member_[id] = 1;
        ids_.push_back(id);  // capacity reserved: never allocates
      }
    }
    [[nodiscard]] bool empty() const noexcept { return ids_.empty(); }

    // Calls keep(id) for each id present at the call; removes those for which it returns
    // false. keep may add() ids (they are kept and not visited in this pass).
    template <class Keep>
    void retain_if(Keep&& keep) noexcept {
      const std::size_t visited = ids_.size();
      std::size_t kept = 0;
      for (std::size_t i = 0; i < visited; ++i) {
        const ConnectionId id = ids_[i];
        if (keep(id)) {
          ids_[kept++] = id;
        } else {
          member_[id] = 0;
        }
      }
      for (std::size_t i = visited; i < ids_.size(); ++i) {
        ids_[kept++] = ids_[i];
      }
      ids_.resize(kept);  // shrinks: never allocates
    }

   private:
    std::vector<ConnectionId> ids_;
    std::vector<std::uint8_t> member_;
  };

  // TcpServer's handler. Its members are public for the TcpServerHandler concept and forward
  // to the server's private ones.
  struct Events {
    OrderServer& server;
    void on_accept(ConnectionId id, common::TcpConnection& connection) noexcept {
      server.on_accept(id, connection);
    }
    void on_data(ConnectionId id, common::TcpConnection& connection) noexcept {
      server.on_data(id, connection);
    }
    void on_closed(ConnectionId id) noexcept { server.on_closed(id); }
  };

  // --- TcpServer events ---

  void on_accept(ConnectionId id, common::TcpConnection& connection) noexcept {
    if (options_.socket_send_buffer_bytes > 0) {
      const int bytes = options_.socket_send_buffer_bytes;
      (void)::setsockopt(connection.fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
    }
    SessionSlot& slot = slots_[id];
    reset_io(slot);
    slot.session.open(clock_.now_ticks());
    counters_.sessions_accepted.add();
    counters_.sessions_live.add();
  }

  void on_data(ConnectionId id, common::TcpConnection& connection) noexcept {
    SessionSlot& slot = slots_[id];
    now_ = clock_.now_ticks();
    slot.session.on_bytes_received(now_);
    // Everything buffered but not yet seen by the stamps came with this read.
    const std::uint64_t buffered = connection.received_size();
    if (buffered > slot.stamps.unconsumed()) {
      slot.stamps.on_read(buffered - slot.stamps.unconsumed(), now_);
    }
    if (!slot.session.accepting_requests()) {
      discard_input(slot, connection);  // closing
      return;
    }
    decode(id, slot, connection);
  }

  static void discard_input(SessionSlot& slot, common::TcpConnection& connection) noexcept {
    connection.consume(connection.received_size());
    slot.stamps.discard_all();
  }

  // The peer closed or reset the connection, or a flush by the TcpServer failed; the
  // connection slot is already free.
  void on_closed(ConnectionId id) noexcept {
    SessionSlot& slot = slots_[id];
    end_session(slot, SessionCloseCause::kPeerClosed, false);
    forget_connection(slot);
  }

  // --- Inbound ---

  // Decodes whole requests while the sequencer has room. Stops at the first one that might
  // need a slot when it has none (has_backlog: resumed by process_backlog()).
  void decode(ConnectionId id, SessionSlot& slot, common::TcpConnection& connection) noexcept {
    while (const ClientRequest* next = connection.peek_message<ClientRequest>()) {
      if (LLT_UNLIKELY(sequencer_.size() >= options_.max_pending_requests)) {
        slot.has_backlog = true;
        backlog_.add(id);
        return;
      }
      const ClientRequest request = *next;
      connection.consume(sizeof(ClientRequest));
      const std::uint64_t recv_ticks = slot.stamps.consume(sizeof(ClientRequest));
      handle(id, slot, request, recv_ticks);
      if (LLT_UNLIKELY(!slot.session.accepting_requests())) {
        // Closing (the rest is discarded) or closed (the connection is already empty).
        if (common::TcpConnection* open = server_.connection(id)) {
          discard_input(slot, *open);
        }
        break;
      }
    }
    slot.has_backlog = false;
  }

  void handle(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
              std::uint64_t recv_ticks) noexcept {
    counters_.requests_received.add();
    const SessionDecision decision = slot.session.on_request(request, now_);
    switch (decision.action) {
      case SessionAction::kForward: {
        const bool added = sequencer_.add(request, recv_ticks);
        LLT_ASSERT(added, "decode() checked the sequencer's room");
        (void)added;
        counters_.requests_forwarded.add();
        return;
      }
      case SessionAction::kHeartbeat:
      case SessionAction::kIgnore:
        return;
      case SessionAction::kLogon:
        logon(id, slot, request);
        return;
      case SessionAction::kLogonRejected:
        reject_logon(id, slot, request, decision.reason);
        return;
      case SessionAction::kRejected:
        reject(id, slot, request, decision.reason);
        return;
      case SessionAction::kRejectedAndClose:
        reject(id, slot, request, decision.reason);
        if (slot.session.accepting_requests()) {
          close_gracefully(id, slot,
                           decision.reason == RejectReason::kNotLoggedIn
                               ? SessionCloseCause::kNotLoggedIn
                               : SessionCloseCause::kTooManyInvalid);
        }
        return;
      case SessionAction::kLogout:
        close_gracefully(id, slot, SessionCloseCause::kLogout);
        return;
    }
  }

  void logon(ConnectionId id, SessionSlot& slot, const ClientRequest& request) noexcept {
    const ClientId client_id = request.client_id;
    if (sessions_by_client_.find(client_id) != kNoSession) {
      reject_logon(id, slot, request, RejectReason::kClientIdInUse);
      return;
    }
    // Every logged-on session may need one cancel-all slot in the sequencer when it closes:
    // keep their number within the reserved room.
    if (LLT_UNLIKELY(logged_on_ + sequencer_.pending_cancel_alls() >= options_.max_sessions ||
                     !sessions_by_client_.insert(client_id, id))) {
      reject_logon(id, slot, request, RejectReason::kCapacity);
      return;
    }
    slot.session.accept_logon(client_id);
    slot.bound = true;
    ++logged_on_;
    counters_.sessions_logged_on.add();
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonAccepted;
    response.client_id = client_id;
    stage(id, slot, response, 0);
  }

  void reject_logon(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
                    RejectReason reason) noexcept {
    count_reject(reason);
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonRejected;
    response.client_id = request.client_id;
    response.reject_reason = reason;
    if (stage(id, slot, response, 0)) {
      close_gracefully(id, slot, SessionCloseCause::kLogonRejected);
    }
  }

  // REJECTED, echoing the request as the matcher does for its own rejects.
  void reject(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
              RejectReason reason) noexcept {
    count_reject(reason);
    ClientResponse response{};
    response.msg_type = ClientResponseType::kRejected;
    response.client_id = request.client_id;
    response.ticker_id = request.ticker_id;
    response.client_order_id = request.order_id;
    response.side = request.side;
    response.price = request.price;
    response.reject_reason = reason;
    (void)stage(id, slot, response, 0);
  }

  // Sessions that stopped decoding for lack of sequencer room, oldest first.
  int process_backlog() noexcept {
    int work = 0;
    backlog_.retain_if([&](ConnectionId id) noexcept {
      SessionSlot& slot = slots_[id];
      if (!slot.has_backlog || !slot.session.accepting_requests()) {
        slot.has_backlog = false;
        return false;
      }
      if (sequencer_.size() >= options_.max_pending_requests) {
        return true;
      }
      common::TcpConnection* connection = server_.connection(id);
      if (connection == nullptr) {
        slot.has_backlog = false;
        return false;
      }
      ++work;
      decode(id, slot, *connection);
      return slot.has_backlog;
    });
    return work;
  }

  // --- Outbound ---

  int drain_responses() noexcept {
    int work = 0;
    for (std::uint32_t n = 0; n < options_.max_responses_per_poll; ++n) {
      const MatchingResponse* item = responses_.front();
      if (item == nullptr) {
        break;
      }
      route(*item);
      responses_.pop();
      ++work;
    }
    return work;
  }

  void route(const MatchingResponse& item) noexcept {
    const ClientResponse& response = item.response;
    const ClientResponseType type = response.msg_type;
    if (type == ClientResponseType::kRejected || type == ClientResponseType::kCancelRejected) {
      count_reject(response.reject_reason);
    }
    // The one answer each request gets (ACCEPTED, REJECTED, CANCELED, CANCEL_REJECTED) times
    // the engine hop once per request; FILLEDs would count a request twice.
    if (type != ClientResponseType::kFilled && item.ticks.sequenced_ticks != 0 &&
        item.ticks.engine_in_ticks != 0) {
      sequenced_to_engine_in_.record(
          clock_.elapsed_ns(item.ticks.sequenced_ticks, item.ticks.engine_in_ticks));
    }
    const std::uint32_t id = sessions_by_client_.find(response.client_id);
    if (id == kNoSession) {
      counters_.responses_without_session.add();
      return;
    }
    // A zero stamp would read as "not measured"; a real read is never at tick 0.
    (void)stage(id, slots_[id], response, item.ticks.recv_ticks | 1u);
  }

  // Takes the session's next outbound seq_num for `response` and queues it for the end of
  // the phase (flush_dirty()); a full stage is flushed at once. Returns false when that
  // flush ended the session (the response was numbered but could not be written).
  bool stage(ConnectionId id, SessionSlot& slot, ClientResponse response,
             std::uint64_t recv_ticks) noexcept {
    response.seq_num = slot.session.next_outbound_seq(now_);
    slot.stage[slot.staged] = response;
    slot.stage_recv_ticks[slot.staged] = recv_ticks;
    ++slot.staged;
    dirty_.add(id);
    if (LLT_UNLIKELY(slot.staged == kStagedResponsesPerSession)) {
      return flush_session(id, slot);
    }
    return true;
  }

  // Writes the session's staged responses: one send() for all of them, or, when they do not
  // fit the send buffer together, one by one until one does not fit: that session is a slow
  // reader and is disconnected. Returns false when the session ended.
  bool flush_session(ConnectionId id, SessionSlot& slot) noexcept {
    const std::uint32_t staged = slot.staged;
    if (staged == 0) {
      return true;
    }
    slot.staged = 0;
    common::TcpConnection* connection = server_.connection(id);
    if (LLT_UNLIKELY(connection == nullptr)) {
      return false;
    }
    common::IoResult result =
        connection->send(slot.stage.data(), std::size_t{staged} * sizeof(ClientResponse));
    std::uint32_t sent = result.ok() ? staged : 0;
    if (LLT_UNLIKELY(result.status == common::IoStatus::kBufferFull)) {
      for (; sent < staged; ++sent) {
        result = connection->send(&slot.stage[sent], sizeof(ClientResponse));
        if (!result.ok()) {
          break;
        }
      }
    }
    record_sent(slot, sent);
    if (LLT_LIKELY(sent == staged)) {
      return true;
    }
    SessionCloseCause cause = SessionCloseCause::kSocketError;
    if (result.status == common::IoStatus::kBufferFull) {
      cause = SessionCloseCause::kSendBufferFull;
    } else if (result.status == common::IoStatus::kClosed) {
      cause = SessionCloseCause::kPeerClosed;
    }
    close_now(id, slot, cause);
    return false;
  }

  void record_sent(const SessionSlot& slot, std::uint32_t sent) noexcept {
    if (sent == 0) {
      return;
    }
    counters_.responses_sent.add(sent);
    const std::uint64_t now = clock_.now_ticks();
    for (std::uint32_t i = 0; i < sent; ++i) {
      const std::uint64_t recv_ticks = slot.stage_recv_ticks[i];
      if (recv_ticks != 0) {
        read_to_response_sent_.record(clock_.elapsed_ns(recv_ticks, now));
      }
    }
  }

  int flush_dirty() noexcept {
    int work = 0;
    dirty_.retain_if([&](ConnectionId id) noexcept {
      SessionSlot& slot = slots_[id];
      if (slot.staged > 0) {
        ++work;
        (void)flush_session(id, slot);
      }
      return false;
    });
    return work;
  }

  // --- Sequencing ---

  int release_requests() noexcept {
    const std::size_t released =
        sequencer_.release(requests_, clock_.now_ticks(), [&](const MatchingRequest& request) {
          if (request.request.msg_type != kCancelAllOfClient) {
            read_to_sequenced_.record(
                clock_.elapsed_ns(request.ticks.recv_ticks, request.ticks.sequenced_ticks));
          }
        });
    counters_.requests_sequenced.add(released);
    if (LLT_UNLIKELY(!sequencer_.empty())) {
      counters_.sequencer_stalls.add();
    }
    return static_cast<int>(released);
  }

  // --- Session ends ---

  // Stops a session that was still taking requests: counts the cause and, if it was logged
  // on, enqueues its cancel-all. With keep_bound the client id stays bound to the session
  // (engine responses still reach it) until unbind(); otherwise it is unbound now.
  // Idempotent: a session already closing or closed is left as it is.
  void end_session(SessionSlot& slot, SessionCloseCause cause, bool keep_bound) noexcept {
    if (!slot.session.accepting_requests()) {
      return;
    }
    counters_.sessions_closed_by_cause[static_cast<std::size_t>(cause)].add();
    if (slot.session.logged_on()) {
      ClientRequest cancel_all{};
      cancel_all.msg_type = kCancelAllOfClient;
      cancel_all.client_id = slot.session.client_id();
      // Stamped now, so it follows every request the session sent before; the reserve of
      // one slot per logged-on session (see logon()) means it always fits.
      const bool added = sequencer_.add(cancel_all, clock_.now_ticks());
      LLT_ASSERT(added, "the sequencer keeps room for one cancel-all per logged-on session");
      (void)added;
      counters_.cancel_alls.add();
      --logged_on_;
      counters_.sessions_logged_on.sub();
    }
    slot.session.start_closing();
    if (!keep_bound) {
      unbind(slot);
    }
  }

  void unbind(SessionSlot& slot) noexcept {
    if (slot.bound) {
      sessions_by_client_.erase(slot.session.client_id());
      slot.bound = false;
    }
  }

  // Ends the session and closes the socket once the peer has the final replies (see
  // sweep_closing()). A session that was logged on lingers bound for close_grace first, so
  // the engine's answers to its last requests and the CANCELED of its cancel-on-disconnect
  // still reach it (a new logon with its id meanwhile gets CLIENT_ID_IN_USE).
  void close_gracefully(ConnectionId id, SessionSlot& slot, SessionCloseCause cause) noexcept {
    const bool linger = slot.session.logged_on();
    end_session(slot, cause, linger);
    if (!flush_session(id, slot)) {
      return;
    }
    common::TcpConnection* connection = server_.connection(id);
    if (connection == nullptr) {
      forget_connection(slot);
      return;
    }
    discard_input(slot, *connection);
    const std::uint64_t now = clock_.now_ticks();
    slot.unbind_deadline_ticks = linger ? now + close_grace_ticks_ : now;
    slot.close_deadline_ticks = slot.unbind_deadline_ticks + close_grace_ticks_;
    slot.shutdown_sent = false;
    closing_.add(id);
  }

  // Ends the session and closes its socket now; queued output is dropped.
  void close_now(ConnectionId id, SessionSlot& slot, SessionCloseCause cause) noexcept {
    end_session(slot, cause, false);
    (void)server_.close(id);
    forget_connection(slot);
  }

  // The connection is gone: the slot is free for the next accept.
  void forget_connection(SessionSlot& slot) noexcept {
    unbind(slot);
    if (slot.session.state() != SessionState::kClosed) {
      slot.session.close();
      counters_.sessions_live.sub();
    }
    reset_io(slot);
  }

  static void reset_io(SessionSlot& slot) noexcept {
    slot.staged = 0;
    slot.has_backlog = false;
    slot.shutdown_sent = false;
    slot.bound = false;
    slot.stamps.reset();
    slot.unbind_deadline_ticks = 0;
    slot.close_deadline_ticks = 0;
  }

  // Closing sessions: unbind at the linger deadline, shutdown(SHUT_WR) once unbound and
  // flushed, close at the close deadline. The peer's own close usually comes first (the
  // TcpServer reports it through on_closed).
  int sweep_closing() noexcept {
    int work = 0;
    const std::uint64_t now = clock_.now_ticks();
    closing_.retain_if([&](ConnectionId id) noexcept {
      SessionSlot& slot = slots_[id];
      if (slot.session.state() != SessionState::kClosing) {
        return false;
      }
      common::TcpConnection* connection = server_.connection(id);
      if (connection == nullptr) {
        forget_connection(slot);
        return false;
      }
      if (slot.bound && now >= slot.unbind_deadline_ticks) {
        unbind(slot);
        ++work;
      }
      if (!slot.bound && !slot.shutdown_sent && slot.staged == 0 &&
          connection->pending_send_bytes() == 0) {
        (void)::shutdown(connection->fd(), SHUT_WR);
        slot.shutdown_sent = true;
        ++work;
      }
      if (now >= slot.close_deadline_ticks) {
        (void)server_.close(id);
        forget_connection(slot);
        ++work;
        return false;
      }
      return true;
    });
    return work;
  }

  // Heartbeats owed and receive timeouts; every sweep_interval.
  int sweep_timers() noexcept {
    int work = 0;
    now_ = clock_.now_ticks();
    for (ConnectionId id = 0; id < slots_.size(); ++id) {
      SessionSlot& slot = slots_[id];
      if (!slot.session.accepting_requests()) {
        continue;
      }
      if (slot.session.receive_timed_out(now_, heartbeat_timeout_ticks_)) {
        close_gracefully(id, slot, SessionCloseCause::kHeartbeatTimeout);
        ++work;
      } else if (slot.session.heartbeat_due(now_, heartbeat_interval_ticks_)) {
        ClientResponse heartbeat{};
        heartbeat.msg_type = ClientResponseType::kHeartbeat;
        heartbeat.client_id = slot.session.client_id();
        if (stage(id, slot, heartbeat, 0)) {
          counters_.heartbeats_sent.add();
        }
        ++work;
      }
    }
    counters_.connections_refused.set(server_.refused_connections());
    return work;
  }

  void count_reject(RejectReason reason) noexcept {
    counters_.rejects_by_reason[OrderServerCounters::slot_of(reason)].add();
  }

  OrderServerOptions options_;
  RequestQueue& requests_;
  ResponseQueue& responses_;
  const common::TscClock& clock_;
  std::uint64_t heartbeat_interval_ticks_ = 0;
  std::uint64_t heartbeat_timeout_ticks_ = 0;
  std::uint64_t close_grace_ticks_ = 0;
  std::uint64_t sweep_interval_ticks_ = 0;
  std::uint64_t last_sweep_ticks_ = 0;
  std::uint64_t now_ = 0;  // the current phase's clock reading
  std::size_t logged_on_ = 0;
  common::TcpServer server_;
  std::uint16_t port_ = 0;
  std::string local_name_;
  std::vector<SessionSlot> slots_;  // indexed by connection id
  FixedHashMap<ClientId, std::uint32_t, kNoSession> sessions_by_client_;
  FifoSequencer sequencer_;
  IdList dirty_;    // sessions with staged responses
  IdList backlog_;  // sessions with undecoded requests waiting for sequencer room
  IdList closing_;  // sessions flushing a final reply
  common::LatencyHistogram read_to_sequenced_;
  common::LatencyHistogram read_to_response_sent_;
  common::LatencyHistogram sequenced_to_engine_in_;
  Counters counters_;
};

}  // namespace llt::exchange
