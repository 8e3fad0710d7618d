#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/concurrent/wait_set.h"
#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"
#include "common/time/tsc_clock.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/md_replay.h"
#include "exchange/protocol/types.h"

namespace llt::trading {

// The market data consumer's client of the exchange's replay port (docs/protocol.md, Market
// data replay; docs/recovery.md): one request at a time over one non-blocking TCP connection,
// kept open between requests and opened again when it was closed.
//
// request() asks for `count` records from `from_seq`; poll() advances the connect, reads the
// answer and passes each record, checked (an incremental type, the next number of the range),
// to a sink, until the request ends with one Outcome:
//  - kServed: REPLAY_END SERVED that matches the records passed (the range may have been cut
//    at the last record published: the caller asks again for what is still missing);
//  - kRefused: REPLAY_END with another status (not available, not yet published, bad request);
//  - kConnectFailed, kClosed (the connection failed or the exchange closed it), kGarbage (a
//    record out of place, or a REPLAY_END that does not match: the connection is closed);
//  - kTimeout: no REPLAY_END within the timeout from request() (the connection is closed, so a
//    late answer is never taken for the next request's).
// Records passed before a failure are valid (each is the stream's record with that number).
//
// Buffers are allocated at construction; request() and poll() never allocate, block or throw.
// Thread contract: not thread-safe; the consumer's thread.
class MdReplayClient {
 public:
  enum class Outcome : std::uint8_t {
    kPending,  // a request is in progress (or none was made)
    kServed,
    kRefused,
    kConnectFailed,
    kClosed,
    kGarbage,
    kTimeout,
  };

  // Start-up: `host` is an IPv4 address (std::invalid_argument otherwise), port > 0,
  // timeout_ms > 0.
  MdReplayClient(const std::string& host, std::uint16_t port, std::uint32_t timeout_ms,
                 const common::TscClock& clock = common::TscClock::instance());

  MdReplayClient(const MdReplayClient&) = delete;
  MdReplayClient& operator=(const MdReplayClient&) = delete;

  // Block idle strategy: each connection it opens is watched in `waits` (nullptr: none).
  void set_wait_set(common::WaitSet* waits) noexcept { waits_ = waits; }

  [[nodiscard]] bool busy() const noexcept { return state_ != State::kIdle; }
  [[nodiscard]] bool connected() const noexcept { return connection_.is_open(); }
  [[nodiscard]] exchange::SeqNum from_seq() const noexcept { return from_seq_; }
  [[nodiscard]] std::uint64_t records_received() const noexcept { return received_; }
  // The REPLAY_END status of the last kRefused.
  [[nodiscard]] exchange::MdReplayStatus last_status() const noexcept { return last_status_; }

  // Starts a request at now_ticks (clock ticks). False (nothing done) while one is in progress
  // or when the arguments are out of the protocol's range.
  bool request(exchange::SeqNum from_seq, std::uint32_t count, std::uint64_t now_ticks) noexcept {
    if (busy() || from_seq == 0 || count == 0 || count > exchange::kMaxMdReplayCount) {
      return false;
    }
    from_seq_ = from_seq;
    count_ = count;
    received_ = 0;
    deadline_ticks_ = now_ticks + timeout_ticks_;
    if (connection_.is_open()) {
      // Kept from an earlier request: unless the exchange closed it meanwhile (then connect
      // again), send at once.
      const common::IoResult probe = connection_.read_some();
      if (probe.status == common::IoStatus::kWouldBlock && send_request()) {
        state_ = State::kAwaiting;
        return true;
      }
      connection_.close();
    }
    switch (connector_.start(address_)) {
      case common::TcpConnector::Status::kConnected:
        state_ = attach_and_send() ? State::kAwaiting : State::kFailed;
        break;
      case common::TcpConnector::Status::kInProgress:
        state_ = State::kConnecting;
        break;
      case common::TcpConnector::Status::kIdle:
      case common::TcpConnector::Status::kFailed:
        state_ = State::kConnectFailed;
        break;
    }
    return true;
  }

