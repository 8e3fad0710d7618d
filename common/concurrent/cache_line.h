#pragma once

#include <cstddef>

namespace llt::common {

// 64 bytes on every x86-64 and most AArch64 parts. std::hardware_destructive_interference_size
// is not used because its value may differ between compilers and would change the layout of
// types shared between translation units built by g++ and clang++.
inline constexpr std::size_t kCacheLineSize = 64;

// CPU relax hint for spin loops: lets the sibling hyper-thread run and saves power.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace llt::common
