// JSON Schema (draft 2020-12 and draft-07) to the grammar IR.
//
// The grammar accepts exactly the JSON texts that are valid instances AND are
// spelled the way steer generates them; it never accepts an invalid
// instance. The spelling restrictions (each a subset of the valid texts):
//   - object properties come in schema order (`properties` order, then
//     required names missing from `properties`) when there are more than
//     max_any_order_properties of them, else in any order; additional
//     properties may come between them; optional ones may be skipped;
//   - numbers: integers in canonical form (no "-0", no "1.0", no exponent);
//     under numeric bounds, numbers have no exponent and no "-0" spelling;
//   - enum/const values are spelled as in the schema (string characters may
//     use any JSON escape), objects with their keys in schema order;
//   - whitespace only between tokens, per JsonSchemaOptions, never leading or
//     trailing.
// Strings accept every JSON spelling of each character (escapes included),
// so minLength/maxLength count code points exactly and `pattern` (ECMAScript,
// search semantics) sees the decoded string.
//
// Every validation keyword is either enforced exactly or rejected with an
// error that names it and its JSON pointer (kUnsupported); an unsatisfiable
// schema is kInvalidInput ("Unsatisfiable schema: ..."). Annotation keywords
// (title, description, $schema, $id, $comment, examples, default, ...) and
// keywords JSON Schema does not define are ignored, as the specification
// requires; so are `format` values it does not define. docs/json_schema.md lists
// the supported keywords.
#pragma once

#include <cstdint>
#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar {

enum class JsonWhitespace : uint8_t {
  kCompact,   // no whitespace at all
  kFlexible,  // up to max_whitespace bytes of [ \t\n\r] between tokens
};

// Draft semantics for schemas without "$schema": 2020-12 applies the
// siblings of $ref; draft-07 (and older) ignores them.
enum class JsonSchemaDraft : uint8_t { k2020_12, kDraft07 };

struct JsonSchemaOptions {
  JsonWhitespace whitespace = JsonWhitespace::kFlexible;
  JsonSchemaDraft default_draft = JsonSchemaDraft::k2020_12;
  int32_t max_whitespace = 20;
  // Expanding anyOf/oneOf inside allOf multiplies branches; beyond this many
  // the schema is rejected (kResourceExhausted).
  int32_t max_branches = 256;
  // min/maxProperties are counted in the grammar's states; bounds above this
  // are rejected (kResourceExhausted).
  int32_t max_property_count = 64;
  // Objects with at most this many named properties accept them in any
  // order (2^n grammar states); larger ones take schema order.
  int32_t max_any_order_properties = 6;
  GrammarLimits limits;
};

// Compiles a schema given as JSON text. Errors: kInvalidInput for malformed
// JSON ("offset N") or an invalid/unsatisfiable schema, kUnsupported for a
// keyword steer cannot enforce, kResourceExhausted for a limit; the location
// is the JSON pointer of the offending schema keyword.
Result<Grammar> CompileJsonSchema(std::string_view json_text, const JsonSchemaOptions& options);

}  // namespace steer::grammar
