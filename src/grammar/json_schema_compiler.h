// The JSON-Schema compiler's state. Normalization (json_schema.cc) merges a
// schema's conjuncts into a SchemaNode; lowering (json_schema_lower.cc) turns
// a node into IR. Subschema references become rules, memoized by the schema
// they point to, so recursion through $ref is a recursive rule.
// Private to the grammar module.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "json_schema_node.h"
#include "steer/grammar/json_schema.h"

namespace steer::grammar::internal {

// The error an unsatisfiable (sub)schema produces; anyOf branches and
// optional properties that are unsatisfiable are dropped, not reported.
Error UnsatError(const std::string& reason, const std::string& ptr);
bool IsUnsat(const Error& e);

class JsonSchemaCompiler {
 public:
  JsonSchemaCompiler(const Json& root, const JsonSchemaOptions& opts, Grammar& g);

  // IR for a value satisfying every schema in `refs` (empty: any value).
  Result<ExprId> CompileAll(const std::vector<SchemaRef>& refs, int depth);

  // --- normalization (json_schema.cc)
  // Merges `ref` into `node` as one more conjunct.
  Status Normalize(const SchemaRef& ref, SchemaNode* node, int depth);
  // The target of a $ref string found at `ptr`.
  Result<SchemaRef> Resolve(const std::string& ref, const std::string& ptr);
  // A schema object whose only validation keyword is $ref.
  bool IsPureRef(const Json& s) const;

 private:
  // --- lowering (json_schema_lower.cc)
  Result<ExprId> Lower(SchemaNode node, int depth);
  Result<ExprId> LowerTypes(const SchemaNode& node, int depth);
  Result<ExprId> LowerString(const SchemaNode& node);
  Result<ExprId> LowerArray(const SchemaNode& node, int depth);
  Result<ExprId> LowerObject(const SchemaNode& node, int depth);
  Result<ExprId> LowerEnum(const SchemaNode& node);
  Result<ExprId> PatternMember(const SchemaNode& node, int depth);
  Result<bool> EnumValueFits(const Json& v, const SchemaNode& node);
  // Types a value matching `n` can have (enum values and anyOf/oneOf
  // groups narrow the declared ones).
  Result<uint8_t> EffectiveTypes(const SchemaNode& n, int depth);
  // Whether no value of type `base_types` matches both schemas (sound, not
  // complete: false when unsure).
  Result<bool> Disjoint(const SchemaRef& a, const SchemaRef& b, uint8_t base_types, int depth);
  ExprId Literal(const Json& v);
  ExprId AnyValue();
  ExprId Ws();

  Status NormalizeObject(const Json& s, const std::string& ptr, SchemaNode* node);
  Status NormalizeArray(const Json& s, const std::string& ptr, SchemaNode* node);
  Status NormalizeNumber(const Json& s, const std::string& ptr, SchemaNode* node);
  void BuildAnchors(const Json& s, const std::string& ptr);
  // Records subschemas (below the root) that set their own base URI.
  void ScanIds(const Json& s, const std::string& ptr, bool is_root);

  const Json& root_;
  const JsonSchemaOptions& opts_;
  Grammar& g_;
  JsonText text_;
  bool draft7_ = false;  // $ref siblings ignored (draft-07 and older)
  std::map<const Json*, RuleId> ref_rules_;
  std::map<const Json*, Error> unsat_refs_;
  std::map<std::string, std::string> anchors_;  // "#name" -> pointer
  std::vector<std::string> id_scopes_;          // pointers of nested $id subschemas
  bool anchors_built_ = false;
  RuleId any_value_ = -1, ws_ = -1;
  int64_t branches_ = 0;
};

}  // namespace steer::grammar::internal
