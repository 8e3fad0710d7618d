#include "common/containers/id_list.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace llt::common {
namespace {

using List = IdList<std::uint32_t>;

std::vector<std::uint32_t> contents(List& list) {
  std::vector<std::uint32_t> out;
  list.retain_if([&](std::uint32_t id) {
    out.push_back(id);
    return true;
  });
  return out;
}

TEST(IdList, keeps_insertion_order_and_each_id_once) {
  List list(8);
  EXPECT_TRUE(list.empty());
  list.add(5);
  list.add(2);
  list.add(5);
  list.add(7);
  list.add(2);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(list.contains(5));
  EXPECT_FALSE(list.contains(3));
  EXPECT_EQ(contents(list), (std::vector<std::uint32_t>{5, 2, 7}));
}

TEST(IdList, retain_if_removes_rejected_ids_and_keeps_the_order_of_the_rest) {
  List list(10);
  for (std::uint32_t id : {4u, 1u, 9u, 0u, 6u})
    list.add(id);
  list.retain_if([](std::uint32_t id) { return id % 2 == 0; });
  EXPECT_EQ(contents(list), (std::vector<std::uint32_t>{4, 0, 6}));
  EXPECT_FALSE(list.contains(1));
  EXPECT_FALSE(list.contains(9));
  list.add(1);  // a removed id can come back, at the end
  EXPECT_EQ(contents(list), (std::vector<std::uint32_t>{4, 0, 6, 1}));
}

TEST(IdList, ids_added_during_retain_if_are_kept_but_not_visited) {
  List list(10);
  list.add(3);
  list.add(8);
  std::vector<std::uint32_t> visited;
  list.retain_if([&](std::uint32_t id) {
    visited.push_back(id);
    if (id == 3) {
      list.add(5);  // new: kept, visited next pass
      list.add(8);  // present: stays where it is
    }
    return id != 3;
  });
  EXPECT_EQ(visited, (std::vector<std::uint32_t>{3, 8}));
  EXPECT_EQ(contents(list), (std::vector<std::uint32_t>{8, 5}));
  EXPECT_FALSE(list.contains(3));
}

TEST(IdList, can_be_emptied_and_refilled_again_and_again) {
  List list(4);
  for (int round = 0; round < 100; ++round) {
    for (std::uint32_t id = 0; id < 4; ++id)
      list.add(id);
    EXPECT_EQ(list.size(), 4u);
    list.retain_if([](std::uint32_t) { return false; });
    EXPECT_TRUE(list.empty());
  }
}

}  // namespace
}  // namespace llt::common
