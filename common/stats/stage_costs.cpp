#include "common/stats/stage_costs.h"

#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace llt::common {

StageCosts::Stage StageCosts::add(std::string name, Stage parent) {
  if (size_ == kMaxStages) {
    throw std::length_error(fmt::format("stage costs: at most {} stages", kMaxStages));
  }
  if (parent != kNoParent && parent >= size_) {
    throw std::invalid_argument(
        fmt::format("stage costs: stage {} has no parent {}", name, parent));
  }
  Entry& entry = entries_[size_];
  entry.name = std::move(name);
  entry.parent = parent;
  return size_++;
}

std::string StageCosts::table(std::uint64_t units, std::string_view unit) const {
  const TscClock& clock = *clock_;
  std::string out = fmt::format("{:<46} {:>10} {:>12} {:>10} {:>12} {:>10}", "stage", "busy ms",
                                "busy runs", "ns/run", "idle ms", "idle runs");
  if (units > 0) {
    out += fmt::format(" {:>12}", fmt::format("ns/{}", unit));
  }
  out += '\n';
  const auto ms = [&clock](std::uint64_t ticks) {
    return static_cast<double>(clock.ticks_to_ns(ticks)) / 1e6;
  };
  const auto per = [&clock](std::uint64_t ticks, std::uint64_t n) {
    return n == 0 ? 0.0 : static_cast<double>(clock.ticks_to_ns(ticks)) / static_cast<double>(n);
  };
  std::uint64_t top_busy = 0;
  // Depth-first: each stage, then its parts.
  const auto row = [&](auto&& self, Stage stage, int depth) -> void {
    const std::string label = std::string(static_cast<std::size_t>(2 * depth), ' ') + name(stage);
    out += fmt::format("{:<46} {:>10.1f} {:>12} {:>10.1f} {:>12.1f} {:>10}", label,
                       ms(busy_ticks(stage)), busy_runs(stage),
                       per(busy_ticks(stage), busy_runs(stage)), ms(idle_ticks(stage)),
                       idle_runs(stage));
    if (units > 0) {
      out += fmt::format(" {:>12.1f}", per(busy_ticks(stage), units));
    }
    out += '\n';
    for (Stage child = 0; child < size_; ++child) {
      if (entries_[child].parent == stage) {
        self(self, child, depth + 1);
      }
    }
  };
  for (Stage stage = 0; stage < size_; ++stage) {
    if (entries_[stage].parent == kNoParent) {
      top_busy += busy_ticks(stage);
      row(row, stage, 0);
    }
  }
  if (units > 0) {
    out +=
        fmt::format("{:<46} {:>10.1f} {:>12} {:>10} {:>12} {:>10} {:>12.1f}\n",
                    "all stages, working runs", ms(top_busy), "", "", "", "", per(top_busy, units));
  }
  return out;
}

}  // namespace llt::common
