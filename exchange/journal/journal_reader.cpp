#include "exchange/journal/journal_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "common/net/socket_fd.h"
#include "exchange/journal/crc32c.h"

namespace llt::exchange {
namespace {

namespace fs = std::filesystem;
using common::SocketFd;  // owns any file descriptor

// Reads up to `size` bytes at `offset`, looping on short reads and EINTR; returns the bytes
// read (fewer only at the end of the file). Throws on an I/O error.
std::size_t read_at(int fd, const std::string& path, std::uint8_t* out, std::size_t size,
                    std::uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw JournalError(path, offset + done, "read failed: " + errno_text(errno));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void sync_directory(const fs::path& directory) {
  const SocketFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    throw JournalError(directory.string(), 0, "cannot sync the directory: " + errno_text(errno));
  }
}

// The journal files of the directory by number, checked to run without a gap.
std::vector<std::uint32_t> list_files(const fs::path& directory) {
  std::vector<std::uint32_t> numbers = list_journal_files(directory);
  // The files run without a gap from the first one: 000001, or a later one after
  // --journal-prune removed those a snapshot made unneeded (docs/snapshots.md).
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const auto expected = static_cast<std::uint32_t>(numbers.front() + i);
    if (numbers[i] != expected) {
      throw JournalError((directory / journal_file_name(expected)).string(), 0,
                         "missing: the files go from " + journal_file_name(numbers.front()) +
                             (i == 0 ? std::string() : " to " + journal_file_name(numbers[i - 1])) +
                             ", then " + journal_file_name(numbers[i]) + " (a gap in the numbers)");
    }
  }
  return numbers;
}

void check_header(const JournalFileHeader& header, const std::string& path,
                  std::uint32_t file_number, std::uint64_t first_index) {
  if (std::memcmp(header.magic, kJournalMagic, sizeof kJournalMagic) != 0) {
    throw JournalError(path, 0, "not a journal file (bad magic)");
  }
  const std::uint32_t version = header.version;
  if (version != kJournalVersion) {
    throw JournalError(path, 0,
                       "journal version " + std::to_string(version) + ", this exchange reads " +
                           std::to_string(kJournalVersion));
  }
  if (crc32c(&header, kJournalHeaderCrcBytes) != header.crc32c) {
    throw JournalError(path, 0, "header crc mismatch");
  }
  const std::uint32_t record_size = header.record_size;
  if (record_size != kJournalRecordSize) {
    throw JournalError(path, 0,
                       "record size " + std::to_string(record_size) + ", version 1 has " +
                           std::to_string(kJournalRecordSize));
  }
  const std::uint32_t number = header.file_number;
  if (number != file_number) {
    throw JournalError(path, 0,
                       "header file number " + std::to_string(number) + ", the name says " +
                           std::to_string(file_number));
  }
  const bool reserved_zero =
      header.reserved == 0 && std::all_of(std::begin(header.reserved2), std::end(header.reserved2),
                                          [](std::uint8_t b) { return b == 0; });
  if (!reserved_zero) {
    throw JournalError(path, 0, "non-zero reserved header bytes");
  }
  const std::uint64_t first = header.first_index;
  if (first != first_index) {
    throw JournalError(
        path, 0,
        "first index " + std::to_string(first) + ", expected " + std::to_string(first_index));
  }
}

enum class RecordProblem : std::uint8_t { kNone, kCrc, kKind, kReserved, kReason, kIndex };

[[nodiscard]] bool crc_matches(const std::uint8_t* bytes) noexcept {
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes, sizeof stored);
  return crc32c(bytes + kJournalRecordCrcOffset, kJournalRecordCrcBytes) == stored;
}

[[nodiscard]] RecordProblem check_record(const std::uint8_t* bytes, const JournalRecord& record,
                                         std::uint64_t expected_index) noexcept {
  if (!crc_matches(bytes)) {
    return RecordProblem::kCrc;
  }
  if (!is_valid(record.kind)) {
    return RecordProblem::kKind;
  }
  if (record.reserved != 0) {
    return RecordProblem::kReserved;
  }
  const bool reject = record.kind == JournalRecordKind::kSessionReject;
  const auto reason = static_cast<std::size_t>(record.reason);
  if (reject ? (reason == 0 || reason >= kRejectReasonCount) : reason != 0) {
    return RecordProblem::kReason;
  }
  if (record.index != expected_index) {
    return RecordProblem::kIndex;
  }
  return RecordProblem::kNone;
}

