#include "exchange/market_data/market_data_publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/concurrent/idle_strategy.h"
#include "common/net/mcast_socket.h"
#include "common/time/tsc_clock.h"
#include "exchange/market_data/md_replay_ring.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_scripted_sender.h"
#include "tests/support/md_subscriber.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using test::MdChannel;

constexpr std::size_t kQueueCapacity = 1024;

MatchingUpdate make_update(OrderId order_id, std::uint64_t engine_in_ticks = 0) {
  MatchingUpdate update;
  update.update.msg_type = MarketUpdateType::kAdd;
  update.update.order_id = order_id;
  update.update.ticker_id = 1;
  update.update.side = Side::kBuy;
  update.update.price = 100 + static_cast<Price>(order_id % 7);
  update.update.qty = 10;
  update.update.priority = order_id;
  update.ticks.engine_in_ticks = engine_in_ticks;
  return update;
}

void push_updates(UpdateQueue& queue, OrderId first, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(queue.try_push(make_update(first + i)));
  }
}

MarketDataPublisherOptions options_for(const MdChannel& channel) {
  MarketDataPublisherOptions options;
  options.group = channel.group;
  options.port = channel.port;
  options.heartbeat_ms = 60'000;  // no heartbeat unless a test asks for one
  return options;
}

struct Datagram {
  std::size_t size = 0;
  std::vector<MarketUpdate> records;
};

// Receives until `count` datagrams arrived or `limit` passed.
std::vector<Datagram> receive(common::McastReceiver& receiver, std::size_t count,
                              std::chrono::milliseconds limit = 2s) {
  std::vector<Datagram> datagrams;
  common::BackoffIdleStrategy idle;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (datagrams.size() < count && std::chrono::steady_clock::now() < deadline) {
    unsigned char buffer[2048];
    const common::IoResult result = receiver.receive(buffer, sizeof(buffer));
    if (result.status != common::IoStatus::kOk) {
      EXPECT_EQ(result.status, common::IoStatus::kWouldBlock) << result.error;
      idle.idle(0);
      continue;
    }
    Datagram datagram;
    datagram.size = result.bytes;
    test::md_for_each_record(buffer, result.bytes,
                             [&](const MarketUpdate& r) { datagram.records.push_back(r); });
    datagrams.push_back(std::move(datagram));
    idle.reset();
  }
  return datagrams;
}

// Nothing more arrives within `quiet`.
bool stays_quiet(common::McastReceiver& receiver, std::chrono::milliseconds quiet = 20ms) {
  return receive(receiver, 1, quiet).empty();
}

template <typename Publisher>
int poll_until_drained(Publisher& publisher, UpdateQueue& updates) {
  int polls = 0;
  while (!updates.empty_guess() && polls < 10'000) {
    (void)publisher.poll();
    ++polls;
  }
  return polls;
}

TEST(MarketDataPublisher, numbers_updates_contiguously_from_one_and_packs_at_most_34_per_datagram) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  push_updates(updates, 1, 100);
  EXPECT_EQ(publisher.poll(), 3) << "100 available updates make datagrams of 34, 34 and 32";

  const std::vector<Datagram> datagrams = receive(receiver, 3);
  ASSERT_EQ(datagrams.size(), 3u);
  EXPECT_EQ(datagrams[0].records.size(), 34u);
  EXPECT_EQ(datagrams[1].records.size(), 34u);
  EXPECT_EQ(datagrams[2].records.size(), 32u);
  SeqNum expected = 1;
  for (const Datagram& datagram : datagrams) {
    EXPECT_EQ(datagram.size, datagram.records.size() * sizeof(MarketUpdate));
    for (const MarketUpdate& record : datagram.records) {
      EXPECT_EQ(record.seq_num, expected);
      EXPECT_EQ(record.order_id, expected) << "stream order is the engine's order";
      ++expected;
    }
  }
  EXPECT_TRUE(stays_quiet(receiver));

  const MarketDataPublisherStats stats = publisher.stats();
  EXPECT_EQ(stats.updates_published, 100u);
  EXPECT_EQ(stats.datagrams, 3u);
  EXPECT_EQ(stats.last_seq, 100u);
  EXPECT_EQ(stats.send_errors, 0u);
}

