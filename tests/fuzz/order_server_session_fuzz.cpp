// Fuzz target (1): the order server's session handling, fed arbitrary byte streams as one to
// four connections, in arbitrary chunkings, with connects, disconnects and the clock moving.
//
// The OrderServer itself owns its sockets (TcpServer, epoll), far too slow to drive ten
// million times over loopback. This target drives the socket-free parts it is built from, in
// the order OrderServer::poll() uses them: per connection a reassembly buffer (40-byte
// records from any split), ReadStamps (receive time of each record), Session (the session
// rules of docs/protocol.md), the client-id table (FixedHashMap, with the server's logon
// capacity rule), the FifoSequencer (bounded, with the server's reserve of one cancel-all per
// logged-on session and its backlog when full), and the matching logic (Matcher, in a
// self-trade prevention mode the input chooses) behind it, whose responses are routed back to
// the session bound to their client id and numbered with the session's outbound seq_nums. The glue mirrors order_server.h; the refactor that would let
// the fuzzer drive OrderServer's own glue is described in tests/fuzz/README.md.
//
// Checked after every operation:
//  - Session's decision for every request equals an independent model of docs/protocol.md's Session
//    rules (first message LOGON with seq 1, client id bound, next seq_num, tif and flags of LOGON,
//    HEARTBEAT and LOGOUT, rejected messages do not consume a seq_num, the invalid-message
//    limit, LOGOUT), THROTTLED only where allowed;
//  - every session's outbound seq_nums are 1, 2, 3, ... (heartbeats included), a heartbeat is
//    due exactly when docs/protocol.md says, a session times out exactly when it says;
//  - ReadStamps stamps each record with the read that brought its last byte (or, once more
//    than kMaxReads reads waited, an earlier one), never later, never decreasing;
//  - the sequencer never refuses a cancel-all, releases in receive-time order within a release,
//    never reorders a session's requests, and releases every forwarded request exactly once;
//  - every NEW gets exactly one ACCEPTED or REJECTED, every CANCEL exactly one CANCELED or
//    CANCEL_REJECTED, every MODIFY exactly one MODIFIED or MODIFY_REJECTED, whatever their tif
//    and flags, and every response is routed to the session bound to its client id;
//  - at the end, with every session closed and its cancel-all processed, every book is empty.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/containers/fixed_hash_map.h"
#include "exchange/exchange_messages.h"
#include "exchange/matcher/matcher.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/fifo_sequencer.h"
#include "exchange/order_server/read_stamps.h"
#include "exchange/order_server/session.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using llt::common::FixedHashMap;
using llt::exchange::ClientId;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::ClientResponseType;
using llt::exchange::FifoSequencer;
using llt::exchange::kCancelAllOfClient;
using llt::exchange::MatchingRequest;
using llt::exchange::OrderThrottle;
using llt::exchange::ReadStamps;
using llt::exchange::RejectReason;
using llt::exchange::RequestQueue;
using llt::exchange::SeqNum;
using llt::exchange::Session;
using llt::exchange::SessionAction;
using llt::exchange::SessionDecision;
using llt::exchange::SessionState;
using llt::fuzz::FuzzInput;

constexpr std::size_t kMaxConnections = 4;
constexpr std::uint32_t kNoSession = UINT32_MAX;
constexpr std::uint64_t kTicksPerSecond = 1000;
constexpr std::uint64_t kHeartbeatInterval = 1000;  // 1 s
constexpr std::uint64_t kHeartbeatTimeout = 10000;  // 10 s
constexpr std::size_t kMaxOps = 4096;
constexpr std::uint8_t kKeepOrders = 0x01;  // the one LOGON flag (docs/protocol.md)

// The session rules of docs/protocol.md, written from the text, for one connection.
class ModelSession {
 public:
  void open() { *this = ModelSession{max_invalid_, throttled_}; }
  ModelSession(std::uint32_t max_invalid, bool throttled)
      : max_invalid_(max_invalid), throttled_(throttled) {}

