#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exchange/protocol/format.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

// Test-side market data consumer, written for clarity (standard containers, no attention to
// speed): rebuilds books from MarketUpdates, the incremental records and full snapshots of
// docs/protocol.md, checks what the stream promises (contiguous seq_num, heartbeats that
// consume nothing, well-formed snapshots, books never crossed), and compares two rebuilt
// states. Problems are collected as text, not thrown, so the caller decides how to fail and
// this header needs no GoogleTest. Reused by the exchange's process-level tests and the
// trading client's tests.
namespace llt::test {

using exchange::MarketUpdate;
using exchange::MarketUpdateType;
using exchange::OrderId;
using exchange::Price;
using exchange::Priority;
using exchange::Qty;
using exchange::SeqNum;
using exchange::Side;
using exchange::TickerId;

// One resting order as market data shows it.
struct MdOrder {
  Side side = Side::kInvalid;
  Price price = 0;
  Qty qty = 0;
  Priority priority = 0;

  friend bool operator==(const MdOrder&, const MdOrder&) = default;
};

// One ticker's resting orders by market order id, and its price levels (order counts per
// price) for the best prices.
class MdBook {
 public:
  // "" when applied, else why not.
  std::string add(OrderId id, const MdOrder& order) {
    if (order.side != Side::kBuy && order.side != Side::kSell) {
      return fmt::format("ADD of order {} with side {}", id, order.side);
    }
    if (!orders_.emplace(id, order).second) {
      return fmt::format("ADD of order {} that is already resting", id);
    }
    ++levels(order.side)[order.price];
    return {};
  }
  std::string modify(OrderId id, Qty qty) {
    const auto it = orders_.find(id);
    if (it == orders_.end()) {
      return fmt::format("MODIFY of unknown order {}", id);
    }
    it->second.qty = qty;
    return {};
  }
  std::string cancel(OrderId id) {
    const auto it = orders_.find(id);
    if (it == orders_.end()) {
      return fmt::format("CANCEL of unknown order {}", id);
    }
    auto& side_levels = levels(it->second.side);
    if (--side_levels[it->second.price] == 0) {
      side_levels.erase(it->second.price);
    }
    orders_.erase(it);
    return {};
  }
  void clear() {
    orders_.clear();
    bids_.clear();
    asks_.clear();
  }

  [[nodiscard]] const std::map<OrderId, MdOrder>& orders() const { return orders_; }
  [[nodiscard]] std::optional<Price> best_bid() const {
    return bids_.empty() ? std::nullopt : std::optional<Price>(bids_.rbegin()->first);
  }
  [[nodiscard]] std::optional<Price> best_ask() const {
    return asks_.empty() ? std::nullopt : std::optional<Price>(asks_.begin()->first);
  }
  [[nodiscard]] bool crossed() const {
    return best_bid() && best_ask() && *best_bid() >= *best_ask();
  }

  friend bool operator==(const MdBook& a, const MdBook& b) { return a.orders_ == b.orders_; }

 private:
  std::map<Price, std::size_t>& levels(Side side) { return side == Side::kBuy ? bids_ : asks_; }

  std::map<OrderId, MdOrder> orders_;
  std::map<Price, std::size_t> bids_;  // price -> resting orders
  std::map<Price, std::size_t> asks_;
};

// Every ticker's book. A ticker seen only in a snapshot's CLEAR has an empty entry.
using MdBooks = std::map<TickerId, MdBook>;

// Calls on_record(const MarketUpdate&) for each record of a datagram. Returns false, calling
// nothing, when the datagram is not 1 to kMaxUpdatesPerDatagram whole records.
template <typename OnRecord>
bool md_for_each_record(const void* data, std::size_t size, OnRecord&& on_record) {
  if (size == 0 || size % sizeof(MarketUpdate) != 0 ||
      size / sizeof(MarketUpdate) > exchange::kMaxUpdatesPerDatagram) {
    return false;
  }
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t offset = 0; offset < size; offset += sizeof(MarketUpdate)) {
    MarketUpdate record;
    std::memcpy(&record, bytes + offset, sizeof(record));
    on_record(record);
  }
  return true;
}

