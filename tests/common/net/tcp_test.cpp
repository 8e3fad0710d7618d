#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/concurrent/agent.h"
#include "common/concurrent/agent_runner.h"
#include "common/concurrent/idle_strategy.h"
#include "common/concurrent/wait_set.h"
#include "common/net/socket_address.h"
#include "common/net/socket_fd.h"
#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "tests/support/tcp_connect.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;

// The order-entry request's shape: 40 packed bytes.
#pragma pack(push, 1)
struct TestMessage {
  std::uint64_t seq_num;
  std::uint8_t msg_type;
  std::uint32_t client_id;
  std::uint32_t ticker_id;
  std::uint64_t order_id;
  std::int8_t side;
  std::int64_t price;
  std::uint32_t qty;
  std::uint8_t tif;
  std::uint8_t flags;
};
#pragma pack(pop)
static_assert(sizeof(TestMessage) == 40, "same size as ClientRequest");
static_assert(alignof(TestMessage) == 1, "packed: read in place at any offset");

TestMessage make_message(std::uint64_t seq) {
  TestMessage message{};
  message.seq_num = seq;
  message.msg_type = 1;
  message.client_id = 7;
  message.ticker_id = static_cast<std::uint32_t>(seq % 8);
  message.order_id = 1000 + seq;
  message.side = seq % 2 == 0 ? 1 : -1;
  message.price = -5 + static_cast<std::int64_t>(seq) * 100;
  message.qty = static_cast<std::uint32_t>(seq * 3 + 1);
  return message;
}

bool same(const TestMessage& a, const TestMessage& b) {
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

constexpr auto kDeadline = 5s;

// Calls step() until done() or the deadline passes; returns done(). Every wait in these tests
// goes through here, so a bug fails the test instead of hanging it.
template <class Step, class Done>
bool run_until(Step step, Done done, std::chrono::milliseconds limit = kDeadline) {
  BackoffIdleStrategy idle;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    idle.idle(step());
  }
  return true;
}

// Records what the server reports; optionally echoes every message back.
struct RecordingHandler {
  std::vector<TcpConnectionId> accepted;
  std::vector<TcpConnectionId> closed;
  std::vector<TestMessage> messages;
  std::size_t data_calls = 0;
  bool echo = false;

  void on_accept(TcpConnectionId id, TcpConnection&) { accepted.push_back(id); }
  void on_data(TcpConnectionId, TcpConnection& connection) {
    ++data_calls;
    connection.for_each_message<TestMessage>([&](const TestMessage& message) {
      messages.push_back(message);
      if (echo) {
        EXPECT_EQ(connection.send(&message, sizeof(message)).status, IoStatus::kOk);
      }
    });
  }
  void on_closed(TcpConnectionId id) { closed.push_back(id); }
};

TcpServerOptions base_options(std::size_t max_connections) {
  TcpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.max_connections = max_connections;
  options.receive_buffer_bytes = 4096;
  options.send_buffer_bytes = 4096;
  return options;
}

