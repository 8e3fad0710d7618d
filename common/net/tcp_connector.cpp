#include "common/net/tcp_connector.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace llt::common {

TcpConnector::Status TcpConnector::start(const sockaddr_in& address) noexcept {
  abandon();
  fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) {
    return fail(errno);
  }
  for (;;) {
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
      status_ = Status::kConnected;
      return status_;
    }
    const int error = errno;
    if (error == EINTR) {
      // The handshake goes on in the kernel; check() sees its outcome.
      status_ = Status::kInProgress;
      return status_;
    }
    if (error == EINPROGRESS) {
      status_ = Status::kInProgress;
      return status_;
    }
    return fail(error);
  }
}

TcpConnector::Status TcpConnector::check() noexcept {
  if (status_ != Status::kInProgress) {
    return status_;
  }
  pollfd waiting{fd_.get(), POLLOUT, 0};
  const int ready = ::poll(&waiting, 1, 0);
  if (ready < 0) {
    const int error = errno;
    return error == EINTR ? status_ : fail(error);
  }
  if (ready == 0) {
    return status_;
  }
  int so_error = 0;
  socklen_t length = sizeof(so_error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) {
    so_error = errno;
  }
  if (so_error != 0) {
    return fail(so_error);
  }
  status_ = Status::kConnected;
  return status_;
}

SocketFd TcpConnector::take() noexcept {
  status_ = Status::kIdle;
  return std::move(fd_);
}

void TcpConnector::abandon() noexcept {
  fd_.reset();
  status_ = Status::kIdle;
}

TcpConnector::Status TcpConnector::fail(int error) noexcept {
  fd_.reset();
  error_ = error;
  status_ = Status::kFailed;
  return status_;
}

}  // namespace llt::common
