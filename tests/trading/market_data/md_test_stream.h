#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "exchange/protocol/market_update.h"
#include "tests/support/md_book_rebuilder.h"
#include "trading/market_data/market_data_sequencer.h"
#include "trading/trading_messages.h"

// Crafted market data for the consumer's tests: a deterministic incremental stream with its
// true books at every seq_num, the snapshots the exchange would publish, and a checker that
// applies the consumer's MarketEvents to a plain book the way the trade engine must.
namespace llt::test {

inline MarketUpdate md_record(SeqNum seq, MarketUpdateType type, OrderId order_id = 0,
                              TickerId ticker = 0, Side side = Side::kInvalid, Price price = 0,
                              Qty qty = 0, Priority priority = 0) {
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

inline MarketUpdate md_heartbeat(SeqNum next_seq) {
  return md_record(next_seq, MarketUpdateType::kHeartbeat);
}

// An exchange's incremental stream (seq 1..size) on tickers 1 and 2: ADDs, MODIFYs, CANCELs
// and TRADEs that never cross the book, derived from `seed` so two streams differ.
class MdTestStream {
 public:
  explicit MdTestStream(std::size_t size, std::uint64_t seed = 1) {
    MdBooks books;
    std::vector<std::pair<TickerId, OrderId>> live;
    std::uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
    const auto next = [&state] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    OrderId next_id = seed * 100'000;
    Priority next_priority = 1;
    for (SeqNum seq = 1; seq <= size; ++seq) {
      const std::uint64_t draw = next() % 10;
      MarketUpdate update;
      if (live.empty() || (draw < 5 && live.size() < 40)) {
        const TickerId ticker = 1 + static_cast<TickerId>(next() % 2);
        const bool buy = next() % 2 == 0;
        const Price price = buy ? 9'900 + static_cast<Price>(next() % 50)
                                : 10'100 + static_cast<Price>(next() % 50);
        update =
            md_record(seq, MarketUpdateType::kAdd, ++next_id, ticker,
                      buy ? Side::kBuy : Side::kSell, price, 1 + next() % 100, next_priority++);
        live.emplace_back(ticker, next_id);
      } else {
        const std::size_t pick = next() % live.size();
        const auto [ticker, id] = live[pick];
        const MdOrder& order = books[ticker].orders().at(id);
        if (draw < 7) {
          update = md_record(seq, MarketUpdateType::kModify, id, ticker, order.side, order.price,
                             1 + next() % 100, order.priority);
        } else if (draw < 8) {
          update = md_record(seq, MarketUpdateType::kTrade, id, ticker, order.side, order.price, 1);
        } else {
          update = md_record(seq, MarketUpdateType::kCancel, id, ticker, order.side, order.price,
                             order.qty, order.priority);
          live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
        }
      }
      md_apply(books, update);
      updates_.push_back(update);
      books_.push_back(books);
    }
  }

  [[nodiscard]] std::size_t size() const { return updates_.size(); }
  [[nodiscard]] const MarketUpdate& at(SeqNum seq) const { return updates_.at(seq - 1); }
  // The true books once every update up to `seq` is applied (0: empty).
  [[nodiscard]] MdBooks books_at(SeqNum seq) const {
    return seq == 0 ? MdBooks{} : books_.at(seq - 1);
  }

  // Updates [first, last], `per_datagram` to a datagram.
  [[nodiscard]] std::vector<std::vector<MarketUpdate>> datagrams(SeqNum first, SeqNum last,
                                                                 std::size_t per_datagram) const {
    std::vector<std::vector<MarketUpdate>> result;
    for (SeqNum seq = first; seq <= last; seq += per_datagram) {
      std::vector<MarketUpdate> datagram;
      for (SeqNum s = seq; s <= last && s < seq + per_datagram; ++s) {
        datagram.push_back(at(s));
      }
      result.push_back(std::move(datagram));
    }
    return result;
  }

  // The snapshot the exchange publishes once it has applied updates up to `last_seq`:
  // START(last_seq), per ticker 1 and 2 CLEAR and its ADDs by priority, END(last_seq), the
  // records numbered from 0; split into datagrams of `per_datagram` records.
  [[nodiscard]] std::vector<std::vector<MarketUpdate>> snapshot(
      SeqNum last_seq, std::size_t per_datagram = 5) const {
    std::vector<MarketUpdate> records;
    records.push_back(md_record(0, MarketUpdateType::kSnapshotStart, last_seq));
    const MdBooks books = books_at(last_seq);
    for (const TickerId ticker : {TickerId{1}, TickerId{2}}) {
      records.push_back(md_record(0, MarketUpdateType::kClear, 0, ticker));
      std::vector<std::pair<OrderId, MdOrder>> orders;
      if (const auto it = books.find(ticker); it != books.end()) {
        orders.assign(it->second.orders().begin(), it->second.orders().end());
      }
      std::sort(orders.begin(), orders.end(),
                [](const auto& a, const auto& b) { return a.second.priority < b.second.priority; });
      for (const auto& [id, order] : orders) {
        records.push_back(md_record(0, MarketUpdateType::kAdd, id, ticker, order.side, order.price,
                                    order.qty, order.priority));
      }
    }
    records.push_back(md_record(0, MarketUpdateType::kSnapshotEnd, last_seq));
    for (std::size_t i = 0; i < records.size(); ++i) {
      records[i].seq_num = i;
    }
    std::vector<std::vector<MarketUpdate>> result;
    for (std::size_t i = 0; i < records.size(); i += per_datagram) {
      result.emplace_back(records.begin() + static_cast<std::ptrdiff_t>(i),
                          records.begin() + static_cast<std::ptrdiff_t>(
                                                std::min(records.size(), i + per_datagram)));
    }
    return result;
  }

 private:
  std::vector<MarketUpdate> updates_;
  std::vector<MdBooks> books_;
};

// What the trade engine does with the consumer's MarketEvents, checked as it goes: outside a
// recovery frame every update carries the next seq_num; SNAPSHOT_START opens a frame whose
// CLEAR/ADDs rebuild the books, SNAPSHOT_END(S) closes it and the next update must be S + 1;
// HEARTBEAT and unknown records never arrive.
class MdEventBooks {
 public:
  void apply(const trading::MarketEvent& event) {
    const MarketUpdate& u = event.update;
    ++events_;
    switch (u.msg_type) {
      case MarketUpdateType::kSnapshotStart:
        if (in_frame_) {
          error(fmt::format("SNAPSHOT_START inside a frame: {}", u));
        }
        in_frame_ = true;
        frame_seq_ = u.order_id;
        ++frames_;
        return;
      case MarketUpdateType::kSnapshotEnd:
        if (!in_frame_ || u.order_id != frame_seq_) {
          error(fmt::format("SNAPSHOT_END without its START: {}", u));
        }
        in_frame_ = false;
        next_seq_ = u.order_id + 1;
        return;
      case MarketUpdateType::kClear:
      case MarketUpdateType::kAdd:
      case MarketUpdateType::kModify:
      case MarketUpdateType::kCancel:
      case MarketUpdateType::kTrade:
        break;
      default:
        error(fmt::format("not a forwarded record: {}", u));
        return;
    }
    if (!in_frame_) {
      if (u.seq_num != next_seq_) {
        error(fmt::format("expected seq {}, got {}", next_seq_, u));
      }
      next_seq_ = u.seq_num + 1;
    }
    if (std::string why = md_apply(books_, u); !why.empty()) {
      error(why);
    }
  }

  // Pops and applies everything in the queue. Returns how many.
  std::size_t drain(trading::MarketEventQueue& queue) {
    std::size_t n = 0;
    while (const trading::MarketEvent* event = queue.front()) {
      seen_.push_back(*event);
      apply(*event);
      queue.pop();
      ++n;
    }
    return n;
  }

  [[nodiscard]] const MdBooks& books() const { return books_; }
  [[nodiscard]] SeqNum next_seq() const { return next_seq_; }
  [[nodiscard]] std::uint64_t frames() const { return frames_; }
  [[nodiscard]] bool in_frame() const { return in_frame_; }
  [[nodiscard]] const std::vector<trading::MarketEvent>& seen() const { return seen_; }
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

 private:
  void error(std::string text) {
    if (errors_.size() < 20) {
      errors_.push_back(std::move(text));
    }
  }

  MdBooks books_;
  SeqNum next_seq_ = 1;
  SeqNum frame_seq_ = 0;
  bool in_frame_ = false;
  std::uint64_t frames_ = 0;
  std::uint64_t events_ = 0;
  std::vector<trading::MarketEvent> seen_;
  std::vector<std::string> errors_;
};

}  // namespace llt::test
