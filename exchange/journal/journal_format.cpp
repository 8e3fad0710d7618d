#include "exchange/journal/journal_format.h"

#include <cstring>

#include "exchange/journal/crc32c.h"

namespace llt::exchange {
namespace {

constexpr std::string_view kPrefix = "journal-";
constexpr std::string_view kSuffix = ".lltj";
constexpr std::size_t kDigits = 6;

}  // namespace

JournalFileHeader make_journal_header(std::uint32_t file_number,
                                      std::uint64_t first_index) noexcept {
  JournalFileHeader header;
  std::memcpy(header.magic, kJournalMagic, sizeof kJournalMagic);
  header.version = kJournalVersion;
  header.record_size = kJournalRecordSize;
  header.file_number = file_number;
  header.first_index = first_index;
  header.crc32c = crc32c(&header, kJournalHeaderCrcBytes);
  return header;
}

void write_journal_file_digits(std::uint32_t number, char* out) noexcept {
  for (std::size_t i = kDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + number % 10);
    number /= 10;
  }
}

std::string journal_file_name(std::uint32_t number) {
  std::string name(kPrefix);
  name.append(kDigits, '0');
  write_journal_file_digits(number, name.data() + kPrefix.size());
  name.append(kSuffix);
  return name;
}

std::optional<std::uint32_t> parse_journal_file_name(std::string_view name) noexcept {
  if (name.size() != kPrefix.size() + kDigits + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::uint32_t number = 0;
  for (const char c : name.substr(kPrefix.size(), kDigits)) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    number = number * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (number == 0) {
    return std::nullopt;
  }
  return number;
}

}  // namespace llt::exchange
