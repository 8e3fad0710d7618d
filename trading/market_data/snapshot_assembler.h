#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"
#include "trading/trading_messages.h"

namespace llt::trading {

// Collects one snapshot from the snapshot stream (docs/protocol.md, Snapshot stream) into an array
// allocated at construction, so that it can be checked whole before anything of it is forwarded:
//
//   SNAPSHOT_START (seq 0, order_id = S), then per ticker CLEAR and its ADDs, then
//   SNAPSHOT_END (order_id = S), the records numbered 0, 1, 2, ... within the snapshot.
//
// A hole in those numbers (a lost datagram), a record out of place or an END whose S differs
// abandons the snapshot; the assembler then ignores records until the next SNAPSHOT_START with
// seq 0. A snapshot larger than the array is abandoned too (counted apart: a capacity to raise).
//
// Thread contract: not thread-safe; the market data consumer's thread.
class SnapshotAssembler {
 public:
  enum class Result : std::uint8_t {
    kIgnored,     // no snapshot in progress (joined mid-snapshot, or after an abandon)
    kInProgress,  // record taken
    kComplete,    // this SNAPSHOT_END completed a snapshot: records() holds it
    kAbandoned,   // a hole in the numbering or a malformed snapshot: waiting for the next START
    kTooLarge,    // the snapshot does not fit the array: waiting for the next START
  };

  // capacity: records per snapshot, framing included; >= 2. Throws std::invalid_argument
  // naming the value otherwise.
  explicit SnapshotAssembler(std::size_t capacity) : capacity_(check(capacity)) {
    records_ = std::make_unique<MarketEvent[]>(capacity_);  // every page touched now
  }

  [[nodiscard]] Result on_record(const exchange::MarketUpdate& record,
                                 std::uint64_t read_tsc) noexcept {
    using exchange::MarketUpdateType;
    if (record.msg_type == MarketUpdateType::kSnapshotStart) {
      const bool abandoned = assembling_;
      assembling_ = record.seq_num == 0;
      size_ = 0;
      complete_ = false;
      if (assembling_) {
        last_incremental_seq_ = record.order_id;
        append(record, read_tsc);
      }
      return abandoned ? Result::kAbandoned
                       : (assembling_ ? Result::kInProgress : Result::kIgnored);
    }
    if (!assembling_) {
      return Result::kIgnored;
    }
    const bool in_place =
        record.seq_num == size_ && (record.msg_type == MarketUpdateType::kClear ||
                                    (record.msg_type == MarketUpdateType::kAdd && size_ > 1 &&
                                     record.ticker_id == ticker_id_) ||
                                    (record.msg_type == MarketUpdateType::kSnapshotEnd &&
                                     record.order_id == last_incremental_seq_));
    if (!in_place) {
      assembling_ = false;
      return Result::kAbandoned;
    }
    if (size_ == capacity_) {
      assembling_ = false;
      return Result::kTooLarge;
    }
    append(record, read_tsc);
    if (record.msg_type == MarketUpdateType::kClear) {
      ticker_id_ = record.ticker_id;
    }
    if (record.msg_type != MarketUpdateType::kSnapshotEnd) {
      return Result::kInProgress;
    }
    assembling_ = false;
    complete_ = true;
    return Result::kComplete;
  }

  // Forgets a snapshot in progress or complete (the next one starts at a SNAPSHOT_START).
  void reset() noexcept {
    assembling_ = false;
    complete_ = false;
    size_ = 0;
  }

  // The records of the last complete snapshot, START to END, each with the read_tsc of the
  // datagram that carried it. Valid while complete() and until the next on_record or reset.
  [[nodiscard]] bool complete() const noexcept { return complete_; }
  [[nodiscard]] const MarketEvent* records() const noexcept { return records_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // S: the last incremental seq_num the snapshot includes.
  [[nodiscard]] exchange::SeqNum last_incremental_seq() const noexcept {
    return last_incremental_seq_;
  }
  [[nodiscard]] bool assembling() const noexcept { return assembling_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  static std::size_t check(std::size_t capacity) {
    if (capacity < 2 || capacity > (std::size_t{1} << 30)) {
      throw std::invalid_argument("snapshot capacity must be in [2, 2^30] records, got " +
                                  std::to_string(capacity));
    }
    return capacity;
  }

  void append(const exchange::MarketUpdate& record, std::uint64_t read_tsc) noexcept {
    records_[size_].update = record;
    records_[size_].read_tsc = read_tsc;
    ++size_;
  }

  const std::size_t capacity_;
  std::unique_ptr<MarketEvent[]> records_;
  std::size_t size_ = 0;
  exchange::SeqNum last_incremental_seq_ = 0;
  exchange::TickerId ticker_id_ = 0;  // of the last CLEAR: the ADDs that follow are its
  bool assembling_ = false;
  bool complete_ = false;
};

}  // namespace llt::trading
