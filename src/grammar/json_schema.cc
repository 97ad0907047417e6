// JSON Schema front end: parsing, $ref resolution and normalization (merging
// allOf, $ref siblings and each keyword into a SchemaNode). Lowering to IR is
// in json_schema_lower.cc.
#include "steer/grammar/json_schema.h"

#include <algorithm>
#include <set>

#include "json_schema_compiler.h"
#include "steer/util/utf8.h"

namespace steer::grammar {
namespace internal {

namespace {

std::string Child(const std::string& ptr, std::string_view key) {
  std::string out = ptr + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}
std::string Child(const std::string& ptr, size_t i) { return ptr + "/" + std::to_string(i); }

Error Bad(const std::string& msg, const std::string& ptr) {
  return MakeError(ErrorCode::kInvalidInput, msg, ptr.empty() ? "/" : ptr);
}
Error Unsupported(const std::string& keyword, const std::string& ptr, const std::string& why = "") {
  return MakeError(ErrorCode::kUnsupported,
                   "keyword \"" + keyword + "\" is not supported" + (why.empty() ? "" : ": " + why),
                   ptr.empty() ? "/" : ptr);
}

// Keywords without validation effect (annotations, identifiers, containers).
bool IsIgnoredKeyword(const std::string& k) {
  static const std::set<std::string> kIgnored = {
      "$schema",  "$id",        "id",          "$comment",        "$vocabulary",
      "$anchor",  "$dynamicAnchor", "$recursiveAnchor", "$defs", "definitions",
      "title",    "description", "default",    "examples",        "readOnly",
      "writeOnly", "deprecated", "contentEncoding", "contentMediaType", "contentSchema",
      "then",     "else",  // without "if" they have no effect; with it, "if" errors
  };
  return kIgnored.count(k) > 0;
}

// Validation keywords steer does not enforce (an error names them).
bool IsUnsupportedKeyword(const std::string& k) {
  static const std::set<std::string> kUnsupported = {
      "if",          "not",           "contains",         "minContains",
      "maxContains", "propertyNames", "dependentRequired",
      "dependentSchemas", "dependencies", "unevaluatedItems", "unevaluatedProperties",
      "$dynamicRef", "$recursiveRef",
  };
  return kUnsupported.count(k) > 0;
}

Result<int64_t> NonNegInt(const Json& v, const std::string& ptr) {
  if (v.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), 1ull << 40));
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<int64_t>();
  if (v.is_number_float() && v.get<double>() >= 0 && v.get<double>() == static_cast<double>(static_cast<int64_t>(std::min(v.get<double>(), 1e12)))) {
    return static_cast<int64_t>(v.get<double>());
  }
  return Bad("expected a non-negative integer", ptr);
}

Result<uint8_t> TypeBits(const Json& t, const std::string& ptr) {
  auto one = [&](const Json& n, const std::string& p) -> Result<uint8_t> {
    if (!n.is_string()) return Bad("type must be a string or an array of strings", p);
    const std::string s = n.get<std::string>();
    if (s == "null") return uint8_t{kTNull};
    if (s == "boolean") return uint8_t{kTBool};
    if (s == "object") return uint8_t{kTObject};
    if (s == "array") return uint8_t{kTArray};
    if (s == "string") return uint8_t{kTString};
    if (s == "integer") return uint8_t{kTInteger};
    if (s == "number") return uint8_t{kTInteger | kTFraction};
    return Bad("unknown type \"" + s + "\"", p);
  };
  if (t.is_array()) {
    uint8_t bits = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      STEER_ASSIGN_OR_RETURN(uint8_t b, one(t[i], Child(ptr, i)));
      bits |= b;
    }
    return bits;
  }
  return one(t, ptr);
}

Result<Decimal> NumberOf(const Json& v, const std::string& ptr) {
  if (!v.is_number()) return Bad("expected a number", ptr);
  std::optional<Decimal> d = ParseDecimal(v.dump());
  if (!d) return Bad("number out of range", ptr);
  return *d;
}

