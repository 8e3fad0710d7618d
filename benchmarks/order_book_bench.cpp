// order_book_bench: the exchange's order book (exchange::Matcher over exchange::OrderBook, the
// code the matching engine runs) against the reference book of the tests
// (tests/support/reference_book.h: std::map of price to std::list of orders), in the same
// binary, on the same request sequences:
//   add_no_match       a NEW that rests (64 price levels, book growing to 16K orders)
//   cancel             a CANCEL of a resting order, in random order
//   modify_in_place    a MODIFY of a resting order down in size at its price (keeps its place),
//                      in random order
//   aggressive_match   a NEW that fully fills one resting order (5 events)
//   touch_churn_far_levels  a NEW that opens a new best level, then one that empties it
//                      again, with 10,000 levels resting far from the touch
//   mixed_replay       1,000,000 recorded requests from the differential test's generator,
//                      NEW and CANCEL only (ns/iteration is per replay: divide by 1M, or read
//                      items_per_second)
//   mixed_replay_v2    the same with every order type: about 20% MODIFY and 10% IOC
//   mixed_replay*_latency  the same replays with every request timed
//   fresh_books        a 2M-request steady stream (about 4,800 resting orders over 113 levels;
//                      about 51% adds, 44% cancels, 5% aggressive IOC: the summary prints the
//                      exact mix) replayed into 15 fresh books in turn, each through the
//                      bare OrderBook and through Matcher::process:
//                      min/median/max ns per request over the books (how much a book's speed
//                      depends on where its arrays landed), and what the matcher layer adds
// Per-request percentiles come from a second, separately timed pass with two clock reads per
// request; the reads' own cost (measured at start-up) is subtracted. The summary at the end
// gives, per operation, the median over batches of the mean ns per request of the main loop
// (which reads no clock per request), the percentiles, and the ratio ours/reference; for the
// replay also thread CPU time, which the other load of a shared machine does not inflate.
//
// Short mode: --benchmark_min_time=0.01 (a few seconds in all).

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/bench_report.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "exchange/matcher/matcher.h"
#include "exchange/matcher/order_book.h"
#include "exchange/matcher/order_id_index.h"
#include "tests/support/book_events.h"
#include "tests/support/order_flow_generator.h"
#include "tests/support/reference_book.h"

namespace {

using llt::common::LatencyHistogram;
using llt::common::TscClock;
using llt::exchange::ClientId;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::MarketUpdate;
using llt::exchange::OrderBookOptions;
using llt::exchange::OrderId;
using llt::exchange::Price;
using llt::exchange::Qty;
using llt::exchange::Side;
using llt::exchange::TickerId;

const std::vector<TickerId> kTickers{1, 2, 3};

// Production capacities (the exchange's defaults).
OrderBookOptions book_options() {
  return OrderBookOptions{};
}

struct ChecksumHandler {
  std::uint64_t sum = 0;
  void on_response(const ClientResponse& r) noexcept { sum += r.exec_qty + r.market_order_id; }
  void on_market_update(const MarketUpdate& u) noexcept { sum += u.qty + u.order_id; }
};

class Ours {
 public:
  Ours() : matcher_(kTickers, book_options(), handler_) {}
  // Outcomes go to the handler's checksum, as the reference book's do.
  void process(const ClientRequest& request) { (void)matcher_.process(request); }
  [[nodiscard]] std::uint64_t checksum() const { return handler_.sum; }

 private:
  ChecksumHandler handler_;
  llt::exchange::Matcher<ChecksumHandler> matcher_;
};

class Reference {
 public:
  Reference() : exchange_(kTickers, book_options()) {}
  void process(const ClientRequest& request) { sum_ += exchange_.process(request).size(); }
  [[nodiscard]] std::uint64_t checksum() const { return sum_; }

