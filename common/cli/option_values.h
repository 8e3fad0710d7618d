#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Validation of command-line values shared by both executables (cold code). Each parser takes
// the flag's name so the error says which flag and why, e.g.
// "--port: '70000' is out of range 1-65535".
namespace llt::common {

// A bad command-line value; what() names the flag and the reason.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A decimal integer in [min, max]: digits only, no sign, no whitespace anywhere.
[[nodiscard]] std::uint64_t parse_unsigned(std::string_view flag, std::string_view text,
                                           std::uint64_t min, std::uint64_t max);
// A decimal number in [min, max] ("0.25", "-1", "1e-3"): no hexadecimal, inf, nan or whitespace.
[[nodiscard]] double parse_double(std::string_view flag, std::string_view text, double min,
                                  double max);

// A TCP/UDP port, 1-65535.
[[nodiscard]] std::uint16_t parse_port(std::string_view flag, std::string_view text);

// A comma-separated, non-empty list of distinct ids in [min, max] ("1,2,3"), no whitespace.
[[nodiscard]] std::vector<std::uint32_t> parse_id_list(std::string_view flag, std::string_view text,
                                                       std::uint32_t min, std::uint32_t max);

// A comma-separated list of CPU numbers, each below available CPUs, no whitespace; "" is the
// empty list (the flag's default: not pinned).
[[nodiscard]] std::vector<int> parse_cpu_list(std::string_view flag, std::string_view text);

// The snapshot stream's port: `text` when the flag was given, else multicast_port + 1. Refuses
// the incremental stream's own port and a default past 65535.
[[nodiscard]] std::uint16_t parse_snapshot_port(std::string_view flag,
                                                const std::optional<std::string>& text,
                                                std::uint16_t multicast_port);

// A dotted-quad IPv4 address; returns it unchanged.
[[nodiscard]] std::string parse_ipv4_text(std::string_view flag, std::string_view text);

// An IPv4 address, or a host name resolved to its first IPv4 address with getaddrinfo (start-up
// only: it may block on DNS). Returns the dotted quad; a name that does not resolve is an error
// naming the flag.
[[nodiscard]] std::string parse_ipv4_host(std::string_view flag, std::string_view text);

// An IPv4 multicast group (224.0.0.0/4).
[[nodiscard]] std::string parse_multicast_group_text(std::string_view flag, std::string_view text);

// A local IPv4 address to send multicast from or join on: not 0.0.0.0, not multicast.
[[nodiscard]] std::string parse_multicast_interface_text(std::string_view flag,
                                                         std::string_view text);

// One of `choices`; returns it.
[[nodiscard]] std::string parse_choice(std::string_view flag, std::string_view text,
                                       const std::vector<std::string_view>& choices);

// How the program writes an output file: opened where it is (a log, a CSV, a JSON summary;
// appending or truncating), or written as a new file PATH.tmp then renamed over PATH (a state
// file).
enum class OutputWrite { kInPlace, kReplacedByRename };

// A file the program will write (at start-up, while running or on exit), checked while the
// flags are read so that a run is not lost to a path that cannot be written: refused when it
// is a directory; when it exists and is written in place, when it cannot be opened for writing
// (a regular file is opened without truncating it; a pipe or device is not opened, only
// access() is asked); else when its folder does not exist or is not a folder, or when the file
// the program would create (PATH, or PATH.tmp when replaced by rename) cannot be created: it is
// created and removed at once. Empty: no file, nothing to check.
void check_output_file(std::string_view flag, const std::string& path,
                       OutputWrite how = OutputWrite::kInPlace);

// One output file of a program: its flag, its path (empty: none) and how it is written.
struct OutputFile {
  std::string_view flag;
  std::string_view path;
  OutputWrite how = OutputWrite::kInPlace;
};

// check_output_file() of each, then no two of them may be the same regular file (or the same
// file still to be made), however spelled ("out.csv", "./out.csv", its absolute path, a path
// through a symbolic link): one would overwrite the other. Device files and pipes (/dev/null,
// /dev/stdout) may be named more than once.
void check_output_files(std::initializer_list<OutputFile> files);

}  // namespace llt::common
