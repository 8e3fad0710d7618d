#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace llt::common {

// A set of small integer ids (0 .. max_ids - 1) in insertion order, with O(1) insert and
// membership, that never allocates after construction: each id is in it at most once, so
// its storage is reserved for all of them. Not thread-safe: one thread uses it.
template <typename Id>
class IdList {
  static_assert(std::is_unsigned_v<Id>, "ids index the membership table");

 public:
  explicit IdList(std::size_t max_ids) : member_(max_ids, 0) { ids_.reserve(max_ids); }

  // Appends id unless it is already present. id < max_ids.
  void add(Id id) noexcept {
    if (member_[id] == 0) {
      member_[id] = 1;
      ids_.push_back(id);  // capacity reserved: never allocates
    }
  }
  [[nodiscard]] bool contains(Id id) const noexcept { return member_[id] != 0; }
  [[nodiscard]] bool empty() const noexcept { return ids_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }

  // Calls keep(id) for each id present at the call, in insertion order; removes those for
  // which it returns false, keeping the others in order. keep may add() ids: they are kept
  // (after the survivors) and not visited in this pass.
  template <class Keep>
  void retain_if(Keep&& keep) noexcept {
    const std::size_t visited = ids_.size();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < visited; ++i) {
      const Id id = ids_[i];
      if (keep(id)) {
        ids_[kept++] = id;
      } else {
        member_[id] = 0;
      }
    }
    for (std::size_t i = visited; i < ids_.size(); ++i) {
      ids_[kept++] = ids_[i];
    }
    ids_.resize(kept);  // shrinks: never allocates
  }

 private:
  std::vector<Id> ids_;
  std::vector<std::uint8_t> member_;
};

}  // namespace llt::common