 private:
  llt::test::ReferenceExchange exchange_;
  std::uint64_t sum_ = 0;
};

ClientRequest make(ClientRequestType type, ClientId client, OrderId id, Side side, Price price,
                   Qty qty) {
  ClientRequest r;
  r.msg_type = type;
  r.client_id = client;
  r.ticker_id = 1;
  r.order_id = id;
  r.side = side;
  r.price = price;
  r.qty = qty;
  return r;
}

// A micro benchmark: `setup` once, then batches of `ops` (timed), each followed by `undo`
// (untimed), which restores the book to its state before the batch.
struct Workload {
  std::vector<ClientRequest> setup;
  std::vector<ClientRequest> ops;
  std::vector<ClientRequest> undo;
};

constexpr std::size_t kBatch = 16'384;
constexpr Price kMid = 1'000'000;

std::vector<ClientRequest> resting(Side side, std::size_t count, std::uint64_t seed) {
  llt::test::SplitMix64 rng(seed);
  std::vector<ClientRequest> requests;
  for (std::size_t i = 0; i < count; ++i) {
    // 16 clients, each numbering its own orders 1, 2, 3, ... as real clients do.
    const auto client = static_cast<ClientId>(1 + i % 16);
    const auto offset = static_cast<Price>(1 + rng.below(64));
    requests.push_back(make(ClientRequestType::kNew, client, i / 16 + 1, side,
                            side == Side::kBuy ? kMid - offset : kMid + offset, 10));
  }
  return requests;
}

std::vector<ClientRequest> cancels_of(const std::vector<ClientRequest>& adds, std::uint64_t seed) {
  std::vector<ClientRequest> cancels;
  cancels.reserve(adds.size());
  for (const ClientRequest& add : adds) {
    cancels.push_back(
        make(ClientRequestType::kCancel, add.client_id, add.order_id, Side::kInvalid, 0, 0));
  }
  llt::test::SplitMix64 rng(seed);
  for (std::size_t i = cancels.size(); i > 1; --i)
    std::swap(cancels[i - 1], cancels[rng.below(i)]);
  return cancels;
}

// A MODIFY of each order to `qty` at its own price, in random order.
std::vector<ClientRequest> modifies_of(const std::vector<ClientRequest>& adds, Qty qty,
                                       std::uint64_t seed) {
  std::vector<ClientRequest> modifies;
  modifies.reserve(adds.size());
  for (const ClientRequest& add : adds) {
    modifies.push_back(
        make(ClientRequestType::kModify, add.client_id, add.order_id, add.side, add.price, qty));
  }
  llt::test::SplitMix64 rng(seed);
  for (std::size_t i = modifies.size(); i > 1; --i)
    std::swap(modifies[i - 1], modifies[rng.below(i)]);
  return modifies;
}

Workload add_no_match() {
  Workload w;
  w.ops = resting(Side::kBuy, kBatch, 1);
  w.undo = cancels_of(w.ops, 2);
  return w;
}

Workload cancel() {
  Workload w;
  w.setup = resting(Side::kBuy, kBatch, 3);
  w.ops = cancels_of(w.setup, 4);
  w.undo = w.setup;
  return w;
}

// Down from 10 to 9 in place (timed); the undo sizes them back up to 10, which re-enters them at
// the back of their level (untimed).
Workload modify_in_place() {
  Workload w;
  w.setup = resting(Side::kBuy, kBatch, 11);
  w.ops = modifies_of(w.setup, 9, 12);
  w.undo = modifies_of(w.setup, 10, 13);
  return w;
}

Workload aggressive_match() {
  Workload w;
  w.setup = resting(Side::kSell, kBatch, 5);
  for (std::size_t i = 0; i < kBatch; ++i) {
    w.ops.push_back(
        make(ClientRequestType::kNew, 100, 1'000'000 + i, Side::kBuy, kMid + 1'000, 10));
  }
  w.undo = w.setup;
  return w;
}

Workload touch_churn_far_levels() {
  Workload w;
  for (std::size_t i = 0; i < 10'000; ++i) {
    w.setup.push_back(make(ClientRequestType::kNew, 1, i + 1, Side::kSell,
                           kMid + 10'000 + static_cast<Price>(i) * 7, 10));
  }
  w.setup.push_back(make(ClientRequestType::kNew, 2, 1, Side::kBuy, kMid - 10, 10));
  for (std::size_t i = 0; i < kBatch; i += 2) {
    w.ops.push_back(make(ClientRequestType::kNew, 3, 100 + i, Side::kSell, kMid, 1));
    w.ops.push_back(make(ClientRequestType::kNew, 4, 100 + i, Side::kBuy, kMid, 1));
  }
  return w;
}

// The flows replayed, each recorded once from the differential test's generator with its
// clients' feedback (orders that filled are forgotten), so both books replay exactly the same
// requests:
//   v1: NEW and CANCEL of GTC orders only (the mix before order types existed)
//   v2: every order type, with about 20% MODIFY and 10% IOC
enum class Mix { kV1, kV2 };

const char* group_of(Mix mix) {
  return mix == Mix::kV1 ? "mixed_replay" : "mixed_replay_v2";
}

std::vector<ClientRequest> record_flow(Mix mix) {
  constexpr std::size_t kRequests = 1'000'000;
  llt::test::OrderFlowOptions options;
  options.seed = 7;
  options.tickers = kTickers;
  options.clients = 16;
  options.order_types = mix == Mix::kV2;
  if (mix == Mix::kV2) {
    options.modify_per_10k = 2'400;
    options.extra_ioc_per_10k = 700;
  }
  llt::test::OrderFlowGenerator generator(options);
  llt::test::RecordingHandler recorder;
  auto matcher = std::make_unique<llt::exchange::Matcher<llt::test::RecordingHandler>>(
      kTickers, book_options(), recorder);
  std::vector<ClientRequest> requests;
  requests.reserve(kRequests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    requests.push_back(generator.next());
    recorder.events.clear();
    (void)matcher->process(requests.back());  // the generator reads the recorded outcome
    generator.observe(recorder.events);
  }
  return requests;
}

const std::vector<ClientRequest>& recorded_flow(Mix mix) {
  if (mix == Mix::kV1) {
    static const std::vector<ClientRequest> v1 = record_flow(Mix::kV1);
    return v1;
  }
  static const std::vector<ClientRequest> v2 = record_flow(Mix::kV2);
  return v2;
}

// What a flow is made of, in percent of its requests.
std::string composition(const std::vector<ClientRequest>& flow) {
  std::size_t news = 0;
  std::size_t cancels = 0;
  std::size_t modifies = 0;
  std::size_t iocs = 0;
  std::size_t foks = 0;
  for (const ClientRequest& r : flow) {
    const bool is_new = r.msg_type == ClientRequestType::kNew;
    news += is_new ? 1 : 0;
    cancels += r.msg_type == ClientRequestType::kCancel ? 1 : 0;
    modifies += r.msg_type == ClientRequestType::kModify ? 1 : 0;
    iocs += is_new && r.tif == llt::exchange::TimeInForce::kIoc ? 1 : 0;
    foks += is_new && r.tif == llt::exchange::TimeInForce::kFok ? 1 : 0;
  }
  const auto pct = [&](std::size_t n) {
    return 100.0 * static_cast<double>(n) / static_cast<double>(flow.size());
  };
  char text[160];
  std::snprintf(text, sizeof text,
                "NEW %.1f%% (IOC %.1f%%, FOK %.1f%%), CANCEL %.1f%%, MODIFY %.1f%%", pct(news),
                pct(iocs), pct(foks), pct(cancels), pct(modifies));
  return text;
}

// Cost of the two clock reads around a timed request, subtracted from each sample.
std::uint64_t clock_overhead_ticks() {
  static const std::uint64_t overhead = [] {
    const TscClock& clock = TscClock::instance();
    std::uint64_t best = UINT64_MAX;
    for (int i = 0; i < 100'000; ++i) {
      const std::uint64_t a = clock.now_ticks();
      const std::uint64_t b = clock.now_ticks();
      best = std::min(best, b - a);
    }
    return best;
  }();
  return overhead;
}

// Thread CPU time: unlike wall time it excludes the time another process held the CPU.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Summary {
  double mean_ns = 0;
  double p50_ns = 0;
  double p99_ns = 0;
  double cpu_ns = 0;  // replay only
};
std::map<std::string, std::map<std::string, Summary>>& summaries() {
  static std::map<std::string, std::map<std::string, Summary>> table;
  return table;
}

template <typename Book>
void time_each(Book& book, const ClientRequest& request, LatencyHistogram& histogram) {
  const TscClock& clock = TscClock::instance();
  const std::uint64_t start = clock.now_ticks();
  book.process(request);
  const std::uint64_t end = clock.now_ticks();
  const std::uint64_t ticks = end - start;
  const std::uint64_t overhead = clock_overhead_ticks();
  histogram.record(clock.ticks_to_ns(ticks > overhead ? ticks - overhead : 0));
}

// The median of per-batch (or per-run) means: a batch during which another process took the
// CPU (this is a 2-core machine shared with builds) does not move it.
double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename Book, Workload (*kMake)()>
void micro(benchmark::State& state, const char* group, const char* impl) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  const Workload w = kMake();
  const TscClock& clock = TscClock::instance();
  auto book = std::make_unique<Book>();
  for (const ClientRequest& r : w.setup)
    book->process(r);
  std::size_t next = 0;
  std::vector<double> batch_means;
  std::uint64_t batch_start = clock.now_ticks();
  for (auto _ : state) {
    if (next == w.ops.size()) {
      state.PauseTiming();
      batch_means.push_back(
          static_cast<double>(clock.ticks_to_ns(clock.now_ticks() - batch_start)) /
          static_cast<double>(next));
      for (const ClientRequest& r : w.undo)
        book->process(r);
      next = 0;
      state.ResumeTiming();
      batch_start = clock.now_ticks();
    }
    book->process(w.ops[next++]);
  }
  if (next > 0) {
    batch_means.push_back(static_cast<double>(clock.ticks_to_ns(clock.now_ticks() - batch_start)) /
                          static_cast<double>(next));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));

  auto histogram = std::make_unique<LatencyHistogram>();
  // As many timed requests as the main loop ran, within [20K, 200K]: enough for a p99, and
  // short mode stays short.
  const auto timed = std::clamp<std::int64_t>(state.iterations(), 20'000, 200'000);
  for (std::int64_t i = 0; i < timed; ++i) {
    if (next == w.ops.size()) {
      for (const ClientRequest& r : w.undo)
        book->process(r);
      next = 0;
    }
    time_each(*book, w.ops[next++], *histogram);
  }
  benchmark::DoNotOptimize(book->checksum());
  llt::bench::add_percentile_counters(state, *histogram);
  summaries()[group][impl] = Summary{.mean_ns = median(batch_means),
                                     .p50_ns = static_cast<double>(histogram->percentile(50)),
                                     .p99_ns = static_cast<double>(histogram->percentile(99))};
}

// The timed replay, a function of its own: its code does not depend on the timing code
// around it, and a profiler can count it alone (callgrind --toggle-collect='*replay_loop*').
template <typename Book>
[[gnu::noinline]] void replay_loop(Book& book, const std::vector<ClientRequest>& flow) {
  for (const ClientRequest& r : flow)
    book.process(r);
}

template <typename Book>
void mixed_replay(benchmark::State& state, Mix mix, const char* impl) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  const std::vector<ClientRequest>& flow = recorded_flow(mix);
  const TscClock& clock = TscClock::instance();
  std::vector<double> run_means;
  std::vector<double> run_cpu;
  for (auto _ : state) {
    state.PauseTiming();
    auto book = std::make_unique<Book>();
    state.ResumeTiming();
    const double cpu_start = thread_cpu_ns();
    const std::uint64_t start = clock.now_ticks();
    replay_loop(*book, flow);
    run_means.push_back(static_cast<double>(clock.ticks_to_ns(clock.now_ticks() - start)) /
                        static_cast<double>(flow.size()));
    run_cpu.push_back((thread_cpu_ns() - cpu_start) / static_cast<double>(flow.size()));
    benchmark::DoNotOptimize(book->checksum());
    state.PauseTiming();
    book.reset();
    state.ResumeTiming();
  }
  const auto requests = static_cast<double>(state.iterations()) * static_cast<double>(flow.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(requests));
  summaries()[group_of(mix)][impl].mean_ns = median(run_means);
  summaries()[group_of(mix)][impl].cpu_ns = median(run_cpu);
  state.counters["cpu_ns_per_request"] = median(run_cpu);
}

template <typename Book>
void mixed_replay_latency(benchmark::State& state, Mix mix, const char* impl) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  const std::vector<ClientRequest>& flow = recorded_flow(mix);
  auto histogram = std::make_unique<LatencyHistogram>();
  for (auto _ : state) {
    state.PauseTiming();
    auto book = std::make_unique<Book>();
    histogram->reset();
    state.ResumeTiming();
    for (const ClientRequest& r : flow)
      time_each(*book, r, *histogram);
    benchmark::DoNotOptimize(book->checksum());
    state.PauseTiming();
    book.reset();
    state.ResumeTiming();
  }
  llt::bench::add_percentile_counters(state, *histogram);
  Summary& s = summaries()[group_of(mix)][impl];
  s.p50_ns = static_cast<double>(histogram->percentile(50));
  s.p99_ns = static_cast<double>(histogram->percentile(99));
}

