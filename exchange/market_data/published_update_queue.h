#pragma once

#include "common/concurrent/spsc_queue.h"
#include "exchange/protocol/market_update.h"

namespace llt::exchange {

// Market data publisher -> snapshot synthesizer: every incremental update, numbered
// (seq_num contiguous from 1), in stream order. The publisher is the producer and stops
// taking updates from the engine while this queue is full (back-pressure, never a drop).
using PublishedUpdateQueue = common::SpscQueue<MarketUpdate>;

}  // namespace llt::exchange
