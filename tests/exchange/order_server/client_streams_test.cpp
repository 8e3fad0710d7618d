// ClientStreams (docs/recovery.md, Numbered streams, and Committing the rings ahead of the
// writer): numbering and keeping responses, and the prefault thread that commits each ring's
// memory ahead of its writer. The residency checks assume x86-64's 2 MiB huge pages: a write
// commits at most the 2 MiB page around it.
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

// Whether this kernel has MADV_POPULATE_WRITE (Linux 5.14); the prefault tests skip without it.
bool populate_supported() {
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const bool ok = page != MAP_FAILED && ::madvise(page, 4096, MADV_POPULATE_WRITE) == 0;
  if (page != MAP_FAILED) {
    ::munmap(page, 4096);
  }
  return ok;
}

// Waits (bounded: 20 s) until the prefault thread has asked for at least `bytes`.
bool prefaulted_at_least(const ClientStreams& streams, std::uint64_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (streams.prefaulted_bytes() < bytes) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The prefault cases; skipped on a kernel without MADV_POPULATE_WRITE (Linux 5.14).
class ClientStreamsPrefault : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!populate_supported()) {
      GTEST_SKIP() << "no MADV_POPULATE_WRITE (Linux 5.14)";
    }
  }
};

// Client `id`'s stream with its first response (its LOGON_ACCEPTED) numbered.
ClientStream* with_first_response(ClientStreams& streams, ClientId id) {
  ClientStream* stream = streams.find_or_add(id);
  if (stream != nullptr) {
    (void)streams.append(*stream, accepted());
  }
  return stream;
}

TEST_F(ClientStreamsPrefault, commits_a_client_s_next_responses_but_not_further) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(8 * kMiB);
  ClientStream* stream = with_first_response(streams, 7);
  ASSERT_NE(stream, nullptr);
  const auto ring = streams.ring_memory(7);
  EXPECT_TRUE(becomes_resident(ring, 6 * kMiB)) << "errno " << streams.prefault_errno();
  EXPECT_TRUE(prefaulted_at_least(streams, 8 * kMiB - 4096));
  EXPECT_EQ(streams.prefault_errno(), 0);
  // The limit: 8 MiB ahead, plus at most the huge page the last one ends in.
  std::this_thread::sleep_for(std::chrono::milliseconds(40));  // a few more passes
  EXPECT_FALSE(resident(ring, 24 * kMiB));
  EXPECT_LE(streams.prefaulted_bytes(), 8 * kMiB + 2 * 4096);
}

TEST_F(ClientStreamsPrefault, waits_for_a_stream_s_first_response) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(8 * kMiB);
  ASSERT_NE(streams.find_or_add(7), nullptr);
  ClientStream restored;
  restored.client_id = 8;
  restored.next_response = 1000;
  ASSERT_TRUE(streams.restore(restored, {}));
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_EQ(streams.prefaulted_bytes(), 0U) << "neither has numbered a response";
  EXPECT_FALSE(resident(streams.ring_memory(7), kMiB));
  EXPECT_FALSE(resident(streams.ring_memory(8), 2 * kMiB));
  (void)streams.append(*streams.find(8), accepted());
  EXPECT_TRUE(becomes_resident(streams.ring_memory(8), 6 * kMiB));
  EXPECT_FALSE(resident(streams.ring_memory(7), kMiB)) << "client 7 still has none";
}

TEST_F(ClientStreamsPrefault, follows_the_writer) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(4 * kMiB);
  ClientStream* stream = with_first_response(streams, 7);
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

TEST_F(ClientStreamsPrefault, commits_every_client_s_ring) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(2 * kMiB);
  for (ClientId id = 1; id <= 3; ++id) {
    ASSERT_NE(with_first_response(streams, id), nullptr);
  }
  for (ClientId id = 1; id <= 3; ++id) {
    EXPECT_TRUE(becomes_resident(streams.ring_memory(id), kMiB)) << "client " << id;
  }
}

TEST_F(ClientStreamsPrefault, wraps_round_the_ring_from_a_restored_writer) {
  constexpr std::size_t kDepth = std::size_t{1} << 17;  // 6.4 MiB
  ClientStreams streams(4, kDepth);
  streams.start_prefault(kMiB);
  ClientStream fields;
  fields.client_id = 9;
  fields.next_response = 3 * kDepth - 100;  // its next slot is 101 before the ring's end
  ASSERT_TRUE(streams.restore(fields, {}));
  (void)streams.append(*streams.find(9), accepted());
  const auto ring = streams.ring_memory(9);
  const std::size_t ring_bytes = kDepth * sizeof(ClientResponse);
  EXPECT_TRUE(becomes_resident(ring, ring_bytes - 50 * sizeof(ClientResponse)));
  EXPECT_TRUE(becomes_resident(ring, kMiB / 2)) << "the window goes on at the ring's start";
  EXPECT_FALSE(resident(ring, ring_bytes / 2 + kMiB / 2)) << "not the middle";
  EXPECT_LE(streams.prefaulted_bytes(), kMiB + 3 * 4096);
}

TEST(ClientStreams, zero_ahead_starts_no_prefault) {
  ClientStreams streams(4, kDeep);
  streams.start_prefault(0);
  ClientStream* stream = with_first_response(streams, 7);
  ASSERT_NE(stream, nullptr);
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
