#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace llt::common {

// A fixed-size array allocated once, at start-up, in a mapping of its own that the kernel may
// back with 2 MiB transparent huge pages (2 MiB-aligned, madvise(MADV_HUGEPAGE)). Big
// random-access storage (memory pools, an order book's indexes and ladders) would otherwise
// cost a TLB miss, and under a hypervisor a two-dimensional page walk, on most accesses. All
// elements are value-initialised in the constructor, so every page is resident before trading.
// Where THP is off the array works the same with 4 KiB pages. Sanitized builds (LLT_SANITIZED)
// always use the heap, so AddressSanitizer still sees every access.
//
// Thread contract: none of its own; it is owned like a plain array.
template <typename T>
class HugePageArray {
  static_assert(std::is_nothrow_destructible_v<T>, "elements are destroyed in the destructor");

 public:
  static constexpr std::size_t kHugePageSize = std::size_t{2} << 20;
#if defined(LLT_SANITIZED)
  static constexpr bool kUseMapping = false;
#else
  static constexpr bool kUseMapping = true;
#endif

  // Throws std::bad_alloc when the mapping fails (start-up only).
  explicit HugePageArray(std::size_t size) : size_(size) {
    const std::size_t bytes = size * sizeof(T);
    if (kUseMapping && bytes >= kHugePageSize) {
      // Over-map by one huge page and trim, so the array starts on a huge page boundary.
      mapped_bytes_ = (bytes + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
      void* raw = ::mmap(nullptr, mapped_bytes_ + kHugePageSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw == MAP_FAILED) {
        throw std::bad_alloc();
      }
      const auto start = reinterpret_cast<std::uintptr_t>(raw);
      const std::uintptr_t aligned = (start + kHugePageSize - 1) & ~(kHugePageSize - 1);
      // Derived from `raw` by pointer arithmetic, not cast back from an integer, so the
      // compiler keeps its provenance.
      std::byte* const first = static_cast<std::byte*>(raw) + (aligned - start);
      if (aligned > start) {
        ::munmap(raw, aligned - start);
      }
      const std::uintptr_t end = start + mapped_bytes_ + kHugePageSize;
      if (end > aligned + mapped_bytes_) {
        ::munmap(first + mapped_bytes_, end - aligned - mapped_bytes_);
      }
      data_ = reinterpret_cast<T*>(first);
      (void)::madvise(data_, mapped_bytes_, MADV_HUGEPAGE);  // advisory: fine if refused
      for (std::size_t i = 0; i < size_; ++i) {
        ::new (static_cast<void*>(data_ + i)) T();
      }
    } else {
      small_ = std::make_unique<T[]>(size == 0 ? 1 : size);
      data_ = small_.get();
    }
  }

  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;

  ~HugePageArray() {
    if (mapped_bytes_ != 0) {
      if constexpr (!std::is_trivially_destructible_v<T>) {
        for (std::size_t i = 0; i < size_; ++i) {
          data_[i].~T();
        }
      }
      ::munmap(data_, mapped_bytes_);
    }
  }

  [[nodiscard]] T& operator[](std::size_t i) noexcept {
    return data_[i];
  }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    return data_[i];
  }
  [[nodiscard]] T* data() noexcept {
    return data_;
  }
  [[nodiscard]] const T* data() const noexcept {
    return data_;
  }
  [[nodiscard]] std::size_t size() const noexcept {
    return size_;
  }

 private:
  std::size_t size_;
  std::size_t mapped_bytes_ = 0;
  T* data_ = nullptr;
  std::unique_ptr<T[]> small_;  // arrays under one huge page come from the heap
};

}  // namespace llt::common