// Every test that runs a TcpServer runs once per I/O back end (docs/io_backends.md).
class TcpServerTest : public ::testing::TestWithParam<IoBackend> {
 protected:
  [[nodiscard]] TcpServerOptions loopback_options(std::size_t max_connections = 4) const {
    TcpServerOptions options = base_options(max_connections);
    options.io = GetParam();
    return options;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, TcpServerTest,
                         ::testing::Values(IoBackend::kEpoll, IoBackend::kUring),
                         [](const ::testing::TestParamInfo<IoBackend>& info) {
                           return std::string(to_string(info.param));
                         });

TcpConnection connect_to(const TcpServer& server, std::size_t send_capacity = 4096) {
  return test::connect_blocking("127.0.0.1", server.port(), 2s, 4096, send_capacity);
}

// A plain blocking client socket, for writing exact byte patterns.
SocketFd raw_connect(std::uint16_t port) {
  SocketFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in address = make_sockaddr("127.0.0.1", port);
  if (!fd.valid() ||
      ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    throw std::system_error(errno, std::generic_category(), "raw connect");
  }
  return fd;
}

void raw_write(const SocketFd& fd, const void* data, std::size_t size) {
  ASSERT_EQ(::send(fd.get(), data, size, MSG_NOSIGNAL), static_cast<ssize_t>(size));
}

TEST_P(TcpServerTest, binds_an_ephemeral_port_when_asked_for_port_zero) {
  TcpServer server(loopback_options());
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.local_name(), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(server.connection_count(), 0u);
  EXPECT_EQ(server.max_connections(), 4u);
}

TEST_P(TcpServerTest, round_trips_messages_between_client_and_server) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  handler.echo = true;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(client.is_open());

  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  EXPECT_EQ(server.connection_count(), 1u);
  ASSERT_NE(server.connection(handler.accepted[0]), nullptr);
  EXPECT_NE(server.connection(handler.accepted[0])->peer_name(), "");

  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    const TestMessage message = make_message(seq);
    const IoResult sent = client.send(&message, sizeof(message));
    ASSERT_EQ(sent.status, IoStatus::kOk);
    EXPECT_EQ(sent.bytes, sizeof(message));
  }

  std::vector<TestMessage> echoed;
  ASSERT_TRUE(run_until(
      [&] {
        int work = server.poll(handler);
        const IoResult read = client.read_some();
        EXPECT_TRUE(read.status == IoStatus::kOk || read.status == IoStatus::kWouldBlock)
            << to_string(read.status);
        work += static_cast<int>(client.for_each_message<TestMessage>(
            [&](const TestMessage& message) { echoed.push_back(message); }));
        return work;
      },
      [&] { return echoed.size() == 3; }));

  ASSERT_EQ(handler.messages.size(), 3u);
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    EXPECT_TRUE(same(handler.messages[seq - 1], make_message(seq)));
    EXPECT_TRUE(same(echoed[seq - 1], make_message(seq)));
  }
  EXPECT_EQ(client.received_size(), 0u);
  EXPECT_EQ(client.pending_send_bytes(), 0u);
}

TEST_P(TcpServerTest, reassembles_message_split_across_reads) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  const SocketFd client = raw_connect(server.port());
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  TcpConnection* connection = server.connection(handler.accepted[0]);
  ASSERT_NE(connection, nullptr);

  const TestMessage message = make_message(42);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&message);
  for (std::size_t i = 0; i < sizeof(message); ++i) {
    raw_write(client, bytes + i, 1);
    // Wait until this byte was read on its own, so every byte is a separate read.
    ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                          [&] { return handler.data_calls == i + 1; }))
        << "byte " << i;
    if (i + 1 < sizeof(message)) {
      EXPECT_TRUE(handler.messages.empty()) << "delivered early at byte " << i;
      EXPECT_EQ(connection->received_size(), i + 1);
    }
  }
  ASSERT_EQ(handler.messages.size(), 1u);
  EXPECT_TRUE(same(handler.messages[0], message));
  EXPECT_EQ(connection->received_size(), 0u);
}

TEST_P(TcpServerTest, reassembles_messages_from_irregular_chunks) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  const SocketFd client = raw_connect(server.port());
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));

  constexpr std::size_t kCount = 200;
  std::vector<TestMessage> sent;
  for (std::uint64_t seq = 1; seq <= kCount; ++seq) {
    sent.push_back(make_message(seq));
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(sent.data());
  const std::size_t total = sent.size() * sizeof(TestMessage);
  // Chunk sizes cycle through 1..97, so boundaries fall at every offset within a message.
  std::size_t offset = 0;
  for (std::size_t chunk = 1; offset < total; chunk = chunk % 97 + 1) {
    const std::size_t size = std::min(chunk, total - offset);
    raw_write(client, bytes + offset, size);
    offset += size;
    (void)server.poll(handler);
  }
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == kCount; }));
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(same(handler.messages[i], sent[i])) << "message " << i;
  }
}

TEST_P(TcpServerTest, delivers_many_messages_from_one_write) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));

  constexpr std::size_t kCount = 100;  // 3800 bytes: one send() call
  std::vector<TestMessage> batch;
  for (std::uint64_t seq = 1; seq <= kCount; ++seq) {
    batch.push_back(make_message(seq));
  }
  ASSERT_EQ(client.send(batch.data(), batch.size() * sizeof(TestMessage)).status, IoStatus::kOk);

  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == kCount; }));
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(same(handler.messages[i], batch[i])) << "message " << i;
  }
}

