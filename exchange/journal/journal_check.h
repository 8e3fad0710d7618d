#pragma once

#include <filesystem>
#include <iosfwd>

namespace llt::exchange {

// `exchange --journal-check DIR` (docs/journal.md, Check tool): scans DIR without repairing
// it and prints a summary to `out`: files, records by kind, first and last index, the clients
// seen with each one's request count and last REQUEST seq_num, and a "torn tail" line when the
// last file ends in one. Returns the exit code: 0 for a clean journal or one with only a torn
// tail, 1 for a corrupt, foreign or unreadable one (the line says file, offset and problem).
// Cold; never writes to DIR.
[[nodiscard]] int journal_check(const std::filesystem::path& directory, std::ostream& out);

}  // namespace llt::exchange
