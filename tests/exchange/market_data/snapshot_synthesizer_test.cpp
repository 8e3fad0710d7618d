#include "exchange/market_data/snapshot_synthesizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/concurrent/idle_strategy.h"
#include "common/net/mcast_socket.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/md_scripted_sender.h"
#include "tests/support/md_subscriber.h"

namespace llt::exchange {
namespace {

using namespace std::chrono_literals;
using test::MdBookRebuilder;
using test::MdChannel;
using test::MdSnapshot;
using test::MdSnapshotAssembler;

// Builds a numbered incremental stream, seq_num from 1, as the publisher hands it over.
class Stream {
 public:
  void add(TickerId ticker, OrderId id, Side side, Price price, Qty qty, Priority priority) {
    push(MarketUpdateType::kAdd, ticker, id, side, price, qty, priority);
  }
  void modify(TickerId ticker, OrderId id, Side side, Price price, Qty qty, Priority priority) {
    push(MarketUpdateType::kModify, ticker, id, side, price, qty, priority);
  }
  void cancel(TickerId ticker, OrderId id, Side side, Price price, Qty qty, Priority priority) {
    push(MarketUpdateType::kCancel, ticker, id, side, price, qty, priority);
  }
  void trade(TickerId ticker, OrderId aggressor, Side side, Price price, Qty qty) {
    push(MarketUpdateType::kTrade, ticker, aggressor, side, price, qty, 0);
  }
  [[nodiscard]] const std::vector<MarketUpdate>& updates() const { return updates_; }

 private:
  void push(MarketUpdateType type, TickerId ticker, OrderId id, Side side, Price price, Qty qty,
            Priority priority) {
    MarketUpdate update;
    update.seq_num = updates_.size() + 1;
    update.msg_type = type;
    update.order_id = id;
    update.ticker_id = ticker;
    update.side = side;
    update.price = price;
    update.qty = qty;
    update.priority = priority;
    updates_.push_back(update);
  }
  std::vector<MarketUpdate> updates_;
};

// Pushes updates[from, to) onto the queue. Returns false if it filled up first.
bool feed(PublishedUpdateQueue& queue, const std::vector<MarketUpdate>& updates, std::size_t from,
          std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (!queue.try_push(updates[i])) {
      return false;
    }
  }
  return true;
}

MarketUpdate record(SeqNum seq, MarketUpdateType type, OrderId order_id = 0, TickerId ticker = 0,
                    Side side = Side::kInvalid, Price price = 0, Qty qty = 0,
                    Priority priority = 0) {
  MarketUpdate update;
  update.seq_num = seq;
  update.msg_type = type;
  update.order_id = order_id;
  update.ticker_id = ticker;
  update.side = side;
  update.price = price;
  update.qty = qty;
  update.priority = priority;
  return update;
}

SnapshotSynthesizerOptions options_for(const MdChannel& channel, std::vector<TickerId> tickers) {
  SnapshotSynthesizerOptions options;
  options.group = channel.group;
  options.port = channel.snapshot_port;
  options.tickers = std::move(tickers);
  options.max_orders_per_ticker = 1024;
  options.snapshot_interval_ms = 3'600'000;  // the first snapshot only, unless a test asks
  return options;
}

// Drains a snapshot receiver into an assembler (at most a socket buffer's worth per call).
void drain(common::McastReceiver& receiver, MdSnapshotAssembler& assembler) {
  unsigned char buffer[2048];
  for (int datagrams = 0; datagrams < 16'384; ++datagrams) {
    const common::IoResult result = receiver.receive(buffer, sizeof(buffer));
    if (result.status != common::IoStatus::kOk) {
      ASSERT_EQ(result.status, common::IoStatus::kWouldBlock) << result.error;
      return;
    }
    assembler.on_datagram(buffer, result.bytes);
  }
}

// Polls the synthesizer and drains the receiver until `completed` snapshots have arrived.
template <typename Synthesizer>
bool poll_until_snapshots(Synthesizer& synthesizer, common::McastReceiver& receiver,
                          MdSnapshotAssembler& assembler, std::uint64_t completed,
                          std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  common::BackoffIdleStrategy idle;
  while (assembler.completed() < completed && std::chrono::steady_clock::now() < deadline) {
    idle.idle(synthesizer.poll());
    drain(receiver, assembler);
  }
  return assembler.completed() >= completed;
}

TEST(SnapshotSynthesizer, first_poll_publishes_an_empty_snapshot_listing_every_ticker_in_order) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.snapshot_port);
  PublishedUpdateQueue updates(64);
  SnapshotSynthesizer synthesizer(options_for(channel, {3, 1, 2}), updates);

  MdSnapshotAssembler assembler;
  ASSERT_TRUE(poll_until_snapshots(synthesizer, receiver, assembler, 1));
  const std::vector<MarketUpdate> expected{
      record(0, MarketUpdateType::kSnapshotStart), record(1, MarketUpdateType::kClear, 0, 3),
      record(2, MarketUpdateType::kClear, 0, 1), record(3, MarketUpdateType::kClear, 0, 2),
      record(4, MarketUpdateType::kSnapshotEnd)};
  EXPECT_EQ(assembler.last()->records, expected);
  EXPECT_TRUE(assembler.errors().empty()) << test::md_join(assembler.errors());

  // The next is one interval (an hour here) after the first started.
  for (int i = 0; i < 100; ++i) {
    (void)synthesizer.poll();
  }
  EXPECT_FALSE(synthesizer.snapshot_in_progress());
  EXPECT_EQ(synthesizer.stats().snapshots_published, 1u);
}