// Differences between two states, one line per order (at most max_lines, then a count of the
// rest); "" when every ticker holds the same orders. A ticker missing from one side counts as
// an empty book there (a snapshot lists every configured ticker, a rebuilt state only those
// that had activity).
inline std::string md_diff(const MdBooks& expected, const MdBooks& actual,
                           std::size_t max_lines = 20) {
  std::vector<std::string> lines;
  const auto note = [&](std::string line) { lines.push_back(std::move(line)); };
  const MdBook empty;
  std::map<TickerId, bool> tickers;
  for (const auto& [ticker, book] : expected)
    tickers[ticker] = true;
  for (const auto& [ticker, book] : actual)
    tickers[ticker] = true;
  for (const auto& [ticker, unused] : tickers) {
    const auto e = expected.find(ticker);
    const auto a = actual.find(ticker);
    const MdBook& eb = e == expected.end() ? empty : e->second;
    const MdBook& ab = a == actual.end() ? empty : a->second;
    for (const auto& [id, order] : eb.orders()) {
      const auto other = ab.orders().find(id);
      if (other == ab.orders().end()) {
        note(fmt::format("ticker {} order {}: missing from actual ({} {} x {} prio {})", ticker, id,
                         order.side, order.price, order.qty, order.priority));
      } else if (!(other->second == order)) {
        note(fmt::format(
            "ticker {} order {}: expected {} {} x {} prio {}, actual {} {} x {} prio {}", ticker,
            id, order.side, order.price, order.qty, order.priority, other->second.side,
            other->second.price, other->second.qty, other->second.priority));
      }
    }
    for (const auto& [id, order] : ab.orders()) {
      if (eb.orders().count(id) == 0) {
        note(fmt::format("ticker {} order {}: not expected ({} {} x {} prio {})", ticker, id,
                         order.side, order.price, order.qty, order.priority));
      }
    }
  }
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < max_lines; ++i) {
    text += lines[i] + "\n";
  }
  if (lines.size() > max_lines) {
    text += fmt::format("... and {} more differences\n", lines.size() - max_lines);
  }
  return text;
}

// Applies one incremental book record (ADD, MODIFY, CANCEL, TRADE, CLEAR) to books: ""
// when applied, else why not. TRADE changes nothing (the passive order's MODIFY or CANCEL
// that follows does); CLEAR empties the ticker.
inline std::string md_apply(MdBooks& books, const MarketUpdate& update) {
  MdBook& book = books[update.ticker_id];
  switch (update.msg_type) {
    case MarketUpdateType::kAdd:
      return book.add(update.order_id,
                      MdOrder{update.side, update.price, update.qty, update.priority});
    case MarketUpdateType::kModify:
      return book.modify(update.order_id, update.qty);
    case MarketUpdateType::kCancel:
      return book.cancel(update.order_id);
    case MarketUpdateType::kTrade:
      return {};
    case MarketUpdateType::kClear:
      book.clear();
      return {};
    default:
      return fmt::format("not a book record: {}", update);
  }
}

// A complete snapshot from the snapshot stream.
struct MdSnapshot {
  SeqNum last_incremental_seq = 0;    // order_id of SNAPSHOT_START and SNAPSHOT_END
  std::vector<TickerId> tickers;      // in the order of their CLEARs
  MdBooks books;                      // every ticker of the snapshot, empty ones included
  std::vector<MarketUpdate> records;  // as received, SNAPSHOT_START to SNAPSHOT_END
};

