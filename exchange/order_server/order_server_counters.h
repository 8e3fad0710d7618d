#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "exchange/order_server/session_close_cause.h"
#include "exchange/protocol/reject_reason.h"

namespace llt::exchange {

// One slot per defined RejectReason; larger (corrupt) values are counted in the last slot.
inline constexpr std::size_t kRejectReasonSlots = kRejectReasonCount + 1;

// A copy of the order server's counters (OrderServer::counters()).
struct OrderServerCounters {
  std::uint64_t sessions_accepted = 0;    // connections taken into the session table
  std::uint64_t sessions_live = 0;        // open connections, in any state (gauge)
  std::uint64_t sessions_logged_on = 0;   // gauge
  std::uint64_t connections_refused = 0;  // accepted and closed at once: the table was full
  std::uint64_t requests_received = 0;    // whole requests decoded, valid or not
  std::uint64_t requests_forwarded = 0;   // NEW and CANCEL handed to the sequencer
  std::uint64_t requests_sequenced = 0;   // released to the engine, cancel-alls included
  std::uint64_t cancel_alls = 0;          // cancel-on-disconnect requests enqueued
  std::uint64_t responses_sent = 0;       // every message written to a client, heartbeats too
  std::uint64_t heartbeats_sent = 0;
  // Engine responses for a client with no connection (it disconnected; its orders are being
  // cancelled, or fills arrived): numbered and kept for replay, not sent.
  std::uint64_t responses_without_session = 0;
  std::uint64_t responses_replayed = 0;  // kept responses sent after a LOGON asked for replay
  std::uint64_t logons_with_replay = 0;  // LOGONs that asked for responses already numbered
  // Polls that ended with requests still pending because the engine's queue was full.
  std::uint64_t sequencer_stalls = 0;
  // tcp_read_to_response_sent's p50 and p99 since the start, in nanoseconds, brought up to date
  // about once a second (gauges; 0 before the first response).
  std::uint64_t response_p50_ns = 0;
  std::uint64_t response_p99_ns = 0;
  // Every reject, by RejectReason value: the session layer's (REJECTED, LOGON_REJECTED) and
  // the engine's (REJECTED, CANCEL_REJECTED), sent or not.
  std::array<std::uint64_t, kRejectReasonSlots> rejects_by_reason{};
  std::array<std::uint64_t, kSessionCloseCauseCount> sessions_closed_by_cause{};

  [[nodiscard]] std::uint64_t rejects(RejectReason reason) const noexcept {
    return rejects_by_reason[slot_of(reason)];
  }
  // Every reject, whatever its reason.
  [[nodiscard]] std::uint64_t total_rejects() const noexcept {
    std::uint64_t sum = 0;
    for (const std::uint64_t count : rejects_by_reason) {
      sum += count;
    }
    return sum;
  }
  [[nodiscard]] std::uint64_t closed(SessionCloseCause cause) const noexcept {
    return sessions_closed_by_cause[static_cast<std::size_t>(cause)];
  }
  [[nodiscard]] static constexpr std::size_t slot_of(RejectReason reason) noexcept {
    const auto value = static_cast<std::size_t>(reason);
    return value < kRejectReasonSlots ? value : kRejectReasonSlots - 1;
  }
};

}  // namespace llt::exchange
