#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "common/concurrent/single_writer_counter.h"
#include "common/error.h"
#include "common/net/socket_fd.h"
#include "exchange/journal/journal_format.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_sync.h"

namespace llt::exchange {

struct JournalWriterOptions {
  std::filesystem::path directory;
  JournalSync sync = JournalSync::kNone;
  std::size_t batch_records = 4096;                       // buffer capacity, records (>= 1)
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;  // a file never grows past this
                                                          // (>= header + one record)
};

// Appends records to the journal (docs/journal.md, Writing). Built at start-up after
// JournalReader::scan validated (and repaired) the directory: it continues the last file, or
// creates journal-000001.lltj, and numbers records from the scan's next_index. append() and
// commit() allocate nothing, throw nothing and format nothing; they belong to one thread (the
// order server's). The counters may be read from any thread.
class JournalWriter {
 public:
  // Throws JournalError when the scan left a torn tail on disk (repair = false) or the last
  // file changed since, or a file cannot be opened or created; std::invalid_argument on bad
  // options.
  JournalWriter(const JournalWriterOptions& options, const JournalScan& scan);
  // Commits what is buffered (its result is in the counters) and closes the file.
  ~JournalWriter();

  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Copies a record into the buffer with the next index; nothing reaches the file before
  // commit(), which checksums the records it writes. A full buffer is committed first. Returns
  // false, appending nothing, when that commit fails or the writer failed before (see commit()).
  // Writer thread only.
  [[nodiscard]] LLT_ALWAYS_INLINE bool append(JournalRecordKind kind, RejectReason reason,
                                              const ClientRequest& request) noexcept {
    if (count_ == capacity_ || failed_) [[unlikely]] {
      if (failed_ || !commit()) {
        return false;
      }
    }
    JournalRecord& record = buffer_[count_++];
    record.kind = kind;
    record.reason = reason;
    record.reserved = 0;
    record.index = next_index_++;
    record.request = request;
    records_.add();
    return true;
  }

  // Checksums every buffered record (several at a time: crc32c_blocks) and writes them: one
  // write() per file it goes to, looping on short writes and EINTR; a file that would pass
  // max_file_bytes is closed and the next one created. Then fdatasync() with JournalSync::kBatch.
  // True when nothing was buffered or all of it was written (and synced). False on an I/O error:
  // last_errno() says which, and the writer stays failed (every later append and commit returns
  // false): after a failed write or fsync the file's state is unknown, and nothing more may be
  // acknowledged. Writer thread only.
  [[nodiscard]] bool commit() noexcept;

  // Writer thread only.
  [[nodiscard]] std::size_t buffered() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t next_index() const noexcept { return next_index_; }
  [[nodiscard]] std::uint32_t file_number() const noexcept { return file_number_; }
  [[nodiscard]] bool failed() const noexcept { return failed_; }

  // Any thread.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_.load(); }
  [[nodiscard]] std::uint64_t commits() const noexcept { return commits_.load(); }  // non-empty
  [[nodiscard]] std::uint64_t writes() const noexcept { return writes_.load(); }    // write() calls
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_.load(); }      // headers too
  [[nodiscard]] std::uint64_t syncs() const noexcept { return syncs_.load(); }  // fdatasync/fsync
  [[nodiscard]] std::uint64_t files_created() const noexcept { return files_created_.load(); }
  // errno of the failure; 0 while none.
  [[nodiscard]] int last_errno() const noexcept {
    return last_errno_.load(std::memory_order_relaxed);
  }

 private:
  bool write_all(const void* data, std::size_t size) noexcept;
  bool sync_file() noexcept;
  bool create_file(std::uint32_t number, std::uint64_t first_index) noexcept;
  bool rotate(std::uint64_t first_index) noexcept;
  bool fail(int error) noexcept;

  JournalSync sync_;
  std::uint64_t max_file_bytes_;
  std::size_t capacity_;
  std::unique_ptr<JournalRecord[]> buffer_;
  std::unique_ptr<std::uint32_t[]> crcs_;  // commit()'s checksums of the buffered records
  std::size_t count_ = 0;
  std::uint64_t next_index_;

  std::string path_;  // DIR/journal-NNNNNN.lltj; the digits are rewritten in place on rotation
  std::size_t digits_at_;
  common::SocketFd directory_fd_;  // any descriptor: the directory, for fsync
  common::SocketFd fd_;            // the file being appended to
  std::uint32_t file_number_ = 0;
  std::uint64_t file_bytes_ = 0;
  std::uint64_t file_records_ = 0;

  common::SingleWriterCounter records_;
  common::SingleWriterCounter commits_;
  common::SingleWriterCounter writes_;
  common::SingleWriterCounter bytes_;
  common::SingleWriterCounter syncs_;
  common::SingleWriterCounter files_created_;
  bool failed_ = false;
  std::atomic<int> last_errno_{0};
};

}  // namespace llt::exchange