// Tightens a lower (is_lo) or upper bound.
void Tighten(std::optional<NumBound>* cur, const NumBound& b, bool is_lo) {
  if (!*cur) {
    *cur = b;
    return;
  }
  int c = CompareDecimal(b.value, (*cur)->value);
  if ((is_lo && c > 0) || (!is_lo && c < 0) || (c == 0 && b.exclusive)) *cur = b;
}

std::string DecodePointerToken(std::string_view tok) {
  std::string pct;
  for (size_t i = 0; i < tok.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1;
    };
    if (tok[i] == '%' && i + 2 < tok.size() && hex(tok[i + 1]) >= 0 && hex(tok[i + 2]) >= 0) {
      pct += static_cast<char>(hex(tok[i + 1]) * 16 + hex(tok[i + 2]));
      i += 2;
    } else {
      pct += tok[i];
    }
  }
  std::string out;
  for (size_t i = 0; i < pct.size(); ++i) {
    if (pct[i] == '~' && i + 1 < pct.size() && (pct[i + 1] == '0' || pct[i + 1] == '1')) {
      out += pct[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += pct[i];
    }
  }
  return out;
}

}  // namespace

Error UnsatError(const std::string& reason, const std::string& ptr) {
  return MakeError(ErrorCode::kInvalidInput, "Unsatisfiable schema: " + reason,
                   ptr.empty() ? "/" : ptr);
}
bool IsUnsat(const Error& e) {
  return e.code == ErrorCode::kInvalidInput && e.message.rfind("Unsatisfiable schema", 0) == 0;
}

JsonSchemaCompiler::JsonSchemaCompiler(const Json& root, const JsonSchemaOptions& opts, Grammar& g)
    : root_(root), opts_(opts), g_(g), text_(g) {
  draft7_ = opts.default_draft == JsonSchemaDraft::kDraft07;
  ScanIds(root, "", true);
  if (root.is_object() && root.contains("$schema") && root["$schema"].is_string()) {
    const std::string s = root["$schema"].get<std::string>();
    draft7_ = s.find("draft-07") != std::string::npos || s.find("draft-06") != std::string::npos ||
              s.find("draft-04") != std::string::npos;
  }
}

bool JsonSchemaCompiler::IsPureRef(const Json& s) const {
  if (!s.is_object() || !s.contains("$ref")) return false;
  if (draft7_) return true;
  for (const auto& [k, v] : s.items()) {
    if (k == "$ref" || IsIgnoredKeyword(k)) continue;
    if (k == "then" || k == "else") continue;
    if (IsUnsupportedKeyword(k) || k == "type" || k == "enum" || k == "const" || k == "allOf" ||
        k == "anyOf" || k == "oneOf" || k == "properties" || k == "required" ||
        k == "additionalProperties" || k == "items" || k == "prefixItems" || k == "additionalItems" ||
        k == "minItems" || k == "maxItems" || k == "minLength" || k == "maxLength" ||
        k == "pattern" || k == "format" || k == "minimum" || k == "maximum" ||
        k == "exclusiveMinimum" || k == "exclusiveMaximum" || k == "multipleOf" ||
        k == "uniqueItems" || k == "minProperties" || k == "maxProperties" || k == "patternProperties") {
      return false;
    }
  }
  return true;
}

void JsonSchemaCompiler::BuildAnchors(const Json& s, const std::string& ptr) {
  for (const std::string& scope : id_scopes_) {
    if (ptr == scope || ptr.rfind(scope + "/", 0) == 0) return;  // another resource's anchors
  }
  if (s.is_object()) {
    for (const char* key : {"$anchor", "$id", "id"}) {
      if (s.contains(key) && s[key].is_string()) {
        std::string a = s[key].get<std::string>();
        if (std::string_view(key) == "$anchor") a = "#" + a;
        if (!a.empty() && a[0] == '#' && !anchors_.count(a)) anchors_[a] = ptr;
      }
    }
    for (const auto& [k, v] : s.items()) {
      if (k == "enum" || k == "const" || k == "examples" || k == "default") continue;
      BuildAnchors(v, Child(ptr, k));
    }
  } else if (s.is_array()) {
    for (size_t i = 0; i < s.size(); ++i) BuildAnchors(s[i], Child(ptr, i));
  }
}

