#pragma once

#include <cstddef>
#include <cstdint>

namespace llt::common {

// Outcome of a non-blocking socket call on the hot path. Never thrown; the caller must check.
enum class IoStatus : std::uint8_t {
  kOk,          // the call did its work; IoResult::bytes says how much
  kWouldBlock,  // the kernel has nothing to give or no room to take (EAGAIN): try again later
  kClosed,      // the peer closed or reset the connection (read 0, ECONNRESET, EPIPE)
  kBufferFull,  // a user-space buffer has no room: nothing was taken, nothing was lost
  kError,       // any other failure; IoResult::error holds the errno value
};

struct [[nodiscard]] IoResult {
  IoStatus status = IoStatus::kOk;
  // Bytes moved by this call; also set with kWouldBlock after a partial flush.
  std::size_t bytes = 0;
  // errno for kError, and for kClosed when an error code (ECONNRESET, EPIPE) reported it.
  int error = 0;

  [[nodiscard]] constexpr bool ok() const noexcept { return status == IoStatus::kOk; }
};

// Cold: for logs and test messages.
[[nodiscard]] constexpr const char* to_string(IoStatus status) noexcept {
  switch (status) {
    case IoStatus::kOk:
      return "ok";
    case IoStatus::kWouldBlock:
      return "would-block";
    case IoStatus::kClosed:
      return "closed";
    case IoStatus::kBufferFull:
      return "buffer-full";
    case IoStatus::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace llt::common
