// The market data replay client against a fake replay server in the test (a listening socket
// on 127.0.0.1 answering scripted bytes), and the consumer filling a gap by replay, falling
// back to the snapshot stream when the replay does not answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/net/mcast_socket.h"
#include "exchange/protocol/md_replay.h"
#include "tests/support/allocation_counter.h"
#include "tests/support/md_subscriber.h"
#include "tests/trading/market_data/md_test_stream.h"
#include "trading/market_data/market_data_consumer.h"
#include "trading/market_data/md_replay_client.h"

namespace llt::test {
namespace {

using namespace std::chrono_literals;
using exchange::MdReplayRequest;
using exchange::MdReplayStatus;
using trading::MarketDataConsumer;
using trading::MarketDataConsumerOptions;
using trading::MarketEventQueue;
using trading::MdReplayClient;
using Outcome = MdReplayClient::Outcome;

// A replay server played by the test: accepts connections on 127.0.0.1 (any free port) and
// runs `script` on each accepted socket, on its own thread, until the test ends it. Every wait
// is bounded; the destructor stops and joins the thread and closes every socket.
class FakeReplayServer {
 public:
  using Script = std::function<void(FakeReplayServer&, int fd)>;

  explicit FakeReplayServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(listen_fd_, 8), 0);
    socklen_t length = sizeof(address);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  FakeReplayServer(const FakeReplayServer&) = delete;
  FakeReplayServer& operator=(const FakeReplayServer&) = delete;
  ~FakeReplayServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_.load(); }
  [[nodiscard]] bool stopping() const { return stop_.load(); }

  // Reads one 16-byte request (false when the peer closed, or on stop / 5 s).
  bool read_request(int fd, MdReplayRequest& request) {
    std::size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got < sizeof(request)) {
      if (stop_ || std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) {
        continue;
      }
      const ssize_t n =
          ::recv(fd, reinterpret_cast<char*>(&request) + got, sizeof(request) - got, 0);
      if (n <= 0) {
        return false;
      }
      got += static_cast<std::size_t>(n);
    }
    requests_.fetch_add(1);
    return true;
  }
  [[nodiscard]] int requests() const { return requests_.load(); }

  static void send_records(int fd, const std::vector<MarketUpdate>& records) {
    if (!records.empty()) {
      (void)::send(fd, records.data(), records.size() * sizeof(MarketUpdate), MSG_NOSIGNAL);
    }
  }

  // Waits until the test stops the server (a server that never answers).
  void wait_for_stop() const {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
  }

 private:
  void run() {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) {
        continue;
      }
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      accepted_.fetch_add(1);
      script_(*this, fd);
      ::close(fd);
    }
  }

  Script script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Polls the client until the request ends or 5 s pass; returns the outcome.
Outcome poll_to_end(MdReplayClient& client, std::vector<MarketUpdate>& records) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    const Outcome outcome =
        client.poll(common::TscClock::instance().now_ticks(),
                    [&](const MarketUpdate& record) { records.push_back(record); });
    if (outcome != Outcome::kPending) {
      return outcome;
    }
    std::this_thread::sleep_for(100us);
  }
  return Outcome::kPending;
}

std::uint64_t now() {
  return common::TscClock::instance().now_ticks();
}

TEST(MdReplayClient, takes_the_records_of_a_served_answer_and_keeps_the_connection) {
  const MdTestStream stream(50);
  FakeReplayServer server([&](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    while (s.read_request(fd, request)) {
      std::vector<MarketUpdate> answer;
      for (std::uint32_t i = 0; i < request.count; ++i) {
        answer.push_back(stream.at(request.from_seq + i));
      }
      answer.push_back(
          exchange::make_replay_end(request.from_seq, request.count, MdReplayStatus::kServed));
      FakeReplayServer::send_records(fd, answer);
    }
  });
  MdReplayClient client("127.0.0.1", server.port(), 2000);
  ASSERT_TRUE(client.request(10, 5, now()));
  EXPECT_TRUE(client.busy());
  EXPECT_FALSE(client.request(20, 1, now())) << "one request at a time";
  std::vector<MarketUpdate> records;
  ASSERT_EQ(poll_to_end(client, records), Outcome::kServed);
  ASSERT_EQ(records.size(), 5u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i], stream.at(10 + i));
  }
  EXPECT_FALSE(client.busy());
  EXPECT_TRUE(client.connected());

  records.clear();
  ASSERT_TRUE(client.request(30, 3, now()));
  ASSERT_EQ(poll_to_end(client, records), Outcome::kServed);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2], stream.at(32));
  EXPECT_EQ(server.accepted(), 1) << "the connection is kept between requests";
  EXPECT_EQ(server.requests(), 2);
  EXPECT_FALSE(client.request(0, 1, now()));
  EXPECT_FALSE(client.request(1, 0, now()));
  EXPECT_FALSE(client.request(1, exchange::kMaxMdReplayCount + 1, now()));
}

