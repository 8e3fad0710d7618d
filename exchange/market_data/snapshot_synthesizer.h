#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/concurrent/agent.h"
#include "common/concurrent/cache_line.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/containers/fixed_hash_map.h"
#include "common/error.h"
#include "common/net/io_status.h"
#include "common/net/mcast_socket.h"
#include "common/net/socket_address.h"
#include "common/time/tsc_clock.h"
#include "exchange/exchange_messages.h"
#include "exchange/market_data/datagram_sender.h"
#include "exchange/market_data/replica_book.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

struct SnapshotSynthesizerOptions {
  // The snapshot stream (docs/protocol.md, Snapshot stream): the incremental stream's group,
  // --snapshot-port (the exchange defaults it to --multicast-port + 1), --interface (never
  // 0.0.0.0), --ttl.
  std::string group = "239.255.0.1";
  std::uint16_t port = 5001;
  std::string interface { common::kDefaultMulticastInterface };
  int ttl = 1;
  // The matching engine's tickers, in the order a snapshot lists them. Non-empty, distinct.
  std::vector<TickerId> tickers{1, 2, 3};
  // --max-orders: resting orders per ticker. At least the matching engine's, so that no order
  // the engine rests can find the replica full. > 0.
  std::size_t max_orders_per_ticker = 262'144;
  // --snapshot-interval-ms: from the start of one snapshot to the start of the next (the next
  // waits if one is still being sent). The first goes out at the first poll. > 0.
  std::uint32_t snapshot_interval_ms = 1000;
  // Bounds on the work of one poll, so agents sharing a thread all get their turn. Each > 0.
  std::uint32_t max_updates_per_poll = 256;   // incremental updates applied
  std::uint32_t max_records_per_poll = 4096;  // snapshot records copied out of the books
  std::uint32_t max_datagrams_per_poll = 16;  // snapshot datagrams sent
  std::uint64_t hash_seed = 0x452821e638d01377ULL;
};

// Returns options unchanged, or throws std::invalid_argument naming the option that is out of
// range. The address, port and TTL are checked by the sender's constructor (it names them).
const SnapshotSynthesizerOptions& check_options(const SnapshotSynthesizerOptions& options);

// Copy of the synthesizer's counters. Readable from any thread while it runs (each value
// recent, the set not necessarily consistent).
struct SnapshotSynthesizerStats {
  std::uint64_t snapshots_published = 0;  // complete snapshots sent
  std::uint64_t records = 0;              // records of those snapshots
  std::uint64_t datagrams = 0;            // snapshot datagrams sent
  SeqNum last_snapshot_seq = 0;           // incremental seq_num the last snapshot included
  std::uint64_t send_retries = 0;         // sends refused with kWouldBlock, resumed later
  std::uint64_t send_errors = 0;          // snapshots abandoned on a send error
  std::uint64_t updates_applied = 0;
  SeqNum last_applied_seq = 0;
  // Each stays 0 unless the update stream or the configuration is wrong:
  std::uint64_t seq_gaps = 0;        // an update whose seq_num is not the previous + 1
  std::uint64_t inconsistent = 0;    // unknown ticker, unknown order, duplicate ADD
  std::uint64_t capacity_drops = 0;  // ADDs that found the replica full
};

