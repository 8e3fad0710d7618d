#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "exchange/protocol/types.h"

namespace llt::trading {

// What the trading client keeps across its own restarts (--state-file, docs/recovery.md): its
// place in the two streams of the day and the next client order id. Positions and open
// orders are not kept: a restarted client asks for the day's responses from 1 and rebuilds
// them from the replay.
struct SessionState {
  exchange::ClientId client_id = 0;
  std::uint64_t next_request_seq = 1;   // the number the next NEW, CANCEL or MODIFY takes
  std::uint64_t last_response_seq = 0;  // the last response number processed
  std::uint64_t next_order_id = 1;      // client order ids are never reused within a day
};

// Cold, start-up: the state in `path`, or nullopt when the file does not exist (a fresh
// day). Throws std::runtime_error naming the file (and the line) when it cannot be read or
// is not a state file of this format, and when it belongs to another client id than
// `client_id`. A path that is not a regular file (a directory, device, FIFO or socket) is
// refused without being read, and so is a file longer than write_session_state ever makes:
// the call never waits on a FIFO's writer nor reads a device without end.
[[nodiscard]] std::optional<SessionState> read_session_state(const std::string& path,
                                                             exchange::ClientId client_id);

// Cold, never on a trading thread: writes `state` to `path` + ".tmp", flushes it to disk and
// renames it over `path`, so a crash leaves the old file or the new one, never a torn one.
// Throws std::system_error naming the file.
void write_session_state(const std::string& path, const SessionState& state);

}  // namespace llt::trading
