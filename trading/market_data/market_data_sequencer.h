#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/concurrent/cache_line.h"
#include "common/concurrent/single_writer_counter.h"
#include "common/error.h"
#include "common/stats/latency_histogram.h"
#include "common/time/tsc_clock.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/md_replay.h"
#include "exchange/protocol/types.h"
#include "trading/market_data/datagram_loss_filter.h"
#include "trading/market_data/market_data_consumer_options.h"
#include "trading/market_data/market_data_consumer_stats.h"
#include "trading/market_data/reorder_buffer.h"
#include "trading/market_data/snapshot_assembler.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// The msg_types a stream may carry, as a bit set: bit i set means msg_type i is valid.
[[nodiscard]] constexpr std::uint32_t md_type_bit(exchange::MarketUpdateType type) noexcept {
  return 1U << static_cast<unsigned>(type);
}

// The socket-free core of the market data consumer: takes the datagrams of the incremental
// and snapshot streams, as read, and produces the in-order, gap-free MarketEvent stream that
// trading_messages.h describes, recovering as docs/recovery.md says. The consumer agent owns
// the sockets and joins or leaves the snapshot stream as wants_snapshot_stream() says; tests
// feed crafted datagrams directly.
//
// State: the books downstream are complete up to next_seq() - 1 ("have a base") or unknown
// (late start past the reorder window, exchange restart). Updates at next_seq() are forwarded
// at once; later ones are held in the ReorderBuffer by seq_num.
//  - Gap: an update or HEARTBEAT beyond every seq_num received so far and beyond next_seq()
//    (a lost or reordered datagram, a lost tail, or a late start: the books start empty at
//    seq 0, so a first update past 1 is a gap). Recovery starts: join the snapshot stream,
//    hold the incrementals. If the missing ones arrive and the held ones become contiguous,
//    the recovery ends without a snapshot (gaps_healed).
//  - Snapshot: a complete one (SnapshotAssembler) with last incremental seq S is applied when
//    it is newer than the books and every seq_num in (S, highest received] is held (nothing
//    received beyond S counts: the next update or heartbeat checks S + 1, and a hole then is a
//    new gap). Forwarded framed: SNAPSHOT_START(S), CLEAR/ADDs, SNAPSHOT_END(S), then the held
//    updates after S. Otherwise it is skipped and the next one awaited.
//  - Restart: an update or heartbeat whose seq_num is 1 after a higher one was received (even
//    while seq 1 was still awaited: a stream that starts over is never used to fill the old
//    one's hole), or one more than restart_window below the highest received: everything held
//    is forgotten (a new epoch) and the books are recovered from the snapshot stream (whose
//    CLEARs reset each ticker). A late start whose first datagram (seq 1) arrives after a
//    later one therefore recovers from a snapshot too, instead of healing.
//    Limitation: if a restarted exchange's first datagrams are lost and its seq_nums stay
//    within restart_window of the old ones, they look like late duplicates (the protocol
//    carries no session id).
//  - Duplicates and updates older than the books are dropped and counted; a datagram that is
//    not 1-34 whole records of the stream's types is dropped whole and counted.
// Back-pressure: when the output queue is full nothing is lost: what could not be pushed stays
// held, blocked() turns true and the caller stops reading sockets until flush() empties it.
//
// Thread contract: one thread (the consumer agent's) calls everything except stats(),
// recovering() and next_seq(), which any thread may call. recovery_ns() from that thread, or
// once it has stopped.
class MarketDataSequencer {
 public:
  enum class DatagramResult : std::uint8_t {
    kAccepted,
    kMalformed,          // dropped whole and counted
    kDroppedByLossKnob,  // --md-loss-rate
    kIgnored,            // a snapshot datagram while not recovering or while one is forwarded
  };

  // Start-up: allocates the reorder buffer and the snapshot array. Throws
  // std::invalid_argument naming the option that is out of range. `out` must outlive it.
  MarketDataSequencer(const MarketDataConsumerOptions& options, MarketEventQueue& out,
                      const common::TscClock& clock = common::TscClock::instance());

  MarketDataSequencer(const MarketDataSequencer&) = delete;
  MarketDataSequencer& operator=(const MarketDataSequencer&) = delete;

