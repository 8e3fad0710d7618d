#include <array>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "common/concurrent/idle_strategy.h"
#include "common/net/mcast_socket.h"
#include "common/net/socket_fd.h"
#include "tests/support/multicast_channel.h"

namespace llt::common {
namespace {

using namespace std::chrono_literals;

// Loopback only: interface 127.0.0.1, TTL 1, groups in 239.255.0.0/16 (administratively
// scoped). A random group and port per test keeps parallel runs apart.
constexpr std::string_view kLoopback = "127.0.0.1";

using Channel = test::MulticastChannel;
using test::random_multicast_channel;

struct Datagram {
  std::uint64_t seq;
  std::array<char, 34> payload;
};

Datagram make_datagram(std::uint64_t seq) {
  Datagram datagram{};
  datagram.seq = seq;
  for (std::size_t i = 0; i < datagram.payload.size(); ++i) {
    datagram.payload[i] = static_cast<char>('a' + (seq + i) % 26);
  }
  return datagram;
}

// Receives until `count` datagrams arrived or `limit` passed; returns their sequence numbers.
std::vector<std::uint64_t> receive_seqs(McastReceiver& receiver, std::size_t count,
                                        std::chrono::milliseconds limit) {
  std::vector<std::uint64_t> seqs;
  BackoffIdleStrategy idle;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (seqs.size() < count && std::chrono::steady_clock::now() < deadline) {
    Datagram datagram{};
    const IoResult result = receiver.receive(&datagram, sizeof(datagram));
    if (result.status == IoStatus::kOk) {
      EXPECT_EQ(result.bytes, sizeof(Datagram));
      const Datagram expected = make_datagram(datagram.seq);
      // Member by member: the 6 bytes of tail padding are not part of the value.
      EXPECT_EQ(datagram.payload, expected.payload) << "seq " << datagram.seq;
      seqs.push_back(datagram.seq);
      idle.reset();
    } else {
      EXPECT_EQ(result.status, IoStatus::kWouldBlock) << to_string(result.status);
      idle.idle(0);
    }
  }
  return seqs;
}

void send_range(McastSender& sender, std::uint64_t first, std::uint64_t last) {
  for (std::uint64_t seq = first; seq <= last; ++seq) {
    const Datagram datagram = make_datagram(seq);
    const IoResult result = sender.send(&datagram, sizeof(datagram));
    ASSERT_EQ(result.status, IoStatus::kOk)
        << to_string(result.status) << " errno " << result.error;
    ASSERT_EQ(result.bytes, sizeof(datagram));
  }
}

std::vector<std::uint64_t> iota(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = first; v <= last; ++v) {
    values.push_back(v);
  }
  return values;
}

TEST(Mcast, receiver_joined_on_loopback_gets_datagrams_in_order) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port, kLoopback);
  McastSender sender(channel.group, channel.port, kLoopback, 1);
  EXPECT_TRUE(receiver.joined());
  send_range(sender, 1, 50);
  EXPECT_EQ(receive_seqs(receiver, 50, 5s), iota(1, 50));
}

// Whether this kernel takes UDP_SEGMENT on a UDP socket (Linux 4.18).
bool kernel_segments_udp() {
  const SocketFd fd(::socket(AF_INET, SOCK_DGRAM, 0));
  const int segment = 1400;
  return fd && ::setsockopt(fd.get(), SOL_UDP, UDP_SEGMENT, &segment, sizeof(segment)) == 0;
}

struct Received {
  std::size_t bytes;
  std::vector<std::uint64_t> seqs;  // of the Datagram records it carried
};

// Receives until `count` datagrams arrived or `limit` passed, each a run of whole Datagram
// records (checked).
std::vector<Received> receive_runs(McastReceiver& receiver, std::size_t count,
                                   std::chrono::milliseconds limit) {
  std::vector<Received> received;
  BackoffIdleStrategy idle;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (received.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::array<Datagram, 16> records{};
    const IoResult result = receiver.receive(records.data(), sizeof(records));
    if (result.status != IoStatus::kOk) {
      EXPECT_EQ(result.status, IoStatus::kWouldBlock) << to_string(result.status);
      idle.idle(0);
      continue;
    }
    EXPECT_EQ(result.bytes % sizeof(Datagram), 0u);
    Received run{result.bytes, {}};
    for (std::size_t i = 0; i < result.bytes / sizeof(Datagram); ++i) {
      EXPECT_EQ(records[i].payload, make_datagram(records[i].seq).payload);
      run.seqs.push_back(records[i].seq);
    }
    received.push_back(std::move(run));
    idle.reset();
  }
  return received;
}

