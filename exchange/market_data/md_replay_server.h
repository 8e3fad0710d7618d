#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "common/time/tsc_clock.h"
#include "exchange/market_data/md_replay_ring.h"
#include "exchange/protocol/md_replay.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

struct MdReplayServerOptions {
  std::string address = "127.0.0.1";  // IPv4 address to listen on (the exchange's --listen-addr)
  std::uint16_t port = 0;             // --md-replay-port; 0 here: any free port (tests)
  // Open connections; further ones are accepted and closed at once. > 0.
  std::size_t max_connections = 256;
  // A connection whose answer bytes the kernel has not all taken for this long (the reader
  // does not read, or reads too slowly) is closed. > 0.
  std::uint32_t stall_timeout_ms = 2000;
  // Records one poll copies out of the ring, over every connection, so agents sharing a
  // thread all get their turn. > 0.
  std::uint32_t max_records_per_poll = 4096;
  // With the epoll back end, an idle agent learns that a connection or a request arrived from
  // a readiness watch (TcpServer::watch_readiness): its poll makes no system call until then,
  // and a request is taken at the next poll. false, or where the kernel refuses io_uring: see
  // idle_poll_interval_us.
  bool watch_readiness = true;
  // epoll without the watch: with no answer in progress, the listener and the connections are
  // looked at no more often than this (each look is a system call; the replay is a gap fill,
  // not a hot path). 0: every poll. The uring back end looks at every poll: an idle look reads
  // the ring's completion queue, no system call.
  std::uint32_t idle_poll_interval_us = 100;
  common::IoBackend io = common::IoBackend::kEpoll;  // docs/io_backends.md
};

// Returns options unchanged, or throws std::invalid_argument naming the option out of range.
const MdReplayServerOptions& check_options(const MdReplayServerOptions& options);

// Copy of the replay agent's counters. Readable from any thread while it runs (each value
// recent, the set not necessarily consistent).
struct MdReplayServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // accepted and closed: the table was full
  std::uint64_t requests = 0;             // well-formed or not, each answered by a REPLAY_END
  std::uint64_t records_sent = 0;         // records (REPLAY_END not included)
  std::uint64_t not_available = 0;        // answers with status NOT_AVAILABLE
  std::uint64_t not_yet_published = 0;    // answers with status NOT_YET_PUBLISHED
  std::uint64_t bad_requests = 0;         // answers with status BAD_REQUEST
  std::uint64_t garbage_closed = 0;       // connections closed for a non-zero reserved field
  std::uint64_t slow_closed = 0;          // connections closed for not reading their answer
};

// The market data replay agent (docs/protocol.md, Market data replay; docs/architecture.md,
// Agents): a TCP listener whose connections send 16-byte MdReplayRequests and get back the
// records of the incremental stream from the publisher's MdReplayRing, then a REPLAY_END.
//
// Answers (REPLAY_END seq_num = from_seq, order_id = records sent, qty = status):
//  - reserved != 0: garbage, REPLAY_END BAD_REQUEST (when it fits the send buffer), then the
//    connection is closed.
//  - count 0 or > 65,536, or from_seq 0: REPLAY_END BAD_REQUEST, 0 records; the connection
//    stays open.
//  - from_seq > the last published: NOT_YET_PUBLISHED, 0 records.
//  - from_seq older than the ring keeps: NOT_AVAILABLE, 0 records.
//  - otherwise the records from from_seq up to from_seq + count - 1 or the last published at
//    the time of the request, whichever comes first, then SERVED with their number. If a
//    record is overwritten by the publisher before it is sent (the reader was slower than the
//    stream wrapped the ring), the answer stops there: NOT_AVAILABLE with the records sent.
// A connection may pipeline requests; they are answered one after the other, in order.
// Records are copied out of the ring straight into the socket a chunk at a time; the
// connection's user-space queue holds at most one chunk and the REPLAY_END. When that queue
// stays non-empty (the kernel's socket buffer is full) for stall_timeout_ms, the connection is
// closed: the publisher never waits, and a slow reader only loses its own connection.
//
// Thread contract: constructed on any thread (binds the port: std::system_error naming the
// address when it cannot); on_start and poll on the agent's thread; stats() and port() from
// any thread.
class MdReplayServer final : public common::Agent {
 public:
  MdReplayServer(const MdReplayServerOptions& options, const MdReplayRing& ring,
                 const common::TscClock& clock = common::TscClock::instance());

