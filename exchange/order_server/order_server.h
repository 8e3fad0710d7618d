#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/containers/fixed_hash_map.h"
#include "common/containers/id_list.h"
#include "common/error.h"
#include "common/logging/logger.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "common/stats/latency_histogram.h"
#include "common/stats/stage_costs.h"
#include "common/time/tsc_clock.h"
#include "exchange/exchange_messages.h"
#include "exchange/order_server/client_streams.h"
#include "exchange/order_server/fifo_sequencer.h"
#include "exchange/order_server/journal_sink.h"
#include "exchange/order_server/order_server_counters.h"
#include "exchange/order_server/order_server_options.h"
#include "exchange/order_server/read_stamps.h"
#include "exchange/order_server/session.h"
#include "exchange/order_server/session_close_cause.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/reject_reason.h"

namespace llt::exchange {

// The exchange's order server agent (docs/architecture.md): the TCP gateway and the FIFO
// sequencer in front of the matching engine. It acts on the session rules' decisions
// (Session, docs/protocol.md), so only valid NEW, CANCEL and MODIFY requests of logged-on
// sessions reach the engine; numbers the engine's responses in each client's response stream
// (ClientStreams), keeps them for replay and sends them to the client's connection, replaying
// what a reconnecting client asks for before any live response; journals every input before
// the engine sees it when it has a journal; and has the orders of a session cancelled when it
// ends unless its LOGON set KEEP_ORDERS (docs/recovery.md). Every step is non-blocking and
// bounded. Thread contract: at each member; unmarked members run on the order server's thread.
class OrderServer final : public common::Agent {
 public:
  static constexpr std::string_view kTcpReadToSequenced = "tcp_read_to_sequenced";
  static constexpr std::string_view kTcpReadToResponseSent = "tcp_read_to_response_sent";
  static constexpr std::string_view kSequencedToEngineIn = "sequenced_to_engine_in";
  // Responses staged per session within one poll phase; they leave in one send().
  static constexpr std::size_t kStagedResponsesPerSession = 64;

  // Start-up, on any thread: validates the options, allocates every session, buffer and the
  // sequencer, and binds and listens. Throws std::invalid_argument naming the option for a bad
  // value, and std::system_error naming the address and errno text when the socket cannot be
  // set up (e.g. "bind 127.0.0.1:12345: Address already in use"). The order server's thread
  // is the producer of `requests` and the consumer of `responses`.
  // `journal`, when given, receives every input before the engine does (it must outlive the
  // server).
  OrderServer(const OrderServerOptions& options, RequestQueue& requests, ResponseQueue& responses,
              const common::TscClock& clock = common::TscClock::instance(),
              JournalSink* journal = nullptr);

  OrderServer(const OrderServer&) = delete;
  OrderServer& operator=(const OrderServer&) = delete;
  ~OrderServer() override;

  // One bounded, non-blocking pass: routes up to max_responses_per_poll engine responses to
  // the sessions bound to their client ids, stamping each session's next outbound seq_num;
  // decodes the requests of readable sessions (40-byte records reassembled from any split)
  // and acts on the session rules' decision for each; releases the sequencer into the
  // engine's request queue in receive-time order; sends heartbeats and closes timed-out
  // sessions; and flushes what it wrote, one send() per session per phase. Returns the work
  // done; 0 when nothing happened. Never allocates, locks or throws.
  int poll() override;

  [[nodiscard]] std::string_view name() const override { return "order_server"; }
  // Registers the order server's thread with the audit logger, if any.
  void on_start() override {
    if (logger_ != nullptr) {
      (void)logger_->register_thread("order_server");
    }
  }
  // Block idle strategy: the sessions' sockets and the response queue wake the thread.
  void on_wait_set(common::WaitSet& waits) override {
    (void)waits.watch(server_.wait_fd());
    responses_.set_consumer_wake(&waits.signal());
  }

  // The first steps of poll() alone: routes the engine's responses to their sessions and sends
  // them. In shared threading the ResponseSender agent runs it again right after the matching
  // engine, so the responses to what a pass matched leave before the publisher's multicast of
  // the same events (docs/architecture.md, Agent order in shared threading). Order server's
  // thread only.
  int send_responses() noexcept;

  // The port actually bound (the kernel's choice when the options said 0). Any thread.
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const std::string& local_name() const noexcept { return local_name_; }
  [[nodiscard]] const OrderServerOptions& options() const noexcept { return options_; }

  // A consistent-enough copy of the counters (each one is exact; they are not read at one
  // instant). Any thread.
  [[nodiscard]] OrderServerCounters counters() const noexcept;

