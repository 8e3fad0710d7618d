#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/cli/option_values.h"

// Runs an executable's command-line parser on a test's arguments, as main() would.
namespace llt::test {

// `parse`(argc, argv) with argv = {program, args...}.
template <class Parse>
auto parse_args(Parse parse, const char* program, const std::vector<const char*>& args) {
  std::vector<const char*> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse(static_cast<int>(argv.size()), argv.data());
}

// The UsageError message parse_args throws for `args`; "" when it accepts them.
template <class Parse>
std::string usage_error_of(Parse parse, const char* program, const std::vector<const char*>& args) {
  try {
    (void)parse_args(parse, program, args);
  } catch (const common::UsageError& e) {
    return e.what();
  }
  return "";
}

// "1,2,...,count": an id list as long as asked.
inline std::string id_list(std::size_t count) {
  std::string list;
  for (std::size_t id = 1; id <= count; ++id) {
    list += (id > 1 ? "," : "") + std::to_string(id);
  }
  return list;
}

}  // namespace llt::test
