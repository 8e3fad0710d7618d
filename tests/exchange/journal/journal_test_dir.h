#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "tests/support/scratch_dir.h"

// Helpers of the journal tests: a scratch directory removed at the end, requests that differ
// record by record, and whole-file reads and writes.
namespace llt::exchange::test {

// A scratch directory for a journal, with the path of its files.
class JournalTestDir : public llt::test::ScratchDir {
 public:
  JournalTestDir() : ScratchDir("llt-journal") {}

  [[nodiscard]] std::filesystem::path file(std::uint32_t number) const {
    return path() / journal_file_name(number);
  }
};

// The i-th request of a test stream (i >= 1): client 1 + i % 3, its own seq_num i.
inline ClientRequest test_request(std::uint64_t i) {
  ClientRequest request;
  request.seq_num = i;
  request.msg_type = i % 5 == 0 ? ClientRequestType::kCancel : ClientRequestType::kNew;
  request.client_id = static_cast<ClientId>(1 + i % 3);
  request.ticker_id = 1;
  request.order_id = i;
  request.side = i % 2 == 0 ? Side::kBuy : Side::kSell;
  request.price = static_cast<Price>(1000 + i % 17);
  request.qty = static_cast<Qty>(1 + i % 9);
  return request;
}

// Writes `count` REQUEST records through a JournalWriter (after a repairing scan), one commit.
inline void write_test_records(const std::filesystem::path& dir, std::uint64_t count,
                               JournalWriterOptions options = {}) {
  options.directory = dir;
  const JournalScan scan = JournalReader(dir).scan(true);
  JournalWriter writer(options, scan);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!writer.append(JournalRecordKind::kRequest, RejectReason::kNone,
                       test_request(scan.next_index + i))) {
      throw std::runtime_error("append failed");
    }
  }
  if (!writer.commit()) {
    throw std::runtime_error("commit failed");
  }
}

struct ReadBack {
  JournalScan scan;
  std::vector<JournalRecord> records;
};

inline ReadBack read_back(const std::filesystem::path& dir, bool repair,
                          std::size_t chunk_records = JournalReader::kDefaultChunkRecords) {
  ReadBack out;
  out.scan = JournalReader(dir, chunk_records)
                 .scan([&](const JournalRecord& record) { out.records.push_back(record); }, repair);
  return out;
}

inline std::vector<char> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& file, const std::vector<char>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace llt::exchange::test
