// Fuzz target (4): the journal's recovery scan (exchange/journal/, docs/journal.md) on
// arbitrary directory contents.
//
// The input's first byte picks the shape: raw bytes written as 1-3 journal files, or 1-3
// files built with valid headers and records (valid crcs, kinds, reasons and indices, so the
// scan gets past them) and then damaged: bytes flipped, files cut short, garbage appended,
// indices skipped. The reader reads with a chunk of 1-8 records so that records straddle its
// reads.
//
// What must hold, for every input:
//  - a scan without repair refuses with JournalError or succeeds; it never changes a file;
//  - a scan with repair refuses exactly when the scan without repair did (same file and
//    offset), else delivers the same records and the same torn tail, and repaired says
//    whether there was one;
//  - after a repair, a second scan succeeds with no torn tail and the same records;
//  - delivered records are numbered 1, 2, 3, ...;
//  - a JournalWriter built on the repaired scan appends records that the next scan returns
//    after the old ones, with no torn tail.
#include <fmt/format.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "exchange/journal/crc32c.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace fs = std::filesystem;
using llt::exchange::ClientRequest;
using llt::exchange::JournalError;
using llt::exchange::JournalReader;
using llt::exchange::JournalRecord;
using llt::exchange::JournalRecordKind;
using llt::exchange::JournalScan;
using llt::exchange::JournalWriter;
using llt::exchange::RejectReason;
using llt::fuzz::FuzzInput;

constexpr std::size_t kHeader = llt::exchange::kJournalHeaderSize;
constexpr std::size_t kRecord = llt::exchange::kJournalRecordSize;

// One scratch directory for the process, emptied before each input.
const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "llt-journal-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      llt::fuzz::fail("mkdtemp failed");
    }
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch_dir(), ec);
    });
    return fs::path(pattern);
  }();
  return dir;
}

using Files = std::vector<std::vector<std::uint8_t>>;

void write_files(const fs::path& dir, const Files& files) {
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::ofstream out(dir / llt::exchange::journal_file_name(static_cast<std::uint32_t>(i + 1)),
                      std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(files[i].data()),
              static_cast<std::streamsize>(files[i].size()));
  }
}

