// Fuzz target (3): the matching engine agent against the reference book.
//
// The input is decoded into engine limits (tiny capacities, so CAPACITY rejects happen),
// queue sizes and per-poll bounds (so back-pressure and requests processed in parts happen),
// the self-trade prevention mode, then into a sequence of requests over few tickers, clients,
// order ids and prices, so that duplicates, unknown orders, sweeps, self-trades, modifies and
// cancel-on-disconnect collide; a NEW may be GTC, IOC, FOK or POST_ONLY, and any request may
// carry an invalid tif or flags. Requests enter the real MatchingEngine through its request
// queue in batches of 1-3; the engine is polled with
// its output queues drained by input-chosen amounts. Each request also goes through a plain
// Matcher in one call (no step budget, no queues), whose events must obey the rules of
// docs/protocol.md that need no second book (validation order, one answer per request, IOC
// and FOK never rest, a FOK fills whole or is killed, POST_ONLY never trades, MODIFY in place
// or losing priority, no self-trade when prevention is on). After every batch the engine's
// response and update streams must equal the one-call matcher's record for record, and every
// book invariant must hold; the streams and books must also equal the reference book's
// (tests/support/reference_book.h).
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "exchange/exchange_messages.h"
#include "exchange/matcher/matching_engine.h"
#include "exchange/protocol/format.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/support/book_checks.h"
#include "tests/support/book_events.h"
#include "tests/support/reference_book.h"