// --- fresh_books ---

// The steady stream: one ticker, eight clients numbering their orders upwards. Adds rest 1-56
// ticks from the middle on their side (113 levels), cancels take a random live order, and an
// aggressive order is an IOC crossing a few ticks into the other side (so the book stays
// around its middle). Once 4,800 orders rest, an add gives way to a cancel. Recorded once,
// through a matcher, so orders that filled are not cancelled later.
std::vector<ClientRequest> record_steady_flow() {
  constexpr std::size_t kRequests = 2'000'000;
  constexpr std::size_t kTargetResting = 4'800;
  constexpr Price kSteadyMid = 10'000;
  struct Live {
    ClientId client;
    OrderId id;
  };
  llt::test::SplitMix64 rng(2024);
  llt::test::RecordingHandler recorder;
  auto matcher = std::make_unique<llt::exchange::Matcher<llt::test::RecordingHandler>>(
      std::vector<TickerId>{1}, book_options(), recorder);
  std::vector<Live> live;
  std::map<std::pair<ClientId, OrderId>, std::size_t> where;  // key -> index in live
  std::vector<OrderId> next_id(9, 1);
  std::vector<ClientRequest> requests;
  requests.reserve(kRequests);
  const auto forget = [&](ClientId client, OrderId id) {
    const auto it = where.find({client, id});
    if (it == where.end()) {
      return;
    }
    const std::size_t at = it->second;
    where.erase(it);
    if (at + 1 != live.size()) {
      live[at] = live.back();
      where[{live[at].client, live[at].id}] = at;
    }
    live.pop_back();
  };
  while (requests.size() < kRequests) {
    const std::uint64_t roll = rng.below(100);
    const auto client = static_cast<ClientId>(1 + rng.below(8));
    const Side side = rng.below(2) == 0 ? Side::kBuy : Side::kSell;
    ClientRequest r;
    if (roll < 5) {
      r = make(ClientRequestType::kNew, client, next_id[client]++, side,
               side == Side::kBuy ? kSteadyMid + 8 : kSteadyMid - 8,
               static_cast<Qty>(1 + rng.below(500)));
      r.tif = llt::exchange::TimeInForce::kIoc;
    } else if (!live.empty() && (roll < 40 || live.size() >= kTargetResting)) {
      const Live victim = live[rng.below(live.size())];
      r = make(ClientRequestType::kCancel, victim.client, victim.id, Side::kInvalid, 0, 0);
      forget(victim.client, victim.id);
    } else {
      const auto offset = static_cast<Price>(1 + rng.below(side == Side::kBuy ? 56 : 57));
      r = make(ClientRequestType::kNew, client, next_id[client]++, side,
               side == Side::kBuy ? kSteadyMid - offset : kSteadyMid + offset,
               static_cast<Qty>(1 + rng.below(100)));
      const OrderId id = r.order_id;
      where[{client, id}] = live.size();
      live.push_back(Live{client, id});
    }
    requests.push_back(r);
    recorder.events.clear();
    (void)matcher->process(r);
    for (const llt::test::BookEvent& event : recorder.events) {
      const auto* response = std::get_if<ClientResponse>(&event);
      if (response != nullptr && response->msg_type == llt::exchange::ClientResponseType::kFilled &&
          response->leaves_qty == 0) {
        forget(response->client_id, response->client_order_id);
      }
    }
  }
  return requests;
}

