// Fuzz target (2): the market data consumer's socket-free core, MarketDataSequencer, fed
// arbitrary datagrams on both streams.
//
// The input picks small capacities (reorder window, snapshot size, restart window, output
// queue), then a sequence of operations: an incremental or snapshot datagram built from
// compact records (seq_nums near the stream's position, so duplicates, holes, reordering,
// restarts and well-formed snapshots are likely), a raw datagram of arbitrary bytes and
// length, or draining part of the output queue. Like the consumer agent, the harness reads no
// datagram while blocked() and flushes first.
//
// What the output stream (trading_messages.h) must be, checked event by event:
//  - outside a recovery frame, incremental records (CLEAR ADD MODIFY CANCEL TRADE) only, with
//    seq_num contiguous: 1, 2, 3, ... from the start and S + 1, S + 2, ... after a frame;
//  - a frame is SNAPSHOT_START(S), then CLEAR and ADD records only, each ADD after a CLEAR of
//    its ticker, then SNAPSHOT_END(S) with the same S;
//  - no HEARTBEAT and no record of an unknown type is ever forwarded;
//  - every event carries the read_tsc of a datagram that was fed;
//  - at the end, with the queue drained: stats().events_forwarded == events popped.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "exchange/protocol/format.h"
#include "exchange/protocol/market_update.h"
#include "tests/fuzz/fuzz_input.h"
#include "trading/market_data/market_data_sequencer.h"
#include "trading/trading_messages.h"

namespace {

using llt::exchange::MarketUpdate;
using llt::exchange::MarketUpdateType;
using llt::exchange::SeqNum;
using llt::exchange::Side;
using llt::fuzz::FuzzInput;
using llt::trading::MarketDataConsumerOptions;
using llt::trading::MarketDataSequencer;
using llt::trading::MarketEvent;
using llt::trading::MarketEventQueue;

constexpr std::size_t kMaxOps = 2048;

// Checks the output stream as the trade engine would see it.
class StreamChecker {
 public:
  void on_event(const MarketEvent& event, std::uint64_t max_tsc) {
    const MarketUpdate& u = event.update;
    const MarketUpdateType type = u.msg_type;
    const SeqNum seq = u.seq_num;
    const SeqNum oid = u.order_id;
    ++popped_;
    LLT_FUZZ_CHECK(event.read_tsc > 0 && event.read_tsc <= max_tsc,
                   "event {} with read_tsc {} (last fed {})", popped_, event.read_tsc, max_tsc);
    if (in_frame_) {
      switch (type) {
        case MarketUpdateType::kClear:
          frame_ticker_ = u.ticker_id;
          have_clear_ = true;
          return;
        case MarketUpdateType::kAdd:
          LLT_FUZZ_CHECK(have_clear_ && u.ticker_id == frame_ticker_,
                         "frame ADD of ticker {} not after its CLEAR", u.ticker_id);
          return;
        case MarketUpdateType::kSnapshotEnd:
          LLT_FUZZ_CHECK(oid == frame_seq_, "SNAPSHOT_END({}) closes SNAPSHOT_START({})", oid,
                         frame_seq_);
          in_frame_ = false;
          next_seq_ = frame_seq_ + 1;
          return;
        default:
          llt::fuzz::fail(
              fmt::format("{} inside a recovery frame", llt::exchange::to_string(type)));
      }
    }
    switch (type) {
      case MarketUpdateType::kSnapshotStart:
        in_frame_ = true;
        have_clear_ = false;
        frame_seq_ = oid;
        return;
      case MarketUpdateType::kClear:
      case MarketUpdateType::kAdd:
      case MarketUpdateType::kModify:
      case MarketUpdateType::kCancel:
      case MarketUpdateType::kTrade:
        LLT_FUZZ_CHECK(seq == next_seq_, "incremental {} seq {} forwarded, expected {}",
                       llt::exchange::to_string(type), seq, next_seq_);
        ++next_seq_;
        return;
      default:
        llt::fuzz::fail(fmt::format("{} (type {}) forwarded outside a frame",
                                    llt::exchange::to_string(type), static_cast<unsigned>(type)));
    }
  }
  [[nodiscard]] std::uint64_t popped() const { return popped_; }

 private:
  bool in_frame_ = false;
  bool have_clear_ = false;
  SeqNum frame_seq_ = 0;
  llt::exchange::TickerId frame_ticker_ = 0;
  SeqNum next_seq_ = 1;
  std::uint64_t popped_ = 0;
};

constexpr MarketUpdateType kIncrementalTypes[] = {
    MarketUpdateType::kAdd,       MarketUpdateType::kAdd,          MarketUpdateType::kModify,
    MarketUpdateType::kCancel,    MarketUpdateType::kTrade,        MarketUpdateType::kClear,
    MarketUpdateType::kHeartbeat, MarketUpdateType::kSnapshotStart};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  MarketDataConsumerOptions options;
  options.queue_capacity = std::size_t{68} << in.range(0, 2);
  options.snapshot_capacity = in.range(2, 40);
  options.restart_window = in.range(1, 80);
  const std::size_t out_capacity = std::size_t{2} << in.range(0, 6);
  MarketEventQueue out(out_capacity);
  MarketDataSequencer sequencer(options, out);
  StreamChecker checker;