void JsonSchemaCompiler::ScanIds(const Json& s, const std::string& ptr, bool is_root) {
  if (!s.is_object()) return;
  if (!is_root) {
    for (const char* key : {"$id", "id"}) {
      if (s.contains(key) && s[key].is_string()) {
        const std::string id = s[key].get<std::string>();
        if (!id.empty() && id[0] != '#') id_scopes_.push_back(ptr);
      }
    }
  }
  static const char* kMaps[] = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"};
  static const char* kSingles[] = {"items", "additionalProperties", "additionalItems", "not", "if", "then",
                                   "else", "contains", "propertyNames", "unevaluatedItems",
                                   "unevaluatedProperties"};
  static const char* kLists[] = {"prefixItems", "allOf", "anyOf", "oneOf", "items"};
  for (const char* k : kMaps) {
    if (s.contains(k) && s[k].is_object()) {
      for (const auto& [name, sub] : s[k].items()) ScanIds(sub, Child(Child(ptr, k), name), false);
    }
  }
  for (const char* k : kSingles) {
    if (s.contains(k) && s[k].is_object()) ScanIds(s[k], Child(ptr, k), false);
  }
  for (const char* k : kLists) {
    if (s.contains(k) && s[k].is_array()) {
      for (size_t i = 0; i < s[k].size(); ++i) ScanIds(s[k][i], Child(Child(ptr, k), i), false);
    }
  }
}

Result<SchemaRef> JsonSchemaCompiler::Resolve(const std::string& ref, const std::string& ptr) {
  // Inside a subschema with its own base URI, "#..." means that subschema,
  // not the document: refuse rather than guess.
  for (const std::string& scope : id_scopes_) {
    if (ptr == scope || ptr.rfind(scope + "/", 0) == 0) {
      return Unsupported("$ref", Child(ptr, "$ref"), "inside a subschema with its own $id (" + scope + ")");
    }
  }
  std::string r = ref;
  // A reference to the root's own $id, then a fragment, is local.
  if (root_.is_object() && root_.contains("$id") && root_["$id"].is_string()) {
    const std::string id = root_["$id"].get<std::string>();
    if (!id.empty() && r.rfind(id, 0) == 0) r = r.substr(id.size());
    if (r.empty()) r = "#";
  }
  if (r.empty() || r[0] != '#') {
    return Unsupported("$ref", Child(ptr, "$ref"), "reference to another document \"" + ref + "\"");
  }
  if (r.size() > 1 && r[1] != '/') {
    if (!anchors_built_) {
      BuildAnchors(root_, "");
      anchors_built_ = true;
    }
    auto it = anchors_.find(r);
    if (it == anchors_.end()) return Bad("unresolved $ref \"" + ref + "\"", Child(ptr, "$ref"));
    r = "#" + it->second;
  }
  const Json* cur = &root_;
  std::string target;
  size_t i = 1;
  while (i < r.size()) {
    size_t j = r.find('/', i + 1);
    if (j == std::string::npos) j = r.size();
    std::string tok = DecodePointerToken(std::string_view(r).substr(i + 1, j - i - 1));
    if (cur->is_object() && cur->contains(tok)) {
      cur = &(*cur)[tok];
    } else if (cur->is_array() && !tok.empty() &&
               tok.find_first_not_of("0123456789") == std::string::npos && tok.size() < 10 &&
               std::stoul(tok) < cur->size()) {
      cur = &(*cur)[std::stoul(tok)];
    } else {
      return Bad("unresolved $ref \"" + ref + "\"", Child(ptr, "$ref"));
    }
    target = Child(target, tok);
    i = j;
  }
  return SchemaRef{cur, target};
}

