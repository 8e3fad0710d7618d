#include "common/net/tcp_server.h"

#include <netinet/in.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <thread>

#include "common/net/socket_address.h"
#include "common/net/socket_error.h"

namespace llt::common {

namespace {

void check_count(std::size_t value, std::size_t limit, const char* name) {
  if (value == 0 || value > limit) {
    throw std::invalid_argument(std::string("TcpServerOptions::") + name + " = " +
                                std::to_string(value) + ": must be in [1, " +
                                std::to_string(limit) + "]");
  }
}

}  // namespace

TcpServer::TcpServer(const TcpServerOptions& options) {
  check_count(options.max_connections, kMaxConnectionsLimit, "max_connections");
  check_count(options.max_events_per_poll, 1 << 16, "max_events_per_poll");
  check_count(options.max_accepts_per_poll, 1 << 16, "max_accepts_per_poll");
  if (options.listen_backlog <= 0) {
    throw std::invalid_argument("TcpServerOptions::listen_backlog must be > 0");
  }
  sockaddr_in address = make_sockaddr(options.address, options.port);
  const std::string requested = format_endpoint(address);

  listen_fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd_.valid()) {
    const int error = errno;
    throw socket_error(error, "socket for", requested);
  }
  const int one = 1;
  if (::setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    const int error = errno;
    throw socket_error(error, "setsockopt SO_REUSEADDR", requested);
  }
  if (::bind(listen_fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    throw socket_error(error, "bind", requested);
  }
  if (::listen(listen_fd_.get(), options.listen_backlog) != 0) {
    const int error = errno;
    throw socket_error(error, "listen", requested);
  }
  socklen_t length = sizeof(address);
  if (::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    throw socket_error(error, "getsockname", requested);
  }
  port_ = ntohs(address.sin_port);
  local_name_ = format_endpoint(address);

  if (options.io == IoBackend::kUring) {
    // A receive and a send per connection, their cancellations, and the listener's poll.
    uring_ = std::make_unique<UringLoop>(options.max_connections * 4 + 4);
    completions_.resize(options.max_events_per_poll);
  } else {
    epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_fd_.valid()) {
      const int error = errno;
      throw socket_error(error, "epoll_create1 for", local_name_);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerKey;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listen_fd_.get(), &event) != 0) {
      const int error = errno;
      throw socket_error(error, "epoll_ctl ADD listener", local_name_);
    }
    events_.resize(options.max_events_per_poll);
  }

  max_accepts_per_poll_ = options.max_accepts_per_poll;
  connections_.reserve(options.max_connections);
  for (std::size_t i = 0; i < options.max_connections; ++i) {
    connections_.emplace_back(options.receive_buffer_bytes, options.send_buffer_bytes);
    connections_.back().set_deferred_sends(uring_ != nullptr);
  }
  slots_.resize(options.max_connections);
  free_.reserve(options.max_connections);
  for (std::size_t i = options.max_connections; i-- > 0;) {
    free_.push_back(static_cast<ConnectionId>(i));  // id 0 is taken first
  }
  active_.reserve(options.max_connections);
}

TcpServer::~TcpServer() {
  if (uring_ != nullptr) {
    drain_ring();
    uring_.reset();  // before the connections' buffers
  }
}

bool TcpServer::watch_readiness() noexcept {
  if (uring_ != nullptr || watch_ != nullptr) {
    return watch_ != nullptr;
  }
  try {
    // The readiness poll is posted by the first may_have_input(), on the thread that polls:
    // the kernel completes a request on the thread that submitted it, and would otherwise
    // interrupt the constructing thread's blocking calls to deliver each report.
    watch_ = std::make_unique<UringLoop>(1);
    watch_armed_ = false;
    must_look_ = true;  // what happened before the watch: the next poll() looks
  } catch (const std::exception&) {
    return false;  // io_uring refused (disabled, memory lock limits): no watch
  }
  return true;
}

bool TcpServer::may_have_input() noexcept {
  if (watch_ == nullptr) {
    return true;
  }
  if (LLT_UNLIKELY(!watch_armed_)) {
    watch_armed_ = arm_watch();
    return true;
  }
  if (must_look_) {
    return true;
  }
  std::array<UringCompletion, 4> reports;
  const std::size_t count = watch_->reap(reports.data(), reports.size());
  if (count == 0) {
    return false;
  }
  must_look_ = true;
  // A multishot poll the kernel ended (its completion queue overflowed, or the thread that
  // posted it exited: -ECANCELED) is posted again from this thread. One it refused, or a post
  // that fails, drops the watch: the caller then looks as if it had none.
  const UringCompletion& last = reports[count - 1];
  if (!last.more) {
    if (last.result < 0 && last.result != -ECANCELED) {
      watch_.reset();
    } else {
      (void)arm_watch();
    }
  }
  return true;
}