  // May Session's `got` be the answer to `request`? Updates the model when it is.
  bool accepts(const ClientRequest& request, const SessionDecision& got) {
    const SessionDecision want = decide(request);
    if (got == want) {
      apply(request, want);
      return true;
    }
    // The throttle is a documented refinement: a NEW, CANCEL or MODIFY that would be forwarded may
    // be REJECTED(THROTTLED) instead, consuming nothing and not counting as invalid.
    return throttled_ && want.action == SessionAction::kForward &&
           got == SessionDecision{SessionAction::kRejected, RejectReason::kThrottled};
  }
  void bind(ClientId client_id) {
    state_ = SessionState::kLoggedOn;
    client_id_ = client_id;
    expected_ = 2;
  }
  void closing() { state_ = SessionState::kClosing; }

 private:
  SessionDecision decide(const ClientRequest& request) const {
    const ClientRequestType type = request.msg_type;
    if (state_ == SessionState::kAwaitingLogon) {
      if (type != ClientRequestType::kLogon) {
        return {SessionAction::kRejectedAndClose, RejectReason::kNotLoggedIn};
      }
      if (request.seq_num != 1) {
        return {SessionAction::kLogonRejected, RejectReason::kBadSeqNum};
      }
      if (request.client_id == 0) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidClientId};
      }
      if (static_cast<std::uint8_t>(request.tif) != 0) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidTif};
      }
      if ((request.flags & ~kKeepOrders) != 0) {
        return {SessionAction::kLogonRejected, RejectReason::kInvalidFlags};
      }
      return {SessionAction::kLogon, RejectReason::kNone};
    }
    if (state_ != SessionState::kLoggedOn) {
      return {SessionAction::kIgnore, RejectReason::kNone};
    }
    const bool order = type == ClientRequestType::kNew || type == ClientRequestType::kCancel ||
                       type == ClientRequestType::kModify;
    RejectReason reason = RejectReason::kNone;
    if (!order && type != ClientRequestType::kLogon && type != ClientRequestType::kHeartbeat &&
        type != ClientRequestType::kLogout) {
      reason = RejectReason::kUnknownMsgType;
    } else if (request.client_id != client_id_) {
      reason = RejectReason::kClientIdMismatch;
    } else if (request.seq_num != expected_) {
      reason = RejectReason::kBadSeqNum;
    } else if (type == ClientRequestType::kLogon) {
      reason = RejectReason::kClientIdInUse;
    } else if (!order && static_cast<std::uint8_t>(request.tif) != 0) {
      reason = RejectReason::kInvalidTif;  // HEARTBEAT, LOGOUT
    } else if (!order && request.flags != 0) {
      reason = RejectReason::kInvalidFlags;
    }
    if (reason != RejectReason::kNone) {
      return {invalid_ + 1 >= max_invalid_ ? SessionAction::kRejectedAndClose
                                           : SessionAction::kRejected,
              reason};
    }
    if (type == ClientRequestType::kHeartbeat) {
      return {SessionAction::kHeartbeat, RejectReason::kNone};
    }
    if (type == ClientRequestType::kLogout) {
      return {SessionAction::kLogout, RejectReason::kNone};
    }
    return {SessionAction::kForward, RejectReason::kNone};
  }

  void apply(const ClientRequest& request, const SessionDecision& d) {
    (void)request;
    switch (d.action) {
      case SessionAction::kRejected:
      case SessionAction::kRejectedAndClose:
        ++invalid_;
        break;
      case SessionAction::kForward:
      case SessionAction::kHeartbeat:
      case SessionAction::kLogout:
        ++expected_;
        break;
      default:
        break;
    }
  }

  std::uint32_t max_invalid_;
  bool throttled_;
  SessionState state_ = SessionState::kAwaitingLogon;
  ClientId client_id_ = 0;
  SeqNum expected_ = 1;
  std::uint32_t invalid_ = 0;
};

struct Read {
  std::uint64_t end;  // stream offset one past its last byte
  std::uint64_t ticks;
};

struct Connection {
  Connection(std::uint32_t max_invalid, std::uint32_t rate)
      : session(max_invalid, OrderThrottle(rate, kTicksPerSecond)), model(max_invalid, rate != 0) {}