namespace {

using llt::exchange::ClientId;
using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::MarketUpdate;
using llt::exchange::Matcher;
using llt::exchange::MatchingEngine;
using llt::exchange::MatchingEngineOptions;
using llt::exchange::MatchingRequest;
using llt::exchange::OrderId;
using llt::exchange::Qty;
using llt::exchange::RejectReason;
using llt::exchange::RequestQueue;
using llt::exchange::ResponseQueue;
using llt::exchange::SelfTradePrevention;
using llt::exchange::Side;
using llt::exchange::TimeInForce;
using llt::exchange::UpdateQueue;
using llt::fuzz::FuzzInput;
using llt::test::BookEvent;
using llt::test::describe;
using llt::test::ReferenceExchange;

// Tickers 1-3 exist; 9 does not.
constexpr llt::exchange::TickerId kTickers[] = {1, 2, 3, 9};
constexpr std::size_t kMaxRequests = 4096;

std::int64_t decode_price(std::uint8_t b) {
  switch (b) {
    case 0x80:
      return 0;
    case 0x81:
      return -1;
    case 0x82:
      return std::numeric_limits<std::int64_t>::max();
    case 0x83:
      return std::numeric_limits<std::int64_t>::min();
    case 0x84:
      return 1;
    default:
      return 100 + static_cast<std::int8_t>(b) % 12;
  }
}

std::uint32_t decode_qty(std::uint8_t b) {
  switch (b) {
    case 0xFF:
      return std::numeric_limits<std::uint32_t>::max();
    case 0xFE:
      return std::numeric_limits<std::uint32_t>::max() - 1;
    default:
      return b % 24;  // 0 is INVALID_QTY
  }
}

// Seven bytes per request: kind, who, id, side, price, qty, ext.
//  kind % 16: 0-7 NEW, 8-10 CANCEL, 11-13 MODIFY, 14 cancel-all, 15 the type kind >> 4 (0xF:
//    0x80, an internal type that is not cancel-all; 7-14 unknown types).
//  ext bits 0-1: tif 0 GTC, 1 IOC, 2 FOK, 3 an invalid value (3 + ext >> 5);
//  ext bits 2-3: flags 0, POST_ONLY, bit 1 (unknown), 0x81 (POST_ONLY and an unknown bit);
//  ext bit 4: a CANCEL or MODIFY keeps that tif and those flags (else both 0, so most are
//    valid); a NEW always does.
ClientRequest decode_request(FuzzInput& in) {
  const std::uint8_t kind = in.u8();
  const std::uint8_t who = in.u8();
  const std::uint8_t id = in.u8();
  const std::uint8_t side = in.u8();
  const std::uint8_t price = in.u8();
  const std::uint8_t qty = in.u8();
  const std::uint8_t ext = in.u8();
  ClientRequest request{};
  request.client_id = who % 5;  // 0 is INVALID_CLIENT_ID
  request.ticker_id = kTickers[(who >> 3) % 4];
  request.order_id = id % 8 == 7 ? id : id % 8;
  request.side =
      (side & 0xF0) == 0xF0 ? static_cast<Side>(side & 0x0F) : static_cast<Side>(side & 1 ? 1 : -1);
  request.price = decode_price(price);
  request.qty = decode_qty(qty);
  const unsigned k = kind % 16;
  if (k < 8) {
    request.msg_type = ClientRequestType::kNew;
  } else if (k < 11) {
    request.msg_type = ClientRequestType::kCancel;
  } else if (k < 14) {
    request.msg_type = ClientRequestType::kModify;
  } else if (k < 15) {
    request.msg_type = llt::exchange::kCancelAllOfClient;
  } else {
    request.msg_type = static_cast<ClientRequestType>(kind >> 4 == 15 ? 0x80 : kind >> 4);
  }
  if (request.msg_type == ClientRequestType::kNew || (ext & 0x10) != 0) {
    const unsigned tif = ext & 3;
    request.tif = static_cast<TimeInForce>(tif < 3 ? tif : 3 + (ext >> 5));
    constexpr std::uint8_t kFlags[] = {0, llt::exchange::kFlagPostOnly, 0x02, 0x81};
    request.flags = kFlags[(ext >> 2) & 3];
  }
  request.seq_num = kind;  // ignored by the engine
  return request;
}

std::string describe_all(const std::vector<BookEvent>& events) {
  return describe(events);
}

// Records what the one-call matcher emits.
struct Recorder {
  std::vector<ClientResponse> responses;
  std::vector<MarketUpdate> updates;
  void on_response(const ClientResponse& response) { responses.push_back(response); }
  void on_market_update(const MarketUpdate& update) { updates.push_back(update); }
};

template <typename Book>
std::string check_invariants(const Book& book) {
  return llt::test::check_book_invariants(book);
}

// The reject a request gets from its fields alone (docs/protocol.md, Validation order), or
// kNone when only the book's state can decide.
RejectReason stateless_reject(const ClientRequest& r, bool ticker_known) {
  const auto tif = static_cast<std::uint8_t>(r.tif);
  const bool side_ok = r.side == Side::kBuy || r.side == Side::kSell;
  if (r.msg_type == ClientRequestType::kNew) {
    if (!ticker_known)
      return RejectReason::kUnknownTicker;
    if (r.client_id == 0)
      return RejectReason::kInvalidClientId;
    if (!side_ok)
      return RejectReason::kInvalidSide;
    if (r.qty == 0)
      return RejectReason::kInvalidQty;
    if (r.price <= 0)
      return RejectReason::kInvalidPrice;
    if (tif > 2 || ((r.flags & llt::exchange::kFlagPostOnly) != 0 && tif != 0))
      return RejectReason::kInvalidTif;
    if ((r.flags & ~llt::exchange::kFlagPostOnly) != 0)
      return RejectReason::kInvalidFlags;
    return RejectReason::kNone;
  }
  if (!ticker_known)
    return RejectReason::kUnknownTicker;
  if (tif != 0)
    return RejectReason::kInvalidTif;
  if (r.flags != 0)
    return RejectReason::kInvalidFlags;
  return RejectReason::kNone;
}

// The events of one request, as the one-call matcher emitted them, against the rules of
// docs/protocol.md that can be checked without a second book. "" when they hold.
std::string check_events(const ClientRequest& r, bool ticker_known, SelfTradePrevention stp,
                         const std::vector<ClientResponse>& rs,
                         const std::vector<MarketUpdate>& us) {
  using llt::exchange::ClientResponseType;
  using llt::exchange::MarketUpdateType;
  using llt::exchange::RejectReason;
  const ClientRequestType type = r.msg_type;
  const ClientId client = r.client_id;
  for (const ClientResponse& response : rs) {
    if (response.msg_type == ClientResponseType::kCanceled &&
        response.reject_reason == RejectReason::kSelfTrade && stp == SelfTradePrevention::kOff)
      return "CANCELED(SELF_TRADE) with self-trade prevention off";
  }
  if (type == llt::exchange::kCancelAllOfClient) {
    for (const ClientResponse& response : rs) {
      if (response.msg_type != ClientResponseType::kCanceled || response.client_id != client ||
          response.reject_reason != RejectReason::kDisconnected)
        return "cancel-all emitted something but CANCELED(DISCONNECTED) of its client";
    }
    return rs.size() == us.size() ? "" : "cancel-all: responses and CANCEL updates differ";
  }
  const bool is_new = type == ClientRequestType::kNew;
  const bool is_cancel = type == ClientRequestType::kCancel;
  const bool is_modify = type == ClientRequestType::kModify;
  if (type == llt::exchange::kSessionReject) {
    return rs.size() == 1 && us.empty() && rs[0].msg_type == ClientResponseType::kRejected &&
                   rs[0].reject_reason == static_cast<RejectReason>(r.flags)
               ? ""
               : "a session reject must get one REJECTED with its reason";
  }
  if (!is_new && !is_cancel && !is_modify) {
    return rs.size() == 1 && us.empty() && rs[0].msg_type == ClientResponseType::kRejected &&
                   rs[0].reject_reason == RejectReason::kUnknownMsgType
               ? ""
               : "an unknown type must get one REJECTED(UNKNOWN_MSG_TYPE)";
  }
  const ClientResponseType ok = is_new      ? ClientResponseType::kAccepted
                                : is_cancel ? ClientResponseType::kCanceled
                                            : ClientResponseType::kModified;
  const ClientResponseType rejected = is_new      ? ClientResponseType::kRejected
                                      : is_cancel ? ClientResponseType::kCancelRejected
                                                  : ClientResponseType::kModifyRejected;
  if (rs.empty() || rs[0].client_id != client || rs[0].client_order_id != r.order_id ||
      (rs[0].msg_type != ok && rs[0].msg_type != rejected))
    return "the first response is not the request's answer";
  std::size_t answers = 0;
  for (const ClientResponse& response : rs) {
    answers += response.client_id == client && response.client_order_id == r.order_id &&
                       response.msg_type == rejected
                   ? 1
                   : 0;
  }
  if (answers > 1 || (rs[0].msg_type == rejected && (rs.size() != 1 || !us.empty())))
    return "a reject must be the request's only event";
  const RejectReason want = stateless_reject(r, ticker_known);
  if (want != RejectReason::kNone && (rs[0].msg_type != rejected || rs[0].reject_reason != want))
    return fmt::format("expected {}({})", llt::exchange::to_string(rejected),
                       llt::exchange::to_string(want));
  if (rs[0].msg_type == rejected) {
    const RejectReason got = rs[0].reject_reason;
    if (got == RejectReason::kWouldCross && (r.flags & llt::exchange::kFlagPostOnly) == 0)
      return "WOULD_CROSS for an order without POST_ONLY";
    if (got == RejectReason::kCapacity && is_new && r.tif != TimeInForce::kGtc)
      return "CAPACITY for an IOC or FOK, which never rests";
    return "";
  }
  if (is_cancel) {
    return rs.size() == 1 && rs[0].reject_reason == RejectReason::kNone && us.size() == 1 &&
                   us[0].msg_type == MarketUpdateType::kCancel
               ? ""
               : "a CANCEL is CANCELED(NONE) and one CANCEL update";
  }
  const OrderId oid = rs[0].market_order_id;
  Qty filled = 0;
  bool ended = false;
  bool added = false;
  bool traded = false;
  for (std::size_t i = 1; i < rs.size(); ++i) {
    const ClientResponse& response = rs[i];
    const bool own = response.client_id == client && response.market_order_id == oid;
    if (own && response.msg_type == ClientResponseType::kFilled) {
      filled += response.exec_qty;
      traded = true;
    } else if (own && response.msg_type == ClientResponseType::kCanceled) {
      ended = true;
      if (i + 1 != rs.size())
        return "events after the aggressor's CANCELED";
    } else if (!own && response.msg_type == ClientResponseType::kFilled &&
               stp != SelfTradePrevention::kOff && response.client_id == client) {
      return "a self-trade with self-trade prevention on";
    }
  }
  for (const MarketUpdate& update : us) {
    added = added || (update.msg_type == MarketUpdateType::kAdd && update.order_id == oid);
  }
  if (is_modify) {
    const ClientResponse& m = rs[0];
    if (m.price != r.price || m.leaves_qty != r.qty || m.side != r.side || m.exec_qty != 0)
      return "MODIFIED must carry the new price and qty";
    if (us.empty() || us[0].order_id != oid ||
        (us[0].msg_type != MarketUpdateType::kModify &&
         us[0].msg_type != MarketUpdateType::kCancel))
      return "a MODIFY publishes its MODIFY or CANCEL first";
    if (us[0].msg_type == MarketUpdateType::kModify &&
        (us.size() != 1 || rs.size() != 1 || us[0].qty != r.qty || us[0].price != r.price))
      return "a MODIFY in place is MODIFIED and one MODIFY update with the new qty";
    if (us[0].msg_type == MarketUpdateType::kCancel && us[0].price == r.price && us[0].qty >= r.qty)
      return "a MODIFY that could stay in place lost its priority";
    return "";
  }
  const Qty left = r.qty - filled;
  if (r.tif == TimeInForce::kIoc && added)
    return "an IOC rested";
  if (r.tif == TimeInForce::kFok) {
    if (added)
      return "a FOK rested";
    const bool killed = rs.size() == 2 && us.empty() &&
                        rs[1].msg_type == ClientResponseType::kCanceled &&
                        rs[1].reject_reason == RejectReason::kExpired;
    if (!killed && (ended || left != 0))
      return "a FOK neither filled completely nor was killed";
  }
  if ((r.flags & llt::exchange::kFlagPostOnly) != 0 && (traded || !added || rs.size() != 1))
    return "an accepted POST_ONLY must rest without trading";
  if (r.tif == TimeInForce::kIoc && left != 0 && !ended)
    return "an IOC's rest did not end";
  if (r.tif == TimeInForce::kGtc && left != 0 && !ended && !added)
    return "a GTC remainder neither rests nor ends";
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  MatchingEngineOptions options;
  options.tickers = {1, 2, 3};
  options.book.max_orders = in.range(1, 24);
  options.book.max_price_levels = in.range(1, 16);
  options.book.max_clients = in.range(1, 5);
  options.max_requests_per_poll = in.range(1, 4);
  options.max_steps_per_poll = in.range(1, 16);
  const std::size_t response_capacity = std::size_t{4} << in.range(0, 4);
  const std::size_t update_capacity = std::size_t{4} << in.range(0, 4);
  options.book.self_trade_prevention = static_cast<SelfTradePrevention>(in.range(0, 2));

  RequestQueue requests(8);
  ResponseQueue responses(response_capacity);
  UpdateQueue updates(update_capacity);
  MatchingEngine engine(options, requests, responses, updates);
  Recorder recorder;
  Matcher<Recorder> oracle(options.tickers, options.book, recorder);
  // The reference book: the same rules in the plainest code, compared after every batch.
  ReferenceExchange reference(options.tickers, options.book);

  std::vector<ClientResponse> expected_responses;
  std::vector<MarketUpdate> expected_updates;
  std::vector<ClientResponse> reference_responses;
  std::vector<MarketUpdate> reference_updates;
  std::vector<ClientResponse> got_responses;
  std::vector<MarketUpdate> got_updates;
  std::vector<ClientRequest> batch;

  const auto drain = [&](std::size_t max) {
    std::size_t n = 0;
    for (; n < max && responses.front() != nullptr; ++n) {
      got_responses.push_back(responses.front()->response);
      responses.pop();
    }
    for (std::size_t m = 0; m < max && updates.front() != nullptr; ++m, ++n) {
      got_updates.push_back(updates.front()->update);
      updates.pop();
    }
    return n;
  };
  const auto fail_with = [&](std::size_t count, const std::string& problem, const char* label,
                             const std::vector<ClientResponse>& rs,
                             const std::vector<MarketUpdate>& us) {
    std::string requests_text;
    for (const ClientRequest& request : batch) {
      requests_text += fmt::format("  {}\n", llt::exchange::to_string(request));
    }
    std::vector<BookEvent> ours(got_responses.begin(), got_responses.end());
    ours.insert(ours.end(), got_updates.begin(), got_updates.end());
    std::vector<BookEvent> theirs(rs.begin(), rs.end());
    theirs.insert(theirs.end(), us.begin(), us.end());
    llt::fuzz::fail(
        fmt::format("after request #{} (self-trade prevention {}):\n{}{}\nengine:\n{}{}:\n{}",
                    count, llt::exchange::to_string(options.book.self_trade_prevention),
                    requests_text, problem, describe_all(ours), label, describe_all(theirs)));
  };
  const auto compare_streams = [](const std::vector<ClientResponse>& ours,
                                  const std::vector<MarketUpdate>& our_updates,
                                  const std::vector<ClientResponse>& theirs,
                                  const std::vector<MarketUpdate>& their_updates) {
    if (ours.size() != theirs.size()) {
      return fmt::format("{} responses, expected {}", ours.size(), theirs.size());
    }
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (!(ours[i] == theirs[i])) {
        return fmt::format("response {} differs: {} / expected {}", i, describe(BookEvent{ours[i]}),
                           describe(BookEvent{theirs[i]}));
      }
    }
    if (our_updates.size() != their_updates.size()) {
      return fmt::format("{} updates, expected {}", our_updates.size(), their_updates.size());
    }
    for (std::size_t i = 0; i < our_updates.size(); ++i) {
      if (!(our_updates[i] == their_updates[i])) {
        return fmt::format("update {} differs: {} / expected {}", i,
                           describe(BookEvent{our_updates[i]}),
                           describe(BookEvent{their_updates[i]}));
      }
    }
    return std::string();
  };

