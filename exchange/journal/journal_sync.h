#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace llt::exchange {

// When the journal's records reach the disk (docs/journal.md, Writing).
enum class JournalSync : std::uint8_t {
  kNone,   // write() to the page cache per commit: survives the process being killed
  kBatch,  // write() then fdatasync() per commit: survives a power loss too
};

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(JournalSync sync) noexcept {
  switch (sync) {
    case JournalSync::kNone:
      return "none";
    case JournalSync::kBatch:
      return "batch";
  }
  return "UNKNOWN";
}

// The mode named by the flag's text ("none", "batch"), or nullopt.
[[nodiscard]] constexpr std::optional<JournalSync> parse_journal_sync(
    std::string_view text) noexcept {
  for (const auto sync : {JournalSync::kNone, JournalSync::kBatch}) {
    if (text == to_string(sync)) {
      return sync;
    }
  }
  return std::nullopt;
}

}  // namespace llt::exchange