const std::vector<ClientRequest>& steady_flow() {
  static const std::vector<ClientRequest> flow = record_steady_flow();
  return flow;
}

// The book alone: its own id index, the requests handed straight to add() and cancel().
class BareBook {
 public:
  BareBook()
      : ids_(book_options().max_orders, book_options().hash_seed),
        book_(1, book_options(), ids_, handler_) {}
  void process(const ClientRequest& r) {
    if (r.msg_type == ClientRequestType::kNew) {
      (void)book_.add(r.client_id, r.order_id, r.side, r.price, r.qty, r.tif, r.flags);
    } else {
      (void)book_.cancel(r.client_id, r.order_id);
    }
  }
  [[nodiscard]] std::uint64_t checksum() const { return handler_.sum; }
  [[nodiscard]] std::size_t order_count() const { return book_.order_count(); }

 private:
  ChecksumHandler handler_;
  llt::exchange::OrderIdIndex ids_;
  llt::exchange::OrderBook<ChecksumHandler> book_;
};

// The same book behind the matcher (one ticker), as the matching engine runs it.
class MatcherBook {
 public:
  MatcherBook() : matcher_(std::vector<TickerId>{1}, book_options(), handler_) {}
  void process(const ClientRequest& r) { (void)matcher_.process(r); }
  [[nodiscard]] std::uint64_t checksum() const { return handler_.sum; }
  [[nodiscard]] std::size_t order_count() const { return matcher_.book(1)->order_count(); }