// Assembles snapshots from snapshot-stream records. A snapshot is complete when
// SNAPSHOT_START (seq 0) ... SNAPSHOT_END arrive with contiguous seq_num. One that breaks off
// (a record lost, or joined mid-snapshot) is abandoned and the assembler waits for the next
// SNAPSHOT_START: that is normal for a late joiner and only counted. A complete snapshot whose
// content breaks the format (START and END seqs differ, an ADD before its ticker's CLEAR, a
// ticker listed twice, ADDs not in ascending priority, an unexpected record type) is recorded
// in errors() and not offered.
class MdSnapshotAssembler {
 public:
  // Returns true when this record completed a snapshot (now in last()).
  bool on_record(const MarketUpdate& record) {
    if (record.msg_type == MarketUpdateType::kSnapshotStart) {
      if (assembling_) {
        ++abandoned_;
      }
      assembling_ = record.seq_num == 0;
      records_.assign(1, record);
      if (!assembling_) {
        ++abandoned_;
      }
      return false;
    }
    if (!assembling_) {
      return false;
    }
    if (record.seq_num != records_.size()) {
      assembling_ = false;
      ++abandoned_;
      return false;
    }
    records_.push_back(record);
    if (record.msg_type != MarketUpdateType::kSnapshotEnd) {
      return false;
    }
    assembling_ = false;
    std::string error;
    MdSnapshot snapshot = parse(records_, error);
    if (!error.empty()) {
      errors_.push_back(std::move(error));
      return false;
    }
    last_ = std::move(snapshot);
    ++completed_;
    return true;
  }

  // Feeds every record of a datagram. Returns the number of snapshots it completed; a
  // datagram that is not whole records is counted in malformed_datagrams() and skipped.
  int on_datagram(const void* data, std::size_t size) {
    int completed = 0;
    if (!md_for_each_record(data, size,
                            [&](const MarketUpdate& r) { completed += on_record(r); })) {
      ++malformed_datagrams_;
    }
    return completed;
  }

  [[nodiscard]] const std::optional<MdSnapshot>& last() const { return last_; }
  [[nodiscard]] std::uint64_t completed() const { return completed_; }
  [[nodiscard]] std::uint64_t abandoned() const { return abandoned_; }
  [[nodiscard]] std::uint64_t malformed_datagrams() const { return malformed_datagrams_; }
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }

 private:
  static MdSnapshot parse(const std::vector<MarketUpdate>& records, std::string& error) {
    MdSnapshot snapshot;
    snapshot.records = records;
    const MarketUpdate& start = records.front();
    const MarketUpdate& end = records.back();
    snapshot.last_incremental_seq = start.order_id;
    if (end.order_id != start.order_id) {
      error = fmt::format("SNAPSHOT_START carries seq {} but SNAPSHOT_END {}",
                          static_cast<SeqNum>(start.order_id), static_cast<SeqNum>(end.order_id));
      return snapshot;
    }
    std::optional<TickerId> ticker;
    Priority last_priority = 0;
    for (std::size_t i = 1; i + 1 < records.size(); ++i) {
      const MarketUpdate& r = records[i];
      if (r.msg_type == MarketUpdateType::kClear) {
        if (snapshot.books.count(r.ticker_id) != 0) {
          error = fmt::format("ticker {} appears twice in one snapshot", r.ticker_id);
          return snapshot;
        }
        ticker = r.ticker_id;
        snapshot.tickers.push_back(r.ticker_id);
        snapshot.books[r.ticker_id];
        last_priority = 0;
      } else if (r.msg_type == MarketUpdateType::kAdd) {
        if (!ticker || *ticker != r.ticker_id) {
          error = fmt::format("ADD not preceded by its ticker's CLEAR: {}", r);
          return snapshot;
        }
        if (r.priority <= last_priority) {
          error =
              fmt::format("ADD out of priority order (after priority {}): {}", last_priority, r);
          return snapshot;
        }
        last_priority = r.priority;
        if (std::string why = md_apply(snapshot.books, r); !why.empty()) {
          error = "snapshot: " + why;
          return snapshot;
        }
      } else {
        error = fmt::format("unexpected record inside a snapshot: {}", r);
        return snapshot;
      }
    }
    return snapshot;
  }

  bool assembling_ = false;
  std::vector<MarketUpdate> records_;
  std::optional<MdSnapshot> last_;
  std::uint64_t completed_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint64_t malformed_datagrams_ = 0;
  std::vector<std::string> errors_;
};

