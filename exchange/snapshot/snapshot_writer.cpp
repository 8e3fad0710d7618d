#include "exchange/snapshot/snapshot_writer.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "common/concurrent/thread_utils.h"
#include "exchange/journal/crc32c.h"
#include "exchange/journal/journal_error.h"
#include "exchange/journal/journal_reader.h"

namespace llt::exchange {
namespace {

namespace fs = std::filesystem;

constexpr int kSnapshotNice = 19;

constexpr std::size_t kTailChunkRecords = 4096;

}  // namespace

JournalTail::JournalTail(fs::path directory, std::uint64_t next_index)
    : directory_(std::move(directory)), next_index_(next_index), records_(kTailChunkRecords) {}

JournalTail::~JournalTail() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool JournalTail::open_file_with(std::uint64_t index) {
  std::uint32_t best = 0;
  std::uint64_t best_first = 0;
  for (const std::uint32_t number : list_journal_files(directory_)) {
    const auto header = read_journal_file_header(directory_, number);
    if (header && header->first_index <= index) {
      best = number;
      best_first = header->first_index;
    }
  }
  if (best == 0 || best == file_number_) {
    return false;
  }
  const std::string path = (directory_ / journal_file_name(best)).string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
  file_number_ = best;
  file_first_index_ = best_first;
  return true;
}

bool JournalTail::fill() {
  if (position_ < count_) {
    return true;
  }
  position_ = 0;
  count_ = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !open_file_with(next_index_)) {
      return false;
    }
    const std::uint64_t offset =
        kJournalHeaderSize + (next_index_ - file_first_index_) * kJournalRecordSize;
    const ssize_t n = ::pread(fd_, records_.data(), records_.size() * kJournalRecordSize,
                              static_cast<off_t>(offset));
    const std::size_t whole = n > 0 ? static_cast<std::size_t>(n) / kJournalRecordSize : 0;
    for (std::size_t i = 0; i < whole; ++i) {
      const JournalRecord& record = records_[i];
      const auto* bytes = reinterpret_cast<const unsigned char*>(&record);
      if (record.index != next_index_ + i ||
          crc32c(bytes + kJournalRecordCrcOffset, kJournalRecordCrcBytes) != record.crc32c) {
        break;
      }
      ++count_;
    }
    if (count_ > 0) {
      next_index_ += count_;
      return true;
    }
    // Nothing more here: the writer may have gone on to the next file, which then starts
    // exactly at next_index (else this file is still being written).
    const auto next = read_journal_file_header(directory_, file_number_ + 1);
    if (!next || next->first_index != next_index_) {
      return false;
    }
    ::close(fd_);
    fd_ = -1;
    file_number_ = 0;
  }
  return false;
}

SnapshotWriter::SnapshotWriter(const SnapshotWriterOptions& options,
                               const MatchingEngineOptions& engine, std::size_t max_clients,
                               std::size_t replay_depth, const StateSnapshot& start)
    : options_(options),
      engine_(std::make_unique<MatchingEngine>(engine, requests_, responses_, updates_)),
      // Its snapshots keep each client's newest kept_responses responses and no more, so its
      // copy of the streams needs no deeper rings (docs/snapshots.md).
      streams_(std::make_unique<ClientStreams>(
          max_clients, std::max<std::size_t>(1, std::min(replay_depth, options.kept_responses)))),
      replay_(std::make_unique<DayReplay>(*engine_, requests_, responses_, updates_, *streams_,
                                          options.directory.string())),
      tail_(options.directory, start.next_index) {
  replay_->keep_md_tail(options.md_tail);
  replay_->restore(start, "the exchange's state at start-up");
  last_index_.store(start.next_index);
}

SnapshotWriter::~SnapshotWriter() {
  stop();
}

void SnapshotWriter::start() {
  thread_ = common::start_thread("llt-snapshots", std::nullopt, [this] {
    // Optional work (the journal alone makes a restart whole): it yields to every thread at the
    // default priority on its CPU (docs/snapshots.md). Lowering one's own priority needs no
    // privilege; a refusal leaves the default.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kSnapshotNice);
    run();
  });
}

void SnapshotWriter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    // A clean stop leaves a snapshot of the whole day: the next start replays nothing.
    (void)run_once(/*force=*/true);
  }
}

void SnapshotWriter::run() {
  for (;;) {
    (void)run_once();
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                       [this] { return stopping_; })) {
      return;
    }
  }
}

std::uint64_t SnapshotWriter::run_once(bool force) {
  if (failures_.load() != 0) {
    return 0;
  }
  std::uint64_t applied = 0;
  try {
    for (;;) {
      const std::size_t n = tail_.read(
          [&](const JournalRecord& record) {
            replay_->apply(record);
            ++since_snapshot_;
          },
          kTailChunkRecords);
      applied += n;
      replay_->drain();
      if (since_snapshot_ >= options_.every_records) {
        write_snapshot();
      }
      if (n == 0) {
        break;
      }
    }
    if (force && since_snapshot_ > 0) {
      write_snapshot();
    }
  } catch (const std::exception& error) {
    failures_.fetch_add(1);
    std::fprintf(stderr, "exchange: snapshots stopped: %s\n", error.what());
  }
  applied_.fetch_add(applied);
  return applied;
}

void SnapshotWriter::write_snapshot() {
  const StateSnapshot snapshot = replay_->capture(options_.kept_responses);
  (void)write_state_snapshot(options_.directory, snapshot);
  since_snapshot_ = 0;
  snapshots_.fetch_add(1);
  last_index_.store(snapshot.next_index);
  if (options_.prune) {
    pruned_.fetch_add(prune(options_.directory, snapshot.next_index, stderr));
  }
}

std::uint64_t SnapshotWriter::prune(const fs::path& directory, std::uint64_t next_index,
                                    std::FILE* log) {
  std::uint64_t removed = 0;
  auto remove = [&](const fs::path& path, const std::string& why) {
    std::error_code ec;
    if (fs::remove(path, ec)) {
      ++removed;
      if (log != nullptr) {
        std::fprintf(log, "exchange: removed %s (%s)\n", path.string().c_str(), why.c_str());
      }
    }
  };
  const std::vector<std::uint32_t> numbers = list_journal_files(directory);
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    const auto following = read_journal_file_header(directory, numbers[i + 1]);
    if (numbers[i + 1] != numbers[i] + 1 || !following || following->first_index > next_index) {
      break;
    }
    remove(directory / journal_file_name(numbers[i]),
           "every record before " + std::to_string(following->first_index) + ", in snapshot " +
               snapshot_file_name(next_index));
  }
  for (const fs::path& snapshot : list_snapshots(directory)) {
    const auto index = parse_snapshot_file_name(snapshot.filename().string());
    if (index && *index < next_index) {
      remove(snapshot, "older than " + snapshot_file_name(next_index));
    }
  }
  return removed;
}

}  // namespace llt::exchange
