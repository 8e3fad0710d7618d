// What the tests of the day's replay share (tests/exchange/snapshot): an engine with its queues
// and client streams replayed by a DayReplay, a day's journal, and comparisons of states.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exchange/exchange_journal.h"
#include "exchange/snapshot/day_replay.h"
#include "exchange/snapshot/state_snapshot.h"
#include "tests/support/order_flow_generator.h"

namespace llt::exchange::test {

inline MatchingEngineOptions engine_options() {
  MatchingEngineOptions options;
  options.tickers = {1, 2, 3};
  options.book.max_orders = 1 << 14;
  options.book.max_price_levels = 1 << 12;
  options.book.max_clients = 64;
  return options;
}

// An engine, its queues and client streams, replayed by a DayReplay. Queue capacities as
// given (the default: ample room).
struct Day {
  explicit Day(std::size_t depth = 1 << 12, std::size_t request_slots = 1 << 10,
               std::size_t output_slots = 1 << 12)
      : requests(request_slots),
        responses(output_slots),
        updates(output_slots),
        engine(engine_options(), requests, responses, updates),
        streams(64, depth),
        replay(engine, requests, responses, updates, streams, "test") {
    replay.on_update([this](const MarketUpdate& update) { published.push_back(update); });
    replay.keep_md_tail(kMdTail);
  }
  static constexpr std::size_t kMdTail = 500;
  RequestQueue requests;
  ResponseQueue responses;
  UpdateQueue updates;
  MatchingEngine engine;
  ClientStreams streams;
  DayReplay replay;
  std::vector<MarketUpdate> published;
};

// A day's journal: the order flow of 8 clients with their LOGONs (some with KEEP_ORDERS) and
// session rejects interleaved, numbered from 1.
inline std::vector<JournalRecord> journal_of_a_day(std::uint64_t seed, std::size_t count) {
  llt::test::OrderFlowOptions options;
  options.seed = seed;
  llt::test::OrderFlowGenerator flow(options);
  llt::test::SplitMix64 draw(seed * 7 + 1);
  std::vector<JournalRecord> records;
  std::vector<SeqNum> next_seq(options.clients + 1, 1);
  while (records.size() < count) {
    ClientRequest request{};
    if (draw.chance(5)) {
      request.msg_type = ClientRequestType::kLogon;
      request.client_id = static_cast<ClientId>(1 + draw.below(options.clients));
      request.flags = draw.chance(500) ? kFlagKeepOrders : 0;
    } else if (draw.chance(5)) {
      request.msg_type = kSessionReject;
      request.client_id = static_cast<ClientId>(1 + draw.below(options.clients));
      request.flags = static_cast<std::uint8_t>(RejectReason::kBadSeqNum);
    } else {
      request = flow.generate(1).front();
      if (request.client_id == kInvalidClientId || request.client_id > options.clients) {
        continue;  // the session layer binds every journaled request to a logged-on client
      }
      if (is_order_type(request.msg_type)) {
        request.seq_num = next_seq[request.client_id]++;
      }
    }
    JournalRecord record;
    record.kind = ExchangeJournal::kind_of(request);
    record.reason = ExchangeJournal::reason_of(request);
    record.index = records.size() + 1;
    record.request = request;
    records.push_back(record);
  }
  return records;
}

inline void expect_same_state(const StateSnapshot& a, const StateSnapshot& b) {
  EXPECT_EQ(a.next_index, b.next_index);
  EXPECT_EQ(a.md_seq, b.md_seq);
  EXPECT_EQ(a.books, b.books);
  EXPECT_TRUE(a.md_tail == b.md_tail) << "the market data tails differ";
  ASSERT_EQ(a.clients.size(), b.clients.size());
  for (std::size_t i = 0; i < a.clients.size(); ++i) {
    const ClientStream& x = a.clients[i].stream;
    const ClientStream& y = b.clients[i].stream;
    SCOPED_TRACE("client " + std::to_string(x.client_id));
    EXPECT_EQ(x.client_id, y.client_id);
    EXPECT_EQ(x.next_request, y.next_request);
    EXPECT_EQ(x.next_response, y.next_response);
    EXPECT_EQ(x.keep_orders, y.keep_orders);
    EXPECT_EQ(x.connected, y.connected);
    EXPECT_EQ(x.bought, y.bought);
    EXPECT_EQ(x.sold, y.sold);
    EXPECT_TRUE(a.clients[i].kept == b.clients[i].kept);
  }
}

inline std::size_t resting_orders(const StateSnapshot& snapshot) {
  std::size_t orders = 0;
  for (const SnapshotBook& book : snapshot.books) {
    orders += book.orders.size();
  }
  return orders;
}

}  // namespace llt::exchange::test
