#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

namespace llt::exchange {

// A journal that cannot be used: corrupt, foreign, of another version, unreadable. Thrown at
// start-up only (JournalReader::scan, the JournalWriter constructor). what() reads
// "FILE offset N: PROBLEM".
class JournalError : public std::runtime_error {
 public:
  JournalError(std::string file_path, std::uint64_t byte_offset, const std::string& problem)
      : std::runtime_error(file_path + " offset " + std::to_string(byte_offset) + ": " + problem),
        file(std::move(file_path)),
        offset(byte_offset) {}

  std::string file;      // the journal file (or the directory) at fault
  std::uint64_t offset;  // byte offset in that file; 0 for a header or the file as a whole
};

// The text of an errno value, for the problem part of a JournalError.
inline std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace llt::exchange
