#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace llt::common {

// Log-linear latency histogram in the manner of HdrHistogram: values below 256 are counted
// exactly; above, every power of two is split into 128 linear sub-buckets, so a reported
// percentile is within 1/128 (0.8%) of the true value across the whole u64 range. Memory is
// fixed (kBucketCount counters, about 58 KiB), record() is O(1) with no branch on the value's
// magnitude beyond one count-leading-zeros.
//
// Thread contract: one writer thread records; read or merge only when the writer is quiet (or
// on a copy). Hops of different threads use different histograms and are merged for reports.
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBucketCount = 1ULL << kSubBucketBits;  // 128
  static constexpr std::uint64_t kLinearLimit = kSubBucketCount << 1;       // 256
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBucketCount;

  void record(std::uint64_t value) noexcept {
    ++counts_[bucket_index(value)];
    ++count_;
    sum_ += value;
    if (value > max_)
      max_ = value;
    if (value < min_)
      min_ = value;
  }

  // The smallest recorded value v such that at least `percentile`% of all values are <= v,
  // reported as the highest value of its bucket (capped at the exact maximum). 0 when empty.
  // percentile is clamped to [0, 100].
  [[nodiscard]] std::uint64_t percentile(double percentile) const noexcept;

  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  [[nodiscard]] double mean() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }

  // Bucket arithmetic, public for tests and for CSV readers.
  static constexpr std::size_t bucket_index(std::uint64_t value) noexcept {
    if (value < kLinearLimit) {
      return static_cast<std::size_t>(value);
    }
    const int msb = 63 - std::countl_zero(value);
    const int shift = msb - kSubBucketBits;
    return static_cast<std::size_t>(shift) * kSubBucketCount +
           static_cast<std::size_t>(value >> shift);
  }
  static constexpr std::uint64_t bucket_lowest(std::size_t index) noexcept {
    if (index < kLinearLimit) {
      return index;
    }
    const std::size_t shift = index / kSubBucketCount - 1;
    const std::uint64_t sub = index - shift * kSubBucketCount;
    return sub << shift;
  }
  static constexpr std::uint64_t bucket_highest(std::size_t index) noexcept {
    if (index < kLinearLimit) {
      return index;
    }
    const std::size_t shift = index / kSubBucketCount - 1;
    return bucket_lowest(index) + ((std::uint64_t{1} << shift) - 1);
  }

  // Cold. Writes the cumulative distribution, one row per non-empty bucket:
  // "hop,value_ns,percentile,count" where value_ns is the bucket's highest value and
  // percentile the share of values <= it. `hop` names the series. No header.
  void write_csv_rows(std::FILE* out, std::string_view hop) const;
  static constexpr std::string_view kCsvHeader = "hop,value_ns,percentile,count";

 private:
  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

static_assert(LatencyHistogram::bucket_index(UINT64_MAX) == LatencyHistogram::kBucketCount - 1,
              "the last bucket holds the largest u64");
static_assert(LatencyHistogram::bucket_index(LatencyHistogram::kLinearLimit) ==
                  LatencyHistogram::kLinearLimit,
              "the first log bucket follows the linear range without a hole");

}  // namespace llt::common