  MdReplayServer(const MdReplayServer&) = delete;
  MdReplayServer& operator=(const MdReplayServer&) = delete;

  int poll() override;
  [[nodiscard]] std::string_view name() const override { return "md_replay"; }
  void on_wait_set(common::WaitSet& waits) override { (void)waits.watch(server_.wait_fd()); }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] MdReplayServerStats stats() const noexcept;
  [[nodiscard]] const MdReplayServerOptions& options() const noexcept { return options_; }
  // Whether the readiness watch is set (agent's thread, or once the runner stopped).
  [[nodiscard]] bool watching_readiness() const noexcept { return server_.watching(); }
  // epoll_wait() calls the agent made (agent's thread, or once the runner stopped).
  [[nodiscard]] std::uint64_t epoll_waits() const noexcept { return server_.epoll_waits(); }
  // io_uring_enter() calls of the uring back end (same threads).
  [[nodiscard]] std::uint64_t ring_enters() const noexcept { return server_.ring_enters(); }

  // TcpServerHandler (called from inside poll()).
  void on_accept(common::TcpConnectionId id, common::TcpConnection& connection) noexcept;
  void on_data(common::TcpConnectionId id, common::TcpConnection& connection) noexcept;
  void on_closed(common::TcpConnectionId id) noexcept;

 private:
  // Records copied and sent as one write.
  static constexpr std::size_t kChunkRecords = 32;

  struct Answer {
    bool open = false;
    bool active = false;                    // a request is being answered
    SeqNum from_seq = 0;                    // of the request being answered
    SeqNum next_seq = 0;                    // next record to send
    SeqNum last_seq = 0;                    // last record to send (inclusive)
    std::uint64_t sent = 0;                 // records sent for this request
    std::uint64_t stalled_since_ticks = 0;  // 0: the queue was empty at the last look
    bool in_busy = false;                   // listed in busy_
  };

  // Takes buffered requests of connection `id` in order while no answer is in progress.
  // Returns false when the connection was closed.
  bool take_requests(common::TcpConnectionId id, common::TcpConnection& connection) noexcept;
  // Sends records of the answer in progress while the kernel takes them, within `budget`
  // records; ends the answer with its REPLAY_END. Returns the records sent, or -1 when the
  // connection was closed.
  long pump(common::TcpConnectionId id, common::TcpConnection& connection,
            std::uint64_t& budget) noexcept;
  // Queues a REPLAY_END; false when the connection failed (then closed).
  bool send_end(common::TcpConnectionId id, common::TcpConnection& connection, SeqNum from_seq,
                std::uint64_t records, MdReplayStatus status) noexcept;
  void close(common::TcpConnectionId id) noexcept;
  [[nodiscard]] bool has_room_for_end(const common::TcpConnection& connection) const noexcept {
    return connection.send_capacity() - connection.pending_send_bytes() >= sizeof(MarketUpdate);
  }

  const MdReplayServerOptions options_;
  const MdReplayRing& ring_;
  const common::TscClock& clock_;
  common::TcpServer server_;
  const std::uint16_t port_;
  const std::uint64_t stall_ticks_;
  const std::uint64_t idle_poll_ticks_;
  std::uint64_t last_server_poll_ticks_ = 0;
  std::vector<Answer> answers_;  // indexed by connection id
  // Connections with an answer in progress, queued bytes or a whole request buffered.
  std::vector<common::TcpConnectionId> busy_;
  std::size_t rotation_ = 0;  // where the next pass over busy_ starts, for fairness
  std::array<MarketUpdate, kChunkRecords> chunk_{};

  alignas(common::kCacheLineSize) common::SingleWriterCounter connections_accepted_;
  common::SingleWriterCounter requests_;
  common::SingleWriterCounter records_sent_;
  common::SingleWriterCounter not_available_;
  common::SingleWriterCounter not_yet_published_;
  common::SingleWriterCounter bad_requests_;
  common::SingleWriterCounter garbage_closed_;
  common::SingleWriterCounter slow_closed_;
  common::SingleWriterCounter refused_;
};

}  // namespace llt::exchange