TEST_P(TcpServerTest, peek_and_consume_read_messages_in_place) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  TcpConnection* peer = server.connection(handler.accepted[0]);
  ASSERT_NE(peer, nullptr);

  const TestMessage first = make_message(1);
  const TestMessage second = make_message(2);
  ASSERT_EQ(peer->send(&first, sizeof(first)).status, IoStatus::kOk);
  ASSERT_EQ(peer->send(&second, 10).status, IoStatus::kOk);  // a partial second message
  (void)server.submit();  // uring: the queued bytes go to the kernel now (epoll: already did)

  ASSERT_TRUE(run_until([&] { return client.read_some().ok() ? 1 : 0; },
                        [&] { return client.received_size() == sizeof(first) + 10; }));
  const TestMessage* view = client.peek_message<TestMessage>();
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(static_cast<const void*>(view), static_cast<const void*>(client.received().data()))
      << "read in place, not copied";
  EXPECT_TRUE(same(*view, first));
  client.consume(sizeof(TestMessage));
  EXPECT_EQ(client.peek_message<TestMessage>(), nullptr) << "10 of 40 bytes is not a message";

  const auto* rest = reinterpret_cast<const std::uint8_t*>(&second) + 10;
  ASSERT_EQ(peer->send(rest, sizeof(second) - 10).status, IoStatus::kOk);
  (void)server.submit();
  ASSERT_TRUE(run_until([&] { return client.read_some().ok() ? 1 : 0; },
                        [&] { return client.peek_message<TestMessage>() != nullptr; }));
  EXPECT_TRUE(same(*client.peek_message<TestMessage>(), second));
  client.consume(sizeof(TestMessage));
  EXPECT_EQ(client.received_size(), 0u);
}

TEST_P(TcpServerTest, for_each_message_stops_when_the_callback_returns_false) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  TcpConnection* peer = server.connection(handler.accepted[0]);
  ASSERT_NE(peer, nullptr);
  const TestMessage messages[3] = {make_message(1), make_message(2), make_message(3)};
  ASSERT_EQ(peer->send(messages, sizeof(messages)).status, IoStatus::kOk);
  (void)server.submit();
  ASSERT_TRUE(run_until([&] { return client.read_some().ok() ? 1 : 0; },
                        [&] { return client.received_size() == sizeof(messages); }));

  std::vector<std::uint64_t> seen;
  const std::size_t passed = client.for_each_message<TestMessage>([&](const TestMessage& m) {
    seen.push_back(std::uint64_t{m.seq_num});  // a copy: the packed field is misaligned
    return m.seq_num < 2;
  });
  EXPECT_EQ(passed, 2u);
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(client.received_size(), sizeof(TestMessage)) << "the third stays buffered";
}

TEST_P(TcpServerTest, reports_peer_disconnect_mid_message_without_delivering_the_partial_message) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  {
    const SocketFd client = raw_connect(server.port());
    ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                          [&] { return handler.accepted.size() == 1; }));
    const TestMessage messages[2] = {make_message(1), make_message(2)};
    raw_write(client, messages, sizeof(TestMessage) + 20);  // one and a half messages
  }                                                         // the client closes here
  ASSERT_TRUE(
      run_until([&] { return server.poll(handler); }, [&] { return handler.closed.size() == 1; }));
  ASSERT_EQ(handler.messages.size(), 1u);
  EXPECT_TRUE(same(handler.messages[0], make_message(1)));
  EXPECT_EQ(handler.closed[0], handler.accepted[0]);
  EXPECT_EQ(server.connection_count(), 0u);
  EXPECT_EQ(server.connection(handler.accepted[0]), nullptr);
}

TEST_P(TcpServerTest, reports_closed_when_the_server_closes_the_connection) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  EXPECT_TRUE(server.close(handler.accepted[0]));
  EXPECT_FALSE(server.close(handler.accepted[0])) << "already closed";
  EXPECT_EQ(server.connection_count(), 0u);

  IoStatus status = IoStatus::kWouldBlock;
  ASSERT_TRUE(run_until(
      [&] {
        status = client.read_some().status;
        return 0;
      },
      [&] { return status == IoStatus::kClosed; }))
      << to_string(status);
  EXPECT_TRUE(handler.closed.empty()) << "on_closed is for closes the server did not ask for";
}