  std::uint64_t tsc = 0;
  SeqNum incremental_cursor = 1;  // seq_num of the next "in order" incremental record
  SeqNum snapshot_cursor = 0;     // seq_num of the next snapshot record
  SeqNum snapshot_s = 0;          // S of the snapshot being built
  std::vector<MarketUpdate> datagram;
  std::vector<std::uint8_t> raw;

  const auto drain = [&](std::size_t max) {
    std::size_t n = 0;
    for (; n < max; ++n) {
      const MarketEvent* event = out.front();
      if (event == nullptr) {
        break;
      }
      checker.on_event(*event, tsc);
      out.pop();
    }
    return n;
  };
  // The agent's rule: while blocked, read nothing; drain and flush first.
  const auto unblock = [&] {
    for (int rounds = 0; sequencer.blocked(); ++rounds) {
      LLT_FUZZ_CHECK(rounds < 100'000, "blocked() never clears with the queue drained");
      drain(SIZE_MAX);
      (void)sequencer.flush();
    }
  };

  // A datagram's outcome (accepted, malformed, ignored) is not checked call by call: the
  // checker judges what reaches the output stream.
  for (std::size_t op = 0; op < kMaxOps && !in.done(); ++op) {
    const std::uint8_t code = in.u8();
    switch (code % 8) {
      case 0:
      case 1:
      case 2: {  // incremental datagram of 1-34 compact records
        unblock();
        datagram.clear();
        const unsigned records = 1 + in.u8() % 34;
        for (unsigned i = 0; i < records && !in.done(); ++i) {
          const std::uint8_t t = in.u8();
          const auto delta = static_cast<std::int8_t>(in.u8());
          MarketUpdate u{};
          u.msg_type = kIncrementalTypes[t % 8];
          if (delta == 127) {
            u.seq_num = 1;  // a restarted exchange
            incremental_cursor = 1;
          } else if (delta >= -8 && delta <= 8) {
            u.seq_num = incremental_cursor + static_cast<SeqNum>(delta);  // wraps: far ahead
          } else {
            u.seq_num = incremental_cursor;
          }
          if (u.msg_type != MarketUpdateType::kHeartbeat) {
            incremental_cursor = u.seq_num + 1;
          } else {
            incremental_cursor = u.seq_num;
          }
          u.ticker_id = (t >> 3) % 3;
          u.order_id = t >> 5;
          u.side = (t & 0x80) != 0 ? Side::kBuy : Side::kSell;
          u.price = 100 + (t >> 4);
          u.qty = t;
          datagram.push_back(u);
        }
        (void)sequencer.on_incremental_datagram(datagram.data(),
                                                datagram.size() * sizeof(MarketUpdate), ++tsc);
        break;
      }
      case 3:
      case 4: {  // snapshot datagram of 1-34 compact records
        unblock();
        datagram.clear();
        const unsigned records = 1 + in.u8() % 34;
        for (unsigned i = 0; i < records && !in.done(); ++i) {
          const std::uint8_t t = in.u8();
          MarketUpdate u{};
          switch (t % 8) {
            case 0:  // START of a snapshot at S near the incremental position
              snapshot_s = incremental_cursor - 1 - (t >> 4) % 8;
              snapshot_cursor = 0;
              u.msg_type = MarketUpdateType::kSnapshotStart;
              u.order_id = snapshot_s;
              break;
            case 1:
            case 2:
              u.msg_type = MarketUpdateType::kClear;
              break;
            case 3:
            case 4:
            case 5:
              u.msg_type = MarketUpdateType::kAdd;
              break;
            case 6:
              u.msg_type = MarketUpdateType::kSnapshotEnd;
              u.order_id = (t & 0x80) != 0 ? snapshot_s + 1 : snapshot_s;
              break;
            default:
              u.msg_type = static_cast<MarketUpdateType>(t >> 3);  // maybe invalid
              break;
          }
          u.seq_num = (t & 0x40) != 0 && (t & 0x20) != 0 ? snapshot_cursor + 1 : snapshot_cursor;
          ++snapshot_cursor;
          u.ticker_id = (t >> 5) % 2;
          u.order_id = u.order_id != 0 ? u.order_id : t;
          u.side = Side::kBuy;
          u.price = 100;
          u.qty = 1;
          datagram.push_back(u);
        }
        (void)sequencer.on_snapshot_datagram(datagram.data(),
                                             datagram.size() * sizeof(MarketUpdate), ++tsc);
        break;
      }
      case 5: {  // raw bytes of any length, on either stream
        unblock();
        const std::size_t length = in.u16() % 1600;
        const std::uint8_t* bytes = nullptr;
        const std::size_t n = in.take(length, bytes);
        raw.assign(bytes, bytes + n);
        if ((code & 0x80) != 0) {
          (void)sequencer.on_snapshot_datagram(raw.data(), raw.size(), ++tsc);
        } else {
          (void)sequencer.on_incremental_datagram(raw.data(), raw.size(), ++tsc);
        }
        break;
      }
      default:  // the trade engine takes some events
        drain(in.u8() % 64);
        if (sequencer.blocked()) {
          (void)sequencer.flush();
        }
        break;
    }
  }
  unblock();
  drain(SIZE_MAX);
  const std::uint64_t forwarded = sequencer.stats().events_forwarded;
  LLT_FUZZ_CHECK(forwarded == checker.popped(), "stats say {} events forwarded, {} popped",
                 forwarded, checker.popped());
  return 0;
}
