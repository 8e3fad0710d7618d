#include "common/cli/option_values.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "common/concurrent/thread_utils.h"
#include "common/net/socket_address.h"

namespace llt::common {

namespace {

// What OutputWrite::kReplacedByRename writes first, beside the file: PATH.tmp, as
// trading::write_session_state() does.
constexpr char kRenameSuffix[] = ".tmp";

[[noreturn]] void fail(std::string_view flag, std::string_view text, std::string_view why) {
  throw UsageError(fmt::format("{}: '{}' {}", flag, text, why));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Numbers are refused with any whitespace in them: " 7" or "1 ,2" is more likely a quoting slip
// than what was meant, and a value that is read differently from how it was typed is worse than
// an error.
void refuse_whitespace(std::string_view flag, std::string_view text) {
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      fail(flag, text, "contains whitespace");
    }
  }
}

// [+-] digits [. [digits]] or [+-] . digits, then an optional exponent e[+-]digits: what
// strtod() reads as a decimal number, without the hexadecimal ("0x1p-1"), "inf" and "nan" forms
// it also takes, so that a floating-point flag takes the numbers an integer flag would.
bool is_decimal_number(std::string_view text) {
  std::size_t at = 0;
  const auto digits = [&] {
    const std::size_t from = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9')
      ++at;
    return at - from;
  };
  if (at < text.size() && (text[at] == '+' || text[at] == '-'))
    ++at;
  std::size_t mantissa = digits();
  if (at < text.size() && text[at] == '.') {
    ++at;
    mantissa += digits();
  }
  if (mantissa == 0)
    return false;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    if (at < text.size() && (text[at] == '+' || text[at] == '-'))
      ++at;
    if (digits() == 0)
      return false;
  }
  return at == text.size();
}

// Opens an existing file for writing, without emptying it, and closes it: 0, or the errno of
// the open. O_NONBLOCK: should it be a pipe, the open does not wait for a reader.
int open_for_writing_error(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  ::close(fd);
  return 0;
}

}  // namespace

std::uint64_t parse_unsigned(std::string_view flag, std::string_view text, std::uint64_t min,
                             std::uint64_t max) {
  refuse_whitespace(flag, text);
  std::uint64_t result = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size()) {
    fail(flag, text, "is not a non-negative integer");
  }
  if (error == std::errc::result_out_of_range || result < min || result > max) {
    fail(flag, text, fmt::format("is out of range {}-{}", min, max));
  }
  return result;
}

double parse_double(std::string_view flag, std::string_view text, double min, double max) {
  refuse_whitespace(flag, text);
  if (!is_decimal_number(text)) {
    fail(flag, text, "is not a decimal number (such as 0.25 or 1e-3)");
  }
  const std::string value(text);
  char* end = nullptr;
  errno = 0;
  const double result = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size()) {
    fail(flag, text, "is not a decimal number (such as 0.25 or 1e-3)");
  }
  // A number past what a double holds (1e400) is out of range like any other; one too close to
  // 0 for a double (1e-320) would be read as another value.
  if (errno == ERANGE && std::abs(result) < 1.0) {
    fail(flag, text, "is too close to 0");
  }
  if (!std::isfinite(result) || result < min || result > max) {
    fail(flag, text, fmt::format("is out of range {}-{}", min, max));
  }
  return result;
}

std::uint16_t parse_port(std::string_view flag, std::string_view text) {
  return static_cast<std::uint16_t>(parse_unsigned(flag, text, 1, 65535));
}

std::vector<std::uint32_t> parse_id_list(std::string_view flag, std::string_view text,
                                         std::uint32_t min, std::uint32_t max) {
  std::vector<std::uint32_t> ids;
  std::set<std::uint32_t> seen;
  refuse_whitespace(flag, text);
  if (text.empty()) {
    fail(flag, text, "is empty: expected a comma-separated list such as 1,2,3");
  }
  std::string_view rest = text;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (item.empty()) {
      fail(flag, text, "has an empty element: expected a comma-separated list such as 1,2,3");
    }
    const auto id = static_cast<std::uint32_t>(parse_unsigned(flag, item, min, max));
    if (!seen.insert(id).second) {
      fail(flag, text, fmt::format("lists {} twice", id));
    }
    ids.push_back(id);
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
  }
  return ids;
}