// Five records sent as datagrams of two: 2 + 2 + 1.
void expect_runs_of_two(McastReceiver& receiver) {
  const std::vector<Received> received = receive_runs(receiver, 4, 2s);
  ASSERT_EQ(received.size(), 3u) << "exactly three datagrams";
  EXPECT_EQ(received[0].bytes, 2 * sizeof(Datagram));
  EXPECT_EQ(received[0].seqs, iota(1, 2));
  EXPECT_EQ(received[1].bytes, 2 * sizeof(Datagram));
  EXPECT_EQ(received[1].seqs, iota(3, 4));
  EXPECT_EQ(received[2].bytes, sizeof(Datagram));
  EXPECT_EQ(received[2].seqs, iota(5, 5));
}

std::array<Datagram, 5> five_records() {
  std::array<Datagram, 5> records{};
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i] = make_datagram(i + 1);
  }
  return records;
}

TEST(Mcast, send_datagrams_gives_every_receiver_the_same_datagrams_in_one_system_call) {
  const Channel channel = random_multicast_channel();
  McastReceiver first(channel.group, channel.port);
  McastReceiver second(channel.group, channel.port);
  McastSender sender(channel.group, channel.port);
  const std::array<Datagram, 5> records = five_records();
  const IoResult result =
      sender.send_datagrams(records.data(), sizeof(records), 2 * sizeof(Datagram));
  ASSERT_EQ(result.status, IoStatus::kOk) << to_string(result.status) << " errno " << result.error;
  EXPECT_EQ(result.bytes, sizeof(records));
  expect_runs_of_two(first);
  expect_runs_of_two(second);
  if (kernel_segments_udp()) {
    EXPECT_TRUE(sender.segmentation());
    EXPECT_EQ(sender.send_calls(), 1u) << "the kernel cut the three datagrams";
  } else {
    EXPECT_FALSE(sender.segmentation());
  }
}

TEST(Mcast, send_datagrams_without_segmentation_sends_one_datagram_a_call) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port);
  McastSender sender(channel.group, channel.port);
  sender.disable_segmentation();
  const std::array<Datagram, 5> records = five_records();
  const IoResult result =
      sender.send_datagrams(records.data(), sizeof(records), 2 * sizeof(Datagram));
  ASSERT_EQ(result.status, IoStatus::kOk) << to_string(result.status) << " errno " << result.error;
  expect_runs_of_two(receiver);
  EXPECT_EQ(sender.send_calls(), 3u);
}

TEST(Mcast, send_datagrams_of_one_datagram_is_a_plain_send) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port);
  McastSender sender(channel.group, channel.port);
  const Datagram datagram = make_datagram(7);
  ASSERT_TRUE(sender.send_datagrams(&datagram, sizeof(datagram), 4 * sizeof(Datagram)).ok());
  EXPECT_EQ(receive_seqs(receiver, 1, 2s), iota(7, 7));
  EXPECT_EQ(sender.send_calls(), 1u);
}

TEST(Mcast, every_receiver_on_the_host_gets_every_datagram) {
  const Channel channel = random_multicast_channel();
  McastReceiver first(channel.group, channel.port);
  McastReceiver second(channel.group, channel.port);
  McastSender sender(channel.group, channel.port);
  send_range(sender, 1, 10);
  EXPECT_EQ(receive_seqs(first, 10, 5s), iota(1, 10));
  EXPECT_EQ(receive_seqs(second, 10, 5s), iota(1, 10));
}

TEST(Mcast, receiver_gets_nothing_after_leave_and_again_after_join) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port, kLoopback);
  McastSender sender(channel.group, channel.port, kLoopback, 1);
  send_range(sender, 1, 5);
  ASSERT_EQ(receive_seqs(receiver, 5, 5s), iota(1, 5));

  ASSERT_EQ(receiver.leave().status, IoStatus::kOk);
  EXPECT_FALSE(receiver.joined());
  EXPECT_EQ(receiver.leave().status, IoStatus::kOk) << "leaving twice is harmless";
  send_range(sender, 6, 10);
  EXPECT_TRUE(receive_seqs(receiver, 1, 300ms).empty()) << "nothing arrives while left";

  ASSERT_EQ(receiver.join().status, IoStatus::kOk);
  EXPECT_TRUE(receiver.joined());
  EXPECT_EQ(receiver.join().status, IoStatus::kOk) << "joining twice is harmless";
  send_range(sender, 11, 15);
  EXPECT_EQ(receive_seqs(receiver, 5, 5s), iota(11, 15));
}

