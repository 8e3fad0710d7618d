#pragma once

#include <cstddef>
#include <cstdint>

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor ~0), the
// checksum of the journal (docs/journal.md). crc32c("123456789") == 0xE3069283.
namespace llt::exchange {

// The CRC32C of `size` bytes: the SSE4.2 instruction when the CPU has it, else the table.
// Any thread; allocates nothing.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t size) noexcept;

// crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
[[nodiscard]] std::uint32_t crc32c_extend(std::uint32_t crc, const void* data,
                                          std::size_t size) noexcept;

// The two paths behind crc32c_extend, for tests and benchmarks. The hardware one may be
// called only when crc32c_hardware_available().
[[nodiscard]] std::uint32_t crc32c_extend_software(std::uint32_t crc, const void* data,
                                                   std::size_t size) noexcept;
[[nodiscard]] std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data,
                                                   std::size_t size) noexcept;
[[nodiscard]] bool crc32c_hardware_available() noexcept;

// The CRC32C of each of `count` blocks of `size` bytes, `stride` bytes apart from `first`,
// into out[0 .. count): out[i] == crc32c(first + i * stride, size). With SSE4.2 four blocks
// are checksummed side by side, so that each crc32 instruction waits for fewer before it (the
// instruction's latency, not its throughput, bounds one block: the journal's records).
// Any thread; allocates nothing.
void crc32c_blocks(const void* first, std::size_t stride, std::size_t size, std::size_t count,
                   std::uint32_t* out) noexcept;
// The two paths behind crc32c_blocks, as above.
void crc32c_blocks_software(const void* first, std::size_t stride, std::size_t size,
                            std::size_t count, std::uint32_t* out) noexcept;
void crc32c_blocks_hardware(const void* first, std::size_t stride, std::size_t size,
                            std::size_t count, std::uint32_t* out) noexcept;

}  // namespace llt::exchange
