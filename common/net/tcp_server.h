#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/net/io_backend.h"
#include "common/net/io_status.h"
#include "common/net/socket_fd.h"
#include "common/net/tcp_connection.h"
#include "common/net/uring_loop.h"

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
  std::size_t max_events_per_poll = 64;   // epoll events or ring completions per poll()
  std::size_t max_accepts_per_poll = 16;  // new connections taken by one poll()
  IoBackend io = IoBackend::kEpoll;       // docs/io_backends.md
};

// A non-blocking TCP listener with a table of connections allocated at construction
// (max_connections TcpConnection objects with their buffers). poll() never blocks and does a
// bounded amount of work. Two I/O back ends (docs/io_backends.md):
// - epoll: one epoll_wait with timeout 0, at most max_events_per_poll events, one
//   read_some() per readable connection, and a flush of every connection with queued bytes
//   (send() on a connection writes to the kernel at once).
// - uring: an io_uring with a receive posted on every connection; poll() takes at most
//   max_events_per_poll completions (no system call), hands received bytes to the handler,
//   posts new receives and the sends of every connection's queued bytes, and submits them in
//   one io_uring_enter. send() on a connection only queues: the bytes go to the kernel at the
//   end of this poll(), or earlier with submit(). A closed connection's slot is reused only
//   once the kernel has finished with its buffers.
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
    if (uring_ != nullptr) {
      return poll_uring(handler);
    }
    int ready = 0;
    if (may_have_input()) {
      ++epoll_waits_;
      ready = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), 0);
      if (LLT_UNLIKELY(ready < 0)) {
        if (errno != EINTR) {
          ++poll_errors_;
        }
        ready = 0;
      }
      must_look_ = ready > 0;
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

  // Hands the bytes queued on every connection to the kernel now (uring: one io_uring_enter
  // for all of them; epoll: nothing to do, send() wrote them). For a caller that wants its
  // responses out before other work of the same pass. Returns the requests submitted.
  int submit() noexcept {
    if (uring_ == nullptr) {
      return 0;
    }
    if (!in_poll_) {
      (void)take_send_completions();  // a connection whose send finished may send again
    }
    for (const ConnectionId id : active_) {
      post_send(id);
    }
    return submit_posted();
  }

  // uring: completions a submit() outside poll() took from the ring and left for the next
  // poll's handler. An agent counts them as work, or a thread about to sleep on wait_fd()
  // (which they no longer make readable) would leave them waiting.
  [[nodiscard]] bool has_pending_input() const noexcept { return kept_ > 0; }

  [[nodiscard]] IoBackend io_backend() const noexcept {
    return uring_ != nullptr ? IoBackend::kUring : IoBackend::kEpoll;
  }
  // io_uring_enter() calls so far (0 with epoll).
  [[nodiscard]] std::uint64_t ring_enters() const noexcept {
    return uring_ != nullptr ? uring_->enters() : 0;
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
  // epoll_wait or io_uring_enter failures.
  [[nodiscard]] std::uint64_t poll_errors() const noexcept { return poll_errors_; }

  // epoll back end, start-up: has the kernel report through a small io_uring of its own when
  // the epoll descriptor becomes readable (a multishot readiness poll on it), so that
  // may_have_input() can tell without a system call that a poll() would find nothing
  // (docs/io_backends.md, Watching an idle epoll server). Returns whether the watch is set:
  // false with the uring back end (its poll makes no system call when idle anyway) or when
  // the kernel refuses io_uring; nothing changes then.
  bool watch_readiness() noexcept;
  // Whether the readiness watch is set (it is dropped if it cannot be re-armed).
  [[nodiscard]] bool watching() const noexcept { return watch_ != nullptr; }
  // false only when the watch is set, the last epoll_wait() found no event, and no socket of
  // the server has become ready since then: a poll() now would find nothing to read or
  // accept (it then makes no epoll_wait; it still flushes queued sends). true otherwise, and
  // until a poll() has looked. No system call unless the kernel has a report to deliver.
  [[nodiscard]] bool may_have_input() noexcept;
  // epoll_wait() calls made by poll() (0 with uring).
  [[nodiscard]] std::uint64_t epoll_waits() const noexcept { return epoll_waits_; }

  // For a thread that sleeps in a WaitSet (block idle strategy). epoll: the epoll
  // descriptor, readable when the listener or a connection has input; a connection whose
  // sends wait for room in its socket buffer does not make it readable (those are retried at
  // the next poll). uring: the ring's descriptor, readable while completions wait.
  [[nodiscard]] int wait_fd() const noexcept {
    return uring_ != nullptr ? uring_->fd() : epoll_fd_.get();
  }

 private:
  static constexpr std::uint64_t kListenerKey = UINT64_MAX;
  static constexpr std::size_t kMaxConnectionsLimit = std::size_t{1} << 20;

  struct Slot {
    std::uint32_t generation = 0;  // bumped on close, so a stale epoll event is recognised
    std::uint32_t active_index = 0;
    bool open = false;
    // uring: a receive / a send of this slot is posted; a closed slot is free again only once
    // neither is (the kernel may still write into or read from its buffers until then).
    bool receive_posted = false;
    bool send_posted = false;
    // uring: a closed slot's socket, kept open while its requests drain so its descriptor
    // number cannot be reused under them.
    SocketFd draining_socket;
  };

  // uring user_data: the request's kind in the top two bits, the connection id below.
  static constexpr std::uint64_t kReceiveOp = 0;
  static constexpr std::uint64_t kSendOp = 1;
  static constexpr std::uint64_t kListenerOp = 2;
  static constexpr std::uint64_t kIgnoredOp = 3;  // UringLoop::kIgnored
  [[nodiscard]] static constexpr std::uint64_t ring_key(std::uint64_t op,
                                                        ConnectionId id) noexcept {
    return (op << 62) | id;
  }
  [[nodiscard]] static constexpr std::uint64_t op_of(const UringCompletion& c) noexcept {
    return c.user_data >> 62;
  }
  [[nodiscard]] static constexpr ConnectionId id_of(const UringCompletion& c) noexcept {
    return static_cast<ConnectionId>(c.user_data & 0xFFFFFFFFu);
  }
  // The posted flag a connection request's completion clears; nullptr for the others.
  [[nodiscard]] bool* posted_flag(const UringCompletion& c) noexcept {
    const std::uint64_t op = op_of(c);
    if (op != kReceiveOp && op != kSendOp) {
      return nullptr;
    }
    Slot& slot = slots_[id_of(c)];
    return op == kReceiveOp ? &slot.receive_posted : &slot.send_posted;
  }

  template <class Handler>
  int poll_uring(Handler& handler) {
    // Finished sends first, so the handler finds its connections' send buffers as empty as
    // the kernel has made them.
    int work = take_send_completions();
    const std::size_t count = kept_;
    kept_ = 0;
    in_poll_ = true;  // a handler's submit() must not reap into completions_ meanwhile
    for (std::size_t i = 0; i < count; ++i) {
      work += complete(handler, completions_[i]);
    }
    in_poll_ = false;
    if (accept_again_) {
      accept_again_ = false;
      work += accept_pending(handler);
    }
    // Backwards: on_data (and a handler's close()) swap-remove from active_.
    for (std::size_t i = active_.size(); i-- > 0;) {
      if (i >= active_.size()) {
        continue;
      }
      const ConnectionId id = active_[i];
      if (!slots_[id].receive_posted && !post_receive(id)) {
        // The receive buffer is full of unconsumed bytes: the handler reads them now, as
        // with epoll's kBufferFull, and the receive is posted at the next poll.
        handler.on_data(id, connections_[id]);
        ++work;
        if (i >= active_.size() || active_[i] != id) {
          continue;  // the handler closed it
        }
      }
      post_send(id);
    }
    if (!listener_posted_) {
      listener_posted_ = uring_->poll_readable(ring_key(kListenerOp, 0), listen_fd_.get());
    }
    (void)submit_posted();
    return work;
  }

  template <class Handler>
  int complete(Handler& handler, const UringCompletion& completion) {
    const std::uint64_t op = op_of(completion);
    if (op == kIgnoredOp) {
      return 0;
    }
    if (op == kListenerOp) {
      listener_posted_ = completion.more;
      return accept_pending(handler);
    }
    const ConnectionId id = id_of(completion);
    Slot& slot = slots_[id];
    TcpConnection& connection = connections_[id];
    const int result = completion.result;
    if (op == kReceiveOp) {
      slot.receive_posted = false;
      if (!slot.open) {
        free_if_drained(id);
        return 0;
      }
      connection.ring_received(result > 0 ? static_cast<std::size_t>(result) : 0);
      if (LLT_LIKELY(result > 0)) {
        handler.on_data(id, connection);
        return 1;
      }
      if (result == -EINTR || result == -EAGAIN) {
        return 0;  // posted again at the end of this poll
      }
    } else {
      slot.send_posted = false;
      if (!slot.open) {
        free_if_drained(id);
        return 0;
      }
      connection.ring_send_done(result > 0 ? static_cast<std::size_t>(result) : 0);
      if (LLT_LIKELY(result >= 0 || result == -EINTR || result == -EAGAIN)) {
        return result > 0 ? 1 : 0;  // the rest, if any, is posted at the end of this poll
      }
    }
    // Read 0 (the peer closed), a reset, or another failure.
    release_slot(id);
    handler.on_closed(id);
    return 1;
  }

  // Reaps what the ring has behind the completions kept so far, and applies at once the
  // sends that ended without error and the completions that need no handler (a closed
  // slot's requests, cancellations); the rest stay kept for the next poll. Returns the sends
  // that wrote bytes.
  int take_send_completions() noexcept {
    const std::size_t before = kept_;
    kept_ += uring_->reap(completions_.data() + kept_, completions_.size() - kept_);
    int work = 0;
    std::size_t out = before;
    for (std::size_t i = before; i < kept_; ++i) {
      const UringCompletion& completion = completions_[i];
      const std::uint64_t op = op_of(completion);
      if (op == kIgnoredOp) {
        continue;
      }
      if (bool* posted = posted_flag(completion)) {
        const ConnectionId id = id_of(completion);
        Slot& slot = slots_[id];
        if (!slot.open) {
          *posted = false;
          free_if_drained(id);
          continue;
        }
        if (op == kSendOp && completion.result >= 0) {
          slot.send_posted = false;
          connections_[id].ring_send_done(static_cast<std::size_t>(completion.result));
          work += completion.result > 0 ? 1 : 0;
          continue;
        }
      }
      completions_[out++] = completion;
    }
    kept_ = out;
    return work;
  }

  // Posts a receive into the connection's free space; false when the buffer is full.
  bool post_receive(ConnectionId id) noexcept {
    TcpConnection& connection = connections_[id];
    const std::span<std::byte> space = connection.receive_space();
    if (space.empty()) {
      return false;
    }
    if (uring_->receive(ring_key(kReceiveOp, id), connection.fd(), space.data(), space.size())) {
      slots_[id].receive_posted = true;
      connection.ring_receive_posted();
    }
    return true;
  }

  // Posts a send of the connection's queued bytes, unless one is outstanding.
  void post_send(ConnectionId id) noexcept {
    Slot& slot = slots_[id];
    if (slot.send_posted) {
      return;
    }
    TcpConnection& connection = connections_[id];
    const std::span<const std::byte> bytes = connection.unsent();
    if (bytes.empty()) {
      return;
    }
    if (uring_->send(ring_key(kSendOp, id), connection.fd(), bytes.data(), bytes.size())) {
      slot.send_posted = true;
      connection.ring_send_posted(bytes.size());
    }
  }

  int submit_posted() noexcept {
    const int submitted = uring_->submit();
    if (LLT_UNLIKELY(submitted < 0)) {
      ++poll_errors_;
      return 0;
    }
    return submitted;
  }

  // A closed slot whose last posted request just completed goes back to the free list.
  void free_if_drained(ConnectionId id) noexcept {
    Slot& slot = slots_[id];
    if (!slot.open && !slot.receive_posted && !slot.send_posted) {
      --draining_;
      slot.draining_socket.reset();
      free_.push_back(id);  // capacity reserved: never allocates
    }
  }

  [[nodiscard]] static std::uint64_t key_of(ConnectionId id, std::uint32_t generation) noexcept {
    return (std::uint64_t{generation} << 32) | id;
  }

  template <class Handler>
  int accept_pending(Handler& handler) {
    int work = 0;
    for (std::size_t n = 0; n < max_accepts_per_poll_; ++n) {
      if (free_.empty() && draining_ > 0) {
        // uring: a closed slot is about to be free; take the connection once it is rather
        // than refusing it for a table that is not really full.
        accept_again_ = true;
        return work;
      }
      const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int error = errno;
        if (error == EINTR || error == ECONNABORTED) {
          continue;
        }
        if (error != EAGAIN && error != EWOULDBLOCK) {
          ++accept_errors_;
          last_accept_error_ = error;
          accept_again_ = true;  // uring: the listener's poll will not report these again
        }
        return work;
      }
      ++work;
      const ConnectionId id = open_slot(SocketFd(fd));
      if (id != kNoId) {
        handler.on_accept(id, connections_[id]);
      }
    }
    // The cap was reached: uring's readiness poll of the listener reported the connections
    // waiting then once, so the next poll takes the rest itself.
    accept_again_ = true;
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
  // uring, at destruction: cancels every posted request and waits for them to complete.
  void drain_ring() noexcept;
  // Posts the watch's readiness poll from this thread; when that fails the watch is dropped.
  bool arm_watch() noexcept;

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
  std::vector<UringCompletion> completions_;
  std::size_t kept_ = 0;  // completions_[0, kept_) wait for the next poll's handler
  bool in_poll_ = false;  // poll_uring() is walking completions_
  // Declared after connections_ so it is destroyed first: tearing the ring down waits for
  // the kernel to finish with the connections' buffers.
  std::unique_ptr<UringLoop> uring_;
  bool listener_posted_ = false;
  std::size_t draining_ = 0;  // closed slots whose posted requests have not completed
  // uring: the listener may hold connections its poll will not report again (a draining
  // slot, the per-poll cap, an accept error): the next poll tries again.
  bool accept_again_ = false;
  std::uint64_t refused_ = 0;
  std::uint64_t accept_errors_ = 0;
  int last_accept_error_ = 0;
  std::uint64_t poll_errors_ = 0;
  std::uint64_t epoll_waits_ = 0;
  // The next poll() calls epoll_wait whatever the watch says: the last one found events, or
  // the watch reported since.
  bool must_look_ = true;
  // The readiness watch of the epoll descriptor (watch_readiness()); declared after epoll_fd_
  // so it is torn down first.
  std::unique_ptr<UringLoop> watch_;
  bool watch_armed_ = false;  // its readiness poll is posted
};

}  // namespace llt::common