 private:
  ChecksumHandler handler_;
  llt::exchange::Matcher<ChecksumHandler> matcher_;
};

constexpr int kFreshBooks = 15;

// Thread CPU ns per request of each fresh book, per path.
struct FreshBooks {
  std::vector<double> bare;
  std::vector<double> matcher;
  std::size_t resting_at_end = 0;
};
FreshBooks& fresh_books_result() {
  static FreshBooks result;
  return result;
}

// One fresh book of the path: built, the stream replayed (timed by thread CPU time), checked
// against the other path's outcome, destroyed. Two ballast blocks of random sizes (one from the
// heap, one large enough to be mapped) are held while the book is built, so its arrays do not
// land where the last book's were.
template <typename Book>
double one_fresh_book(const std::vector<ClientRequest>& flow, llt::test::SplitMix64& rng,
                      std::uint64_t& checksum, std::size_t& resting) {
  const auto small = std::make_unique<char[]>(16 + rng.below(64 * 1024));
  const auto large = std::make_unique<char[]>(256 * 1024 + rng.below(2 * 1024 * 1024));
  benchmark::DoNotOptimize(small.get());
  benchmark::DoNotOptimize(large.get());
  auto book = std::make_unique<Book>();
  const double start = thread_cpu_ns();
  replay_loop(*book, flow);
  const double per_request = (thread_cpu_ns() - start) / static_cast<double>(flow.size());
  checksum = book->checksum();
  resting = book->order_count();
  return per_request;
}