TEST_P(TcpServerTest, returns_buffer_full_when_the_peer_never_reads) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  constexpr std::size_t kSendCapacity = 1000;  // 26 whole messages and 12 spare bytes
  TcpConnection client = connect_to(server, kSendCapacity);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));

  // The server is not polled: nothing reads, so the kernel buffers fill, then ours.
  constexpr std::uint64_t kMaxMessages = 10'000'000;
  std::uint64_t accepted = 0;
  IoResult result;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (accepted < kMaxMessages && std::chrono::steady_clock::now() < deadline) {
    const TestMessage message = make_message(accepted + 1);
    result = client.send(&message, sizeof(message));
    if (result.status != IoStatus::kOk) {
      break;
    }
    ++accepted;
  }
  ASSERT_EQ(result.status, IoStatus::kBufferFull)
      << to_string(result.status) << " after " << accepted << " messages";
  EXPECT_EQ(result.bytes, 0u);
  const std::size_t pending = client.pending_send_bytes();
  EXPECT_GT(pending, kSendCapacity - sizeof(TestMessage)) << "full means no room for one more";
  EXPECT_LE(pending, kSendCapacity);
  const TestMessage rejected = make_message(accepted + 1);
  EXPECT_EQ(client.send(&rejected, sizeof(rejected)).status, IoStatus::kBufferFull);
  EXPECT_EQ(client.pending_send_bytes(), pending) << "a refused message takes no bytes";

  // Drain: every accepted message arrives whole and in order, and nothing else does.
  ASSERT_TRUE(run_until(
      [&] {
        int work = server.poll(handler);
        const IoResult flushed = client.flush();
        EXPECT_NE(flushed.status, IoStatus::kError);
        return work + static_cast<int>(flushed.bytes > 0);
      },
      [&] { return handler.messages.size() >= accepted && client.pending_send_bytes() == 0; },
      20s));
  for (int i = 0; i < 5; ++i) {
    (void)server.poll(handler);
  }
  ASSERT_EQ(handler.messages.size(), accepted);
  for (std::uint64_t i = 0; i < accepted; ++i) {
    ASSERT_TRUE(same(handler.messages[i], make_message(i + 1))) << "message " << i;
  }
  EXPECT_EQ(server.connection(handler.accepted[0])->received_size(), 0u);
}

TEST_P(TcpServerTest, refuses_a_message_larger_than_the_send_buffer_whole) {
  TcpServer server(loopback_options());
  TcpConnection client = connect_to(server, 64);
  std::vector<std::uint8_t> big(65, 0xAB);
  const IoResult result = client.send(big.data(), big.size());
  EXPECT_EQ(result.status, IoStatus::kBufferFull);
  EXPECT_EQ(result.bytes, 0u);
  EXPECT_EQ(client.pending_send_bytes(), 0u);
}

TEST_P(TcpServerTest, reports_closed_when_sending_to_a_reset_peer) {
  TcpServer server(loopback_options());
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  ASSERT_TRUE(server.close(handler.accepted[0]));

  // The first send after the peer's FIN is answered with a reset; a later one sees EPIPE.
  IoStatus status = IoStatus::kOk;
  const TestMessage message = make_message(1);
  ASSERT_TRUE(run_until(
      [&] {
        status = client.send(&message, sizeof(message)).status;
        return 0;
      },
      [&] { return status == IoStatus::kClosed; }))
      << to_string(status);
}

TEST_P(TcpServerTest, accepts_and_closes_connections_beyond_max_connections) {
  TcpServer server(loopback_options(2));
  RecordingHandler handler;
  TcpConnection first = connect_to(server);
  TcpConnection second = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 2; }));
  TcpConnection third = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return server.refused_connections() == 1; }));
  EXPECT_EQ(handler.accepted.size(), 2u);
  EXPECT_EQ(server.connection_count(), 2u);

  IoStatus status = IoStatus::kWouldBlock;
  ASSERT_TRUE(run_until(
      [&] {
        status = third.read_some().status;
        return 0;
      },
      [&] { return status == IoStatus::kClosed; }))
      << "the refused client sees the connection close: " << to_string(status);

  // The admitted ones still work.
  const TestMessage message = make_message(9);
  ASSERT_EQ(second.send(&message, sizeof(message)).status, IoStatus::kOk);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == 1; }));

  // Closing one frees a slot for the next client.
  ASSERT_TRUE(server.close(handler.accepted[0]));
  TcpConnection fourth = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 3; }));
  EXPECT_EQ(handler.accepted[2], handler.accepted[0]) << "the freed slot is reused";
  EXPECT_EQ(server.refused_connections(), 1u);
  EXPECT_EQ(server.connection_count(), 2u);
}

