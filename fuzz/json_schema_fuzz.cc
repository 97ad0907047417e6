// libFuzzer target: the JSON-Schema front end, then the matcher on bytes
// taken from the input. Complexity is capped (input size, repetition bounds,
// expression count, nesting, branch count, Earley limits) so a slow input
// means a bug, not a big schema. Every error must carry a location (a JSON
// pointer or a byte offset) or be a limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/grammar/json_schema.h"
#include "steer/grammar/matcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Schema text, then an optional "\x00" and a text to match.
  size_t split = in.find('\0');
  std::string_view schema = in.substr(0, split);
  std::string_view text = split == std::string_view::npos ? std::string_view() : in.substr(split + 1);
  steer::grammar::JsonSchemaOptions opt;
  opt.limits.max_repeat_bound = 64;
  opt.limits.max_exprs = 1 << 16;
  opt.limits.max_nesting = 32;
  opt.max_branches = 32;
  opt.max_property_count = 8;
  opt.whitespace = (size & 1) ? steer::grammar::JsonWhitespace::kCompact : steer::grammar::JsonWhitespace::kFlexible;
  auto g = steer::grammar::CompileJsonSchema(schema, opt);
  if (!g.ok()) {
    if (g.error().location.empty() && g.error().code != steer::ErrorCode::kResourceExhausted &&
        g.error().message.rfind("malformed JSON", 0) != 0) {
      __builtin_trap();  // a schema error must say where
    }
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
