#include "trading/session_state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace llt::trading {
namespace {

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
  [[nodiscard]] std::string read_error() const {
    try {
      (void)read_session_state(path_, 7);
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    return "";
  }

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
  EXPECT_EQ(error, "--state-file " + path_ + ": is a directory, not a file") << error;
}

}  // namespace
}  // namespace llt::trading
