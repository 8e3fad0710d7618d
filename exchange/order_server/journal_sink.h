#pragma once

#include <span>

#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"

namespace llt::exchange {

// Where the order server appends every input that changes the exchange's state, before the
// engine sees it (docs/recovery.md, Durability): each request it releases to the engine (NEW,
// CANCEL, MODIFY, kCancelAllOfClient, kSessionReject) and each LOGON it accepts. The journal
// implements it; without --journal-dir the order server has none.
//
// Thread contract: the order server's thread calls both members; neither allocates, locks or
// throws.
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  // Buffers one input; it reaches the journal file at the next commit().
  virtual void append(const ClientRequest& request) noexcept = 0;
  // Buffers the requests of a release, in order (one call for the batch, not one a request).
  virtual void append(std::span<const MatchingRequest> requests) noexcept = 0;
  // Writes what append() buffered (one write, plus fdatasync with --journal-sync batch).
  // false: the write failed; nothing may be released after that input.
  [[nodiscard]] virtual bool commit() noexcept = 0;
};

}  // namespace llt::exchange
