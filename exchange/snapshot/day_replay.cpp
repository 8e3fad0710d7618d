#include "exchange/snapshot/day_replay.h"

#include <algorithm>
#include <cstdint>

#include "common/concurrent/idle_strategy.h"
#include "common/concurrent/thread_utils.h"
#include "common/error.h"
#include "exchange/exchange_journal.h"
#include "exchange/journal/journal_error.h"

namespace llt::exchange {

DayReplay::DayReplay(MatchingEngine& engine, RequestQueue& requests, ResponseQueue& responses,
                     UpdateQueue& updates, ClientStreams& streams, std::string where)
    : engine_(engine),
      requests_(requests),
      responses_(responses),
      updates_(updates),
      streams_(streams),
      where_(std::move(where)),
      trades_(engine.tickers().size(), 0) {}

namespace {

// How either replay thread waits for the other: spins a little, then yields (never sleeps), so
// two threads that share a CPU still make progress.
common::BackoffIdleStrategy waiting_for_the_other_thread() {
  return common::BackoffIdleStrategy(
      common::BackoffOptions{.max_spins = 256, .max_yields = UINT32_MAX});
}

}  // namespace

DayReplay::~DayReplay() {
  join_engine_thread();
}

void DayReplay::join_engine_thread() noexcept {
  if (engine_thread_.joinable()) {
    stop_engine_.store(true, std::memory_order_release);
    engine_thread_.join();
  }
}

void DayReplay::start_engine_thread(std::optional<int> cpu) {
  if (engine_thread_.joinable()) {
    return;
  }
  drain();
  threaded_from_ = requests_applied_;
  engine_done_.store(0, std::memory_order_relaxed);
  stop_engine_.store(false, std::memory_order_relaxed);
  const std::uint64_t processed_from = engine_.requests_processed();
  engine_thread_ = common::start_thread("llt-replay", cpu, [this, processed_from] {
    std::uint64_t published = 0;
    common::BackoffIdleStrategy idle = waiting_for_the_other_thread();
    while (!stop_engine_.load(std::memory_order_acquire)) {
      const int work = engine_.poll();
      // A request the engine took but left part done (its match waits for room in the output
      // queues) is not finished yet.
      const std::uint64_t done =
          engine_.requests_processed() - processed_from - (engine_.busy() ? std::uint64_t{1} : 0);
      if (done != published) {
        published = done;
        engine_done_.store(done, std::memory_order_release);
      }
      idle.idle(work);
    }
  });
}

void DayReplay::stop_engine_thread() {
  if (!engine_thread_.joinable()) {
    return;
  }
  drain();
  join_engine_thread();
}

std::size_t DayReplay::ticker_slot(TickerId ticker_id) const noexcept {
  const auto tickers = engine_.tickers();
  return static_cast<std::size_t>(std::find(tickers.begin(), tickers.end(), ticker_id) -
                                  tickers.begin());
}

void DayReplay::restore(const StateSnapshot& snapshot, const std::string& file) {
  LLT_ASSERT(!engine_thread_.joinable(), "restore() while the engine runs on its own thread");
  auto fail = [&](const std::string& problem) { throw JournalError(file, 0, problem); };
  if (snapshot.next_index == 0) {
    fail("next index 0");
  }
  for (const SnapshotBook& saved : snapshot.books) {
    const std::size_t slot = ticker_slot(saved.ticker_id);
    auto* book = engine_.book_to_restore(saved.ticker_id);
    if (book == nullptr || slot == trades_.size()) {
      fail("ticker " + std::to_string(saved.ticker_id) + " is not configured (--tickers)");
    }
    for (const SnapshotOrder& order : saved.orders) {
      if (order.market_order_id >= saved.next_market_order_id ||
          !book->restore_order(order.client_id, order.client_order_id, order.market_order_id,
                               order.side, order.price, order.qty, order.priority)) {
        fail("ticker " + std::to_string(saved.ticker_id) + ": order " +
             std::to_string(order.market_order_id) +
             " cannot be restored (malformed, out of priority order, a duplicate id, or beyond "
             "--max-orders)");
      }
    }
    if (!book->restore_ids(saved.next_market_order_id, saved.next_priority)) {
      fail("ticker " + std::to_string(saved.ticker_id) + ": next ids below the ids of its orders");
    }
    trades_[slot] = saved.trades;
  }
  for (const SnapshotClient& client : snapshot.clients) {
    if (!streams_.restore(client.stream, client.kept)) {
      fail("client " + std::to_string(client.stream.client_id) +
           " cannot be restored (a duplicate, beyond --max-clients, or responses not numbered "
           "up to its next number)");
    }
  }
  next_index_ = snapshot.next_index;
  md_seq_ = snapshot.md_seq;
  for (const MarketUpdate& update : snapshot.md_tail) {
    if (!md_tail_.empty()) {
      md_tail_[(update.seq_num - 1) % md_tail_.size()] = update;
    }
  }
  md_tail_kept_ = std::min<SeqNum>(snapshot.md_tail.size(), md_tail_.size());
  md_base_ = snapshot.md_seq;
}

void DayReplay::apply(const JournalRecord& record) {
  if (record.index != next_index_) {
    throw JournalError(where_, 0,
                       "record " + std::to_string(std::uint64_t{record.index}) +
                           " follows record " + std::to_string(next_index_ - 1) +
                           " (the journal does not continue the "
                           "state before it)");
  }
  if (ExchangeJournal::kind_of(record.request) != record.kind) {
    throw JournalError(where_, 0,
                       "record " + std::to_string(std::uint64_t{record.index}) + ": kind " +
                           std::string(to_string(record.kind)) +
                           " does not match its request's type " +
                           std::to_string(static_cast<unsigned>(record.request.msg_type)));
  }
  feed(record.request);
}

void DayReplay::apply_input(const ClientRequest& request) {
  feed(request);
}

void DayReplay::feed(const ClientRequest& request) {
  if (!streams_.on_input(request)) {
    throw JournalError(where_, 0,
                       "client " + std::to_string(request.client_id) +
                           " does not fit --max-clients " + std::to_string(streams_.max_clients()));
  }
  ++next_index_;
  if (request.msg_type == ClientRequestType::kLogon) {
    return;
  }
  const MatchingRequest item{request, HopTicks{}};
  common::BackoffIdleStrategy idle = waiting_for_the_other_thread();
  while (!requests_.try_push(item)) {
    if (engine_thread_.joinable()) {
      // Room comes when the engine's thread takes the queue's head.
      idle.idle(static_cast<int>(drain_outputs()));
    } else {
      drain();
    }
  }
  ++requests_applied_;
}

std::size_t DayReplay::drain_outputs() {
  std::size_t taken = 0;
  while (const MatchingResponse* response = responses_.front()) {
    if (ClientStream* stream = streams_.find_or_add(response->response.client_id)) {
      (void)streams_.append(*stream, response->response);
    }
    responses_.pop();
    ++taken;
  }
  while (const MatchingUpdate* update = updates_.front()) {
    ++taken;
    MarketUpdate numbered = update->update;
    numbered.seq_num = ++md_seq_;
    if (numbered.msg_type == MarketUpdateType::kTrade) {
      const std::size_t slot = ticker_slot(numbered.ticker_id);
      if (slot < trades_.size()) {
        ++trades_[slot];
      }
    }
    if (!md_tail_.empty()) {
      md_tail_[(numbered.seq_num - 1) % md_tail_.size()] = numbered;
    }
    if (update_hook_) {
      update_hook_(numbered);
    }
    updates_.pop();
  }
  return taken;
}

void DayReplay::drain() {
  if (engine_thread_.joinable()) {
    // Every request applied is finished once the engine's thread says so; what it pushed before
    // saying so is then in the queues (release/acquire on engine_done_).
    common::BackoffIdleStrategy idle = waiting_for_the_other_thread();
    while (engine_done_.load(std::memory_order_acquire) != requests_applied_ - threaded_from_) {
      idle.idle(static_cast<int>(drain_outputs()));
    }
    drain_outputs();
    return;
  }
  while (!requests_.empty_guess() || engine_.busy()) {
    (void)engine_.poll();
    drain_outputs();
  }
  drain_outputs();
}

StateSnapshot DayReplay::capture(std::size_t max_kept) {
  LLT_ASSERT(!engine_thread_.joinable(), "capture() while the engine runs on its own thread");
  drain();
  StateSnapshot snapshot;
  snapshot.next_index = next_index_;
  snapshot.md_seq = md_seq_;
  const auto tickers = engine_.tickers();
  for (std::size_t slot = 0; slot < tickers.size(); ++slot) {
    const auto* book = engine_.book(tickers[slot]);
    SnapshotBook& saved = snapshot.books.emplace_back();
    saved.ticker_id = tickers[slot];
    saved.next_market_order_id = book->next_market_order_id();
    saved.next_priority = book->next_priority();
    saved.trades = trades_[slot];
    saved.orders.reserve(book->order_count());
    book->for_each_by_priority([&](const Order& order, Price price) {
      saved.orders.push_back(SnapshotOrder{.market_order_id = order.market_order_id,
                                           .client_order_id = order.client_order_id,
                                           .priority = order.priority,
                                           .price = price,
                                           .client_id = order.client_id,
                                           .qty = order.qty,
                                           .side = order.side});
    });
  }
  // The market data tail: the records this replay numbered or a restored snapshot brought,
  // as many as the ring holds.
  const SeqNum produced = md_seq_ - md_base_;
  const SeqNum tail =
      std::min<SeqNum>(std::min<SeqNum>(produced + md_tail_kept_, md_seq_), md_tail_.size());
  for (SeqNum seq = md_seq_ - tail + 1; seq <= md_seq_; ++seq) {
    snapshot.md_tail.push_back(md_tail_[(seq - 1) % md_tail_.size()]);
  }
  streams_.for_each([&](const ClientStream& stream) {
    SnapshotClient& saved = snapshot.clients.emplace_back();
    saved.stream = stream;
    saved.stream.connection = ClientStream::kNoConnection;
    SeqNum oldest = streams_.oldest(stream);
    if (stream.next_response - oldest > max_kept) {
      oldest = stream.next_response - max_kept;
    }
    saved.kept.reserve(stream.next_response - oldest);
    for (SeqNum from = oldest; from < stream.next_response;) {
      const auto run = streams_.run(stream, from, stream.next_response - from);
      saved.kept.insert(saved.kept.end(), run.begin(), run.end());
      from += run.size();
      if (run.empty()) {
        break;
      }
    }
  });
  return snapshot;
}

}  // namespace llt::exchange
