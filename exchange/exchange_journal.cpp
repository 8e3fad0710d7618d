#include "exchange/exchange_journal.h"

#include "exchange/exchange_messages.h"

namespace llt::exchange {

JournalRecordKind ExchangeJournal::kind_of(const ClientRequest& request) noexcept {
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

RejectReason ExchangeJournal::reason_of(const ClientRequest& request) noexcept {
  return request.msg_type == kSessionReject ? static_cast<RejectReason>(request.flags)
                                            : RejectReason::kNone;
}

}  // namespace llt::exchange