TEST(SnapshotSynthesizer, lists_start_then_per_ticker_clear_and_adds_in_priority_order_then_end) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.snapshot_port);
  PublishedUpdateQueue updates(64);
  SnapshotSynthesizer synthesizer(options_for(channel, {3, 1, 2}), updates);

  Stream stream;
  stream.add(1, 1, Side::kBuy, 99, 10, 1);
  stream.add(1, 2, Side::kSell, 101, 5, 2);
  stream.add(3, 1, Side::kBuy, 50, 1, 1);
  stream.add(1, 3, Side::kBuy, 99, 7, 3);
  stream.add(1, 4, Side::kBuy, 100, 2, 4);
  stream.trade(1, 5, Side::kSell, 100, 2);
  stream.cancel(1, 4, Side::kBuy, 100, 0, 4);  // filled
  stream.trade(1, 6, Side::kSell, 99, 4);
  stream.modify(1, 1, Side::kBuy, 99, 6, 1);  // partly filled
  stream.cancel(1, 2, Side::kSell, 101, 5, 2);
  stream.add(3, 2, Side::kSell, 60, 3, 2);
  ASSERT_TRUE(feed(updates, stream.updates(), 0, stream.updates().size()));

  MdSnapshotAssembler assembler;
  ASSERT_TRUE(poll_until_snapshots(synthesizer, receiver, assembler, 1));
  const std::vector<MarketUpdate> expected{
      record(0, MarketUpdateType::kSnapshotStart, 11),
      record(1, MarketUpdateType::kClear, 0, 3),
      record(2, MarketUpdateType::kAdd, 1, 3, Side::kBuy, 50, 1, 1),
      record(3, MarketUpdateType::kAdd, 2, 3, Side::kSell, 60, 3, 2),
      record(4, MarketUpdateType::kClear, 0, 1),
      record(5, MarketUpdateType::kAdd, 1, 1, Side::kBuy, 99, 6, 1),
      record(6, MarketUpdateType::kAdd, 3, 1, Side::kBuy, 99, 7, 3),
      record(7, MarketUpdateType::kClear, 0, 2),
      record(8, MarketUpdateType::kSnapshotEnd, 11)};
  EXPECT_EQ(assembler.last()->records, expected);
  EXPECT_TRUE(assembler.errors().empty()) << test::md_join(assembler.errors());
  const SnapshotSynthesizerStats stats = synthesizer.stats();
  EXPECT_EQ(stats.last_snapshot_seq, 11u);
  EXPECT_EQ(stats.records, 9u);
  EXPECT_EQ(stats.datagrams, 1u);
  EXPECT_EQ(stats.inconsistent, 0u);
  EXPECT_EQ(stats.seq_gaps, 0u);
}