std::string describe(RecordProblem problem, const JournalRecord& record,
                     std::uint64_t expected_index) {
  switch (problem) {
    case RecordProblem::kCrc:
      return "record crc mismatch";
    case RecordProblem::kKind:
      return "unknown record kind " + std::to_string(static_cast<unsigned>(record.kind));
    case RecordProblem::kReserved:
      return "non-zero reserved record bytes";
    case RecordProblem::kReason:
      return record.kind == JournalRecordKind::kSessionReject
                 ? "SESSION_REJECT with reason " +
                       std::to_string(static_cast<unsigned>(record.reason))
                 : "reason " + std::to_string(static_cast<unsigned>(record.reason)) + " on a " +
                       std::string(to_string(record.kind)) + " record";
    case RecordProblem::kIndex:
      return "record index " + std::to_string(std::uint64_t{record.index}) + ", expected " +
             std::to_string(expected_index);
    case RecordProblem::kNone:
      break;
  }
  return "no problem";
}

// One file being scanned.
struct FileScan {
  std::string path;
  int fd;
  std::uint64_t size;
  bool last;
};

// A bad record or a partial one at `offset`: a torn tail when it is in the last file, could
// be a write cut short (a crc mismatch or a partial record), and no later whole record of the
// file passes its crc. Otherwise throws. `buffer` is scratch.
JournalTornTail torn_or_throw(const FileScan& file, std::uint64_t offset, bool crc_failed,
                              std::string problem, std::uint8_t* buffer, std::size_t buffer_bytes) {
  if (!file.last) {
    throw JournalError(file.path, offset, problem + " (not in the last file)");
  }
  if (!crc_failed) {
    // Its crc matches: it was written whole, as it is. A cut write cannot do that.
    throw JournalError(file.path, offset, problem);
  }
  const std::size_t slots_per_read = buffer_bytes / kJournalRecordSize;
  for (std::uint64_t slot = offset + kJournalRecordSize; slot + kJournalRecordSize <= file.size;) {
    const auto whole =
        std::min<std::uint64_t>((file.size - slot) / kJournalRecordSize, slots_per_read);
    const std::size_t got = read_at(file.fd, file.path, buffer,
                                    static_cast<std::size_t>(whole * kJournalRecordSize), slot);
    if (got < kJournalRecordSize) {
      break;
    }
    for (std::size_t k = 0; k + kJournalRecordSize <= got; k += kJournalRecordSize) {
      if (crc_matches(buffer + k)) {
        throw JournalError(file.path, offset,
                           problem + " (a record with a valid crc follows at offset " +
                               std::to_string(slot + k) + ")");
      }
    }
    slot += got - got % kJournalRecordSize;
  }
  return JournalTornTail{file.path, offset, file.size - offset, std::move(problem)};
}

void cut(const FileScan& file, std::uint64_t offset) {
  const SocketFd fd(::open(file.path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0 || ::fsync(fd.get()) != 0) {
    throw JournalError(file.path, offset, "cannot cut the torn tail: " + errno_text(errno));
  }
}

}  // namespace