void fresh_books(benchmark::State& state) {
  llt::bench::pin_to(llt::bench::kMainCpu);
  const std::vector<ClientRequest>& flow = steady_flow();
  FreshBooks& result = fresh_books_result();
  llt::test::SplitMix64 rng(99);
  for (auto _ : state) {
    result = FreshBooks{};
    // The two paths take turns, so a noisy moment of the host falls on both.
    for (int i = 0; i < kFreshBooks; ++i) {
      std::uint64_t bare_sum = 0;
      std::uint64_t matcher_sum = 0;
      std::size_t bare_resting = 0;
      std::size_t matcher_resting = 0;
      result.bare.push_back(one_fresh_book<BareBook>(flow, rng, bare_sum, bare_resting));
      result.matcher.push_back(
          one_fresh_book<MatcherBook>(flow, rng, matcher_sum, matcher_resting));
      if (bare_sum != matcher_sum || bare_resting != matcher_resting) {
        state.SkipWithError("the bare book and the matcher disagree on the stream's outcome");
        return;
      }
      result.resting_at_end = bare_resting;
    }
  }
  state.counters["bare_median_ns"] = median(result.bare);
  state.counters["matcher_median_ns"] = median(result.matcher);
}

void print_fresh_books() {
  const FreshBooks& result = fresh_books_result();
  if (result.bare.empty() || result.matcher.empty()) {
    return;
  }
  std::size_t adds = 0;
  std::size_t iocs = 0;
  for (const ClientRequest& r : steady_flow()) {
    adds += r.msg_type == ClientRequestType::kNew && r.tif == llt::exchange::TimeInForce::kGtc;
    iocs += r.msg_type == ClientRequestType::kNew && r.tif == llt::exchange::TimeInForce::kIoc;
  }
  const double total = static_cast<double>(steady_flow().size());
  std::printf(
      "\nfresh_books: %zu requests (adds %.1f%%, cancels %.1f%%, aggressive IOC %.1f%%), %zu "
      "resting at the end; thread CPU ns per request over %zu fresh books each\n",
      steady_flow().size(), 100.0 * static_cast<double>(adds) / total,
      100.0 * static_cast<double>(steady_flow().size() - adds - iocs) / total,
      100.0 * static_cast<double>(iocs) / total, result.resting_at_end, result.bare.size());
  std::printf("%-28s %8s %8s %8s %8s\n", "path", "min", "median", "max", "max/min");
  const auto row = [](const char* name, const std::vector<double>& values) {
    const double lo = *std::min_element(values.begin(), values.end());
    const double hi = *std::max_element(values.begin(), values.end());
    std::printf("%-28s %8.1f %8.1f %8.1f %8.2f   each:", name, lo, median(values), hi, hi / lo);
    for (const double value : values) {
      std::printf(" %.1f", value);
    }
    std::printf("\n");
    return hi / lo;
  };
  const double bare_spread = row("OrderBook (bare)", result.bare);
  const double matcher_spread = row("Matcher::process", result.matcher);
  const double layer = median(result.matcher) / median(result.bare);
  std::printf(
      "fresh_books targets: matcher/bare median %.2f (<= 1.3: %s); max/min bare %.2f, "
      "matcher %.2f (< 1.2: %s)\n",
      layer, layer <= 1.3 ? "met" : "MISSED", bare_spread, matcher_spread,
      bare_spread < 1.2 && matcher_spread < 1.2 ? "met" : "MISSED");
}