// The snapshot synthesizer agent (docs/architecture.md, Agents; docs/protocol.md, Snapshot
// stream): keeps its own copy of every book from the publisher's numbered updates and, every
// snapshot_interval_ms, publishes a full snapshot on the snapshot stream:
//
//   SNAPSHOT_START, then per configured ticker (configured order, empty books included) a
//   CLEAR and one ADD per resting order in ascending priority, then SNAPSHOT_END.
//
// SNAPSHOT_START and SNAPSHOT_END carry in order_id the last incremental seq_num the snapshot
// includes; the records' own seq_num counts from 0 within the snapshot. Up to
// kMaxUpdatesPerDatagram records per datagram.
//
// One point in time, without stalling the incremental stream for the length of a send: a
// snapshot is first copied, as wire records, into an array allocated at start-up (room for
// every order of every book), and only then sent. Updates are not applied while the copy is
// made (max_records_per_poll records per poll, a few microseconds of memory copying each), so
// the copy is of one state; they are applied again while the copy is being sent, which may
// take many polls (max_datagrams_per_poll per poll, up to 16 of them in one send_datagrams()
// call, and a kWouldBlock resumes at the first datagram not taken on the next poll). Cost: 42
// bytes per order of capacity for the array. A send error abandons the snapshot (consumers
// see it incomplete and wait for the next one).
//
// Thread contract: constructed on any thread; on_start and poll on the synthesizer's thread,
// the consumer of the PublishedUpdateQueue. stats() from any thread; book() and sender() from
// the synthesizer's thread, or once the runner has stopped.
template <DatagramSender Sender>
class BasicSnapshotSynthesizer final : public common::Agent {
 public:
  // Start-up: allocates the replica books and the snapshot array, opens the sender. Throws
  // std::invalid_argument naming the option or address that is invalid, std::system_error
  // naming the address and errno text when the socket cannot be set up. The queue must
  // outlive the synthesizer.
  BasicSnapshotSynthesizer(const SnapshotSynthesizerOptions& options, PublishedUpdateQueue& updates,
                           const common::TscClock& clock = common::TscClock::instance())
      : options_(check_options(options)),
        updates_(updates),
        clock_(clock),
        sender_(std::string_view(options_.group), options_.port,
                std::string_view(options_.interface), options_.ttl),
        interval_ticks_(
            static_cast<std::uint64_t>(options_.snapshot_interval_ms * 1e6 * clock.ticks_per_ns())),
        next_snapshot_ticks_(clock.now_ticks()),
        ticker_slots_(options_.tickers.size(), options_.hash_seed),
        record_capacity_(2 + options_.tickers.size() * (1 + options_.max_orders_per_ticker)),
        records_(std::make_unique<MarketUpdate[]>(record_capacity_)) {
    books_.reserve(options_.tickers.size());
    for (const TickerId ticker_id : options_.tickers) {
      LLT_VERIFY(ticker_slots_.insert(ticker_id, static_cast<std::uint32_t>(books_.size())),
                 "check_options refused duplicate tickers");
      books_.push_back(std::make_unique<ReplicaBook>(ticker_id, options_.max_orders_per_ticker,
                                                     options_.hash_seed));
    }
  }

  BasicSnapshotSynthesizer(const BasicSnapshotSynthesizer&) = delete;
  BasicSnapshotSynthesizer& operator=(const BasicSnapshotSynthesizer&) = delete;

  // The first snapshot goes out at the first poll.
  void on_start() override { next_snapshot_ticks_ = clock_.now_ticks(); }

  // Start-up recovery (docs/recovery.md), before the agents run: applies one numbered update
  // of the recovered day to the books its snapshots publish.
  void recover(const MarketUpdate& update) noexcept {
    apply(update);
    updates_applied_.add();
    last_applied_seq_counter_.set(last_applied_seq_);
  }

  // Start-up from the recovered books (docs/recovery.md), before the agents run, instead of
  // recover() per update: the books become the engine's, given as one ADD per resting order in
  // ascending priority per ticker (restore_order), then the stream position and the trades per
  // ticker so far (restore_position, trades in options().tickers order).
  void restore_order(const MarketUpdate& add) noexcept {
    const std::uint32_t slot = ticker_slots_.find(add.ticker_id);
    if (LLT_UNLIKELY(slot == kNoSlot)) {
      inconsistent_.add();
      return;
    }
    if (books_[slot]->apply(add) != ReplicaResult::kApplied) {
      inconsistent_.add();
    }
    resting_orders_[slot].set(books_[slot]->order_count());
  }
  void restore_position(SeqNum last_seq, std::span<const std::uint64_t> trades) noexcept {
    last_applied_seq_ = last_seq;
    last_applied_seq_counter_.set(last_seq);
    for (std::size_t slot = 0; slot < books_.size() && slot < trades.size(); ++slot) {
      trades_[slot].set(trades[slot]);
    }
  }

  // Copies, or else sends a part of the snapshot in progress and applies up to
  // max_updates_per_poll updates; starts the next snapshot when it is due. Returns the amount
  // of work done (records copied + datagrams sent + updates applied + 1 for a start; 0: idle).
  int poll() override {
    int work = 0;
    if (phase_ == Phase::kCopying) {
      work += copy_some();
      if (phase_ == Phase::kCopying) {
        return work;  // the books must not change until the copy is complete
      }
    }
    if (phase_ == Phase::kSending) {
      work += send_some();
    }
    work += apply_some();
    if (phase_ == Phase::kIdle) {
      const std::uint64_t now = clock_.now_ticks();
      if (now >= next_snapshot_ticks_) {
        start_snapshot(now);
        ++work;
      }
    }
    return work;
  }

  [[nodiscard]] std::string_view name() const override { return "snapshot_synthesizer"; }
  void on_wait_set(common::WaitSet& waits) override { updates_.set_consumer_wake(&waits.signal()); }

  [[nodiscard]] SnapshotSynthesizerStats stats() const noexcept {
    SnapshotSynthesizerStats stats;
    stats.snapshots_published = snapshots_published_.load();
    stats.records = records_sent_.load();
    stats.datagrams = datagrams_.load();
    stats.last_snapshot_seq = last_snapshot_seq_.load();
    stats.send_retries = send_retries_.load();
    stats.send_errors = send_errors_.load();
    stats.updates_applied = updates_applied_.load();
    stats.last_applied_seq = last_applied_seq_counter_.load();
    stats.seq_gaps = seq_gaps_.load();
    stats.inconsistent = inconsistent_.load();
    stats.capacity_drops = capacity_drops_.load();
    return stats;
  }

