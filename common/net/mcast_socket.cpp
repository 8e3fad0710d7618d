#include "common/net/mcast_socket.h"

#include <stdexcept>

#include "common/net/socket_error.h"

namespace llt::common {

namespace {

void check_port(std::uint16_t port, std::string_view group) {
  if (port == 0) {
    throw std::invalid_argument("invalid multicast port 0 for group '" + std::string(group) + "'");
  }
}

std::string describe(in_addr group, std::uint16_t port, in_addr interface) {
  return format_endpoint(make_sockaddr(group, port)) + " via " + format_ipv4(interface);
}

SocketFd open_udp_socket(const std::string& name) {
  SocketFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    const int error = errno;
    throw socket_error(error, "socket for", name);
  }
  return fd;
}

template <class Value>
void set_option(const SocketFd& fd, int level, int option, const Value& value,
                const char* option_name, const std::string& name) {
  if (::setsockopt(fd.get(), level, option, &value, sizeof(value)) != 0) {
    const int error = errno;
    throw socket_error(error, std::string("setsockopt ") + option_name, name);
  }
}

}  // namespace

McastSender::McastSender(std::string_view group, std::uint16_t port, std::string_view interface,
                         int ttl) {
  const in_addr group_address = parse_multicast_group(group);
  const in_addr interface_address = parse_multicast_interface(interface);
  check_port(port, group);
  if (ttl < 0 || ttl > 255) {
    throw std::invalid_argument("invalid multicast TTL " + std::to_string(ttl) +
                                ": must be in [0, 255]");
  }
  name_ = describe(group_address, port, interface_address);
  fd_ = open_udp_socket(name_);
  set_option(fd_, IPPROTO_IP, IP_MULTICAST_IF, interface_address, "IP_MULTICAST_IF", name_);
  set_option(fd_, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL", name_);
  set_option(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP", name_);
  // Connected: send() needs no address and the route is looked up once, here.
  const sockaddr_in destination = make_sockaddr(group_address, port);
  if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&destination), sizeof(destination)) !=
      0) {
    const int error = errno;
    throw socket_error(error, "connect", name_);
  }
}

McastReceiver::McastReceiver(std::string_view group, std::uint16_t port, std::string_view interface,
                             McastJoin join_mode) {
  membership_.imr_multiaddr = parse_multicast_group(group);
  membership_.imr_interface = parse_multicast_interface(interface);
  check_port(port, group);
  name_ = describe(membership_.imr_multiaddr, port, membership_.imr_interface);
  fd_ = open_udp_socket(name_);
  set_option(fd_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", name_);
  set_option(fd_, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL", name_);
  // Bound to the group, not INADDR_ANY: datagrams for other groups on this port are filtered.
  const sockaddr_in local = make_sockaddr(membership_.imr_multiaddr, port);
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    const int error = errno;
    throw socket_error(error, "bind", name_);
  }
  if (join_mode == McastJoin::kNow) {
    const IoResult joined = join();
    if (!joined.ok()) {
      throw socket_error(joined.error, "IP_ADD_MEMBERSHIP", name_);
    }
  }
}

IoResult McastReceiver::join() noexcept {
  if (joined_) {
    return {IoStatus::kOk, 0, 0};
  }
  if (::setsockopt(fd_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership_, sizeof(membership_)) !=
      0) {
    return {IoStatus::kError, 0, errno};
  }
  joined_ = true;
  return {IoStatus::kOk, 0, 0};
}

IoResult McastReceiver::leave() noexcept {
  if (!joined_) {
    return {IoStatus::kOk, 0, 0};
  }
  if (::setsockopt(fd_.get(), IPPROTO_IP, IP_DROP_MEMBERSHIP, &membership_, sizeof(membership_)) !=
      0) {
    return {IoStatus::kError, 0, errno};
  }
  joined_ = false;
  return {IoStatus::kOk, 0, 0};
}

}  // namespace llt::common
