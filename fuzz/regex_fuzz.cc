// libFuzzer target: the regex front end, then the matcher on bytes taken
// from the input (pattern, optional "\x00", text). Complexity is capped.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/grammar/matcher.h"
#include "steer/grammar/regex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 2048) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find('\0');
  std::string_view pattern = in.substr(0, split);
  std::string_view text = split == std::string_view::npos ? in : in.substr(split + 1);
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
  steer::grammar::MatcherOptions mo;
  mo.max_set_items = 4096;
  mo.max_states = 4096;
  auto parser = steer::grammar::CompileParser(*g, mo);
  if (!parser.ok()) return 0;
  steer::grammar::Matcher m(*parser);
  for (char c : text.substr(0, 256)) {
    if (!m.AcceptByte(static_cast<uint8_t>(c))) break;
  }
  (void)m.IsComplete();
  m.Rollback(m.num_bytes());
  return 0;
}
