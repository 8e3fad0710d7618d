#include "exchange/journal/crc32c.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace llt::exchange
