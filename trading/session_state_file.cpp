#include "trading/session_state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "common/net/socket_fd.h"

namespace llt::trading {
namespace {

constexpr std::string_view kMagic = "llt-trading-state 1";

// The file's lines after kMagic, in order, each "key value\n".
constexpr std::string_view kClientIdKey = "client_id";
constexpr std::string_view kNextRequestSeqKey = "next_request_seq";
constexpr std::string_view kLastResponseSeqKey = "last_response_seq";
constexpr std::string_view kNextOrderIdKey = "next_order_id";

// The reader reads no more than this, so a huge file named by mistake is refused at once
// instead of being read into memory. The longest file the writer makes, every number at its
// largest, is 153 bytes (session_state_file_test, the_largest_numbers_round_trip); the rest is
// room for what the parser also takes (blank lines an editor left at the end).
constexpr std::size_t kMaxFileSize = 4'096;

[[noreturn]] void corrupt(const std::string& path, int line, std::string_view what) {
  throw std::runtime_error(
      fmt::format("--state-file {}: line {}: {} (not a trading state file of this version; "
                  "move it away to start a fresh day)",
                  path, line, what));
}

// "key value" with value a decimal u64.
std::uint64_t read_field(const std::string& path, int line_number, const std::string& line,
                         std::string_view key) {
  const std::string_view text(line);
  if (text.size() <= key.size() + 1 || text.substr(0, key.size()) != key ||
      text[key.size()] != ' ') {
    corrupt(path, line_number, fmt::format("expected '{} N'", key));
  }
  const std::string_view digits = text.substr(key.size() + 1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size()) {
    corrupt(path, line_number, fmt::format("'{}' is not a number", digits));
  }
  return value;
}

// The kind of a file that is not a regular one, for the message.
std::string_view file_kind(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISCHR(mode)) {
    return "a character device";
  }
  if (S_ISBLK(mode)) {
    return "a block device";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "of an unknown kind";
}

[[noreturn]] void not_regular(const std::string& path, mode_t mode) {
  throw std::runtime_error(
      fmt::format("--state-file: '{}' is not a regular file ({})", path, file_kind(mode)));
}

[[noreturn]] void too_large(const std::string& path) {
  throw std::runtime_error(fmt::format(
      "--state-file: '{}' is larger than {} bytes: not a state file", path, kMaxFileSize));
}

[[noreturn]] void cannot_read(const std::string& path, int error) {
  throw std::system_error(error, std::generic_category(), "--state-file " + path);
}

// The file's text, at most kMaxFileSize bytes, or nullopt when there is no file.
std::optional<std::string> read_text(const std::string& path) {
  struct stat named {};
  if (::stat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    cannot_read(path, errno);
  }
  // Refused before opening: a FIFO's open waits for a writer, and SIGTERM, blocked from start-up
  // until the status loop takes it (common/cli/process_main.h), could not end that wait; a
  // device such as /dev/zero never ends.
  if (!S_ISREG(named.st_mode)) {
    not_regular(path, named.st_mode);
  }
  // The path may name another file by now: O_NONBLOCK keeps a FIFO's open from waiting, and the
  // opened file is checked again.
  const common::SocketFd file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (file.get() < 0) {
    cannot_read(path, errno);
  }
  struct stat opened {};
  if (::fstat(file.get(), &opened) != 0) {
    cannot_read(path, errno);
  }
  if (!S_ISREG(opened.st_mode)) {
    not_regular(path, opened.st_mode);
  }
  if (opened.st_size > static_cast<off_t>(kMaxFileSize)) {
    too_large(path);
  }
  // One byte past the bound tells a file that grew since the fstat.
  std::string text(kMaxFileSize + 1, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = ::read(file.get(), text.data() + size, text.size() - size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      cannot_read(path, errno);
    }
    if (n == 0) {
      break;
    }
    size += static_cast<std::size_t>(n);
  }
  if (size > kMaxFileSize) {
    too_large(path);
  }
  text.resize(size);
  return text;
}

}  // namespace

std::optional<SessionState> read_session_state(const std::string& path,
                                               exchange::ClientId client_id) {
  const std::optional<std::string> text = read_text(path);
  if (!text.has_value()) {
    return std::nullopt;
  }
  std::istringstream in(*text);
  std::string lines[5];
  for (int i = 0; i < 5; ++i) {
    if (!std::getline(in, lines[i])) {
      corrupt(path, i + 1, "missing line");
    }
  }
  std::string extra;
  while (std::getline(in, extra)) {
    if (!extra.empty()) {
      corrupt(path, 6, "unexpected text after the last field");
    }
  }
  if (lines[0] != kMagic) {
    corrupt(path, 1, fmt::format("expected '{}'", kMagic));
  }
  SessionState state;
  const std::uint64_t id = read_field(path, 2, lines[1], kClientIdKey);
  state.next_request_seq = read_field(path, 3, lines[2], kNextRequestSeqKey);
  state.last_response_seq = read_field(path, 4, lines[3], kLastResponseSeqKey);
  state.next_order_id = read_field(path, 5, lines[4], kNextOrderIdKey);
  if (id != client_id) {
    corrupt(path, 2, fmt::format("client id {} is not this client's ({})", id, client_id));
  }
  state.client_id = client_id;
  if (state.next_request_seq == 0 || state.next_order_id == 0) {
    corrupt(path, state.next_request_seq == 0 ? 3 : 5, "numbers start at 1");
  }
  return state;
}

void write_session_state(const std::string& path, const SessionState& state) {
  const std::string temp = path + ".tmp";
  const std::string text =
      fmt::format("{}\n{} {}\n{} {}\n{} {}\n{} {}\n", kMagic, kClientIdKey, state.client_id,
                  kNextRequestSeqKey, state.next_request_seq, kLastResponseSeqKey,
                  state.last_response_seq, kNextOrderIdKey, state.next_order_id);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "--state-file " + temp);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int error = errno;
      ::close(fd);
      throw std::system_error(error, std::generic_category(), "--state-file " + temp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "--state-file " + temp);
  }
  if (::close(fd) != 0) {
    throw std::system_error(errno, std::generic_category(), "--state-file " + temp);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(), "--state-file " + path);
  }
}

}  // namespace llt::trading
