#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "common/concurrent/agent_runner.h"
#include "exchange/market_data/market_data_publisher.h"
#include "exchange/market_data/snapshot_synthesizer.h"
#include "exchange/matcher/matching_engine.h"
#include "tests/support/book_events.h"
#include "tests/support/md_engine_books.h"
#include "tests/support/md_subscriber.h"
#include "tests/support/order_flow_generator.h"

namespace llt::test {

struct MdPipelineOptions {
  std::vector<exchange::TickerId> tickers{1, 2, 3};
  std::size_t max_orders_per_ticker = 16'384;
  std::uint32_t snapshot_interval_ms = 50;
  // Small values make a snapshot span many runner passes, so the stream moves on while it
  // is sent (what a late joiner has to queue).
  std::uint32_t snapshot_datagrams_per_poll = 16;
  std::uint32_t heartbeat_ms = 50;
  std::size_t queue_capacity = 16'384;
  std::uint64_t flow_seed = 1;
};

// The market data half of the exchange in one process, on loopback: the real matching engine,
// market data publisher and snapshot synthesizer on one common::AgentRunner thread (shared
// mode, backoff idle), fed MatchingRequests by the test thread from a seeded
// OrderFlowGenerator. The test thread also drains the engine's responses (the engine stops
// when that queue has no room) and feeds them back to the generator.
//
// Thread contract: every member from the test thread. engine() and the agents' non-stats
// observers only after stop().
class MdPipeline {
 public:
  explicit MdPipeline(const MdChannel& channel, const MdPipelineOptions& options = {})
      : options_(options),
        requests_(options.queue_capacity),
        responses_(options.queue_capacity),
        updates_(options.queue_capacity),
        published_(options.queue_capacity),
        engine_(engine_options(options), requests_, responses_, updates_),
        publisher_(publisher_options(channel, options), updates_, published_),
        synthesizer_(synthesizer_options(channel, options), published_),
        generator_(OrderFlowOptions{.seed = options.flow_seed, .tickers = options.tickers}),
        runner_({&engine_, &publisher_, &synthesizer_},
                common::RunnerOptions{.threading = common::ThreadingMode::kShared,
                                      .idle = common::IdleMode::kBackoff,
                                      .backoff = {},
                                      .cpus = {},
                                      .name = "md-pipeline"}) {
    runner_.start();
  }

  ~MdPipeline() { runner_.stop(); }

  MdPipeline(const MdPipeline&) = delete;
  MdPipeline& operator=(const MdPipeline&) = delete;

  // Pushes up to `max` generated requests (as many as the queue takes) and drains responses.
  // Returns the requests pushed.
  std::size_t feed(std::size_t max) {
    std::size_t pushed = 0;
    while (pushed < max) {
      if (!pending_) {
        pending_ = exchange::MatchingRequest{generator_.next(), {}};
      }
      if (!requests_.try_push(*pending_)) {
        break;
      }
      pending_.reset();
      ++pushed;
    }
    requests_sent_ += pushed;
    drain_responses();
    return pushed;
  }

  void drain_responses() {
    feedback_.clear();
    while (const exchange::MatchingResponse* response = responses_.front()) {
      feedback_.emplace_back(response->response);
      responses_.pop();
      ++responses_received_;
    }
    generator_.observe(feedback_);
  }

  // True once every request was consumed and the stream has not moved for `quiet`: the
  // engine, publisher and synthesizer are done with everything fed. Polls the subscribers
  // meanwhile. Returns false if `limit` passed first.
  bool settle(const std::vector<MdSubscriber*>& subscribers, std::chrono::milliseconds quiet,
              std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    exchange::SeqNum seen = publisher_.stats().last_seq;
    auto stable_since = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
      drain_responses();
      for (MdSubscriber* subscriber : subscribers) {
        subscriber->poll();
      }
      const exchange::SeqNum last = publisher_.stats().last_seq;
      const bool queues_empty =
          requests_.empty_guess() && updates_.empty_guess() && published_.empty_guess();
      if (last != seen || !queues_empty || synthesizer_.stats().last_applied_seq != last) {
        seen = last;
        stable_since = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - stable_since >= quiet) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return false;
  }

  void stop() { runner_.stop(); }

  [[nodiscard]] exchange::SeqNum last_seq() const { return publisher_.stats().last_seq; }
  [[nodiscard]] std::uint64_t requests_sent() const { return requests_sent_; }
  [[nodiscard]] std::uint64_t responses_received() const { return responses_received_; }
  [[nodiscard]] const MdPipelineOptions& options() const { return options_; }
  [[nodiscard]] exchange::MarketDataPublisher& publisher() { return publisher_; }
  [[nodiscard]] exchange::SnapshotSynthesizer& synthesizer() { return synthesizer_; }
  // After stop() only.
  [[nodiscard]] const exchange::MatchingEngine& engine() const { return engine_; }
  [[nodiscard]] MdBooks engine_books() const { return md_books_of(engine_, options_.tickers); }

 private:
  static exchange::MatchingEngineOptions engine_options(const MdPipelineOptions& options) {
    exchange::MatchingEngineOptions engine;
    engine.tickers = options.tickers;
    engine.book.max_orders = options.max_orders_per_ticker;
    engine.book.max_price_levels = 8'192;
    engine.book.max_clients = 64;
    return engine;
  }
  static exchange::MarketDataPublisherOptions publisher_options(const MdChannel& channel,
                                                                const MdPipelineOptions& options) {
    exchange::MarketDataPublisherOptions publisher;
    publisher.group = channel.group;
    publisher.port = channel.port;
    publisher.heartbeat_ms = options.heartbeat_ms;
    return publisher;
  }
  static exchange::SnapshotSynthesizerOptions synthesizer_options(
      const MdChannel& channel, const MdPipelineOptions& options) {
    exchange::SnapshotSynthesizerOptions synthesizer;
    synthesizer.group = channel.group;
    synthesizer.port = channel.snapshot_port;
    synthesizer.tickers = options.tickers;
    synthesizer.max_orders_per_ticker = options.max_orders_per_ticker;
    synthesizer.snapshot_interval_ms = options.snapshot_interval_ms;
    synthesizer.max_datagrams_per_poll = options.snapshot_datagrams_per_poll;
    return synthesizer;
  }

  MdPipelineOptions options_;
  exchange::RequestQueue requests_;
  exchange::ResponseQueue responses_;
  exchange::UpdateQueue updates_;
  exchange::PublishedUpdateQueue published_;
  exchange::MatchingEngine engine_;
  exchange::MarketDataPublisher publisher_;
  exchange::SnapshotSynthesizer synthesizer_;
  OrderFlowGenerator generator_;
  std::optional<exchange::MatchingRequest> pending_;
  std::vector<BookEvent> feedback_;
  std::uint64_t requests_sent_ = 0;
  std::uint64_t responses_received_ = 0;
  common::AgentRunner runner_;
};

}  // namespace llt::test