Status JsonSchemaCompiler::NormalizeNumber(const Json& s, const std::string& ptr, SchemaNode* node) {
  // Draft-04 boolean exclusiveMinimum/Maximum modify minimum/maximum.
  auto bool_excl = [&](const char* k) { return s.contains(k) && s[k].is_boolean() && s[k].get<bool>(); };
  for (const char* k : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
    if (!s.contains(k)) continue;
    const std::string p = Child(ptr, k);
    const std::string_view key(k);
    if (s[k].is_boolean()) {
      if (key == "minimum" || key == "maximum") return Bad("expected a number", p);
      continue;
    }
    STEER_ASSIGN_OR_RETURN(Decimal d, NumberOf(s[k], p));
    bool is_lo = key == "minimum" || key == "exclusiveMinimum";
    bool excl = key.rfind("exclusive", 0) == 0 ||
                (key == "minimum" && bool_excl("exclusiveMinimum")) ||
                (key == "maximum" && bool_excl("exclusiveMaximum"));
    Tighten(is_lo ? &node->lo : &node->hi, NumBound{d, excl}, is_lo);
    if (node->num_ptr.empty()) node->num_ptr = p;
  }
  if (s.contains("multipleOf")) {
    const std::string p = Child(ptr, "multipleOf");
    STEER_ASSIGN_OR_RETURN(Decimal d, NumberOf(s["multipleOf"], p));
    if (d.negative || d.IsZero()) return Bad("multipleOf must be positive", p);
    if (d.int_digits == "1" && d.frac_digits.empty()) {
      node->types &= static_cast<uint8_t>(~kTFraction);
    } else if (!node->multiple_of || IsMultipleOf(d, *node->multiple_of)) {
      node->multiple_of = d;
      node->mult_ptr = p;
    } else if (!IsMultipleOf(*node->multiple_of, d)) {
      return Unsupported("multipleOf", p, "two multipleOf values that do not divide each other");
    }
  }
  return Status();
}

Status JsonSchemaCompiler::NormalizeArray(const Json& s, const std::string& ptr, SchemaNode* node) {
  std::vector<SchemaRef> prefix;
  std::optional<SchemaRef> rest;  // absent: no constraint
  if (s.contains("prefixItems")) {
    const Json& p = s["prefixItems"];
    if (!p.is_array()) return Bad("prefixItems must be an array", Child(ptr, "prefixItems"));
    for (size_t i = 0; i < p.size(); ++i) prefix.push_back({&p[i], Child(Child(ptr, "prefixItems"), i)});
    if (s.contains("items")) rest = SchemaRef{&s["items"], Child(ptr, "items")};
  } else if (s.contains("items") && s["items"].is_array()) {
    // Tuple form (draft-07 and older): additionalItems covers the rest.
    const Json& p = s["items"];
    for (size_t i = 0; i < p.size(); ++i) prefix.push_back({&p[i], Child(Child(ptr, "items"), i)});
    if (s.contains("additionalItems")) rest = SchemaRef{&s["additionalItems"], Child(ptr, "additionalItems")};
  } else if (s.contains("items")) {
    rest = SchemaRef{&s["items"], Child(ptr, "items")};
  }
  if (prefix.empty() && !rest) return Status();
  const bool rest_false = rest && rest->schema->is_boolean() && !rest->schema->get<bool>();
  // Positions the node has not yet described take the node's items.
  const size_t old = node->prefix.size();
  if (prefix.size() > old) {
    for (size_t i = old; i < prefix.size(); ++i) node->prefix.push_back(node->items);
  }
  for (size_t i = 0; i < node->prefix.size(); ++i) {
    if (i < prefix.size()) {
      node->prefix[i].push_back(prefix[i]);
    } else if (rest) {
      node->prefix[i].push_back(*rest);
    }
  }
  if (rest) node->items.push_back(*rest);
  if (rest_false) {
    int64_t cap = static_cast<int64_t>(prefix.size());
    if (node->max_items < 0 || node->max_items > cap) node->max_items = cap;
  }
  if (node->items_ptr.empty()) node->items_ptr = ptr;
  return Status();
}

