#pragma once

#include <string>

namespace llt::exchange {

class ExchangeApp;

// Cold, after ExchangeApp::stop(): what the exit summary reports, as one JSON document
// (--summary-json; the keys are described in docs/operations.md): the order server's
// counters, rejects by reason, sessions closed by cause, trades and resting orders per
// ticker, market data counts and the per-hop latency percentiles.
[[nodiscard]] std::string exchange_summary_json(const ExchangeApp& app);

}  // namespace llt::exchange