// request() and poll() allocate nothing, over the connect, answers, a refusal and a timeout
// (only the client's calls are counted: the fake server and the test's vectors allocate).
TEST(MdReplayClient, requests_and_answers_allocate_nothing_after_construction) {
  const MdTestStream stream(400);
  FakeReplayServer server([&](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    while (s.read_request(fd, request)) {
      if (request.from_seq == 300) {
        std::this_thread::sleep_for(1200ms);  // past the client's timeout; then closed
        return;
      }
      std::vector<MarketUpdate> answer;
      const bool refuse = request.from_seq == 200;
      for (std::uint32_t i = 0; !refuse && i < request.count; ++i) {
        answer.push_back(stream.at(request.from_seq + i));
      }
      answer.push_back(exchange::make_replay_end(
          request.from_seq, answer.size(),
          refuse ? MdReplayStatus::kNotAvailable : MdReplayStatus::kServed));
      FakeReplayServer::send_records(fd, answer);
    }
  });
  // A timeout of 1 s: the answers that must come in time do on a loaded machine too.
  MdReplayClient client("127.0.0.1", server.port(), 1000);
  std::vector<MarketUpdate> records;
  records.reserve(1024);
  std::uint64_t allocations = 0;
  const auto run = [&](SeqNum from, std::uint32_t count) {
    std::uint64_t before = thread_allocations();
    const bool started = client.request(from, count, now());
    allocations += thread_allocations() - before;
    EXPECT_TRUE(started);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      before = thread_allocations();
      const Outcome outcome =
          client.poll(now(), [&](const MarketUpdate& record) { records.push_back(record); });
      allocations += thread_allocations() - before;
      if (outcome != Outcome::kPending) {
        return outcome;
      }
      std::this_thread::sleep_for(100us);
    }
    return Outcome::kPending;
  };
  EXPECT_EQ(run(1, 100), Outcome::kServed);
  EXPECT_EQ(run(101, 90), Outcome::kServed);
  EXPECT_EQ(run(200, 10), Outcome::kRefused);
  EXPECT_EQ(run(300, 10), Outcome::kTimeout);
  std::this_thread::sleep_for(1400ms);  // the server is done with the connection that timed out
  EXPECT_EQ(run(1, 5), Outcome::kServed) << "a new connection after the timeout";
  EXPECT_EQ(records.size(), 195u);
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(server.accepted(), 2);
}

TEST(MdReplayClient, not_available_is_a_refusal) {
  FakeReplayServer server([](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    while (s.read_request(fd, request)) {
      FakeReplayServer::send_records(
          fd, {exchange::make_replay_end(request.from_seq, 0, MdReplayStatus::kNotAvailable)});
    }
  });
  MdReplayClient client("127.0.0.1", server.port(), 2000);
  ASSERT_TRUE(client.request(7, 2, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kRefused);
  EXPECT_EQ(client.last_status(), MdReplayStatus::kNotAvailable);
  EXPECT_TRUE(records.empty());
}

TEST(MdReplayClient, a_record_out_of_place_is_garbage_and_closes_the_connection) {
  const MdTestStream stream(50);
  FakeReplayServer server([&](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    if (s.read_request(fd, request)) {
      // The first record is right, the second skips a number.
      FakeReplayServer::send_records(
          fd, {stream.at(request.from_seq), stream.at(request.from_seq + 2)});
      s.wait_for_stop();
    }
  });
  MdReplayClient client("127.0.0.1", server.port(), 2000);
  ASSERT_TRUE(client.request(5, 4, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kGarbage);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], stream.at(5));
  EXPECT_FALSE(client.connected());
}