Status JsonSchemaCompiler::NormalizeObject(const Json& s, const std::string& ptr, SchemaNode* node) {
  if (s.contains("required")) {
    const Json& r = s["required"];
    if (!r.is_array()) return Bad("required must be an array", Child(ptr, "required"));
    for (size_t i = 0; i < r.size(); ++i) {
      if (!r[i].is_string()) return Bad("required names must be strings", Child(Child(ptr, "required"), i));
      std::string n = r[i].get<std::string>();
      if (std::find(node->required.begin(), node->required.end(), n) == node->required.end())
        node->required.push_back(n);
    }
  }
  const bool has_props = s.contains("properties");
  const bool has_addl = s.contains("additionalProperties");
  const bool has_pp = s.contains("patternProperties") && !(s["patternProperties"].is_object() && s["patternProperties"].empty());
  if (!has_props && !has_addl && !has_pp) return Status();
  ++node->object_sources;
  if (has_pp) {
    const Json& pp = s["patternProperties"];
    const std::string pptr = Child(ptr, "patternProperties");
    if (!pp.is_object()) return Bad("patternProperties must be an object", pptr);
    for (const auto& [pat, sub] : pp.items()) {
      node->pattern_props.push_back({pat, Child(pptr, pat), SchemaRef{&sub, Child(pptr, pat)}});
    }
  }
  if (has_props && !s["properties"].is_object()) return Bad("properties must be an object", Child(ptr, "properties"));
  std::optional<SchemaRef> addl;
  bool addl_false = false;
  if (has_addl) {
    addl = SchemaRef{&s["additionalProperties"], Child(ptr, "additionalProperties")};
    addl_false = addl->schema->is_boolean() && !addl->schema->get<bool>();
  }
  // Existing properties this schema does not name fall under its
  // additionalProperties.
  for (auto& p : node->props) {
    if (has_props && s["properties"].contains(p.name)) continue;
    if (addl_false) p.never = true;
    else if (addl) p.schemas.push_back(*addl);
  }
  if (has_props) {
    const Json& props = s["properties"];
    for (const auto& item : props.items()) {
      const std::string& name = item.key();
      SchemaRef ref{&item.value(), Child(Child(ptr, "properties"), name)};
      auto it = std::find_if(node->props.begin(), node->props.end(),
                             [&](const SchemaNode::Prop& p) { return p.name == name; });
      if (it != node->props.end()) {
        it->schemas.push_back(ref);
        continue;
      }
      SchemaNode::Prop p;
      p.name = name;
      p.schemas = node->additional;
      p.never = node->additional_false;
      p.schemas.push_back(ref);
      node->props.push_back(std::move(p));
    }
  }
  if (addl && !addl_false) node->additional.push_back(*addl);
  node->additional_false |= addl_false;
  if (node->props_ptr.empty()) node->props_ptr = ptr;
  return Status();
}