  for (std::size_t count = 0; !in.done() && count < kMaxRequests;) {
    batch.clear();
    const unsigned batch_size = in.range(1, 3);
    for (unsigned i = 0; i < batch_size && !in.done(); ++i, ++count) {
      batch.push_back(decode_request(in));
      const ClientRequest& request = batch.back();
      const bool pushed = requests.try_push(MatchingRequest{request, {1, 2, 0}});
      LLT_FUZZ_CHECK(pushed, "request queue of 8 full with 3 requests");
      // The one-call matcher: its events are what the engine must emit, and they must obey
      // the rules check_events knows.
      recorder.responses.clear();
      recorder.updates.clear();
      (void)oracle.process(request);
      LLT_FUZZ_CHECK(!oracle.busy(), "an unlimited process() left work pending");
      const llt::exchange::TickerId ticker = request.ticker_id;
      const bool ticker_known = ticker >= 1 && ticker <= 3;
      const std::string broken =
          check_events(request, ticker_known, options.book.self_trade_prevention,
                       recorder.responses, recorder.updates);
      if (!broken.empty()) {
        fail_with(count + 1, broken, "matcher (this request)", recorder.responses,
                  recorder.updates);
      }
      expected_responses.insert(expected_responses.end(), recorder.responses.begin(),
                                recorder.responses.end());
      expected_updates.insert(expected_updates.end(), recorder.updates.begin(),
                              recorder.updates.end());
      for (const BookEvent& event : reference.process(request)) {
        if (const auto* r = std::get_if<ClientResponse>(&event)) {
          reference_responses.push_back(*r);
        } else {
          reference_updates.push_back(std::get<MarketUpdate>(event));
        }
      }
    }
    // Poll until the batch is done, draining an input-chosen amount between polls.
    for (int polls = 0; requests.front() != nullptr || engine.busy(); ++polls) {
      LLT_FUZZ_CHECK(polls < 1'000'000, "the engine makes no progress");
      const int work = engine.poll();
      const std::size_t drained = drain(in.range(0, 7));
      if (work == 0 && drained == 0) {
        drain(SIZE_MAX);  // stalled on full queues: the consumer catches up
      }
    }
    drain(SIZE_MAX);
    LLT_FUZZ_CHECK(engine.lost_events() == 0, "{} events lost", engine.lost_events());

    std::string problem =
        compare_streams(got_responses, got_updates, expected_responses, expected_updates);
    if (!problem.empty()) {
      fail_with(count, problem, "one-call matcher", expected_responses, expected_updates);
    }
    problem = compare_streams(expected_responses, expected_updates, reference_responses,
                              reference_updates);
    if (!problem.empty()) {
      fail_with(count, problem, "reference", reference_responses, reference_updates);
    }
    for (const auto ticker : options.tickers) {
      const auto& book = *engine.book(ticker);
      problem = check_invariants(book);
      if (problem.empty()) {
        problem = check_invariants(*oracle.book(ticker));
      }
      if (problem.empty()) {
        problem = llt::test::compare_books(book, *reference.book(ticker));
      }
      if (!problem.empty()) {
        fail_with(count, fmt::format("ticker {}: {}", ticker, problem), "one-call matcher",
                  expected_responses, expected_updates);
      }
    }
    got_responses.clear();
    got_updates.clear();
    expected_responses.clear();
    expected_updates.clear();
    reference_responses.clear();
    reference_updates.clear();
  }
  return 0;
}
