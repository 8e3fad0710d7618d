#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace llt::common {

// How a TcpServer talks to the kernel (docs/io_backends.md):
//   kEpoll  epoll_wait for readiness, then one recv() per readable connection and one send()
//           per response batch, each a system call.
//   kUring  io_uring: a receive is kept posted on every connection and the kernel completes it
//           when bytes arrive; sends are queued and handed to the kernel together, one
//           io_uring_enter() for every connection's bytes. A poll that finds no completion
//           makes no system call at all.
enum class IoBackend : std::uint8_t { kEpoll, kUring };

[[nodiscard]] constexpr std::string_view to_string(IoBackend backend) noexcept {
  return backend == IoBackend::kUring ? "uring" : "epoll";
}

// "epoll" or "uring"; nullopt for anything else.
[[nodiscard]] constexpr std::optional<IoBackend> parse_io_backend(std::string_view text) noexcept {
  if (text == "epoll") {
    return IoBackend::kEpoll;
  }
  if (text == "uring") {
    return IoBackend::kUring;
  }
  return std::nullopt;
}

}  // namespace llt::common