  bool connected = false;
  bool bound = false;    // the client-id table maps session.client_id() here
  bool backlog = false;  // whole records wait for sequencer room
  Session session;
  ModelSession model;
  ReadStamps stamps;
  std::deque<std::uint8_t> bytes;  // received, not yet decoded
  std::deque<Read> reads;          // every read not fully decoded, exactly
  std::uint64_t received = 0;
  std::uint64_t consumed = 0;
  bool merged = false;  // more than kMaxReads reads waited: stamps may be early
  std::uint64_t last_stamp = 0;
  std::uint64_t last_receive = 0;
  std::uint64_t last_send = 0;
  SeqNum last_outbound = 0;
};

class Harness {
 public:
  explicit Harness(FuzzInput& in)
      : in_(in),
        connections_count_(in.range(1, kMaxConnections)),
        max_pending_(in.range(1, 8)),
        sessions_by_client_(connections_count_),
        sequencer_(max_pending_ + connections_count_),
        queue_(8),
        matcher_({1, 2}, book_options(in.range(0, 2)), handler_) {
    const std::uint32_t max_invalid = in.range(1, 4);
    const std::uint32_t rate = in.u8() % 8 == 0 ? in.range(1, 4) : 0;
    for (std::size_t i = 0; i < connections_count_; ++i) {
      connections_.emplace_back(max_invalid, rate);
    }
    handler_.harness = this;
  }

  void run() {
    for (std::size_t op = 0; op < kMaxOps && !in_.done(); ++op) {
      const std::uint8_t code = in_.u8();
      const auto id = static_cast<std::uint32_t>((code >> 4) % connections_count_);
      switch (code % 8) {
        case 0:
        case 1:
        case 2:
        case 3:
          receive(id, in_.u8());
          break;
        case 4:
          now_ += std::uint64_t{in_.u8()} * (code & 0x08 ? 97 : 7);
          sweep_timers();
          break;
        case 5:
          if (connections_[id].connected) {
            peer_closed(id);
          } else {
            connect(id);
          }
          break;
        default:
          release_and_match();
          process_backlog();
          break;
      }
      ++now_;
    }
    // Everyone leaves: every order must be cancelled.
    for (std::uint32_t id = 0; id < connections_count_; ++id) {
      if (connections_[id].connected) {
        peer_closed(id);
      }
    }
    for (int i = 0; !sequencer_.empty() || queue_.front() != nullptr; ++i) {
      LLT_FUZZ_CHECK(i < 1000, "the sequencer does not drain");
      release_and_match();
    }
    LLT_FUZZ_CHECK(forwarded_ == released_, "{} requests forwarded, {} released", forwarded_,
                   released_);
    LLT_FUZZ_CHECK(cancel_alls_ == cancel_alls_released_, "{} cancel-alls, {} released",
                   cancel_alls_, cancel_alls_released_);
    for (const llt::exchange::TickerId ticker : {1, 2}) {
      LLT_FUZZ_CHECK(matcher_.book(ticker)->order_count() == 0,
                     "ticker {} keeps {} orders after every session closed", ticker,
                     matcher_.book(ticker)->order_count());
    }
  }

 private:
  struct Handler {
    Harness* harness = nullptr;
    void on_response(const ClientResponse& response) { harness->on_engine_response(response); }
    void on_market_update(const llt::exchange::MarketUpdate&) {}
  };

  static llt::exchange::OrderBookOptions book_options(std::uint32_t self_trade_prevention) {
    llt::exchange::OrderBookOptions options;
    options.self_trade_prevention =
        static_cast<llt::exchange::SelfTradePrevention>(self_trade_prevention);
    options.max_orders = 16;
    options.max_price_levels = 8;
    options.max_clients = 8;
    return options;
  }

  // --- Connections ---

  void connect(std::uint32_t id) {
    Connection& c = connections_[id];
    c.connected = true;
    c.bound = false;
    c.backlog = false;
    c.session.open(now_);
    c.model.open();
    c.stamps.reset();
    c.bytes.clear();
    c.reads.clear();
    c.received = c.consumed = 0;
    c.merged = false;
    c.last_stamp = 0;
    c.last_receive = c.last_send = now_;
    c.last_outbound = 0;
  }

