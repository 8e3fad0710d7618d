#pragma once

#include <netinet/in.h>

#include <cstdint>

#include "common/net/socket_fd.h"

namespace llt::common {

// A non-blocking TCP connect, advanced by polling, so an agent's thread (the trading client's
// order gateway) never waits for the three-way handshake.
//
// start() creates a non-blocking socket and calls connect(); check() asks the kernel, without
// waiting, whether it completed; take() hands over the connected socket, for
// TcpConnection::attach(). None of them allocates, blocks or throws.
//
// Thread contract: not thread-safe; the owning agent's thread calls every member.
class TcpConnector {
 public:
  enum class Status : std::uint8_t {
    kIdle,        // no attempt in progress
    kInProgress,  // the handshake has not finished yet: check() again later
    kConnected,   // take() the socket
    kFailed,      // the attempt failed; error() holds the errno (ECONNREFUSED, ...)
  };

  // Starts connecting to `address`, abandoning any attempt in progress. Returns kInProgress,
  // kConnected (loopback may complete at once) or kFailed.
  [[nodiscard]] Status start(const sockaddr_in& address) noexcept;

  // Polls the attempt without blocking. Returns kInProgress, kConnected or kFailed; kIdle
  // when there is no attempt.
  [[nodiscard]] Status check() noexcept;

  // The connected socket (after kConnected); the connector is idle afterwards.
  [[nodiscard]] SocketFd take() noexcept;

  // Closes the socket of an attempt in progress (a connect timeout). Idempotent.
  void abandon() noexcept;

  [[nodiscard]] Status status() const noexcept { return status_; }
  // errno of the last kFailed.
  [[nodiscard]] int error() const noexcept { return error_; }

 private:
  Status fail(int error) noexcept;

  SocketFd fd_;
  Status status_ = Status::kIdle;
  int error_ = 0;
};

}  // namespace llt::common
