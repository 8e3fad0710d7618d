#include "exchange/order_server/order_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

namespace llt::exchange {
namespace {

// Heartbeats and timeouts are checked this often.
constexpr std::chrono::microseconds kTimerSweepInterval{1000};
constexpr std::chrono::seconds kPercentilesInterval{1};
// Kept responses sent per replaying session per poll, and per send().
constexpr std::size_t kReplayChunk = 64;
constexpr int kReplayChunksPerPoll = 16;

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
  tcp.io = options.io;
  return tcp;
}

}  // namespace

OrderServer::OrderServer(const OrderServerOptions& options, RequestQueue& requests,
                         ResponseQueue& responses, const common::TscClock& clock,
                         JournalSink* journal)
    : options_(check_options(options)),
      requests_(requests),
      responses_(responses),
      clock_(clock),
      heartbeat_interval_ticks_(clock.to_ticks(options_.heartbeat_interval)),
      heartbeat_timeout_ticks_(clock.to_ticks(options_.heartbeat_timeout)),
      close_grace_ticks_(clock.to_ticks(options_.close_grace)),
      sweep_interval_ticks_(clock.to_ticks(kTimerSweepInterval)),
      percentiles_interval_ticks_(clock.to_ticks(kPercentilesInterval)),
      server_(tcp_options(options_)),
      port_(server_.port()),
      uring_(server_.io_backend() == common::IoBackend::kUring),
      local_name_(server_.local_name()),
      slots_(options_.max_sessions),
      streams_(options_.max_clients, options_.replay_depth),
      // One cancel-all per session is reserved on top of the requests (see logon()).
      sequencer_(options_.max_pending_requests + options_.max_sessions),
      journal_(journal),
      dirty_(options_.max_sessions),
      backlog_(options_.max_sessions),
      closing_(options_.max_sessions),
      replaying_(options_.max_sessions) {
  for (SessionSlot& slot : slots_) {
    slot.session = Session(
        options_.max_invalid_messages,
        OrderThrottle(options_.max_orders_per_second, clock_.to_ticks(std::chrono::seconds(1))));
  }
  last_sweep_ticks_ = clock_.now_ticks();
  streams_.start_prefault(options_.response_prefault_bytes);
}

OrderServer::~OrderServer() = default;

int OrderServer::poll() {
  now_ = clock_.now_ticks();
  send_stage_ = stages_.send;
  int work = routed(stages_.route);
  work += flush_dirty();
  work += timed(stages_.reads, [this] {
    int done = process_backlog();
    Events events{*this};
    done += server_.poll(events);
    return done;
  });
  work += timed(stages_.release, [this] { return release_requests(); });
  work += timed(stages_.timers, [this] {
    int done = 0;
    now_ = clock_.now_ticks();
    if (now_ - last_sweep_ticks_ >= sweep_interval_ticks_) {
      last_sweep_ticks_ = now_;
      done += sweep_timers();
    }
    if (!closing_.empty()) {
      done += sweep_closing();
    }
    return done;
  });
  work += flush_dirty();
  if (!replaying_.empty()) {
    work += timed(stages_.timers, [this] { return pump_replays(); });
  }
  return work + submit_sends();
}

int OrderServer::send_responses() noexcept {
  now_ = clock_.now_ticks();
  send_stage_ = stages_.sender_send;
  const int work = routed(stages_.sender_route) + flush_dirty();
  return work + submit_sends();
}

int OrderServer::submit_sends() noexcept {
  if (!uring_) {
    return 0;  // epoll: send() already wrote to the kernel
  }
  int submitted = 0;
  if (LLT_LIKELY(stage_costs_ == nullptr)) {
    submitted = server_.submit();
  } else {
    const std::uint64_t begin = stage_costs_->now();
    submitted = server_.submit();
    stage_costs_->record(send_stage_, stage_costs_->now() - begin, submitted > 0);
  }
  // Input the submit took from the ring waits for the next poll: work, so the thread does
  // not sleep on a ring it emptied.
  return (submitted > 0 ? 1 : 0) + (server_.has_pending_input() ? 1 : 0);
}

int OrderServer::routed(common::StageCosts::Stage stage) noexcept {
  if (LLT_LIKELY(stage_costs_ == nullptr)) {
    return drain_responses();
  }
  // The send() calls of full batches made while routing are the send stage's, not this one's.
  const std::uint64_t sends_before = send_ticks_;
  const std::uint64_t before = stage_costs_->now();
  const int work = drain_responses();
  const std::uint64_t took = stage_costs_->now() - before - (send_ticks_ - sends_before);
  stage_costs_->record(stage, took, work > 0);
  return work;
}

