#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/journal/journal_format.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/order_server/client_streams.h"
#include "exchange/snapshot/day_replay.h"
#include "exchange/snapshot/state_snapshot.h"

namespace llt::exchange {

struct SnapshotWriterOptions {
  std::filesystem::path directory;          // the journal's
  std::uint64_t every_records = 1'000'000;  // a snapshot once this many records follow the last
  bool prune = false;  // --journal-prune: remove what the newest snapshot makes unneeded
  // Each client's newest responses a snapshot keeps for replay after a restart.
  std::size_t kept_responses = 65'536;
  // The last market data records a snapshot keeps (0: none, no replay server).
  std::size_t md_tail = 0;
  std::uint32_t poll_ms = 50;  // how often the journal is read for new records
};

// Reads the records a live journal's files hold from one index on, as they are committed
// (docs/snapshots.md). A record that is not whole yet, or not yet written, ends a
// read; the next read tries again from there. Cold: the snapshot writer's thread.
class JournalTail {
 public:
  JournalTail(std::filesystem::path directory, std::uint64_t next_index);
  ~JournalTail();
  JournalTail(const JournalTail&) = delete;
  JournalTail& operator=(const JournalTail&) = delete;

  // Calls fn(const JournalRecord&) for up to max_records records, in index order. Returns how
  // many.
  template <class Fn>
  std::size_t read(Fn&& fn, std::size_t max_records) {
    std::size_t delivered = 0;
    while (delivered < max_records) {
      if (!fill()) {
        break;
      }
      for (; position_ < count_ && delivered < max_records; ++position_, ++delivered) {
        fn(records_[position_]);
      }
    }
    return delivered;
  }

  [[nodiscard]] std::uint64_t next_index() const noexcept { return next_index_; }

 private:
  // Loads the next valid records into the buffer (position_ < count_ after). False when none.
  bool fill();
  bool open_file_with(std::uint64_t index);

  std::filesystem::path directory_;
  std::uint64_t next_index_;
  int fd_ = -1;
  std::uint32_t file_number_ = 0;
  std::uint64_t file_first_index_ = 0;
  std::vector<JournalRecord> records_;
  std::size_t position_ = 0;
  std::size_t count_ = 0;
};

// Periodic state snapshots (docs/snapshots.md). Keeps a copy of the exchange's state
// of its own -- an engine, client streams and the market data numbering -- advanced by the
// journal's records as they are committed, and writes a snapshot file every every_records
// records. The exchange's agents never wait for it: it reads the files the order server
// writes, on a thread of its own, at the cost of replaying each record a second time there.
// With prune, after each snapshot it removes the journal files every record of which the
// snapshot includes and the older snapshots, and names each file it removed on stderr.
//
// A failure (a snapshot that cannot be written) is counted and reported on stderr once; the
// exchange goes on without snapshots.
class SnapshotWriter {
 public:
  // start: the exchange's state when its agents start (its start-up's capture).
  SnapshotWriter(const SnapshotWriterOptions& options, const MatchingEngineOptions& engine,
                 std::size_t max_clients, std::size_t replay_depth, const StateSnapshot& start);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void start();
  // Idempotent. Joins the thread, then (once the agents have stopped, so every record is in the
  // journal) writes a last snapshot if any record came after the previous one.
  void stop();

  // One pass on the calling thread (tests, or before start()): applies every committed record
  // and writes a snapshot if one is due (or force and any record came since the last).
  // Returns the records applied.
  std::uint64_t run_once(bool force = false);

  [[nodiscard]] std::uint64_t snapshots() const noexcept { return snapshots_.load(); }
  [[nodiscard]] std::uint64_t last_snapshot_index() const noexcept { return last_index_.load(); }
  [[nodiscard]] std::uint64_t records_applied() const noexcept { return applied_.load(); }
  [[nodiscard]] std::uint64_t files_pruned() const noexcept { return pruned_.load(); }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_.load(); }

  // Removes the journal files every record of which is before next_index (never the last
  // file) and the snapshots older than the one at next_index; names each on `log` if not null.
  // Returns the files removed. Cold.
  static std::uint64_t prune(const std::filesystem::path& directory, std::uint64_t next_index,
                             std::FILE* log);

 private:
  void run();
  void write_snapshot();

  SnapshotWriterOptions options_;
  RequestQueue requests_{1 << 14};
  ResponseQueue responses_{1 << 16};
  UpdateQueue updates_{1 << 16};
  std::unique_ptr<MatchingEngine> engine_;
  std::unique_ptr<ClientStreams> streams_;
  std::unique_ptr<DayReplay> replay_;
  JournalTail tail_;
  std::uint64_t since_snapshot_ = 0;

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;

  std::atomic<std::uint64_t> snapshots_{0};
  std::atomic<std::uint64_t> last_index_{0};
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> pruned_{0};
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace llt::exchange
