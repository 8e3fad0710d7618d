#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/concurrent/idle_strategy.h"
#include "common/net/io_status.h"
#include "common/net/mcast_socket.h"
#include "tests/support/md_book_rebuilder.h"
#include "tests/support/multicast_channel.h"

// A market data subscriber for tests: the consumer side of docs/protocol.md's market data on
// loopback, written for clarity. Reused by the exchange's in-process and process-level tests and
// the trading client's tests.
namespace llt::test {

// One test's market data channels: random_multicast_channel()'s group and port for the
// incremental stream, the snapshot port next to it.
struct MdChannel {
  std::string group;
  std::uint16_t port = 0;
  std::uint16_t snapshot_port = 0;
};

inline MdChannel md_random_channel() {
  MulticastChannel incremental = random_multicast_channel();
  return {std::move(incremental.group), incremental.port,
          static_cast<std::uint16_t>(incremental.port + 1)};
}

// Asks for a receive buffer of `bytes` (the kernel caps it at net.core.rmem_max), so a burst
// is not dropped while the test thread is busy elsewhere. Returns what the kernel granted.
inline int md_grow_receive_buffer(const common::McastReceiver& receiver, int bytes = 8 << 20) {
  ::setsockopt(receiver.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  int granted = 0;
  socklen_t length = sizeof(granted);
  ::getsockopt(receiver.fd(), SOL_SOCKET, SO_RCVBUF, &granted, &length);
  return granted;
}

// Subscribes to the incremental stream (joined at construction) and, when needed, to the
// snapshot stream.
//
// UDP keeps no order between two sockets, and loopback delivery can even reorder datagrams of
// one stream (a sender thread that moves between CPUs while one CPU's receive backlog waits),
// so updates ahead of the next expected seq_num are held in a pending map and applied once
// contiguous; the rebuilder only ever sees the stream in order.
//  Mode::kFromStart: expects the stream from seq 1. A hole that is never filled is reported
//    by errors(); a duplicate or stale update is an error.
//  Mode::kRecover: a late joiner. At start, and at every gap (an update or a HEARTBEAT ahead
//    of the next expected seq), it recovers as docs/recovery.md says: joins the snapshot
//    stream, queues incrementals, waits for a complete snapshot that the queue continues (the
//    first queued seq is at most the snapshot's + 1), rebuilds the books from it, applies the
//    queued updates after it, and leaves the snapshot stream. Updates older than its books
//    (delivered after the snapshot that covers them) are ignored and counted in stale().
// listen_to_snapshots(true) keeps the snapshot stream joined regardless, and every complete
// snapshot is in snapshots().last(): a test compares it with the rebuilt books.
//
// Thread contract: not thread-safe; one test thread.
class MdSubscriber {
 public:
  enum class Mode { kFromStart, kRecover };

  explicit MdSubscriber(const MdChannel& channel, Mode mode = Mode::kFromStart,
                        std::string_view interface = "127.0.0.1")
      : incremental_(channel.group, channel.port, interface, common::McastJoin::kNow),
        snapshot_(channel.group, channel.snapshot_port, interface, common::McastJoin::kLater),
        mode_(mode),
        recovering_(mode == Mode::kRecover),
        rebuilder_(1) {
    md_grow_receive_buffer(incremental_);
    md_grow_receive_buffer(snapshot_);
    if (recovering_) {
      join_snapshot();
    }
  }

  // Reads what both sockets hold (up to kMaxDatagramsPerPoll each). Returns the number of
  // datagrams read.
  std::size_t poll() {
    std::size_t datagrams = 0;
    std::array<unsigned char, 2048> buffer{};
    for (std::size_t i = 0; i < kMaxDatagramsPerPoll; ++i) {
      const common::IoResult result = incremental_.receive(buffer.data(), buffer.size());
      if (!read_ok(result, "incremental")) {
        break;
      }
      ++datagrams;
      if (!md_for_each_record(buffer.data(), result.bytes,
                              [&](const MarketUpdate& r) { on_incremental(r); })) {
        error(fmt::format("incremental datagram of {} bytes is not whole records", result.bytes));
      }
    }
    if (snapshot_.joined()) {
      for (std::size_t i = 0; i < kMaxDatagramsPerPoll; ++i) {
        const common::IoResult result = snapshot_.receive(buffer.data(), buffer.size());
        if (!read_ok(result, "snapshot")) {
          break;
        }
        ++datagrams;
        if (!md_for_each_record(buffer.data(), result.bytes, [&](const MarketUpdate& r) {
              if (snapshots_.on_record(r)) {
                on_snapshot();
              }
            })) {
          error(fmt::format("snapshot datagram of {} bytes is not whole records", result.bytes));
        }
      }
    }
    return datagrams;
  }

  // Polls until done() holds or `limit` passes. Returns done().
  template <typename Done>
  bool poll_until(Done done, std::chrono::milliseconds limit) {
    common::BackoffIdleStrategy idle({.max_spins = 100,
                                      .max_yields = 10,
                                      .min_sleep = std::chrono::microseconds(10),
                                      .max_sleep = std::chrono::microseconds(500)});
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return done();
      }
      idle.idle(static_cast<int>(poll()));
    }
    return true;
  }

  void listen_to_snapshots(bool on) {
    listening_ = on;
    if (on) {
      join_snapshot();
    } else if (!recovering_) {
      leave_snapshot();
    }
  }

