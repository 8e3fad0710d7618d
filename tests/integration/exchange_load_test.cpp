// Load on the real exchange executable: several sessions send 100,000 requests as fast as the
// sockets take them. Every request gets exactly one answer, the resident memory does not grow
// after warm-up, and the status line shows the throughput.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/net/tcp_connection.h"
#include "common/net/tcp_server.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/support/child_process.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/tcp_connect.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;

constexpr int kSessions = 4;
constexpr std::uint64_t kRequestsPerSession = 25'000;
constexpr std::uint64_t kWindow = 512;

// Pipelines NEW/CANCEL pairs (a passive buy, then its cancel) and counts answers by type.
class FloodClient {
 public:
  FloodClient(std::uint16_t port, ClientId client_id)
      : connection_(test::connect_blocking("127.0.0.1", port, 5s, 1 << 20, 1 << 20)),
        client_id_(client_id) {
    send_batch(1, [&](std::uint64_t) { return make(ClientRequestType::kLogon, 0); });
    sent_ = 0;  // the LOGON is no request that an answer counts
  }

  // Sends what the window allows; returns false once the connection failed.
  bool pump(std::uint64_t limit) {
    const std::uint64_t room = kWindow - (sent_ - answered());
    const std::uint64_t count = std::min(room, limit - sent_);
    if (count > 0) {
      send_batch(count, [&](std::uint64_t n) {
        return n % 2 == 0 ? make(ClientRequestType::kNew, ++order_id_)
                          : make(ClientRequestType::kCancel, order_id_);
      });
    }
    const common::IoResult result = connection_.read_some();
    if (result.status == common::IoStatus::kClosed || result.status == common::IoStatus::kError) {
      return false;
    }
    connection_.for_each_message<ClientResponse>([&](const ClientResponse& response) {
      const auto type = static_cast<std::size_t>(response.msg_type);
      ++by_type_[type < by_type_.size() ? type : 0];
      // LOGON_ACCEPTED and HEARTBEAT carry the next response number without taking it.
      const bool numbered = response.msg_type != ClientResponseType::kLogonAccepted &&
                            response.msg_type != ClientResponseType::kHeartbeat;
      if (response.seq_num != expected_seq_)
        ++seq_errors_;
      if (numbered)
        ++expected_seq_;
    });
    return true;
  }

  [[nodiscard]] std::uint64_t sent() const { return sent_; }
  // Answers to NEW and CANCEL (the LOGON's answer and heartbeats excluded).
  [[nodiscard]] std::uint64_t answered() const {
    return count(ClientResponseType::kAccepted) + count(ClientResponseType::kCanceled) +
           count(ClientResponseType::kRejected) + count(ClientResponseType::kCancelRejected);
  }
  [[nodiscard]] std::uint64_t count(ClientResponseType type) const {
    return by_type_[static_cast<std::size_t>(type)];
  }
  [[nodiscard]] std::uint64_t seq_errors() const { return seq_errors_; }

 private:
  // NEW and CANCEL take the next request number; LOGON carries it without taking it.
  ClientRequest make(ClientRequestType type, OrderId order_id) {
    ClientRequest request{};
    request.seq_num = is_order_type(type) ? seq_++ : seq_;
    request.msg_type = type;
    request.client_id = client_id_;
    request.ticker_id = 1;
    request.order_id = order_id;
    request.side = Side::kBuy;
    request.price = 10'000 - static_cast<Price>(order_id % 50);
    request.qty = 10;
    return request;
  }

  template <typename Make>
  void send_batch(std::uint64_t count, Make&& make_request) {
    for (std::uint64_t i = 0; i < count; ++i)
      batch_[i] = make_request(sent_ + i);
    while (connection_.send(batch_.data(), count * sizeof(ClientRequest)).status ==
           common::IoStatus::kBufferFull) {
      (void)connection_.flush();
    }
    sent_ += count;
  }

