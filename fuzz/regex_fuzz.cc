// libFuzzer target: the regex front end, then the matcher on bytes taken
// from the input (pattern, optional "\x00", text). Complexity is capped.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar_fuzz_common.h"
#include "steer/grammar/regex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  auto [pattern, text] = steer::fuzz::SplitGrammarInput(data, size, /*whole_input_is_text=*/true);
  steer::grammar::GrammarLimits limits;
  limits.max_repeat_bound = 64;
  limits.max_exprs = 1 << 14;
  limits.max_nesting = 64;
  steer::grammar::RegexFlags flags;
  flags.case_insensitive = (size & 1) != 0;
  flags.dot_all = (size & 2) != 0;
  auto g = steer::grammar::ParseRegex(pattern, limits, flags);
  if (!g.ok()) {
    if (g.error().location.empty()) __builtin_trap();  // every regex error has a position
    return 0;
  }
  steer::fuzz::ExerciseMatcher(*g, text);
  return 0;
}