TEST_P(TcpServerTest, bind_failure_names_the_address_and_the_errno_text) {
  TcpServer first(loopback_options());
  TcpServerOptions options = loopback_options();
  options.port = first.port();
  try {
    TcpServer second(options);
    FAIL() << "binding a port in use must throw";
  } catch (const std::system_error& error) {
    const std::string what = error.what();
    EXPECT_EQ(error.code(), std::errc::address_in_use);
    EXPECT_NE(what.find("bind 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
        << what;
    EXPECT_NE(what.find(std::generic_category().message(EADDRINUSE)), std::string::npos) << what;
  }
}

TEST_P(TcpServerTest, rejects_a_malformed_address_naming_it) {
  TcpServerOptions options = loopback_options();
  options.address = "127.0.0.256";
  try {
    TcpServer server(options);
    FAIL() << "a malformed address must throw";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'127.0.0.256'"), std::string::npos) << error.what();
  }
  options.address = "127.0.0.1";
  options.max_connections = 0;
  EXPECT_THROW(TcpServer server(options), std::invalid_argument);
}

TEST_P(TcpServerTest, serves_a_client_polled_on_another_thread) {
  // Each object is used by one thread only, as the thread contract requires: the server and
  // its handler by `server_thread`, the client by this thread.
  TcpServer server(loopback_options());
  constexpr std::uint64_t kCount = 2000;
  std::atomic<bool> stop{false};
  std::thread server_thread([&] {
    RecordingHandler handler;
    handler.echo = true;
    BackoffIdleStrategy idle;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!stop.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < deadline) {
      idle.idle(server.poll(handler));
    }
  });

  TcpConnection client = connect_to(server, 64 * 1024);
  std::vector<std::uint64_t> echoed;
  std::uint64_t next = 1;
  const bool done = run_until(
      [&] {
        int work = 0;
        while (next <= kCount) {
          const TestMessage message = make_message(next);
          if (client.send(&message, sizeof(message)).status != IoStatus::kOk) {
            break;
          }
          ++next;
          ++work;
        }
        (void)client.flush();
        if (client.read_some().ok()) {
          ++work;
        }
        client.for_each_message<TestMessage>([&](const TestMessage& message) {
          EXPECT_TRUE(same(message, make_message(message.seq_num)));
          echoed.push_back(std::uint64_t{message.seq_num});
        });
        return work;
      },
      [&] { return echoed.size() == kCount; }, 20s);
  stop.store(true, std::memory_order_release);
  server_thread.join();
  ASSERT_TRUE(done) << echoed.size() << " of " << kCount << " echoed";
  for (std::uint64_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(echoed[i], i + 1);
  }
}

TEST_P(TcpServerTest, is_move_only_and_a_moved_from_connection_is_closed) {
  TcpServer server(loopback_options());
  TcpConnection client = connect_to(server);
  const int fd = client.fd();
  TcpConnection moved(std::move(client));
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_FALSE(client.is_open());  // NOLINT(bugprone-use-after-move): checking the contract
  EXPECT_EQ(client.read_some().status, IoStatus::kError);
  EXPECT_EQ(client.peek_message<TestMessage>(), nullptr);
  static_assert(!std::is_copy_constructible_v<TcpConnection>);
}

TEST_P(TcpServerTest, a_server_connection_fills_its_whole_send_buffer_before_refusing) {
  TcpServer server(loopback_options());  // 4096-byte send buffers
  RecordingHandler handler;
  // A client that reads nothing yet, with a small receive buffer so the kernel's fill fast.
  SocketFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int small = 4096;
  ASSERT_EQ(::setsockopt(client.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
  const sockaddr_in address = make_sockaddr("127.0.0.1", server.port());
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  TcpConnection* peer = server.connection(handler.accepted[0]);
  ASSERT_NE(peer, nullptr);

  // Queue until refused, handing bytes to the kernel as we go (uring: a send stays posted
  // once the kernel's buffers are full, and the queue wraps around it).
  std::uint64_t queued = 0;
  IoResult result;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (queued < 1'000'000 && std::chrono::steady_clock::now() < deadline) {
    const TestMessage message = make_message(queued + 1);
    result = peer->send(&message, sizeof(message));
    if (result.status != IoStatus::kOk) {
      break;
    }
    ++queued;
    if (queued % 16 == 0) {
      (void)server.poll(handler);
    }
  }
  ASSERT_EQ(result.status, IoStatus::kBufferFull) << to_string(result.status);
  EXPECT_GT(peer->pending_send_bytes(), peer->send_capacity() - sizeof(TestMessage))
      << "refused only when the whole buffer is taken";

  // Drain: every queued message arrives whole and in order.
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[4096];
  ASSERT_TRUE(run_until(
      [&] {
        int work = server.poll(handler);
        const ssize_t n = ::recv(client.get(), chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n > 0) {
          bytes.insert(bytes.end(), chunk, chunk + n);
          ++work;
        }
        return work;
      },
      [&] { return bytes.size() >= queued * sizeof(TestMessage); }, 20s));
  ASSERT_EQ(bytes.size(), queued * sizeof(TestMessage));
  for (std::uint64_t i = 0; i < queued; ++i) {
    TestMessage message{};
    std::memcpy(&message, bytes.data() + i * sizeof(TestMessage), sizeof(message));
    ASSERT_TRUE(same(message, make_message(i + 1))) << "message " << i;
  }
}

TEST_P(TcpServerTest, takes_every_waiting_connection_however_few_it_accepts_per_poll) {
  TcpServerOptions options = loopback_options(64);
  options.max_accepts_per_poll = 4;
  TcpServer server(options);
  RecordingHandler handler;
  (void)server.poll(handler);  // uring: the listener's poll is posted
  // The clients connect from another thread while this one, the server's, makes no system
  // call: uring's readiness poll of the listener then reports all of them at once.
  constexpr std::size_t kClients = 40;
  std::vector<TcpConnection> clients;
  std::atomic<bool> connected{false};
  std::thread connector([&] {
    for (std::size_t i = 0; i < kClients; ++i) {
      clients.push_back(connect_to(server));
    }
    connected.store(true, std::memory_order_release);
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!connected.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
  }
  connector.join();
  ASSERT_TRUE(connected.load());
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == kClients; }))
      << handler.accepted.size() << " of " << kClients << " accepted";
  EXPECT_EQ(server.refused_connections(), 0u);
}

// Records what the server reports and reads nothing itself.
struct CountingHandler {
  std::vector<TcpConnectionId> accepted;
  std::size_t data_calls = 0;
  void on_accept(TcpConnectionId id, TcpConnection&) { accepted.push_back(id); }
  void on_data(TcpConnectionId, TcpConnection&) { ++data_calls; }
  void on_closed(TcpConnectionId) {}
};

TEST_P(TcpServerTest, bytes_read_between_polls_leave_the_next_bytes_intact) {
  // The order server reads a connection outside on_data when requests wait for room: with
  // uring a receive into the buffer is outstanding meanwhile.
  TcpServer server(loopback_options());
  CountingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  TcpConnection* peer = server.connection(handler.accepted[0]);
  ASSERT_NE(peer, nullptr);
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    const TestMessage message = make_message(seq);
    ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
    ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                          [&] { return peer->received_size() == sizeof(message); }))
        << "message " << seq;
    for (int i = 0; i < 5; ++i) {
      (void)server.poll(handler);  // uring: the next receive is posted
    }
    const TestMessage* read = peer->peek_message<TestMessage>();
    ASSERT_NE(read, nullptr);
    EXPECT_TRUE(same(*read, message)) << "message " << seq;
    peer->consume(sizeof(TestMessage));
  }
}

