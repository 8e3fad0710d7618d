// Fuzz target (3): the matching engine agent against the reference book.
//
// The input is decoded into engine limits (tiny capacities, so CAPACITY rejects happen),
// queue sizes and per-poll bounds (so back-pressure and requests processed in parts happen),
// then into a sequence of requests over few tickers, clients, order ids and prices, so that
// duplicates, unknown orders, sweeps and cancel-on-disconnect collide. Requests enter the
// real MatchingEngine through its request queue in batches of 1-3; the engine is polled with
// its output queues drained by input-chosen amounts. After every batch its response stream
// and its update stream must equal the reference's record for record, every book must equal
// the reference's level by level and order by order, and every book invariant must hold.
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

using llt::exchange::ClientRequest;
using llt::exchange::ClientRequestType;
using llt::exchange::ClientResponse;
using llt::exchange::MarketUpdate;
using llt::exchange::MatchingEngine;
using llt::exchange::MatchingEngineOptions;
using llt::exchange::MatchingRequest;
using llt::exchange::RequestQueue;
using llt::exchange::ResponseQueue;
using llt::exchange::Side;
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

// Six bytes per request.
ClientRequest decode_request(FuzzInput& in) {
  const std::uint8_t kind = in.u8();
  const std::uint8_t who = in.u8();
  const std::uint8_t id = in.u8();
  const std::uint8_t side = in.u8();
  const std::uint8_t price = in.u8();
  const std::uint8_t qty = in.u8();
  ClientRequest request{};
  request.client_id = who % 5;  // 0 is INVALID_CLIENT_ID
  request.ticker_id = kTickers[(who >> 3) % 4];
  request.order_id = id % 8 == 7 ? id : id % 8;
  request.side =
      (side & 0xF0) == 0xF0 ? static_cast<Side>(side & 0x0F) : static_cast<Side>(side & 1 ? 1 : -1);
  request.price = decode_price(price);
  request.qty = decode_qty(qty);
  const unsigned k = kind % 16;
  if (k < 9) {
    request.msg_type = ClientRequestType::kNew;
  } else if (k < 13) {
    request.msg_type = ClientRequestType::kCancel;
  } else if (k < 15) {
    request.msg_type = llt::exchange::kCancelAllOfClient;
  } else {
    request.msg_type = static_cast<ClientRequestType>(kind >> 4 == 15 ? 0x80 : kind >> 4);
  }
  request.seq_num = kind;  // ignored by the engine
  return request;
}

std::string describe_all(const std::vector<BookEvent>& events) {
  return describe(events);
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

  RequestQueue requests(8);
  ResponseQueue responses(response_capacity);
  UpdateQueue updates(update_capacity);
  MatchingEngine engine(options, requests, responses, updates);
  ReferenceExchange reference(options.tickers, options.book);

  std::vector<ClientResponse> expected_responses;
  std::vector<MarketUpdate> expected_updates;
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

  for (std::size_t count = 0; !in.done() && count < kMaxRequests;) {
    batch.clear();
    const unsigned batch_size = in.range(1, 3);
    for (unsigned i = 0; i < batch_size && !in.done(); ++i, ++count) {
      batch.push_back(decode_request(in));
      const bool pushed = requests.try_push(MatchingRequest{batch.back(), {1, 2, 0}});
      LLT_FUZZ_CHECK(pushed, "request queue of 8 full with 3 requests");
      for (const BookEvent& event : reference.process(batch.back())) {
        if (const auto* r = std::get_if<ClientResponse>(&event)) {
          expected_responses.push_back(*r);
        } else {
          expected_updates.push_back(std::get<MarketUpdate>(event));
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

    std::string problem;
    if (got_responses.size() != expected_responses.size()) {
      problem = fmt::format("{} responses, reference {}", got_responses.size(),
                            expected_responses.size());
    }
    for (std::size_t i = 0; problem.empty() && i < got_responses.size(); ++i) {
      if (!(got_responses[i] == expected_responses[i])) {
        problem = fmt::format("response {} differs: ours {} / reference {}", i,
                              describe(BookEvent{got_responses[i]}),
                              describe(BookEvent{expected_responses[i]}));
      }
    }
    if (problem.empty() && got_updates.size() != expected_updates.size()) {
      problem =
          fmt::format("{} updates, reference {}", got_updates.size(), expected_updates.size());
    }
    for (std::size_t i = 0; problem.empty() && i < got_updates.size(); ++i) {
      if (!(got_updates[i] == expected_updates[i])) {
        problem = fmt::format("update {} differs: ours {} / reference {}", i,
                              describe(BookEvent{got_updates[i]}),
                              describe(BookEvent{expected_updates[i]}));
      }
    }
    for (const auto ticker : options.tickers) {
      if (!problem.empty()) {
        break;
      }
      const auto& book = *engine.book(ticker);
      problem = llt::test::check_book_invariants(book);
      if (problem.empty()) {
        problem = llt::test::compare_books(book, *reference.book(ticker));
      }
      if (!problem.empty()) {
        problem = fmt::format("ticker {}: {}", ticker, problem);
      }
    }
    if (!problem.empty()) {
      std::string requests_text;
      for (const ClientRequest& request : batch) {
        requests_text += fmt::format("  {}\n", llt::exchange::to_string(request));
      }
      std::vector<BookEvent> ours(got_responses.begin(), got_responses.end());
      ours.insert(ours.end(), got_updates.begin(), got_updates.end());
      std::vector<BookEvent> theirs(expected_responses.begin(), expected_responses.end());
      theirs.insert(theirs.end(), expected_updates.begin(), expected_updates.end());
      llt::fuzz::fail(fmt::format("after request #{}:\n{}{}\nours:\n{}reference:\n{}", count,
                                  requests_text, problem, describe_all(ours),
                                  describe_all(theirs)));
    }
    got_responses.clear();
    got_updates.clear();
    expected_responses.clear();
    expected_updates.clear();
  }
  return 0;
}
