// libFuzzer target: the JSON-Schema front end, then the matcher on bytes
// taken from the input. Complexity is capped (input size, repetition bounds,
// expression count, nesting, branch count, Earley limits) so a slow input
// means a bug, not a big schema. Every error must carry a location (a JSON
// pointer or a byte offset) or be a limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar_fuzz_common.h"
#include "steer/grammar/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  auto [schema, text] = steer::fuzz::SplitGrammarInput(data, size, /*whole_input_is_text=*/false);
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
  steer::fuzz::ExerciseMatcher(*g, text);
  return 0;
}