void register_benchmarks() {
  auto micro_pair = [](const char* group, auto ours, auto reference) {
    benchmark::RegisterBenchmark((std::string(group) + "/ours").c_str(), ours, group, "ours");
    benchmark::RegisterBenchmark((std::string(group) + "/reference").c_str(), reference, group,
                                 "reference");
  };
  micro_pair("add_no_match", micro<Ours, add_no_match>, micro<Reference, add_no_match>);
  micro_pair("cancel", micro<Ours, cancel>, micro<Reference, cancel>);
  micro_pair("modify_in_place", micro<Ours, modify_in_place>, micro<Reference, modify_in_place>);
  micro_pair("aggressive_match", micro<Ours, aggressive_match>, micro<Reference, aggressive_match>);
  micro_pair("touch_churn_far_levels", micro<Ours, touch_churn_far_levels>,
             micro<Reference, touch_churn_far_levels>);
  for (const Mix mix : {Mix::kV1, Mix::kV2}) {
    const std::string group = group_of(mix);
    benchmark::RegisterBenchmark((group + "/ours").c_str(), mixed_replay<Ours>, mix, "ours")
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((group + "/reference").c_str(), mixed_replay<Reference>, mix,
                                 "reference")
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((group + "_latency/ours").c_str(), mixed_replay_latency<Ours>, mix,
                                 "ours")
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark((group + "_latency/reference").c_str(),
                                 mixed_replay_latency<Reference>, mix, "reference")
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  benchmark::RegisterBenchmark("fresh_books", fresh_books)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1);
}