  // Resting orders and TRADE records so far of the ticker at `ticker_index` in
  // options().tickers (out of range: 0), as of the last update applied. Any thread.
  [[nodiscard]] std::uint64_t resting_orders(std::size_t ticker_index) const noexcept {
    return ticker_index < books_.size() ? resting_orders_[ticker_index].load() : 0;
  }
  [[nodiscard]] std::uint64_t trades(std::size_t ticker_index) const noexcept {
    return ticker_index < books_.size() ? trades_[ticker_index].load() : 0;
  }

  // The replica of one ticker's book, or nullptr for a ticker not configured.
  [[nodiscard]] const ReplicaBook* book(TickerId ticker_id) const noexcept {
    const std::uint32_t slot = ticker_slots_.find(ticker_id);
    return slot == kNoSlot ? nullptr : books_[slot].get();
  }
  // True while a snapshot is being copied or sent.
  [[nodiscard]] bool snapshot_in_progress() const noexcept { return phase_ != Phase::kIdle; }
  // Records in the snapshot array (room for every order of every book, plus framing).
  [[nodiscard]] std::size_t record_capacity() const noexcept { return record_capacity_; }
  // errno of the last send error (0: none).
  [[nodiscard]] int last_send_error() const noexcept { return last_send_error_; }
  [[nodiscard]] Sender& sender() noexcept { return sender_; }
  [[nodiscard]] const SnapshotSynthesizerOptions& options() const noexcept { return options_; }

 private:
  enum class Phase : std::uint8_t { kIdle, kCopying, kSending };
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  using TickerSlots = common::FixedHashMap<TickerId, std::uint32_t, kNoSlot>;

  int apply_some() noexcept {
    std::uint32_t applied = 0;
    for (; applied < options_.max_updates_per_poll; ++applied) {
      const MarketUpdate* update = updates_.front();
      if (update == nullptr) {
        break;
      }
      apply(*update);
      updates_.pop();
    }
    if (applied > 0) {
      updates_applied_.add(applied);
      last_applied_seq_counter_.set(last_applied_seq_);
    }
    return static_cast<int>(applied);
  }

  void apply(const MarketUpdate& update) noexcept {
    if (LLT_UNLIKELY(update.seq_num != last_applied_seq_ + 1)) {
      seq_gaps_.add();
    }
    last_applied_seq_ = update.seq_num;
    const std::uint32_t slot = ticker_slots_.find(update.ticker_id);
    if (LLT_UNLIKELY(slot == kNoSlot)) {
      inconsistent_.add();
      return;
    }
    const ReplicaResult result = books_[slot]->apply(update);
    resting_orders_[slot].set(books_[slot]->order_count());
    if (update.msg_type == MarketUpdateType::kTrade) {
      trades_[slot].add();
    }
    switch (result) {
      case ReplicaResult::kApplied:
      case ReplicaResult::kIgnored:
        break;
      case ReplicaResult::kFull:
        capacity_drops_.add();
        break;
      case ReplicaResult::kUnknownOrder:
      case ReplicaResult::kDuplicateOrder:
        inconsistent_.add();
        break;
    }
  }

  void start_snapshot(std::uint64_t now) noexcept {
    next_snapshot_ticks_ = now + interval_ticks_;
    record_count_ = 0;
    send_index_ = 0;
    copy_book_ = 0;
    copy_order_ = nullptr;
    copy_clear_pending_ = true;
    append(MarketUpdateType::kSnapshotStart, last_applied_seq_, 0, Side::kInvalid, 0, 0, 0);
    phase_ = Phase::kCopying;
  }

  // Copies up to max_records_per_poll records; on the last, appends SNAPSHOT_END and moves to
  // sending. Returns the records copied.
  int copy_some() noexcept {
    std::uint32_t copied = 0;
    while (copied < options_.max_records_per_poll) {
      if (copy_book_ == books_.size()) {
        append(MarketUpdateType::kSnapshotEnd, last_applied_seq_, 0, Side::kInvalid, 0, 0, 0);
        ++copied;
        phase_ = Phase::kSending;
        break;
      }
      const ReplicaBook& book = *books_[copy_book_];
      if (copy_clear_pending_) {
        append(MarketUpdateType::kClear, 0, book.ticker_id(), Side::kInvalid, 0, 0, 0);
        copy_clear_pending_ = false;
        copy_order_ = book.first();
        ++copied;
      } else if (copy_order_ != nullptr) {
        const ReplicaOrder& order = *copy_order_;
        append(MarketUpdateType::kAdd, order.order_id, book.ticker_id(), order.side, order.price,
               order.qty, order.priority);
        copy_order_ = book.next(order);
        ++copied;
      } else {
        ++copy_book_;
        copy_clear_pending_ = true;
      }
    }
    return static_cast<int>(copied);
  }

