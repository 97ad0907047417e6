// libFuzzer target: the Lark front end, then the matcher on bytes taken from
// the input. Complexity is capped as in gbnf_fuzz. Every error must carry a
// line:column.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar_fuzz_common.h"
#include "steer/grammar/lark.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  auto [grammar_text, text] = steer::fuzz::SplitGrammarInput(data, size, /*whole_input_is_text=*/false);
  steer::grammar::GrammarLimits limits;
  limits.max_repeat_bound = 64;
  limits.max_exprs = 1 << 14;
  limits.max_nesting = 64;
  auto g = steer::grammar::ParseLark(grammar_text, limits);
  if (!g.ok()) {
    if (g.error().location.empty() && g.error().code != steer::ErrorCode::kResourceExhausted) __builtin_trap();
    return 0;
  }
  steer::fuzz::ExerciseMatcher(*g, text);
  return 0;
}