  common::TcpConnection connection_;
  ClientId client_id_;
  SeqNum seq_ = 1;           // the next request number
  SeqNum expected_seq_ = 1;  // the next response number
  OrderId order_id_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t seq_errors_ = 0;
  std::array<std::uint64_t, 16> by_type_{};
  std::array<ClientRequest, kWindow> batch_{};
};

std::uint64_t resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6));
  }
  return 0;
}

TEST(ExchangeLoad, answers_every_one_of_100k_requests_once_with_flat_memory) {
  const test::MdChannel md = test::md_random_channel();
  test::ChildProcess exchange(
      LLT_EXCHANGE_BINARY,
      {"--port", "0", "--multicast-addr", md.group, "--multicast-port", std::to_string(md.port),
       "--snapshot-port", std::to_string(md.snapshot_port), "--tickers", "1", "--max-orders",
       "65536", "--stats-interval", "1"});
  const std::uint16_t port = test::exchange_port(exchange);
  ASSERT_NE(port, 0) << exchange.stderr_text();

  std::vector<std::unique_ptr<FloodClient>> clients;
  clients.reserve(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<FloodClient>(port, static_cast<ClientId>(100 + i)));
  }
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  std::uint64_t warm_rss = 0;
  std::uint64_t warm_answered = 0;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    done = true;
    std::uint64_t answered = 0;
    for (auto& client : clients) {
      ASSERT_TRUE(client->pump(kRequestsPerSession)) << "the exchange closed a session";
      answered += client->answered();
      done = done && client->answered() == kRequestsPerSession;
    }
    if (warm_rss == 0 && answered >= kSessions * kRequestsPerSession / 5) {
      warm_rss = resident_kib(exchange.pid());
      warm_answered = answered;
    }
  }
  ASSERT_TRUE(done) << "not every request was answered in time";
  const std::uint64_t end_rss = resident_kib(exchange.pid());

  for (const auto& client : clients) {
    EXPECT_EQ(client->count(ClientResponseType::kAccepted), kRequestsPerSession / 2);
    EXPECT_EQ(client->count(ClientResponseType::kCanceled), kRequestsPerSession / 2);
    EXPECT_EQ(client->count(ClientResponseType::kRejected), 0U);
    EXPECT_EQ(client->count(ClientResponseType::kCancelRejected), 0U);
    EXPECT_EQ(client->seq_errors(), 0U);
  }
  // Every buffer is allocated at start-up: a few pages of slack for the kernel and libc. The
  // one exception is each client's replay ring, reserved at start-up but committed as its
  // numbered responses fill it (until it wraps at --replay-depth, more than this test sends):
  // one ClientResponse per answer since the warm-up, plus what the order server's prefault
  // thread commits ahead of each writer, at most its default 4 MiB per client
  // (docs/recovery.md, Committing the rings ahead of the writer), which on a loaded machine
  // may land after the warm-up.
  // (AddressSanitizer's quarantine grows the heap by design, so its builds skip this check.)
#ifndef LLT_SANITIZED
  const std::uint64_t ring_kib =
      (kSessions * kRequestsPerSession - warm_answered) * sizeof(ClientResponse) / 1024;
  const std::uint64_t prefault_kib = kSessions * 4096;
  EXPECT_LE(end_rss, warm_rss + ring_kib + prefault_kib + 2048)
      << "RSS grew from " << warm_rss << " KiB to " << end_rss << " KiB; the replay rings take "
      << ring_kib << " KiB of it, their prefault up to " << prefault_kib;
#else
  (void)warm_answered;
#endif

  EXPECT_TRUE(exchange.wait_for_output("requests 1000", test::kStartupLimit))
      << exchange.stdout_text();
  exchange.signal(SIGINT);
  EXPECT_EQ(exchange.wait_exit(test::kStartupLimit), 0);
  std::printf("exchange RSS after warm-up %llu KiB, at the end %llu KiB\n",
              static_cast<unsigned long long>(warm_rss), static_cast<unsigned long long>(end_rss));
}

}  // namespace
}  // namespace llt::exchange
