#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/client_request.h"
#include "exchange/protocol/reject_reason.h"

// The journal's on-disk format, version 1 (docs/journal.md): files DIR/journal-NNNNNN.lltj,
// each a 64-byte header then 56-byte records, little-endian and packed.
namespace llt::exchange {

static_assert(std::endian::native == std::endian::little,
              "docs/journal.md: the journal is little-endian and written with memcpy");

inline constexpr std::uint32_t kJournalVersion = 1;
inline constexpr std::size_t kJournalHeaderSize = 64;
inline constexpr std::size_t kJournalRecordSize = 56;
inline constexpr char kJournalMagic[8] = {'L', 'L', 'T', 'J', 'R', 'N', 'L', '\0'};
// File numbers have six digits: journal-000001.lltj .. journal-999999.lltj.
inline constexpr std::uint32_t kJournalMaxFileNumber = 999'999;

// JournalRecord::kind. Any other value makes the record bad.
enum class JournalRecordKind : std::uint8_t {
  kRequest = 1,        // a NEW, CANCEL or MODIFY the session layer passed, as received
  kCancelAll = 2,      // cancel-on-disconnect of request.client_id
  kLogon = 3,          // request.client_id logged on; request.flags as in its LOGON
  kSessionReject = 4,  // a request the session layer rejected with `reason` (numbered response)
};

inline constexpr std::size_t kJournalRecordKindCount = 5;  // index by the value; 0 unused

[[nodiscard]] constexpr bool is_valid(JournalRecordKind kind) noexcept {
  return kind >= JournalRecordKind::kRequest && kind <= JournalRecordKind::kSessionReject;
}

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(JournalRecordKind kind) noexcept {
  switch (kind) {
    case JournalRecordKind::kRequest:
      return "REQUEST";
    case JournalRecordKind::kCancelAll:
      return "CANCEL_ALL";
    case JournalRecordKind::kLogon:
      return "LOGON";
    case JournalRecordKind::kSessionReject:
      return "SESSION_REJECT";
  }
  return "UNKNOWN";
}

// The first 64 bytes of every journal file.
struct [[gnu::packed]] JournalFileHeader {
  char magic[8] = {};               // kJournalMagic
  std::uint32_t version = 0;        // kJournalVersion
  std::uint32_t record_size = 0;    // kJournalRecordSize
  std::uint32_t file_number = 0;    // as in the file's name
  std::uint32_t reserved = 0;       // 0
  std::uint64_t first_index = 0;    // index of the file's first record (1 in the first file)
  std::uint8_t reserved2[28] = {};  // 0
  std::uint32_t crc32c = 0;         // of bytes [0, 60)
};

static_assert(sizeof(JournalFileHeader) == kJournalHeaderSize, "docs/journal.md: 64 bytes");
static_assert(std::is_trivially_copyable_v<JournalFileHeader> &&
                  std::is_standard_layout_v<JournalFileHeader>,
              "written and read as raw bytes (memcpy)");
static_assert(offsetof(JournalFileHeader, magic) == 0, "file offset");
static_assert(offsetof(JournalFileHeader, version) == 8, "file offset");
static_assert(offsetof(JournalFileHeader, record_size) == 12, "file offset");
static_assert(offsetof(JournalFileHeader, file_number) == 16, "file offset");
static_assert(offsetof(JournalFileHeader, reserved) == 20, "file offset");
static_assert(offsetof(JournalFileHeader, first_index) == 24, "file offset");
static_assert(offsetof(JournalFileHeader, reserved2) == 32, "file offset");
static_assert(offsetof(JournalFileHeader, crc32c) == 60, "file offset; the crc covers [0, 60)");

// One state-changing input of the exchange, 56 bytes.
struct [[gnu::packed]] JournalRecord {
  std::uint32_t crc32c = 0;  // of bytes [4, 56)
  JournalRecordKind kind = JournalRecordKind::kRequest;
  RejectReason reason = RejectReason::kNone;  // kSessionReject only, else kNone
  std::uint16_t reserved = 0;                 // 0
  std::uint64_t index = 0;                    // 1, 2, 3, ... across files
  ClientRequest request;

  friend bool operator==(const JournalRecord&, const JournalRecord&) = default;
};

static_assert(sizeof(JournalRecord) == kJournalRecordSize, "docs/journal.md: 56 bytes");
static_assert(std::is_trivially_copyable_v<JournalRecord> &&
                  std::is_standard_layout_v<JournalRecord>,
              "written and read as raw bytes (memcpy)");
static_assert(offsetof(JournalRecord, crc32c) == 0, "file offset");
static_assert(offsetof(JournalRecord, kind) == 4, "file offset; the crc covers [4, 56)");
static_assert(offsetof(JournalRecord, reason) == 5, "file offset");
static_assert(offsetof(JournalRecord, reserved) == 6, "file offset");
static_assert(offsetof(JournalRecord, index) == 8, "file offset");
static_assert(offsetof(JournalRecord, request) == 16, "file offset");

// The bytes a record's crc covers.
inline constexpr std::size_t kJournalRecordCrcOffset = offsetof(JournalRecord, kind);
inline constexpr std::size_t kJournalRecordCrcBytes = kJournalRecordSize - kJournalRecordCrcOffset;
// The bytes a header's crc covers.
inline constexpr std::size_t kJournalHeaderCrcBytes = offsetof(JournalFileHeader, crc32c);

// The header of file `file_number` whose first record has index `first_index`, crc set.
[[nodiscard]] JournalFileHeader make_journal_header(std::uint32_t file_number,
                                                    std::uint64_t first_index) noexcept;

// Cold. "journal-000042.lltj"; number must be 1 .. kJournalMaxFileNumber.
[[nodiscard]] std::string journal_file_name(std::uint32_t number);

// Cold. The number of a file named journal-NNNNNN.lltj (six digits, 1 or more); nullopt for
// any other name.
[[nodiscard]] std::optional<std::uint32_t> parse_journal_file_name(std::string_view name) noexcept;

// Writes the six digits of `number` at `out` (the NNNNNN of a file name); no allocation.
void write_journal_file_digits(std::uint32_t number, char* out) noexcept;

}  // namespace llt::exchange
