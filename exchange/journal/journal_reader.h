#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "exchange/journal/journal_error.h"
#include "exchange/journal/journal_format.h"

namespace llt::exchange {

// The journal files of `directory` by number, ascending. Throws JournalError when the
// directory cannot be listed or holds a name shaped like a journal file's that is not one
// (journal-12.lltj); other names are not the journal's and are left alone.
[[nodiscard]] std::vector<std::uint32_t> list_journal_files(const std::filesystem::path& directory);

// The header of journal file `number` of `directory` when the file exists and its header is
// whole, ours and intact; else nullopt.
[[nodiscard]] std::optional<JournalFileHeader> read_journal_file_header(
    const std::filesystem::path& directory, std::uint32_t number);

// A write cut short at the end of the last file (docs/journal.md, Torn tail).
struct JournalTornTail {
  std::string file;             // path of the last file
  std::uint64_t offset = 0;     // where the journal's valid part of that file ends
  std::uint64_t bytes_cut = 0;  // bytes from offset to the end of the file
  std::string problem;          // what was found at offset, e.g. "record crc mismatch"
};

// What a scan found. After a repair the directory holds exactly the valid part.
struct JournalScan {
  std::uint32_t files = 0;             // files with a valid header
  std::uint32_t files_skipped = 0;     // files before from_index, not read
  std::uint32_t last_file_number = 0;  // the last of those; 0 when there is none
  std::uint64_t last_file_bytes = 0;   // valid bytes of that file (header + whole records)
  std::uint64_t last_file_records = 0;
  std::uint64_t first_index = 1;  // index of the first record kept (above 1 after a prune)
  std::uint64_t records = 0;      // valid records delivered
  std::uint64_t next_index = 1;   // index of the next record to write
  std::optional<JournalTornTail> torn_tail;
  bool repaired = false;  // torn_tail was cut off the disk (file truncated or removed)
};

// Reads and checks a journal directory at start-up (cold). Not thread-safe; one scan at a time.
class JournalReader {
 public:
  // Records per read() (default 74,898: 4 MiB less a few bytes).
  static constexpr std::size_t kDefaultChunkRecords = (std::size_t{4} << 20) / kJournalRecordSize;

  explicit JournalReader(std::filesystem::path directory,
                         std::size_t chunk_records = kDefaultChunkRecords);

  // Checks every file of the directory in number order and calls on_record(const
  // JournalRecord&) for each valid record, in index order; the record is only valid during the
  // call. A torn tail of the last file is reported in the result (and with repair, cut off
  // the disk with ftruncate + fsync, or the file removed when its header is torn); the records
  // before it are delivered. An empty or missing directory is zero records. Throws
  // JournalError on corruption, a foreign file, another version or an I/O error; records
  // before the fault may have been delivered by then.
  //
  // from_index: a restart from a state snapshot needs only the records from there on; a file
  // every record of which is before it (the next file starts at or before from_index) is
  // neither read nor checked, and its records are not delivered (docs/snapshots.md).
  template <typename OnRecord>
  JournalScan scan(OnRecord&& on_record, bool repair, std::uint64_t from_index = 1) {
    using Fn = std::remove_reference_t<OnRecord>;
    return scan_impl(
        [](void* context, const JournalRecord& record) { (*static_cast<Fn*>(context))(record); },
        const_cast<void*>(static_cast<const void*>(&on_record)), repair, from_index);
  }

  // Checks without delivering records.
  JournalScan scan(bool repair) {
    return scan([](const JournalRecord&) {}, repair);
  }

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  using Sink = void (*)(void* context, const JournalRecord& record);

  JournalScan scan_impl(Sink sink, void* context, bool repair, std::uint64_t from_index);

  std::filesystem::path directory_;
  std::size_t chunk_records_;
};

}  // namespace llt::exchange