TEST(MarketDataPublisher, hands_every_numbered_update_to_the_synthesizer_queue_in_order) {
  const MdChannel channel = test::md_random_channel();
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  push_updates(updates, 1, 50);
  poll_until_drained(publisher, updates);
  for (SeqNum seq = 1; seq <= 50; ++seq) {
    const MarketUpdate* update = published.front();
    ASSERT_NE(update, nullptr) << "seq " << seq;
    MarketUpdate expected = make_update(seq).update;
    expected.seq_num = seq;
    EXPECT_EQ(*update, expected);
    published.pop();
  }
  EXPECT_EQ(published.front(), nullptr);
}

TEST(MarketDataPublisher, sends_an_update_with_no_company_alone_in_the_poll_that_found_it) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  for (SeqNum seq = 1; seq <= 3; ++seq) {
    push_updates(updates, seq, 1);
    EXPECT_EQ(publisher.poll(), 1) << "one poll sends it";
    const std::vector<Datagram> datagrams = receive(receiver, 1);
    ASSERT_EQ(datagrams.size(), 1u);
    EXPECT_EQ(datagrams[0].size, sizeof(MarketUpdate));
    EXPECT_EQ(datagrams[0].records[0].seq_num, seq);
    EXPECT_EQ(publisher.poll(), 0) << "nothing left to send";
  }
}

TEST(MarketDataPublisher, every_datagram_is_one_to_34_whole_records_whatever_the_burst_sizes) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  test::md_grow_receive_buffer(receiver);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(4 * kQueueCapacity);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  std::mt19937 rng(7);
  OrderId next = 1;
  std::size_t expected_datagrams = 0;
  for (int burst = 0; burst < 40; ++burst) {
    const std::size_t count = 1 + rng() % 100;
    push_updates(updates, next, count);
    next += count;
    expected_datagrams += (count + kMaxUpdatesPerDatagram - 1) / kMaxUpdatesPerDatagram;
    poll_until_drained(publisher, updates);
  }
  const std::vector<Datagram> datagrams = receive(receiver, expected_datagrams);
  ASSERT_EQ(datagrams.size(), expected_datagrams);
  SeqNum expected_seq = 1;
  for (const Datagram& datagram : datagrams) {
    EXPECT_EQ(datagram.size % sizeof(MarketUpdate), 0u);
    EXPECT_GE(datagram.records.size(), 1u);
    EXPECT_LE(datagram.records.size(), kMaxUpdatesPerDatagram);
    for (const MarketUpdate& record : datagram.records) {
      EXPECT_EQ(record.seq_num, expected_seq++);
    }
  }
  EXPECT_EQ(expected_seq, next);
}

TEST(MarketDataPublisher, heartbeat_after_idle_carries_the_next_seq_and_consumes_none) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisherOptions options = options_for(channel);
  options.heartbeat_ms = 30;
  MarketDataPublisher publisher(options, updates, published);
  publisher.on_start();

  // Polls until the idle stream's next heartbeat went out (exactly one, however slow the
  // machine), within a deadline.
  const auto poll_until_heartbeat = [&] {
    const std::uint64_t before = publisher.stats().heartbeats;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (publisher.stats().heartbeats == before && std::chrono::steady_clock::now() < deadline) {
      (void)publisher.poll();
      std::this_thread::sleep_for(1ms);
    }
  };

  // Before any update: the next seq is 1.
  poll_until_heartbeat();
  std::vector<Datagram> datagrams = receive(receiver, 1);
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0].records[0].msg_type, MarketUpdateType::kHeartbeat);
  EXPECT_EQ(datagrams[0].records[0].seq_num, 1u);
  EXPECT_EQ(datagrams[0].size, sizeof(MarketUpdate));

  push_updates(updates, 1, 5);
  (void)publisher.poll();
  datagrams = receive(receiver, 1);
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0].records.back().seq_num, 5u);

  poll_until_heartbeat();
  datagrams = receive(receiver, 1);
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0].records[0].msg_type, MarketUpdateType::kHeartbeat);
  EXPECT_EQ(datagrams[0].records[0].seq_num, 6u) << "the seq the next update will carry";

  push_updates(updates, 6, 1);
  (void)publisher.poll();
  // Skip any further heartbeat that went out meanwhile: each carries 6 too.
  for (int skipped = 0; skipped < 100; ++skipped) {
    datagrams = receive(receiver, 1);
    ASSERT_EQ(datagrams.size(), 1u);
    if (datagrams[0].records[0].msg_type != MarketUpdateType::kHeartbeat) {
      break;
    }
    EXPECT_EQ(datagrams[0].records[0].seq_num, 6u);
  }
  EXPECT_EQ(datagrams[0].records[0].seq_num, 6u) << "the heartbeat consumed no number";
  EXPECT_EQ(datagrams[0].records[0].msg_type, MarketUpdateType::kAdd);
  EXPECT_GE(publisher.stats().heartbeats, 2u);
  EXPECT_EQ(publisher.stats().last_seq, 6u);
}