  // One datagram of the incremental stream, read at read_tsc. Forwards what it can.
  [[nodiscard]] DatagramResult on_incremental_datagram(const void* data, std::size_t size,
                                                       std::uint64_t read_tsc) noexcept {
    incremental_datagrams_.add();
    if (LLT_UNLIKELY(loss_.drop())) {
      loss_knob_drops_.add();
      return DatagramResult::kDroppedByLossKnob;
    }
    if (LLT_UNLIKELY(!well_formed(data, size, kIncrementalTypes))) {
      malformed_dropped_.add();
      return DatagramResult::kMalformed;
    }
    last_tsc_ = read_tsc;
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t offset = 0; offset < size; offset += sizeof(exchange::MarketUpdate)) {
      exchange::MarketUpdate update;
      std::memcpy(&update, bytes + offset, sizeof(update));
      on_incremental(update, read_tsc);
    }
    flush();
    return DatagramResult::kAccepted;
  }

  // One datagram of the snapshot stream, read at read_tsc. Taken only while recovering.
  [[nodiscard]] DatagramResult on_snapshot_datagram(const void* data, std::size_t size,
                                                    std::uint64_t read_tsc) noexcept {
    snapshot_datagrams_.add();
    if (!recovering_ || snapshot_pending_) {
      return DatagramResult::kIgnored;
    }
    if (LLT_UNLIKELY(!well_formed(data, size, kSnapshotTypes))) {
      malformed_dropped_.add();
      return DatagramResult::kMalformed;
    }
    last_tsc_ = read_tsc;
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t offset = 0; offset < size && recovering_;
         offset += sizeof(exchange::MarketUpdate)) {
      exchange::MarketUpdate record;
      std::memcpy(&record, bytes + offset, sizeof(record));
      on_snapshot_record(record, read_tsc);
    }
    flush();
    return DatagramResult::kAccepted;
  }

  // One record of a replay answer (docs/recovery.md, step 2): an incremental update with its
  // original seq_num, read at read_tsc. Taken like a late incremental while recovering, inside
  // the hole: [next_seq(), highest received]; anything else is counted as unused. A recovery
  // that replayed records complete ends "by replay". The caller flush()es after a batch.
  void on_replay_record(const exchange::MarketUpdate& update, std::uint64_t read_tsc) noexcept {
    const exchange::SeqNum seq = update.seq_num;
    if (!recovering_ || !have_base_ || seq < next_seq_ || seq >= received_horizon_ ||
        seq < buffer_.low()) {
      replay_unused_.add();
      return;
    }
    last_tsc_ = read_tsc;
    replay_records_.add();
    if (seq == next_seq_ && !blocked_ && !snapshot_pending_) {
      if (LLT_LIKELY(out_.try_emplace(MarketEvent{update, read_tsc}))) {
        ++forwarded_;
        advance_base();
        replay_filled_ = true;
        return;
      }
      blocked_ = true;
    }
    if (buffer_.insert(update, read_tsc) == ReorderBuffer::InsertResult::kInserted) {
      replay_filled_ = true;
    } else {
      replay_unused_.add();
    }
  }

  // The range a replay request should ask for now: from next_seq() up to the first update held
  // after it (or the highest number received), at most kMaxMdReplayCount. False when there is
  // nothing to ask: not recovering, no base (a restart, or the queue outgrew), a snapshot
  // being forwarded, or a late start (next_seq() 1: the snapshot stream is the way in).
  [[nodiscard]] bool replay_range(exchange::SeqNum& from, std::uint32_t& count) const noexcept {
    if (!recovering_ || !have_base_ || snapshot_pending_ || next_seq_ <= 1 ||
        next_seq_ >= received_horizon_ || buffer_.contains(next_seq_)) {
      return false;
    }
    const exchange::SeqNum limit =
        std::min<exchange::SeqNum>(received_horizon_, next_seq_ + exchange::kMaxMdReplayCount);
    exchange::SeqNum end = next_seq_ + 1;
    while (end < limit && !buffer_.contains(end)) {
      ++end;
    }
    from = next_seq_;
    count = static_cast<std::uint32_t>(end - next_seq_);
    return true;
  }

  // Counts recoveries started so far; changes when a new one starts.
  [[nodiscard]] std::uint64_t recovery_number() const noexcept { return recovery_number_; }

  // A datagram too long for the read buffer (truncated by the socket): counted as malformed.
  void on_truncated_datagram() noexcept { malformed_dropped_.add(); }
  // A socket error other than "nothing to read"; counted.
  void on_receive_error() noexcept { receive_errors_.add(); }

  // Pushes what is held and may go now (a snapshot being forwarded, held updates that continue
  // the books). Returns the number of events pushed. Afterwards blocked() says whether the
  // output queue is still in the way.
  int flush() noexcept {
    std::uint64_t pushed = 0;
    blocked_ = true;
    if (snapshot_pending_) {
      const MarketEvent* records = assembler_.records();
      while (snapshot_pos_ < assembler_.size()) {
        if (!out_.try_push(records[snapshot_pos_])) {
          return publish_forwarded(pushed);
        }
        ++snapshot_pos_;
        ++pushed;
      }
      snapshot_pending_ = false;
      assembler_.reset();
    }
    if (have_base_) {
      while (const MarketEvent* event = buffer_.find(next_seq_)) {
        if (!out_.try_push(*event)) {
          return publish_forwarded(pushed);
        }
        ++pushed;
        advance_base();
      }
      if (recovering_ && next_seq_ >= received_horizon_) {
        finish_recovery(last_tsc_, /*healed=*/true);
      }
    }
    blocked_ = false;
    return publish_forwarded(pushed);
  }

  // True when the output queue was full at the last push: the caller must not read more
  // datagrams until flush() clears it (what is held is never dropped).
  [[nodiscard]] bool blocked() const noexcept { return blocked_; }
  // True while recovering: the snapshot stream is needed.
  [[nodiscard]] bool wants_snapshot_stream() const noexcept { return recovering_; }

  // Any thread.
  [[nodiscard]] bool recovering() const noexcept { return recovering_counter_.load() != 0; }
  [[nodiscard]] exchange::SeqNum next_seq() const noexcept { return next_seq_counter_.load(); }
  [[nodiscard]] MarketDataConsumerStats stats() const noexcept;

  // Durations of the completed recoveries (healed, by replay or by snapshot), in nanoseconds.
  [[nodiscard]] const common::LatencyHistogram& recovery_ns() const noexcept {
    return recovery_ns_;
  }
  // The same, of the recoveries ended by replay / by a snapshot only.
  [[nodiscard]] const common::LatencyHistogram& replay_recovery_ns() const noexcept {
    return replay_recovery_ns_;
  }
  [[nodiscard]] const common::LatencyHistogram& snapshot_recovery_ns() const noexcept {
    return snapshot_recovery_ns_;
  }

 private:
  using Type = exchange::MarketUpdateType;
  static constexpr auto bit = md_type_bit;
  static constexpr std::uint32_t kIncrementalTypes = bit(Type::kClear) | bit(Type::kAdd) |
                                                     bit(Type::kModify) | bit(Type::kCancel) |
                                                     bit(Type::kTrade) | bit(Type::kHeartbeat);
  static constexpr std::uint32_t kSnapshotTypes =
      bit(Type::kSnapshotStart) | bit(Type::kClear) | bit(Type::kAdd) | bit(Type::kSnapshotEnd);

  static bool well_formed(const void* data, std::size_t size, std::uint32_t types) noexcept {
    constexpr std::size_t kRecord = sizeof(exchange::MarketUpdate);
    if (size == 0 || size % kRecord != 0 || size > kRecord * exchange::kMaxUpdatesPerDatagram) {
      return false;
    }
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t offset = 0; offset < size; offset += kRecord) {
      const unsigned type = bytes[offset + offsetof(exchange::MarketUpdate, msg_type)];
      if (type >= 32 || (types & (1U << type)) == 0) {
        return false;
      }
    }
    return true;
  }

  // The seq_num past which a new update or heartbeat means a hole.
  [[nodiscard]] exchange::SeqNum expected_horizon() const noexcept {
    return std::max(received_horizon_, next_seq_);
  }

  // Below the window: the exchange restarted, or only a late or repeated datagram?
  [[nodiscard]] bool is_restart(exchange::SeqNum seq) const noexcept {
    return seq == 1 || seq + restart_window_ < received_horizon_;
  }

  void on_incremental(const exchange::MarketUpdate& update, std::uint64_t read_tsc) noexcept {
    const exchange::SeqNum seq = update.seq_num;
    // seq_num 1 after anything past it is a new exchange even while seq 1 is still awaited (a
    // restart during a late start's recovery): filling the hole with it would mix two streams.
    if (LLT_UNLIKELY(seq < buffer_.low() || (seq == 1 && received_horizon_ > 2))) {
      if (!is_restart(seq)) {
        if (update.msg_type != Type::kHeartbeat) {
          duplicates_dropped_.add();
        }
        return;
      }
      on_restart(read_tsc);
    }
    if (update.msg_type == Type::kHeartbeat) {
      // Carries the seq_num the next update will: every one before it exists.
      if (LLT_UNLIKELY(have_base_ && seq > expected_horizon())) {
        on_gap(read_tsc);  // a lost tail, or a late start while the exchange is idle
      }
      received_horizon_ = std::max(received_horizon_, seq);
      return;
    }
    if (LLT_UNLIKELY(have_base_ && seq > expected_horizon())) {
      on_gap(read_tsc);
    }
    received_horizon_ = std::max(received_horizon_, seq + 1);
    if (LLT_LIKELY(have_base_ && seq == next_seq_ && !blocked_ && !snapshot_pending_)) {
      if (LLT_LIKELY(out_.try_emplace(MarketEvent{update, read_tsc}))) {
        ++forwarded_;
        advance_base();
        return;
      }
      blocked_ = true;
    }
    switch (buffer_.insert(update, read_tsc)) {
      case ReorderBuffer::InsertResult::kInserted:
        break;
      case ReorderBuffer::InsertResult::kDuplicate:
      case ReorderBuffer::InsertResult::kTooOld:
        duplicates_dropped_.add();
        return;
    }
    if (LLT_UNLIKELY(have_base_ && buffer_.low() > next_seq_)) {
      have_base_ = false;  // the queue outgrew its capacity past the books: a snapshot is needed
    }
  }

  void on_snapshot_record(const exchange::MarketUpdate& record, std::uint64_t read_tsc) noexcept {
    switch (assembler_.on_record(record, read_tsc)) {
      case SnapshotAssembler::Result::kIgnored:
      case SnapshotAssembler::Result::kInProgress:
        return;
      case SnapshotAssembler::Result::kAbandoned:
        snapshots_discarded_.add();
        return;
      case SnapshotAssembler::Result::kTooLarge:
        snapshots_too_large_.add();
        return;
      case SnapshotAssembler::Result::kComplete:
        try_apply_snapshot(read_tsc);
        return;
    }
  }

  void try_apply_snapshot(std::uint64_t read_tsc) noexcept {
    const exchange::SeqNum last = assembler_.last_incremental_seq();
    const bool newer = !have_base_ || last + 1 > next_seq_;
    if (!newer || !buffer_.contains_all(last + 1, received_horizon_)) {
      snapshots_unusable_.add();
      assembler_.reset();
      return;
    }
    snapshot_pending_ = true;
    snapshot_pos_ = 0;
    have_base_ = true;
    next_seq_ = last + 1;
    buffer_.advance_to(next_seq_);
    next_seq_counter_.set(next_seq_);
    finish_recovery(read_tsc, /*healed=*/false);
  }

  void on_gap(std::uint64_t read_tsc) noexcept {
    gaps_detected_.add();
    if (!recovering_) {
      start_recovery(read_tsc);
    }
  }

  void on_restart(std::uint64_t read_tsc) noexcept {
    restarts_detected_.add();
    have_base_ = false;
    received_horizon_ = 0;
    next_seq_ = 1;
    buffer_.reset(1);
    if (!snapshot_pending_) {
      assembler_.reset();  // a snapshot of the old exchange
    }
    if (!recovering_) {
      start_recovery(read_tsc);
    }
  }

  void start_recovery(std::uint64_t read_tsc) noexcept {
    recovering_ = true;
    replay_filled_ = false;
    ++recovery_number_;
    recovery_start_tsc_ = read_tsc;
    if (!snapshot_pending_) {
      assembler_.reset();  // datagrams left over from an earlier recovery
    }
    recoveries_started_.add();
    recovering_counter_.set(1);
  }

  void finish_recovery(std::uint64_t end_tsc, bool healed) noexcept {
    recovering_ = false;
    const std::uint64_t ns =
        end_tsc > recovery_start_tsc_ ? clock_.ticks_to_ns(end_tsc - recovery_start_tsc_) : 0;
    recovery_ns_.record(ns);
    last_recovery_ns_.set(ns);
    if (ns > max_recovery_ns_.load()) {
      max_recovery_ns_.set(ns);
    }
    if (!healed) {
      recoveries_completed_.add();
      snapshot_recovery_ns_.record(ns);
      record_max(last_snapshot_ns_, max_snapshot_ns_, ns);
    } else if (replay_filled_) {
      recoveries_by_replay_.add();
      replay_recovery_ns_.record(ns);
      record_max(last_replay_ns_, max_replay_ns_, ns);
    } else {
      gaps_healed_.add();
    }
    replay_filled_ = false;
    recovering_counter_.set(0);
  }

  static void record_max(common::SingleWriterCounter& last, common::SingleWriterCounter& max,
                         std::uint64_t ns) noexcept {
    last.set(ns);
    if (ns > max.load()) {
      max.set(ns);
    }
  }

  void advance_base() noexcept {
    ++next_seq_;
    buffer_.advance_to(next_seq_);
  }

  int publish_forwarded(std::uint64_t pushed) noexcept {
    forwarded_ += pushed;
    if (forwarded_ != 0) {
      events_forwarded_.add(forwarded_);
      forwarded_ = 0;
    }
    next_seq_counter_.set(next_seq_);
    if (LLT_UNLIKELY(buffer_.evicted() != queue_evictions_.load())) {
      queue_evictions_.set(buffer_.evicted());
    }
    return static_cast<int>(pushed);
  }

  MarketEventQueue& out_;
  const common::TscClock& clock_;
  const std::uint64_t restart_window_;
  DatagramLossFilter loss_;
  ReorderBuffer buffer_;
  SnapshotAssembler assembler_;

  bool have_base_ = true;  // the books downstream are complete up to next_seq_ - 1
  bool recovering_ = false;
  bool blocked_ = false;           // the output queue was full: flush() before reading more
  bool snapshot_pending_ = false;  // an applied snapshot is being forwarded
  bool replay_filled_ = false;     // replayed records went into this recovery
  std::uint64_t recovery_number_ = 0;
  std::size_t snapshot_pos_ = 0;   // next record of it to push
  exchange::SeqNum next_seq_ = 1;  // the books start empty, before seq 1
  // One past the highest seq_num received (an update's + 1, a heartbeat's own) in this epoch.
  exchange::SeqNum received_horizon_ = 0;
  std::uint64_t recovery_start_tsc_ = 0;
  std::uint64_t last_tsc_ = 0;
  std::uint64_t forwarded_ = 0;  // pushed since the counter was last published
  common::LatencyHistogram recovery_ns_;
  common::LatencyHistogram replay_recovery_ns_;
  common::LatencyHistogram snapshot_recovery_ns_;

  // Read by other threads (status line): kept off the lines the hot fields live on.
  alignas(common::kCacheLineSize) common::SingleWriterCounter incremental_datagrams_;
  common::SingleWriterCounter snapshot_datagrams_;
  common::SingleWriterCounter events_forwarded_;
  common::SingleWriterCounter next_seq_counter_;
  common::SingleWriterCounter gaps_detected_;
  common::SingleWriterCounter recoveries_started_;
  common::SingleWriterCounter recoveries_completed_;
  common::SingleWriterCounter gaps_healed_;
  common::SingleWriterCounter snapshots_discarded_;
  common::SingleWriterCounter snapshots_unusable_;
  common::SingleWriterCounter snapshots_too_large_;
  common::SingleWriterCounter duplicates_dropped_;
  common::SingleWriterCounter malformed_dropped_;
  common::SingleWriterCounter loss_knob_drops_;
  common::SingleWriterCounter restarts_detected_;
  common::SingleWriterCounter receive_errors_;
  common::SingleWriterCounter queue_evictions_;
  common::SingleWriterCounter last_recovery_ns_;
  common::SingleWriterCounter max_recovery_ns_;
  common::SingleWriterCounter recovering_counter_;
  common::SingleWriterCounter recoveries_by_replay_;
  common::SingleWriterCounter replay_records_;
  common::SingleWriterCounter replay_unused_;
  common::SingleWriterCounter last_replay_ns_;
  common::SingleWriterCounter max_replay_ns_;
  common::SingleWriterCounter last_snapshot_ns_;
  common::SingleWriterCounter max_snapshot_ns_;
};

}  // namespace llt::trading
