#include "common/net/tcp_connector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/net/socket_address.h"
#include "common/net/socket_fd.h"
#include "tests/support/tcp_connect.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;
using Status = TcpConnector::Status;

// A loopback socket bound to an ephemeral port; listening with `backlog` when asked.
struct LoopbackSocket {
  SocketFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in address = make_sockaddr("127.0.0.1", 0);

  explicit LoopbackSocket(bool listen, int backlog = 16) {
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd.get(), backlog), 0);
    }
  }
  [[nodiscard]] std::uint16_t port() const { return ntohs(address.sin_port); }
};

// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
// cannot complete.
struct FullListener {
  LoopbackSocket listener{true, 0};
  std::vector<SocketFd> fillers;

  FullListener() {
    for (int i = 0; i < 4; ++i) {
      fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      (void)::connect(fillers.back().get(), reinterpret_cast<const sockaddr*>(&listener.address),
                      sizeof(listener.address));
    }
  }
};

// Polls check() until the attempt leaves kInProgress or 5 s pass.
Status settle(TcpConnector& connector, Status status) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (status == Status::kInProgress && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100us);
    status = connector.check();
  }
  return status;
}

TEST(TcpConnector, is_idle_without_an_attempt) {
  TcpConnector connector;
  EXPECT_EQ(connector.status(), Status::kIdle);
  EXPECT_EQ(connector.check(), Status::kIdle);
  EXPECT_FALSE(connector.take().valid());
}

TEST(TcpConnector, connects_to_a_listener_and_hands_over_a_non_blocking_socket) {
  LoopbackSocket listener(true);
  TcpConnector connector;
  const Status started = connector.start(listener.address);
  ASSERT_TRUE(started == Status::kInProgress || started == Status::kConnected);
  ASSERT_EQ(settle(connector, started), Status::kConnected);
  EXPECT_EQ(connector.check(), Status::kConnected) << "stays connected until taken";

  const SocketFd socket = connector.take();
  ASSERT_TRUE(socket.valid());
  EXPECT_NE(::fcntl(socket.get(), F_GETFL, 0) & O_NONBLOCK, 0);
  EXPECT_EQ(connector.status(), Status::kIdle) << "idle once the socket is taken";
  EXPECT_FALSE(connector.take().valid());

  const SocketFd accepted(::accept(listener.fd.get(), nullptr, nullptr));
  ASSERT_TRUE(accepted.valid());
  const char byte = 'x';
  ASSERT_EQ(::send(socket.get(), &byte, 1, MSG_NOSIGNAL), 1);
  char received = 0;
  ASSERT_EQ(::recv(accepted.get(), &received, 1, 0), 1);
  EXPECT_EQ(received, 'x');
}

TEST(TcpConnector, reports_a_refused_connect_with_its_errno) {
  // Bound but not listening: connecting to it is refused, deterministically.
  const LoopbackSocket bound(false);
  TcpConnector connector;
  EXPECT_EQ(settle(connector, connector.start(bound.address)), Status::kFailed);
  EXPECT_EQ(connector.status(), Status::kFailed);
  EXPECT_EQ(connector.error(), ECONNREFUSED);
  EXPECT_FALSE(connector.take().valid());
}

TEST(TcpConnector, stays_in_progress_while_the_handshake_cannot_complete_until_abandoned) {
  FullListener full;
  TcpConnector connector;
  ASSERT_EQ(connector.start(full.listener.address), Status::kInProgress);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(1ms);
    ASSERT_EQ(connector.check(), Status::kInProgress);
  }
  connector.abandon();
  EXPECT_EQ(connector.status(), Status::kIdle);
  EXPECT_EQ(connector.check(), Status::kIdle);
  connector.abandon();  // idempotent
  EXPECT_EQ(connector.status(), Status::kIdle);
}

TEST(TcpConnector, a_new_start_abandons_the_attempt_in_progress) {
  FullListener full;
  LoopbackSocket listener(true);
  TcpConnector connector;
  ASSERT_EQ(connector.start(full.listener.address), Status::kInProgress);
  EXPECT_EQ(settle(connector, connector.start(listener.address)), Status::kConnected);
  const SocketFd socket = connector.take();
  ASSERT_TRUE(socket.valid());
  const SocketFd accepted(::accept(listener.fd.get(), nullptr, nullptr));
  EXPECT_TRUE(accepted.valid()) << "the second attempt reached the second listener";
}

TEST(ConnectBlocking, connect_failure_names_the_address_and_the_errno_text) {
  const LoopbackSocket bound(false);
  const std::uint16_t port = bound.port();
  try {
    (void)test::connect_blocking("127.0.0.1", port, 2s, 1024, 1024);
    FAIL() << "connecting to a port nobody listens on must throw";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_EQ(error.code(), std::errc::connection_refused);
    EXPECT_NE(what.find("connect 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find(std::generic_category().message(ECONNREFUSED)), std::string::npos) << what;
  }
}

TEST(ConnectBlocking, connect_times_out_naming_the_address) {
  FullListener full;
  const std::uint16_t port = full.listener.port();
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)test::connect_blocking("127.0.0.1", port, 200ms, 1024, 1024);
    FAIL() << "the connect should not complete";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_EQ(error.code(), std::errc::timed_out) << what;
    EXPECT_NE(what.find("connect 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find(std::generic_category().message(ETIMEDOUT)), std::string::npos) << what;
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 2s);
}

TEST(ConnectBlocking, returns_an_open_connection_to_a_listener) {
  LoopbackSocket listener(true);
  const TcpConnection connection = test::connect_blocking("127.0.0.1", listener.port(), 2s, 64, 64);
  EXPECT_TRUE(connection.is_open());
  EXPECT_EQ(connection.receive_capacity(), 64U);
  EXPECT_EQ(connection.send_capacity(), 64U);
  EXPECT_EQ(connection.peer_name(), "127.0.0.1:" + std::to_string(listener.port()));
}

TEST(ConnectBlocking, rejects_a_malformed_address) {
  EXPECT_THROW((void)test::connect_blocking("127.0.0.256", 1, 2s, 64, 64), std::invalid_argument);
}

}  // namespace
}  // namespace llt::common
