#include "common/net/tcp_connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdexcept>

#include "common/net/socket_address.h"
#include "common/net/socket_error.h"

namespace llt::common {

namespace {

std::unique_ptr<std::byte[]> allocate_buffer(std::size_t capacity, const char* what) {
  if (capacity == 0) {
    throw std::invalid_argument(std::string("TcpConnection ") + what + " capacity must be > 0");
  }
  // Value-initialised: zeroing touches every page, so none faults in on the hot path.
  return std::make_unique<std::byte[]>(capacity);
}

// Returns 0 or the errno of the failing call.
int configure_socket(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0) {
    return errno;
  }
  if ((flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return errno;
  }
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return errno;
  }
  return 0;
}

}  // namespace

TcpConnection::TcpConnection(std::size_t receive_capacity, std::size_t send_capacity)
    : recv_buf_(allocate_buffer(receive_capacity, "receive")),
      recv_capacity_(receive_capacity),
      send_buf_(allocate_buffer(send_capacity, "send")),
      send_capacity_(send_capacity) {}

TcpConnection::TcpConnection(SocketFd fd, std::size_t receive_capacity, std::size_t send_capacity)
    : TcpConnection(receive_capacity, send_capacity) {
  const int raw = fd.get();
  const IoResult result = attach(std::move(fd));
  if (!result.ok()) {
    throw socket_error(result.error, "configure TCP socket", "fd " + std::to_string(raw));
  }
}

TcpConnection::TcpConnection(TcpConnection&& other) noexcept
    : fd_(std::move(other.fd_)),
      recv_buf_(std::move(other.recv_buf_)),
      recv_capacity_(std::exchange(other.recv_capacity_, 0)),
      recv_head_(std::exchange(other.recv_head_, 0)),
      recv_tail_(std::exchange(other.recv_tail_, 0)),
      send_buf_(std::move(other.send_buf_)),
      send_capacity_(std::exchange(other.send_capacity_, 0)),
      send_head_(std::exchange(other.send_head_, 0)),
      send_tail_(std::exchange(other.send_tail_, 0)),
      send_in_flight_(std::exchange(other.send_in_flight_, 0)),
      deferred_sends_(std::exchange(other.deferred_sends_, false)),
      receive_posted_(std::exchange(other.receive_posted_, false)) {}

TcpConnection& TcpConnection::operator=(TcpConnection&& other) noexcept {
  if (this != &other) {
    fd_ = std::move(other.fd_);
    recv_buf_ = std::move(other.recv_buf_);
    recv_capacity_ = std::exchange(other.recv_capacity_, 0);
    recv_head_ = std::exchange(other.recv_head_, 0);
    recv_tail_ = std::exchange(other.recv_tail_, 0);
    send_buf_ = std::move(other.send_buf_);
    send_capacity_ = std::exchange(other.send_capacity_, 0);
    send_head_ = std::exchange(other.send_head_, 0);
    send_tail_ = std::exchange(other.send_tail_, 0);
    send_in_flight_ = std::exchange(other.send_in_flight_, 0);
    deferred_sends_ = std::exchange(other.deferred_sends_, false);
    receive_posted_ = std::exchange(other.receive_posted_, false);
  }
  return *this;
}

IoResult TcpConnection::attach(SocketFd fd) noexcept {
  close();
  if (!fd.valid()) {
    return {IoStatus::kError, 0, EBADF};
  }
  const int error = configure_socket(fd.get());
  if (error != 0) {
    return {IoStatus::kError, 0, error};
  }
  fd_ = std::move(fd);
  return {IoStatus::kOk, 0, 0};
}

std::string TcpConnection::peer_name() const {
  if (!fd_.valid()) {
    return {};
  }
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
      peer.sin_family != AF_INET) {
    return {};
  }
  return format_endpoint(peer);
}

}  // namespace llt::common