TEST(Mcast, receiver_created_without_joining_gets_nothing_until_it_joins) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port, kLoopback, McastJoin::kLater);
  McastSender sender(channel.group, channel.port);
  EXPECT_FALSE(receiver.joined());
  send_range(sender, 1, 3);
  EXPECT_TRUE(receive_seqs(receiver, 1, 200ms).empty());
  ASSERT_EQ(receiver.join().status, IoStatus::kOk);
  send_range(sender, 4, 6);
  EXPECT_EQ(receive_seqs(receiver, 3, 5s), iota(4, 6));
}

TEST(Mcast, receiver_ignores_another_group_on_the_same_port) {
  const Channel channel = random_multicast_channel();
  Channel other = random_multicast_channel();
  other.port = channel.port;
  if (other.group == channel.group) {
    GTEST_SKIP() << "drew the same group twice";
  }
  McastReceiver receiver(channel.group, channel.port);
  McastReceiver other_receiver(other.group, other.port);
  McastSender other_sender(other.group, other.port);
  send_range(other_sender, 1, 3);
  EXPECT_EQ(receive_seqs(other_receiver, 3, 5s), iota(1, 3));
  EXPECT_TRUE(receive_seqs(receiver, 1, 200ms).empty());
}

TEST(Mcast, receive_reports_would_block_when_nothing_is_queued) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port);
  char buffer[64];
  const IoResult result = receiver.receive(buffer, sizeof(buffer));
  EXPECT_EQ(result.status, IoStatus::kWouldBlock);
  EXPECT_EQ(result.bytes, 0u);
}

TEST(Mcast, receive_reports_a_datagram_longer_than_the_buffer) {
  const Channel channel = random_multicast_channel();
  McastReceiver receiver(channel.group, channel.port);
  McastSender sender(channel.group, channel.port);
  const Datagram datagram = make_datagram(1);
  ASSERT_EQ(sender.send(&datagram, sizeof(datagram)).status, IoStatus::kOk);
  char small[8];
  IoResult result;
  BackoffIdleStrategy idle;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  do {
    result = receiver.receive(small, sizeof(small));
    idle.idle(0);
  } while (result.status == IoStatus::kWouldBlock && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(result.status, IoStatus::kError);
  EXPECT_EQ(result.error, EMSGSIZE);
  EXPECT_EQ(result.bytes, sizeof(small));
}

// Expects `construct` to throw std::invalid_argument whose message contains `value`.
template <class Construct>
void expect_rejected(Construct construct, const std::string& value) {
  try {
    construct();
    ADD_FAILURE() << "'" << value << "' was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(value), std::string::npos) << error.what();
  }
}

TEST(Mcast, rejects_a_group_that_is_not_multicast_naming_it) {
  for (const std::string group : {"127.0.0.1", "10.1.2.3", "240.0.0.1", "0.0.0.0"}) {
    expect_rejected([&] { McastSender sender(group, 30000); }, group);
    expect_rejected([&] { McastReceiver receiver(group, 30000); }, group);
  }
}

TEST(Mcast, rejects_a_malformed_address_naming_it) {
  for (const std::string bad :
       {"239.255.1", "239.255.1.256", "localhost", "", "239.255.01.2", "::1", "239.255.1.2 "}) {
    expect_rejected([&] { McastSender sender(bad, 30000); }, "'" + bad + "'");
    expect_rejected([&] { McastReceiver receiver(bad, 30000); }, "'" + bad + "'");
    expect_rejected([&] { McastSender sender("239.255.1.2", 30000, bad); }, "'" + bad + "'");
    expect_rejected([&] { McastReceiver receiver("239.255.1.2", 30000, bad); }, "'" + bad + "'");
  }
}

TEST(Mcast, rejects_the_any_address_or_a_group_as_interface) {
  for (const std::string interface : {"0.0.0.0", "239.255.1.2"}) {
    expect_rejected([&] { McastSender sender("239.255.1.2", 30000, interface); }, interface);
    expect_rejected([&] { McastReceiver receiver("239.255.1.3", 30000, interface); }, interface);
  }
}

TEST(Mcast, rejects_port_zero_and_a_ttl_out_of_range) {
  EXPECT_THROW(McastSender("239.255.1.2", 0), std::invalid_argument);
  EXPECT_THROW(McastReceiver("239.255.1.2", 0), std::invalid_argument);
  expect_rejected([] { McastSender sender("239.255.1.2", 30000, kLoopback, 256); }, "256");
  expect_rejected([] { McastSender sender("239.255.1.2", 30000, kLoopback, -1); }, "-1");
}

}  // namespace
}  // namespace llt::common