TEST(MdReplayClient, bytes_that_are_no_records_are_garbage) {
  FakeReplayServer server([](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    if (s.read_request(fd, request)) {
      std::vector<unsigned char> junk(42, 0xAB);
      (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
      s.wait_for_stop();
    }
  });
  MdReplayClient client("127.0.0.1", server.port(), 2000);
  ASSERT_TRUE(client.request(5, 4, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kGarbage);
  EXPECT_TRUE(records.empty());
}

TEST(MdReplayClient, a_server_that_never_answers_times_out) {
  FakeReplayServer server([](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    if (s.read_request(fd, request)) {
      s.wait_for_stop();
    }
  });
  MdReplayClient client("127.0.0.1", server.port(), 50);
  ASSERT_TRUE(client.request(5, 4, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kTimeout);
  EXPECT_FALSE(client.connected());
  EXPECT_FALSE(client.busy());
}

TEST(MdReplayClient, a_server_that_closes_mid_answer_is_a_closed_outcome) {
  const MdTestStream stream(50);
  FakeReplayServer server([&](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    if (s.read_request(fd, request)) {
      FakeReplayServer::send_records(fd, {stream.at(request.from_seq)});
    }  // then closed
  });
  MdReplayClient client("127.0.0.1", server.port(), 2000);
  ASSERT_TRUE(client.request(5, 4, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kClosed);
  EXPECT_EQ(records.size(), 1u);
}

TEST(MdReplayClient, no_listener_is_a_connect_failure) {
  std::uint16_t port = 0;
  {
    FakeReplayServer closed([](FakeReplayServer&, int) {});
    port = closed.port();
  }  // the port is free again: nothing listens there
  MdReplayClient client("127.0.0.1", port, 2000);
  ASSERT_TRUE(client.request(5, 4, now()));
  std::vector<MarketUpdate> records;
  EXPECT_EQ(poll_to_end(client, records), Outcome::kConnectFailed);
}

TEST(MdReplayClient, bad_options_are_refused_at_start_up) {
  EXPECT_THROW(MdReplayClient("127.0.0.1", 0, 100), std::invalid_argument);
  EXPECT_THROW(MdReplayClient("127.0.0.1", 5000, 0), std::invalid_argument);
  EXPECT_THROW(MdReplayClient("not-an-address", 5000, 100), std::invalid_argument);
}

TEST(MarketDataConsumerReplay, a_default_replay_port_past_65535_is_refused_not_wrapped) {
  MarketEventQueue queue(1 << 12);
  for (const std::uint16_t port : {std::uint16_t{65534}, std::uint16_t{65535}}) {
    MarketDataConsumerOptions options;
    options.incremental_port = port;
    options.snapshot_port = 47321;
    options.replay = true;
    options.replay_port = 0;  // incremental_port + 2: 65536 or 65537, which wrapped to 0 or 1
    try {
      MarketDataConsumer consumer(options, queue);
      ADD_FAILURE() << "incremental port " << port << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("past 65535"), std::string::npos) << error.what();
    }
  }
}

// The consumer: a lost datagram is asked for by replay; the answer heals the gap.
MarketDataConsumerOptions replay_options(const MdChannel& channel, std::uint16_t replay_port,
                                         std::uint32_t timeout_ms) {
  MarketDataConsumerOptions options;
  options.group = channel.group;
  options.incremental_port = channel.port;
  options.snapshot_port = channel.snapshot_port;
  options.queue_capacity = 1 << 12;
  options.snapshot_capacity = 1 << 16;
  options.replay = true;
  options.replay_port = replay_port;
  options.replay_timeout_ms = timeout_ms;
  return options;
}

void send_all(common::McastSender& sender,
              const std::vector<std::vector<MarketUpdate>>& datagrams) {
  for (const auto& datagram : datagrams) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (sender.send(datagram.data(), datagram.size() * sizeof(MarketUpdate)).status ==
               common::IoStatus::kWouldBlock &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  }
}

template <typename Done>
bool poll_until(MarketDataConsumer& consumer, MarketEventQueue& queue, MdEventBooks& books,
                Done done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    if (consumer.poll() == 0) {
      std::this_thread::sleep_for(100us);
    }
    books.drain(queue);
  }
  return true;
}

TEST(MarketDataConsumerReplay, a_lost_datagram_is_filled_by_replay) {
  const MdTestStream stream(100);
  FakeReplayServer server([&](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    while (s.read_request(fd, request)) {
      std::vector<MarketUpdate> answer;
      for (std::uint32_t i = 0; i < request.count && request.from_seq + i <= stream.size(); ++i) {
        answer.push_back(stream.at(request.from_seq + i));
      }
      answer.push_back(
          exchange::make_replay_end(request.from_seq, answer.size(), MdReplayStatus::kServed));
      FakeReplayServer::send_records(fd, answer);
    }
  });
  const MdChannel channel = md_random_channel();
  MarketEventQueue queue(1 << 12);
  MarketDataConsumer consumer(replay_options(channel, server.port(), 2000), queue);
  common::McastSender incremental(channel.group, channel.port);
  MdEventBooks books;
  send_all(incremental, stream.datagrams(1, 40, 10));
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return books.next_seq() == 41; }, 5s));
  send_all(incremental, stream.datagrams(51, 100, 10));  // 41-50 lost
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return books.next_seq() == 101 && !consumer.recovering(); },
      5s))
      << "at " << books.next_seq();
  EXPECT_TRUE(books.errors().empty()) << md_join(books.errors());
  EXPECT_EQ(md_diff(md_without_empty(stream.books_at(100)), md_without_empty(books.books())), "");
  const auto stats = consumer.stats();
  EXPECT_EQ(stats.recoveries_by_replay, 1u);
  EXPECT_EQ(stats.recoveries_completed, 0u);
  EXPECT_EQ(stats.replay_requests, 1u);
  EXPECT_EQ(stats.replay_served, 1u);
  EXPECT_EQ(stats.replay_records, 10u);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_FALSE(consumer.snapshot_joined());
}

