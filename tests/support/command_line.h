#pragma once

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

}  // namespace llt::test
