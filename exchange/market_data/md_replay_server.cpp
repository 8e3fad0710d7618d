#include "exchange/market_data/md_replay_server.h"

#include <algorithm>
#include <stdexcept>

namespace llt::exchange {

namespace {

// The user-space send queue of a connection: one chunk of records and a REPLAY_END fit.
constexpr std::size_t kSendBufferBytes = 4096;
// Requests are 16 bytes; a burst of pipelined ones beyond this waits in the kernel.
constexpr std::size_t kReceiveBufferBytes = 4096;

common::TcpServerOptions tcp_options(const MdReplayServerOptions& options) {
  common::TcpServerOptions tcp;
  tcp.address = options.address;
  tcp.port = options.port;
  tcp.max_connections = options.max_connections;
  tcp.receive_buffer_bytes = kReceiveBufferBytes;
  tcp.send_buffer_bytes = kSendBufferBytes;
  tcp.listen_backlog = 512;
  tcp.max_accepts_per_poll = 64;
  tcp.max_events_per_poll = 256;
  tcp.io = options.io;
  return tcp;
}

std::uint64_t ticks_of_ns(const common::TscClock& clock, double ns) {
  return static_cast<std::uint64_t>(ns * clock.ticks_per_ns());
}

}  // namespace

const MdReplayServerOptions& check_options(const MdReplayServerOptions& options) {
  if (options.max_connections == 0) {
    throw std::invalid_argument("market data replay: max connections must be > 0");
  }
  if (options.stall_timeout_ms == 0) {
    throw std::invalid_argument("market data replay: stall timeout must be > 0");
  }
  if (options.max_records_per_poll == 0) {
    throw std::invalid_argument("market data replay: max records per poll must be > 0");
  }
  return options;
}

MdReplayServer::MdReplayServer(const MdReplayServerOptions& options, const MdReplayRing& ring,
                               const common::TscClock& clock)
    : options_(check_options(options)),
      ring_(ring),
      clock_(clock),
      server_(tcp_options(options_)),
      port_(server_.port()),
      stall_ticks_(ticks_of_ns(clock, options_.stall_timeout_ms * 1e6)),
      idle_poll_ticks_(ticks_of_ns(clock, options_.idle_poll_interval_us * 1e3)),
      answers_(options_.max_connections) {
  static_assert(kChunkRecords * sizeof(MarketUpdate) + sizeof(MarketUpdate) <= kSendBufferBytes,
                "a chunk and its REPLAY_END fit the send queue");
  busy_.reserve(options_.max_connections);
  if (options_.watch_readiness) {
    (void)server_.watch_readiness();  // false: the idle polls are spaced instead
  }
}

MdReplayServerStats MdReplayServer::stats() const noexcept {
  MdReplayServerStats stats;
  stats.connections_accepted = connections_accepted_.load();
  stats.connections_refused = refused_.load();
  stats.requests = requests_.load();
  stats.records_sent = records_sent_.load();
  stats.not_available = not_available_.load();
  stats.not_yet_published = not_yet_published_.load();
  stats.bad_requests = bad_requests_.load();
  stats.garbage_closed = garbage_closed_.load();
  stats.slow_closed = slow_closed_.load();
  return stats;
}

int MdReplayServer::poll() {
  if (busy_.empty() && !server_.has_pending_input()) {
    if (server_.watching()) {
      if (!server_.may_have_input()) {
        return 0;
      }
    } else if (server_.io_backend() != common::IoBackend::kUring) {
      const std::uint64_t now = clock_.now_ticks();
      if (now >= last_server_poll_ticks_ && now - last_server_poll_ticks_ < idle_poll_ticks_) {
        return 0;
      }
      last_server_poll_ticks_ = now;
    }
  }
  int work = server_.poll(*this);
  refused_.set(server_.refused_connections());
  if (busy_.empty()) {
    return work;
  }

  // Answers in progress, from a rotating start so a small budget is shared fairly.
  std::uint64_t budget = options_.max_records_per_poll;
  const std::size_t count = busy_.size();
  const std::size_t start = rotation_++ % count;
  for (std::size_t n = 0; n < count; ++n) {
    const common::TcpConnectionId id = busy_[(start + n) % count];
    Answer& answer = answers_[id];
    common::TcpConnection* connection = server_.connection(id);
    if (!answer.open || connection == nullptr) {
      continue;
    }
    const long sent = pump(id, *connection, budget);
    if (sent != 0) {
      ++work;
    }
  }
  // Keep the connections that still have something to do.
  std::size_t keep = 0;
  for (const common::TcpConnectionId id : busy_) {
    Answer& answer = answers_[id];
    const common::TcpConnection* connection = server_.connection(id);
    if (answer.open && connection != nullptr &&
        (answer.active || connection->pending_send_bytes() > 0 ||
         connection->received_size() >= sizeof(MdReplayRequest))) {
      busy_[keep++] = id;
    } else {
      answer.in_busy = false;
    }
  }
  busy_.resize(keep);
  // uring: the answers go to the kernel now (epoll: already did). Input the submit took from
  // the ring waits for the next poll: work, so the thread does not sleep on an emptied ring.
  if (server_.submit() > 0 || server_.has_pending_input()) {
    ++work;
  }
  return work;
}

void MdReplayServer::on_accept(common::TcpConnectionId id, common::TcpConnection&) noexcept {
  Answer& answer = answers_[id];
  const bool in_busy = answer.in_busy;
  answer = Answer{};
  answer.open = true;
  answer.in_busy = in_busy;
  connections_accepted_.add();
}

void MdReplayServer::on_data(common::TcpConnectionId id,
                             common::TcpConnection& connection) noexcept {
  Answer& answer = answers_[id];
  if (!answer.active && !take_requests(id, connection)) {
    return;
  }
  if (!answer.in_busy && (answer.active || connection.pending_send_bytes() > 0 ||
                          connection.received_size() >= sizeof(MdReplayRequest))) {
    answer.in_busy = true;
    busy_.push_back(id);
  }
}

void MdReplayServer::on_closed(common::TcpConnectionId id) noexcept {
  Answer& answer = answers_[id];
  answer.open = false;
  answer.active = false;
}

void MdReplayServer::close(common::TcpConnectionId id) noexcept {
  Answer& answer = answers_[id];
  answer.open = false;
  answer.active = false;
  (void)server_.close(id);
}

bool MdReplayServer::send_end(common::TcpConnectionId id, common::TcpConnection& connection,
                              SeqNum from_seq, std::uint64_t records,
                              MdReplayStatus status) noexcept {
  switch (status) {
    case MdReplayStatus::kServed:
      break;
    case MdReplayStatus::kNotAvailable:
      not_available_.add();
      break;
    case MdReplayStatus::kNotYetPublished:
      not_yet_published_.add();
      break;
    case MdReplayStatus::kBadRequest:
      bad_requests_.add();
      break;
  }
  const MarketUpdate end = make_replay_end(from_seq, records, status);
  const common::IoResult result = connection.send(&end, sizeof(end));
  if (LLT_UNLIKELY(!result.ok())) {
    close(id);
    return false;
  }
  return true;
}

bool MdReplayServer::take_requests(common::TcpConnectionId id,
                                   common::TcpConnection& connection) noexcept {
  Answer& answer = answers_[id];
  while (!answer.active && has_room_for_end(connection)) {
    const auto* message = connection.peek_message<MdReplayRequest>();
    if (message == nullptr) {
      break;
    }
    const MdReplayRequest request = *message;
    connection.consume(sizeof(MdReplayRequest));
    requests_.add();
    if (request.reserved != 0) {
      // Garbage: the stream cannot be trusted to be framed; answer and hang up.
      garbage_closed_.add();
      if (send_end(id, connection, request.from_seq, 0, MdReplayStatus::kBadRequest)) {
        close(id);
      }
      return false;
    }
    if (request.count == 0 || request.count > kMaxMdReplayCount || request.from_seq == 0) {
      if (!send_end(id, connection, request.from_seq, 0, MdReplayStatus::kBadRequest)) {
        return false;
      }
      continue;
    }
    const SeqNum last = ring_.last_published();
    MdReplayStatus refusal = MdReplayStatus::kServed;
    if (request.from_seq > last) {
      refusal = MdReplayStatus::kNotYetPublished;
    } else if (request.from_seq < ring_.oldest_kept(last)) {
      refusal = MdReplayStatus::kNotAvailable;
    }
    if (refusal != MdReplayStatus::kServed) {
      if (!send_end(id, connection, request.from_seq, 0, refusal)) {
        return false;
      }
      continue;
    }
    answer.active = true;
    answer.from_seq = request.from_seq;
    answer.next_seq = request.from_seq;
    answer.last_seq =
        last - request.from_seq >= request.count - 1 ? request.from_seq + request.count - 1 : last;
    answer.sent = 0;
  }
  return true;
}

long MdReplayServer::pump(common::TcpConnectionId id, common::TcpConnection& connection,
                          std::uint64_t& budget) noexcept {
  Answer& answer = answers_[id];
  long sent_now = 0;
  for (;;) {
    if (connection.pending_send_bytes() > 0) {
      const common::IoResult flushed = connection.flush();
      if (LLT_UNLIKELY(flushed.status == common::IoStatus::kClosed ||
                       flushed.status == common::IoStatus::kError)) {
        close(id);
        return -1;
      }
    }
    if (connection.pending_send_bytes() > 0) {
      // The kernel takes no more: the reader is behind. Bounded in time.
      const std::uint64_t now = clock_.now_ticks();
      if (answer.stalled_since_ticks == 0) {
        answer.stalled_since_ticks = now;
      } else if (now > answer.stalled_since_ticks &&
                 now - answer.stalled_since_ticks >= stall_ticks_) {
        slow_closed_.add();
        close(id);
        return -1;
      }
      return sent_now;
    }
    answer.stalled_since_ticks = 0;
    if (!answer.active) {
      if (!take_requests(id, connection)) {
        return -1;
      }
      if (!answer.active) {
        return sent_now;  // nothing more asked, or its refusals are queued
      }
    }
    if (budget == 0) {
      return sent_now;
    }
    const std::uint64_t remaining = answer.last_seq - answer.next_seq + 1;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>({remaining, budget, kChunkRecords}));
    std::size_t got = 0;
    while (got < want && ring_.read(answer.next_seq + got, chunk_[got])) {
      ++got;
    }
    if (got > 0) {
      const common::IoResult result = connection.send(chunk_.data(), got * sizeof(MarketUpdate));
      if (LLT_UNLIKELY(!result.ok())) {
        close(id);
        return -1;
      }
      answer.next_seq += got;
      answer.sent += got;
      budget -= got;
      sent_now += static_cast<long>(got);
      records_sent_.add(got);
    }
    const bool overwritten = got < want;
    if (overwritten || answer.next_seq > answer.last_seq) {
      answer.active = false;
      if (!send_end(id, connection, answer.from_seq, answer.sent,
                    overwritten ? MdReplayStatus::kNotAvailable : MdReplayStatus::kServed)) {
        return -1;
      }
    }
  }
}

}  // namespace llt::exchange