  // True when the books are current (not recovering).
  [[nodiscard]] bool synced() const { return !recovering_; }
  [[nodiscard]] const MdBooks& books() const { return rebuilder_.books(); }
  [[nodiscard]] SeqNum next_seq() const { return rebuilder_.next_seq(); }
  [[nodiscard]] const MdBookRebuilder& rebuilder() const { return rebuilder_; }
  [[nodiscard]] const MdSnapshotAssembler& snapshots() const { return snapshots_; }
  // Recoveries completed, and the snapshot the last one started from.
  [[nodiscard]] std::uint64_t recoveries() const { return recoveries_; }
  [[nodiscard]] const std::optional<MdSnapshot>& recovered_from() const { return recovered_from_; }
  // Incrementals queued during recoveries and applied after their snapshot.
  [[nodiscard]] std::uint64_t queued_applied() const { return queued_applied_; }
  [[nodiscard]] bool snapshot_joined() const { return snapshot_.joined(); }

  // Updates older than the books, ignored (Mode::kRecover).
  [[nodiscard]] std::uint64_t stale() const { return stale_; }
  // Times an update arrived ahead of a hole (reordered or lost).
  [[nodiscard]] std::uint64_t out_of_order() const { return out_of_order_; }

  // Every problem seen: the rebuilder's, the snapshot assembler's and the sockets', and a hole
  // in the stream not yet filled when synced.
  [[nodiscard]] std::vector<std::string> errors() const {
    std::vector<std::string> all = errors_;
    if (!recovering_ && !pending_.empty()) {
      all.push_back(fmt::format("seq {} to {} never arrived", rebuilder_.next_seq(),
                                pending_.begin()->first - 1));
    }
    all.insert(all.end(), rebuilder_.errors().begin(), rebuilder_.errors().end());
    all.insert(all.end(), snapshots_.errors().begin(), snapshots_.errors().end());
    return all;
  }

 private:
  // More than a full receive buffer holds, so one poll empties it; a bound all the same.
  static constexpr std::size_t kMaxDatagramsPerPoll = 16'384;

  bool read_ok(const common::IoResult& result, std::string_view stream) {
    if (result.status == common::IoStatus::kOk) {
      return true;
    }
    if (result.status != common::IoStatus::kWouldBlock) {
      error(fmt::format("{} receive: {} errno {}", stream, common::to_string(result.status),
                        result.error));
    }
    return false;
  }

  void on_incremental(const MarketUpdate& update) {
    if (update.msg_type == MarketUpdateType::kHeartbeat) {
      if (!recovering_ && pending_.empty()) {
        if (mode_ == Mode::kRecover && update.seq_num > rebuilder_.next_seq()) {
          start_recovery();  // a lost tail
        } else {
          rebuilder_.on_record(update);  // checks that it carries the next seq
        }
      }
      return;
    }
    if (!recovering_ && update.seq_num < rebuilder_.next_seq()) {
      ++stale_;
      if (mode_ == Mode::kFromStart) {
        error(fmt::format("duplicate or stale update (next expected {}): {}", rebuilder_.next_seq(),
                          update));
      }
      return;
    }
    if (!pending_.emplace(update.seq_num, update).second) {
      error(fmt::format("update received twice: {}", update));
    }
    if (recovering_) {
      return;
    }
    apply_pending();
    if (!pending_.empty()) {
      ++out_of_order_;
      if (mode_ == Mode::kRecover) {
        start_recovery();
      }
    }
  }

  // Applies the pending updates that continue the books. Returns how many.
  std::uint64_t apply_pending() {
    std::uint64_t applied = 0;
    while (!pending_.empty() && pending_.begin()->first <= rebuilder_.next_seq()) {
      if (pending_.begin()->first == rebuilder_.next_seq()) {
        rebuilder_.on_record(pending_.begin()->second);
        ++applied;
      }
      pending_.erase(pending_.begin());
    }
    return applied;
  }

  void start_recovery() {
    recovering_ = true;
    join_snapshot();
  }

  void on_snapshot() {
    if (!recovering_) {
      return;
    }
    const MdSnapshot& snapshot = *snapshots_.last();
    if (!pending_.empty() && pending_.begin()->first > snapshot.last_incremental_seq + 1) {
      return;  // taken before updates this subscriber missed: wait for a newer one
    }
    rebuilder_.load(snapshot);
    queued_applied_ += apply_pending();
    ++recoveries_;
    recovered_from_ = snapshot;
    if (!pending_.empty()) {
      ++out_of_order_;
      return;  // a hole after the snapshot: stay recovering, wait for the next one
    }
    recovering_ = false;
    if (!listening_) {
      leave_snapshot();
    }
  }

  void join_snapshot() {
    if (const common::IoResult result = snapshot_.join(); !result.ok()) {
      error(fmt::format("snapshot join failed: errno {}", result.error));
    }
  }
  void leave_snapshot() {
    if (const common::IoResult result = snapshot_.leave(); !result.ok()) {
      error(fmt::format("snapshot leave failed: errno {}", result.error));
    }
  }

  void error(std::string text) { errors_.push_back(std::move(text)); }

  common::McastReceiver incremental_;
  common::McastReceiver snapshot_;
  const Mode mode_;
  bool recovering_;
  bool listening_ = false;
  MdBookRebuilder rebuilder_;
  MdSnapshotAssembler snapshots_;
  std::map<SeqNum, MarketUpdate> pending_;  // received, ahead of the books
  std::optional<MdSnapshot> recovered_from_;
  std::uint64_t recoveries_ = 0;
  std::uint64_t queued_applied_ = 0;
  std::uint64_t stale_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace llt::test
