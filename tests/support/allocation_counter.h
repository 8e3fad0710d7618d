#pragma once

// Replaces every form of the global operator new and delete with versions that count, then
// forward to malloc/free. Include it from exactly one translation unit of a test executable
// (each tests/**/*_test.cpp is its own executable): the replacements are definitions.
//
// Two counts: every thread's allocations (process_allocations) and the calling thread's
// (thread_allocations), so a test can check one agent's thread while GoogleTest or a backend
// thread allocates elsewhere.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace llt::test {
namespace alloc_detail {

inline std::atomic<std::uint64_t> g_allocations{0};
inline std::atomic<std::uint64_t> g_deallocations{0};
// Constant-initialised: reading it from operator new allocates nothing.
inline thread_local std::uint64_t t_allocations = 0;

inline void* allocate(std::size_t size, std::size_t align) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  ++t_allocations;
  if (size == 0)
    size = 1;
  if (align <= alignof(std::max_align_t))
    return std::malloc(size);
  void* p = nullptr;
  return ::posix_memalign(&p, align, size) == 0 ? p : nullptr;
}

inline void* allocate_or_throw(std::size_t size, std::size_t align) {
  void* p = allocate(size, align);
  if (p == nullptr)
    throw std::bad_alloc();
  return p;
}

// Not inlined into operator delete: g++ would otherwise see free() of a pointer it knows came
// from operator new and warn (-Wmismatched-new-delete), not knowing that this new is malloc.
[[gnu::noinline]] inline void deallocate(void* p) noexcept {
  if (p != nullptr)
    g_deallocations.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}

inline constexpr std::size_t kDefaultAlign = alignof(std::max_align_t);

}  // namespace alloc_detail

// Heap allocations so far, by every thread.
inline std::uint64_t process_allocations() noexcept {
  return alloc_detail::g_allocations.load(std::memory_order_relaxed);
}
// Heap frees so far (of non-null pointers), by every thread.
inline std::uint64_t process_deallocations() noexcept {
  return alloc_detail::g_deallocations.load(std::memory_order_relaxed);
}
// Heap allocations so far by the calling thread.
inline std::uint64_t thread_allocations() noexcept {
  return alloc_detail::t_allocations;
}

}  // namespace llt::test

void* operator new(std::size_t size) {
  return llt::test::alloc_detail::allocate_or_throw(size, llt::test::alloc_detail::kDefaultAlign);
}
void* operator new[](std::size_t size) {
  return llt::test::alloc_detail::allocate_or_throw(size, llt::test::alloc_detail::kDefaultAlign);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return llt::test::alloc_detail::allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return llt::test::alloc_detail::allocate_or_throw(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return llt::test::alloc_detail::allocate(size, llt::test::alloc_detail::kDefaultAlign);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return llt::test::alloc_detail::allocate(size, llt::test::alloc_detail::kDefaultAlign);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return llt::test::alloc_detail::allocate(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return llt::test::alloc_detail::allocate(size, static_cast<std::size_t>(align));
}
void operator delete(void* p) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete(void* p, std::size_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  llt::test::alloc_detail::deallocate(p);
}