void OrderServer::set_stage_costs(common::StageCosts* costs, common::StageCosts::Stage server,
                                  common::StageCosts::Stage sender) {
  stage_costs_ = costs;
  if (costs == nullptr) {
    return;
  }
  stages_.route = costs->add("responses: route, number, keep", server);
  stages_.send = costs->add("responses: send() calls", server);
  stages_.reads = costs->add("requests: epoll, read, decode, session rules", server);
  stages_.release = costs->add("requests: sequencer release (journal, queue)", server);
  stages_.timers = costs->add("timers, closing sessions, replays", server);
  if (sender != common::StageCosts::kNoParent) {
    stages_.sender_route = costs->add("responses: route, number, keep", sender);
    stages_.sender_send = costs->add("responses: send() calls", sender);
  } else {
    stages_.sender_route = stages_.route;
    stages_.sender_send = stages_.send;
  }
}

// The private members below are reached only from poll(), in this unit; `inline` keeps the
// inlining they had when they were defined in the class.

inline void OrderServer::on_accept(ConnectionId id, common::TcpConnection& connection) noexcept {
  if (options_.socket_send_buffer_bytes > 0) {
    const int bytes = options_.socket_send_buffer_bytes;
    (void)::setsockopt(connection.fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }
  SessionSlot& slot = slots_[id];
  reset_io(slot);
  slot.session.open(clock_.now_ticks());
  counters_.sessions_accepted.add();
  counters_.sessions_live.add();
  if (logger_ != nullptr) {
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    if (::getpeername(connection.fd(), reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
        peer.sin_family != AF_INET) {
      peer = sockaddr_in{};
    }
    const std::uint32_t address = ntohl(peer.sin_addr.s_addr);
    LLT_LOG_INFO(*logger_, "audit connect conn {} peer {}.{}.{}.{}:{}", id, address >> 24,
                 (address >> 16) & 0xff, (address >> 8) & 0xff, address & 0xff,
                 ntohs(peer.sin_port));
  }
}

inline void OrderServer::on_data(ConnectionId id, common::TcpConnection& connection) noexcept {
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

inline void OrderServer::discard_input(SessionSlot& slot,
                                       common::TcpConnection& connection) noexcept {
  connection.consume(connection.received_size());
  slot.stamps.discard_all();
}

inline void OrderServer::on_closed(ConnectionId id) noexcept {
  SessionSlot& slot = slots_[id];
  end_session(slot, SessionCloseCause::kPeerClosed, false);
  forget_connection(slot);
}

inline void OrderServer::decode(ConnectionId id, SessionSlot& slot,
                                common::TcpConnection& connection) noexcept {
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

inline void OrderServer::handle(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
                                std::uint64_t recv_ticks) noexcept {
  counters_.requests_received.add();
  const SessionDecision decision = slot.session.on_request(request, now_);
  switch (decision.action) {
    case SessionAction::kForward: {
      LLT_VERIFY(sequencer_.add(request, recv_ticks), "decode() checked the sequencer's room");
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
      reject(id, slot, request, decision.reason, recv_ticks);
      return;
    case SessionAction::kRejectedAndClose:
      reject(id, slot, request, decision.reason, recv_ticks);
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

inline void OrderServer::logon(ConnectionId id, SessionSlot& slot,
                               const ClientRequest& request) noexcept {
  const ClientId client_id = request.client_id;
  ClientStream* stream = streams_.find(client_id);
  if (stream != nullptr && stream->connection != ClientStream::kNoConnection) {
    reject_logon(id, slot, request, RejectReason::kClientIdInUse);
    return;
  }
  // Every logged-on session may need one cancel-all slot in the sequencer when it closes:
  // keep their number within the reserved room.
  const auto logged_on = static_cast<std::size_t>(counters_.sessions_logged_on.load());
  if (LLT_UNLIKELY(logged_on + sequencer_.pending_cancel_alls() >= options_.max_sessions)) {
    reject_logon(id, slot, request, RejectReason::kCapacity);
    return;
  }
  // LOGON order_id: the first response number to replay (0: none).
  const SeqNum replay_from = request.order_id;
  const SeqNum next_response = stream != nullptr ? stream->next_response : 1;
  if (replay_from > next_response) {
    reject_logon(id, slot, request, RejectReason::kBadSeqNum);
    return;
  }
  if (replay_from != 0 && stream != nullptr && replay_from < streams_.oldest(*stream)) {
    reject_logon(id, slot, request, RejectReason::kReplayUnavailable);
    return;
  }
  if (stream == nullptr) {
    stream = streams_.find_or_add(client_id);
    if (LLT_UNLIKELY(stream == nullptr)) {
      reject_logon(id, slot, request, RejectReason::kCapacity);
      return;
    }
  }
  const bool keep_orders = (request.flags & kFlagKeepOrders) != 0;
  if (journal_ != nullptr) {
    journal_->append(request);  // committed with this poll's release, before any request
  }
  stream->connection = id;
  stream->keep_orders = keep_orders;
  stream->connected = true;
  slot.stream = stream;
  slot.keep_orders = keep_orders;
  slot.session.accept_logon(client_id, stream->next_request);
  slot.bound = true;
  slot.send_cursor = replay_from != 0 ? replay_from : stream->next_response;
  slot.replaying = slot.send_cursor < stream->next_response;
  if (slot.replaying) {
    replaying_.add(id);
    counters_.logons_with_replay.add();
  }
  counters_.sessions_logged_on.add();
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_,
                 "audit logon accepted conn {} client {} keep_orders {} replay_from {} "
                 "next_request {} next_response {}",
                 id, client_id, keep_orders ? 1 : 0, replay_from, stream->next_request,
                 stream->next_response);
  }
  ClientResponse response{};
  response.msg_type = ClientResponseType::kLogonAccepted;
  response.client_id = client_id;
  response.seq_num = slot.send_cursor;
  response.client_order_id = stream->next_request;
  response.market_order_id = stream->next_response;
  // false: the flush ended the session (close_now cancelled the orders it may already have
  // sent, and counted the cause); nothing is left to do here.
  (void)stage(id, slot, response, 0);
}

inline void OrderServer::reject_logon(ConnectionId id, SessionSlot& slot,
                                      const ClientRequest& request, RejectReason reason) noexcept {
  count_reject(reason);
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_, "audit logon rejected conn {} client {} reason {} ({})", id,
                 request.client_id, to_string(reason), static_cast<unsigned>(reason));
  }
  ClientResponse response{};
  response.msg_type = ClientResponseType::kLogonRejected;
  response.client_id = request.client_id;
  response.reject_reason = reason;
  // Unnumbered: it carries the next number of the client's response stream.
  const ClientStream* stream = streams_.find(request.client_id);
  response.seq_num = stream != nullptr ? stream->next_response : 1;
  if (stage(id, slot, response, 0)) {
    close_gracefully(id, slot, SessionCloseCause::kLogonRejected);
  }
}

inline void OrderServer::reject(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
                                RejectReason reason, std::uint64_t recv_ticks) noexcept {
  if (slot.session.logged_on()) {
    reject_numbered(slot, request, reason, recv_ticks);
    return;
  }
  count_reject(reason);
  audit_reject(ClientResponseType::kRejected, request.client_id, request.order_id,
               request.ticker_id, reason);
  // A connection that never logged on belongs to no stream: seq_num 0.
  ClientResponse response{};
  response.msg_type = ClientResponseType::kRejected;
  response.client_id = request.client_id;
  response.ticker_id = request.ticker_id;
  response.client_order_id = request.order_id;
  response.side = request.side;
  response.price = request.price;
  response.reject_reason = reason;
  // false: the flush ended the session; the caller sees it in accepting_requests().
  (void)stage(id, slot, response, 0);
}

inline void OrderServer::reject_numbered(const SessionSlot& slot, const ClientRequest& request,
                                         RejectReason reason, std::uint64_t recv_ticks) noexcept {
  ClientRequest internal = request;
  internal.msg_type = kSessionReject;
  internal.client_id = slot.session.client_id();
  internal.flags = static_cast<std::uint8_t>(reason);
  // decode() checked the sequencer's room before this request; the order server counts the
  // reject when the engine's REJECTED comes back (route()).
  LLT_VERIFY(sequencer_.add(internal, recv_ticks), "decode() checked the sequencer's room");
}

inline int OrderServer::process_backlog() noexcept {
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

inline int OrderServer::drain_responses() noexcept {
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

inline void OrderServer::route(const MatchingResponse& item) noexcept {
  const ClientResponse& response = item.response;
  const ClientResponseType type = response.msg_type;
  if (type == ClientResponseType::kRejected || type == ClientResponseType::kCancelRejected ||
      type == ClientResponseType::kModifyRejected) {
    count_reject(response.reject_reason);
    audit_reject(type, response.client_id, response.client_order_id, response.ticker_id,
                 response.reject_reason);
  }
  // The one answer each request gets (ACCEPTED, REJECTED, CANCELED, CANCEL_REJECTED) times
  // the engine hop once per request; FILLEDs would count a request twice.
  if (type != ClientResponseType::kFilled && item.ticks.sequenced_ticks != 0 &&
      item.ticks.engine_in_ticks != 0) {
    sequenced_to_engine_in_.record(
        clock_.elapsed_ns(item.ticks.sequenced_ticks, item.ticks.engine_in_ticks));
  }
  ClientStream* stream = streams_.find(response.client_id);
  if (LLT_UNLIKELY(stream == nullptr)) {
    // Only a client that logged on can cause a response; counted in case that ever breaks.
    counters_.responses_without_session.add();
    return;
  }
  const SeqNum seq = streams_.append(*stream, response).seq_num;
  const std::uint32_t id = stream->connection;
  if (id == ClientStream::kNoConnection) {
    counters_.responses_without_session.add();  // kept for the client's next connection
    return;
  }
  SessionSlot& slot = slots_[id];
  if (slot.replaying) {
    return;  // pump_replays() sends it after the responses before it
  }
  slot.send_cursor = seq + 1;
  // A zero stamp would read as "not measured"; a real read is never at tick 0. false: the
  // flush ended the session; the response stays kept for the client's next connection.
  (void)stage(id, slot, response, seq, item.ticks.recv_ticks | 1u);
}

inline bool OrderServer::stage(ConnectionId id, SessionSlot& slot, const ClientResponse& response,
                               SeqNum seq, std::uint64_t recv_ticks) noexcept {
  slot.session.on_sent(now_);
  slot.stage[slot.staged] = response;
  slot.stage[slot.staged].seq_num = seq;
  slot.stage_recv_ticks[slot.staged] = recv_ticks;
  ++slot.staged;
  dirty_.add(id);
  if (LLT_UNLIKELY(slot.staged == kStagedResponsesPerSession)) {
    return flush_session(id, slot);
  }
  return true;
}

inline bool OrderServer::flush_session(ConnectionId id, SessionSlot& slot) noexcept {
  const std::uint32_t staged = slot.staged;
  if (staged == 0) {
    return true;
  }
  slot.staged = 0;
  common::TcpConnection* connection = server_.connection(id);
  if (LLT_UNLIKELY(connection == nullptr)) {
    return false;
  }
  const std::uint64_t send_begin = stage_costs_ != nullptr ? stage_costs_->now() : 0;
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
  if (LLT_UNLIKELY(stage_costs_ != nullptr)) {
    const std::uint64_t took = stage_costs_->now() - send_begin;
    send_ticks_ += took;
    stage_costs_->record(send_stage_, took, sent > 0);
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

inline void OrderServer::record_sent(const SessionSlot& slot, std::uint32_t sent) noexcept {
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

inline int OrderServer::flush_dirty() noexcept {
  int work = 0;
  dirty_.retain_if([&](ConnectionId id) noexcept {
    SessionSlot& slot = slots_[id];
    if (slot.staged > 0) {
      ++work;
      (void)flush_session(id, slot);  // false: it closed the session; nothing else to do
    }
    return false;
  });
  return work;
}

inline int OrderServer::release_requests() noexcept {
  std::size_t count = SIZE_MAX;
  if (journal_ != nullptr) {
    if (LLT_UNLIKELY(journal_failed_.load(std::memory_order_relaxed))) {
      return 0;
    }
    // Journal exactly what the engine's queue surely takes (only this thread pushes), then
    // release it: nothing reaches the engine before it is in the journal.
    count = std::min(sequencer_.size(), requests_.capacity() - requests_.size_guess());
    journal_->append(sequencer_.pending(count));
    if (LLT_UNLIKELY(!journal_->commit())) {
      journal_failed_.store(true, std::memory_order_release);
      return 0;
    }
  }
  const std::size_t released = sequencer_.release(
      requests_, clock_.now_ticks(),
      [&](const MatchingRequest& request) {
        if (is_order_type(request.request.msg_type)) {
          read_to_sequenced_.record(
              clock_.elapsed_ns(request.ticks.recv_ticks, request.ticks.sequenced_ticks));
        }
      },
      count);
  counters_.requests_sequenced.add(released);
  if (LLT_UNLIKELY(!sequencer_.empty())) {
    counters_.sequencer_stalls.add();
  }
  return static_cast<int>(released);
}

inline void OrderServer::end_session(SessionSlot& slot, SessionCloseCause cause,
                                     bool keep_bound) noexcept {
  if (!slot.session.accepting_requests()) {
    return;
  }
  counters_.sessions_closed_by_cause[static_cast<std::size_t>(cause)].add();
  if (logger_ != nullptr) {
    LLT_LOG_INFO(*logger_, "audit disconnect conn {} client {} cause {} ({})",
                 static_cast<std::uint32_t>(&slot - slots_.data()),
                 slot.session.logged_on() ? slot.session.client_id() : ClientId{0},
                 to_string(cause), static_cast<unsigned>(cause));
  }
  if (slot.session.logged_on()) {
    slot.stream->next_request = slot.session.expected_seq();
    counters_.sessions_logged_on.sub();
  }
  if (slot.session.logged_on() && !slot.keep_orders) {
    slot.stream->connected = false;
    ClientRequest cancel_all{};
    cancel_all.msg_type = kCancelAllOfClient;
    cancel_all.client_id = slot.session.client_id();
    // Stamped now, so it follows every request the session sent before; the reserve of
    // one slot per logged-on session (see logon()) means it always fits.
    LLT_VERIFY(sequencer_.add(cancel_all, clock_.now_ticks()),
               "the sequencer keeps room for one cancel-all per logged-on session");
    counters_.cancel_alls.add();
  }
  slot.session.start_closing();
  if (!keep_bound) {
    unbind(slot);
  }
}

inline void OrderServer::unbind(SessionSlot& slot) noexcept {
  if (slot.bound) {
    slot.stream->connection = ClientStream::kNoConnection;
    slot.bound = false;
    slot.replaying = false;
  }
}

inline void OrderServer::close_gracefully(ConnectionId id, SessionSlot& slot,
                                          SessionCloseCause cause) noexcept {
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

inline void OrderServer::close_now(ConnectionId id, SessionSlot& slot,
                                   SessionCloseCause cause) noexcept {
  end_session(slot, cause, false);
  (void)server_.close(id);
  forget_connection(slot);
}

inline void OrderServer::forget_connection(SessionSlot& slot) noexcept {
  unbind(slot);
  if (slot.session.state() != SessionState::kClosed) {
    slot.session.close();
    counters_.sessions_live.sub();
  }
  reset_io(slot);
}

inline void OrderServer::reset_io(SessionSlot& slot) noexcept {
  slot.staged = 0;
  slot.has_backlog = false;
  slot.shutdown_sent = false;
  slot.bound = false;
  slot.stream = nullptr;
  slot.replaying = false;
  slot.keep_orders = false;
  slot.send_cursor = 0;
  slot.stamps.reset();
  slot.unbind_deadline_ticks = 0;
  slot.close_deadline_ticks = 0;
}

inline int OrderServer::sweep_closing() noexcept {
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

inline int OrderServer::sweep_timers() noexcept {
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
    } else if (!slot.replaying && slot.session.heartbeat_due(now_, heartbeat_interval_ticks_)) {
      ClientResponse heartbeat{};
      heartbeat.msg_type = ClientResponseType::kHeartbeat;
      heartbeat.client_id = slot.session.client_id();
      heartbeat.seq_num = slot.stream->next_response;  // unnumbered: the next live number
      if (stage(id, slot, heartbeat, 0)) {
        counters_.heartbeats_sent.add();
      }
      ++work;
    }
  }
  counters_.connections_refused.set(server_.refused_connections());
  if (now_ >= next_percentiles_ticks_) {
    // A walk over the histogram's buckets (a few microseconds), once a second: for the
    // status of a running exchange (--stats-csv), read on another thread.
    counters_.response_p50_ns.set(read_to_response_sent_.percentile(50));
    counters_.response_p99_ns.set(read_to_response_sent_.percentile(99));
    next_percentiles_ticks_ = now_ + percentiles_interval_ticks_;
  }
  return work;
}

inline int OrderServer::pump_replays() noexcept {
  int work = 0;
  replaying_.retain_if([&](ConnectionId id) noexcept {
    SessionSlot& slot = slots_[id];
    if (!slot.replaying || !slot.bound || !slot.session.logged_on()) {
      slot.replaying = false;
      return false;
    }
    // The LOGON_ACCEPTED (and anything else staged) goes first.
    if (slot.staged > 0 && !flush_session(id, slot)) {
      return false;
    }
    common::TcpConnection* connection = server_.connection(id);
    if (connection == nullptr) {
      return false;
    }
    const ClientStream& stream = *slot.stream;
    for (int chunk = 0; chunk < kReplayChunksPerPoll; ++chunk) {
      if (slot.send_cursor == stream.next_response) {
        if (connection->pending_send_bytes() != 0) {
          // Caught up, but the replay still fills the connection's buffer: stay here, or the
          // next live response could find no room and cut the client as a slow reader.
          (void)connection->flush();
          return true;
        }
        slot.replaying = false;  // caught up: route() sends live responses from now on
        return false;
      }
      const std::span<const ClientResponse> run =
          streams_.run(stream, slot.send_cursor, kReplayChunk);
      if (LLT_UNLIKELY(run.empty())) {
        // The client read so slowly that its ring overwrote what it had not been sent.
        close_now(id, slot, SessionCloseCause::kSendBufferFull);
        return false;
      }
      const common::IoResult result = connection->send(run.data(), run.size_bytes());
      if (result.status == common::IoStatus::kBufferFull) {
        return true;  // the socket is full: go on at the next poll
      }
      if (!result.ok()) {
        close_now(id, slot,
                  result.status == common::IoStatus::kClosed ? SessionCloseCause::kPeerClosed
                                                             : SessionCloseCause::kSocketError);
        return false;
      }
      ++work;
      slot.send_cursor += run.size();
      slot.session.on_sent(now_);
      counters_.responses_sent.add(run.size());
      counters_.responses_replayed.add(run.size());
    }
    return true;
  });
  return work;
}

inline void OrderServer::count_reject(RejectReason reason) noexcept {
  counters_.rejects_by_reason[OrderServerCounters::slot_of(reason)].add();
}

inline void OrderServer::audit_reject(ClientResponseType type, ClientId client_id,
                                      OrderId client_order_id, TickerId ticker_id,
                                      RejectReason reason) noexcept {
  if (logger_ != nullptr) {
    const std::string_view what = type == ClientResponseType::kCancelRejected   ? "cancel"
                                  : type == ClientResponseType::kModifyRejected ? "modify"
                                                                                : "new";
    LLT_LOG_INFO(*logger_, "audit reject {} client {} order {} ticker {} reason {} ({})", what,
                 client_id, client_order_id, ticker_id, to_string(reason),
                 static_cast<unsigned>(reason));
  }
}
OrderServerCounters OrderServer::counters() const noexcept {
  OrderServerCounters copy;
  copy.sessions_accepted = counters_.sessions_accepted.load();
  copy.sessions_live = static_cast<std::uint64_t>(counters_.sessions_live.load());
  copy.sessions_logged_on = static_cast<std::uint64_t>(counters_.sessions_logged_on.load());
  copy.connections_refused = counters_.connections_refused.load();
  copy.requests_received = counters_.requests_received.load();
  copy.requests_forwarded = counters_.requests_forwarded.load();
  copy.requests_sequenced = counters_.requests_sequenced.load();
  copy.cancel_alls = counters_.cancel_alls.load();
  copy.responses_sent = counters_.responses_sent.load();
  copy.heartbeats_sent = counters_.heartbeats_sent.load();
  copy.responses_without_session = counters_.responses_without_session.load();
  copy.responses_replayed = counters_.responses_replayed.load();
  copy.logons_with_replay = counters_.logons_with_replay.load();
  copy.sequencer_stalls = counters_.sequencer_stalls.load();
  copy.response_p50_ns = counters_.response_p50_ns.load();
  copy.response_p99_ns = counters_.response_p99_ns.load();
  for (std::size_t i = 0; i < kRejectReasonSlots; ++i) {
    copy.rejects_by_reason[i] = counters_.rejects_by_reason[i].load();
  }
  for (std::size_t i = 0; i < kSessionCloseCauseCount; ++i) {
    copy.sessions_closed_by_cause[i] = counters_.sessions_closed_by_cause[i].load();
  }
  return copy;
}

}  // namespace llt::exchange