Status JsonSchemaCompiler::Normalize(const SchemaRef& ref, SchemaNode* node, int depth) {
  if (depth > opts_.limits.max_nesting) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "schema nesting or $ref chain deeper than max_nesting (" +
                         std::to_string(opts_.limits.max_nesting) + ")",
                     ref.ptr.empty() ? "/" : ref.ptr);
  }
  const Json& s = *ref.schema;
  const std::string& ptr = ref.ptr;
  if (s.is_boolean()) {
    if (!s.get<bool>()) node->SetUnsat("schema is false", ptr);
    return Status();
  }
  if (!s.is_object()) return Bad("a schema must be an object or a boolean", ptr);
  if (s.contains("$ref")) {
    if (!s["$ref"].is_string()) return Bad("$ref must be a string", Child(ptr, "$ref"));
    STEER_ASSIGN_OR_RETURN(SchemaRef target, Resolve(s["$ref"].get<std::string>(), ptr));
    STEER_RETURN_IF_ERROR(Normalize(target, node, depth + 1));
    if (draft7_) return Status();  // siblings of $ref are ignored
  }
  for (const auto& [k, v] : s.items()) {
    if (IsUnsupportedKeyword(k)) {
      // Keywords whose value makes them vacuous are harmless.
      if ((k == "dependentRequired" || k == "dependentSchemas" ||
           k == "dependencies") && v.is_object() && v.empty()) {
        continue;
      }
      if (k == "propertyNames" && v.is_boolean() && v.get<bool>()) continue;
      return Unsupported(k, Child(ptr, k));
    }
  }
  if (s.contains("type")) {
    STEER_ASSIGN_OR_RETURN(uint8_t bits, TypeBits(s["type"], Child(ptr, "type")));
    node->types &= bits;
  }
  auto intersect_enum = [&](std::vector<Json> vals) {
    if (node->enum_values) {
      std::vector<Json> keep;
      for (const Json& v : *node->enum_values)
        if (std::find(vals.begin(), vals.end(), v) != vals.end()) keep.push_back(v);
      vals = std::move(keep);
    }
    node->enum_values = std::move(vals);
  };
  if (s.contains("enum")) {
    if (!s["enum"].is_array()) return Bad("enum must be an array", Child(ptr, "enum"));
    intersect_enum(std::vector<Json>(s["enum"].begin(), s["enum"].end()));
  }
  if (s.contains("const")) intersect_enum({s["const"]});
  STEER_RETURN_IF_ERROR(NormalizeNumber(s, ptr, node));
  for (const char* k : {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
    if (!s.contains(k)) continue;
    STEER_ASSIGN_OR_RETURN(int64_t n, NonNegInt(s[k], Child(ptr, k)));
    const std::string_view key(k);
    auto lower = [&](int64_t* cur) { *cur = std::max(*cur, n); };
    auto upper = [&](int64_t* cur) { *cur = *cur < 0 ? n : std::min(*cur, n); };
    if (key == "minLength") lower(&node->min_len);
    if (key == "maxLength") upper(&node->max_len);
    if (key == "minItems") lower(&node->min_items);
    if (key == "maxItems") upper(&node->max_items);
    if (key == "minProperties") lower(&node->min_props);
    if (key == "maxProperties") upper(&node->max_props);
    if (key.find("Length") != std::string_view::npos && node->len_ptr.empty()) node->len_ptr = Child(ptr, k);
  }
  if (s.contains("pattern")) {
    if (!s["pattern"].is_string()) return Bad("pattern must be a string", Child(ptr, "pattern"));
    node->patterns.emplace_back(s["pattern"].get<std::string>(), Child(ptr, "pattern"));
  }
  if (s.contains("format") && s["format"].is_string()) {
    std::string f = s["format"].get<std::string>();
    if (!node->format.empty() && node->format != f) {
      return Unsupported("format", Child(ptr, "format"), "two different formats must both hold");
    }
    node->format = f;
    node->format_ptr = Child(ptr, "format");
  }
  if (s.contains("uniqueItems")) {
    if (!s["uniqueItems"].is_boolean()) return Bad("uniqueItems must be a boolean", Child(ptr, "uniqueItems"));
    if (s["uniqueItems"].get<bool>()) return Unsupported("uniqueItems", Child(ptr, "uniqueItems"));
  }
  STEER_RETURN_IF_ERROR(NormalizeArray(s, ptr, node));
  STEER_RETURN_IF_ERROR(NormalizeObject(s, ptr, node));
  if (s.contains("allOf")) {
    const Json& a = s["allOf"];
    if (!a.is_array() || a.empty()) return Bad("allOf must be a non-empty array", Child(ptr, "allOf"));
    for (size_t i = 0; i < a.size(); ++i) {
      STEER_RETURN_IF_ERROR(Normalize({&a[i], Child(Child(ptr, "allOf"), i)}, node, depth + 1));
    }
  }
  for (const char* k : {"anyOf", "oneOf"}) {
    if (!s.contains(k)) continue;
    const Json& a = s[k];
    if (!a.is_array() || a.empty()) return Bad(std::string(k) + " must be a non-empty array", Child(ptr, k));
    SchemaNode::Group grp;
    grp.one_of = std::string_view(k) == "oneOf";
    grp.ptr = Child(ptr, k);
    for (size_t i = 0; i < a.size(); ++i) grp.branches.push_back({&a[i], Child(grp.ptr, i)});
    node->groups.push_back(std::move(grp));
  }
  return Status();
}

