#include "trading/session_state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace llt::trading {
namespace {

constexpr std::string_view kMagic = "llt-trading-state 1";

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

}  // namespace

std::optional<SessionState> read_session_state(const std::string& path,
                                               exchange::ClientId client_id) {
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw std::system_error(errno, std::generic_category(), "--state-file " + path);
  }
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    // Else it opens and reads as an empty file: "line 1: missing line".
    throw std::runtime_error("--state-file " + path + ": is a directory, not a file");
  }
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("--state-file " + path + ": cannot be read");
  }
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
  const std::uint64_t id = read_field(path, 2, lines[1], "client_id");
  state.next_request_seq = read_field(path, 3, lines[2], "next_request_seq");
  state.last_response_seq = read_field(path, 4, lines[3], "last_response_seq");
  state.next_order_id = read_field(path, 5, lines[4], "next_order_id");
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
  const std::string text = fmt::format(
      "{}\nclient_id {}\nnext_request_seq {}\nlast_response_seq {}\nnext_order_id {}\n", kMagic,
      state.client_id, state.next_request_seq, state.last_response_seq, state.next_order_id);
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
