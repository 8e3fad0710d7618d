#include "exchange/matcher/matching_engine.h"

#include <stdexcept>

namespace llt::exchange {
namespace {

const MatchingEngineOptions& check_options(const MatchingEngineOptions& options,
                                           const ResponseQueue& responses,
                                           const UpdateQueue& updates) {
  if (options.book.max_orders == 0) {
    throw std::invalid_argument(
        "matching engine: max orders per ticker must be > 0 (--max-orders)");
  }
  if (options.book.max_price_levels == 0 || options.book.max_clients == 0) {
    throw std::invalid_argument("matching engine: max price levels and max clients must be > 0");
  }
  if (options.max_requests_per_poll == 0 || options.max_steps_per_poll == 0) {
    throw std::invalid_argument("matching engine: per-poll bounds must be > 0");
  }
  if (responses.capacity() < 4 || updates.capacity() < 4) {
    throw std::invalid_argument("matching engine: output queues need at least 4 slots");
  }
  return options;
}

}  // namespace

MatchingEngine::MatchingEngine(const MatchingEngineOptions& options, RequestQueue& requests,
                               ResponseQueue& responses, UpdateQueue& updates,
                               const common::TscClock& clock)
    : options_(check_options(options, responses, updates)),
      requests_(requests),
      clock_(clock),
      output_(responses, updates),
      matcher_(options_.tickers, options_.book, output_) {
  output_.init_tickers(matcher_.tickers());
  for (const TickerId ticker : matcher_.tickers()) {
    books_.push_back(matcher_.book(ticker));
  }
  published_tops_.assign(books_.size(), common::TopOfBook{});
  tops_ = std::make_unique<common::TopOfBookCell[]>(books_.size());
}

void MatchingEngine::on_start() {
  if (common::Logger* logger = output_.logger()) {
    (void)logger->register_thread("matching_engine");
  }
  publish_tops();
}

void MatchingEngine::publish_tops() noexcept {
  output_.clear_books_changed();
  for (std::size_t i = 0; i < books_.size(); ++i) {
    common::TopOfBook top = output_.last_trade(i);
    if (const PriceLevel* bid = books_[i]->level_at_depth(Side::kBuy, 0)) {
      top.bid_price = bid->price;
      top.bid_qty = bid->total_qty;
    }
    if (const PriceLevel* ask = books_[i]->level_at_depth(Side::kSell, 0)) {
      top.ask_price = ask->price;
      top.ask_qty = ask->total_qty;
    }
    if (!(top == published_tops_[i])) {
      published_tops_[i] = top;
      tops_[i].publish(top);
    }
  }
}

int MatchingEngine::poll() {
  int work = 0;
  std::uint32_t steps_left = options_.max_steps_per_poll;
  for (std::uint32_t taken = 0; taken < options_.max_requests_per_poll && steps_left > 0;) {
    const std::uint32_t budget = output_.step_budget(steps_left);
    if (LLT_UNLIKELY(budget == 0)) {
      ++stalls_;
      break;
    }
    if (LLT_UNLIKELY(matcher_.busy())) {
      // Unfinished within the budget: still busy() on the next pass, which resumes it again.
      (void)matcher_.resume(budget);
    } else {
      MatchingRequest* request = requests_.front();
      if (request == nullptr) {
        break;
      }
      request->ticks.engine_in_ticks = clock_.now_ticks();
      output_.set_ticks(request->ticks);
      matcher_.process(request->request, budget);
      requests_.pop();
      ++requests_processed_;
      ++taken;
    }
    ++work;
    // Count at least one step per request so a flood of rejects still ends the poll.
    const std::uint32_t used = std::max<std::uint32_t>(matcher_.last_steps(), 1);
    steps_left -= std::min(used, steps_left);
  }
  if (output_.books_changed()) {
    publish_tops();
  }
  return work;
}

}  // namespace llt::exchange
