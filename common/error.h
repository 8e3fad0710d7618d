#pragma once

// Invariant checks, branch and inlining hints. LLT_ASSERT compiles away in release builds (NDEBUG)
// and calls a cold, non-inlined fatal function otherwise; the message is a string literal, never a
// string built at run time.
//
// LLT_VERIFY(expr, why) is for an expression that must run for its effect and whose result is
// an invariant, such as a container insert that a capacity check made certain to succeed: expr
// is evaluated exactly once in every build, and checked like LLT_ASSERT where assertions are on.
// (An LLT_ASSERT of such a call would drop the call itself from release builds.)

#define LLT_LIKELY(x) __builtin_expect(!!(x), 1)
#define LLT_UNLIKELY(x) __builtin_expect(!!(x), 0)

// For a small function of a hot path whose inlining must not depend on the translation unit
// that calls it: GCC stops inlining once a unit has grown by a set fraction, so in a large
// unit the same call may otherwise stay a call.
#define LLT_ALWAYS_INLINE [[gnu::always_inline]]

namespace llt::common {

// Prints "file:line: assertion `expr` failed: why" to stderr and aborts.
[[noreturn, gnu::cold, gnu::noinline]] void assert_fail(const char* expr, const char* why,
                                                        const char* file, int line) noexcept;

}  // namespace llt::common

#ifdef NDEBUG
#define LLT_ASSERT(cond, why) ((void)0)
#define LLT_VERIFY(expr, why) ((void)(expr))
#else
#define LLT_ASSERT(cond, why) \
  (LLT_LIKELY(cond) ? (void)0 : ::llt::common::assert_fail(#cond, why, __FILE__, __LINE__))
#define LLT_VERIFY(expr, why) \
  (LLT_LIKELY(expr) ? (void)0 : ::llt::common::assert_fail(#expr, why, __FILE__, __LINE__))
#endif
