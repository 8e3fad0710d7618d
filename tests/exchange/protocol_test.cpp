// The wire structs are the bytes of docs/protocol.md: sizes and offsets are static_asserted in
// the headers; here the byte values themselves, the enums' numbers and the cold formatters.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

#include "exchange/exchange_messages.h"
#include "exchange/protocol/client_request.h"
#include "exchange/protocol/client_response.h"
#include "exchange/protocol/format.h"
#include "exchange/protocol/market_update.h"
#include "exchange/protocol/md_replay.h"

namespace llt::exchange {
namespace {

template <typename T>
std::array<std::uint8_t, sizeof(T)> bytes_of(const T& value) {
  std::array<std::uint8_t, sizeof(T)> bytes{};
  std::memcpy(bytes.data(), &value, sizeof(T));
  return bytes;
}

TEST(Protocol, client_request_bytes_are_little_endian_at_design_offsets) {
  ClientRequest request;
  request.seq_num = 0x0102030405060708;
  request.msg_type = ClientRequestType::kCancel;
  request.client_id = 0x11223344;
  request.ticker_id = 7;
  request.order_id = 0xAABBCCDDEEFF0011;
  request.side = Side::kSell;
  request.price = -2;
  request.qty = 0x01000002;
  request.tif = TimeInForce::kFok;
  request.flags = 0x81;
  const auto b = bytes_of(request);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(b[8], 2);
  EXPECT_EQ(b[9], 0x44);
  EXPECT_EQ(b[12], 0x11);
  EXPECT_EQ(b[13], 7);
  EXPECT_EQ(b[17], 0x11);
  EXPECT_EQ(b[24], 0xAA);
  EXPECT_EQ(b[25], 0xFF);  // -1
  EXPECT_EQ(b[26], 0xFE);  // -2, two's complement
  EXPECT_EQ(b[33], 0xFF);
  EXPECT_EQ(b[34], 0x02);
  EXPECT_EQ(b[37], 0x01);
  EXPECT_EQ(b[38], 2);     // tif FOK
  EXPECT_EQ(b[39], 0x81);  // flags
}

TEST(Protocol, structs_round_trip_through_raw_bytes) {
  ClientResponse response;
  response.seq_num = 9;
  response.msg_type = ClientResponseType::kFilled;
  response.client_id = 3;
  response.ticker_id = 4;
  response.client_order_id = 5;
  response.market_order_id = 6;
  response.side = Side::kBuy;
  response.price = std::numeric_limits<Price>::max();
  response.exec_qty = 7;
  response.leaves_qty = 8;
  response.reject_reason = RejectReason::kInvalidClientId;
  const auto b = bytes_of(response);
  EXPECT_EQ(b[50], 14);
  ClientResponse copy;
  std::memcpy(&copy, b.data(), sizeof(copy));
  EXPECT_EQ(copy, response);

  MarketUpdate update;
  update.msg_type = MarketUpdateType::kTrade;
  update.order_id = 77;
  update.priority = 0x8000000000000001;
  const auto u = bytes_of(update);
  EXPECT_EQ(u[8], 5);
  EXPECT_EQ(u[9], 77);
  EXPECT_EQ(u[34], 0x01);
  EXPECT_EQ(u[41], 0x80);
}

TEST(Protocol, enum_values_match_the_design_tables) {
  EXPECT_EQ(static_cast<int>(ClientRequestType::kLogout), 5);
  EXPECT_EQ(static_cast<int>(ClientRequestType::kModify), 6);
  EXPECT_EQ(static_cast<int>(ClientResponseType::kHeartbeat), 8);
  EXPECT_EQ(static_cast<int>(ClientResponseType::kModified), 9);
  EXPECT_EQ(static_cast<int>(ClientResponseType::kModifyRejected), 10);
  EXPECT_EQ(static_cast<int>(TimeInForce::kIoc), 1);
  EXPECT_EQ(static_cast<int>(TimeInForce::kFok), 2);
  EXPECT_EQ(static_cast<int>(RejectReason::kWouldCross), 15);
  EXPECT_EQ(static_cast<int>(RejectReason::kExpired), 16);
  EXPECT_EQ(static_cast<int>(RejectReason::kSelfTrade), 17);
  EXPECT_EQ(static_cast<int>(RejectReason::kDisconnected), 18);
  EXPECT_EQ(static_cast<int>(RejectReason::kReplayUnavailable), 19);
  EXPECT_EQ(static_cast<int>(RejectReason::kInvalidTif), 20);
  EXPECT_EQ(static_cast<int>(RejectReason::kInvalidFlags), 21);
  EXPECT_EQ(kRejectReasonCount, 22U);
  EXPECT_EQ(to_string(static_cast<RejectReason>(kRejectReasonCount)), "UNKNOWN");
  EXPECT_NE(to_string(static_cast<RejectReason>(kRejectReasonCount - 1)), "UNKNOWN");
  EXPECT_EQ(allowed_flags(ClientRequestType::kNew), kFlagPostOnly);
  EXPECT_EQ(allowed_flags(ClientRequestType::kLogon), kFlagKeepOrders);
  EXPECT_EQ(allowed_flags(ClientRequestType::kCancel), 0);
  EXPECT_EQ(allowed_flags(ClientRequestType::kModify), 0);
  EXPECT_EQ(static_cast<int>(MarketUpdateType::kSnapshotEnd), 7);
  EXPECT_EQ(static_cast<int>(RejectReason::kCapacity), 10);
  EXPECT_EQ(static_cast<int>(RejectReason::kInvalidClientId), 14);
  EXPECT_EQ(static_cast<int>(Side::kSell), -1);
  EXPECT_TRUE(is_wire_type(ClientRequestType::kNew));
  EXPECT_FALSE(is_wire_type(ClientRequestType::kInvalid));
  EXPECT_TRUE(is_wire_type(ClientRequestType::kModify));
  EXPECT_FALSE(is_wire_type(static_cast<ClientRequestType>(7)));
  EXPECT_FALSE(is_wire_type(static_cast<ClientResponseType>(11)));
  EXPECT_FALSE(is_valid(static_cast<TimeInForce>(3)));
  EXPECT_FALSE(is_wire_type(kCancelAllOfClient));
  EXPECT_FALSE(is_wire_type(static_cast<MarketUpdateType>(9)));
}

TEST(Protocol, md_replay_request_and_replay_end_have_the_documented_layout) {
  // <QII: from_seq, count, reserved.
  const MdReplayRequest request{0x0102030405060708ULL, 65'536, 0};
  std::array<std::uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), &request, sizeof(request));
  EXPECT_EQ(bytes[0], 0x08);
  EXPECT_EQ(bytes[7], 0x01);
  EXPECT_EQ(bytes[8], 0x00);
  EXPECT_EQ(bytes[10], 0x01);  // 65,536 = 0x00010000
  EXPECT_EQ(bytes[12], 0x00);
  EXPECT_EQ(static_cast<int>(MarketUpdateType::kReplayEnd), 9);
  EXPECT_EQ(to_string(MarketUpdateType::kReplayEnd), "REPLAY_END");
  const MarketUpdate end = make_replay_end(42, 7, MdReplayStatus::kNotAvailable);
  EXPECT_EQ(end.seq_num, 42U);
  EXPECT_EQ(end.msg_type, MarketUpdateType::kReplayEnd);
  EXPECT_EQ(end.order_id, 7U);
  EXPECT_EQ(end.qty, 1U);
  EXPECT_EQ(end.ticker_id, 0U);
  EXPECT_EQ(end.price, 0);
  EXPECT_EQ(static_cast<int>(MdReplayStatus::kNotYetPublished), 2);
  EXPECT_EQ(static_cast<int>(MdReplayStatus::kBadRequest), 3);
  EXPECT_EQ(to_string(static_cast<MdReplayStatus>(4)), "UNKNOWN");
}

TEST(Protocol, formatters_name_every_field_and_show_unknown_values) {
  ClientRequest request;
  request.seq_num = 1;
  request.msg_type = ClientRequestType::kNew;
  request.client_id = 7;
  request.ticker_id = 1;
  request.order_id = 10;
  request.side = Side::kBuy;
  request.price = 10025;
  request.qty = 5;
  EXPECT_EQ(
      to_string(request),
      "NEW seq=1 client=7 ticker=1 order_id=10 side=BUY price=10025 qty=5 tif=GTC flags=0x00");
  request.msg_type = static_cast<ClientRequestType>(200);
  request.side = static_cast<Side>(3);
  request.tif = static_cast<TimeInForce>(9);
  request.flags = 0xfe;
  EXPECT_EQ(fmt::format("{}", request),
            "UNKNOWN(200) seq=1 client=7 ticker=1 order_id=10 side=INVALID(3) price=10025 qty=5 "
            "tif=INVALID(9) flags=0xfe");

  ClientResponse response;
  response.msg_type = ClientResponseType::kRejected;
  response.reject_reason = RejectReason::kDuplicateOrderId;
  response.side = Side::kSell;
  EXPECT_EQ(to_string(response),
            "REJECTED seq=0 client=0 ticker=0 client_order_id=0 market_order_id=0 side=SELL "
            "price=0 exec_qty=0 leaves_qty=0 reason=DUPLICATE_ORDER_ID");

  MarketUpdate update;
  update.msg_type = MarketUpdateType::kAdd;
  update.order_id = 3;
  update.ticker_id = 2;
  update.side = Side::kSell;
  update.price = 99;
  update.qty = 4;
  update.priority = 12;
  EXPECT_EQ(to_string(update),
            "ADD seq=0 order_id=3 ticker=2 side=SELL price=99 qty=4 priority=12");
  EXPECT_EQ(fmt::format("{}", RejectReason::kThrottled), "THROTTLED");
  EXPECT_EQ(fmt::format("{}", static_cast<RejectReason>(99)), "UNKNOWN(99)");
}

}  // namespace
}  // namespace llt::exchange
