// libFuzzer target: the GBNF front end, then the matcher on bytes taken from
// the input. Complexity is capped (input size, repetition bounds, expression
// count, Earley set size, state count) so a slow input means a bug, not a
// big grammar.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/grammar/gbnf.h"
#include "steer/grammar/matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Grammar text, then an optional "\x00" and a text to match.
  size_t split = in.find('\0');
  std::string_view grammar_text = in.substr(0, split);
  std::string_view text = split == std::string_view::npos ? in : in.substr(split + 1);
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
  steer::grammar::MatcherOptions mo;
  mo.max_set_items = 4096;
  mo.max_states = 4096;
  auto parser = steer::grammar::CompileParser(*g, mo);
  if (!parser.ok()) return 0;
  steer::grammar::Matcher m(*parser);
  for (char c : text.substr(0, 256)) {
    if (!m.AcceptByte(static_cast<uint8_t>(c))) break;
    (void)m.IsComplete();
  }
  size_t n = m.num_bytes();
  m.Rollback(n / 2);
  (void)m.CanContinue();
  return 0;
}