  void receive(std::uint32_t id, std::uint8_t length) {
    Connection& c = connections_[id];
    const std::uint8_t* data = nullptr;
    const std::size_t n = in_.take(length, data);
    if (!c.connected || n == 0) {
      return;
    }
    c.session.on_bytes_received(now_);
    c.last_receive = now_;
    if (!c.session.accepting_requests()) {
      return;  // closing: discarded
    }
    if (c.reads.size() >= ReadStamps::kMaxReads) {
      c.merged = true;
    }
    c.bytes.insert(c.bytes.end(), data, data + n);
    c.received += n;
    c.reads.push_back({c.received, now_});
    c.stamps.on_read(n, now_);
    LLT_FUZZ_CHECK(c.stamps.unconsumed() == c.bytes.size(), "stamps count {} bytes, buffer {}",
                   c.stamps.unconsumed(), c.bytes.size());
    decode(id);
  }

  // OrderServer::decode: whole records while the sequencer has room.
  void decode(std::uint32_t id) {
    Connection& c = connections_[id];
    while (c.bytes.size() >= sizeof(ClientRequest)) {
      if (sequencer_.size() >= max_pending_) {
        c.backlog = true;
        return;
      }
      std::array<std::uint8_t, sizeof(ClientRequest)> raw{};
      std::copy_n(c.bytes.begin(), raw.size(), raw.begin());
      c.bytes.erase(c.bytes.begin(), c.bytes.begin() + raw.size());
      ClientRequest request;
      std::memcpy(&request, raw.data(), sizeof(request));
      c.consumed += sizeof(ClientRequest);
      const std::uint64_t stamp = c.stamps.consume(sizeof(ClientRequest));
      check_stamp(c, stamp);
      handle(id, request, stamp);
      if (!c.session.accepting_requests()) {
        discard_input(c);
        break;
      }
    }
    c.backlog = false;
  }

  void check_stamp(Connection& c, std::uint64_t stamp) {
    while (!c.reads.empty() && c.reads.front().end < c.consumed) {
      c.reads.pop_front();
    }
    LLT_FUZZ_CHECK(!c.reads.empty(), "no read brought byte {}", c.consumed);
    const std::uint64_t exact = c.reads.front().ticks;
    LLT_FUZZ_CHECK(stamp != 0 && stamp <= exact && stamp >= c.last_stamp,
                   "record stamped {}, its last byte read at {}, previous record {}", stamp, exact,
                   c.last_stamp);
    LLT_FUZZ_CHECK(c.merged || stamp == exact, "record stamped {}, its last byte read at {}", stamp,
                   exact);
    c.last_stamp = stamp;
    if (c.consumed == c.received) {
      c.merged = false;  // everything decoded: the stamps remember only the last read
    }
  }

  static void discard_input(Connection& c) {
    c.bytes.clear();
    c.stamps.discard_all();
    c.consumed = c.received;
    while (c.reads.size() > 1) {
      c.reads.pop_front();
    }
    c.merged = false;
  }

  // OrderServer::handle.
  void handle(std::uint32_t id, const ClientRequest& request, std::uint64_t recv_ticks) {
    Connection& c = connections_[id];
    const SessionDecision decision = c.session.on_request(request, now_);
    c.last_receive = now_;
    LLT_FUZZ_CHECK(c.model.accepts(request, decision), "{} answered {}({}) on connection {}",
                   llt::exchange::to_string(request), llt::exchange::to_string(decision.action),
                   llt::exchange::to_string(decision.reason), id);
    switch (decision.action) {
      case SessionAction::kForward: {
        const bool added = sequencer_.add(request, recv_ticks);
        LLT_FUZZ_CHECK(added, "the sequencer refused a request decode() had room for");
        ++forwarded_;
        return;
      }
      case SessionAction::kHeartbeat:
      case SessionAction::kIgnore:
        return;
      case SessionAction::kLogon:
        logon(id, request);
        return;
      case SessionAction::kLogonRejected:
        reject_logon(id, request, decision.reason);
        return;
      case SessionAction::kRejected:
        stage(id, reply(ClientResponseType::kRejected, request, decision.reason));
        return;
      case SessionAction::kRejectedAndClose:
        stage(id, reply(ClientResponseType::kRejected, request, decision.reason));
        close_gracefully(id);
        return;
      case SessionAction::kLogout:
        close_gracefully(id);
        return;
    }
  }

  static ClientResponse reply(ClientResponseType type, const ClientRequest& request,
                              RejectReason reason) {
    ClientResponse response{};
    response.msg_type = type;
    response.client_id = request.client_id;
    response.ticker_id = request.ticker_id;
    response.client_order_id = request.order_id;
    response.side = request.side;
    response.price = request.price;
    response.reject_reason = reason;
    return response;
  }

