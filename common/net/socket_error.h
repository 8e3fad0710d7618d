#pragma once

#include <string_view>
#include <system_error>

namespace llt::common {

// Builds the exception thrown by socket setup code. what() reads
// "<operation> <target>: <errno text>", e.g. "bind 127.0.0.1:12345: Address already in use";
// code() is `error` in std::generic_category(), so callers can compare it with std::errc.
// Capture errno into `error` before doing anything that may overwrite it.
[[nodiscard]] std::system_error socket_error(int error, std::string_view operation,
                                             std::string_view target);

}  // namespace llt::common
