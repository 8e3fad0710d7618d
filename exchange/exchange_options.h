#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "common/concurrent/idle_strategy.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// Everything the exchange executable can be told on its command line. Defaults are the
// seed's, except that every address defaults to loopback.
struct ExchangeOptions {
  std::string listen_addr = "127.0.0.1";
  std::uint16_t port = 12345;
  std::string multicast_addr = "239.255.0.1";
  std::uint16_t multicast_port = 5000;
  std::uint16_t snapshot_port = 5001;  // multicast_port + 1 unless given
  std::vector<TickerId> tickers{1, 2, 3};
  std::string interface = "127.0.0.1";
  int ttl = 1;
  std::uint32_t snapshot_interval_ms = 1000;
  std::uint32_t md_heartbeat_ms = 1000;
  std::uint32_t heartbeat_timeout_ms = 10000;
  std::uint32_t max_orders = 262144;  // resting orders per ticker
  std::uint32_t max_sessions = 256;
  std::uint32_t max_orders_per_second = 0;  // per session; 0: no limit
  common::ThreadingMode threading = common::ThreadingMode::kShared;
  common::IdleMode idle = common::IdleMode::kBackoff;
  std::vector<int> cpus;
  std::uint32_t stats_interval_s = 5;  // 0: no status line
  std::string log_file;                // empty: stderr
  std::string latency_csv;             // empty: none
  std::string summary_json;            // empty: none; else the exit summary as JSON
};

struct ExchangeCommandLine {
  bool help = false;  // --help was given: print help_text and exit 0
  std::string help_text;
  ExchangeOptions options;
};

// Parses and validates argv (cold). Throws common::UsageError naming the flag and the reason
// for an unknown flag, a missing value or a bad one (port out of range, empty or non-numeric
// ticker list, unknown mode, an address that is not IPv4 or not multicast, ...).
[[nodiscard]] ExchangeCommandLine parse_exchange_command_line(int argc, const char* const argv[]);

}  // namespace llt::exchange