Result<ExprId> JsonSchemaCompiler::CompileAll(const std::vector<SchemaRef>& refs, int depth) {
  if (depth > opts_.limits.max_nesting) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "schema nesting deeper than max_nesting (" +
                         std::to_string(opts_.limits.max_nesting) + ")",
                     refs.empty() || refs[0].ptr.empty() ? "/" : refs[0].ptr);
  }
  std::vector<SchemaRef> live;
  for (const SchemaRef& r : refs) {
    if (r.schema->is_boolean() && r.schema->get<bool>()) continue;
    if (r.schema->is_object() && r.schema->empty()) continue;
    live.push_back(r);
  }
  if (live.empty()) return AnyValue();
  // A lone $ref is a rule of its own (memoized): this is what makes
  // recursive schemas finite.
  if (live.size() == 1 && IsPureRef(*live[0].schema)) {
    const Json& s = *live[0].schema;
    if (!s["$ref"].is_string()) return Bad("$ref must be a string", Child(live[0].ptr, "$ref"));
    STEER_ASSIGN_OR_RETURN(SchemaRef target, Resolve(s["$ref"].get<std::string>(), live[0].ptr));
    auto bad = unsat_refs_.find(target.schema);
    if (bad != unsat_refs_.end()) return bad->second;
    auto it = ref_rules_.find(target.schema);
    if (it != ref_rules_.end()) return g_.Ref(it->second);
    RuleId rule = g_.NewRule("ref");
    ref_rules_.emplace(target.schema, rule);
    Result<ExprId> body = CompileAll({target}, depth + 1);
    if (!body.ok()) {
      g_.DefineRule(rule, g_.Alt({}));  // derives nothing; never reached
      if (IsUnsat(body.error())) unsat_refs_.emplace(target.schema, body.error());
      return body.error();
    }
    g_.DefineRule(rule, *body);
    return g_.Ref(rule);
  }
  SchemaNode node;
  for (const SchemaRef& r : live) STEER_RETURN_IF_ERROR(Normalize(r, &node, depth));
  return Lower(std::move(node), depth);
}

}  // namespace internal

Result<Grammar> CompileJsonSchema(std::string_view json_text, const JsonSchemaOptions& options) {
  using internal::Json;
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
    return MakeError(ErrorCode::kInvalidInput, std::string("malformed JSON: ") + e.what(),
                     "offset " + std::to_string(e.byte));
  } catch (const Json::exception& e) {
    return MakeError(ErrorCode::kInvalidInput, std::string("malformed JSON: ") + e.what());
  }
  Grammar g(options.limits);
  try {
    internal::JsonSchemaCompiler c(root, options, g);
    RuleId start = g.DeclareRule("root");
    STEER_ASSIGN_OR_RETURN(ExprId body, c.CompileAll({internal::SchemaRef{&root, ""}}, 0));
    g.DefineRule(start, body);
    g.SetStart(start);
  } catch (const Json::exception& e) {
    // Defensive: every access above checks types first.
    return MakeError(ErrorCode::kInvalidInput, std::string("bad schema: ") + e.what());
  }
  STEER_RETURN_IF_ERROR(g.Validate());
  return g;
}

}  // namespace steer::grammar
