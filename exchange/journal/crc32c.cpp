#include "exchange/journal/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define LLT_CRC32C_X86 1
#endif

namespace llt::exchange {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78U;  // 0x1EDC6F41 reflected

// Slicing-by-8: table[k][b] is the CRC of byte b followed by k zero bytes.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_tables() noexcept {
  std::array<std::array<std::uint32_t, 256>, 8> tables{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1U) != 0 ? (crc >> 1) ^ kPolynomial : crc >> 1;
    }
    tables[0][b] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) {
      const std::uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xFFU];
    }
  }
  return tables;
}

constexpr auto kTables = make_tables();

std::uint32_t update_software(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  while (n >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);  // little-endian: the first byte is the low one
    word ^= crc;
    crc = kTables[7][word & 0xFFU] ^ kTables[6][(word >> 8) & 0xFFU] ^
          kTables[5][(word >> 16) & 0xFFU] ^ kTables[4][(word >> 24) & 0xFFU] ^
          kTables[3][(word >> 32) & 0xFFU] ^ kTables[2][(word >> 40) & 0xFFU] ^
          kTables[1][(word >> 48) & 0xFFU] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFFU];
  }
  return crc;
}

#ifdef LLT_CRC32C_X86
__attribute__((target("sse4.2"))) std::uint32_t update_hardware(std::uint32_t crc,
                                                                const unsigned char* p,
                                                                std::size_t n) noexcept {
  std::uint64_t crc64 = crc;
  while (n >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, 8);
    crc64 = _mm_crc32_u64(crc64, word);
    p += 8;
    n -= 8;
  }
  auto crc32 = static_cast<std::uint32_t>(crc64);
  if (n >= 4) {
    std::uint32_t word = 0;
    std::memcpy(&word, p, 4);
    crc32 = _mm_crc32_u32(crc32, word);
    p += 4;
    n -= 4;
  }
  while (n-- > 0) {
    crc32 = _mm_crc32_u8(crc32, *p++);
  }
  return crc32;
}

// Four blocks at a time, each its own chain of crc32 instructions.
__attribute__((target("sse4.2"))) void blocks_hardware(const unsigned char* first,
                                                       std::size_t stride, std::size_t size,
                                                       std::size_t count,
                                                       std::uint32_t* out) noexcept {
  constexpr std::size_t kLanes = 4;
  std::size_t block = 0;
  for (; block + kLanes <= count; block += kLanes) {
    const unsigned char* p[kLanes];
    std::uint64_t crc[kLanes];
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      p[lane] = first + (block + lane) * stride;
      crc[lane] = 0xFFFFFFFFU;
    }
    std::size_t at = 0;
    for (; at + 8 <= size; at += 8) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) {
        std::uint64_t word = 0;
        std::memcpy(&word, p[lane] + at, 8);
        crc[lane] = _mm_crc32_u64(crc[lane], word);
      }
    }
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      out[block + lane] =
          ~update_hardware(static_cast<std::uint32_t>(crc[lane]), p[lane] + at, size - at);
    }
  }
  for (; block < count; ++block) {
    out[block] = ~update_hardware(0xFFFFFFFFU, first + block * stride, size);
  }
}
#endif

bool detect_hardware() noexcept {
#ifdef LLT_CRC32C_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
#else
  return false;
#endif
}

}  // namespace

bool crc32c_hardware_available() noexcept {
  static const bool available = detect_hardware();
  return available;
}

std::uint32_t crc32c_extend_software(std::uint32_t crc, const void* data,
                                     std::size_t size) noexcept {
  return ~update_software(~crc, static_cast<const unsigned char*>(data), size);
}

std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data,
                                     std::size_t size) noexcept {
#ifdef LLT_CRC32C_X86
  return ~update_hardware(~crc, static_cast<const unsigned char*>(data), size);
#else
  return crc32c_extend_software(crc, data, size);
#endif
}

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  return crc32c_hardware_available() ? crc32c_extend_hardware(crc, data, size)
                                     : crc32c_extend_software(crc, data, size);
}

std::uint32_t crc32c(const void* data, std::size_t size) noexcept {
  return crc32c_extend(0, data, size);
}

void crc32c_blocks_software(const void* first, std::size_t stride, std::size_t size,
                            std::size_t count, std::uint32_t* out) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(first);
  for (std::size_t block = 0; block < count; ++block) {
    out[block] = ~update_software(0xFFFFFFFFU, bytes + block * stride, size);
  }
}

void crc32c_blocks_hardware(const void* first, std::size_t stride, std::size_t size,
                            std::size_t count, std::uint32_t* out) noexcept {
#ifdef LLT_CRC32C_X86
  blocks_hardware(static_cast<const unsigned char*>(first), stride, size, count, out);
#else
  crc32c_blocks_software(first, stride, size, count, out);
#endif
}

void crc32c_blocks(const void* first, std::size_t stride, std::size_t size, std::size_t count,
                   std::uint32_t* out) noexcept {
  if (crc32c_hardware_available()) {
    crc32c_blocks_hardware(first, stride, size, count, out);
  } else {
    crc32c_blocks_software(first, stride, size, count, out);
  }
}

}  // namespace llt::exchange