std::vector<int> parse_cpu_list(std::string_view flag, std::string_view text) {
  std::vector<int> cpus;
  if (text.empty())
    return cpus;
  const auto limit = static_cast<std::uint32_t>(available_cpus() - 1);
  for (std::uint32_t cpu : parse_id_list(flag, text, 0, limit)) {
    cpus.push_back(static_cast<int>(cpu));
  }
  return cpus;
}

std::string parse_ipv4_text(std::string_view flag, std::string_view text) {
  try {
    (void)parse_ipv4(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
  return std::string(text);
}

std::string parse_ipv4_host(std::string_view flag, std::string_view text) {
  const std::string name(trim(text));
  if (name.empty()) {
    fail(flag, text, "is empty: expected an IPv4 address or a host name");
  }
  try {
    return format_ipv4(parse_ipv4(name));
  } catch (const std::invalid_argument&) {
    // Not a dotted quad: a host name.
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int error = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (error != 0 || found == nullptr) {
    fail(flag, text,
         fmt::format("does not resolve to an IPv4 address ({})",
                     error != 0 ? ::gai_strerror(error) : "no address"));
  }
  sockaddr_in address{};
  std::memcpy(&address, found->ai_addr, sizeof(address));
  ::freeaddrinfo(found);
  return format_ipv4(address.sin_addr);
}

std::string parse_multicast_group_text(std::string_view flag, std::string_view text) {
  try {
    (void)parse_multicast_group(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
  return std::string(text);
}

std::string parse_multicast_interface_text(std::string_view flag, std::string_view text) {
  try {
    (void)parse_multicast_interface(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: {}", flag, e.what()));
  }
  return std::string(text);
}

std::uint16_t parse_snapshot_port(std::string_view flag, const std::optional<std::string>& text,
                                  std::uint16_t multicast_port) {
  std::uint16_t port = 0;
  if (text.has_value()) {
    port = parse_port(flag, *text);
  } else if (multicast_port == 65535) {
    throw UsageError(
        fmt::format("{}: the default (multicast port + 1) is past 65535; give one", flag));
  } else {
    port = static_cast<std::uint16_t>(multicast_port + 1);
  }
  if (port == multicast_port) {
    throw UsageError(fmt::format("{}: '{}' is the incremental stream's port", flag, port));
  }
  return port;
}

std::string parse_choice(std::string_view flag, std::string_view text,
                         const std::vector<std::string_view>& choices) {
  for (std::string_view choice : choices) {
    if (text == choice)
      return std::string(text);
  }
  fail(flag, text, fmt::format("is not one of: {}", fmt::join(choices, ", ")));
}

void check_output_file(std::string_view flag, const std::string& path, OutputWrite how) {
  if (path.empty()) {
    return;
  }
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (fs::is_directory(status)) {
    fail(flag, path, "is a directory, not a file");
  }
  if (status.type() == fs::file_type::none) {  // stat() failed other than "no such file"
    fail(flag, path, fmt::format("cannot be written: {}", error.message()));
  }
  if (fs::exists(status) && how == OutputWrite::kInPlace) {
    // Opened for writing where it is. A regular file is opened for writing now (not truncated):
    // access() judges by permission bits, which root passes whatever they say. A pipe or a
    // device (/dev/null, a terminal) is not opened: that could wait for a reader or act on the
    // device.
    if (fs::is_regular_file(status)) {
      if (const int open_error = open_for_writing_error(path); open_error != 0) {
        fail(flag, path,
             fmt::format("cannot be written: {}", std::generic_category().message(open_error)));
      }
    } else if (::access(path.c_str(), W_OK) != 0) {
      fail(flag, path,
           fmt::format("cannot be written: {}", std::generic_category().message(errno)));
    }
    return;
  }
  // A new file, or one replaced by a renamed new file: its folder must take new files.
  const fs::path parent = fs::path(path).parent_path();
  const fs::path folder = parent.empty() ? fs::path(".") : parent;
  const fs::file_status folder_status = fs::status(folder, error);
  if (folder_status.type() == fs::file_type::not_found) {
    fail(flag, path,
         fmt::format("cannot be written: its folder '{}' does not exist", folder.string()));
  }
  if (folder_status.type() == fs::file_type::none) {
    fail(flag, path,
         fmt::format("cannot be written: folder '{}': {}", folder.string(), error.message()));
  }
  if (!fs::is_directory(folder_status)) {
    fail(flag, path, fmt::format("cannot be written: '{}' is not a folder", folder.string()));
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    fail(flag, path,
         fmt::format("cannot be written: folder '{}': {}", folder.string(),
                     std::generic_category().message(errno)));
  }
  // The file the program will create is created now and removed: permission bits do not say it
  // can be (root passes access() for /proc, which takes no new files).
  const std::string made = how == OutputWrite::kInPlace ? path : path + kRenameSuffix;
  const fs::file_status made_status = fs::symlink_status(made, error);
  if (made_status.type() == fs::file_type::symlink) {
    // A link to a file still to be made: O_EXCL would refuse the link itself, and the new file
    // goes where the link points.
    return;
  }
  if (fs::exists(made_status)) {
    // A temporary file left by an earlier run: the program writes over it.
    if (fs::is_directory(made_status)) {
      fail(flag, path, fmt::format("cannot be written: '{}' is a directory", made));
    }
    if (const int open_error = open_for_writing_error(made); open_error != 0) {
      fail(flag, path,
           fmt::format("cannot be written: '{}': {}", made,
                       std::generic_category().message(open_error)));
    }
    return;
  }
  int fd = -1;
  for (int attempt = 0; attempt < 3; ++attempt) {
    fd = ::open(made.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST) {
      break;
    }
    // Made meanwhile by another process (another check of the same path): written as above,
    // unless it went again before this open.
    const int open_error = open_for_writing_error(made);
    if (open_error == 0) {
      return;
    }
    if (open_error != ENOENT) {
      errno = open_error;
      break;
    }
  }
  if (fd < 0) {
    if (made == path) {
      fail(flag, path,
           fmt::format("cannot be created: {}", std::generic_category().message(errno)));
    }
    fail(flag, path,
         fmt::format("cannot be written: '{}' cannot be created: {}", made,
                     std::generic_category().message(errno)));
  }
  ::close(fd);
  ::unlink(made.c_str());
}

void check_output_files(std::initializer_list<OutputFile> files) {
  namespace fs = std::filesystem;
  // Only regular files and files still to be made can be one another: device files and pipes
  // (/dev/null, /dev/stdout) may be named by any number of flags.
  struct Seen {
    std::string_view flag;
    fs::path path;
    bool exists = false;
  };
  std::vector<Seen> seen;
  for (const OutputFile& file : files) {
    const std::string path(file.path);
    check_output_file(file.flag, path, file.how);
    if (path.empty()) {
      continue;
    }
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (fs::exists(status) && !fs::is_regular_file(status)) {
      continue;
    }
    const bool exists = fs::exists(status);
    // One file under two spellings ("out.csv", "./out.csv", "/run/dir/out.csv", a path through a
    // symbolic link) is one file: made absolute first, since weakly_canonical() leaves a
    // relative path that does not exist yet as it is.
    const fs::path absolute = fs::absolute(path, error).lexically_normal();
    fs::path resolved = fs::weakly_canonical(absolute, error);
    if (error) {
      resolved = absolute;
    }
    for (const Seen& other : seen) {
      const bool same = exists ? other.exists && fs::equivalent(other.path, resolved, error)
                               : !other.exists && other.path == resolved;
      if (same) {
        fail(file.flag, path, fmt::format("is also the file of {}: give each its own", other.flag));
      }
    }
    seen.push_back(Seen{file.flag, std::move(resolved), exists});
  }
}

}  // namespace llt::common