Files read_files(const fs::path& dir, std::size_t count) {
  Files files;
  for (std::size_t i = 0; i < count; ++i) {
    const fs::path path = dir / llt::exchange::journal_file_name(static_cast<std::uint32_t>(i + 1));
    std::ifstream in(path, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

Files raw_files(FuzzInput& in) {
  Files files(in.range(1, 3));
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::size_t want = i + 1 == files.size() ? in.remaining() : in.u16() % 1024;
    const std::uint8_t* bytes = nullptr;
    const std::size_t n = in.take(want, bytes);
    files[i].assign(bytes, bytes + n);
  }
  return files;
}

void append_bytes(std::vector<std::uint8_t>& file, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  file.insert(file.end(), bytes, bytes + size);
}

Files built_files(FuzzInput& in) {
  Files files(in.range(1, 3));
  std::uint64_t index = 1;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const llt::exchange::JournalFileHeader header =
        llt::exchange::make_journal_header(static_cast<std::uint32_t>(i + 1), index);
    append_bytes(files[i], &header, sizeof header);
    const std::uint32_t records = in.range(0, 12);
    for (std::uint32_t r = 0; r < records; ++r) {
      JournalRecord record;
      const std::uint8_t shape = in.u8();
      record.kind = static_cast<JournalRecordKind>(1 + shape % 4);
      record.reason = record.kind == JournalRecordKind::kSessionReject
                          ? static_cast<RejectReason>(1 + in.u8() % 21)
                          : RejectReason::kNone;
      record.index = index++;
      if ((shape & 0xF0U) == 0xF0U) {
        record.index = record.index + in.range(0, 2) - 1;  // a skipped or repeated index
      }
      const std::uint8_t* bytes = nullptr;
      const std::size_t n = in.take(sizeof(ClientRequest), bytes);
      std::memcpy(&record.request, bytes, n);
      record.crc32c = llt::exchange::crc32c(
          reinterpret_cast<const std::uint8_t*>(&record) + llt::exchange::kJournalRecordCrcOffset,
          llt::exchange::kJournalRecordCrcBytes);
      append_bytes(files[i], &record, sizeof record);
    }
  }
  // Damage: 0-3 operations.
  for (std::uint32_t op = in.range(0, 3); op > 0; --op) {
    auto& file = files[in.u8() % files.size()];
    const std::uint8_t what = in.u8() % 3;
    const std::size_t at = file.empty() ? 0 : in.u16() % file.size();
    if (what == 0 && !file.empty()) {
      file[at] ^= static_cast<std::uint8_t>(1U << (in.u8() % 8));
    } else if (what == 1) {
      file.resize(at);
    } else {
      const std::uint8_t* bytes = nullptr;
      const std::size_t n = in.take(in.range(1, 120), bytes);
      file.insert(file.end(), bytes, bytes + n);
    }
  }
  return files;
}

struct Outcome {
  std::optional<JournalError> error;
  JournalScan scan;
  std::vector<JournalRecord> records;
};

Outcome scan(const fs::path& dir, std::size_t chunk_records, bool repair) {
  Outcome out;
  try {
    out.scan =
        JournalReader(dir, chunk_records)
            .scan([&](const JournalRecord& record) { out.records.push_back(record); }, repair);
  } catch (const JournalError& error) {
    out.error = error;
  }
  for (std::size_t i = 0; i < out.records.size(); ++i) {
    const std::uint64_t index = out.records[i].index;
    LLT_FUZZ_CHECK(index == i + 1, "record {} has index {}", i + 1, index);
  }
  return out;
}

bool same_torn_tail(const JournalScan& a, const JournalScan& b) {
  if (a.torn_tail.has_value() != b.torn_tail.has_value()) {
    return false;
  }
  return !a.torn_tail ||
         (a.torn_tail->file == b.torn_tail->file && a.torn_tail->offset == b.torn_tail->offset &&
          a.torn_tail->bytes_cut == b.torn_tail->bytes_cut);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint8_t mode = in.u8();
  const std::size_t chunk_records = 1 + in.u8() % 8;
  const fs::path& dir = scratch_dir();
  for (const auto& entry : fs::directory_iterator(dir)) {
    fs::remove_all(entry.path());
  }
  const Files files = (mode & 1U) != 0 ? raw_files(in) : built_files(in);
  write_files(dir, files);

  const Outcome plain = scan(dir, chunk_records, false);
  LLT_FUZZ_CHECK(read_files(dir, files.size()) == files, "a scan without repair changed a file");

  const Outcome repaired = scan(dir, chunk_records, true);
  if (plain.error) {
    LLT_FUZZ_CHECK(repaired.error.has_value(), "repair accepted what the plain scan refused: {}",
                   plain.error->what());
    LLT_FUZZ_CHECK(
        repaired.error->file == plain.error->file && repaired.error->offset == plain.error->offset,
        "different errors: '{}' and '{}'", plain.error->what(), repaired.error->what());
    LLT_FUZZ_CHECK(read_files(dir, files.size()) == files, "a refused repair changed a file");
    return 0;
  }
  LLT_FUZZ_CHECK(!repaired.error, "repair refused what the plain scan accepted: {}",
                 repaired.error->what());
  LLT_FUZZ_CHECK(repaired.records == plain.records, "repair delivered other records");
  LLT_FUZZ_CHECK(same_torn_tail(plain.scan, repaired.scan), "repair saw another torn tail");
  LLT_FUZZ_CHECK(repaired.scan.repaired == repaired.scan.torn_tail.has_value(),
                 "repaired {} with torn tail {}", repaired.scan.repaired,
                 repaired.scan.torn_tail.has_value());

  const Outcome again = scan(dir, chunk_records, false);
  LLT_FUZZ_CHECK(!again.error, "the repaired journal is refused: {}", again.error->what());
  LLT_FUZZ_CHECK(!again.scan.torn_tail, "the repaired journal still has a torn tail: {}",
                 again.scan.torn_tail->problem);
  LLT_FUZZ_CHECK(again.records == plain.records, "the repaired journal lost or gained records");
  LLT_FUZZ_CHECK(again.scan.next_index == repaired.scan.next_index, "next index moved");

  // The exchange then appends to it.
  const std::uint32_t appended = in.range(1, 3);
  {
    JournalWriter writer({dir, llt::exchange::JournalSync::kNone, 2, kHeader + kRecord * 3},
                         again.scan);
    for (std::uint32_t i = 0; i < appended; ++i) {
      ClientRequest request;
      request.seq_num = i;
      LLT_FUZZ_CHECK(writer.append(JournalRecordKind::kRequest, RejectReason::kNone, request),
                     "append failed, errno {}", writer.last_errno());
    }
    LLT_FUZZ_CHECK(writer.commit(), "commit failed, errno {}", writer.last_errno());
  }
  const Outcome after = scan(dir, chunk_records, false);
  LLT_FUZZ_CHECK(!after.error, "refused after appending: {}", after.error->what());
  LLT_FUZZ_CHECK(!after.scan.torn_tail, "torn tail after appending");
  LLT_FUZZ_CHECK(after.records.size() == plain.records.size() + appended,
                 "{} records after appending {} to {}", after.records.size(), appended,
                 plain.records.size());
  return 0;
}