// Rebuilds books from the incremental stream, checking as it goes:
//  - each update's seq_num is the next expected one (contiguous; the first expected is given);
//  - a HEARTBEAT carries the next expected seq_num (it consumes none);
//  - every record applies (no unknown order, no duplicate ADD) and no book is ever crossed
//    after an update.
// A check that fails is recorded in errors() and the update is still applied where possible.
class MdBookRebuilder {
 public:
  explicit MdBookRebuilder(SeqNum next_seq = 1) : next_seq_(next_seq) {}

  void on_record(const MarketUpdate& update) {
    if (update.msg_type == MarketUpdateType::kHeartbeat) {
      ++heartbeats_;
      if (update.seq_num != next_seq_) {
        error(fmt::format("HEARTBEAT carries seq {}, expected the next update's {}",
                          static_cast<SeqNum>(update.seq_num), next_seq_));
      }
      return;
    }
    if (update.seq_num != next_seq_) {
      error(fmt::format("seq gap: expected {}, got {}", next_seq_, update));
    }
    next_seq_ = update.seq_num + 1;
    ++updates_;
    if (std::string why = md_apply(books_, update); !why.empty()) {
      error(std::move(why));
    }
    if (books_[update.ticker_id].crossed()) {
      const MdBook& book = books_[update.ticker_id];
      error(fmt::format("ticker {} crossed (bid {} >= ask {}) after {}", update.ticker_id,
                        *book.best_bid(), *book.best_ask(), update));
    }
  }

  // Applies every record of a datagram; one that is not whole records is an error.
  void on_datagram(const void* data, std::size_t size) {
    if (!md_for_each_record(data, size, [&](const MarketUpdate& r) { on_record(r); })) {
      error(fmt::format("datagram of {} bytes is not 1 to 34 whole records", size));
    }
  }

  // Replaces the books by a complete snapshot's; the next expected seq_num follows it.
  void load(const MdSnapshot& snapshot) {
    books_ = snapshot.books;
    next_seq_ = snapshot.last_incremental_seq + 1;
  }

  [[nodiscard]] const MdBooks& books() const { return books_; }
  // The seq_num the next update must carry.
  [[nodiscard]] SeqNum next_seq() const { return next_seq_; }
  [[nodiscard]] std::uint64_t updates() const { return updates_; }
  [[nodiscard]] std::uint64_t heartbeats() const { return heartbeats_; }
  // The first 100 problems, and how many there were.
  [[nodiscard]] const std::vector<std::string>& errors() const { return errors_; }
  [[nodiscard]] std::uint64_t error_count() const { return error_count_; }

 private:
  void error(std::string text) {
    ++error_count_;
    if (errors_.size() < 100) {
      errors_.push_back(std::move(text));
    }
  }

  MdBooks books_;
  SeqNum next_seq_;
  std::uint64_t updates_ = 0;
  std::uint64_t heartbeats_ = 0;
  std::vector<std::string> errors_;
  std::uint64_t error_count_ = 0;
};

// Every ticker's books with the empty ones removed, for comparing a state rebuilt from the
// incremental stream (which knows only tickers that had activity) with a snapshot's (which
// lists every configured ticker).
inline MdBooks md_without_empty(const MdBooks& books) {
  MdBooks result;
  for (const auto& [ticker, book] : books) {
    if (!book.orders().empty()) {
      result.emplace(ticker, book);
    }
  }
  return result;
}

// Joins text lines for a failure message.
inline std::string md_join(const std::vector<std::string>& lines, std::size_t max_lines = 10) {
  std::string text;
  for (std::size_t i = 0; i < lines.size() && i < max_lines; ++i) {
    text += lines[i] + "\n";
  }
  if (lines.size() > max_lines) {
    text += fmt::format("... and {} more\n", lines.size() - max_lines);
  }
  return text;
}

}  // namespace llt::test
