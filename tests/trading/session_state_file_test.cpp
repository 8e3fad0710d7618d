#include "trading/session_state_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <stdexcept>
#include <string>

#include "tests/support/scratch_dir.h"

namespace llt::trading {
namespace {

// The message of the error reading `path` as client 7's state throws, or "".
std::string read_error_of(const std::string& path) {
  try {
    (void)read_session_state(path, 7);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

// A file name of its own under the temporary directory, removed at the end of the test.
class SessionStateFileTest : public ::testing::Test {
 protected:
  SessionStateFileTest()
      : path_(::testing::TempDir() + "llt_state_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    std::remove(path_.c_str());
  }
  ~SessionStateFileTest() override {
    std::remove(path_.c_str());
    std::remove((path_ + ".tmp").c_str());
  }

  void write_text(const std::string& text) const {
    std::ofstream out(path_);
    out << text;
  }

  // The message of the error reading the file throws, or "".
  [[nodiscard]] std::string read_error() const { return read_error_of(path_); }

  std::string path_;
};

TEST_F(SessionStateFileTest, a_missing_file_is_a_fresh_day) {
  EXPECT_FALSE(read_session_state(path_, 7).has_value());
}

TEST_F(SessionStateFileTest, round_trips_the_numbers) {
  SessionState state;
  state.client_id = 7;
  state.next_request_seq = 1234;
  state.last_response_seq = 5678;
  state.next_order_id = 91;
  write_session_state(path_, state);
  const auto read = read_session_state(path_, 7);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->client_id, 7U);
  EXPECT_EQ(read->next_request_seq, 1234U);
  EXPECT_EQ(read->last_response_seq, 5678U);
  EXPECT_EQ(read->next_order_id, 91U);
  state.next_request_seq = 1235;
  write_session_state(path_, state);  // replaces the file
  EXPECT_EQ(read_session_state(path_, 7)->next_request_seq, 1235U);
  EXPECT_NE(::access((path_ + ".tmp").c_str(), F_OK), 0) << "the temporary file was renamed";
}

TEST_F(SessionStateFileTest, a_corrupt_file_is_an_error_naming_the_file) {
  for (const std::string& text :
       {std::string(""), std::string("garbage\n"),
        std::string("llt-trading-state 1\nclient_id 7\nnext_request_seq x\n"
                    "last_response_seq 1\nnext_order_id 1\n"),
        std::string("llt-trading-state 1\nclient_id 7\nnext_request_seq 3\n"
                    "last_response_seq 1\n"),
        std::string("llt-trading-state 1\nclient_id 7\nnext_request_seq 0\n"
                    "last_response_seq 1\nnext_order_id 1\n"),
        std::string("llt-trading-state 2\nclient_id 7\nnext_request_seq 3\n"
                    "last_response_seq 1\nnext_order_id 1\n")}) {
    write_text(text);
    const std::string error = read_error();
    EXPECT_NE(error.find("--state-file " + path_), std::string::npos) << text << ": " << error;
  }
}

TEST_F(SessionStateFileTest, a_file_of_another_client_is_an_error) {
  SessionState state;
  state.client_id = 8;
  write_session_state(path_, state);
  const std::string error = read_error();
  EXPECT_NE(error.find("client id 8"), std::string::npos) << error;
}

TEST_F(SessionStateFileTest, a_directory_is_an_error_saying_so) {
  ASSERT_TRUE(std::filesystem::create_directory(path_));
  const std::string error = read_error();
  std::filesystem::remove(path_);
  EXPECT_EQ(error, "--state-file: '" + path_ + "' is not a regular file (a directory)") << error;
}

// Opening a FIFO for reading waits for a writer; the client has SIGTERM blocked then, so only
// SIGKILL would end that wait. It must be refused without being opened.
TEST(SessionStateFileKindTest, a_fifo_is_refused_without_waiting_for_a_writer) {
  const test::ScratchDir dir("llt_state");
  const std::string fifo = (dir.path() / "state").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  std::future<std::string> reading =
      std::async(std::launch::async, [&fifo] { return read_error_of(fifo); });
  if (reading.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // The read is waiting in open() for a writer: be one, so that it (and the test) ends.
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
    }
    reading.wait();
    FAIL() << "reading the FIFO " << fifo << " waited for a writer";
  }
  EXPECT_EQ(reading.get(), "--state-file: '" + fifo + "' is not a regular file (a FIFO)");
}

// /dev/zero and /dev/full never end: read whole, they would take all the memory there is.
TEST(SessionStateFileKindTest, a_character_device_is_refused_without_being_read) {
  for (const std::string device : {"/dev/zero", "/dev/full", "/dev/null"}) {
    if (::access(device.c_str(), R_OK) != 0) {
      continue;
    }
    EXPECT_EQ(read_error_of(device),
              "--state-file: '" + device + "' is not a regular file (a character device)");
  }
}

TEST_F(SessionStateFileTest, a_file_longer_than_any_state_file_is_refused) {
  // A good state file padded with blank lines, which the parser alone would accept.
  write_text(
      "llt-trading-state 1\nclient_id 7\nnext_request_seq 3\nlast_response_seq 1\n"
      "next_order_id 1\n" +
      std::string(8192, '\n'));
  const std::string error = read_error();
  EXPECT_NE(error.find("--state-file: '" + path_ + "' is larger than "), std::string::npos)
      << error;
  EXPECT_NE(error.find(" bytes: not a state file"), std::string::npos) << error;
}

// The size bound is no smaller than the longest file the writer makes.
TEST_F(SessionStateFileTest, the_largest_numbers_round_trip) {
  SessionState state;
  state.client_id = std::numeric_limits<exchange::ClientId>::max();
  state.next_request_seq = std::numeric_limits<std::uint64_t>::max();
  state.last_response_seq = std::numeric_limits<std::uint64_t>::max();
  state.next_order_id = std::numeric_limits<std::uint64_t>::max();
  write_session_state(path_, state);
  const auto read = read_session_state(path_, state.client_id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->next_request_seq, state.next_request_seq);
  EXPECT_EQ(read->last_response_seq, state.last_response_seq);
  EXPECT_EQ(read->next_order_id, state.next_order_id);
  // A blank line an editor added at the end is read past.
  std::ofstream(path_, std::ios::app) << '\n';
  EXPECT_TRUE(read_session_state(path_, state.client_id).has_value());
}

}  // namespace
}  // namespace llt::trading
