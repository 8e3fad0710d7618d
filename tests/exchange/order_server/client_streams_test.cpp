// ClientStreams (docs/recovery.md, Numbered streams and Memory): numbering and keeping
// responses, and the prefault thread that commits each ring's memory ahead of its writer.
#include "exchange/order_server/client_streams.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "exchange/order_server/order_server_options.h"

namespace llt::exchange {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
// A deep ring (about 51 MiB), so that what is committed ahead can be told from what is not.
constexpr std::size_t kDeep = std::size_t{1} << 20;

// Whether the page holding `offset` bytes into `ring` is in memory.
bool resident(std::span<const ClientResponse> ring, std::size_t offset) {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto address = reinterpret_cast<std::uintptr_t>(ring.data()) + offset;
  unsigned char state = 0;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a page of the streams' own mapping
  if (::mincore(reinterpret_cast<void*>(address & ~(page - 1)), page, &state) != 0) {
    ADD_FAILURE() << "mincore failed";
    return false;
  }
  return (state & 1U) != 0;
}

// Waits (bounded: 20 s) until the page at `offset` is in memory.
bool becomes_resident(std::span<const ClientResponse> ring, std::size_t offset) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!resident(ring, offset)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

ClientResponse accepted() {
  ClientResponse response{};
  response.msg_type = ClientResponseType::kAccepted;
  response.client_id = 7;
  return response;
}

TEST(ClientStreams, numbers_responses_and_keeps_the_last_depth) {
  ClientStreams streams(4, 8);
  ClientStream* stream = streams.find_or_add(7);
  ASSERT_NE(stream, nullptr);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(streams.append(*stream, accepted()).seq_num, static_cast<SeqNum>(i + 1));
  }
  EXPECT_EQ(streams.oldest(*stream), 5U);
  EXPECT_TRUE(streams.run(*stream, 4, 100).empty()) << "older than the ring";
  const auto run = streams.run(*stream, 5, 100);
  ASSERT_EQ(run.size(), 4U) << "up to the end of the ring";
  EXPECT_EQ(run.front().seq_num, 5U);
}

TEST(ClientStreams, without_prefault_a_ring_is_committed_only_where_written) {
  ClientStreams streams(4, kDeep);
  ClientStream* stream = streams.find_or_add(7);
  ASSERT_NE(stream, nullptr);
  for (int i = 0; i < 10; ++i) {
    (void)streams.append(*stream, accepted());
  }
  const auto ring = streams.ring_memory(7);
  EXPECT_TRUE(resident(ring, 0));
  EXPECT_FALSE(resident(ring, 6 * kMiB)) << "beyond the huge page of the first write";
  EXPECT_EQ(streams.prefaulted_bytes(), 0U);
}

TEST(ClientStreams, prefault_commits_a_new_client_s_ring_ahead_but_not_further) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(8 * kMiB);
  ASSERT_NE(streams.find_or_add(7), nullptr);
  const auto ring = streams.ring_memory(7);
  EXPECT_TRUE(becomes_resident(ring, 6 * kMiB)) << "errno " << streams.prefault_errno();
  EXPECT_EQ(streams.prefault_errno(), 0);
  EXPECT_GE(streams.prefaulted_bytes(), 8 * kMiB);
  // The limit: 8 MiB ahead, plus at most the huge page the last one ends in.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a few more passes
  EXPECT_FALSE(resident(ring, 24 * kMiB));
  EXPECT_LT(streams.prefaulted_bytes(), 12 * kMiB);
}

TEST(ClientStreams, prefault_follows_the_writer) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(4 * kMiB);
  ClientStream* stream = streams.find_or_add(7);
  ASSERT_NE(stream, nullptr);
  const auto ring = streams.ring_memory(7);
  ASSERT_TRUE(becomes_resident(ring, 3 * kMiB));
  EXPECT_FALSE(resident(ring, 20 * kMiB));
  // Move the writer 16 MiB on: the thread commits up to 4 MiB past it.
  const std::size_t responses = 16 * kMiB / sizeof(ClientResponse);
  for (std::size_t i = 0; i < responses; ++i) {
    (void)streams.append(*stream, accepted());
  }
  EXPECT_TRUE(becomes_resident(ring, 19 * kMiB));
  EXPECT_FALSE(resident(ring, 36 * kMiB));
}

TEST(ClientStreams, prefault_commits_every_client_s_ring) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(2 * kMiB);
  for (ClientId id = 1; id <= 3; ++id) {
    ASSERT_NE(streams.find_or_add(id), nullptr);
  }
  for (ClientId id = 1; id <= 3; ++id) {
    EXPECT_TRUE(becomes_resident(streams.ring_memory(id), kMiB)) << "client " << id;
  }
}

TEST(ClientStreams, prefault_commits_a_restored_ring_that_wrapped_whole) {
  constexpr std::size_t kDepth = std::size_t{1} << 17;  // about 6.4 MiB
  ClientStreams streams(4, kDepth);
  streams.start_prefault(kMiB);
  ClientStream fields;
  fields.client_id = 9;
  fields.next_response = 3 * kDepth;  // its writer is somewhere in the ring
  ASSERT_TRUE(streams.restore(fields, {}));
  const auto ring = streams.ring_memory(9);
  EXPECT_TRUE(becomes_resident(ring, kDepth * sizeof(ClientResponse) - 1));
  EXPECT_TRUE(resident(ring, 3 * kMiB));
}

TEST(ClientStreams, zero_ahead_starts_no_prefault) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(0);
  ASSERT_NE(streams.find_or_add(7), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(streams.prefaulted_bytes(), 0U);
  EXPECT_FALSE(resident(streams.ring_memory(7), 6 * kMiB));
}

TEST(OrderServerOptions, response_prefault_beyond_one_gib_is_refused_naming_the_option) {
  OrderServerOptions options;
  options.response_prefault_bytes = 0;
  EXPECT_NO_THROW((void)check_options(options)) << "0 turns it off";
  options.response_prefault_bytes = std::size_t{1} << 30;
  EXPECT_NO_THROW((void)check_options(options));
  options.response_prefault_bytes = (std::size_t{1} << 30) + 1;
  try {
    (void)check_options(options);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("response_prefault_bytes"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace llt::exchange