  // Latency histograms, in nanoseconds (docs/latency.md). Order server's thread, or when it
  // is not running (after the runner stopped).
  // From the TCP read of a NEW or CANCEL to its release to the engine.
  [[nodiscard]] const common::LatencyHistogram& tcp_read_to_sequenced() const noexcept {
    return read_to_sequenced_;
  }
  // From the TCP read of the request behind an engine response to the send() of that response.
  [[nodiscard]] const common::LatencyHistogram& tcp_read_to_response_sent() const noexcept {
    return read_to_response_sent_;
  }
  // From the sequencer's release of a request to the engine taking it, once per request.
  [[nodiscard]] const common::LatencyHistogram& sequenced_to_engine_in() const noexcept {
    return sequenced_to_engine_in_;
  }
  // Requests waiting in the sequencer.
  [[nodiscard]] std::size_t sequencer_pending() const noexcept { return sequencer_.size(); }
  // A journal write failed: the server has stopped releasing requests (the exchange must stop).
  [[nodiscard]] bool journal_failed() const noexcept {
    return journal_failed_.load(std::memory_order_acquire);
  }

  // Start-up, before the agents run: from now on every input goes to `journal` first (it must
  // outlive the server).
  void set_journal(JournalSink* journal) noexcept { journal_ = journal; }
  // Start-up, before the agents run: the audit log (docs/operations.md, Audit log) goes to
  // `logger` (nullptr: none): connects, logons, rejects and disconnects, one line each, pushed
  // as raw values into this thread's log queue (formatted on the logger's thread). It must
  // outlive the server's thread.
  void set_logger(common::Logger* logger) noexcept { logger_ = logger; }
  // Start-up, before the agents run (--stage-costs): the parts of poll() are timed into stages
  // under `server` (the runner's stage of this agent), and those of send_responses() under
  // `sender` (the ResponseSender's; StageCosts::kNoParent when there is none). `costs` must
  // outlive the server's thread.
  void set_stage_costs(common::StageCosts* costs, common::StageCosts::Stage server,
                       common::StageCosts::Stage sender);

  // --- Start-up recovery (docs/recovery.md), before the agents run, on the starting thread ---
  // The streams, for the replay of the journal and a snapshot's restore (ClientStreams::
  // on_input, append, restore).
  [[nodiscard]] ClientStreams& streams_to_recover() noexcept { return streams_; }
  [[nodiscard]] const ClientStreams& streams() const noexcept { return streams_; }

 private:
  using ConnectionId = common::TcpConnectionId;
  using IdList = common::IdList<ConnectionId>;
  static constexpr std::uint32_t kNoSession = UINT32_MAX;

  // Written by the order server's thread only; read by counters() on any thread.
  struct Counters {
    common::SingleWriterCounter sessions_accepted;
    common::SingleWriterGauge sessions_live;
    common::SingleWriterGauge sessions_logged_on;
    common::SingleWriterCounter connections_refused;
    common::SingleWriterCounter requests_received;
    common::SingleWriterCounter requests_forwarded;
    common::SingleWriterCounter requests_sequenced;
    common::SingleWriterCounter cancel_alls;
    common::SingleWriterCounter responses_sent;
    common::SingleWriterCounter heartbeats_sent;
    common::SingleWriterCounter responses_without_session;
    common::SingleWriterCounter responses_replayed;
    common::SingleWriterCounter logons_with_replay;
    common::SingleWriterCounter sequencer_stalls;
    common::SingleWriterCounter response_p50_ns;  // set, not counted: see counters()
    common::SingleWriterCounter response_p99_ns;
    std::array<common::SingleWriterCounter, kRejectReasonSlots> rejects_by_reason;
    std::array<common::SingleWriterCounter, kSessionCloseCauseCount> sessions_closed_by_cause;
  };

  // Per connection id: the session rules' state plus its I/O bookkeeping.
  struct SessionSlot {
    Session session;
    ClientStream* stream = nullptr;  // bound: the client's streams
    SeqNum send_cursor = 0;          // bound: the number of the next response to send
    bool replaying = false;          // bound: responses before the stream's end are unsent
    bool keep_orders = false;        // its LOGON set KEEP_ORDERS
    // When each buffered byte was read: a request's receive time is its last byte's read.
    ReadStamps stamps;
    std::uint64_t unbind_deadline_ticks = 0;  // closing: the client id is released then
    std::uint64_t close_deadline_ticks = 0;   // closing: the socket is closed then
    std::uint32_t staged = 0;
    bool has_backlog = false;    // whole requests left undecoded: the sequencer was full
    bool shutdown_sent = false;  // closing: SHUT_WR done after the final flush
    bool bound = false;          // its client's stream names this connection
    std::array<ClientResponse, kStagedResponsesPerSession> stage{};
    // recv_ticks of each staged engine response; 0 for session-level replies (not measured).
    std::array<std::uint64_t, kStagedResponsesPerSession> stage_recv_ticks{};
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

