// libFuzzer target: the GBNF front end, then the matcher on bytes taken from
// the input. Complexity is capped (input size, repetition bounds, expression
// count, Earley set size, state count) so a slow input means a bug, not a
// big grammar.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar_fuzz_common.h"
#include "steer/grammar/gbnf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  auto [grammar_text, text] = steer::fuzz::SplitGrammarInput(data, size, /*whole_input_is_text=*/true);
  steer::grammar::GbnfOptions opt;
  opt.limits.max_repeat_bound = 64;
  opt.limits.max_exprs = 1 << 14;
  opt.limits.max_nesting = 64;
  opt.allow_left_recursion = (size & 1) != 0;
  auto g = steer::grammar::ParseGbnf(grammar_text, opt);
  if (!g.ok()) {
    if (g.error().location.empty()) __builtin_trap();  // every GBNF error has a line:column
    return 0;
  }
  steer::fuzz::ExerciseMatcher(*g, text);
  return 0;
}