TEST(MarketDataPublisher, stops_taking_updates_while_the_synthesizer_queue_is_full_and_loses_none) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(8);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  push_updates(updates, 1, 20);
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(publisher.stats().last_seq, 8u) << "only what the synthesizer queue takes is numbered";
  EXPECT_EQ(published.size_guess(), 8u);
  EXPECT_GE(publisher.stats().feed_stalls, 1u);
  EXPECT_EQ(publisher.poll(), 0) << "still full: nothing taken";
  EXPECT_EQ(publisher.stats().last_seq, 8u);
  // The 12 left wait in the queue (popped slots come back to the producer in batches, so
  // size_guess counts between 12 and 12 + release_batch() - 1 of them here).
  EXPECT_GE(updates.size_guess(), 12u);
  EXPECT_LT(updates.size_guess(), 12u + updates.release_batch());

  SeqNum next_expected = 1;
  const auto drain_published = [&] {
    while (const MarketUpdate* update = published.front()) {
      EXPECT_EQ(update->seq_num, next_expected++);
      published.pop();
    }
  };
  for (int polls = 0; !updates.empty_guess() && polls < 1000; ++polls) {
    drain_published();
    (void)publisher.poll();
  }
  drain_published();
  EXPECT_EQ(next_expected, 21u);

  std::vector<Datagram> datagrams = receive(receiver, 3);
  SeqNum seq = 1;
  for (const Datagram& datagram : datagrams) {
    for (const MarketUpdate& record : datagram.records) {
      EXPECT_EQ(record.seq_num, seq++);
    }
  }
  EXPECT_EQ(seq, 21u);
}

TEST(MarketDataPublisher, retries_the_same_datagram_after_would_block_without_renumbering) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  publisher.sender().refuse_next(2);

  push_updates(updates, 1, 3);
  EXPECT_EQ(publisher.poll(), 0);
  push_updates(updates, 4, 2);
  EXPECT_EQ(publisher.poll(), 0);
  EXPECT_EQ(updates.size_guess(), 2u) << "nothing new is taken while a datagram waits";
  EXPECT_EQ(publisher.poll(), 2) << "the kept datagram, then the new updates";

  const auto& datagrams = publisher.sender().datagrams();
  ASSERT_EQ(datagrams.size(), 2u);
  ASSERT_EQ(datagrams[0].size(), 3u);
  ASSERT_EQ(datagrams[1].size(), 2u);
  for (SeqNum seq = 1; seq <= 5; ++seq) {
    const MarketUpdate& record = seq <= 3 ? datagrams[0][seq - 1] : datagrams[1][seq - 4];
    EXPECT_EQ(record.seq_num, seq);
    EXPECT_EQ(record.order_id, seq);
  }
  EXPECT_EQ(publisher.stats().send_retries, 2u);
  EXPECT_EQ(publisher.stats().updates_published, 5u);
  EXPECT_EQ(published.size_guess(), 5u) << "each update handed over once";
}

