#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace llt::common {

// Parsing and printing of IPv4 endpoints for socket setup (cold code: these allocate and throw).

// Default interface for multicast: loopback, so market data never leaves the host unless the
// user names a real interface. Never 0.0.0.0 (see docs/protocol.md, Interface and scope).
inline constexpr std::string_view kDefaultMulticastInterface = "127.0.0.1";

// Parses a dotted-quad IPv4 address ("a.b.c.d", four decimal parts, no leading zeros). Throws
// std::invalid_argument naming `what` and the value otherwise (e.g. "invalid IPv4 address
// 'localhost'").
[[nodiscard]] in_addr parse_ipv4(std::string_view text, std::string_view what = "IPv4 address");

// As parse_ipv4, and the address must be in 224.0.0.0/4. Throws std::invalid_argument naming
// the value otherwise.
[[nodiscard]] in_addr parse_multicast_group(std::string_view text);

// As parse_ipv4, and the address must not be 0.0.0.0 (INADDR_ANY would let the kernel pick
// the interface of the default route) nor itself multicast. Throws std::invalid_argument.
[[nodiscard]] in_addr parse_multicast_interface(std::string_view text);

[[nodiscard]] bool is_multicast(in_addr address) noexcept;

[[nodiscard]] sockaddr_in make_sockaddr(in_addr address, std::uint16_t port) noexcept;

// parse_ipv4 + make_sockaddr.
[[nodiscard]] sockaddr_in make_sockaddr(std::string_view ip, std::uint16_t port);

// "a.b.c.d".
[[nodiscard]] std::string format_ipv4(in_addr address);

// "a.b.c.d:port".
[[nodiscard]] std::string format_endpoint(const sockaddr_in& endpoint);

}  // namespace llt::common