// An agent that polls a TcpServer, for runs under the block idle strategy.
class ServerAgent final : public Agent {
 public:
  explicit ServerAgent(TcpServer& server) : server_(server) {}
  int poll() override {
    const int work = server_.poll(handler_);
    messages_.store(handler_.messages.size(), std::memory_order_release);
    return work;
  }
  std::string_view name() const override { return "tcp_server"; }
  void on_wait_set(WaitSet& waits) override { (void)waits.watch(server_.wait_fd()); }
  [[nodiscard]] std::size_t messages() const { return messages_.load(std::memory_order_acquire); }

 private:
  TcpServer& server_;
  RecordingHandler handler_;
  std::atomic<std::size_t> messages_{0};
};

TEST_P(TcpServerTest, a_message_wakes_a_thread_parked_on_the_wait_fd_long_before_its_timeout) {
  TcpServer server(loopback_options());
  ServerAgent agent(server);
  RunnerOptions runner_options;
  runner_options.threading = ThreadingMode::kShared;
  runner_options.idle = IdleMode::kBlock;
  runner_options.max_park = 60s;
  AgentRunner runner({&agent}, runner_options);
  runner.start();
  TcpConnection client = connect_to(server);
  const TestMessage message = make_message(1);
  for (std::uint64_t n = 1; n <= 3; ++n) {
    // Parked: the park count holds still over 20 ms, so the thread sleeps in a 60 s park that
    // only the message can end in time (with uring, the kernel ends it by waking the thread
    // to finish the receive, rather than by making the ring readable: both count).
    ASSERT_TRUE(run_until([] { return 0; },
                          [&] {
                            const std::uint64_t parks = runner.parks();
                            std::this_thread::sleep_for(20ms);
                            return parks > 0 && runner.parks() == parks;
                          },
                          5s));
    ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
    EXPECT_TRUE(run_until([] { return 0; }, [&] { return agent.messages() == n; }, 5s))
        << "message " << n;
  }
  runner.stop();
}

