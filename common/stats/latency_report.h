#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "common/stats/latency_histogram.h"

namespace llt::common {

// One hop of a process's latency table: its name (the CSV's `hop` column) and its histogram.
struct LatencyHop {
  std::string_view name;
  const LatencyHistogram* histogram;
};

// Cold. The exit table: a row per hop with count, p50, p90, p99, p99.9 and max in ns.
void print_latency_table(std::FILE* out, std::span<const LatencyHop> hops);

// Cold. Writes every hop's histogram as CSV (LatencyHistogram::kCsvHeader, then the rows).
// Throws std::system_error naming `flag` and the path when the file cannot be written.
void write_latency_csv(const std::string& path, std::span<const LatencyHop> hops,
                       std::string_view flag = "--latency-csv");

}  // namespace llt::common
