// The order book against the reference book, request by request: seeded random flows of
// >= 1,000,000 requests in all (every order type, tif, flag and modify, valid and not), through
// exchange::Matcher and test::ReferenceExchange, each self-trade prevention mode in at least
// one case. After every request the two event streams must be identical record for record
// (interleaving of responses and updates included), the touched books identical level by
// level and order by order, every book invariant must hold, and every order's quantity must
// balance: original = resting + filled + cancelled, where a MODIFY replaces the order's
// remaining qty (the old remaining counts as cancelled, the new qty is added to the original,
// so original - cancelled moves by the qty delta) and the market data CANCEL or MODIFY that
// follows the MODIFIED must carry exactly the old and new quantities.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "exchange/matcher/matcher.h"
#include "exchange/protocol/format.h"
#include "tests/support/book_checks.h"
#include "tests/support/book_events.h"
#include "tests/support/order_flow_generator.h"
#include "tests/support/reference_book.h"

namespace llt::test {
namespace {

using exchange::Matcher;

struct DifferentialCase {
  const char* name;
  std::uint64_t seed;
  std::size_t requests;
  std::vector<TickerId> tickers;
  std::uint32_t clients;
  OrderBookOptions limits;
  std::uint32_t max_steps;  // per process()/resume() call; kUnlimitedSteps for one call
  bool feedback;            // clients forget filled orders (else many cancels are stale)
  ClientId first_client = 1;
};

const char* stp_name(SelfTradePrevention stp) {
  switch (stp) {
    case SelfTradePrevention::kOff:
      return "off";
    case SelfTradePrevention::kCancelNewest:
      return "cancel-newest";
    case SelfTradePrevention::kCancelOldest:
      return "cancel-oldest";
  }
  return "?";
}

// gtest prints the case by name instead of its bytes.
void PrintTo(const DifferentialCase& c, std::ostream* out) {
  *out << c.name;
}

OrderBookOptions limits(std::size_t orders, std::size_t levels, std::size_t clients,
                        SelfTradePrevention stp = SelfTradePrevention::kOff) {
  OrderBookOptions options;
  options.max_orders = orders;
  options.max_price_levels = levels;
  options.max_clients = clients;
  options.self_trade_prevention = stp;
  return options;
}

constexpr auto kStpOff = SelfTradePrevention::kOff;
constexpr auto kNewest = SelfTradePrevention::kCancelNewest;
constexpr auto kOldest = SelfTradePrevention::kCancelOldest;

constexpr std::uint32_t kUnlimited = Matcher<RecordingHandler>::kUnlimitedSteps;

// The comparison is single-threaded, so ThreadSanitizer has nothing to check in it and only
// slows it down about twentyfold: under TSan it runs a fifth of the flow. Release and ASan
// builds run all of it (1,100,000 requests).
#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kFlowDivisor = 5;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr std::size_t kFlowDivisor = 5;
#else
constexpr std::size_t kFlowDivisor = 1;
#endif
#else
constexpr std::size_t kFlowDivisor = 1;
#endif

// 1,100,000 requests in all; each self-trade prevention mode runs in at least two cases.
const DifferentialCase kCases[] = {
    {"seed_1", 1, 200'000, {1, 2, 3}, 8, limits(4096, 1024, 64), kUnlimited, true},
    {"seed_2_open_loop_cancel_oldest",
     2,
     150'000,
     {1, 2, 3},
     8,
     limits(4096, 1024, 64, kOldest),
     kUnlimited,
     false},
    {"seed_3_one_ticker_cancel_newest",
     3,
     200'000,
     {7},
     16,
     limits(4096, 1024, 64, kNewest),
     kUnlimited,
     true},
    {"seed_4_tiny_capacities_cancel_oldest",
     4,
     150'000,
     {1, 2, 3},
     8,
     limits(40, 12, 4, kOldest),
     kUnlimited,
     true},
    {"seed_5_one_step_per_call_cancel_newest",
     5,
     150'000,
     {1, 2, 3},
     8,
     limits(4096, 1024, 64, kNewest),
     1,
     true},
    {"seed_6_three_steps_per_call_cancel_oldest",
     6,
     100'000,
     {1, 2, 3, 4, 5},
     12,
     limits(4096, 1024, 64, kOldest),
     3,
     true},
    // Client ids on both sides of the books' flat client table (ids below 4096).
    {"seed_7_large_client_ids",
     7,
     100'000,
     {1, 2},
     12,
     limits(4096, 1024, 11),
     kUnlimited,
     true,
     4'090},
    {"seed_8_tiny_capacities_cancel_newest",
     8,
     50'000,
     {1, 2},
     4,
     limits(30, 8, 3, kNewest),
     kUnlimited,
     true},
};

// Original quantity of every live order and what became of it, from the event stream alone.
// A MODIFY replaces the remaining qty: the old remaining is added to cancelled and the new qty
// to original.
struct Ledger {
  struct Entry {
    ClientId client_id = 0;
    OrderId client_order_id = 0;
    std::uint64_t original = 0;
    std::uint64_t filled = 0;
    std::uint64_t cancelled = 0;
    bool resting = false;  // between its ADD and the CANCEL that takes it off the book
    Price price = 0;       // where it rests
    // After a MODIFIED: the market data update it must be followed by.
    bool modify_pending = false;
    bool modify_in_place = false;
    std::uint64_t modify_old_qty = 0;
    std::uint64_t modify_new_qty = 0;
    [[nodiscard]] std::uint64_t remaining() const { return original - filled - cancelled; }
  };
  std::unordered_map<std::uint64_t, Entry> entries;  // key: ticker << 40 | market order id
  static std::uint64_t key(TickerId ticker, OrderId market_order_id) {
    return (std::uint64_t{ticker} << 40) | market_order_id;
  }
};

class Differential {
 public:
  struct Stats {
    std::size_t fills = 0;  // FILLED responses (two per match)
    std::size_t rejects = 0;
    std::size_t capacity_rejects = 0;
    std::size_t max_resting = 0;
    std::size_t resting_sum = 0;
    std::size_t modified_in_place = 0;
    std::size_t modified_reentered = 0;
    std::size_t modify_rejects = 0;
    std::size_t expired = 0;
    std::size_t self_trade_cancels = 0;
    std::size_t would_cross = 0;
    std::size_t tif_or_flags_rejects = 0;
    std::size_t disconnected = 0;
  };
  Stats stats;

  explicit Differential(const DifferentialCase& c)
      : case_(c), ours_(c.tickers, c.limits, recorder_), reference_(c.tickers, c.limits) {}

  const std::vector<BookEvent>& last_events() const { return recorder_.events; }

  // Runs one request through both; returns "" or the first difference.
  std::string step(const ClientRequest& request, std::size_t index) {
    recorder_.events.clear();
    std::size_t call_start = 0;
    const RejectReason ours_reason = ours_.process(request, case_.max_steps);
    std::string problem = check_call_bound(call_start);
    while (problem.empty() && ours_.busy()) {
      call_start = recorder_.events.size();
      const bool done = ours_.resume(case_.max_steps);
      problem = check_call_bound(call_start);
      if (problem.empty() && done == ours_.busy()) {
        problem = "resume() returned " + std::string(done ? "true" : "false") + " but busy() is " +
                  (ours_.busy() ? "true" : "false");
      }
    }
    const std::vector<BookEvent>& expected = reference_.process(request);
    if (problem.empty())
      problem = compare_events(expected);
    if (problem.empty() && ours_reason != reference_.last_reason()) {
      problem = fmt::format("reason {} but reference {}", ours_reason, reference_.last_reason());
    }
    if (problem.empty())
      problem = apply_to_ledger(request);
    for (const TickerId ticker : case_.tickers) {
      if (!problem.empty())
        break;
      const bool touched = request.ticker_id == ticker ||
                           request.msg_type == exchange::kCancelAllOfClient || index % 4096 == 0;
      if (touched)
        problem = check_ticker(ticker);
    }
    if (problem.empty())
      problem = check_totals();
    for (const BookEvent& event : recorder_.events) {
      if (const auto* r = std::get_if<ClientResponse>(&event)) {
        const ClientResponseType type = r->msg_type;
        const RejectReason reason = r->reject_reason;
        const bool canceled = type == ClientResponseType::kCanceled;
        stats.fills += type == ClientResponseType::kFilled ? 1 : 0;
        stats.rejects += reason != RejectReason::kNone && !canceled ? 1 : 0;
        stats.capacity_rejects += reason == RejectReason::kCapacity ? 1 : 0;
        stats.modify_rejects += type == ClientResponseType::kModifyRejected ? 1 : 0;
        stats.expired += canceled && reason == RejectReason::kExpired ? 1 : 0;
        stats.self_trade_cancels += canceled && reason == RejectReason::kSelfTrade ? 1 : 0;
        stats.disconnected += canceled && reason == RejectReason::kDisconnected ? 1 : 0;
        stats.would_cross += reason == RejectReason::kWouldCross ? 1 : 0;
        stats.tif_or_flags_rejects +=
            reason == RejectReason::kInvalidTif || reason == RejectReason::kInvalidFlags ? 1 : 0;
      }
    }
    stats.max_resting = std::max(stats.max_resting, ours_.order_ids().size());
    stats.resting_sum += ours_.order_ids().size();
    if (!problem.empty()) {
      return fmt::format("request #{}: {}\n{}\nours:\n{}reference:\n{}", index,
                         exchange::to_string(request), problem, describe(recorder_.events),
                         describe(expected));
    }
    return {};
  }

 private:
  // The step-budget contract: one call with max_steps = n emits at most 2n + 2 responses and
  // 2n + 2 updates.
  std::string check_call_bound(std::size_t from) const {
    if (case_.max_steps == kUnlimited)
      return {};
    std::size_t responses = 0;
    std::size_t updates = 0;
    for (std::size_t i = from; i < recorder_.events.size(); ++i) {
      (std::holds_alternative<ClientResponse>(recorder_.events[i]) ? responses : updates) += 1;
    }
    const std::size_t bound = 2 * std::size_t{case_.max_steps} + 2;
    if (responses > bound || updates > bound) {
      return fmt::format("one call emitted {} responses and {} updates, bound {}", responses,
                         updates, bound);
    }
    return {};
  }

  std::string compare_events(const std::vector<BookEvent>& expected) const {
    const auto& actual = recorder_.events;
    for (std::size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
      if (!(actual[i] == expected[i])) {
        return fmt::format("event {} differs: ours {} / reference {}", i, describe(actual[i]),
                           describe(expected[i]));
      }
    }
    if (actual.size() != expected.size()) {
      return fmt::format("{} events, reference {}", actual.size(), expected.size());
    }
    return {};
  }

  // Applies the request's events to the ledger, checking each against it and against what
  // the request was, then checks every order the request touched against our book.
  std::string apply_to_ledger(const ClientRequest& request) {
    const ClientRequestType request_type = request.msg_type;
    const TimeInForce request_tif = request.tif;
    const bool stp = case_.limits.self_trade_prevention != SelfTradePrevention::kOff;
    touched_.clear();
    std::uint64_t exec_total = 0;
    std::uint64_t traded_total = 0;
    for (const BookEvent& event : recorder_.events) {
      if (const auto* r = std::get_if<ClientResponse>(&event)) {
        const ClientResponseType type = r->msg_type;
        const RejectReason reason = r->reject_reason;
        const std::uint64_t key = Ledger::key(r->ticker_id, r->market_order_id);
        if (type == ClientResponseType::kAccepted) {
          if (ledger_.entries.count(key) > 0)
            return "market order id reused";
          Ledger::Entry entry;
          entry.client_id = r->client_id;
          entry.client_order_id = r->client_order_id;
          entry.original = r->leaves_qty;
          ledger_.entries[key] = entry;
          touched_.push_back(key);
          continue;
        }
        if (type != ClientResponseType::kFilled && type != ClientResponseType::kCanceled &&
            type != ClientResponseType::kModified) {
          continue;  // refusals carry no market order id
        }
        auto it = ledger_.entries.find(key);
        if (it == ledger_.entries.end())
          return fmt::format("{} for an unknown order", describe(event));
        Ledger::Entry& entry = it->second;
        touched_.push_back(key);
        if (type == ClientResponseType::kFilled) {
          if (r->exec_qty == 0)
            return "FILLED with exec_qty 0";
          entry.filled += r->exec_qty;
          exec_total += r->exec_qty;
          if (entry.filled + entry.cancelled > entry.original ||
              entry.remaining() != r->leaves_qty) {
            return fmt::format("FILLED leaves {} but original {} - filled {} - cancelled {}",
                               r->leaves_qty, entry.original, entry.filled, entry.cancelled);
          }
        } else if (type == ClientResponseType::kModified) {
          if (request_type != ClientRequestType::kModify || !entry.resting)
            return "MODIFIED of an order that does not rest, or not for a MODIFY";
          const Price new_price = r->price;
          entry.modify_pending = true;
          entry.modify_in_place = new_price == entry.price && r->leaves_qty <= entry.remaining();
          entry.modify_old_qty = entry.remaining();
          entry.modify_new_qty = r->leaves_qty;
          entry.cancelled += entry.modify_old_qty;
          entry.original += entry.modify_new_qty;
          (entry.modify_in_place ? stats.modified_in_place : stats.modified_reentered) += 1;
        } else {  // CANCELED
          if (r->leaves_qty != 0 || r->exec_qty != 0)
            return "CANCELED with leaves or exec";
          const bool fits =
              reason == RejectReason::kNone           ? request_type == ClientRequestType::kCancel
              : reason == RejectReason::kDisconnected ? request_type == exchange::kCancelAllOfClient
              : reason == RejectReason::kExpired
                  ? request_type == ClientRequestType::kNew && request_tif != TimeInForce::kGtc
              : reason == RejectReason::kSelfTrade ? stp
                                                   : false;
          if (!fits)
            return fmt::format("CANCELED reason {} for this request", reason);
          if (!entry.resting) {
            // The aggressor ends (EXPIRED, or SELF_TRADE under cancel-newest): no market data.
            if (entry.remaining() == 0)
              return "CANCELED of an order with nothing left";
            if (reason != RejectReason::kExpired && reason != RejectReason::kSelfTrade)
              return "CANCELED of an order that does not rest";
            entry.cancelled += entry.remaining();
          }
          // A resting order's CANCEL update follows and counts its qty.
        }
      } else {
        const auto& u = std::get<MarketUpdate>(event);
        const MarketUpdateType type = u.msg_type;
        if (type == MarketUpdateType::kTrade) {
          traded_total += u.qty;
          continue;
        }
        const std::uint64_t key = Ledger::key(u.ticker_id, u.order_id);
        auto it = ledger_.entries.find(key);
        if (it == ledger_.entries.end())
          return fmt::format("{} for an unknown order", describe(event));
        Ledger::Entry& entry = it->second;
        touched_.push_back(key);
        const Price price = u.price;
        if (type == MarketUpdateType::kAdd) {
          if (entry.resting || entry.modify_pending || u.qty == 0 || u.qty != entry.remaining())
            return "ADD quantity does not balance";
          entry.resting = true;
          entry.price = price;
        } else if (!entry.resting || price != entry.price) {
          return fmt::format("{} of an order that does not rest there", describe(event));
        } else if (entry.modify_pending) {
          // The update that follows a MODIFIED: in place, MODIFY to the new qty; else CANCEL
          // of the old qty (the order then enters again).
          const bool expected_type = type == (entry.modify_in_place ? MarketUpdateType::kModify
                                                                    : MarketUpdateType::kCancel);
          const std::uint64_t expected_qty =
              entry.modify_in_place ? entry.modify_new_qty : entry.modify_old_qty;
          if (!expected_type || u.qty != expected_qty)
            return "the update after MODIFIED does not match it";
          entry.modify_pending = false;
          entry.resting = entry.modify_in_place;
        } else if (type == MarketUpdateType::kModify) {
          if (u.qty == 0 || u.qty != entry.remaining())
            return "MODIFY update does not balance";
        } else if (type == MarketUpdateType::kCancel) {
          entry.cancelled += u.qty;  // 0 when it left fully filled
          if (entry.filled + entry.cancelled != entry.original)
            return "CANCEL update leaves quantity unaccounted";
          entry.resting = false;
        }
      }
    }
    if (exec_total != 2 * traded_total)
      return fmt::format("FILLED exec {} but TRADE qty {} (two FILLEDs per trade)", exec_total,
                         traded_total);
    // Each touched order: original = resting + filled + cancelled, where resting is what our
    // book holds; finished ones leave.
    for (const std::uint64_t key : touched_) {
      auto it = ledger_.entries.find(key);
      if (it == ledger_.entries.end())
        continue;  // already checked and finished
      const Ledger::Entry& entry = it->second;
      const auto* book = ours_.book(static_cast<TickerId>(key >> 40));
      const exchange::Order* order = book->find_order(entry.client_id, entry.client_order_id);
      const std::uint64_t market_order_id = key & ((std::uint64_t{1} << 40) - 1);
      const bool in_book = order != nullptr && order->market_order_id == market_order_id;
      const std::uint64_t resting = in_book ? order->qty : 0;
      if (entry.original != resting + entry.filled + entry.cancelled) {
        return fmt::format("order {}: original {} != resting {} + filled {} + cancelled {}",
                           market_order_id, entry.original, resting, entry.filled, entry.cancelled);
      }
      if (entry.modify_pending || entry.resting != in_book)
        return fmt::format("order {}: market data does not say where it is", market_order_id);
      if (resting == 0)
        ledger_.entries.erase(it);
    }
    return {};
  }

  std::string check_ticker(TickerId ticker) const {
    const auto& book = *ours_.book(ticker);
    std::string problem = check_book_invariants(book);
    if (problem.empty())
      problem = compare_books(book, *reference_.book(ticker));
    for (const Side side : {Side::kBuy, Side::kSell}) {
      for (std::size_t depth = 0; problem.empty() && depth < book.level_count(side); ++depth) {
        for (const exchange::Order* order = book.first_order(*book.level_at_depth(side, depth));
             order != nullptr; order = book.next_order(*order)) {
          auto it = ledger_.entries.find(Ledger::key(ticker, order->market_order_id));
          if (it == ledger_.entries.end()) {
            problem = fmt::format("resting order {} has no ledger entry", order->market_order_id);
            break;
          }
          const Ledger::Entry& e = it->second;
          if (e.original != order->qty + e.filled + e.cancelled) {
            problem = fmt::format("resting order {} does not balance", order->market_order_id);
            break;
          }
        }
      }
    }
    return problem;
  }

  // Finished orders left the ledger, so it holds exactly the resting orders, and so does the
  // shared id index.
  std::string check_totals() const {
    std::size_t resting = 0;
    for (const TickerId ticker : case_.tickers)
      resting += ours_.book(ticker)->order_count();
    if (ledger_.entries.size() != resting || ours_.order_ids().size() != resting ||
        reference_.live_order_count() != resting) {
      return fmt::format("{} resting, ledger {}, id index {}, reference ids {}", resting,
                         ledger_.entries.size(), ours_.order_ids().size(),
                         reference_.live_order_count());
    }
    return {};
  }

  const DifferentialCase& case_;
  RecordingHandler recorder_;
  Matcher<RecordingHandler> ours_;
  ReferenceExchange reference_;
  Ledger ledger_;
  std::vector<std::uint64_t> touched_;
};

class OrderBookDifferential : public ::testing::TestWithParam<DifferentialCase> {};

TEST_P(OrderBookDifferential, matches_reference_event_for_event_and_keeps_invariants) {
  const DifferentialCase& c = GetParam();
  OrderFlowOptions flow;
  flow.seed = c.seed;
  flow.tickers = c.tickers;
  flow.clients = c.clients;
  flow.first_client = c.first_client;
  OrderFlowGenerator generator(flow);
  Differential differential(c);
  const std::size_t requests = c.requests / kFlowDivisor;
  for (std::size_t i = 0; i < requests; ++i) {
    const std::string problem = differential.step(generator.next(), i);
    ASSERT_TRUE(problem.empty()) << "case " << c.name << ", " << problem;
    if (c.feedback)
      generator.observe(differential.last_events());
  }
  const auto& stats = differential.stats;
  std::printf(
      "%s (stp %s): %zu requests, %zu matches, %zu rejects (%zu capacity, %zu would-cross, %zu "
      "tif/flags, %zu modify), modified %zu in place %zu re-entered, canceled %zu expired %zu "
      "self-trade %zu disconnected, resting orders max %zu mean %.0f\n",
      c.name, stp_name(c.limits.self_trade_prevention), requests, stats.fills / 2, stats.rejects,
      stats.capacity_rejects, stats.would_cross, stats.tif_or_flags_rejects, stats.modify_rejects,
      stats.modified_in_place, stats.modified_reentered, stats.expired, stats.self_trade_cancels,
      stats.disconnected, stats.max_resting,
      static_cast<double>(stats.resting_sum) / static_cast<double>(requests));
  EXPECT_GT(stats.fills / 2, requests / 20) << "the flow must trade";
  if (c.limits.max_orders < 100) {
    EXPECT_GT(stats.capacity_rejects, 100u) << "tiny capacities must be hit";
  }
  // Every order type must actually be exercised, in every case.
  EXPECT_GT(stats.modified_in_place, requests / 200);
  EXPECT_GT(stats.modified_reentered, requests / 200);
  EXPECT_GT(stats.modify_rejects, requests / 400);
  EXPECT_GT(stats.expired, requests / 200);
  EXPECT_GT(stats.would_cross, requests / 1000);
  EXPECT_GT(stats.tif_or_flags_rejects, requests / 1000);
  if (c.limits.self_trade_prevention == SelfTradePrevention::kOff) {
    EXPECT_EQ(stats.self_trade_cancels, 0u);
  } else {
    EXPECT_GT(stats.self_trade_cancels, requests / 1000) << "self-trades must be met";
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, OrderBookDifferential, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// The flow must actually exercise what the proof claims to cover.
TEST(OrderFlowGenerator, covers_every_request_kind_and_outcome) {
  OrderFlowOptions flow;
  flow.seed = 99;
  OrderFlowGenerator generator(flow);
  ReferenceExchange reference(flow.tickers, limits(4096, 1024, 64, kOldest));
  std::unordered_map<int, std::size_t> reasons;
  std::unordered_map<int, std::size_t> response_types;
  std::size_t modifies = 0;
  std::size_t iocs = 0;
  std::size_t foks = 0;
  std::size_t post_only = 0;
  std::size_t fills = 0;
  std::size_t sweeps = 0;
  std::size_t cancel_alls = 0;
  std::size_t extreme_prices = 0;
  for (int i = 0; i < 100'000; ++i) {
    const ClientRequest request = generator.next();
    cancel_alls += request.msg_type == exchange::kCancelAllOfClient ? 1 : 0;
    extreme_prices += request.price == INT64_MAX || request.price == 1 ? 1 : 0;
    const bool is_new = request.msg_type == ClientRequestType::kNew;
    modifies += request.msg_type == ClientRequestType::kModify ? 1 : 0;
    iocs += is_new && request.tif == TimeInForce::kIoc ? 1 : 0;
    foks += is_new && request.tif == TimeInForce::kFok ? 1 : 0;
    post_only += is_new && request.flags == exchange::kFlagPostOnly ? 1 : 0;
    std::size_t request_fills = 0;
    for (const BookEvent& event : reference.process(request)) {
      if (const auto* r = std::get_if<ClientResponse>(&event)) {
        ++reasons[static_cast<int>(r->reject_reason)];
        ++response_types[static_cast<int>(r->msg_type)];
        request_fills += r->msg_type == ClientResponseType::kFilled ? 1 : 0;
      }
    }
    fills += request_fills;
    sweeps += request_fills >= 10 ? 1 : 0;
  }
  for (const RejectReason reason :
       {RejectReason::kUnknownTicker, RejectReason::kInvalidSide, RejectReason::kInvalidQty,
        RejectReason::kInvalidPrice, RejectReason::kDuplicateOrderId, RejectReason::kUnknownOrder,
        RejectReason::kInvalidClientId, RejectReason::kUnknownMsgType, RejectReason::kWouldCross,
        RejectReason::kExpired, RejectReason::kSelfTrade, RejectReason::kDisconnected,
        RejectReason::kInvalidTif, RejectReason::kInvalidFlags}) {
    EXPECT_GT(reasons[static_cast<int>(reason)], 10u) << exchange::to_string(reason);
  }
  for (const ClientResponseType type :
       {ClientResponseType::kAccepted, ClientResponseType::kCanceled, ClientResponseType::kFilled,
        ClientResponseType::kCancelRejected, ClientResponseType::kRejected,
        ClientResponseType::kModified, ClientResponseType::kModifyRejected}) {
    EXPECT_GT(response_types[static_cast<int>(type)], 100u) << exchange::to_string(type);
  }
  EXPECT_GT(modifies, 5'000u);
  EXPECT_GT(iocs, 1'000u);
  EXPECT_GT(foks, 1'000u);
  EXPECT_GT(post_only, 1'000u);
  EXPECT_GT(fills, 10'000u);
  EXPECT_GT(sweeps, 100u);
  EXPECT_GT(cancel_alls, 10u);
  EXPECT_GT(extreme_prices, 50u);
}

}  // namespace
}  // namespace llt::test
