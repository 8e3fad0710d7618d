#include "exchange/market_data/snapshot_synthesizer.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace llt::exchange {

const SnapshotSynthesizerOptions& check_options(const SnapshotSynthesizerOptions& options) {
  if (options.tickers.empty()) {
    throw std::invalid_argument("snapshot synthesizer: the ticker list is empty (--tickers)");
  }
  std::vector<TickerId> sorted = options.tickers;
  std::sort(sorted.begin(), sorted.end());
  if (const auto duplicate = std::adjacent_find(sorted.begin(), sorted.end());
      duplicate != sorted.end()) {
    throw std::invalid_argument("snapshot synthesizer: ticker " + std::to_string(*duplicate) +
                                " is listed twice (--tickers)");
  }
  // The pool's index is 32-bit, and the snapshot array holds every order of every book.
  constexpr std::size_t kMaxOrders = std::size_t{1} << 31;
  if (options.max_orders_per_ticker == 0 || options.max_orders_per_ticker > kMaxOrders) {
    throw std::invalid_argument(
        "snapshot synthesizer: max orders per ticker must be in [1, 2^31] (--max-orders)");
  }
  if (options.snapshot_interval_ms == 0) {
    throw std::invalid_argument("snapshot synthesizer: --snapshot-interval-ms must be > 0");
  }
  if (options.max_updates_per_poll == 0 || options.max_records_per_poll == 0 ||
      options.max_datagrams_per_poll == 0) {
    throw std::invalid_argument("snapshot synthesizer: per-poll bounds must be > 0");
  }
  return options;
}

template class BasicSnapshotSynthesizer<common::McastSender>;

}  // namespace llt::exchange
