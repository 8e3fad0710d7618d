#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llt::trading {

// How the market data consumer subscribes and how much it may hold. Filled from
// TradingOptions by consumer_options() in trading_app.h; tests set it directly.
struct MarketDataConsumerOptions {
  // The exchange's streams (docs/protocol.md, Market data): --multicast-addr, --multicast-port,
  // --snapshot-port, and --interface, the address whose interface joins the group (never
  // 0.0.0.0: a join on INADDR_ANY hears nothing from a loopback sender).
  std::string group = "239.255.0.1";
  std::uint16_t incremental_port = 5000;
  std::uint16_t snapshot_port = 5001;
  std::string interface = "127.0.0.1";
  // --md-loss-rate in [0, 1], --md-loss-seed: incremental datagrams dropped on purpose after
  // being read, so recovery can be exercised.
  double loss_rate = 0.0;
  std::uint64_t loss_seed = 1;
  // Incremental updates held at once: queued while recovering, ahead of a reordered
  // datagram, or waiting for room in the output queue. A recovery whose queue outgrows it
  // keeps the newest (a later snapshot continues them). Rounded up to a power of two, >= 68.
  std::size_t queue_capacity = std::size_t{1} << 16;
  // Records of the largest snapshot that can be used (framing included: 2 + tickers + resting
  // orders). A larger one is counted in snapshots_too_large and never applied. >= 2.
  std::size_t snapshot_capacity = std::size_t{1} << 18;
  // An update or heartbeat whose seq_num is more than this below the highest one received
  // (or is 1, once past it) means the exchange restarted, not a late datagram. > 0.
  std::uint64_t restart_window = 1024;
  // Datagrams read per socket per poll, so agents sharing a thread all get their turn. > 0.
  std::uint32_t max_datagrams_per_poll = 64;
  // SO_RCVBUF asked for on both sockets (the kernel caps it at net.core.rmem_max), so a burst
  // is not dropped while the thread is busy elsewhere. 0: leave the default.
  int receive_buffer_bytes = 8 << 20;
  // Market data replay (docs/recovery.md): on a gap, ask the exchange's replay port at
  // replay_host:replay_port (0: incremental_port + 2, the exchange's default, refused when
  // past 65535) for the missing records, beside the snapshot stream; an answer not complete
  // within replay_timeout_ms (> 0) leaves the recovery to the snapshot. --md-replay, --host,
  // --md-replay-port, --md-replay-timeout-ms.
  bool replay = false;
  std::string replay_host = "127.0.0.1";
  std::uint16_t replay_port = 0;
  std::uint32_t replay_timeout_ms = 250;
};

}  // namespace llt::trading