  // TcpServer events (through Events).
  void on_accept(ConnectionId id, common::TcpConnection& connection) noexcept;
  void on_data(ConnectionId id, common::TcpConnection& connection) noexcept;
  // The peer closed or reset the connection, or a flush by the TcpServer failed; the
  // connection slot is already free.
  void on_closed(ConnectionId id) noexcept;
  static void discard_input(SessionSlot& slot, common::TcpConnection& connection) noexcept;

  // Inbound. decode() takes whole requests while the sequencer has room and stops at the
  // first one that might need a slot when it has none (has_backlog: resumed by
  // process_backlog(), which visits those sessions oldest first).
  void decode(ConnectionId id, SessionSlot& slot, common::TcpConnection& connection) noexcept;
  // Acts on the session rules' decision for one request.
  void handle(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
              std::uint64_t recv_ticks) noexcept;
  void logon(ConnectionId id, SessionSlot& slot, const ClientRequest& request) noexcept;
  void reject_logon(ConnectionId id, SessionSlot& slot, const ClientRequest& request,
                    RejectReason reason) noexcept;
  // REJECTED, echoing the request as the matcher does for its own rejects. recv_ticks: the
  // read that brought the request.
  void reject(ConnectionId id, SessionSlot& slot, const ClientRequest& request, RejectReason reason,
              std::uint64_t recv_ticks) noexcept;
  int process_backlog() noexcept;

  // Outbound. Engine responses for a client id with no bound session are counted
  // (responses_without_session), not sent.
  int drain_responses() noexcept;
  void route(const MatchingResponse& item) noexcept;
  // Queues `response` (numbered or not by the caller) for the end of the phase
  // (flush_dirty()); a full stage is flushed at once. Returns false when that flush ended the
  // session (the response could not be written; a numbered one stays kept for replay).
  [[nodiscard]] bool stage(ConnectionId id, SessionSlot& slot, const ClientResponse& response,
                           std::uint64_t recv_ticks) noexcept {
    return stage(id, slot, response, response.seq_num, recv_ticks);
  }
  // The same, the staged copy numbered `seq` as it is written: an engine response is staged
  // from its queue slot, not from the numbered copy its stream just wrote (which would be read
  // back before its stores have landed).
  [[nodiscard]] bool stage(ConnectionId id, SessionSlot& slot, const ClientResponse& response,
                           SeqNum seq, std::uint64_t recv_ticks) noexcept;
  // Writes the session's staged responses: one send() for all of them, or, when they do not
  // fit the send buffer together, one by one until one does not fit: that session is a slow
  // reader and is disconnected (close_now). Returns false when the session ended.
  [[nodiscard]] bool flush_session(ConnectionId id, SessionSlot& slot) noexcept;
  void record_sent(const SessionSlot& slot, std::uint32_t sent) noexcept;
  int flush_dirty() noexcept;
  // Sends the kept responses of replaying sessions from their cursor, as much as their
  // connections take, until they reach the live end of the stream.
  int pump_replays() noexcept;
  // The REJECTED of a session rule for a logged-on client: numbered, so it goes through the
  // sequencer, the journal and the engine as a kSessionReject. It belongs to the bound
  // client's stream whatever client_id the request carried (CLIENT_ID_MISMATCH), and is
  // stamped with the request's read so it keeps its place among the session's requests.
  void reject_numbered(const SessionSlot& slot, const ClientRequest& request, RejectReason reason,
                       std::uint64_t recv_ticks) noexcept;

  // Releases the sequencer into the engine's request queue, as much as it takes.
  int release_requests() noexcept;

  // Session ends, each counted by SessionCloseCause.
  // Stops a session that was still taking requests: counts the cause and, if it was logged
  // on, enqueues its kCancelAllOfClient through the sequencer (after every request it sent
  // before; never dropped: logon() keeps room for one per logged-on session). With
  // keep_bound the client id stays bound to the session (engine responses still reach it)
  // until unbind(); otherwise it is unbound now. Idempotent: a session already closing or
  // closed is left as it is.
  void end_session(SessionSlot& slot, SessionCloseCause cause, bool keep_bound) noexcept;
  void unbind(SessionSlot& slot) noexcept;
  // For LOGON_REJECTED, REJECTED(NOT_LOGGED_IN), the last of too many invalid messages,
  // LOGOUT and heartbeat timeout, so that the final replies arrive instead of being lost to
  // a reset: ends the session, reads and discards its input, and closes the socket once the
  // peer has the replies (sweep_closing()). A session that was logged on lingers bound for
  // close_grace first, so the engine's answers to its last requests and the CANCELED of its
  // cancel-on-disconnect still reach it (a new logon with its id meanwhile gets
  // CLIENT_ID_IN_USE).
  void close_gracefully(ConnectionId id, SessionSlot& slot, SessionCloseCause cause) noexcept;
  // For a disconnected peer or a slow reader: ends the session and closes its socket now;
  // queued output is dropped.
  void close_now(ConnectionId id, SessionSlot& slot, SessionCloseCause cause) noexcept;
  // The connection is gone: the slot is free for the next accept.
  void forget_connection(SessionSlot& slot) noexcept;
  static void reset_io(SessionSlot& slot) noexcept;
  // Closing sessions: unbind at the linger deadline, shutdown(SHUT_WR) (FIN) once unbound and
  // flushed, close at the close deadline. The peer's own close usually comes first (the
  // TcpServer reports it through on_closed).
  int sweep_closing() noexcept;
  // Heartbeats owed and receive timeouts; every sweep_interval.
  int sweep_timers() noexcept;