// The replay never answers: after the timeout the snapshot stream finishes the recovery.
TEST(MarketDataConsumerReplay, a_replay_that_times_out_leaves_the_gap_to_the_snapshot) {
  const MdTestStream stream(100);
  FakeReplayServer server([](FakeReplayServer& s, int fd) {
    MdReplayRequest request;
    if (s.read_request(fd, request)) {
      s.wait_for_stop();
    }
  });
  const MdChannel channel = md_random_channel();
  MarketEventQueue queue(1 << 12);
  MarketDataConsumer consumer(replay_options(channel, server.port(), 30), queue);
  common::McastSender incremental(channel.group, channel.port);
  common::McastSender snapshots(channel.group, channel.snapshot_port);
  MdEventBooks books;
  send_all(incremental, stream.datagrams(1, 40, 10));
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return books.next_seq() == 41; }, 5s));
  send_all(incremental, stream.datagrams(51, 60, 10));  // 41-50 lost
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return consumer.stats().replay_timeouts == 1; }, 5s));
  EXPECT_TRUE(consumer.recovering());
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (consumer.recovering() && std::chrono::steady_clock::now() < deadline) {
    send_all(snapshots, stream.snapshot(55, 7));
    poll_until(
        consumer, queue, books, [&] { return !consumer.recovering(); }, 20ms);
  }
  ASSERT_FALSE(consumer.recovering());
  books.drain(queue);
  EXPECT_TRUE(books.errors().empty()) << md_join(books.errors());
  EXPECT_EQ(books.next_seq(), 61u);
  EXPECT_EQ(md_diff(md_without_empty(stream.books_at(60)), md_without_empty(books.books())), "");
  const auto stats = consumer.stats();
  EXPECT_EQ(stats.recoveries_by_replay, 0u);
  EXPECT_EQ(stats.recoveries_completed, 1u);
  EXPECT_EQ(stats.replay_requests, 1u) << "one attempt per recovery";
  EXPECT_EQ(stats.replay_timeouts, 1u);
}

}  // namespace
}  // namespace llt::test
