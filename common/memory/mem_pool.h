#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "common/error.h"
#include "common/memory/huge_page_array.h"

namespace llt::common {

// Fixed-capacity object pool. All storage is allocated (and touched, so the pages are
// resident) in the constructor; allocate() and deallocate() are O(1) pops and pushes on an
// intrusive free list of slot indices and never call the system allocator.
//
// kHugePages: the slots live in a HugePageArray (2 MiB pages when the pool is that large), for
// a big pool accessed at random, such as an order book's orders, which would otherwise cost
// a TLB miss on most accesses. Otherwise they come from the heap.
//
// Freed slots are reused last-in first-out: the slot freed most recently is the one most
// likely to still be in cache.
//
// Thread contract: not thread-safe; one thread owns a pool (one per agent).
template <typename T, bool kHugePages = false>
class MemPool {
 public:
  using Index = std::uint32_t;
  static constexpr Index kNoIndex = UINT32_MAX;

  // Throws std::invalid_argument when capacity is 0 or does not fit an Index.
  explicit MemPool(std::size_t capacity)
      : capacity_(check_capacity(capacity)),
        slots_(make_storage(capacity_)),
        in_use_flags_(kFlagsApart ? std::make_unique<bool[]>(capacity_) : nullptr) {
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].cell.next_free = i + 1 < capacity_ ? static_cast<Index>(i + 1) : kNoIndex;
    }
    free_head_ = 0;
  }

  MemPool(const MemPool&) = delete;
  MemPool& operator=(const MemPool&) = delete;

  ~MemPool() {
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (std::size_t i = 0; i < capacity_; ++i) {
        if (is_live(static_cast<Index>(i))) {
          slots_[i].object()->~T();
        }
      }
    }
  }

  // Constructs a T in a free slot. Returns nullptr, allocating nothing, when every slot is in
  // use: the caller turns that into a CAPACITY reject.
  template <typename... Args>
  [[nodiscard]] T* allocate(Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args&&...>) {
    if (LLT_UNLIKELY(free_head_ == kNoIndex)) {
      return nullptr;
    }
    const Index index = free_head_;
    Slot& slot = slots_[index];
    free_head_ = slot.cell.next_free;  // read before the object overwrites it
    T* object = ::new (static_cast<void*>(slot.cell.storage)) T(std::forward<Args>(args)...);
    mark(index, true);
    ++in_use_;
    return object;
  }

  // allocate(), also returning the slot index (what index_of() would compute).
  struct Allocation {
    T* object;
    Index index;
  };
  template <typename... Args>
  [[nodiscard]] Allocation allocate_indexed(Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args&&...>) {
    const Index index = free_head_;
    return Allocation{allocate(std::forward<Args>(args)...), index};
  }

  // Destroys the object and returns its slot to the pool. Returns false, doing nothing, when
  // the pointer is not a live object of this pool (already freed, null, or foreign), so a
  // slot can never be freed twice.
  [[nodiscard]] bool deallocate(const T* object) noexcept {
    const Index index = index_of(object);
    if (LLT_UNLIKELY(index == kNoIndex || !is_live(index))) {
      return false;
    }
    Slot& slot = slots_[index];
    slot.object()->~T();
    mark(index, false);
    slot.cell.next_free = free_head_;
    free_head_ = index;
    --in_use_;
    return true;
  }

  // The slot index of a pointer into this pool, or kNoIndex. Lets intrusive structures link
  // by 32-bit index instead of 64-bit pointer.
  [[nodiscard]] Index index_of(const T* object) const noexcept {
    // One unsigned compare covers both ends: an address below the storage wraps to a huge
    // offset.
    const std::uintptr_t offset =
        reinterpret_cast<std::uintptr_t>(object) - reinterpret_cast<std::uintptr_t>(&slots_[0]);
    if (offset >= capacity_ * sizeof(Slot) || offset % sizeof(Slot) != 0) {
      return kNoIndex;
    }
    return static_cast<Index>(offset / sizeof(Slot));
  }

  // The live object at an index returned by index_of. Undefined for a free slot.
  [[nodiscard]] T* at(Index index) noexcept {
    LLT_ASSERT(index < capacity_ && is_live(index), "at() of a free or foreign slot");
    return slots_[index].object();
  }
  [[nodiscard]] const T* at(Index index) const noexcept {
    LLT_ASSERT(index < capacity_ && is_live(index), "at() of a free or foreign slot");
    return slots_[index].object();
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t in_use() const noexcept { return in_use_; }
  [[nodiscard]] std::size_t available() const noexcept { return capacity_ - in_use_; }
  // available() == 0, in one load.
  [[nodiscard]] bool exhausted() const noexcept { return free_head_ == kNoIndex; }

 private:
  // A slot holds a T, or while free the index of the next free slot, and whether it is in
  // use. An object whose size is a power of two up to a cache line (a 64-byte order, a 32-byte
  // level) fills its slot exactly, aligned to that size, so it never straddles two lines and
  // index <-> address is a shift; its in-use flag is kept apart, in in_use_flags_. Any other
  // object keeps its flag in its own slot, in what would be padding, so allocate and free
  // touch one line.
  static constexpr std::size_t kRawSlotSize = std::max(sizeof(T), sizeof(Index));
  static constexpr bool kFlagsApart = std::has_single_bit(kRawSlotSize) && kRawSlotSize <= 64;
  static constexpr std::size_t kSlotAlign =
      kFlagsApart ? kRawSlotSize : std::max(alignof(T), alignof(Index));
  union Cell {
    alignas(T) std::byte storage[sizeof(T)];
    Index next_free;
  };
  struct CellAlone {
    Cell cell;
  };
  struct CellAndFlag {
    Cell cell;
    bool in_use;
  };
  struct alignas(kSlotAlign) Slot : std::conditional_t<kFlagsApart, CellAlone, CellAndFlag> {
    T* object() noexcept { return std::launder(reinterpret_cast<T*>(this->cell.storage)); }
    const T* object() const noexcept {
      return std::launder(reinterpret_cast<const T*>(this->cell.storage));
    }
  };
  static_assert(std::is_standard_layout_v<Slot> && offsetof(Slot, cell) == 0,
                "index_of() maps an object address to its slot");
  static_assert(!kFlagsApart || sizeof(Slot) == kRawSlotSize,
                "a power-of-two object gets a slot of exactly its size");

  [[nodiscard]] bool is_live(Index index) const noexcept {
    if constexpr (kFlagsApart) {
      return in_use_flags_[index];
    } else {
      return slots_[index].in_use;
    }
  }
  void mark(Index index, bool in_use) noexcept {
    if constexpr (kFlagsApart) {
      in_use_flags_[index] = in_use;
    } else {
      slots_[index].in_use = in_use;
    }
  }

  using Storage = std::conditional_t<kHugePages, HugePageArray<Slot>, std::unique_ptr<Slot[]>>;
  static Storage make_storage(std::size_t capacity) {
    if constexpr (kHugePages) {
      return Storage(capacity);
    } else {
      return std::make_unique<Slot[]>(capacity);
    }
  }

  static std::size_t check_capacity(std::size_t capacity) {
    if (capacity == 0 || capacity >= kNoIndex) {
      throw std::invalid_argument("MemPool capacity must be between 1 and 2^32 - 2");
    }
    return capacity;
  }

  std::size_t capacity_;
  Storage slots_;
  std::unique_ptr<bool[]> in_use_flags_;  // by slot index, when kFlagsApart
  Index free_head_ = kNoIndex;
  std::size_t in_use_ = 0;
};

}  // namespace llt::common