  void count_reject(RejectReason reason) noexcept;
  // The audit line of a REJECTED, CANCEL_REJECTED or MODIFY_REJECTED.
  void audit_reject(ClientResponseType type, ClientId client_id, OrderId client_order_id,
                    TickerId ticker_id, RejectReason reason) noexcept;

  OrderServerOptions options_;
  RequestQueue& requests_;
  ResponseQueue& responses_;
  const common::TscClock& clock_;
  std::uint64_t heartbeat_interval_ticks_ = 0;
  std::uint64_t heartbeat_timeout_ticks_ = 0;
  std::uint64_t close_grace_ticks_ = 0;
  std::uint64_t sweep_interval_ticks_ = 0;
  std::uint64_t last_sweep_ticks_ = 0;
  std::uint64_t percentiles_interval_ticks_ = 0;
  std::uint64_t next_percentiles_ticks_ = 0;
  // Runs one part of a poll, timed into `stage` when stage costs are on. Returns its work.
  template <typename Part>
  int timed(common::StageCosts::Stage stage, Part part) noexcept {
    if (LLT_LIKELY(stage_costs_ == nullptr)) {
      return part();
    }
    const std::uint64_t before = stage_costs_->now();
    const int work = part();
    stage_costs_->record(stage, stage_costs_->now() - before, work > 0);
    return work;
  }
  // drain_responses(), timed into `stage` less the send() calls it made (--stage-costs).
  int routed(common::StageCosts::Stage stage) noexcept;
  // uring: hands every session's queued responses to the kernel in one call (timed as the
  // phase's send stage); returns the work done, counting input the call took from the ring
  // for the next poll. epoll: nothing, send() wrote them.
  int submit_sends() noexcept;
  // The parts' stages (--stage-costs), of poll() and of send_responses().
  struct PartStages {
    common::StageCosts::Stage route = 0;
    common::StageCosts::Stage send = 0;
    common::StageCosts::Stage reads = 0;
    common::StageCosts::Stage release = 0;
    common::StageCosts::Stage timers = 0;
    common::StageCosts::Stage sender_route = 0;
    common::StageCosts::Stage sender_send = 0;
  };
  common::StageCosts* stage_costs_ = nullptr;
  PartStages stages_;
  // The stage of the send() calls of the phase under way (poll's or send_responses'), and
  // the ticks every send() call took so far.
  common::StageCosts::Stage send_stage_ = 0;
  std::uint64_t send_ticks_ = 0;

  std::uint64_t now_ = 0;  // the current phase's clock reading
  common::TcpServer server_;
  std::uint16_t port_ = 0;
  bool uring_ = false;  // the io_uring back end: responses are queued, submit_sends() sends
  std::string local_name_;
  std::vector<SessionSlot> slots_;  // indexed by connection id
  ClientStreams streams_;
  FifoSequencer sequencer_;
  JournalSink* journal_ = nullptr;
  common::Logger* logger_ = nullptr;
  std::atomic<bool> journal_failed_{false};
  IdList dirty_;      // sessions with staged responses
  IdList backlog_;    // sessions with undecoded requests waiting for sequencer room
  IdList closing_;    // sessions flushing a final reply
  IdList replaying_;  // sessions sending kept responses
  common::LatencyHistogram read_to_sequenced_;
  common::LatencyHistogram read_to_response_sent_;
  common::LatencyHistogram sequenced_to_engine_in_;
  Counters counters_;
};

// Shared threading only: an agent that runs OrderServer::send_responses, placed right after
// the matching engine on the thread that also runs the order server (docs/architecture.md,
// Agent order in shared threading). In dedicated threading the order server's own poll sends
// the responses and this agent is not used.
class ResponseSender final : public common::Agent {
 public:
  explicit ResponseSender(OrderServer& server) noexcept : server_(server) {}
  int poll() override { return server_.send_responses(); }
  [[nodiscard]] std::string_view name() const override { return "order_server_responses"; }

 private:
  OrderServer& server_;
};

}  // namespace llt::exchange
