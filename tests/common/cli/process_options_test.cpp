#include "common/cli/process_options.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/cli/option_values.h"
#include "llt/version.h"
#include "tests/support/scoped_env.h"
#include "tests/support/scratch_dir.h"

namespace llt::common {
namespace {

namespace po = boost::program_options;

// A command line with the shared flags and one of its own (--size).
po::options_description description() {
  po::options_description desc = command_line_description("Usage: test [options]");
  desc.add_options()("size", po::value<std::string>()->default_value("3"), "a size");
  add_market_data_flags(desc, "the interface");
  add_process_flags(desc);
  return desc;
}

po::variables_map parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"test"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_flags(static_cast<int>(argv.size()), argv.data(), description());
}

FlagValues parse_values(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"test"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_flags(static_cast<int>(argv.size()), argv.data(), description());
}

// What the programs do: parse, then read every flag through read_flags.
std::string usage_error(std::initializer_list<const char*> args) {
  try {
    const FlagValues flags = parse_values(args);
    (void)read_flags(flags, [](const FlagValues& vm) {
      return std::make_pair(read_process_flags(vm), read_market_data_flags(vm));
    });
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(ProcessOptions, defaults_match_the_structs) {
  const po::variables_map vm = parse({});
  const ProcessOptions p = read_process_flags(vm);
  const ProcessOptions defaults;
  EXPECT_EQ(p.threading, defaults.threading);
  EXPECT_EQ(p.idle, defaults.idle);
  EXPECT_EQ(p.cpus, defaults.cpus);
  EXPECT_EQ(p.stats_interval_s, defaults.stats_interval_s);
  EXPECT_EQ(p.log_file, defaults.log_file);
  EXPECT_EQ(p.latency_csv, defaults.latency_csv);
  EXPECT_EQ(p.summary_json, defaults.summary_json);
  const MarketDataChannelOptions md = read_market_data_flags(vm);
  const MarketDataChannelOptions md_defaults;
  EXPECT_EQ(md.multicast_addr, md_defaults.multicast_addr);
  EXPECT_EQ(md.multicast_port, md_defaults.multicast_port);
  EXPECT_EQ(md.snapshot_port, md_defaults.snapshot_port);
  EXPECT_EQ(md.interface, md_defaults.interface);
}

TEST(ProcessOptions, reads_every_shared_flag) {
  const po::variables_map vm = parse({"--threading",
                                      "dedicated",
                                      "--idle",
                                      "spin",
                                      "--cpus",
                                      "0",
                                      "--stats-interval",
                                      "2",
                                      "--log-file",
                                      "x.log",
                                      "--latency-csv",
                                      "x.csv",
                                      "-m",
                                      "239.1.2.3",
                                      "--multicast-port",
                                      "7000",
                                      "-i",
                                      "127.0.0.1",
                                      "--size",
                                      "9",
                                      "--summary-json",
                                      "x.json"});
  const ProcessOptions p = read_process_flags(vm);
  EXPECT_EQ(p.threading, ThreadingMode::kDedicated);
  EXPECT_EQ(p.idle, IdleMode::kSpin);
  EXPECT_EQ(p.cpus, std::vector<int>{0});
  EXPECT_EQ(p.stats_interval_s, 2U);
  EXPECT_EQ(p.log_file, "x.log");
  EXPECT_EQ(p.latency_csv, "x.csv");
  EXPECT_EQ(p.summary_json, "x.json");
  const MarketDataChannelOptions md = read_market_data_flags(vm);
  EXPECT_EQ(md.multicast_addr, "239.1.2.3");
  EXPECT_EQ(md.multicast_port, 7000);
  EXPECT_EQ(md.snapshot_port, 7001);
  EXPECT_EQ(unsigned_flag(vm, "size", 1, 10), 9U);

  const RunnerOptions runner = runner_options(p, "test");
  EXPECT_EQ(runner.threading, ThreadingMode::kDedicated);
  EXPECT_EQ(runner.idle, IdleMode::kSpin);
  EXPECT_EQ(runner.cpus, std::vector<int>{0});
  EXPECT_EQ(runner.name, "test");
}

TEST(ProcessOptions, every_error_starts_with_the_flag_and_its_reason) {
  EXPECT_EQ(usage_error({"--threading", "both"}),
            "--threading: 'both' is not one of: dedicated, shared");
  EXPECT_EQ(usage_error({"--idle", "nap"}), "--idle: 'nap' is not one of: spin, backoff, block");
  EXPECT_EQ(usage_error({"--stats-interval", "-1"}),
            "--stats-interval: '-1' is not a non-negative integer");
  EXPECT_EQ(usage_error({"--multicast-port", "0"}),
            "--multicast-port: '0' is out of range 1-65535");
  EXPECT_EQ(usage_error({"--snapshot-port", "5000"}),
            "--snapshot-port: '5000' is the incremental stream's port");
  EXPECT_EQ(usage_error({"--bogus"}), "--bogus: is not a flag of this program");
  EXPECT_EQ(usage_error({"--size"}), "--size: needs a value");
  EXPECT_EQ(usage_error({"--size", "1", "--size", "2"}), "--size: is given more than once");
  EXPECT_EQ(usage_error({"--multicast", "239.1.2.3"}).rfind("--multicast: is ambiguous", 0), 0U)
      << usage_error({"--multicast", "239.1.2.3"});
  EXPECT_EQ(usage_error({"--interface", "0.0.0.0"}).rfind("--interface: ", 0), 0U);
  EXPECT_EQ(usage_error({"--multicast-addr", "10.0.0.1"}).rfind("--multicast-addr: ", 0), 0U);
  EXPECT_EQ(usage_error({"--cpus", "100000"}).rfind("--cpus: ", 0), 0U);
  EXPECT_EQ(usage_error({"--cpus", ""}),
            "--cpus: '' is an empty list (leave the flag out not to pin threads)");
}

TEST(ProcessOptions, a_word_that_is_no_flag_nor_a_value_is_refused) {
  EXPECT_EQ(usage_error({"--size", "4", "extra"}),
            "'extra': is not a flag or a flag's value (flags start with --)");
  EXPECT_EQ(usage_error({"--stage-costs", "true"}),
            "'true': is not a flag or a flag's value (flags start with --): --stage-costs is a "
            "switch and takes no value");
  EXPECT_EQ(usage_error({"size=4"}),
            "'size=4': is not a flag or a flag's value (flags start with --)");
  EXPECT_EQ(usage_error({"--size", "4"}), "");
}

TEST(ProcessOptions, a_flag_that_needs_a_value_is_not_given_the_next_flag) {
  EXPECT_EQ(usage_error({"--size", "--stats-interval", "1"}),
            "--size: needs a value ('--stats-interval' that follows it is a flag)");
  EXPECT_EQ(usage_error({"-m", "--size", "1"}),
            "--multicast-addr: needs a value ('--size' that follows it is a flag)");
  EXPECT_EQ(usage_error({"--size", "--"}),
            "--size: needs a value ('--' that follows it is a flag)");
  // A value may start with one dash: a flag's own check says what is wrong with it.
  EXPECT_EQ(usage_error({"--stats-interval", "-1"}),
            "--stats-interval: '-1' is not a non-negative integer");
  EXPECT_EQ(parse({"--log-file", "-"})["log-file"].as<std::string>(), "-");
}

TEST(ProcessOptions, a_double_dash_or_a_lone_dash_is_refused_by_name) {
  EXPECT_EQ(usage_error({"--size", "4", "--", "extra"}),
            "'--': this program takes no positional arguments");
  EXPECT_EQ(usage_error({"--"}), "'--': this program takes no positional arguments");
  EXPECT_EQ(usage_error({"-"}), "'-': this program takes no positional arguments");
}

using test::ScopedEnv;

// Config files in a scratch directory.
class ConfigFiles {
 public:
  // A new file holding `text`; its path.
  std::string write(const std::string& text) {
    const std::string path =
        (scratch_.path() / ("f" + std::to_string(++count_) + ".conf")).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private:
  test::ScratchDir scratch_{"process-options"};
  int count_ = 0;
};

TEST(ProcessOptions, a_switch_from_a_file_or_the_environment_is_true_or_false) {
  ConfigFiles files;
  for (const char* value : {"", "yes", "1", "on", "True"}) {
    const std::string path = files.write(std::string("size = 2\nstage-costs = ") + value + "\n");
    EXPECT_EQ(usage_error({"--config", path.c_str()}),
              path + ":2: --stage-costs: '" + value + "' is not true or false");
    const ScopedEnv env("LLT_STAGE_COSTS", value);
    EXPECT_EQ(usage_error({}),
              std::string("environment variable LLT_STAGE_COSTS: --stage-costs: '") + value +
                  "' is not true or false");
    EXPECT_EQ(usage_error({"--stage-costs"}),
              std::string("environment variable LLT_STAGE_COSTS: --stage-costs: '") + value +
                  "' is not true or false")
        << "refused though the command line sets the switch";
  }
  const std::string on = files.write("stage-costs = true\n");
  EXPECT_TRUE(read_process_flags(parse({"--config", on.c_str()})).stage_costs);
  const std::string off = files.write("stage-costs = false\n");
  EXPECT_FALSE(read_process_flags(parse({"--config", off.c_str()})).stage_costs);
  {
    const ScopedEnv env("LLT_STAGE_COSTS", "true");
    EXPECT_TRUE(read_process_flags(parse({})).stage_costs);
  }
  EXPECT_TRUE(read_process_flags(parse({"--stage-costs"})).stage_costs);
}

// What is wrong in a source's text is refused whatever overrides it; a value that a stronger
// source replaces is not read further (its meaning may depend on its own source's other
// values, and reading some asks the machine: a host name, an output file's folder).
TEST(ProcessOptions, a_mistake_in_a_files_text_is_refused_though_a_stronger_source_overrides_it) {
  ConfigFiles files;
  const std::string twice = files.write("size = 4\nsize = 5\n");
  EXPECT_EQ(usage_error({"--config", twice.c_str(), "--size", "1"}),
            twice + ":2: 'size' is set more than once");
  const std::string no_equals = files.write("size = 4\nstats-interval 3\n");
  EXPECT_EQ(usage_error({"--config", no_equals.c_str(), "--stats-interval", "1"}),
            no_equals + ":2: 'stats-interval 3' is not 'name = value'");
  const std::string short_name = files.write("-i = 127.0.0.1\n");
  EXPECT_EQ(usage_error({"--config", short_name.c_str()}),
            short_name + ":1: '-i': a config file names a flag by its long name, without dashes");
  const std::string unknown = files.write("bogus = 1\n");
  EXPECT_EQ(usage_error({"--config", unknown.c_str(), "--size", "1"}),
            unknown + ":1: 'bogus' is not a flag of this program or not one a config file may set");

  const std::string overridden = files.write("stats-interval = abc\n");
  EXPECT_EQ(usage_error({"--config", overridden.c_str()}),
            overridden + ":1: --stats-interval: 'abc' is not a non-negative integer");
  EXPECT_EQ(read_process_flags(parse({"--config", overridden.c_str(), "--stats-interval", "2"}))
                .stats_interval_s,
            2U);
  // A value refused only beside the command line's other values is no mistake of the file:
  // the file's summary would be the command line's latency CSV, but the command line moves it.
  const test::ScratchDir outputs("process-options-out");
  const std::string csv = (outputs.path() / "a.csv").string();
  const std::string json = (outputs.path() / "a.json").string();
  const std::string clash = files.write("summary-json = " + csv + "\n");
  EXPECT_EQ(usage_error({"--config", clash.c_str(), "--summary-json", json.c_str(), "--latency-csv",
                         csv.c_str()}),
            "");
}

TEST(ProcessOptions, a_line_without_equals_is_named_and_quoted_in_short) {
  ConfigFiles files;
  const std::string plain = files.write("size = 1\nport 5\n");
  EXPECT_EQ(usage_error({"--config", plain.c_str()}), plain + ":2: 'port 5' is not 'name = value'");
  const std::string long_line = files.write(std::string(200'000, 'a') + "\n");
  EXPECT_EQ(usage_error({"--config", long_line.c_str()}),
            long_line + ":1: '" + std::string(80, 'a') + "...' is not 'name = value'");
  const std::string binary = files.write(std::string("\x01\x1b[2J\xff\0x\n", 9));
  EXPECT_EQ(usage_error({"--config", binary.c_str()}),
            binary + ":1: '\\x01\\x1B[2J\\xFF\\x00x' is not 'name = value'");
}

TEST(ProcessOptions, a_byte_order_mark_before_the_first_line_is_skipped) {
  ConfigFiles files;
  const std::string path = files.write("\xEF\xBB\xBFsize = 8\nstats-interval = 4\n");
  EXPECT_EQ(parse({"--config", path.c_str()})["size"].as<std::string>(), "8");
}

TEST(ProcessOptions, a_config_file_is_a_regular_file_or_a_pipe_of_at_most_a_mebibyte) {
  for (const char* device : {"/dev/zero", "/dev/urandom", "/dev/full"}) {
    EXPECT_EQ(usage_error({"--config", device}),
              std::string("--config: '") + device + "' is not a regular file or a pipe");
  }
  EXPECT_EQ(usage_error({"--config", "/dev/null"}), "") << "no settings";
  ConfigFiles files;
  const std::string big =
      files.write("size = 2\n#" + std::string(std::size_t{1} << 20, 'x') + "\n");
  EXPECT_EQ(usage_error({"--config", big.c_str()}), "--config: '" + big + "' is larger than 1 MiB");
  const std::string near =
      files.write("size = 2\n#" + std::string((std::size_t{1} << 20) - 20, 'x') + "\n");
  EXPECT_EQ(usage_error({"--config", near.c_str()}), "");
}

// A scratch folder under the test's temporary folder; removed with the object.
class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) /
              (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  [[nodiscard]] std::string operator/(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

TEST(ProcessOptions, a_config_file_must_be_a_regular_file) {
  const ScratchFolder folder("config-kinds");
  const std::string directory = folder / "a-folder";
  std::filesystem::create_directory(directory);
  EXPECT_EQ(usage_error({"--config", directory.c_str()}),
            "--config: '" + directory + "' is a directory, not a file");
  const std::string file = folder / "ok.conf";
  std::ofstream(file) << "size = 9\n";
  EXPECT_EQ(usage_error({"--config", file.c_str()}), "");
  EXPECT_EQ(parse({"--config", file.c_str()})["size"].as<std::string>(), "9");
}

// A pipe is read once, as --config <(...) gives it; an error in it still names its line.
TEST(ProcessOptions, a_config_file_may_be_a_pipe) {
  const ScratchFolder folder("config-pipe");
  const std::string fifo = folder / "a-fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto feed = [&fifo](const std::string& text) {
    return std::thread([&fifo, text] { std::ofstream(fifo) << text; });
  };
  std::thread writer = feed("size = 7\n");
  EXPECT_EQ(parse({"--config", fifo.c_str()})["size"].as<std::string>(), "7");
  writer.join();
  writer = feed("size = 7\nbogus = 1\n");
  EXPECT_EQ(usage_error({"--config", fifo.c_str()}),
            fifo + ":2: 'bogus' is not a flag of this program or not one a config file may set");
  writer.join();
}

TEST(ProcessOptions, a_config_file_named_by_the_environment_says_so_in_its_errors) {
  const std::string missing = ::testing::TempDir() + "no-such-llt-config.conf";
  ::setenv("LLT_CONFIG", missing.c_str(), 1);
  const std::string error = usage_error({});
  ::unsetenv("LLT_CONFIG");
  EXPECT_EQ(error, "environment variable LLT_CONFIG: --config: cannot read '" + missing +
                       "': No such file or directory");
}

TEST(ProcessOptions, output_files_that_cannot_be_written_are_refused_before_the_run) {
  const ScratchFolder folder("outputs");
  const std::string missing = folder / "no-such-folder/out.json";
  EXPECT_EQ(usage_error({"--summary-json", missing.c_str()}),
            "--summary-json: '" + missing + "' cannot be written: its folder '" +
                (folder / "no-such-folder") + "' does not exist");
  const std::string directory = folder / "a-folder";
  std::filesystem::create_directory(directory);
  for (const char* flag : {"--log-file", "--latency-csv", "--summary-json", "--stats-csv"}) {
    EXPECT_EQ(usage_error({flag, directory.c_str()}),
              std::string(flag) + ": '" + directory + "' is a directory, not a file");
  }
  const std::string a_file = folder / "plain";
  std::ofstream(a_file) << "x";
  const std::string under_a_file = a_file + "/out.csv";
  EXPECT_EQ(
      usage_error({"--latency-csv", under_a_file.c_str()}),
      "--latency-csv: '" + under_a_file + "' cannot be written: '" + a_file + "' is not a folder");
  // The same file for two outputs: one would overwrite the other.
  const std::string json = folder / "run.json";
  const std::string same = folder / "./run.json";
  EXPECT_EQ(usage_error({"--summary-json", json.c_str(), "--latency-csv", same.c_str()}),
            "--summary-json: '" + json + "' is also the file of --latency-csv: give each its own");
  const std::string csv = folder / "run.csv";
  const ProcessOptions o =
      read_process_flags(parse({"--summary-json", json.c_str(), "--latency-csv", csv.c_str()}));
  EXPECT_EQ(o.summary_json, json);
  EXPECT_EQ(o.latency_csv, csv);
  EXPECT_FALSE(std::filesystem::exists(json)) << "checking a path does not create the file";
}

// A file that is there is written where it is: it must take writes, its folder need not. Device
// files may be named by several flags.
TEST(ProcessOptions, an_existing_output_file_is_checked_itself) {
  const ProcessOptions o = read_process_flags(parse(
      {"--log-file", "/dev/null", "--summary-json", "/dev/null", "--stats-csv", "/dev/null"}));
  EXPECT_EQ(o.log_file, "/dev/null");
  EXPECT_EQ(o.summary_json, "/dev/null");
  const ScratchFolder folder("existing-output");
  const std::string file = folder / "summary.json";
  std::ofstream(file) << "{}";
  EXPECT_EQ(usage_error({"--summary-json", file.c_str()}), "");
  if (::geteuid() != 0) {  // root writes any file: access() says yes
    std::filesystem::permissions(file, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::remove);
    EXPECT_EQ(usage_error({"--summary-json", file.c_str()}),
              "--summary-json: '" + file + "' cannot be written: Permission denied");
  }
}

TEST(ProcessOptions, a_file_replaced_by_rename_needs_its_folder_not_its_own_permission) {
  const ScratchFolder folder("renamed-output");
  const std::string file = folder / "client.state";
  std::ofstream(file) << "state";
  std::filesystem::permissions(file, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::remove);
  EXPECT_NO_THROW(check_output_file("--state-file", file, OutputWrite::kReplacedByRename));
  const std::string missing = folder / "gone/client.state";
  EXPECT_THROW(check_output_file("--state-file", missing, OutputWrite::kReplacedByRename),
               UsageError);
}

TEST(ProcessOptions, help_lists_help_and_the_shared_flags) {
  const std::string text = help_text(description());
  for (const char* flag :
       {"--help", "--version", "--threading", "--idle", "--cpus", "--stats-interval", "--log-file",
        "--latency-csv", "--summary-json", "--multicast-addr", "--multicast-port",
        "--snapshot-port", "--interface", "the interface"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(parse({"--help"}).count("help"), 1U);
  EXPECT_TRUE(version_requested(parse({"--version"})));
  EXPECT_FALSE(version_requested(parse({})));
}

TEST(ProcessOptions, version_line_names_the_program_and_the_project_version) {
  const std::string line = version_line("exchange");
  EXPECT_EQ(line.rfind(std::string("exchange ") + LLT_VERSION, 0), 0U) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
}

}  // namespace
}  // namespace llt::common
