#include "common/stats/latency_report.h"

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

namespace llt::common {

void print_latency_table(std::FILE* out, std::span<const LatencyHop> hops) {
  fmt::print(out, "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "hop (ns)", "count", "p50",
             "p90", "p99", "p99.9", "max");
  for (const LatencyHop& hop : hops) {
    const LatencyHistogram& h = *hop.histogram;
    fmt::print(out, "{:<34} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10}\n", hop.name, h.count(),
               h.percentile(50), h.percentile(90), h.percentile(99), h.percentile(99.9), h.max());
  }
}

void write_latency_csv(const std::string& path, std::span<const LatencyHop> hops,
                       std::string_view flag) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) {
    throw std::system_error(errno, std::generic_category(), fmt::format("{} {}", flag, path));
  }
  fmt::print(out, "{}\n", LatencyHistogram::kCsvHeader);
  for (const LatencyHop& hop : hops) {
    hop.histogram->write_csv_rows(out, hop.name);
  }
  if (std::fclose(out) != 0) {
    throw std::system_error(errno, std::generic_category(), fmt::format("{} {}", flag, path));
  }
}

}  // namespace llt::common
