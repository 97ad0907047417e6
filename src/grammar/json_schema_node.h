// The JSON-Schema front end's intermediate form: a schema (with its allOf
// and $ref siblings merged in) as one conjunction of constraints per JSON
// type. Subschemas stay unresolved references (SchemaRef) so recursive
// schemas stay finite. Private to the grammar module.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "json_text.h"

namespace steer::grammar::internal {

using Json = nlohmann::ordered_json;

// A subschema and its JSON pointer in the document.
struct SchemaRef {
  const Json* schema = nullptr;
  std::string ptr;
};

enum TypeBit : uint8_t {
  kTNull = 1,
  kTBool = 2,
  kTObject = 4,
  kTArray = 8,
  kTString = 16,
  kTInteger = 32,   // integral numbers
  kTFraction = 64,  // non-integral numbers ("number" = kTInteger | kTFraction)
  kTAll = 127,
};

struct SchemaNode {
  uint8_t types = kTAll;
  std::optional<std::vector<Json>> enum_values;  // intersection of enum/const
  // Numbers.
  std::optional<NumBound> lo, hi;
  std::string num_ptr;
  std::optional<Decimal> multiple_of;  // other than 1 (that clears kTFraction)
  std::string mult_ptr;
  // Strings.
  int64_t min_len = 0, max_len = -1;
  std::string len_ptr;
  std::vector<std::pair<std::string, std::string>> patterns;  // (pattern, pointer)
  std::string format, format_ptr;
  // Arrays. prefix[i]: all schemas position i must satisfy; items: the
  // schemas every later position must satisfy (empty: any value).
  std::vector<std::vector<SchemaRef>> prefix;
  std::vector<SchemaRef> items;
  int64_t min_items = 0, max_items = -1;
  std::string items_ptr;
  // Objects. props in first-seen order; `never`: the key may not appear.
  struct Prop {
    std::string name;
    std::vector<SchemaRef> schemas;
    bool never = false;
  };
  std::vector<Prop> props;
  std::vector<std::string> required;
  std::vector<SchemaRef> additional;  // schemas for keys not in props
  bool additional_false = false;
  int64_t min_props = 0, max_props = -1;
  std::string props_ptr;
  // patternProperties: (pattern, its pointer, schema). Supported only when
  // one schema object gives all the node's object constraints.
  struct PatternProp {
    std::string pattern, ptr;
    SchemaRef schema;
  };
  std::vector<PatternProp> pattern_props;
  int object_sources = 0;  // schema objects with properties/additional/patternProperties
  // anyOf / oneOf groups still to expand: the value must match one branch
  // of every group.
  struct Group {
    std::vector<SchemaRef> branches;
    bool one_of = false;
    std::string ptr;
  };
  std::vector<Group> groups;
  // Set when a conjunct is `false` or contradicts another.
  bool unsat = false;
  std::string unsat_reason, unsat_ptr;

  void SetUnsat(std::string reason, std::string ptr) {
    if (unsat) return;
    unsat = true;
    unsat_reason = std::move(reason);
    unsat_ptr = std::move(ptr);
  }
};

}  // namespace steer::grammar::internal
