#include "exchange/journal/journal_check.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "exchange/journal/journal_reader.h"
#include "exchange/snapshot/state_snapshot.h"

namespace llt::exchange {
namespace {

struct ClientSummary {
  std::uint64_t requests = 0;
  SeqNum last_seq_num = 0;  // of its last REQUEST record; 0 when none
  std::uint64_t logons = 0;
  std::uint64_t cancel_alls = 0;
  std::uint64_t session_rejects = 0;
};

}  // namespace

int journal_check(const std::filesystem::path& directory, std::ostream& out) {
  std::array<std::uint64_t, kJournalRecordKindCount> by_kind{};
  std::map<ClientId, ClientSummary> clients;
  std::uint64_t first_index = 0;
  std::uint64_t last_index = 0;
  JournalScan scan;
  try {
    scan = JournalReader(directory).scan(
        [&](const JournalRecord& record) {
          const auto kind = static_cast<std::size_t>(record.kind);
          ++by_kind[kind];
          if (first_index == 0) {
            first_index = record.index;
          }
          last_index = record.index;
          const ClientId client_id = record.request.client_id;  // not a reference to a packed field
          ClientSummary& client = clients[client_id];
          switch (record.kind) {
            case JournalRecordKind::kRequest:
              ++client.requests;
              client.last_seq_num = record.request.seq_num;
              break;
            case JournalRecordKind::kCancelAll:
              ++client.cancel_alls;
              break;
            case JournalRecordKind::kLogon:
              ++client.logons;
              break;
            case JournalRecordKind::kSessionReject:
              ++client.session_rejects;
              break;
          }
        },
        false);
  } catch (const JournalError& error) {
    out << "journal " << directory.string() << ": corrupt: " << error.what() << '\n';
    return 1;
  }

  // The newest snapshot, and whether the journal continues it (docs/snapshots.md).
  std::optional<StateSnapshot> snapshot;
  std::string snapshot_name;
  std::size_t snapshot_files = 0;
  try {
    const std::vector<std::filesystem::path> snapshots = list_snapshots(directory);
    snapshot_files = snapshots.size();
    if (!snapshots.empty()) {
      snapshot = read_state_snapshot(snapshots.back());
      snapshot_name = snapshots.back().filename().string();
    }
  } catch (const JournalError& error) {
    out << "journal " << directory.string() << ": corrupt snapshot: " << error.what() << '\n';
    return 1;
  }
  const std::uint64_t covered = snapshot ? snapshot->next_index : 1;
  if (scan.records > 0 && first_index > covered) {
    out << "journal " << directory.string() << ": corrupt: records " << covered << " to "
        << first_index - 1 << " are neither in the journal nor in a snapshot\n";
    return 1;
  }
  if (snapshot && snapshot->next_index > scan.next_index) {
    out << "journal " << directory.string() << ": corrupt: snapshot " << snapshot_name
        << " includes records up to " << snapshot->next_index - 1 << ", the journal ends at "
        << scan.next_index - 1 << '\n';
    return 1;
  }

  out << "journal " << directory.string() << ": " << scan.files << " files, " << scan.records
      << " records";
  if (scan.records > 0) {
    out << ", index " << first_index << " to " << last_index;
  }
  out << '\n';
  out << "records by kind:";
  for (std::size_t kind = 1; kind < kJournalRecordKindCount; ++kind) {
    out << ' ' << to_string(static_cast<JournalRecordKind>(kind)) << ' ' << by_kind[kind];
  }
  out << '\n';
  out << "clients seen: " << clients.size() << '\n';
  for (const auto& [client_id, client] : clients) {
    out << "client " << client_id << ": requests " << client.requests << ", last seq_num "
        << client.last_seq_num << ", logons " << client.logons << ", cancel-alls "
        << client.cancel_alls << ", session rejects " << client.session_rejects << '\n';
  }
  if (snapshot) {
    std::size_t orders = 0;
    for (const SnapshotBook& book : snapshot->books) {
      orders += book.orders.size();
    }
    out << "last snapshot: " << snapshot_name << " (of " << snapshot_files << "): records before "
        << snapshot->next_index << ", market data seq " << snapshot->md_seq << ", "
        << snapshot->books.size() << " books with " << orders << " resting orders, "
        << snapshot->clients.size() << " clients; a restart replays "
        << scan.next_index - snapshot->next_index << " records\n";
  } else {
    out << "no snapshot: a restart replays every record\n";
  }
  if (scan.torn_tail) {
    const JournalTornTail& torn = *scan.torn_tail;
    out << "torn tail: " << torn.file << " offset " << torn.offset << ": " << torn.problem << ", "
        << torn.bytes_cut << " bytes to cut (the exchange cuts them at start-up)\n";
  } else {
    out << "no torn tail\n";
  }
  return 0;
}

}  // namespace llt::exchange
