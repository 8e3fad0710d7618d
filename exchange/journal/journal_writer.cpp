#include "exchange/journal/journal_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "exchange/journal/crc32c.h"

namespace llt::exchange {
namespace {

constexpr std::size_t kDigitsFromEnd = 11;  // "NNNNNN.lltj"

}  // namespace

JournalWriter::JournalWriter(const JournalWriterOptions& options, const JournalScan& scan)
    : sync_(options.sync),
      max_file_bytes_(options.max_file_bytes),
      capacity_(options.batch_records),
      next_index_(scan.next_index) {
  if (capacity_ == 0) {
    throw std::invalid_argument("journal batch capacity: must be at least 1 record");
  }
  if (max_file_bytes_ < kJournalHeaderSize + kJournalRecordSize) {
    throw std::invalid_argument("journal max file bytes: must be at least " +
                                std::to_string(kJournalHeaderSize + kJournalRecordSize) +
                                " (a header and one record)");
  }
  if (scan.torn_tail && !scan.repaired) {
    throw JournalError(scan.torn_tail->file, scan.torn_tail->offset,
                       "torn tail still on disk (scan with repair before writing)");
  }
  buffer_ = std::make_unique<JournalRecord[]>(capacity_);
  crcs_ = std::make_unique<std::uint32_t[]>(capacity_);

  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) {
    throw JournalError(options.directory.string(), 0, "cannot create: " + ec.message());
  }
  directory_fd_.reset(::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory_fd_) {
    throw JournalError(options.directory.string(), 0, "cannot open: " + errno_text(errno));
  }
  path_ = (options.directory / journal_file_name(1)).string();
  digits_at_ = path_.size() - kDigitsFromEnd;

  if (scan.last_file_number == 0) {
    if (!create_file(1, next_index_)) {
      throw JournalError(path_, 0, "cannot create: " + errno_text(last_errno()));
    }
    return;
  }
  file_number_ = scan.last_file_number;
  write_journal_file_digits(file_number_, path_.data() + digits_at_);
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  struct stat st {};
  if (!fd_ || ::fstat(fd_.get(), &st) != 0) {
    throw JournalError(path_, 0, "cannot open for append: " + errno_text(errno));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size != scan.last_file_bytes) {
    throw JournalError(path_, size,
                       "changed since the scan (" + std::to_string(size) +
                           " bytes, the scan left " + std::to_string(scan.last_file_bytes) + ")");
  }
  file_bytes_ = size;
  file_records_ = scan.last_file_records;
}

JournalWriter::~JournalWriter() {
  if (count_ > 0 && !failed_) {
    (void)commit();
  }
}

bool JournalWriter::fail(int error) noexcept {
  failed_ = true;
  last_errno_.store(error != 0 ? error : EIO, std::memory_order_relaxed);
  return false;
}

bool JournalWriter::write_all(const void* data, std::size_t size) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_.get(), bytes, size);
    writes_.add();
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errno);
    }
    if (n == 0) {
      return fail(EIO);
    }
    const auto written = static_cast<std::size_t>(n);
    bytes += written;
    size -= written;
    file_bytes_ += written;
    bytes_.add(written);
  }
  return true;
}

bool JournalWriter::sync_file() noexcept {
  syncs_.add();
  return ::fdatasync(fd_.get()) == 0 || fail(errno);
}

bool JournalWriter::create_file(std::uint32_t number, std::uint64_t first_index) noexcept {
  if (number > kJournalMaxFileNumber) {
    return fail(EFBIG);
  }
  write_journal_file_digits(number, path_.data() + digits_at_);
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!fd_) {
    return fail(errno);
  }
  files_created_.add();
  file_number_ = number;
  file_bytes_ = 0;
  file_records_ = 0;
  const JournalFileHeader header = make_journal_header(number, first_index);
  if (!write_all(&header, sizeof header)) {
    return false;
  }
  if (sync_ == JournalSync::kBatch) {
    // The new name must survive a power loss too, before records go to it.
    if (!sync_file()) {
      return false;
    }
    syncs_.add();
    if (::fsync(directory_fd_.get()) != 0) {
      return fail(errno);
    }
  }
  return true;
}

bool JournalWriter::rotate(std::uint64_t first_index) noexcept {
  // With kBatch the records of the full file are made durable before it is left: the sync at
  // the end of the commit covers only the new file.
  if (sync_ == JournalSync::kBatch && !sync_file()) {
    return false;
  }
  return create_file(file_number_ + 1, first_index);
}

bool JournalWriter::commit() noexcept {
  if (failed_) {
    return false;
  }
  if (count_ == 0) {
    return true;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer_.get());
  crc32c_blocks(bytes + kJournalRecordCrcOffset, kJournalRecordSize, kJournalRecordCrcBytes, count_,
                crcs_.get());
  for (std::size_t i = 0; i < count_; ++i) {
    buffer_[i].crc32c = crcs_[i];
  }
  std::size_t done = 0;
  while (done < count_) {
    const std::uint64_t room =
        (max_file_bytes_ - std::min(file_bytes_, max_file_bytes_)) / kJournalRecordSize;
    if (room == 0 && file_records_ > 0) {
      if (!rotate(buffer_[done].index)) {
        return false;
      }
      continue;
    }
    // A file holds at least one record, whatever max_file_bytes says.
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(std::max<std::uint64_t>(room, 1), count_ - done));
    if (!write_all(bytes + done * kJournalRecordSize, n * kJournalRecordSize)) {
      return false;
    }
    file_records_ += n;
    done += n;
  }
  if (sync_ == JournalSync::kBatch && !sync_file()) {
    return false;
  }
  count_ = 0;
  commits_.add();
  return true;
}

}  // namespace llt::exchange
