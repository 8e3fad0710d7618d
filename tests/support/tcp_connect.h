#pragma once

#include <netinet/in.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "common/net/io_status.h"
#include "common/net/socket_address.h"
#include "common/net/socket_error.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_connector.h"

namespace llt::test {

// Connects to ip:port, waiting at most `timeout`, and returns the connection with buffers of
// the given capacities. Blocks the caller: for test and benchmark clients, never an agent
// (they poll a common::TcpConnector). Throws std::invalid_argument for a malformed ip, and
// std::system_error naming the address and the errno text on failure (e.g. "connect
// 127.0.0.1:9000: Connection refused"), with ETIMEDOUT when the timeout expires.
[[nodiscard]] inline common::TcpConnection connect_blocking(std::string_view ip, std::uint16_t port,
                                                            std::chrono::milliseconds timeout,
                                                            std::size_t receive_capacity,
                                                            std::size_t send_capacity) {
  using Clock = std::chrono::steady_clock;
  const sockaddr_in address = common::make_sockaddr(ip, port);
  const std::string target = common::format_endpoint(address);
  common::TcpConnection connection(receive_capacity, send_capacity);
  common::TcpConnector connector;
  const Clock::time_point deadline = Clock::now() + timeout;
  common::TcpConnector::Status status = connector.start(address);
  while (status == common::TcpConnector::Status::kInProgress) {
    if (Clock::now() >= deadline) {
      connector.abandon();
      throw common::socket_error(ETIMEDOUT, "connect",
                                 target + " (after " + std::to_string(timeout.count()) + " ms)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    status = connector.check();
  }
  if (status != common::TcpConnector::Status::kConnected) {
    throw common::socket_error(connector.error(), "connect", target);
  }
  const common::IoResult attached = connection.attach(connector.take());
  if (!attached.ok()) {
    throw common::socket_error(attached.error, "configure TCP socket connected to", target);
  }
  return connection;
}

}  // namespace llt::test
