#include "common/error.h"

#include <gtest/gtest.h>

namespace {

#ifdef NDEBUG
constexpr bool kAssertionsOn = false;
#else
constexpr bool kAssertionsOn = true;
#endif

// Counts its calls. [[nodiscard]] like the container operations LLT_VERIFY wraps, so this file
// also shows that LLT_VERIFY uses the result in every build type (the build has warnings on).
class Probe {
 public:
  [[nodiscard]] bool call(bool result) noexcept {
    ++calls_;
    return result;
  }
  [[nodiscard]] int calls() const noexcept { return calls_; }

 private:
  int calls_ = 0;
};

TEST(LltVerify, evaluates_a_holding_expression_exactly_once) {
  Probe probe;
  LLT_VERIFY(probe.call(true), "the probe returns what it is given");
  EXPECT_EQ(probe.calls(), 1);
  LLT_VERIFY(probe.call(true), "the probe returns what it is given");
  EXPECT_EQ(probe.calls(), 2);
}

TEST(LltVerify, is_one_expression_usable_where_a_statement_is_not_braced) {
  Probe probe;
  for (int i = 0; i < 3; ++i)
    LLT_VERIFY(probe.call(true), "the probe returns what it is given");
  if (probe.calls() == 3)
    LLT_VERIFY(probe.call(true), "the probe returns what it is given");
  else
    ADD_FAILURE() << "the loop body ran " << probe.calls() << " times";
  EXPECT_EQ(probe.calls(), 4);
}

// The contrast LLT_VERIFY exists for: LLT_ASSERT's condition is not evaluated at all where
// assertions are off.
TEST(LltAssert, evaluates_its_condition_only_where_assertions_are_on) {
  Probe probe;
  LLT_ASSERT(probe.call(true), "the probe returns what it is given");
  EXPECT_EQ(probe.calls(), kAssertionsOn ? 1 : 0);
}

#ifdef NDEBUG
TEST(LltVerify, evaluates_a_failing_expression_once_and_carries_on_where_assertions_are_off) {
  Probe probe;
  LLT_VERIFY(probe.call(false), "a failure is not checked in this build type");
  EXPECT_EQ(probe.calls(), 1);
}
#else
TEST(LltVerifyDeathTest, aborts_naming_the_expression_and_the_reason_where_assertions_are_on) {
  Probe probe;
  EXPECT_DEATH(LLT_VERIFY(probe.call(false), "the reason given"),
               "assertion `probe.call\\(false\\)` failed: the reason given");
}
#endif

}  // namespace