TEST(MarketDataPublisher, the_replay_ring_publishes_a_datagram_only_once_it_is_done_with) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  MdReplayRing ring(8);  // small: the records of this test wrap it
  publisher.set_replay_ring(&ring);
  publisher.sender().refuse_next(2);

  push_updates(updates, 1, 3);
  EXPECT_EQ(publisher.poll(), 0);
  EXPECT_EQ(publisher.poll(), 0);
  EXPECT_EQ(ring.last_published(), 0u) << "a refused datagram is not served";
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(ring.last_published(), 3u);

  // A datagram lost to a send error is published: the replay fills the consumers' gap.
  publisher.sender().fail_next(1);
  push_updates(updates, 4, 2);
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(ring.last_published(), 5u);

  // Past the depth: the ring holds the last 8, each exactly as numbered and sent.
  push_updates(updates, 6, 6);
  EXPECT_EQ(publisher.poll(), 1);
  ASSERT_EQ(ring.last_published(), 11u);
  for (SeqNum seq = 1; seq <= 11; ++seq) {
    MarketUpdate record{};
    const bool held = ring.read(seq, record);
    if (seq < ring.oldest_kept(11)) {
      EXPECT_FALSE(held) << seq;
      continue;
    }
    ASSERT_TRUE(held) << seq;
    EXPECT_EQ(record.seq_num, seq);
    EXPECT_EQ(record.order_id, seq);
  }
}

TEST(MarketDataPublisher, counts_a_datagram_lost_to_a_send_error_and_keeps_numbering) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  publisher.sender().fail_next(1);

  push_updates(updates, 1, 2);
  EXPECT_EQ(publisher.poll(), 1);
  push_updates(updates, 3, 1);
  EXPECT_EQ(publisher.poll(), 1);

  const auto& datagrams = publisher.sender().datagrams();
  ASSERT_EQ(datagrams.size(), 1u);
  EXPECT_EQ(datagrams[0][0].seq_num, 3u) << "consumers see the gap 1-2 and recover";
  const MarketDataPublisherStats stats = publisher.stats();
  EXPECT_EQ(stats.send_errors, 1u);
  EXPECT_EQ(stats.updates_lost, 2u);
  EXPECT_EQ(stats.updates_published, 1u);
  EXPECT_EQ(publisher.last_send_error(), EIO);
}

TEST(MarketDataPublisher, sends_the_datagrams_of_a_poll_in_one_system_call) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.port);
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisher publisher(options_for(channel), updates, published);

  push_updates(updates, 1, 200);
  EXPECT_EQ(publisher.poll(), 6) << "200 updates: five datagrams of 34 and one of 30";
  const std::vector<Datagram> datagrams = receive(receiver, 6);
  ASSERT_EQ(datagrams.size(), 6u);
  EXPECT_TRUE(stays_quiet(receiver));
  SeqNum expected = 1;
  for (const Datagram& datagram : datagrams) {
    EXPECT_EQ(datagram.records.size(), expected <= 170 ? 34u : 30u);
    for (const MarketUpdate& record : datagram.records) {
      EXPECT_EQ(record.seq_num, expected++);
    }
  }
  if (publisher.sender().segmentation()) {
    EXPECT_EQ(publisher.sender().send_calls(), 1u);
  } else {
    EXPECT_EQ(publisher.sender().send_calls(), 6u);
  }
  EXPECT_EQ(publisher.stats().datagrams, 6u);
  EXPECT_EQ(publisher.stats().updates_published, 200u);
}

TEST(MarketDataPublisher, at_most_max_datagrams_per_poll_go_out_in_a_poll) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  MarketDataPublisherOptions options;
  options.max_datagrams_per_poll = 2;
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(options, updates, published);
  push_updates(updates, 1, 100);
  EXPECT_EQ(publisher.poll(), 2);
  EXPECT_EQ(publisher.stats().updates_published, 68u);
  EXPECT_EQ(publisher.sender().multi_calls(), 1);
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(publisher.stats().updates_published, 100u);
}