void print_summary() {
  const auto& table = summaries();
  std::printf(
      "\norder_book_bench summary: ns per request. mean: median over batches (replay: "
      "over runs) of the mean of the untimed loop; p50/p99: the timed pass, minus %.1f ns "
      "of clock reads\n",
      static_cast<double>(TscClock::instance().ticks_to_ns(clock_overhead_ticks() * 1000)) /
          1000.0);
  std::printf("%-24s %10s %8s %8s | %10s %8s %8s | %s\n", "operation", "ours mean", "p50", "p99",
              "ref mean", "p50", "p99", "ratio ours/reference (mean)");
  for (const char* group : {"add_no_match", "cancel", "modify_in_place", "aggressive_match",
                            "touch_churn_far_levels", "mixed_replay", "mixed_replay_v2"}) {
    const auto it = table.find(group);
    if (it == table.end() || it->second.count("ours") == 0 || it->second.count("reference") == 0) {
      continue;
    }
    const Summary& ours = it->second.at("ours");
    const Summary& ref = it->second.at("reference");
    std::printf("%-24s %10.1f %8.0f %8.0f | %10.1f %8.0f %8.0f | %.4f (%.1fx faster)\n", group,
                ours.mean_ns, ours.p50_ns, ours.p99_ns, ref.mean_ns, ref.p50_ns, ref.p99_ns,
                ours.mean_ns / ref.mean_ns, ref.mean_ns / ours.mean_ns);
  }
  for (const Mix mix : {Mix::kV1, Mix::kV2}) {
    const auto replay = table.find(group_of(mix));
    if (replay == table.end() || replay->second.count("ours") == 0 ||
        replay->second.count("reference") == 0) {
      continue;
    }
    const char* name = group_of(mix);
    const double ours = replay->second.at("ours").mean_ns;
    const double ref = replay->second.at("reference").mean_ns;
    const double ours_cpu = replay->second.at("ours").cpu_ns;
    const double ref_cpu = replay->second.at("reference").cpu_ns;
    std::printf("%s: %s\n", name, composition(recorded_flow(mix)).c_str());
    std::printf(
        "%s, wall time: ours %.1f M requests/s, reference %.2f M requests/s, "
        "ratio ours/reference %.4f\n",
        name, 1e3 / ours, 1e3 / ref, ours / ref);
    std::printf(
        "%s, thread CPU time: ours %.1f ns/request (%.1f M/s), reference %.1f "
        "ns/request, ratio ours/reference %.4f\n",
        name, ours_cpu, 1e3 / ours_cpu, ref_cpu, ours_cpu / ref_cpu);
    std::printf("%s targets: replay >= 10 M req/s: %s; >= 10x reference: %s\n", name,
                1e3 / ours >= 10 ? "met" : "MISSED", ref / ours >= 10 ? "met" : "MISSED");
  }
  for (const char* group : {"add_no_match", "cancel", "modify_in_place"}) {
    const auto it = table.find(group);
    if (it != table.end() && it->second.count("ours") != 0) {
      std::printf("%s p50 < 50 ns: %s\n", group,
                  it->second.at("ours").p50_ns < 50 ? "met" : "MISSED");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  const int rc = llt::bench::run_and_report(argc, argv);
  print_summary();
  print_fresh_books();
  return rc;
}