  void append(MarketUpdateType type, OrderId order_id, TickerId ticker_id, Side side, Price price,
              Qty qty, Priority priority) noexcept {
    LLT_ASSERT(record_count_ < record_capacity_, "the array has room for every book at capacity");
    MarketUpdate& record = records_[record_count_];
    record.seq_num = record_count_;
    record.msg_type = type;
    record.order_id = order_id;
    record.ticker_id = ticker_id;
    record.side = side;
    record.price = price;
    record.qty = qty;
    record.priority = priority;
    ++record_count_;
  }

  // Sends up to max_datagrams_per_poll datagrams of the copied snapshot, up to 16 in one
  // send_datagrams() call (one system call when the kernel segments them). Returns how many
  // were sent (datagrams lost to an error count: the poll did work).
  int send_some() noexcept {
    int sent = 0;
    while (sent < static_cast<int>(options_.max_datagrams_per_poll) &&
           send_index_ < record_count_) {
      const std::size_t datagrams = std::min(
          kMaxDatagramsPerSend, options_.max_datagrams_per_poll - static_cast<std::size_t>(sent));
      const std::size_t count =
          std::min(datagrams * kMaxUpdatesPerDatagram, record_count_ - send_index_);
      const common::IoResult result = sender_.send_datagrams(
          &records_[send_index_], count * sizeof(MarketUpdate), kMaxDatagramBytes);
      const std::size_t records = result.ok() ? count : result.bytes / sizeof(MarketUpdate);
      const std::size_t went = datagrams_of(records);
      sent += static_cast<int>(went);
      datagrams_.add(went);
      send_index_ += records;
      if (LLT_UNLIKELY(result.status == common::IoStatus::kWouldBlock)) {
        send_retries_.add();
        return sent;
      }
      if (LLT_UNLIKELY(!result.ok())) {
        send_errors_.add();
        last_send_error_ = result.error;
        phase_ = Phase::kIdle;
        return sent + 1;
      }
    }
    if (send_index_ == record_count_) {
      phase_ = Phase::kIdle;
      snapshots_published_.add();
      records_sent_.add(record_count_);
      last_snapshot_seq_.set(records_[0].order_id);
    }
    return sent;
  }

  const SnapshotSynthesizerOptions options_;
  PublishedUpdateQueue& updates_;
  const common::TscClock& clock_;
  Sender sender_;
  const std::uint64_t interval_ticks_;
  std::uint64_t next_snapshot_ticks_;
  SeqNum last_applied_seq_ = 0;
  int last_send_error_ = 0;
  std::vector<std::unique_ptr<ReplicaBook>> books_;  // in options_.tickers order
  TickerSlots ticker_slots_;                         // ticker id -> index in books_

  // The snapshot in progress: records_[0, record_count_) copied, [0, send_index_) sent.
  Phase phase_ = Phase::kIdle;
  const std::size_t record_capacity_;
  std::unique_ptr<MarketUpdate[]> records_;
  std::size_t record_count_ = 0;
  std::size_t send_index_ = 0;
  std::size_t copy_book_ = 0;                 // book being copied
  const ReplicaOrder* copy_order_ = nullptr;  // next order of it to copy
  bool copy_clear_pending_ = false;           // its CLEAR is not yet copied

  // Read by other threads (status line): kept off the lines the hot fields live on.
  std::unique_ptr<common::SingleWriterCounter[]> resting_orders_ =
      std::make_unique<common::SingleWriterCounter[]>(options_.tickers.size());
  std::unique_ptr<common::SingleWriterCounter[]> trades_ =
      std::make_unique<common::SingleWriterCounter[]>(options_.tickers.size());
  alignas(common::kCacheLineSize) common::SingleWriterCounter snapshots_published_;
  common::SingleWriterCounter records_sent_;
  common::SingleWriterCounter datagrams_;
  common::SingleWriterCounter last_snapshot_seq_;
  common::SingleWriterCounter send_retries_;
  common::SingleWriterCounter send_errors_;
  common::SingleWriterCounter updates_applied_;
  common::SingleWriterCounter last_applied_seq_counter_;
  common::SingleWriterCounter seq_gaps_;
  common::SingleWriterCounter inconsistent_;
  common::SingleWriterCounter capacity_drops_;
};

using SnapshotSynthesizer = BasicSnapshotSynthesizer<common::McastSender>;
extern template class BasicSnapshotSynthesizer<common::McastSender>;

}  // namespace llt::exchange
