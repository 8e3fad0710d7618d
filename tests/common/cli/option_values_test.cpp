#include "common/cli/option_values.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/scratch_dir.h"

namespace llt::common {
namespace {

// Runs `parse` and returns the UsageError's message, or "" when it did not throw.
template <typename Parse>
std::string usage_error(Parse parse) {
  try {
    parse();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(OptionValues, parses_ports_and_names_the_flag_when_out_of_range) {
  EXPECT_EQ(parse_port("--port", "12345"), 12345);
  EXPECT_EQ(usage_error([] { (void)parse_port("--port", "70000"); }),
            "--port: '70000' is out of range 1-65535");
  EXPECT_EQ(usage_error([] { (void)parse_port("--port", "0"); }),
            "--port: '0' is out of range 1-65535");
  EXPECT_EQ(usage_error([] { (void)parse_port("--port", "12a"); }),
            "--port: '12a' is not a non-negative integer");
  EXPECT_EQ(usage_error([] { (void)parse_port("--port", "-1"); }),
            "--port: '-1' is not a non-negative integer");
  EXPECT_EQ(usage_error([] { (void)parse_port("--port", ""); }),
            "--port: '' is not a non-negative integer");
}

TEST(OptionValues, parses_id_lists_and_rejects_empty_non_numeric_and_duplicate_ids) {
  EXPECT_EQ(parse_id_list("--tickers", "1,2,3", 1, 100), (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_NE(usage_error([] { (void)parse_id_list("--tickers", "", 1, 100); }).find("--tickers"),
            std::string::npos);
  EXPECT_NE(
      usage_error([] { (void)parse_id_list("--tickers", "1,,2", 1, 100); }).find("empty element"),
      std::string::npos);
  EXPECT_NE(usage_error([] {
              (void)parse_id_list("--tickers", "1,x", 1, 100);
            }).find("'x' is not a non-negative integer"),
            std::string::npos);
  EXPECT_NE(
      usage_error([] { (void)parse_id_list("--tickers", "1,2,1", 1, 100); }).find("lists 1 twice"),
      std::string::npos);
  EXPECT_NE(usage_error([] { (void)parse_id_list("--tickers", "0", 1, 100); }).find("out of range"),
            std::string::npos);
}

TEST(OptionValues, validates_addresses_naming_the_flag) {
  EXPECT_EQ(parse_ipv4_text("--host", "127.0.0.1"), "127.0.0.1");
  EXPECT_NE(usage_error([] { (void)parse_ipv4_text("--host", "localhost"); }).find("--host"),
            std::string::npos);
  EXPECT_EQ(parse_multicast_group_text("--multicast-addr", "239.255.0.1"), "239.255.0.1");
  EXPECT_NE(usage_error([] {
              (void)parse_multicast_group_text("--multicast-addr", "10.0.0.1");
            }).find("--multicast-addr"),
            std::string::npos);
  EXPECT_NE(usage_error([] {
              (void)parse_multicast_interface_text("--interface", "0.0.0.0");
            }).find("--interface"),
            std::string::npos);
}

TEST(OptionValues, parses_choices_and_lists_them_on_error) {
  EXPECT_EQ(parse_choice("--idle", "spin", {"spin", "backoff"}), "spin");
  EXPECT_EQ(usage_error([] {
              (void)parse_choice("--idle", "nap", {"spin", "backoff"});
            }),
            "--idle: 'nap' is not one of: spin, backoff");
}

TEST(OptionValues, parses_doubles_in_range) {
  EXPECT_DOUBLE_EQ(parse_double("--md-loss-rate", "0.05", 0, 1), 0.05);
  EXPECT_NE(
      usage_error([] { (void)parse_double("--md-loss-rate", "1.5", 0, 1); }).find("out of range"),
      std::string::npos);
  EXPECT_NE(usage_error([] {
              (void)parse_double("--md-loss-rate", "abc", 0, 1);
            }).find("not a decimal number"),
            std::string::npos);
  EXPECT_EQ(usage_error([] { (void)parse_double("--md-loss-rate", "", 0, 1); }),
            "--md-loss-rate: '' is not a decimal number (such as 0.25 or 1e-3)");
  // Past what a double holds: out of range like any other value, not "not a decimal number".
  EXPECT_EQ(usage_error([] { (void)parse_double("--skew-factor", "1e400", 0, 100); }),
            "--skew-factor: '1e400' is out of range 0-100");
  EXPECT_EQ(usage_error([] { (void)parse_double("--ema-alpha", "1e-320", 0, 1); }),
            "--ema-alpha: '1e-320' is too close to 0");
  EXPECT_DOUBLE_EQ(parse_double("--ema-alpha", "1e-300", 0, 1), 1e-300);
}

TEST(OptionValues, parses_doubles_in_plain_decimal_notation_only) {
  EXPECT_DOUBLE_EQ(parse_double("--skew-factor", "0.5", 0, 100), 0.5);
  EXPECT_DOUBLE_EQ(parse_double("--skew-factor", ".5", 0, 100), 0.5);
  EXPECT_DOUBLE_EQ(parse_double("--skew-factor", "5.", 0, 100), 5.0);
  EXPECT_DOUBLE_EQ(parse_double("--skew-factor", "5", 0, 100), 5.0);
  EXPECT_DOUBLE_EQ(parse_double("--skew-factor", "+2.5E+1", 0, 100), 25.0);
  EXPECT_DOUBLE_EQ(parse_double("--ema-alpha", "1e-3", 0, 1), 1e-3);
  EXPECT_EQ(usage_error([] { (void)parse_double("--skew-factor", "-1", 0, 100); }),
            "--skew-factor: '-1' is out of range 0-100");
  // strtod() reads these too, but they are not how a number is written on a command line.
  for (const char* text : {"0x1p-1", "0X10", "inf", "-inf", "INFINITY", "nan", "NaN(1)", ".", "-",
                           "1e", "1e+", "e5", "1.2.3", "1,5", "0.5x"}) {
    EXPECT_EQ(
        usage_error([text] { (void)parse_double("--skew-factor", text, 0, 100); }),
        std::string("--skew-factor: '") + text + "' is not a decimal number (such as 0.25 or 1e-3)")
        << text;
  }
  for (const char* text : {" 0.5", "0.5 ", "\t0.5", "0.5\n", "1 e3"}) {
    EXPECT_EQ(usage_error([text] { (void)parse_double("--signal-threshold", text, 0, 1); }),
              std::string("--signal-threshold: '") + text + "' contains whitespace")
        << text;
  }
}

TEST(OptionValues, refuses_whitespace_in_integers_and_lists) {
  for (const char* text : {" 7", "7 ", "\t7", "7\n", "1 2", "\v7", "\r7", "\f7"}) {
    EXPECT_EQ(usage_error([text] { (void)parse_port("--port", text); }),
              std::string("--port: '") + text + "' contains whitespace")
        << text;
    EXPECT_EQ(usage_error([text] { (void)parse_unsigned("--client-id", text, 1, 100); }),
              std::string("--client-id: '") + text + "' contains whitespace")
        << text;
  }
  for (const char* text : {"1 ,2", "1, 2", " 7 ", " ", "1,\t2"}) {
    EXPECT_EQ(usage_error([text] { (void)parse_id_list("--tickers", text, 1, 100); }),
              std::string("--tickers: '") + text + "' contains whitespace")
        << text;
    EXPECT_EQ(usage_error([text] { (void)parse_cpu_list("--cpus", text); }),
              std::string("--cpus: '") + text + "' contains whitespace")
        << text;
  }
  EXPECT_EQ(usage_error([] { (void)parse_snapshot_port("--snapshot-port", " 5001", 5000); }),
            "--snapshot-port: ' 5001' contains whitespace");
}

TEST(OptionValues, parses_cpu_lists_within_the_available_cpus) {
  // "" is what the flag holds when it is not given: no pinning.
  EXPECT_TRUE(parse_cpu_list("--cpus", "").empty());
  EXPECT_EQ(parse_cpu_list("--cpus", "0"), (std::vector<int>{0}));
  EXPECT_NE(usage_error([] { (void)parse_cpu_list("--cpus", "4096"); }).find("out of range"),
            std::string::npos);
  EXPECT_NE(usage_error([] { (void)parse_cpu_list("--cpus", "0,"); }).find("empty element"),
            std::string::npos);
}

// The names in `folder`, to see that a check left nothing behind.
std::vector<std::string> names_in(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string contents(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Root passes access() for any path in a folder it may enter, /proc included: the file is
// created to know. (Others are refused by access() already, with the folder's error.)
TEST(OptionValues, an_output_file_that_cannot_be_created_is_refused_even_for_root) {
  const bool root = ::geteuid() == 0;
  for (const char* flag : {"--latency-csv", "--summary-json", "--book-dump", "--log-file"}) {
    const std::string error = usage_error([flag] { check_output_file(flag, "/proc/xyz"); });
    EXPECT_EQ(error.rfind(std::string(flag) + ": '/proc/xyz' cannot be", 0), 0U) << error;
    if (root) {
      EXPECT_EQ(error,
                std::string(flag) + ": '/proc/xyz' cannot be created: No such file or directory");
    }
  }
  const std::string state_error = usage_error(
      [] { check_output_file("--state-file", "/proc/xyz", OutputWrite::kReplacedByRename); });
  EXPECT_EQ(state_error.rfind("--state-file: '/proc/xyz' cannot be written: ", 0), 0U)
      << state_error;
  if (root) {
    EXPECT_EQ(state_error,
              "--state-file: '/proc/xyz' cannot be written: '/proc/xyz.tmp' cannot be created: No "
              "such file or directory");
  }
  const std::string listed_error = usage_error([] {
    check_output_files({{"--log-file", ""}, {"--stats-csv", "/proc/xyz"}});
  });
  EXPECT_EQ(listed_error.rfind("--stats-csv: '/proc/xyz' cannot be", 0), 0U) << listed_error;
}

TEST(OptionValues, checking_an_output_file_leaves_no_file_behind_and_keeps_one_that_is_there) {
  const test::ScratchDir scratch("option-values");
  const std::filesystem::path& folder = scratch.path();
  EXPECT_NO_THROW(check_output_file("--latency-csv", (folder / "new.csv").string()));
  EXPECT_NO_THROW(check_output_file("--state-file", (folder / "client.state").string(),
                                    OutputWrite::kReplacedByRename));
  EXPECT_TRUE(names_in(folder).empty());

  // A file that is there is opened to write, not truncated; a state file's leftover PATH.tmp
  // (the program writes over it) is kept too.
  std::ofstream(folder / "run.log") << "earlier run\n";
  std::ofstream(folder / "client.state") << "state\n";
  std::ofstream(folder / "client.state.tmp") << "half written\n";
  EXPECT_NO_THROW(check_output_file("--log-file", (folder / "run.log").string()));
  EXPECT_NO_THROW(check_output_file("--state-file", (folder / "client.state").string(),
                                    OutputWrite::kReplacedByRename));
  EXPECT_EQ(contents(folder / "run.log"), "earlier run\n");
  EXPECT_EQ(contents(folder / "client.state"), "state\n");
  EXPECT_EQ(contents(folder / "client.state.tmp"), "half written\n");
  EXPECT_EQ(names_in(folder),
            (std::vector<std::string>{"client.state", "client.state.tmp", "run.log"}));

  // A pipe nobody reads yet is not opened: that would block, or fail with O_NONBLOCK.
  const std::filesystem::path fifo = folder / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NO_THROW(check_output_file("--stats-csv", fifo.string()));
  EXPECT_NO_THROW(check_output_files({{"--stats-csv", fifo.string()},
                                      {"--log-file", "/dev/null"},
                                      {"--summary-json", "/dev/null"},
                                      {"--latency-csv", fifo.string()}}));
}

// Runs `check` with the working folder set to `folder`, then sets it back.
template <typename Check>
std::string usage_error_in(const std::filesystem::path& folder, Check check) {
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(folder);
  std::string error = usage_error(check);
  std::filesystem::current_path(before);
  return error;
}

TEST(OptionValues, one_output_file_under_two_spellings_is_refused) {
  const test::ScratchDir scratch("option-values");
  const std::string folder = scratch.path().string();
  // Files still to be made.
  EXPECT_EQ(usage_error_in(scratch.path(),
                           [&] {
                             check_output_files({{"--log-file", "same3.out"},
                                                 {"--stats-csv", folder + "/same3.out"}});
                           }),
            "--stats-csv: '" + folder +
                "/same3.out' is also the file of --log-file: give each its "
                "own");
  EXPECT_EQ(
      usage_error_in(
          scratch.path(),
          [] {
            check_output_files({{"--latency-csv", "same2.out"}, {"--summary-json", "./same2.out"}});
          }),
      "--summary-json: './same2.out' is also the file of --latency-csv: give each its own");
  EXPECT_EQ(usage_error([&] {
              check_output_files({{"--latency-csv", folder + "/./same.out"},
                                  {"--summary-json", folder + "//same.out"}});
            }),
            "--summary-json: '" + folder +
                "//same.out' is also the file of --latency-csv: give "
                "each its own");
  std::filesystem::create_directory(scratch.path() / "sub");
  EXPECT_EQ(usage_error([&] {
              check_output_files({{"--latency-csv", folder + "/sub/../same.out"},
                                  {"--summary-json", folder + "/same.out"}});
            }),
            "--summary-json: '" + folder +
                "/same.out' is also the file of --latency-csv: give "
                "each its own");
  // A file that is there, and one reached through a symbolic link to its folder.
  std::ofstream(scratch.path() / "there.out") << "x";
  std::filesystem::create_directory_symlink(scratch.path(), scratch.path() / "link");
  EXPECT_EQ(usage_error_in(scratch.path(),
                           [&] {
                             check_output_files({{"--log-file", "there.out"},
                                                 {"--stats-csv", folder + "/link/there.out"}});
                           }),
            "--stats-csv: '" + folder +
                "/link/there.out' is also the file of --log-file: give "
                "each its own");
  EXPECT_EQ(usage_error_in(
                scratch.path(),
                [&] {
                  check_output_files({{"--log-file", "new.out"}, {"--stats-csv", "link/new.out"}});
                }),
            "--stats-csv: 'link/new.out' is also the file of --log-file: give each its own");
  // Two files are two files.
  EXPECT_EQ(
      usage_error_in(scratch.path(),
                     [] {
                       check_output_files({{"--log-file", "a.out"}, {"--stats-csv", "sub/a.out"}});
                     }),
      "");
}

}  // namespace
}  // namespace llt::common