// A valid random incremental stream over three tickers: adds (bids below 1000, asks above, so
// never crossed), cancels, partial fills (TRADE + MODIFY) and full fills (TRADE + CANCEL).
Stream random_stream(std::size_t operations, std::uint32_t seed) {
  struct Live {
    Side side;
    Price price;
    Qty qty;
    Priority priority;
  };
  std::mt19937 rng(seed);
  Stream stream;
  std::map<TickerId, std::map<OrderId, Live>> live;
  std::map<TickerId, OrderId> next_id;
  std::map<TickerId, Priority> next_priority;
  for (std::size_t i = 0; i < operations; ++i) {
    const auto ticker = static_cast<TickerId>(1 + rng() % 3);
    auto& orders = live[ticker];
    const std::uint32_t roll = rng() % 100;
    if (orders.empty() || roll < 45) {
      const Side side = rng() % 2 == 0 ? Side::kBuy : Side::kSell;
      const auto price =
          static_cast<Price>(side == Side::kBuy ? 900 + rng() % 100 : 1001 + rng() % 100);
      const Live order{side, price, static_cast<Qty>(1 + rng() % 100), ++next_priority[ticker]};
      const OrderId id = ++next_id[ticker];
      orders[id] = order;
      stream.add(ticker, id, order.side, order.price, order.qty, order.priority);
      continue;
    }
    auto it = orders.begin();
    std::advance(it, static_cast<long>(rng() % orders.size()));
    const OrderId id = it->first;
    Live& order = it->second;
    const OrderId aggressor = ++next_id[ticker];
    if (roll < 70) {
      stream.cancel(ticker, id, order.side, order.price, order.qty, order.priority);
      orders.erase(it);
    } else if (roll < 85 && order.qty > 1) {
      const Qty fill = 1 + static_cast<Qty>(rng() % (order.qty - 1));
      order.qty -= fill;
      stream.trade(ticker, aggressor, opposite(order.side), order.price, fill);
      stream.modify(ticker, id, order.side, order.price, order.qty, order.priority);
    } else {
      stream.trade(ticker, aggressor, opposite(order.side), order.price, order.qty);
      stream.cancel(ticker, id, order.side, order.price, 0, order.priority);
      orders.erase(it);
    }
  }
  return stream;
}

MdBookRebuilder rebuild(const std::vector<MarketUpdate>& updates, std::size_t count) {
  MdBookRebuilder rebuilder;
  for (std::size_t i = 0; i < count; ++i) {
    rebuilder.on_record(updates[i]);
  }
  return rebuilder;
}

TEST(SnapshotSynthesizer, every_snapshot_equals_the_books_rebuilt_from_the_stream_up_to_its_seq) {
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.snapshot_port);
  test::md_grow_receive_buffer(receiver);
  PublishedUpdateQueue updates(256);
  SnapshotSynthesizerOptions options = options_for(channel, {1, 2, 3});
  options.snapshot_interval_ms = 1;
  options.max_updates_per_poll = 16;
  SnapshotSynthesizer synthesizer(options, updates);

  const Stream stream = random_stream(4000, 11);
  const std::vector<MarketUpdate>& all = stream.updates();
  MdSnapshotAssembler assembler;
  std::size_t fed = 0;
  std::uint64_t checked = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  common::BackoffIdleStrategy idle;
  while (std::chrono::steady_clock::now() < deadline) {
    while (fed < all.size() && updates.try_push(all[fed])) {
      ++fed;
    }
    idle.idle(synthesizer.poll());
    const std::uint64_t before = assembler.completed();
    drain(receiver, assembler);
    if (assembler.completed() > before) {
      const MdSnapshot& snapshot = *assembler.last();
      const MdBookRebuilder rebuilt = rebuild(all, snapshot.last_incremental_seq);
      ASSERT_TRUE(rebuilt.errors().empty()) << test::md_join(rebuilt.errors());
      ASSERT_EQ(test::md_diff(rebuilt.books(), snapshot.books), "")
          << "snapshot at seq " << snapshot.last_incremental_seq;
      EXPECT_EQ(snapshot.tickers, (std::vector<TickerId>{1, 2, 3}));
      ++checked;
      if (snapshot.last_incremental_seq == all.size()) {
        break;
      }
    }
  }
  ASSERT_TRUE(assembler.last().has_value());
  EXPECT_EQ(assembler.last()->last_incremental_seq, all.size()) << "a snapshot after the last";
  EXPECT_GE(checked, 2u) << "snapshots taken mid-stream were compared too";
  EXPECT_TRUE(assembler.errors().empty()) << test::md_join(assembler.errors());
  EXPECT_EQ(synthesizer.stats().inconsistent, 0u);
  EXPECT_EQ(synthesizer.stats().seq_gaps, 0u);
}

