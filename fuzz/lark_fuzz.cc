// libFuzzer target: the Lark front end, then the matcher on bytes taken from
// the input. Complexity is capped as in gbnf_fuzz. Every error must carry a
// line:column.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/grammar/lark.h"
#include "steer/grammar/matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find('\0');
  std::string_view grammar_text = in.substr(0, split);
  std::string_view text = split == std::string_view::npos ? std::string_view() : in.substr(split + 1);
  steer::grammar::GrammarLimits limits;
  limits.max_repeat_bound = 64;
  limits.max_exprs = 1 << 14;
  limits.max_nesting = 64;
  auto g = steer::grammar::ParseLark(grammar_text, limits);
  if (!g.ok()) {
    if (g.error().location.empty() && g.error().code != steer::ErrorCode::kResourceExhausted) __builtin_trap();
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
  return 0;
}