  // Advances the request in progress at now_ticks: sink(const exchange::MarketUpdate&) for
  // each record read. Returns kPending until the request ends, then its outcome once (the
  // client is idle again).
  template <class Sink>
  Outcome poll(std::uint64_t now_ticks, Sink&& sink) noexcept {
    switch (state_) {
      case State::kIdle:
        return Outcome::kPending;
      case State::kFailed:
        return finish(Outcome::kClosed);
      case State::kConnectFailed:
        return finish(Outcome::kConnectFailed);
      case State::kConnecting:
        switch (connector_.check()) {
          case common::TcpConnector::Status::kConnected:
            if (!attach_and_send()) {
              return finish(Outcome::kConnectFailed);
            }
            state_ = State::kAwaiting;
            break;
          case common::TcpConnector::Status::kInProgress:
            return timed_out(now_ticks);
          case common::TcpConnector::Status::kIdle:
          case common::TcpConnector::Status::kFailed:
            return finish(Outcome::kConnectFailed);
        }
        break;
      case State::kAwaiting:
        break;
    }
    for (int reads = 0; reads < kMaxReadsPerPoll; ++reads) {
      const common::IoResult result = connection_.read_some();
      if (result.status == common::IoStatus::kWouldBlock) {
        break;
      }
      if (LLT_UNLIKELY(!result.ok() && result.status != common::IoStatus::kBufferFull)) {
        connection_.close();
        return finish(Outcome::kClosed);
      }
      Outcome outcome = Outcome::kPending;
      connection_.for_each_message<exchange::MarketUpdate>(
          [&](const exchange::MarketUpdate& record) noexcept {
            outcome = on_record(record, sink);
            return outcome == Outcome::kPending;
          });
      if (outcome != Outcome::kPending) {
        if (outcome == Outcome::kGarbage || connection_.received_size() != 0) {
          connection_.close();  // bytes beyond the answer: the framing cannot be trusted
        }
        return finish(outcome);
      }
    }
    return timed_out(now_ticks);
  }

  // Closes the connection and forgets any request in progress.
  void reset() noexcept {
    connector_.abandon();
    connection_.close();
    state_ = State::kIdle;
  }

 private:
  enum class State : std::uint8_t { kIdle, kConnecting, kAwaiting, kFailed, kConnectFailed };
  static constexpr int kMaxReadsPerPoll = 16;
  static constexpr std::size_t kReceiveBytes = 64 * 1024;
  static constexpr std::size_t kSendBytes = 4 * sizeof(exchange::MdReplayRequest);

  template <class Sink>
  Outcome on_record(const exchange::MarketUpdate& record, Sink& sink) noexcept {
    using Type = exchange::MarketUpdateType;
    if (record.msg_type == Type::kReplayEnd) {
      if (record.seq_num != from_seq_ || record.order_id != received_) {
        return Outcome::kGarbage;
      }
      last_status_ = static_cast<exchange::MdReplayStatus>(record.qty);
      return last_status_ == exchange::MdReplayStatus::kServed ? Outcome::kServed
                                                               : Outcome::kRefused;
    }
    const bool incremental = record.msg_type == Type::kClear || record.msg_type == Type::kAdd ||
                             record.msg_type == Type::kModify || record.msg_type == Type::kCancel ||
                             record.msg_type == Type::kTrade;
    if (!incremental || received_ >= count_ || record.seq_num != from_seq_ + received_) {
      return Outcome::kGarbage;
    }
    ++received_;
    sink(record);
    return Outcome::kPending;
  }

  Outcome timed_out(std::uint64_t now_ticks) noexcept {
    if (now_ticks < deadline_ticks_) {
      return Outcome::kPending;
    }
    connector_.abandon();
    connection_.close();
    return finish(Outcome::kTimeout);
  }

  Outcome finish(Outcome outcome) noexcept {
    state_ = State::kIdle;
    return outcome;
  }

  bool attach_and_send() noexcept {
    if (!connection_.attach(connector_.take()).ok()) {
      return false;
    }
    if (waits_ != nullptr) {
      (void)waits_->watch(connection_.fd());
    }
    return send_request();
  }

  bool send_request() noexcept {
    exchange::MdReplayRequest request;
    request.from_seq = from_seq_;
    request.count = count_;
    if (!connection_.send(&request, sizeof(request)).ok()) {
      connection_.close();
      return false;
    }
    return true;
  }

  common::WaitSet* waits_ = nullptr;
  const sockaddr_in address_;
  const std::uint64_t timeout_ticks_;
  common::TcpConnector connector_;
  common::TcpConnection connection_;
  State state_ = State::kIdle;
  exchange::SeqNum from_seq_ = 0;
  std::uint32_t count_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t deadline_ticks_ = 0;
  exchange::MdReplayStatus last_status_ = exchange::MdReplayStatus::kServed;
};

}  // namespace llt::trading