// Polls until `count` connections are accepted, then ten more times, so each has its receive
// posted and submitted.
void accept_and_settle(TcpServer& server, RecordingHandler& handler, std::size_t count) {
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == count; }));
  for (int i = 0; i < 10; ++i) {
    (void)server.poll(handler);
  }
}

// Polls until the watch says nothing arrived since the last look (bounded): a report can
// trail the look that already took what it reports, and costs one more look. true when it
// got there.
bool settle_watch(TcpServer& server, RecordingHandler& handler) {
  return run_until([&] { return server.poll(handler); }, [&] { return !server.may_have_input(); });
}

// Polls until may_have_input() (bounded); true when it did.
bool wait_for_report(TcpServer& server) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!server.may_have_input()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(100us);
  }
  return true;
}

TEST(TcpServerEpoll, a_readiness_watch_reports_connections_and_bytes_with_no_epoll_wait_between) {
  TcpServer server(base_options(4));
  if (!server.watch_readiness()) {
    GTEST_SKIP() << "the kernel refused io_uring: no readiness watch";
  }
  EXPECT_TRUE(server.watching());
  RecordingHandler handler;
  EXPECT_TRUE(server.may_have_input()) << "nothing looked at yet";
  ASSERT_TRUE(settle_watch(server, handler));
  const std::uint64_t waits = server.epoll_waits();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(server.may_have_input());
  }
  EXPECT_EQ(server.epoll_waits(), waits) << "the watch is read without a system call";

  TcpConnection client = connect_to(server);
  ASSERT_TRUE(wait_for_report(server)) << "a connection to accept";
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.accepted.size() == 1; }));
  ASSERT_TRUE(settle_watch(server, handler)) << "the last poll found nothing";

  const TestMessage message = make_message(9);
  ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
  ASSERT_TRUE(wait_for_report(server)) << "bytes to read";
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == 1; }));
  EXPECT_TRUE(same(handler.messages[0], message));
}

TEST(TcpServerEpoll, a_readiness_watch_follows_the_polling_thread_when_it_changes) {
  TcpServer server(base_options(4));
  if (!server.watch_readiness()) {
    GTEST_SKIP() << "the kernel refused io_uring: no readiness watch";
  }
  RecordingHandler handler;
  // Posted by a thread that then exits: the kernel cancels what that thread posted.
  std::thread first([&] {
    while (server.poll(handler) != 0) {
    }
  });
  first.join();
  TcpConnection client = connect_to(server);
  ASSERT_TRUE(
      run_until([&] { return server.poll(handler); }, [&] { return handler.accepted.size() == 1; }))
      << "the cancelled poll was seen and posted again from this thread";
  EXPECT_TRUE(server.watching());
  ASSERT_TRUE(settle_watch(server, handler));
  const std::uint64_t waits = server.epoll_waits();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(server.may_have_input());
  }
  EXPECT_EQ(server.epoll_waits(), waits);
  const TestMessage message = make_message(3);
  ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
  ASSERT_TRUE(wait_for_report(server));
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == 1; }));
}

TEST(TcpServerUring, a_readiness_watch_is_not_set_its_poll_needs_none) {
  TcpServerOptions options = base_options(4);
  options.io = IoBackend::kUring;
  TcpServer server(options);
  EXPECT_FALSE(server.watch_readiness());
  EXPECT_FALSE(server.watching());
  EXPECT_TRUE(server.may_have_input());
}

TEST(TcpServerUring, a_poll_with_nothing_to_do_makes_no_system_call) {
  TcpServerOptions options = base_options(4);
  options.io = IoBackend::kUring;
  TcpServer server(options);
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_NO_FATAL_FAILURE(accept_and_settle(server, handler, 1));
  const std::uint64_t enters = server.ring_enters();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(server.poll(handler), 0);
  }
  EXPECT_EQ(server.ring_enters(), enters) << "idle polls read the completion queue only";

  const TestMessage message = make_message(5);
  ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] { return handler.messages.size() == 1; }));
  EXPECT_TRUE(same(handler.messages[0], message));
}

