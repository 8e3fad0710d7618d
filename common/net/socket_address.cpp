#include "common/net/socket_address.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace llt::common {

namespace {

[[noreturn]] void throw_invalid(std::string_view what, std::string_view text,
                                std::string_view reason) {
  std::string message = "invalid ";
  message.append(what).append(" '").append(text).append("'");
  if (!reason.empty()) {
    message.append(": ").append(reason);
  }
  throw std::invalid_argument(message);
}

}  // namespace

in_addr parse_ipv4(std::string_view text, std::string_view what) {
  // inet_pton needs a NUL-terminated string; a view with an embedded NUL would be cut short.
  if (text.empty() || text.size() > 15 || text.find('\0') != std::string_view::npos) {
    throw_invalid(what, text, "expected a.b.c.d");
  }
  const std::string copy(text);
  in_addr address{};
  if (::inet_pton(AF_INET, copy.c_str(), &address) != 1) {
    throw_invalid(what, text, "expected a.b.c.d");
  }
  return address;
}

in_addr parse_multicast_group(std::string_view text) {
  const in_addr group = parse_ipv4(text, "multicast group");
  if (!is_multicast(group)) {
    throw_invalid("multicast group", text, "not in 224.0.0.0/4");
  }
  return group;
}

in_addr parse_multicast_interface(std::string_view text) {
  const in_addr address = parse_ipv4(text, "multicast interface");
  if (address.s_addr == htonl(INADDR_ANY)) {
    throw_invalid("multicast interface", text, "name the interface's own address, not 0.0.0.0");
  }
  if (is_multicast(address)) {
    throw_invalid("multicast interface", text, "an interface address is not a multicast group");
  }
  return address;
}

bool is_multicast(in_addr address) noexcept {
  return (ntohl(address.s_addr) & 0xF0000000u) == 0xE0000000u;
}

sockaddr_in make_sockaddr(in_addr address, std::uint16_t port) noexcept {
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(port);
  endpoint.sin_addr = address;
  return endpoint;
}

sockaddr_in make_sockaddr(std::string_view ip, std::uint16_t port) {
  return make_sockaddr(parse_ipv4(ip), port);
}

std::string format_ipv4(in_addr address) {
  char text[INET_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET, &address, text, sizeof(text)) == nullptr) {
    return "?";
  }
  return text;
}

std::string format_endpoint(const sockaddr_in& endpoint) {
  return format_ipv4(endpoint.sin_addr) + ":" + std::to_string(ntohs(endpoint.sin_port));
}

}  // namespace llt::common
