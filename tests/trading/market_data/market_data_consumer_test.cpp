// The market data consumer agent over loopback multicast: crafted datagrams from a
// common::McastSender, then the exchange's real publisher and snapshot synthesizer.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "common/concurrent/idle_strategy.h"
#include "common/net/mcast_socket.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_pipeline.h"
#include "tests/support/md_subscriber.h"
#include "tests/trading/market_data/md_test_stream.h"
#include "trading/market_data/market_data_consumer.h"

namespace llt::test {
namespace {

using namespace std::chrono_literals;
using trading::MarketDataConsumer;
using trading::MarketDataConsumerOptions;
using trading::MarketEventQueue;

MarketDataConsumerOptions options_for(const MdChannel& channel) {
  MarketDataConsumerOptions options;
  options.group = channel.group;
  options.incremental_port = channel.port;
  options.snapshot_port = channel.snapshot_port;
  options.queue_capacity = 1 << 12;
  options.snapshot_capacity = 1 << 16;
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

// Polls the consumer and drains its events into `books` until done() or `limit`.
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

TEST(MarketDataConsumer, forwards_the_incremental_stream_read_from_loopback) {
  const MdChannel channel = md_random_channel();
  MarketEventQueue queue(1 << 12);
  MarketDataConsumer consumer(options_for(channel), queue);
  EXPECT_GT(consumer.receive_buffer_bytes(), 0);
  common::McastSender sender(channel.group, channel.port);
  const MdTestStream stream(200);
  send_all(sender, stream.datagrams(1, 200, 10));
  MdEventBooks books;
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return books.next_seq() == 201; }, 5s))
      << "at " << books.next_seq();
  EXPECT_TRUE(books.errors().empty()) << md_join(books.errors());
  EXPECT_EQ(md_diff(md_without_empty(stream.books_at(200)), md_without_empty(books.books())), "");
  EXPECT_FALSE(consumer.snapshot_joined());
  for (const auto& event : books.seen()) {
    EXPECT_NE(event.read_tsc, 0u);
  }
}

TEST(MarketDataConsumer, joins_the_snapshot_stream_to_recover_then_leaves_it) {
  const MdChannel channel = md_random_channel();
  MarketEventQueue queue(1 << 12);
  MarketDataConsumer consumer(options_for(channel), queue);
  common::McastSender incremental(channel.group, channel.port);
  common::McastSender snapshots(channel.group, channel.snapshot_port);
  const MdTestStream stream(100);
  send_all(incremental, stream.datagrams(31, 60, 10));  // a late start
  MdEventBooks books;
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return consumer.snapshot_joined(); }, 5s));
  EXPECT_TRUE(consumer.recovering());
  // Like the exchange, publish the snapshot again and again until it is heard.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (consumer.recovering() && std::chrono::steady_clock::now() < deadline) {
    send_all(snapshots, stream.snapshot(40, 7));
    poll_until(
        consumer, queue, books, [&] { return !consumer.recovering(); }, 20ms);
  }
  ASSERT_FALSE(consumer.recovering());
  EXPECT_FALSE(consumer.snapshot_joined());
  send_all(incremental, stream.datagrams(61, 100, 10));
  ASSERT_TRUE(poll_until(
      consumer, queue, books, [&] { return books.next_seq() == 101; }, 5s));
  EXPECT_TRUE(books.errors().empty()) << md_join(books.errors());
  EXPECT_EQ(md_diff(md_without_empty(stream.books_at(100)), md_without_empty(books.books())), "");
  EXPECT_EQ(consumer.stats().recoveries_completed, 1u);
}

// Against the exchange's own publisher and snapshot synthesizer: a consumer that starts late
// and drops a tenth of the incremental datagrams on purpose still ends with the engine's books.
TEST(MarketDataConsumer, late_and_lossy_consumer_rebuilds_the_exchange_books) {
  const MdChannel channel = md_random_channel();
  MdPipelineOptions pipeline_options;
  pipeline_options.snapshot_interval_ms = 30;
  pipeline_options.flow_seed = 11;
  MdSubscriber from_start(channel, MdSubscriber::Mode::kFromStart);
  MdPipeline pipeline(channel, pipeline_options);
  const auto feed_until = [&](SeqNum seq, auto&& also) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (pipeline.last_seq() < seq && std::chrono::steady_clock::now() < deadline) {
      pipeline.feed(64);
      from_start.poll();
      also();
    }
    return pipeline.last_seq() >= seq;
  };
  ASSERT_TRUE(feed_until(3'000, [] {}));

  MarketDataConsumerOptions options = options_for(channel);
  options.loss_rate = 0.1;
  options.loss_seed = 5;
  MarketEventQueue queue(1 << 16);
  MarketDataConsumer consumer(options, queue);
  MdEventBooks books;
  ASSERT_TRUE(feed_until(pipeline.last_seq() + 6'000, [&] {
    consumer.poll();
    books.drain(queue);
  }));
  ASSERT_TRUE(pipeline.settle({&from_start}, 50ms, 20s));
  const SeqNum last = pipeline.last_seq();
  // Heartbeats (50 ms) reveal a lost tail; snapshots (30 ms) repair it.
  ASSERT_TRUE(poll_until(
      consumer, queue, books,
      [&] { return !consumer.recovering() && books.next_seq() == last + 1 && !books.in_frame(); },
      10s))
      << "consumer at " << books.next_seq() << ", stream at " << last + 1;
  pipeline.stop();
  EXPECT_TRUE(books.errors().empty()) << md_join(books.errors());
  EXPECT_EQ(md_diff(md_without_empty(pipeline.engine_books()), md_without_empty(books.books())),
            "");
  const auto stats = consumer.stats();
  EXPECT_GT(stats.loss_knob_drops, 0u);
  EXPECT_GE(stats.recoveries_completed, 1u);
  EXPECT_EQ(stats.malformed_dropped, 0u);
  EXPECT_EQ(stats.receive_errors, 0u);
  EXPECT_FALSE(consumer.snapshot_joined());
}

}  // namespace
}  // namespace llt::test