TEST(SnapshotSynthesizer, large_book_snapshot_spans_many_polls_and_arrives_whole) {
  constexpr std::size_t kOrders = 262'144;
  const MdChannel channel = test::md_random_channel();
  common::McastReceiver receiver(channel.group, channel.snapshot_port);
  test::md_grow_receive_buffer(receiver);
  PublishedUpdateQueue updates(kOrders + 16);
  SnapshotSynthesizerOptions options = options_for(channel, {7, 8});
  options.max_orders_per_ticker = kOrders;
  options.max_updates_per_poll = kOrders + 16;  // the first poll applies the whole stream
  SnapshotSynthesizer synthesizer(options, updates);

  Stream stream;
  for (OrderId id = 1; id <= kOrders; ++id) {
    const Side side = id % 2 == 0 ? Side::kBuy : Side::kSell;
    const Price price = side == Side::kBuy ? 10'000 - static_cast<Price>(id % 500)
                                           : 10'001 + static_cast<Price>(id % 500);
    stream.add(7, id, side, price, static_cast<Qty>(1 + id % 97), id);
  }
  stream.add(8, 1, Side::kBuy, 5, 1, 1);
  ASSERT_TRUE(feed(updates, stream.updates(), 0, stream.updates().size()));

  MdSnapshotAssembler assembler;
  int polls = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (assembler.completed() == 0 && std::chrono::steady_clock::now() < deadline) {
    (void)synthesizer.poll();
    ++polls;
    drain(receiver, assembler);
  }
  ASSERT_EQ(assembler.completed(), 1u) << "abandoned " << assembler.abandoned();
  const MdSnapshot& snapshot = *assembler.last();
  const std::size_t records = kOrders + 1 + 4;  // START, 2 CLEARs, END
  EXPECT_EQ(snapshot.records.size(), records);
  EXPECT_EQ(snapshot.last_incremental_seq, kOrders + 1);
  const std::size_t datagrams = (records + kMaxUpdatesPerDatagram - 1) / kMaxUpdatesPerDatagram;
  EXPECT_EQ(synthesizer.stats().datagrams, datagrams);
  EXPECT_GT(polls, static_cast<int>(datagrams / options.max_datagrams_per_poll))
      << "each poll is bounded";
  const MdBookRebuilder rebuilt = rebuild(stream.updates(), stream.updates().size());
  EXPECT_EQ(test::md_diff(rebuilt.books(), snapshot.books), "");
  EXPECT_TRUE(assembler.errors().empty()) << test::md_join(assembler.errors());
}

TEST(SnapshotSynthesizer, resumes_at_the_refused_datagram_after_would_block) {
  PublishedUpdateQueue updates(512);
  SnapshotSynthesizerOptions options;
  options.tickers = {1};
  options.max_orders_per_ticker = 512;
  options.max_datagrams_per_poll = 2;
  options.snapshot_interval_ms = 3'600'000;
  BasicSnapshotSynthesizer<test::MdScriptedSender> synthesizer(options, updates);

  Stream stream;
  for (OrderId id = 1; id <= 200; ++id) {
    stream.add(1, id, Side::kBuy, 100, 1, id);
  }
  ASSERT_TRUE(feed(updates, stream.updates(), 0, stream.updates().size()));
  (void)synthesizer.poll();  // applies the 200 (max_updates_per_poll 256), starts the snapshot
  (void)synthesizer.poll();  // copies and sends 2 datagrams
  synthesizer.sender().refuse_next(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(synthesizer.poll(), 0) << "refused: nothing sent, nothing lost";
  }
  for (int i = 0; i < 10 && synthesizer.snapshot_in_progress(); ++i) {
    (void)synthesizer.poll();
  }
  ASSERT_FALSE(synthesizer.snapshot_in_progress());

  const std::vector<MarketUpdate> records = synthesizer.sender().records();
  ASSERT_EQ(records.size(), 203u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq_num, i);
  }
  EXPECT_EQ(synthesizer.sender().datagrams().size(), 6u) << "203 records: 5 x 34 + 33";
  EXPECT_EQ(synthesizer.stats().send_retries, 3u);
  EXPECT_EQ(synthesizer.stats().snapshots_published, 1u);
}

