#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/cli/process_options.h"
#include "common/net/io_backend.h"
#include "exchange/matcher/self_trade_prevention.h"
#include "exchange/protocol/types.h"

namespace llt::exchange {

// Everything the exchange executable can be told on its command line. Defaults are those of
// docs/operations.md (Exchange flags); every address defaults to loopback.
struct ExchangeOptions {
  std::string listen_addr = "127.0.0.1";
  std::uint16_t port = 12345;  // 0: any free port
  std::vector<TickerId> tickers{1, 2, 3};
  common::MarketDataChannelOptions market_data;  // the streams it sends, on --interface
  int ttl = 1;
  std::uint32_t snapshot_interval_ms = 1000;
  std::uint32_t md_heartbeat_ms = 1000;
  std::uint32_t heartbeat_timeout_ms = 10000;
  std::uint32_t max_orders = 262144;  // resting orders per ticker
  std::uint32_t max_sessions = 256;
  std::uint32_t max_orders_per_second = 0;  // per session; 0: no limit
  SelfTradePrevention self_trade_prevention = SelfTradePrevention::kOff;
  // How the order entry and market data replay listeners talk to the kernel (--io;
  // docs/io_backends.md).
  common::IoBackend io = common::IoBackend::kEpoll;
  // Durability (docs/recovery.md): the journal's directory (empty: no journal) and whether
  // each batch is fdatasync'ed before its responses leave (--journal-sync batch).
  std::string journal_dir;
  bool journal_sync_batch = false;
  // A state snapshot once this many journal records follow the last one (0: none), and
  // whether what the newest snapshot makes unneeded is removed (docs/snapshots.md).
  std::uint64_t journal_snapshot_records = 1'000'000;
  bool journal_prune = false;
  // Each client's newest responses a snapshot keeps for replay after a restart.
  std::uint32_t journal_snapshot_responses = 65'536;
  // Client ids of one day, and responses kept per client for replay (0: the default, 65,536
  // without a journal, 1,048,576 with one).
  std::uint32_t max_clients = 256;
  std::uint32_t replay_depth = 0;
  // Market data replay (docs/protocol.md, Market data replay): the TCP port on listen_addr
  // (nullopt: the multicast port + 2; 0: no replay) and the incremental updates kept.
  std::optional<std::uint16_t> md_replay_port;
  std::uint32_t md_replay_depth = 1U << 20;
  common::ProcessOptions process;
};

// The market data replay port options ask for: md_replay_port, or the multicast port + 2 when
// unset (0: no replay; also when that default would be past 65535).
[[nodiscard]] std::uint16_t md_replay_port_of(const ExchangeOptions& options) noexcept;

using ExchangeCommandLine = common::CommandLine<ExchangeOptions>;

// The usage error of a --journal-check given beside other arguments (main() runs the check
// alone) or abbreviated, which only the flag parser would complete.
inline constexpr const char* kJournalCheckRunsAlone =
    "--journal-check: runs alone: give '--journal-check DIR' and no other argument";

// Parses and validates argv (cold). Throws common::UsageError naming the flag and the reason
// for an unknown flag, a missing value or a bad one (port out of range, empty or non-numeric
// ticker list, unknown mode, an address that is not IPv4 or not multicast, ...).
[[nodiscard]] ExchangeCommandLine parse_exchange_command_line(int argc, const char* const argv[]);

}  // namespace llt::exchange