std::vector<std::uint32_t> list_journal_files(const fs::path& directory) {
  std::vector<std::uint32_t> numbers;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with("journal-") || !name.ends_with(".lltj")) {
      continue;
    }
    const auto number = parse_journal_file_name(name);
    if (!number) {
      throw JournalError(it->path().string(), 0,
                         "not a journal file name (journal-NNNNNN.lltj, from 000001)");
    }
    numbers.push_back(*number);
  }
  if (ec) {
    throw JournalError(directory.string(), 0, "cannot list the directory: " + ec.message());
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

std::optional<JournalFileHeader> read_journal_file_header(const fs::path& directory,
                                                          std::uint32_t number) {
  const std::string path = (directory / journal_file_name(number)).string();
  const SocketFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  JournalFileHeader header;
  if (!fd || ::pread(fd.get(), &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header) ||
      std::memcmp(header.magic, kJournalMagic, sizeof kJournalMagic) != 0 ||
      crc32c(&header, kJournalHeaderCrcBytes) != header.crc32c) {
    return std::nullopt;
  }
  return header;
}

JournalReader::JournalReader(std::filesystem::path directory, std::size_t chunk_records)
    : directory_(std::move(directory)), chunk_records_(std::max<std::size_t>(chunk_records, 1)) {}

JournalScan JournalReader::scan_impl(Sink sink, void* context, bool repair,
                                     std::uint64_t from_index) {
  JournalScan result;
  std::error_code ec;
  const fs::file_status status = fs::status(directory_, ec);
  if (status.type() == fs::file_type::not_found) {
    return result;  // a new day
  }
  if (ec) {
    throw JournalError(directory_.string(), 0, "cannot read the directory: " + ec.message());
  }
  if (!fs::is_directory(status)) {
    throw JournalError(directory_.string(), 0, "not a directory");
  }
  const std::vector<std::uint32_t> numbers = list_files(directory_);
  if (numbers.empty()) {
    return result;
  }

  const std::size_t buffer_bytes = chunk_records_ * kJournalRecordSize;
  const auto buffer = std::make_unique<std::uint8_t[]>(buffer_bytes);
  std::uint64_t next_index = 1;
  std::uint64_t first_index = 1;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    const std::uint32_t number = numbers[i];
    if (i + 1 < numbers.size() && from_index > 1) {
      const auto next = read_journal_file_header(directory_, numbers[i + 1]);
      const auto next_first = next ? std::optional<std::uint64_t>(next->first_index) : std::nullopt;
      if (next_first && *next_first <= from_index && *next_first > next_index) {
        if (i == 0 && number > 1) {
          const auto header = read_journal_file_header(directory_, number);
          first_index = header ? std::uint64_t{header->first_index} : 1;
        }
        next_index = *next_first;
        ++result.files_skipped;
        continue;
      }
    }
    FileScan file{(directory_ / journal_file_name(number)).string(), -1, 0,
                  i + 1 == numbers.size()};
    const SocketFd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
      throw JournalError(file.path, 0, "cannot open: " + errno_text(errno));
    }
    file.fd = fd.get();
    file.size = static_cast<std::uint64_t>(st.st_size);

    if (file.size < kJournalHeaderSize) {
      const std::string problem = "partial header (" + std::to_string(file.size) + " of " +
                                  std::to_string(kJournalHeaderSize) + " bytes)";
      if (!file.last) {
        throw JournalError(file.path, 0, problem + " (not in the last file)");
      }
      // A file created by a rotation whose header write was cut: it holds no record.
      result.torn_tail = JournalTornTail{file.path, 0, file.size, problem};
      if (repair) {
        if (::unlink(file.path.c_str()) != 0) {
          throw JournalError(file.path, 0, "cannot remove the torn file: " + errno_text(errno));
        }
        sync_directory(directory_);
        result.repaired = true;
      }
      break;
    }
    JournalFileHeader header;
    read_at(file.fd, file.path, reinterpret_cast<std::uint8_t*>(&header), sizeof header, 0);
    if (i == 0 && number > 1 && header.first_index > 0) {
      next_index = header.first_index;  // a pruned journal starts where its first file does
      first_index = next_index;
    }
    check_header(header, file.path, number, next_index);
    ++result.files;
    result.last_file_number = number;
    result.last_file_records = 0;

    std::uint64_t offset = kJournalHeaderSize;
    bool torn = false;
    while (offset < file.size && !torn) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer_bytes, file.size - offset));
      const std::size_t got = read_at(file.fd, file.path, buffer.get(), want, offset);
      if (got < want) {
        file.size = offset + got;  // shorter than fstat said: the end is here
      }
      const std::uint8_t* bytes = buffer.get();
      const std::size_t whole = got / kJournalRecordSize;
      JournalRecord record;
      for (std::size_t k = 0; k < whole; ++k, bytes += kJournalRecordSize) {
        std::memcpy(&record, bytes, sizeof record);
        const RecordProblem problem = check_record(bytes, record, next_index);
        if (problem != RecordProblem::kNone) [[unlikely]] {
          const std::uint64_t at = offset + k * kJournalRecordSize;
          result.torn_tail =
              torn_or_throw(file, at, problem == RecordProblem::kCrc,
                            describe(problem, record, next_index), buffer.get(), buffer_bytes);
          offset = at;
          torn = true;
          break;
        }
        sink(context, record);
        ++next_index;
        ++result.last_file_records;
      }
      if (torn) {
        break;
      }
      offset += whole * kJournalRecordSize;
      if (got % kJournalRecordSize != 0) {
        const std::size_t partial = got % kJournalRecordSize;
        result.torn_tail = torn_or_throw(file, offset, true,
                                         "partial record (" + std::to_string(partial) + " of " +
                                             std::to_string(kJournalRecordSize) + " bytes)",
                                         buffer.get(), buffer_bytes);
        torn = true;
      }
      if (got == 0) {
        break;
      }
    }
    result.last_file_bytes = offset;
    if (torn && repair) {
      cut(file, offset);
      result.repaired = true;
    }
  }
  result.first_index = first_index;
  result.records = next_index - first_index;
  result.next_index = next_index;
  return result;
}

}  // namespace llt::exchange
