#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "exchange/protocol/market_update.h"
#include "exchange/protocol/types.h"
#include "exchange/protocol/wire.h"

namespace llt::exchange {

// Market data replay (docs/protocol.md, Market data replay): a consumer that missed records of
// the incremental stream asks the exchange's replay port (TCP) for them. Each request is
// answered by up to `count` records of the incremental stream from `from_seq`, 42-byte
// MarketUpdates exactly as they were multicast, then one REPLAY_END.

// Client -> exchange, 16 bytes, little-endian `<QII`.
struct [[gnu::packed]] MdReplayRequest {
  SeqNum from_seq = 0;         // first record wanted (>= 1)
  std::uint32_t count = 0;     // records wanted, 1 to kMaxMdReplayCount
  std::uint32_t reserved = 0;  // must be 0; anything else is garbage and closes the connection

  friend bool operator==(const MdReplayRequest&, const MdReplayRequest&) = default;
};

inline constexpr std::uint32_t kMaxMdReplayCount = 65'536;

static_assert(sizeof(MdReplayRequest) == 16, "docs/protocol.md: a replay request is 16 bytes");
static_assert(std::is_trivially_copyable_v<MdReplayRequest> &&
                  std::is_standard_layout_v<MdReplayRequest>,
              "sent and received as raw bytes (memcpy)");
static_assert(offsetof(MdReplayRequest, from_seq) == 0, "wire offset");
static_assert(offsetof(MdReplayRequest, count) == 8, "wire offset");
static_assert(offsetof(MdReplayRequest, reserved) == 12, "wire offset");

// REPLAY_END's qty: how the request was answered.
enum class MdReplayStatus : std::uint32_t {
  kServed = 0,           // the records sent are the range asked, cut at the last published
  kNotAvailable = 1,     // older than the exchange keeps (or overwritten while being sent)
  kNotYetPublished = 2,  // from_seq is beyond the last published record
  kBadRequest = 3,       // count 0 or above kMaxMdReplayCount, from_seq 0, reserved not 0
};

// Cold. Values outside the table read "UNKNOWN".
[[nodiscard]] constexpr std::string_view to_string(MdReplayStatus status) noexcept {
  switch (status) {
    case MdReplayStatus::kServed:
      return "SERVED";
    case MdReplayStatus::kNotAvailable:
      return "NOT_AVAILABLE";
    case MdReplayStatus::kNotYetPublished:
      return "NOT_YET_PUBLISHED";
    case MdReplayStatus::kBadRequest:
      return "BAD_REQUEST";
  }
  return "UNKNOWN";
}

// The REPLAY_END that closes the answer to a request from `from_seq`: seq_num = from_seq,
// order_id = records sent before it, qty = status; every other field 0.
[[nodiscard]] constexpr MarketUpdate make_replay_end(SeqNum from_seq, std::uint64_t records,
                                                     MdReplayStatus status) noexcept {
  MarketUpdate end{};
  end.seq_num = from_seq;
  end.msg_type = MarketUpdateType::kReplayEnd;
  end.order_id = records;
  end.qty = static_cast<Qty>(status);
  return end;
}

}  // namespace llt::exchange