TEST(TcpServerUring, sends_wait_in_the_connection_until_submit_hands_them_over_in_one_call) {
  TcpServerOptions options = base_options(4);
  options.io = IoBackend::kUring;
  TcpServer server(options);
  EXPECT_EQ(server.io_backend(), IoBackend::kUring);
  RecordingHandler handler;
  TcpConnection first = connect_to(server);
  TcpConnection second = connect_to(server);
  ASSERT_NO_FATAL_FAILURE(accept_and_settle(server, handler, 2));
  const TestMessage message = make_message(7);
  for (const TcpConnectionId id : handler.accepted) {
    TcpConnection* peer = server.connection(id);
    ASSERT_NE(peer, nullptr);
    ASSERT_EQ(peer->send(&message, sizeof(message)).status, IoStatus::kOk);
    EXPECT_EQ(peer->pending_send_bytes(), sizeof(message)) << "queued, not written";
  }
  EXPECT_EQ(first.read_some().status, IoStatus::kWouldBlock) << "nothing reached the kernel";
  const std::uint64_t enters = server.ring_enters();
  EXPECT_EQ(server.submit(), 2) << "one send per connection";
  EXPECT_EQ(server.ring_enters(), enters + 1) << "both in one io_uring_enter";
  for (TcpConnection* client : {&first, &second}) {
    ASSERT_TRUE(run_until([&] { return client->read_some().ok() ? 1 : 0; },
                          [&] { return client->received_size() == sizeof(message); }));
    EXPECT_TRUE(same(*client->peek_message<TestMessage>(), message));
  }
  ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                        [&] {
                          return server.connection(handler.accepted[0])->pending_send_bytes() ==
                                     0 &&
                                 server.connection(handler.accepted[1])->pending_send_bytes() == 0;
                        }));
}

TEST(TcpServerUring,
     input_a_submit_took_from_the_ring_is_reported_and_handed_over_by_the_next_poll) {
  TcpServerOptions options = base_options(4);
  options.io = IoBackend::kUring;
  TcpServer server(options);
  RecordingHandler handler;
  TcpConnection client = connect_to(server);
  ASSERT_NO_FATAL_FAILURE(accept_and_settle(server, handler, 1));
  EXPECT_FALSE(server.has_pending_input());
  const TestMessage message = make_message(11);
  ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
  // submit() outside a poll takes the receive's completion off the ring for the next poll.
  ASSERT_TRUE(run_until(
      [&] {
        (void)server.submit();
        return 0;
      },
      [&] { return server.has_pending_input(); }));
  EXPECT_TRUE(handler.messages.empty());
  EXPECT_GT(server.poll(handler), 0);
  ASSERT_EQ(handler.messages.size(), 1u);
  EXPECT_TRUE(same(handler.messages[0], message));
  EXPECT_FALSE(server.has_pending_input());
}

TEST(TcpServerUring, a_closed_slot_is_reused_only_once_the_kernel_let_go_of_its_buffers) {
  TcpServerOptions options = base_options(1);
  options.io = IoBackend::kUring;
  TcpServer server(options);
  RecordingHandler handler;
  handler.echo = true;
  for (std::uint64_t round = 1; round <= 20; ++round) {
    TcpConnection client = connect_to(server);
    ASSERT_TRUE(run_until([&] { return server.poll(handler); },
                          [&] { return handler.accepted.size() == round; }))
        << "round " << round << ": refused " << server.refused_connections();
    // A receive is posted into the slot's buffer; the echo of one message proves it.
    const TestMessage message = make_message(round);
    ASSERT_EQ(client.send(&message, sizeof(message)).status, IoStatus::kOk);
    ASSERT_TRUE(run_until([&] { return server.poll(handler) + (client.read_some().ok() ? 1 : 0); },
                          [&] { return client.received_size() == sizeof(message); }));
    EXPECT_TRUE(same(*client.peek_message<TestMessage>(), message));
    // Closed while its next receive is posted: the next client, connecting at once, waits
    // for the slot instead of being refused, and its bytes land in a buffer nobody else
    // writes.
    ASSERT_TRUE(server.close(handler.accepted.back()));
  }
  EXPECT_EQ(server.refused_connections(), 0u);
  EXPECT_EQ(handler.messages.size(), 20u);
  for (std::size_t i = 0; i < handler.messages.size(); ++i) {
    EXPECT_TRUE(same(handler.messages[i], make_message(i + 1))) << "message " << i;
  }
}

}  // namespace
}  // namespace llt::common
