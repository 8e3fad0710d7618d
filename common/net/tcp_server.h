#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/socket_fd.h"
#include "common/net/tcp_connection.h"

namespace llt::common {

// Index of a connection in a TcpServer's table, in [0, max_connections). Reused after close.
using TcpConnectionId = std::uint32_t;

// What a TcpServer reports to. Called from inside TcpServer::poll(), on its thread:
//   on_accept(id, conn)  a new connection took slot `id`.
//   on_data(id, conn)    read_some() put new bytes in conn's receive buffer, or the buffer
//                        is full: read whole messages (for_each_message / consume) now.
//   on_closed(id)        the peer closed or reset the connection, or it failed; the slot is
//                        already free. Not called for TcpServer::close().
// A handler may send() on any open connection and call TcpServer::close() on any id; it must
// not call TcpServer::poll() (no re-entry).
template <class H>
concept TcpServerHandler = requires(H& handler, TcpConnectionId id, TcpConnection& connection) {
  handler.on_accept(id, connection);
  handler.on_data(id, connection);
  handler.on_closed(id);
};

struct TcpServerOptions {
  std::string address = "127.0.0.1";  // IPv4 address to listen on
  std::uint16_t port = 0;             // 0: the kernel picks a free port, see TcpServer::port()
  std::size_t max_connections = 64;   // open connections; further ones are accepted and closed
  std::size_t receive_buffer_bytes = 64 * 1024;  // per connection
  std::size_t send_buffer_bytes = 64 * 1024;     // per connection
  int listen_backlog = 128;
  std::size_t max_events_per_poll = 64;   // epoll events handled by one poll()
  std::size_t max_accepts_per_poll = 16;  // new connections taken by one poll()
};

// A non-blocking TCP listener with an epoll set and a table of connections allocated at
// construction (max_connections TcpConnection objects with their buffers). poll() never
// blocks and does a bounded amount of work: one epoll_wait with timeout 0, at most
// max_events_per_poll events, one read_some() per readable connection, and a flush of every
// connection with queued send bytes.
//
// Thread contract: not thread-safe; construction aside, every member is called from the one
// thread that polls.
class TcpServer {
 public:
  using ConnectionId = TcpConnectionId;

  // Binds (SO_REUSEADDR) and listens. Throws std::invalid_argument for a malformed address or
  // a zero/oversized count, std::system_error naming the address and the errno text on a
  // setup failure (e.g. "bind 127.0.0.1:9000: Address already in use").
  explicit TcpServer(const TcpServerOptions& options);

  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;
  TcpServer(TcpServer&&) = delete;
  TcpServer& operator=(TcpServer&&) = delete;
  ~TcpServer();

  // The port actually bound (the kernel's choice when the options said 0).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // "a.b.c.d:port" as bound.
  [[nodiscard]] const std::string& local_name() const noexcept { return local_name_; }

