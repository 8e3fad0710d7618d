// Market data replay across an exchange restart on a journal (docs/recovery.md): exchange B,
// started on exchange A's journal, serves the day A published, byte for byte as A multicast it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/net/mcast_socket.h"
#include "exchange/exchange_app.h"
#include "exchange/protocol/md_replay.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/tcp_connect.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kDepth = 500;  // --md-replay-depth

ExchangeOptions app_options(const test::MdChannel& md, const std::string& journal_dir) {
  ExchangeOptions options;
  options.port = 0;
  options.tickers = {1};
  options.max_orders = 4096;
  options.market_data.multicast_addr = md.group;
  options.market_data.multicast_port = md.port;
  options.market_data.snapshot_port = md.snapshot_port;
  options.md_replay_port = static_cast<std::uint16_t>(md.port + 2);
  options.md_replay_depth = kDepth;
  options.journal_dir = journal_dir;
  options.process.stats_interval_s = 0;
  return options;
}

// Reads the multicast stream into `records` until `last` is there (bounded).
bool receive_until(common::McastReceiver& receiver, std::map<SeqNum, MarketUpdate>& records,
                   SeqNum last, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::array<MarketUpdate, kMaxUpdatesPerDatagram> datagram{};
  while (Clock::now() < deadline) {
    const common::IoResult result = receiver.receive(datagram.data(), sizeof(datagram));
    if (result.ok()) {
      for (std::size_t i = 0; i < result.bytes / sizeof(MarketUpdate); ++i) {
        if (datagram[i].msg_type != MarketUpdateType::kHeartbeat) {
          records[datagram[i].seq_num] = datagram[i];
        }
      }
      continue;
    }
    bool complete = last != 0;
    for (SeqNum seq = 1; complete && seq <= last; ++seq) {
      complete = records.count(seq) != 0;
    }
    if (complete) {
      return true;
    }
    std::this_thread::sleep_for(200us);
  }
  return false;
}

// Sends one request and reads its answer (records, then the REPLAY_END), bounded.
std::vector<MarketUpdate> replay(std::uint16_t port, SeqNum from, std::uint32_t count) {
  common::TcpConnection connection =
      test::connect_blocking("127.0.0.1", port, 5s, 1 << 20, 1 << 12);
  const MdReplayRequest request{from, count, 0};
  EXPECT_EQ(connection.send(&request, sizeof(request)).status, common::IoStatus::kOk);
  std::vector<MarketUpdate> answer;
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    while (const auto* update = connection.peek_message<MarketUpdate>()) {
      answer.push_back(*update);
      connection.consume(sizeof(MarketUpdate));
      if (answer.back().msg_type == MarketUpdateType::kReplayEnd) {
        return answer;
      }
    }
    const common::IoResult result = connection.read_some();
    if (result.status == common::IoStatus::kClosed || result.status == common::IoStatus::kError) {
      break;
    }
    if (result.status == common::IoStatus::kWouldBlock) {
      std::this_thread::sleep_for(100us);
    }
  }
  ADD_FAILURE() << "no REPLAY_END from " << from;
  return answer;
}

TEST(MdReplayRestart, the_exchange_restarted_on_its_journal_serves_the_recovered_days_tail) {
  const test::MdChannel md = test::md_random_channel();
  const std::filesystem::path journal = std::filesystem::path(::testing::TempDir()) /
                                        ("llt_md_replay_restart_" + std::to_string(::getpid()));
  std::filesystem::remove_all(journal);
  common::McastReceiver receiver(md.group, md.port, "127.0.0.1");
  test::md_grow_receive_buffer(receiver);
  std::map<SeqNum, MarketUpdate> multicast;

  SeqNum last = 0;
  {
    ExchangeApp a(app_options(md, journal.string()));
    a.start();
    {
      testing::OrderEntryClient client(a.port(), 7);
      ASSERT_TRUE(testing::log_on(client));
      // Resting sells, then buys that trade with them: ADDs, TRADEs, CANCELs (fills); the
      // disconnect then cancels what still rests.
      std::vector<ClientRequest> requests;
      for (OrderId id = 1; id <= 400; ++id) {
        requests.push_back(
            id <= 300 ? client.new_order(1, id, Side::kSell, 100 + static_cast<Price>(id % 7), 10)
                      : client.new_order(1, id, Side::kBuy, 110, 15));
      }
      ASSERT_TRUE(client.send(requests));
      ClientResponse response{};
      while (client.receive(response, 5s) == testing::OrderEntryClient::Receive::kMessage &&
             !(response.msg_type == ClientResponseType::kAccepted &&
               response.client_order_id == 400)) {
      }
      ASSERT_EQ(response.client_order_id, 400U) << "the last order was accepted";
    }
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline && a.publisher().stats().last_seq <= kDepth) {
      std::this_thread::sleep_for(1ms);
    }
    // The stream is done once its last number has not moved for 500 ms and every record
    // arrived.
    SeqNum seen = 0;
    auto stable_since = Clock::now();
    while (Clock::now() < deadline) {
      const SeqNum now_last = a.publisher().stats().last_seq;
      ASSERT_TRUE(receive_until(receiver, multicast, now_last, 10s))
          << "multicast up to " << now_last;
      if (now_last != seen) {
        seen = now_last;
        stable_since = Clock::now();
      } else if (Clock::now() - stable_since >= 500ms) {
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    last = seen;
    ASSERT_GT(last, kDepth) << "more records than the ring keeps";
    a.stop();
  }

  ExchangeApp b(app_options(md, journal.string()));
  EXPECT_EQ(b.recovery().md_seq, last);
  ASSERT_NE(b.md_replay(), nullptr);
  b.start();
  const std::uint16_t port = b.md_replay()->port();
  const SeqNum oldest = last - kDepth + 1;

  const std::vector<MarketUpdate> tail = replay(port, oldest, kDepth);
  ASSERT_EQ(tail.size(), kDepth + 1U);
  for (std::size_t i = 0; i < kDepth; ++i) {
    ASSERT_EQ(std::memcmp(&tail[i], &multicast.at(oldest + i), sizeof(MarketUpdate)), 0)
        << "record " << oldest + i;
  }
  EXPECT_EQ(tail.back(), make_replay_end(oldest, kDepth, MdReplayStatus::kServed));

  const std::vector<MarketUpdate> older = replay(port, oldest - 1, 10);
  ASSERT_EQ(older.size(), 1U);
  EXPECT_EQ(older.back(), make_replay_end(oldest - 1, 0, MdReplayStatus::kNotAvailable));
  const std::vector<MarketUpdate> next = replay(port, last + 1, 10);
  ASSERT_EQ(next.size(), 1U);
  EXPECT_EQ(next.back(), make_replay_end(last + 1, 0, MdReplayStatus::kNotYetPublished));

  b.stop();
  std::filesystem::remove_all(journal);
}

}  // namespace
}  // namespace llt::exchange