  void logon(std::uint32_t id, const ClientRequest& request) {
    Connection& c = connections_[id];
    const ClientId client_id = request.client_id;
    if (sessions_by_client_.find(client_id) != kNoSession) {
      reject_logon(id, request, RejectReason::kClientIdInUse);
      return;
    }
    if (logged_on_ + sequencer_.pending_cancel_alls() >= connections_count_ ||
        !sessions_by_client_.insert(client_id, id)) {
      reject_logon(id, request, RejectReason::kCapacity);
      return;
    }
    c.session.accept_logon(client_id);
    c.model.bind(client_id);
    c.bound = true;
    ++logged_on_;
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonAccepted;
    response.client_id = client_id;
    stage(id, response);
  }

  void reject_logon(std::uint32_t id, const ClientRequest& request, RejectReason reason) {
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonRejected;
    response.client_id = request.client_id;
    response.reject_reason = reason;
    stage(id, response);
    close_gracefully(id);
  }

  // Numbers a message for the session: 1, 2, 3, ... per connection.
  void stage(std::uint32_t id, ClientResponse response) {
    Connection& c = connections_[id];
    LLT_FUZZ_CHECK(c.connected, "a response staged on a closed connection");
    response.seq_num = c.session.next_outbound_seq(now_);
    const SeqNum seq = response.seq_num;
    LLT_FUZZ_CHECK(seq == c.last_outbound + 1, "connection {} sends seq {} after {}", id, seq,
                   c.last_outbound);
    c.last_outbound = seq;
    c.last_send = now_;
  }

  // --- Session ends ---

  void end_session(std::uint32_t id) {
    Connection& c = connections_[id];
    if (!c.session.accepting_requests()) {
      return;
    }
    if (c.session.logged_on()) {
      ClientRequest cancel_all{};
      cancel_all.msg_type = kCancelAllOfClient;
      cancel_all.client_id = c.session.client_id();
      const bool added = sequencer_.add(cancel_all, now_);
      LLT_FUZZ_CHECK(added, "no room for a cancel-all ({} pending, {} logged on)",
                     sequencer_.size(), logged_on_);
      ++cancel_alls_;
      --logged_on_;
    }
    c.session.start_closing();
    c.model.closing();
  }

  void unbind(Connection& c) {
    if (c.bound) {
      const bool erased = sessions_by_client_.erase(c.session.client_id());
      LLT_FUZZ_CHECK(erased, "a bound client id missing from the table");
      c.bound = false;
    }
  }

  // A graceful close lingers bound (answers to its last requests still reach it) until the
  // peer closes; here the peer's close is one of the fuzzer's operations.
  void close_gracefully(std::uint32_t id) {
    end_session(id);
    discard_input(connections_[id]);
  }

  void peer_closed(std::uint32_t id) {
    Connection& c = connections_[id];
    end_session(id);
    unbind(c);
    c.session.close();
    c.connected = false;
    c.backlog = false;
  }

  // --- Timers ---

  void sweep_timers() {
    for (std::uint32_t id = 0; id < connections_count_; ++id) {
      Connection& c = connections_[id];
      if (!c.connected || !c.session.accepting_requests()) {
        continue;
      }
      const bool timed_out = c.session.receive_timed_out(now_, kHeartbeatTimeout);
      LLT_FUZZ_CHECK(timed_out == (now_ - c.last_receive >= kHeartbeatTimeout),
                     "receive_timed_out {} at {} with the last receive at {}", timed_out, now_,
                     c.last_receive);
      const bool due = c.session.heartbeat_due(now_, kHeartbeatInterval);
      LLT_FUZZ_CHECK(due == (c.session.logged_on() && now_ - c.last_send >= kHeartbeatInterval),
                     "heartbeat_due {} at {} with the last send at {}", due, now_, c.last_send);
      if (timed_out) {
        close_gracefully(id);
      } else if (due) {
        ClientResponse heartbeat{};
        heartbeat.msg_type = ClientResponseType::kHeartbeat;
        heartbeat.client_id = c.session.client_id();
        stage(id, heartbeat);
      }
    }
  }

  // --- Sequencer and engine ---

