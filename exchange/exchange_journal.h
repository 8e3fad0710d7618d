#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "exchange/exchange_messages.h"
#include "exchange/journal/journal_format.h"
#include "exchange/journal/journal_reader.h"
#include "exchange/journal/journal_writer.h"
#include "exchange/order_server/journal_sink.h"
#include "exchange/protocol/client_request.h"

namespace llt::exchange {

// The order server's journal (docs/recovery.md, Durability): each input the order server
// releases to the engine, and each LOGON it accepts, becomes one journal record. The record
// keeps the request exactly as the engine takes it (internal types included), so start-up
// replays it through the same engine.
//
// Thread contract: append and commit on the order server's thread; the counters from any.
class ExchangeJournal final : public JournalSink {
 public:
  // Start-up: the writer continues where `scan` (which validated and repaired DIR) ended.
  ExchangeJournal(const JournalWriterOptions& options, const JournalScan& scan)
      : writer_(options, scan) {}

  void append(const ClientRequest& request) noexcept override {
    // A failed append leaves the writer failed: the next commit() reports it.
    (void)writer_.append(kind_of(request), reason_of(request), request);
  }
  void append(std::span<const MatchingRequest> requests) noexcept override {
    for (const MatchingRequest& request : requests) {
      (void)writer_.append(kind_of(request.request), reason_of(request.request), request.request);
    }
  }
  [[nodiscard]] bool commit() noexcept override { return writer_.commit(); }

  [[nodiscard]] const JournalWriter& writer() const noexcept { return writer_; }
  [[nodiscard]] JournalWriter& writer() noexcept { return writer_; }

  // The record kind of an input.
  [[nodiscard]] static constexpr JournalRecordKind kind_of(const ClientRequest& request) noexcept {
    const ClientRequestType type = request.msg_type;
    if (type == ClientRequestType::kLogon) {
      return JournalRecordKind::kLogon;
    }
    if (type == kCancelAllOfClient) {
      return JournalRecordKind::kCancelAll;
    }
    if (type == kSessionReject) {
      return JournalRecordKind::kSessionReject;
    }
    return JournalRecordKind::kRequest;
  }
  // A session reject's reason (its request carries it in `flags`); NONE for every other input.
  [[nodiscard]] static constexpr RejectReason reason_of(const ClientRequest& request) noexcept {
    return request.msg_type == kSessionReject ? static_cast<RejectReason>(request.flags)
                                              : RejectReason::kNone;
  }

 private:
  JournalWriter writer_;
};

}  // namespace llt::exchange