TEST(SnapshotSynthesizer, sends_a_polls_datagrams_in_one_call_and_resumes_after_the_last_taken) {
  PublishedUpdateQueue updates(512);
  SnapshotSynthesizerOptions options;
  options.tickers = {1};
  options.max_orders_per_ticker = 512;
  options.max_datagrams_per_poll = 4;
  options.snapshot_interval_ms = 3'600'000;
  BasicSnapshotSynthesizer<test::MdScriptedSender> synthesizer(options, updates);

  Stream stream;
  for (OrderId id = 1; id <= 200; ++id) {
    stream.add(1, id, Side::kBuy, 100, 1, id);
  }
  ASSERT_TRUE(feed(updates, stream.updates(), 0, stream.updates().size()));
  (void)synthesizer.poll();                // applies the 200, starts the snapshot
  synthesizer.sender().refuse_next(1, 1);  // of the first call's 4 datagrams, 1 goes
  (void)synthesizer.poll();                // copies, sends one datagram, keeps the rest
  EXPECT_EQ(synthesizer.sender().datagrams().size(), 1u);
  EXPECT_EQ(synthesizer.sender().multi_calls(), 1);
  EXPECT_EQ(synthesizer.stats().send_retries, 1u);
  EXPECT_EQ(synthesizer.poll(), 4) << "four datagrams in one call";
  EXPECT_EQ(synthesizer.sender().multi_calls(), 2);
  EXPECT_EQ(synthesizer.poll(), 1);
  ASSERT_FALSE(synthesizer.snapshot_in_progress());

  const std::vector<MarketUpdate> records = synthesizer.sender().records();
  ASSERT_EQ(records.size(), 203u) << "nothing repeated, nothing skipped";
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq_num, i);
  }
  EXPECT_EQ(synthesizer.sender().datagrams().size(), 6u);
  EXPECT_EQ(synthesizer.stats().snapshots_published, 1u);
}

TEST(SnapshotSynthesizer, applies_no_update_while_copying_so_a_snapshot_is_one_point_in_time) {
  PublishedUpdateQueue updates(512);
  SnapshotSynthesizerOptions options;
  options.tickers = {1};
  options.max_orders_per_ticker = 512;
  options.max_records_per_poll = 10;
  options.snapshot_interval_ms = 3'600'000;
  BasicSnapshotSynthesizer<test::MdScriptedSender> synthesizer(options, updates);

  Stream stream;
  for (OrderId id = 1; id <= 100; ++id) {
    stream.add(1, id, Side::kSell, 200 + static_cast<Price>(id), 1, id);
  }
  for (OrderId id = 1; id <= 50; ++id) {
    stream.cancel(1, id, Side::kSell, 200 + static_cast<Price>(id), 1, id);
  }
  ASSERT_TRUE(feed(updates, stream.updates(), 0, 100));
  (void)synthesizer.poll();  // applies 100, starts the snapshot at seq 100
  ASSERT_TRUE(synthesizer.snapshot_in_progress());
  ASSERT_TRUE(feed(updates, stream.updates(), 100, 150));
  int polls = 0;
  while (synthesizer.snapshot_in_progress() && polls < 100) {
    (void)synthesizer.poll();
    ++polls;
    if (synthesizer.sender().datagrams().empty()) {
      EXPECT_EQ(synthesizer.stats().updates_applied, 100u) << "copying: updates wait";
    }
  }
  EXPECT_GE(polls, 10) << "102 records at 10 per poll";

  MdSnapshotAssembler assembler;
  for (const MarketUpdate& record : synthesizer.sender().records()) {
    assembler.on_record(record);
  }
  ASSERT_EQ(assembler.completed(), 1u);
  EXPECT_EQ(assembler.last()->last_incremental_seq, 100u);
  EXPECT_EQ(test::md_diff(rebuild(stream.updates(), 100).books(), assembler.last()->books), "");

  for (int i = 0; i < 10; ++i) {
    (void)synthesizer.poll();
  }
  EXPECT_EQ(synthesizer.stats().updates_applied, 150u) << "applied once the copy was made";
  EXPECT_EQ(synthesizer.book(1)->order_count(), 50u);
}

