#pragma once

#include <cstdint>
#include <random>
#include <string>

#include <fmt/format.h>

// The one way tests (and the loopback benchmarks) pick a multicast group and port.
namespace llt::test {

// A loopback multicast channel: a random group in 239.255.0.0/16 (administratively scoped) and
// a random port in [20000, 32000] (below the ephemeral range), so parallel test runs do not hear
// each other. Used with interface 127.0.0.1 and TTL 1.
struct MulticastChannel {
  std::string group;
  std::uint16_t port = 0;
};

// Seeded from std::random_device once per process; not thread-safe (call it from the test's
// main thread).
inline MulticastChannel random_multicast_channel() {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> octet(0, 255);
  std::uniform_int_distribution<int> host(1, 254);
  std::uniform_int_distribution<int> port(20'000, 32'000);
  MulticastChannel channel;
  channel.group = fmt::format("239.255.{}.{}", octet(rng), host(rng));
  channel.port = static_cast<std::uint16_t>(port(rng));
  return channel;
}

}  // namespace llt::test
