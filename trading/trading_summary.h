#pragma once

#include <string>

namespace llt::trading {

class TradingApp;

// Cold, after TradingApp::stop(): what the exit summary reports, as one JSON document
// (--summary-json; the keys are described in docs/operations.md): per ticker the position,
// volumes and P&L (prices and P&L in units of 100 cents, as in the text summary), the order
// counters, risk and exchange rejects by reason, market data recovery counts, the session's
// counters (and whether it ever logged on) and the per-hop latency percentiles.
[[nodiscard]] std::string trading_summary_json(const TradingApp& app);

}  // namespace llt::trading
