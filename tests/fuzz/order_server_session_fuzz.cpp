// Fuzz target (1): the order server's session handling, fed arbitrary byte streams as one to
// four connections, in arbitrary chunkings, with connects, disconnects and the clock moving.
//
// The OrderServer itself owns its sockets (TcpServer, epoll), far too slow to drive ten
// million times over loopback. This target drives the socket-free parts it is built from, in
// the order OrderServer::poll() uses them: per connection a reassembly buffer (40-byte
// records from any split), ReadStamps (receive time of each record), Session (the session
// rules of docs/protocol.md, version 2), the per-client numbered streams (ClientStreams, with a
// replay depth of kReplayDepth and room for kMaxClients client ids), the server's logon rules
// (another live connection of the id, capacity, the replay range, KEEP_ORDERS), the
// FifoSequencer (bounded, with the server's reserve of one cancel-all per logged-on session and
// its backlog when full), and the matching logic (Matcher, in a self-trade prevention mode the
// input chooses) behind it, whose responses are numbered in their client's stream, kept, and
// sent to the connection bound to the client, after any replay that connection asked for.
// Session rejects of a logged-on client travel through the sequencer and the matcher as
// kSessionReject, as the server sends them. The glue mirrors order_server.cpp; the refactor that
// would let the fuzzer drive OrderServer's own glue is described in tests/fuzz/README.md.
//
// Checked after every operation:
//  - Session's decision for every request equals an independent model of docs/protocol.md's
//    Session rules (first message LOGON, its seq_num not checked, client id bound, the expected
//    request number of NEW, CANCEL and MODIFY carried across connections of a client id, tif and
//    flags of LOGON, HEARTBEAT and LOGOUT, rejected messages do not consume a number, HEARTBEAT
//    and LOGOUT consume none, the invalid-message limit, LOGOUT), THROTTLED only where allowed;
//  - an independent model of every client id's two streams: LOGON_ACCEPTED carries the first
//    number the connection will carry, the next expected request number and the next live
//    response number; LOGON_REJECTED(BAD_SEQ_NUM) exactly when replay-from is beyond the next
//    live number, REPLAY_UNAVAILABLE exactly when it is older than the last kReplayDepth;
//  - every connection carries responses numbered from its LOGON_ACCEPTED's seq_num on, one by
//    one, each identical to the one the client's stream numbered (a replay repeats the original
//    bytes), HEARTBEATs carrying the next number without taking it; a REJECTED to a connection
//    that never logged on carries 0; a heartbeat is due exactly when docs/protocol.md says, a
//    session times out exactly when it says;
//  - ReadStamps stamps each record with the read that brought its last byte (or, once more
//    than kMaxReads reads waited, an earlier one), never later, never decreasing;
//  - the sequencer never refuses a cancel-all, releases in receive-time order within a release,
//    releases each client's requests, session rejects and cancel-alls in the order the session
//    added them (request numbers rising for the whole day), and every one exactly once;
//  - every NEW gets exactly one ACCEPTED or REJECTED, every CANCEL exactly one CANCELED or
//    CANCEL_REJECTED, every MODIFY exactly one MODIFIED or MODIFY_REJECTED, whatever their tif
//    and flags, every session reject exactly one REJECTED with its reason, and every response
//    goes to the connection bound to its client id or is kept for the next one;
//  - a session that ends without KEEP_ORDERS has its orders cancelled; at the end, with every
//    session closed, only clients whose last LOGON set KEEP_ORDERS may keep orders, and once the
//    day ends (a cancel-all of every client) every book is empty.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/matcher.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/client_streams.h"
#include "exchange/order_server/fifo_sequencer.h"
#include "exchange/order_server/read_stamps.h"
#include "exchange/order_server/session.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using llt::exchange::ClientId;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::ClientResponseType;
using llt::exchange::ClientStream;
using llt::exchange::ClientStreams;
using llt::exchange::FifoSequencer;
using llt::exchange::kCancelAllOfClient;
using llt::exchange::kSessionReject;
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
constexpr std::uint64_t kTicksPerSecond = 1000;
constexpr std::uint64_t kHeartbeatInterval = 1000;  // 1 s
constexpr std::uint64_t kHeartbeatTimeout = 10000;  // 10 s
constexpr std::size_t kMaxOps = 4096;
constexpr std::uint8_t kKeepOrders = 0x01;  // the one LOGON flag (docs/protocol.md)
// Client ids with streams for the day (OrderServerOptions::max_clients), and responses kept
// per client (replay_depth): small, so that CAPACITY and REPLAY_UNAVAILABLE are reachable.
constexpr std::size_t kMaxClients = 6;
constexpr std::size_t kReplayDepth = 8;
// Kept responses a replaying connection is sent per pump, so live responses arrive meanwhile.
constexpr std::size_t kReplayPerPump = 3;

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
      apply(want);
      return true;
    }
    // The throttle is a documented refinement: a NEW, CANCEL or MODIFY that would be forwarded may
    // be REJECTED(THROTTLED) instead, consuming nothing and not counting as invalid.
    return throttled_ && want.action == SessionAction::kForward &&
           got == SessionDecision{SessionAction::kRejected, RejectReason::kThrottled};
  }
  // Logged on as client_id, whose request stream expects next_request.
  void bind(ClientId client_id, SeqNum next_request) {
    state_ = SessionState::kLoggedOn;
    client_id_ = client_id;
    expected_ = next_request;
  }
  void closing() { state_ = SessionState::kClosing; }
  [[nodiscard]] SeqNum expected() const { return expected_; }

 private:
  static bool is_order(ClientRequestType type) {
    return type == ClientRequestType::kNew || type == ClientRequestType::kCancel ||
           type == ClientRequestType::kModify;
  }

  SessionDecision decide(const ClientRequest& request) const {
    const ClientRequestType type = request.msg_type;
    if (state_ == SessionState::kAwaitingLogon) {
      if (type != ClientRequestType::kLogon) {
        return {SessionAction::kRejectedAndClose, RejectReason::kNotLoggedIn};
      }
      // A LOGON's seq_num is the client's next request number: not checked.
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
    const bool order = is_order(type);
    RejectReason reason = RejectReason::kNone;
    if (!order && type != ClientRequestType::kLogon && type != ClientRequestType::kHeartbeat &&
        type != ClientRequestType::kLogout) {
      reason = RejectReason::kUnknownMsgType;
    } else if (request.client_id != client_id_) {
      reason = RejectReason::kClientIdMismatch;
    } else if (order && request.seq_num != expected_) {
      reason = RejectReason::kBadSeqNum;  // only requests are numbered
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

  void apply(const SessionDecision& d) {
    switch (d.action) {
      case SessionAction::kRejected:
      case SessionAction::kRejectedAndClose:
        ++invalid_;
        break;
      case SessionAction::kForward:
        ++expected_;  // HEARTBEAT and LOGOUT consume no number
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

// What the day knows of one client id, written from docs/protocol.md: both streams' next
// numbers and every numbered response (the reference for replays).
struct ModelClient {
  SeqNum next_request = 1;
  std::vector<ClientResponse> responses;  // number n at index n - 1
  bool keep_orders = false;               // its last LOGON set KEEP_ORDERS
  [[nodiscard]] SeqNum next_response() const { return responses.size() + 1; }
};

struct Read {
  std::uint64_t end;  // stream offset one past its last byte
  std::uint64_t ticks;
};

struct Connection {
  Connection(std::uint32_t max_invalid, std::uint32_t rate)
      : session(max_invalid, OrderThrottle(rate, kTicksPerSecond)), model(max_invalid, rate != 0) {}

  bool connected = false;
  bool bound = false;      // its client's stream names this connection
  bool backlog = false;    // whole records wait for sequencer room
  bool replaying = false;  // kept responses before the stream's end are unsent
  bool keep_orders = false;
  ClientStream* stream = nullptr;  // bound: the client's streams
  SeqNum send_cursor = 0;          // bound: the number of the next response to send
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
  // The number the next numbered response on this connection must carry (0: none may come,
  // it is not logged on).
  SeqNum next_outbound = 0;
};

class Harness {
 public:
  explicit Harness(FuzzInput& in)
      : in_(in),
        connections_count_(in.range(1, kMaxConnections)),
        max_pending_(in.range(1, 8)),
        streams_(kMaxClients, kReplayDepth),
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
          pump_replays();
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
    drain();
    LLT_FUZZ_CHECK(forwarded_ == released_, "{} requests forwarded, {} released", forwarded_,
                   released_);
    LLT_FUZZ_CHECK(cancel_alls_ == cancel_alls_released_, "{} cancel-alls, {} released",
                   cancel_alls_, cancel_alls_released_);
    bool any_keeps = false;
    for (const auto& [client_id, client] : clients_) {
      any_keeps = any_keeps || client.keep_orders;
    }
    for (const llt::exchange::TickerId ticker : {1, 2}) {
      LLT_FUZZ_CHECK(any_keeps || matcher_.book(ticker)->order_count() == 0,
                     "ticker {} keeps {} orders after every session closed, none with "
                     "KEEP_ORDERS",
                     ticker, matcher_.book(ticker)->order_count());
    }
    // The day ends: every client's orders go.
    streams_.for_each([&](ClientStream& stream) {
      ClientRequest cancel_all{};
      cancel_all.msg_type = kCancelAllOfClient;
      cancel_all.client_id = stream.client_id;
      LLT_FUZZ_CHECK(sequence(cancel_all, now_), "no room for the day's end");
      ++cancel_alls_;
      drain();
    });
    for (const llt::exchange::TickerId ticker : {1, 2}) {
      LLT_FUZZ_CHECK(matcher_.book(ticker)->order_count() == 0,
                     "ticker {} keeps {} orders after the day ended", ticker,
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

  // FifoSequencer::add, remembering the client's order of requests (session rejects and
  // cancel-alls included) for release_and_match() to compare.
  bool sequence(const ClientRequest& request, std::uint64_t recv_ticks) {
    if (!sequencer_.add(request, recv_ticks)) {
      return false;
    }
    const ClientId client = request.client_id;  // a copy: the packed field may be misaligned
    added_by_client_[client].push_back(request);
    return true;
  }

  void drain() {
    for (int i = 0; !sequencer_.empty() || queue_.front() != nullptr; ++i) {
      LLT_FUZZ_CHECK(i < 1000, "the sequencer does not drain");
      release_and_match();
    }
  }

  // --- Connections ---

  void connect(std::uint32_t id) {
    Connection& c = connections_[id];
    c.connected = true;
    c.bound = false;
    c.backlog = false;
    c.replaying = false;
    c.keep_orders = false;
    c.stream = nullptr;
    c.send_cursor = 0;
    c.session.open(now_);
    c.model.open();
    c.stamps.reset();
    c.bytes.clear();
    c.reads.clear();
    c.received = c.consumed = 0;
    c.merged = false;
    c.last_stamp = 0;
    c.last_receive = c.last_send = now_;
    c.next_outbound = 0;
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
        const bool added = sequence(request, recv_ticks);
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
        reject(id, request, decision.reason, recv_ticks);
        return;
      case SessionAction::kRejectedAndClose:
        reject(id, request, decision.reason, recv_ticks);
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

  // OrderServer::reject: numbered through the engine for a logged-on client, else seq_num 0.
  void reject(std::uint32_t id, const ClientRequest& request, RejectReason reason,
              std::uint64_t recv_ticks) {
    Connection& c = connections_[id];
    if (c.session.logged_on()) {
      ClientRequest internal = request;
      internal.msg_type = kSessionReject;
      internal.client_id = c.session.client_id();
      internal.flags = static_cast<std::uint8_t>(reason);
      const bool added = sequence(internal, recv_ticks);
      LLT_FUZZ_CHECK(added, "the sequencer refused a session reject decode() had room for");
      ++forwarded_;
      return;
    }
    stage(id, reply(ClientResponseType::kRejected, request, reason));
  }

  // OrderServer::logon.
  void logon(std::uint32_t id, const ClientRequest& request) {
    Connection& c = connections_[id];
    const ClientId client_id = request.client_id;
    ClientStream* stream = streams_.find(client_id);
    if (stream != nullptr && stream->connection != ClientStream::kNoConnection) {
      reject_logon(id, request, RejectReason::kClientIdInUse);
      return;
    }
    if (logged_on_ + sequencer_.pending_cancel_alls() >= connections_count_) {
      reject_logon(id, request, RejectReason::kCapacity);
      return;
    }
    const SeqNum replay_from = request.order_id;
    const SeqNum next_response = stream != nullptr ? stream->next_response : 1;
    if (replay_from > next_response) {
      reject_logon(id, request, RejectReason::kBadSeqNum);
      return;
    }
    if (replay_from != 0 && stream != nullptr && replay_from < streams_.oldest(*stream)) {
      reject_logon(id, request, RejectReason::kReplayUnavailable);
      return;
    }
    if (stream == nullptr) {
      stream = streams_.find_or_add(client_id);
      if (stream == nullptr) {
        reject_logon(id, request, RejectReason::kCapacity);
        return;
      }
    }
    // The model's view of the same logon.
    ModelClient& model = clients_[client_id];
    LLT_FUZZ_CHECK(replay_from <= model.next_response(),
                   "replay from {} accepted, the next response is {}", replay_from,
                   model.next_response());
    LLT_FUZZ_CHECK(replay_from == 0 || model.next_response() <= kReplayDepth ||
                       replay_from >= model.next_response() - kReplayDepth,
                   "replay from {} accepted, {} responses numbered, {} kept", replay_from,
                   model.next_response() - 1, kReplayDepth);
    const bool keep_orders = (request.flags & kKeepOrders) != 0;
    model.keep_orders = keep_orders;
    stream->connection = id;
    stream->keep_orders = keep_orders;
    stream->connected = true;
    c.stream = stream;
    c.keep_orders = keep_orders;
    c.session.accept_logon(client_id, stream->next_request);
    c.model.bind(client_id, model.next_request);
    c.bound = true;
    c.send_cursor = replay_from != 0 ? replay_from : stream->next_response;
    c.replaying = c.send_cursor < stream->next_response;
    ++logged_on_;
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonAccepted;
    response.client_id = client_id;
    response.seq_num = c.send_cursor;
    response.client_order_id = stream->next_request;
    response.market_order_id = stream->next_response;
    stage(id, response);
  }

  void reject_logon(std::uint32_t id, const ClientRequest& request, RejectReason reason) {
    // What the model says of the range (the other reasons are the server's own state).
    const ClientId client_id = request.client_id;
    const auto known = clients_.find(client_id);
    const SeqNum next_response = known != clients_.end() ? known->second.next_response() : 1;
    const SeqNum replay_from = request.order_id;
    if (reason == RejectReason::kBadSeqNum) {
      LLT_FUZZ_CHECK(replay_from > next_response, "replay from {} refused, the next response is {}",
                     replay_from, next_response);
    } else if (reason == RejectReason::kReplayUnavailable) {
      LLT_FUZZ_CHECK(replay_from != 0 && next_response > kReplayDepth &&
                         replay_from < next_response - kReplayDepth,
                     "replay from {} unavailable, the next response is {}", replay_from,
                     next_response);
    }
    ClientResponse response{};
    response.msg_type = ClientResponseType::kLogonRejected;
    response.client_id = client_id;
    response.reject_reason = reason;
    const ClientStream* stream = streams_.find(client_id);
    response.seq_num = stream != nullptr ? stream->next_response : 1;
    stage(id, response);
    close_gracefully(id);
  }

  // One message leaves on the connection: checks its number against the connection's and the
  // client's streams.
  void stage(std::uint32_t id, const ClientResponse& response) {
    Connection& c = connections_[id];
    LLT_FUZZ_CHECK(c.connected, "a response staged on a closed connection");
    c.session.on_sent(now_);
    c.last_send = now_;
    const SeqNum seq = response.seq_num;
    const ClientId client_id = response.client_id;
    switch (response.msg_type) {
      case ClientResponseType::kLogonAccepted: {
        const ModelClient& model = clients_[client_id];
        const SeqNum next_request = response.client_order_id;
        const SeqNum next_live = response.market_order_id;
        LLT_FUZZ_CHECK(next_request == model.next_request && next_live == model.next_response(),
                       "LOGON_ACCEPTED says next request {} and next response {}, the model {} "
                       "and {}",
                       next_request, next_live, model.next_request, model.next_response());
        LLT_FUZZ_CHECK(seq >= 1 && seq <= next_live, "LOGON_ACCEPTED seq_num {}, next live {}", seq,
                       next_live);
        c.next_outbound = seq;
        return;
      }
      case ClientResponseType::kLogonRejected: {
        const auto known = clients_.find(client_id);
        const SeqNum next = known != clients_.end() ? known->second.next_response() : 1;
        LLT_FUZZ_CHECK(seq == next, "LOGON_REJECTED carries {}, the next response is {}", seq,
                       next);
        return;
      }
      case ClientResponseType::kHeartbeat: {
        const SeqNum next = clients_[client_id].next_response();
        LLT_FUZZ_CHECK(seq == next && seq == c.next_outbound,
                       "HEARTBEAT carries {}, the next response is {}, the connection's {}", seq,
                       next, c.next_outbound);
        return;
      }
      default:
        break;
    }
    if (c.next_outbound == 0) {
      LLT_FUZZ_CHECK(response.msg_type == ClientResponseType::kRejected && seq == 0,
                     "{} to connection {} that never logged on", llt::exchange::to_string(response),
                     id);
      return;
    }
    // A closing session stops its replay (the server's pump does), so the live responses it
    // still gets may skip what it was not yet sent; an open one gets every number in turn.
    LLT_FUZZ_CHECK(seq == c.next_outbound || (!c.session.logged_on() && seq > c.next_outbound),
                   "connection {} sends seq {}, expected {}", id, seq, c.next_outbound);
    c.next_outbound = seq + 1;
    const std::vector<ClientResponse>& kept = clients_[client_id].responses;
    LLT_FUZZ_CHECK(seq >= 1 && seq <= kept.size() &&
                       std::memcmp(&kept[seq - 1], &response, sizeof(response)) == 0,
                   "connection {} sends {}, the stream numbered {}", id,
                   llt::exchange::to_string(response),
                   seq >= 1 && seq <= kept.size() ? llt::exchange::to_string(kept[seq - 1])
                                                  : std::string("nothing"));
  }

  // OrderServer::pump_replays, kReplayPerPump responses at a time.
  void pump_replays() {
    for (std::uint32_t id = 0; id < connections_count_; ++id) {
      Connection& c = connections_[id];
      if (!c.replaying) {
        continue;
      }
      if (!c.bound || !c.session.logged_on()) {
        c.replaying = false;
        continue;
      }
      const std::span<const ClientResponse> run =
          streams_.run(*c.stream, c.send_cursor, kReplayPerPump);
      if (run.empty()) {
        // The ring overwrote what it had not sent: the server closes it as a slow reader.
        LLT_FUZZ_CHECK(c.send_cursor < streams_.oldest(*c.stream),
                       "nothing to replay from {}, the stream's oldest {} and next {}",
                       c.send_cursor, streams_.oldest(*c.stream), c.stream->next_response);
        peer_closed(id);
        continue;
      }
      for (const ClientResponse& response : run) {
        stage(id, response);
      }
      c.send_cursor += run.size();
      if (c.send_cursor == c.stream->next_response) {
        c.replaying = false;
      }
    }
  }

  // --- Session ends ---

  void end_session(std::uint32_t id) {
    Connection& c = connections_[id];
    if (!c.session.accepting_requests()) {
      return;
    }
    if (c.session.logged_on()) {
      LLT_FUZZ_CHECK(c.session.expected_seq() == c.model.expected(),
                     "the session expects request {}, the model {}", c.session.expected_seq(),
                     c.model.expected());
      c.stream->next_request = c.session.expected_seq();
      clients_[c.session.client_id()].next_request = c.model.expected();
      --logged_on_;
      if (!c.keep_orders) {
        c.stream->connected = false;
        ClientRequest cancel_all{};
        cancel_all.msg_type = kCancelAllOfClient;
        cancel_all.client_id = c.session.client_id();
        const bool added = sequence(cancel_all, now_);
        LLT_FUZZ_CHECK(added, "no room for a cancel-all ({} pending, {} logged on)",
                       sequencer_.size(), logged_on_);
        ++cancel_alls_;
      }
    }
    c.session.start_closing();
    c.model.closing();
  }

  static void unbind(Connection& c) {
    if (c.bound) {
      c.stream->connection = ClientStream::kNoConnection;
      c.bound = false;
      c.replaying = false;
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
      } else if (due && !c.replaying) {
        ClientResponse heartbeat{};
        heartbeat.msg_type = ClientResponseType::kHeartbeat;
        heartbeat.client_id = c.session.client_id();
        heartbeat.seq_num = c.stream->next_response;
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
      std::deque<ClientRequest>& added = added_by_client_[client];
      LLT_FUZZ_CHECK(
          !added.empty() && std::memcmp(&added.front(), &request, sizeof(request)) == 0,
          "client {}: {} released, {} was added before it", client,
          llt::exchange::to_string(request),
          added.empty() ? std::string("nothing") : llt::exchange::to_string(added.front()));
      added.pop_front();
      if (request.msg_type == kCancelAllOfClient) {
        ++cancel_alls_released_;
      } else {
        ++released_;
        if (request.msg_type != kSessionReject) {
          // A client's request numbers rise for the whole day, across its connections.
          const SeqNum seq = request.seq_num;
          LLT_FUZZ_CHECK(seq > last_seq_[client], "client {} request seq {} released after {}",
                         client, seq, last_seq_[client]);
          last_seq_[client] = seq;
        }
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
      const bool is_session_reject = current_->msg_type == kSessionReject;
      if (is_session_reject) {
        LLT_FUZZ_CHECK(type == ClientResponseType::kRejected &&
                           static_cast<std::uint8_t>(response.reject_reason) == current_->flags,
                       "a session reject answered {}", llt::exchange::to_string(response));
        ++answers_;
      }
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
    // A copy: a packed field is not aligned for a reference.
    const ClientId client_id = response.client_id;
    ClientStream* stream = streams_.find(client_id);
    LLT_FUZZ_CHECK(stream != nullptr, "a response for client {}, which never logged on", client_id);
    const ClientResponse& numbered = streams_.append(*stream, response);
    ModelClient& model = clients_[client_id];
    model.responses.push_back(response);
    model.responses.back().seq_num = model.responses.size();
    LLT_FUZZ_CHECK(numbered.seq_num == model.responses.size(),
                   "client {} response numbered {}, the model {}", client_id, numbered.seq_num,
                   model.responses.size());
    const std::uint32_t id = stream->connection;
    if (id == ClientStream::kNoConnection) {
      return;  // kept for the client's next connection
    }
    LLT_FUZZ_CHECK(id < connections_count_ && connections_[id].bound &&
                       connections_[id].session.client_id() == client_id,
                   "client {} routed to connection {} of client {}", client_id, id,
                   id < connections_count_ ? connections_[id].session.client_id() : 0);
    Connection& c = connections_[id];
    if (c.replaying) {
      return;  // pump_replays() sends it after the responses before it
    }
    c.send_cursor = numbered.seq_num + 1;
    stage(id, numbered);
  }

  FuzzInput& in_;
  std::size_t connections_count_;
  std::size_t max_pending_;
  std::vector<Connection> connections_;
  ClientStreams streams_;
  std::unordered_map<ClientId, ModelClient> clients_;
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
  // Per client, what was added to the sequencer and not yet released, in the order added.
  std::unordered_map<ClientId, std::deque<ClientRequest>> added_by_client_;
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