bool TcpServer::arm_watch() noexcept {
  if (watch_->poll_readable(0, epoll_fd_.get()) && watch_->submit() == 1) {
    return true;
  }
  watch_.reset();
  return false;
}

void TcpServer::drain_ring() noexcept {
  // Tearing a ring down cancels its requests in the background; a receive could still write
  // into a buffer freed by then. So cancel every posted request and wait (bounded) for each
  // to complete before anything is freed.
  // Completions already taken from the ring and not yet handled: those requests are over.
  for (std::size_t i = 0; i < kept_; ++i) {
    if (bool* posted = posted_flag(completions_[i])) {
      *posted = false;
    }
  }
  kept_ = 0;
  std::size_t posted = 0;
  for (ConnectionId id = 0; id < slots_.size(); ++id) {
    Slot& slot = slots_[id];
    if (slot.receive_posted) {
      ++posted;
      (void)uring_->cancel(ring_key(kReceiveOp, id));
    }
    if (slot.send_posted) {
      ++posted;
      (void)uring_->cancel(ring_key(kSendOp, id));
    }
  }
  (void)uring_->submit();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (posted > 0 && std::chrono::steady_clock::now() < deadline) {
    const std::size_t count = uring_->reap(completions_.data(), completions_.size());
    for (std::size_t i = 0; i < count; ++i) {
      bool* flag = posted_flag(completions_[i]);
      if (flag != nullptr && *flag) {
        *flag = false;
        --posted;
      }
    }
    if (count == 0) {
      std::this_thread::yield();
    }
  }
}

bool TcpServer::close(ConnectionId id) noexcept {
  if (id >= slots_.size() || !slots_[id].open) {
    return false;
  }
  (void)connections_[id].flush();
  release_slot(id);
  return true;
}

TcpServer::ConnectionId TcpServer::open_slot(SocketFd fd) noexcept {
  if (free_.empty()) {
    ++refused_;
    return kNoId;  // `fd` closes here
  }
  const ConnectionId id = free_.back();
  Slot& slot = slots_[id];
  TcpConnection& connection = connections_[id];
  const IoResult attached = connection.attach(std::move(fd));
  if (!attached.ok()) {
    ++accept_errors_;
    last_accept_error_ = attached.error;
    return kNoId;
  }
  if (uring_ == nullptr) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = key_of(id, slot.generation);
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, connection.fd(), &event) != 0) {
      ++accept_errors_;
      last_accept_error_ = errno;
      connection.close();
      return kNoId;
    }
  }
  free_.pop_back();
  slot.open = true;
  slot.active_index = static_cast<std::uint32_t>(active_.size());
  active_.push_back(id);  // capacity reserved: never allocates
  return id;
}

void TcpServer::release_slot(ConnectionId id) noexcept {
  Slot& slot = slots_[id];
  TcpConnection& connection = connections_[id];
  if (uring_ != nullptr && (slot.receive_posted || slot.send_posted)) {
    // Posted requests may still read from or write into the connection's buffers: shut the
    // socket down (the peer sees the close now, and the requests end), cancel them, and keep
    // the descriptor open until both have completed (free_if_drained), so its number is not
    // reused while a request prepared with it might still be submitted.
    (void)::shutdown(connection.fd(), SHUT_RDWR);
    if (slot.receive_posted) {
      (void)uring_->cancel(ring_key(kReceiveOp, id));
    }
    if (slot.send_posted) {
      (void)uring_->cancel(ring_key(kSendOp, id));
    }
    (void)uring_->submit();
    slot.draining_socket = connection.detach();
  } else {
    if (uring_ == nullptr) {
      // Closing the fd would drop it from the epoll set too; deleting first keeps that
      // explicit even if the fd was ever duplicated.
      (void)::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, connection.fd(), nullptr);
    }
    connection.close();
  }
  slot.open = false;
  ++slot.generation;
  const ConnectionId moved = active_.back();
  active_[slot.active_index] = moved;
  slots_[moved].active_index = slot.active_index;
  active_.pop_back();
  if (!slot.receive_posted && !slot.send_posted) {
    free_.push_back(id);  // capacity reserved: never allocates
  } else {
    ++draining_;
  }
}

}  // namespace llt::common