  // Accepts new connections, reads readable ones and flushes pending sends, reporting to
  // `handler`. Never blocks, allocates or throws itself (a handler's exception propagates).
  // Returns the work done: connections accepted or refused, reads that moved bytes or ended
  // a connection, and flushes that wrote bytes. 0 means nothing happened.
  template <TcpServerHandler Handler>
  int poll(Handler& handler) {
    int ready = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), 0);
    if (LLT_UNLIKELY(ready < 0)) {
      if (errno != EINTR) {
        ++poll_errors_;
      }
      ready = 0;
    }
    int work = 0;
    for (int i = 0; i < ready; ++i) {
      const epoll_event& event = events_[static_cast<std::size_t>(i)];
      if (event.data.u64 == kListenerKey) {
        work += accept_pending(handler);
      } else {
        work += service(handler, event.data.u64);
      }
    }
    return work + flush_pending(handler);
  }

  // Closes connection `id` (kicking a session): one non-blocking flush of its queued bytes is
  // attempted, whatever remains is dropped, and the slot is freed. The handler's on_closed is
  // not called. Returns false when `id` is not an open connection.
  [[nodiscard]] bool close(ConnectionId id) noexcept;

  // The open connection `id`, or nullptr. Valid until it is closed.
  [[nodiscard]] TcpConnection* connection(ConnectionId id) noexcept {
    return id < slots_.size() && slots_[id].open ? &connections_[id] : nullptr;
  }

  [[nodiscard]] std::size_t connection_count() const noexcept { return active_.size(); }
  [[nodiscard]] std::size_t max_connections() const noexcept { return connections_.size(); }
  // Connections accepted and closed at once because the table was full.
  [[nodiscard]] std::uint64_t refused_connections() const noexcept { return refused_; }
  // accept4, attach or epoll_ctl failures (e.g. EMFILE); the last errno is kept.
  [[nodiscard]] std::uint64_t accept_errors() const noexcept { return accept_errors_; }
  [[nodiscard]] int last_accept_error() const noexcept { return last_accept_error_; }
  [[nodiscard]] std::uint64_t poll_errors() const noexcept { return poll_errors_; }

  // The server's epoll descriptor: readable when the listener or a connection has input, for
  // a thread that sleeps in a WaitSet (block idle strategy). A connection whose sends wait for
  // room in its socket buffer does not make it readable: those are retried at the next poll.
  [[nodiscard]] int wait_fd() const noexcept { return epoll_fd_.get(); }

 private:
  static constexpr std::uint64_t kListenerKey = UINT64_MAX;
  static constexpr std::size_t kMaxConnectionsLimit = std::size_t{1} << 20;

  struct Slot {
    std::uint32_t generation = 0;  // bumped on close, so a stale epoll event is recognised
    std::uint32_t active_index = 0;
    bool open = false;
  };

  [[nodiscard]] static std::uint64_t key_of(ConnectionId id, std::uint32_t generation) noexcept {
    return (std::uint64_t{generation} << 32) | id;
  }

  template <class Handler>
  int accept_pending(Handler& handler) {
    int work = 0;
    for (std::size_t n = 0; n < max_accepts_per_poll_; ++n) {
      const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int error = errno;
        if (error == EINTR || error == ECONNABORTED) {
          continue;
        }
        if (error != EAGAIN && error != EWOULDBLOCK) {
          ++accept_errors_;
          last_accept_error_ = error;
        }
        break;
      }
      ++work;
      const ConnectionId id = open_slot(SocketFd(fd));
      if (id != kNoId) {
        handler.on_accept(id, connections_[id]);
      }
    }
    return work;
  }

  template <class Handler>
  int service(Handler& handler, std::uint64_t key) {
    const auto id = static_cast<ConnectionId>(key & 0xFFFFFFFFu);
    const auto generation = static_cast<std::uint32_t>(key >> 32);
    if (id >= slots_.size() || !slots_[id].open || slots_[id].generation != generation) {
      return 0;  // closed earlier in this pass
    }
    TcpConnection& connection = connections_[id];
    const IoResult result = connection.read_some();
    switch (result.status) {
      case IoStatus::kOk:
      case IoStatus::kBufferFull:
        handler.on_data(id, connection);
        return 1;
      case IoStatus::kWouldBlock:
        return 0;
      case IoStatus::kClosed:
      case IoStatus::kError:
        break;
    }
    release_slot(id);
    handler.on_closed(id);
    return 1;
  }

  template <class Handler>
  int flush_pending(Handler& handler) {
    int work = 0;
    // Backwards: release_slot() (and a handler's close()) swap-remove from active_.
    for (std::size_t i = active_.size(); i-- > 0;) {
      if (i >= active_.size()) {
        continue;
      }
      const ConnectionId id = active_[i];
      TcpConnection& connection = connections_[id];
      if (connection.pending_send_bytes() == 0) {
        continue;
      }
      const IoResult result = connection.flush();
      if (result.bytes > 0) {
        ++work;
      }
      if (LLT_UNLIKELY(result.status == IoStatus::kClosed || result.status == IoStatus::kError)) {
        release_slot(id);
        handler.on_closed(id);
        ++work;
      }
    }
    return work;
  }

  static constexpr ConnectionId kNoId = UINT32_MAX;

  // Takes a free slot for an accepted socket. Returns its id, or kNoId when the table is full
  // (the socket is closed and counted as refused) or the socket could not be set up.
  [[nodiscard]] ConnectionId open_slot(SocketFd fd) noexcept;
  // Closes the connection and frees the slot; no handler call.
  void release_slot(ConnectionId id) noexcept;

  SocketFd listen_fd_;
  SocketFd epoll_fd_;
  std::uint16_t port_ = 0;
  std::string local_name_;
  std::size_t max_accepts_per_poll_ = 0;
  std::vector<TcpConnection> connections_;  // indexed by ConnectionId
  std::vector<Slot> slots_;                 // indexed by ConnectionId
  std::vector<ConnectionId> free_;          // free ids; back() is taken next
  std::vector<ConnectionId> active_;        // open ids, unordered (capacity reserved)
  std::vector<epoll_event> events_;
  std::uint64_t refused_ = 0;
  std::uint64_t accept_errors_ = 0;
  int last_accept_error_ = 0;
  std::uint64_t poll_errors_ = 0;
};

}  // namespace llt::common
