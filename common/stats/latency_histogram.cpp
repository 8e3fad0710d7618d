#include "common/stats/latency_histogram.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace llt::common {

std::uint64_t LatencyHistogram::percentile(double percentile) const noexcept {
  if (count_ == 0) {
    return 0;
  }
  percentile = std::clamp(percentile, 0.0, 100.0);
  auto rank =
      static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::min(bucket_highest(i), max_);
    }
  }
  return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

void LatencyHistogram::reset() noexcept {
  *this = LatencyHistogram{};
}

void LatencyHistogram::write_csv_rows(std::FILE* out, std::string_view hop) const {
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0)
      continue;
    seen += counts_[i];
    const double pct = 100.0 * static_cast<double>(seen) / static_cast<double>(count_);
    fmt::print(out, "{},{},{:.6f},{}\n", hop, std::min(bucket_highest(i), max_), pct, counts_[i]);
  }
}

}  // namespace llt::common
