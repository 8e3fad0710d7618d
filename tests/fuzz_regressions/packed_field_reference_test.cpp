// Findings of the fuzz targets (tests/fuzz/README.md): a reference bound to a field of a
// packed wire struct. ClientRequest and ClientResponse are packed (alignof 1), so their
// 4-byte client_id and ticker_id sit at odd offsets (9 and 13). Passing such a field to a
// `const Key&` parameter (FixedHashMap::find, std::map::find) binds a misaligned reference:
// undefined behaviour. g++ quietly binds a temporary copy instead; clang binds the field
// itself, so a clang build under -fsanitize=undefined (the fuzz preset) aborts with "reference
// binding to misaligned address". These tests pass in every build once the field is copied
// into a local first, and abort under clang + UBSan before the fix.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <variant>

#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "tests/support/order_entry_checks.h"
#include "tests/support/order_entry_client.h"
#include "tests/support/order_entry_exchange.h"
#include "tests/support/reference_book.h"

namespace llt::exchange {
namespace {

// Found by order_server_session_fuzz: OrderServer::route() called
// sessions_by_client_.find(response.client_id) on a packed ClientResponse. Every engine
// response the order server routes goes through it, so one accepted NEW is enough.
TEST(FuzzRegressions, order_server_routes_an_engine_response_without_binding_a_packed_field) {
  testing::OrderEntryExchange exchange;
  testing::OrderEntryClient client(exchange.port(), 7);
  ASSERT_TRUE(testing::log_on(client));
  ASSERT_TRUE(client.send(client.new_order(1, 1, Side::kBuy, 100, 5)));
  ClientResponse reply{};
  ASSERT_TRUE(
      testing::receive_response(client, reply, ClientResponseType::kAccepted, RejectReason::kNone));
  const OrderId client_order_id = reply.client_order_id;  // a copy: EXPECT_EQ binds references
  EXPECT_EQ(client_order_id, 1u);
  exchange.stop();
}

// Found by matching_engine_fuzz: test::ReferenceExchange::process() called
// books_.find(request.ticker_id) on a packed ClientRequest. The request is placed so that
// ticker_id (offset 13) is not 4-byte aligned, as it is in a std::vector<ClientRequest>.
TEST(FuzzRegressions, reference_exchange_finds_the_book_without_binding_a_packed_field) {
  alignas(8) unsigned char storage[sizeof(ClientRequest) + 8];
  ClientRequest request{};
  request.seq_num = 1;
  request.msg_type = ClientRequestType::kNew;
  request.client_id = 1;
  request.ticker_id = 1;
  request.order_id = 1;
  request.side = Side::kBuy;
  request.price = 100;
  request.qty = 5;
  const ClientRequest* placed = new (storage) ClientRequest(request);
  ASSERT_NE((reinterpret_cast<std::size_t>(placed) + offsetof(ClientRequest, ticker_id)) %
                alignof(TickerId),
            0u);
  test::ReferenceExchange reference({1, 2}, OrderBookOptions{});
  const auto& events = reference.process(*placed);
  // ACCEPTED, then the resting order's ADD.
  ASSERT_EQ(events.size(), 2u);
  const auto* accepted = std::get_if<ClientResponse>(&events[0]);
  ASSERT_NE(accepted, nullptr);
  const ClientResponseType type = accepted->msg_type;
  EXPECT_EQ(type, ClientResponseType::kAccepted);
  const auto* added = std::get_if<MarketUpdate>(&events[1]);
  ASSERT_NE(added, nullptr);
  const MarketUpdateType update_type = added->msg_type;
  EXPECT_EQ(update_type, MarketUpdateType::kAdd);
}

}  // namespace
}  // namespace llt::exchange