  void process_backlog() {
    for (std::uint32_t id = 0; id < connections_count_; ++id) {
      Connection& c = connections_[id];
      if (c.connected && c.backlog && c.session.accepting_requests()) {
        decode(id);
      }
    }
  }

  void release_and_match() {
    std::uint64_t last_ticks = 0;
    sequencer_.release(queue_, now_, [&](const MatchingRequest& entry) {
      LLT_FUZZ_CHECK(entry.ticks.recv_ticks >= last_ticks, "released stamp {} after {}",
                     entry.ticks.recv_ticks, last_ticks);
      last_ticks = entry.ticks.recv_ticks;
    });
    while (const MatchingRequest* entry = queue_.front()) {
      const ClientRequest request = entry->request;
      queue_.pop();
      const ClientId client = request.client_id;
      if (request.msg_type == kCancelAllOfClient) {
        ++cancel_alls_released_;
        last_seq_[client] = 0;  // a later session of the client starts again at 2
      } else {
        ++released_;
        const SeqNum seq = request.seq_num;
        LLT_FUZZ_CHECK(seq > last_seq_[client], "client {} request seq {} released after {}",
                       client, seq, last_seq_[client]);
        last_seq_[client] = seq;
      }
      current_ = &request;
      answers_ = 0;
      (void)matcher_.process(request);
      const std::uint32_t want = request.msg_type == kCancelAllOfClient ? 0 : 1;
      LLT_FUZZ_CHECK(answers_ == want, "{} got {} answers", llt::exchange::to_string(request),
                     answers_);
      current_ = nullptr;
    }
    // Graceful closes have had their answers: release the client ids.
    for (Connection& c : connections_) {
      if (c.connected && c.session.state() == SessionState::kClosing) {
        unbind(c);
      }
    }
  }

  // OrderServer::route.
  void on_engine_response(const ClientResponse& response) {
    const ClientResponseType type = response.msg_type;
    if (current_ != nullptr && response.client_id == current_->client_id) {
      const bool is_new = current_->msg_type == ClientRequestType::kNew;
      const bool is_cancel = current_->msg_type == ClientRequestType::kCancel;
      const bool is_modify = current_->msg_type == ClientRequestType::kModify;
      // A NEW's or MODIFY's CANCELED (EXPIRED, SELF_TRADE) follows its one answer; a CANCEL's
      // CANCELED is its answer.
      if ((is_new &&
           (type == ClientResponseType::kAccepted || type == ClientResponseType::kRejected)) ||
          (is_cancel && (type == ClientResponseType::kCanceled ||
                         type == ClientResponseType::kCancelRejected)) ||
          (is_modify && (type == ClientResponseType::kModified ||
                         type == ClientResponseType::kModifyRejected))) {
        ++answers_;
      }
    }
    // A copy: find() takes a reference, and a packed field is not aligned for one.
    const ClientId client_id = response.client_id;
    const std::uint32_t id = sessions_by_client_.find(client_id);
    if (id == kNoSession) {
      return;  // its session is gone: counted, not sent
    }
    LLT_FUZZ_CHECK(id < connections_count_ && connections_[id].bound &&
                       connections_[id].session.client_id() == response.client_id,
                   "client {} routed to connection {} of client {}", response.client_id, id,
                   id < connections_count_ ? connections_[id].session.client_id() : 0);
    stage(id, response);
  }

  FuzzInput& in_;
  std::size_t connections_count_;
  std::size_t max_pending_;
  std::vector<Connection> connections_;
  FixedHashMap<ClientId, std::uint32_t, kNoSession> sessions_by_client_;
  FifoSequencer sequencer_;
  RequestQueue queue_;
  Handler handler_;
  llt::exchange::Matcher<Handler> matcher_;
  std::uint64_t now_ = 1;
  std::size_t logged_on_ = 0;
  std::uint64_t forwarded_ = 0;
  std::uint64_t released_ = 0;
  std::uint64_t cancel_alls_ = 0;
  std::uint64_t cancel_alls_released_ = 0;
  std::unordered_map<ClientId, SeqNum> last_seq_;  // of the last released request
  const ClientRequest* current_ = nullptr;
  std::uint32_t answers_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  Harness harness(in);
  harness.run();
  return 0;
}
