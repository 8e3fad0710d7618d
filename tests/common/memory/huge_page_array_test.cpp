#include "common/memory/huge_page_array.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace llt::common {
namespace {

struct Tracked {
  std::uint64_t value = 7;
};

TEST(HugePageArray, large_arrays_are_value_initialised_and_huge_page_aligned) {
  constexpr std::size_t kSize = (std::size_t{3} << 20) / sizeof(Tracked);  // 3 MiB
  HugePageArray<Tracked> array(kSize);
  ASSERT_EQ(array.size(), kSize);
  for (std::size_t i = 0; i < kSize; i += 4096)
    EXPECT_EQ(array[i].value, 7u);
  EXPECT_EQ(array[kSize - 1].value, 7u);
  array[kSize - 1].value = 9;
  EXPECT_EQ(array.data()[kSize - 1].value, 9u);
#if !defined(LLT_SANITIZED)
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array.data()) % HugePageArray<Tracked>::kHugePageSize,
            0u);
#endif
}

TEST(HugePageArray, small_arrays_work_the_same) {
  HugePageArray<Tracked> array(3);
  EXPECT_EQ(array[0].value, 7u);
  EXPECT_EQ(array[2].value, 7u);
  HugePageArray<Tracked> empty(0);
  EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace llt::common