TEST(MarketDataPublisher, keeps_the_datagrams_the_socket_refused_after_others_went_out) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  MdReplayRing ring(1024);
  publisher.set_replay_ring(&ring);
  publisher.sender().refuse_next(1, 1);  // the first datagram goes, the second is refused

  push_updates(updates, 1, 100);
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(publisher.stats().updates_published, 34u);
  EXPECT_EQ(publisher.stats().send_retries, 1u);
  EXPECT_EQ(ring.last_published(), 34u) << "only what went out is served";
  push_updates(updates, 101, 5);
  EXPECT_EQ(publisher.poll(), 3) << "the two kept datagrams, then the new updates";

  const auto& datagrams = publisher.sender().datagrams();
  ASSERT_EQ(datagrams.size(), 4u);
  EXPECT_EQ(datagrams[1].size(), 34u);
  EXPECT_EQ(datagrams[2].size(), 32u);
  EXPECT_EQ(datagrams[3].size(), 5u);
  SeqNum expected = 1;
  for (const auto& datagram : datagrams) {
    for (const MarketUpdate& record : datagram) {
      EXPECT_EQ(record.seq_num, expected);
      EXPECT_EQ(record.order_id, expected) << "kept records are not renumbered";
      ++expected;
    }
  }
  EXPECT_EQ(publisher.stats().updates_published, 105u);
  EXPECT_EQ(publisher.stats().datagrams, 4u);
  EXPECT_EQ(ring.last_published(), 105u);
}

TEST(MarketDataPublisher, an_error_after_some_datagrams_went_out_loses_only_the_rest) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  MdReplayRing ring(1024);
  publisher.set_replay_ring(&ring);
  publisher.sender().fail_next(1, 1);

  push_updates(updates, 1, 100);
  EXPECT_EQ(publisher.poll(), 3) << "one sent, two lost: all three are done with";
  const MarketDataPublisherStats stats = publisher.stats();
  EXPECT_EQ(stats.updates_published, 34u);
  EXPECT_EQ(stats.datagrams, 1u);
  EXPECT_EQ(stats.send_errors, 2u);
  EXPECT_EQ(stats.updates_lost, 66u);
  EXPECT_EQ(ring.last_published(), 100u) << "the replay fills the consumers' gap";
  push_updates(updates, 101, 1);
  EXPECT_EQ(publisher.poll(), 1);
  EXPECT_EQ(publisher.sender().datagrams().back()[0].seq_num, 101u);
}

TEST(MarketDataPublisher, records_engine_in_to_published_latency_for_each_stamped_update) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  BasicMarketDataPublisher<test::MdScriptedSender> publisher(MarketDataPublisherOptions{}, updates,
                                                             published);
  const common::TscClock& clock = common::TscClock::instance();
  for (OrderId id = 1; id <= 40; ++id) {
    ASSERT_TRUE(updates.try_push(make_update(id, clock.now_ticks())));
  }
  ASSERT_TRUE(updates.try_push(make_update(41, 0)));  // not stamped: not recorded
  poll_until_drained(publisher, updates);
  EXPECT_EQ(publisher.latency().count(), 40u);
  EXPECT_LT(publisher.latency().max(), 1'000'000'000u) << "nanoseconds, not ticks since boot";
  EXPECT_EQ(MarketDataPublisher::kLatencyHop, "engine_in_to_update_published");
}

TEST(MarketDataPublisher, refuses_bad_options_naming_them) {
  UpdateQueue updates(kQueueCapacity);
  PublishedUpdateQueue published(kQueueCapacity);
  const auto message_of = [&](const MarketDataPublisherOptions& options) -> std::string {
    try {
      MarketDataPublisher publisher(options, updates, published);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "no exception";
  };
  MarketDataPublisherOptions options;
  options.heartbeat_ms = 0;
  EXPECT_NE(message_of(options).find("--md-heartbeat-ms"), std::string::npos);
  options = {};
  options.max_datagrams_per_poll = 0;
  EXPECT_NE(message_of(options).find("per poll"), std::string::npos);
  options = {};
  options.interface = "0.0.0.0";
  EXPECT_NE(message_of(options).find("0.0.0.0"), std::string::npos);
  options = {};
  options.group = "10.1.2.3";
  EXPECT_NE(message_of(options).find("10.1.2.3"), std::string::npos);
}

}  // namespace
}  // namespace llt::exchange