TEST(SnapshotSynthesizer, abandons_a_snapshot_on_a_send_error_and_sends_the_next_whole) {
  PublishedUpdateQueue updates(64);
  SnapshotSynthesizerOptions options;
  options.tickers = {1};
  options.max_orders_per_ticker = 64;
  options.snapshot_interval_ms = 1;
  BasicSnapshotSynthesizer<test::MdScriptedSender> synthesizer(options, updates);
  synthesizer.sender().fail_next(1);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (synthesizer.stats().snapshots_published == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    (void)synthesizer.poll();
  }
  EXPECT_EQ(synthesizer.stats().send_errors, 1u);
  EXPECT_EQ(synthesizer.stats().snapshots_published, 1u);
  EXPECT_EQ(synthesizer.last_send_error(), EIO);
}

TEST(SnapshotSynthesizer, counts_updates_it_cannot_apply_instead_of_trusting_them) {
  PublishedUpdateQueue updates(64);
  SnapshotSynthesizerOptions options;
  options.tickers = {1};
  options.max_orders_per_ticker = 2;
  BasicSnapshotSynthesizer<test::MdScriptedSender> synthesizer(options, updates);

  Stream stream;
  stream.add(1, 1, Side::kBuy, 10, 1, 1);
  stream.add(1, 2, Side::kBuy, 10, 1, 2);
  stream.add(1, 3, Side::kBuy, 10, 1, 3);     // replica full
  stream.cancel(1, 9, Side::kBuy, 10, 1, 9);  // unknown order
  stream.add(1, 1, Side::kBuy, 10, 1, 4);     // duplicate
  stream.add(5, 1, Side::kBuy, 10, 1, 1);     // unknown ticker
  std::vector<MarketUpdate> all = stream.updates();
  all.back().seq_num += 1;  // a gap
  ASSERT_TRUE(feed(updates, all, 0, all.size()));
  (void)synthesizer.poll();

  const SnapshotSynthesizerStats stats = synthesizer.stats();
  EXPECT_EQ(stats.updates_applied, 6u);
  EXPECT_EQ(stats.capacity_drops, 1u);
  EXPECT_EQ(stats.inconsistent, 3u);
  EXPECT_EQ(stats.seq_gaps, 1u);
  EXPECT_EQ(synthesizer.book(1)->order_count(), 2u);
}

TEST(SnapshotSynthesizer, refuses_bad_options_naming_them) {
  PublishedUpdateQueue updates(64);
  const auto message_of = [&](const SnapshotSynthesizerOptions& options) -> std::string {
    try {
      SnapshotSynthesizer synthesizer(options, updates);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "no exception";
  };
  SnapshotSynthesizerOptions options;
  options.max_orders_per_ticker = 16;
  options.tickers = {};
  EXPECT_NE(message_of(options).find("--tickers"), std::string::npos);
  options.tickers = {1, 2, 1};
  EXPECT_NE(message_of(options).find("ticker 1 is listed twice"), std::string::npos);
  options.tickers = {1};
  options.max_orders_per_ticker = 0;
  EXPECT_NE(message_of(options).find("--max-orders"), std::string::npos);
  options.max_orders_per_ticker = 16;
  options.snapshot_interval_ms = 0;
  EXPECT_NE(message_of(options).find("--snapshot-interval-ms"), std::string::npos);
  options.snapshot_interval_ms = 1000;
  options.interface = "0.0.0.0";
  EXPECT_NE(message_of(options).find("0.0.0.0"), std::string::npos);
}

}  // namespace
}  // namespace llt::exchange
