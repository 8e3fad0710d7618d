#include "exchange/journal/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace llt::exchange {
namespace {

constexpr std::string_view kCheck = "123456789";
constexpr std::uint32_t kCheckCrc = 0xE3069283U;  // the CRC-32C catalogue's check value

TEST(Crc32c, table_path_gives_the_standard_check_value) {
  EXPECT_EQ(crc32c_extend_software(0, kCheck.data(), kCheck.size()), kCheckCrc);
}

TEST(Crc32c, sse42_path_gives_the_standard_check_value) {
  if (!crc32c_hardware_available()) {
    GTEST_SKIP() << "this CPU has no SSE4.2";
  }
  EXPECT_EQ(crc32c_extend_hardware(0, kCheck.data(), kCheck.size()), kCheckCrc);
}

TEST(Crc32c, dispatching_entry_gives_the_standard_check_value) {
  EXPECT_EQ(crc32c(kCheck.data(), kCheck.size()), kCheckCrc);
  EXPECT_EQ(crc32c(nullptr, 0), 0U);
}

TEST(Crc32c, known_vectors_of_32_bytes) {
  // RFC 3720 (iSCSI), B.4.
  std::array<std::uint8_t, 32> bytes{};
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x8A9136AAU);
  bytes.fill(0xFF);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x62A8AB43U);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(i);
  }
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x46DD794EU);
}

TEST(Crc32c, both_paths_agree_on_every_length_and_alignment) {
  std::mt19937_64 random(7);
  std::vector<std::uint8_t> bytes(300);
  for (auto& b : bytes) {
    b = static_cast<std::uint8_t>(random());
  }
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t size = 0; start + size <= 200; ++size) {
      const std::uint32_t soft = crc32c_extend_software(0, bytes.data() + start, size);
      if (crc32c_hardware_available()) {
        ASSERT_EQ(crc32c_extend_hardware(0, bytes.data() + start, size), soft)
            << "start " << start << " size " << size;
      }
      ASSERT_EQ(crc32c(bytes.data() + start, size), soft);
    }
  }
}

TEST(Crc32c, extending_equals_one_pass) {
  const std::string_view text = "the quick brown fox jumps over the lazy dog";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const std::uint32_t head = crc32c(text.data(), cut);
    EXPECT_EQ(crc32c_extend(head, text.data() + cut, text.size() - cut),
              crc32c(text.data(), text.size()));
    EXPECT_EQ(crc32c_extend_software(crc32c_extend_software(0, text.data(), cut), text.data() + cut,
                                     text.size() - cut),
              crc32c(text.data(), text.size()));
  }
}

TEST(Crc32c, blocks_equal_one_crc_per_block_on_both_paths) {
  std::mt19937_64 random(11);
  std::vector<std::uint8_t> bytes(9 * 80 + 16);
  for (auto& b : bytes) {
    b = static_cast<std::uint8_t>(random());
  }
  std::vector<std::uint32_t> out(10);
  // Counts below, at and past a group of four, sizes with and without a tail after the 8-byte
  // words, strides longer than the blocks, and starts off 8-byte alignment.
  for (const std::size_t start : {0U, 3U, 4U}) {
    for (const std::size_t stride : {56U, 61U, 80U}) {
      for (std::size_t size = 0; size <= 56 && size <= stride; ++size) {
        for (std::size_t count = 0; count <= 9; ++count) {
          const std::uint8_t* first = bytes.data() + start;
          std::vector<std::uint32_t> expected(count);
          for (std::size_t i = 0; i < count; ++i) {
            expected[i] = crc32c_extend_software(0, first + i * stride, size);
          }
          const auto check = [&](const char* path) {
            for (std::size_t i = 0; i < count; ++i) {
              ASSERT_EQ(out[i], expected[i])
                  << path << ": start " << start << " stride " << stride << " size " << size
                  << " block " << i << " of " << count;
            }
            ASSERT_EQ(out[count], 0xA5A5A5A5U) << path << ": wrote past block " << count;
          };
          std::fill(out.begin(), out.end(), 0xA5A5A5A5U);
          crc32c_blocks_software(first, stride, size, count, out.data());
          check("table");
          if (crc32c_hardware_available()) {
            std::fill(out.begin(), out.end(), 0xA5A5A5A5U);
            crc32c_blocks_hardware(first, stride, size, count, out.data());
            check("sse4.2");
          }
          std::fill(out.begin(), out.end(), 0xA5A5A5A5U);
          crc32c_blocks(first, stride, size, count, out.data());
          check("dispatch");
        }
      }
    }
  }
}

}  // namespace
}  // namespace llt::exchange
