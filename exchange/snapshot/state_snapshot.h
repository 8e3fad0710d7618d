#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "exchange/order_server/client_streams.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"

// State snapshots of the trading day (docs/snapshots.md): files
// DIR/snapshot-NNNNNNNNNNNNNNNNNNNN.llts beside the journal, NNN the index of the first journal
// record the snapshot does not include. Written whole to a temporary name, synced, then renamed,
// so a snapshot file that exists is complete; its checksum guards against the disk.
namespace llt::exchange {

// One resting order, as the book holds it.
struct SnapshotOrder {
  OrderId market_order_id = 0;
  OrderId client_order_id = 0;
  Priority priority = 0;
  Price price = 0;
  ClientId client_id = 0;
  Qty qty = 0;
  Side side = Side::kInvalid;

  friend bool operator==(const SnapshotOrder&, const SnapshotOrder&) = default;
};

// One ticker's book: its resting orders in ascending priority and the ids it gives next.
struct SnapshotBook {
  TickerId ticker_id = 0;
  OrderId next_market_order_id = 1;
  Priority next_priority = 1;
  std::uint64_t trades = 0;  // TRADE records of the day so far
  std::vector<SnapshotOrder> orders;

  friend bool operator==(const SnapshotBook&, const SnapshotBook&) = default;
};

// One client id's streams: numbers, flags, traded quantity and the responses kept for replay
// (numbered stream.next_response - kept.size() .. stream.next_response - 1).
struct SnapshotClient {
  ClientStream stream;  // connection is not saved
  std::vector<ClientResponse> kept;
};

// The whole state of the exchange after the journal records before next_index.
struct StateSnapshot {
  std::uint64_t next_index = 1;  // the first journal record not included
  SeqNum md_seq = 0;             // the last market data number published
  std::vector<SnapshotBook> books;
  std::vector<SnapshotClient> clients;
  // The last market data records, numbered up to md_seq, for the replay server after a restart.
  std::vector<MarketUpdate> md_tail;
};

inline constexpr std::uint32_t kSnapshotVersion = 1;

// Cold. "snapshot-00000000000001000001.llts".
[[nodiscard]] std::string snapshot_file_name(std::uint64_t next_index);
// Cold. The next_index in a snapshot file's name; nullopt for any other name.
[[nodiscard]] std::optional<std::uint64_t> parse_snapshot_file_name(const std::string& name);

// Every snapshot file of the directory, oldest first (by the index in the name). Cold.
[[nodiscard]] std::vector<std::filesystem::path> list_snapshots(
    const std::filesystem::path& directory);

// Writes `snapshot` as DIR/snapshot-<next_index>.llts: to a temporary file, fsync, rename,
// fsync of the directory. Returns the path. Throws JournalError naming the file on an I/O
// error (the temporary file is removed). Cold.
std::filesystem::path write_state_snapshot(const std::filesystem::path& directory,
                                           const StateSnapshot& snapshot);

// Reads and checks one snapshot file. Throws JournalError naming the file and offset when it is
// foreign, of another version, short, or its checksum or contents are wrong. Cold.
[[nodiscard]] StateSnapshot read_state_snapshot(const std::filesystem::path& path);

}  // namespace llt::exchange
