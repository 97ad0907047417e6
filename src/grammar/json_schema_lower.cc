// JSON Schema front end: lowering a normalized SchemaNode to IR.
#include <algorithm>

#include "json_schema_compiler.h"
#include "steer/grammar/matcher.h"
#include "steer/util/utf8.h"

namespace steer::grammar::internal {

namespace {

// Objects with at most this many named properties (in schema order) skip
// optional ones lazily (see LowerObject).
constexpr int64_t kMaxLazySkipSlots = 64;

Error Unsupported(const std::string& keyword, const std::string& ptr, const std::string& why) {
  return MakeError(ErrorCode::kUnsupported, "keyword \"" + keyword + "\" is not supported: " + why,
                   ptr.empty() ? "/" : ptr);
}
Error TooBig(const std::string& what, const std::string& ptr, int64_t limit) {
  return MakeError(ErrorCode::kResourceExhausted,
                   what + " is over the limit (" + std::to_string(limit) + ")", ptr.empty() ? "/" : ptr);
}

bool IsTrivial(const SchemaNode& n) {
  return n.types == kTAll && !n.enum_values && !n.lo && !n.hi && !n.multiple_of && n.min_len == 0 && n.max_len < 0 &&
         n.patterns.empty() && n.format.empty() && n.prefix.empty() && n.items.empty() &&
         n.min_items == 0 && n.max_items < 0 && n.props.empty() && n.required.empty() &&
         n.additional.empty() && !n.additional_false && n.min_props == 0 && n.max_props < 0 &&
         n.groups.empty() && n.pattern_props.empty() && !n.unsat;
}

uint8_t TypeOfValue(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return kTNull;
    case Json::value_t::boolean: return kTBool;
    case Json::value_t::string: return kTString;
    case Json::value_t::array: return kTArray;
    case Json::value_t::object: return kTObject;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return kTInteger;
    case Json::value_t::number_float: {
      std::optional<Decimal> d = ParseDecimal(v.dump());
      return d && d->frac_digits.empty() ? kTInteger : kTFraction;
    }
    default: return 0;
  }
}

// Whether the IR expression can derive "" (rules: conservatively no).
bool Nullable(const Grammar& g, ExprId id) {
  const Expr& e = g.expr(id);
  switch (e.kind) {
    case ExprKind::kEmpty: return true;
    case ExprKind::kBytes: return false;
    case ExprKind::kRule: return false;
    case ExprKind::kSeq:
      for (ExprId c : e.children)
        if (!Nullable(g, c)) return false;
      return true;
    case ExprKind::kAlt:
      for (ExprId c : e.children)
        if (Nullable(g, c)) return true;
      return false;
    case ExprKind::kRepeat: return e.min == 0 || Nullable(g, e.children[0]);
  }
  return false;
}

int64_t CodepointCount(const std::string& s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    utf8::Decode(s, i, &len);
    i += len;
    ++n;
  }
  return n;
}

}  // namespace

ExprId JsonSchemaCompiler::Ws() {
  if (ws_ < 0) {
    ws_ = g_.DeclareRule("ws");
    ByteSet s;
    for (char c : {' ', '\t', '\n', '\r'}) s.Add(static_cast<uint8_t>(c));
    g_.DefineRule(ws_, opts_.whitespace == JsonWhitespace::kCompact
                           ? g_.Empty()
                           : g_.Repeat(g_.Bytes(s), 0, opts_.max_whitespace));
  }
  return g_.Ref(ws_);
}

ExprId JsonSchemaCompiler::AnyValue() {
  if (any_value_ >= 0) return g_.Ref(any_value_);
  any_value_ = g_.DeclareRule("json_value");
  ExprId value = g_.Ref(any_value_);
  ExprId sep = g_.Seq({Ws(), g_.Literal(","), Ws()});
  ExprId string = g_.Seq({g_.Literal("\""), g_.Star(text_.AnyChar()), g_.Literal("\"")});
  ExprId member = g_.Seq({string, Ws(), g_.Literal(":"), Ws(), value});
  ExprId object = g_.Seq({g_.Literal("{"), Ws(),
                          g_.Optional(g_.Seq({member, g_.Star(g_.Seq({sep, member})), Ws()})),
                          g_.Literal("}")});
  ExprId array = g_.Seq({g_.Literal("["), Ws(),
                         g_.Optional(g_.Seq({value, g_.Star(g_.Seq({sep, value})), Ws()})),
                         g_.Literal("]")});
  g_.DefineRule(any_value_, g_.Alt({object, array, string, text_.AnyNumber(), g_.Literal("true"),
                                    g_.Literal("false"), g_.Literal("null")}));
  return value;
}

ExprId JsonSchemaCompiler::Literal(const Json& v) {
  if (v.is_string()) return text_.StringLiteral(v.get<std::string>());
  ExprId sep = g_.Seq({Ws(), g_.Literal(","), Ws()});
  if (v.is_array()) {
    std::vector<ExprId> seq{g_.Literal("["), Ws()};
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) seq.push_back(sep);
      seq.push_back(Literal(v[i]));
    }
    if (!v.empty()) seq.push_back(Ws());
    seq.push_back(g_.Literal("]"));
    return g_.Seq(std::move(seq));
  }
  if (v.is_object()) {
    std::vector<ExprId> seq{g_.Literal("{"), Ws()};
    bool first = true;
    for (const auto& [k, x] : v.items()) {
      if (!first) seq.push_back(sep);
      first = false;
      seq.insert(seq.end(), {text_.StringLiteral(k), Ws(), g_.Literal(":"), Ws(), Literal(x)});
    }
    if (!v.empty()) seq.push_back(Ws());
    seq.push_back(g_.Literal("}"));
    return g_.Seq(std::move(seq));
  }
  // A number: as the schema spells it, and also as a plain integer when it
  // is integral (const 2.0 accepts "2").
  std::string text = v.dump();
  if (v.is_number_float()) {
    std::optional<Decimal> d = ParseDecimal(text);
    if (d && d->frac_digits.empty() && d->ToString() != text) {
      return g_.Alt({g_.Literal(text), g_.Literal(d->ToString())});
    }
  }
  return g_.Literal(text);
}

Result<bool> JsonSchemaCompiler::EnumValueFits(const Json& v, const SchemaNode& n) {
  const uint8_t t = TypeOfValue(v);
  if (!(n.types & t)) return false;
  if (t == kTInteger || t == kTFraction) {
    std::optional<Decimal> d = ParseDecimal(v.dump());
    if (!d) return false;
    if (n.lo) {
      int c = CompareDecimal(*d, n.lo->value);
      if (c < 0 || (c == 0 && n.lo->exclusive)) return false;
    }
    if (n.hi) {
      int c = CompareDecimal(*d, n.hi->value);
      if (c > 0 || (c == 0 && n.hi->exclusive)) return false;
    }
    if (n.multiple_of && !IsMultipleOf(*d, *n.multiple_of)) return false;
  }
  if (t == kTString) {
    int64_t len = CodepointCount(v.get<std::string>());
    if (len < n.min_len || (n.max_len >= 0 && len > n.max_len)) return false;
    if (!n.patterns.empty()) {
      return Unsupported("pattern", n.patterns[0].second, "combined with enum/const");
    }
    if (!n.format.empty()) {
      Result<ExprId> f = text_.Format(n.format);
      if (f.ok() || f.error().code != ErrorCode::kNotFound) {
        return Unsupported("format", n.format_ptr, "combined with enum/const");
      }
    }
  }
  if (t == kTArray) {
    int64_t len = static_cast<int64_t>(v.size());
    if (len < n.min_items || (n.max_items >= 0 && len > n.max_items)) return false;
    if (!n.prefix.empty() || !n.items.empty()) {
      return Unsupported("items", n.items_ptr, "combined with enum/const");
    }
  }
  if (t == kTObject) {
    int64_t len = static_cast<int64_t>(v.size());
    if (len < n.min_props || (n.max_props >= 0 && len > n.max_props)) return false;
    for (const auto& r : n.required)
      if (!v.contains(r)) return false;
    if (!n.props.empty() || !n.additional.empty() || n.additional_false || !n.pattern_props.empty()) {
      return Unsupported("properties", n.props_ptr, "combined with enum/const");
    }
  }
  return true;
}

Result<ExprId> JsonSchemaCompiler::LowerEnum(const SchemaNode& n) {
  std::vector<ExprId> alts;
  for (const Json& v : *n.enum_values) {
    STEER_ASSIGN_OR_RETURN(bool fits, EnumValueFits(v, n));
    if (fits) alts.push_back(Literal(v));
  }
  if (alts.empty()) return UnsatError("no enum/const value satisfies the other constraints", n.num_ptr);
  return g_.Alt(std::move(alts));
}

Result<ExprId> JsonSchemaCompiler::LowerString(const SchemaNode& n) {
  if (n.max_len >= 0 && n.min_len > n.max_len) return UnsatError("minLength > maxLength", n.len_ptr);
  CpRegexOptions ro;
  auto lower = [this](Grammar&, const CpRanges& r) { return text_.CharClass(r); };
  std::optional<ExprId> pattern;
  std::string pattern_ptr;
  // Whether every match of the pattern/format already has a length within
  // [min_len, max_len] (then the length keywords add nothing).
  bool length_implied = true;
  auto check_len = [&](int64_t lo, int64_t hi) {
    length_implied &= lo >= n.min_len && (n.max_len < 0 || (hi >= 0 && hi <= n.max_len));
  };
  for (const auto& [pat, ptr] : n.patterns) {
    Result<LoweredRegex> lr = LowerCpRegex(g_, pat, ro, lower);
    if (!lr.ok()) {
      Error e = lr.error();
      e.message = "pattern: " + e.message + " (" + e.location + ")";
      e.location = ptr;
      return e;
    }
    bool universal = false;
    for (const auto& b : lr->branches)
      universal |= !b.anchored_start && !b.anchored_end && Nullable(g_, b.body);
    if (universal) continue;
    if (pattern) return Unsupported("pattern", ptr, "several patterns (allOf) cannot be intersected");
    STEER_ASSIGN_OR_RETURN(pattern, LowerCpRegexSearch(g_, pat, ro, lower, text_.AnyChar()));
    for (const auto& b : lr->branches) {
      check_len(b.min_chars, b.anchored_start && b.anchored_end ? b.max_chars : -1);
    }
    pattern_ptr = ptr;
  }
  std::optional<ExprId> format;
  if (!n.format.empty()) {
    Result<ExprId> f = text_.Format(n.format);
    if (f.ok()) {
      format = *f;
      auto [lo, hi] = text_.FormatLength(n.format);
      check_len(lo, hi);
    } else if (f.error().code != ErrorCode::kNotFound) {
      return Unsupported("format", n.format_ptr, f.error().message);
    }
  }
  const bool has_len = n.min_len > 0 || n.max_len >= 0;
  if (pattern && format) {
    return Unsupported("format", n.format_ptr, "format and pattern together cannot be intersected");
  }
  if ((pattern || format) && has_len && !length_implied) {
    return Unsupported(n.min_len > 0 ? "minLength" : "maxLength", n.len_ptr,
                       "length bounds together with pattern or format cannot be intersected");
  }
  ExprId content;
  if (pattern) {
    content = *pattern;
  } else if (format) {
    content = *format;
  } else {
    const int64_t cap = g_.limits().max_repeat_bound;
    if (n.min_len > cap || n.max_len > cap) return TooBig("minLength/maxLength", n.len_ptr, cap);
    content = g_.Repeat(text_.AnyChar(), static_cast<int32_t>(n.min_len),
                        n.max_len < 0 ? kUnbounded : static_cast<int32_t>(n.max_len));
  }
  return g_.Seq({g_.Literal("\""), content, g_.Literal("\"")});
}

Result<ExprId> JsonSchemaCompiler::LowerArray(const SchemaNode& n, int depth) {
  int64_t min = n.min_items, max = n.max_items;  // max < 0: unbounded
  const int64_t k = static_cast<int64_t>(n.prefix.size());
  std::vector<ExprId> elems;
  for (int64_t i = 0; i < k && (max < 0 || i < max); ++i) {
    Result<ExprId> e = CompileAll(n.prefix[static_cast<size_t>(i)], depth + 1);
    if (!e.ok()) {
      if (!IsUnsat(e.error())) return e.error();
      max = i;  // no array reaches past an unsatisfiable position
      break;
    }
    elems.push_back(*e);
  }
  std::optional<ExprId> item;
  if (max < 0 || max > k) {
    Result<ExprId> e = CompileAll(n.items, depth + 1);
    if (e.ok()) {
      item = *e;
    } else if (IsUnsat(e.error())) {
      max = k;
    } else {
      return e.error();
    }
  }
  if (max >= 0 && min > max) return UnsatError("no array length satisfies minItems/maxItems/items", n.items_ptr);
  const int64_t cap = g_.limits().max_repeat_bound;
  if (min > cap || max > cap) return TooBig("minItems/maxItems", n.items_ptr, cap);
  ExprId sep = g_.Seq({Ws(), g_.Literal(","), Ws()});
  // tail = the elements from position `i` on, i elements already written.
  ExprId tail;
  if (k == 0) {
    std::vector<ExprId> alts;
    if (min == 0) alts.push_back(g_.Empty());
    if (item && max != 0) {
      alts.push_back(g_.Seq({*item, g_.Repeat(g_.Seq({sep, *item}), static_cast<int32_t>(std::max<int64_t>(0, min - 1)),
                                               max < 0 ? kUnbounded : static_cast<int32_t>(max - 1))}));
    }
    tail = g_.Alt(std::move(alts));
  } else {
    if (item && (max < 0 || max > k)) {
      tail = g_.Repeat(g_.Seq({sep, *item}), static_cast<int32_t>(std::max<int64_t>(0, min - k)),
                       max < 0 ? kUnbounded : static_cast<int32_t>(max - k));
    } else {
      tail = min <= k ? g_.Empty() : g_.Alt({});
    }
    for (int64_t i = k - 1; i >= 0; --i) {
      std::vector<ExprId> alts;
      if (i >= min) alts.push_back(g_.Empty());
      if (i < static_cast<int64_t>(elems.size())) {
        std::vector<ExprId> seq;
        if (i > 0) seq.push_back(sep);
        seq.push_back(elems[static_cast<size_t>(i)]);
        seq.push_back(tail);
        alts.push_back(g_.Seq(std::move(seq)));
      }
      tail = g_.Alt(std::move(alts));
    }
  }
  return g_.Seq({g_.Literal("["), Ws(), tail, Ws(), g_.Literal("]")});
}

// Whether the decoded string `key` contains a match of one of `patterns`
// (ECMAScript search semantics), by matching it against a scratch grammar.
Result<bool> KeyMatchesAny(const std::vector<SchemaNode::PatternProp>& patterns, const std::string& key) {
  Grammar g;
  CpRegexOptions ro;
  auto lower = [](Grammar& gg, const CpRanges& r) { return gg.Codepoints(r); };
  std::vector<ExprId> alts;
  for (const auto& pp : patterns) {
    Result<ExprId> e = LowerCpRegexSearch(g, pp.pattern, ro, lower, g.AnyCodepoint());
    if (!e.ok()) {
      Error err = e.error();
      err.message = "patternProperties: " + err.message + " (" + err.location + ")";
      err.location = pp.ptr;
      return err;
    }
    alts.push_back(*e);
  }
  RuleId root = g.DeclareRule("root");
  g.DefineRule(root, g.Alt(std::move(alts)));
  g.SetStart(root);
  STEER_ASSIGN_OR_RETURN(Parser p, CompileParser(g));
  Matcher m(p);
  return m.AcceptBytes(key) && m.IsComplete();
}

// Keys (quoted JSON strings) whose decoded value matches one of the
// patterns, with the value schema they share. Only exact when no named
// property key matches a pattern (checked by the caller).
Result<ExprId> JsonSchemaCompiler::PatternMember(const SchemaNode& n, int depth) {
  const auto& pps = n.pattern_props;
  for (const auto& pp : pps) {
    if (*pp.schema.schema != *pps[0].schema.schema) {
      return Unsupported("patternProperties", pp.ptr, "patterns with different schemas (a key may match several)");
    }
  }
  CpRegexOptions ro;
  auto lower = [this](Grammar&, const CpRanges& r) { return text_.CharClass(r); };
  std::vector<ExprId> keys;
  for (const auto& pp : pps) {
    Result<ExprId> e = LowerCpRegexSearch(g_, pp.pattern, ro, lower, text_.AnyChar());
    if (!e.ok()) {
      Error err = e.error();
      err.message = "patternProperties: " + err.message + " (" + err.location + ")";
      err.location = pp.ptr;
      return err;
    }
    keys.push_back(*e);
  }
  STEER_ASSIGN_OR_RETURN(ExprId value, CompileAll({pps[0].schema}, depth + 1));
  return g_.Seq({g_.Literal("\""), g_.Alt(std::move(keys)), g_.Literal("\""), Ws(), g_.Literal(":"), Ws(), value});
}

Result<ExprId> JsonSchemaCompiler::LowerObject(const SchemaNode& n, int depth) {
  struct Slot {
    ExprId member = -1;
    bool required = false;
  };
  std::vector<Slot> slots;
  std::vector<std::string> excluded;
  auto is_required = [&](const std::string& name) {
    return std::find(n.required.begin(), n.required.end(), name) != n.required.end();
  };
  auto member = [&](const std::string& name, ExprId value) {
    return g_.Seq({text_.StringLiteral(name), Ws(), g_.Literal(":"), Ws(), value});
  };
  for (const auto& p : n.props) {
    excluded.push_back(p.name);
    const bool req = is_required(p.name);
    if (p.never) {
      if (req) return UnsatError("required property \"" + p.name + "\" is not allowed", n.props_ptr);
      continue;
    }
    Result<ExprId> v = CompileAll(p.schemas, depth + 1);
    if (!v.ok()) {
      if (!IsUnsat(v.error())) return v.error();
      if (req) return v.error();
      continue;
    }
    slots.push_back({member(p.name, *v), req});
  }
  for (const auto& r : n.required) {
    if (std::find(excluded.begin(), excluded.end(), r) != excluded.end()) continue;
    if (n.additional_false) {
      return UnsatError("required property \"" + r + "\" is not allowed by additionalProperties",
                        n.props_ptr);
    }
    STEER_ASSIGN_OR_RETURN(ExprId v, CompileAll(n.additional, depth + 1));
    excluded.push_back(r);
    slots.push_back({member(r, v), true});
  }
  std::optional<ExprId> extra;
  if (!n.pattern_props.empty()) {
    // Keys matching a pattern take its schema; other keys would fall under
    // additionalProperties, which is left out (a subset: such keys are
    // rejected, or were forbidden anyway).
    const std::string& pptr = n.pattern_props[0].ptr;
    if (n.object_sources > 1) {
      return Unsupported("patternProperties", pptr, "combined (allOf/$ref) with other object constraints");
    }
    for (const auto& name : excluded) {
      STEER_ASSIGN_OR_RETURN(bool m, KeyMatchesAny(n.pattern_props, name));
      if (m) {
        return Unsupported("patternProperties", pptr,
                           "property \"" + name + "\" also matches a pattern (both schemas would apply)");
      }
    }
    Result<ExprId> e = PatternMember(n, depth);
    if (e.ok()) {
      extra = *e;
    } else if (!IsUnsat(e.error())) {
      return e.error();
    }
  } else if (!n.additional_false) {
    Result<ExprId> v = CompileAll(n.additional, depth + 1);
    if (v.ok()) {
      extra = g_.Seq({text_.StringExcluding(excluded), Ws(), g_.Literal(":"), Ws(), *v});
    } else if (!IsUnsat(v.error())) {
      return v.error();
    }
  }
  // Members are written in states (p, c): p is the progress through the
  // named slots, c the members written so far (saturating at C when there is
  // no maxProperties). In schema order p = i, the slots before i decided; in
  // any order (few slots) p = the set of slots written. Extra members may
  // come anywhere.
  const int64_t max = n.max_props, min = n.min_props;
  if (max >= 0 && min > max) return UnsatError("minProperties > maxProperties", n.props_ptr);
  const int64_t C = max >= 0 ? max : std::max<int64_t>(min, 1);
  if (C > opts_.max_property_count) return TooBig("minProperties/maxProperties", n.props_ptr, opts_.max_property_count);
  const int64_t S = static_cast<int64_t>(slots.size());
  // Any order costs 2^S * (C + 1) states: only for small objects.
  const bool any_order = S <= opts_.max_any_order_properties && (int64_t{1} << S) * (C + 1) <= 4096;
  const int64_t P = any_order ? (int64_t{1} << S) : S + 1;
  int64_t required_mask = 0;
  for (int64_t i = 0; i < S; ++i) {
    if (slots[static_cast<size_t>(i)].required) required_mask |= int64_t{1} << i;
  }
  auto next = [&](int64_t c) { return max >= 0 ? c + 1 : std::min(c + 1, C); };
  auto can_add = [&](int64_t c) { return max < 0 || c < max; };
  auto id = [&](int64_t p, int64_t c) { return static_cast<size_t>(p * (C + 1) + c); };
  struct Edge {
    ExprId member;  // -1: skip an optional slot (no text)
    int64_t p, c;
  };
  // In schema order, optional slots are skipped lazily when there are few:
  // from p, any slot q >= p may come next if slots p..q-1 are optional, and
  // the object may end if all of p..S-1 are. An extra member then has one
  // derivation (it never follows a skip), so a parse state inside an extra
  // key holds one item for it instead of one per skippable slot, which made
  // every byte of a free key rebuild ~S items. Costs O(S^2) edges, hence the
  // bound; past it, skips are explicit (unambiguous only without extras).
  const bool lazy_skip = !any_order && S <= kMaxLazySkipSlots;
  std::vector<int64_t> next_required(static_cast<size_t>(S) + 1, S);  // first required slot >= p
  for (int64_t i = S - 1; i >= 0; --i) {
    next_required[static_cast<size_t>(i)] = slots[static_cast<size_t>(i)].required ? i : next_required[static_cast<size_t>(i) + 1];
  }
  auto edges = [&](int64_t p, int64_t c) {
    std::vector<Edge> out;
    if (extra && can_add(c)) out.push_back({*extra, p, next(c)});
    if (any_order) {
      for (int64_t i = 0; i < S; ++i) {
        if (!(p >> i & 1) && can_add(c)) out.push_back({slots[static_cast<size_t>(i)].member, p | int64_t{1} << i, next(c)});
      }
    } else if (lazy_skip) {
      const int64_t last = std::min(next_required[static_cast<size_t>(p)], S - 1);
      for (int64_t q = p; q <= last && can_add(c); ++q) out.push_back({slots[static_cast<size_t>(q)].member, q + 1, next(c)});
    } else if (p < S) {
      if (can_add(c)) out.push_back({slots[static_cast<size_t>(p)].member, p + 1, next(c)});
      if (!slots[static_cast<size_t>(p)].required) out.push_back({-1, p + 1, c});
    }
    return out;
  };
  auto accepting = [&](int64_t p, int64_t c) {
    if (c < min) return false;
    if (any_order) return (p & required_mask) == required_mask;
    return lazy_skip ? next_required[static_cast<size_t>(p)] == S : p == S;
  };
  // viable: some completion from the state exists (least fixpoint).
  std::vector<char> viable(static_cast<size_t>(P * (C + 1)), 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (int64_t p = P - 1; p >= 0; --p) {
      for (int64_t c = C; c >= 0; --c) {
        if (viable[id(p, c)]) continue;
        bool ok = accepting(p, c);
        for (const Edge& e : edges(p, c)) ok = ok || viable[id(e.p, e.c)];
        if (ok) viable[id(p, c)] = 1, changed = true;
      }
    }
  }
  if (!viable[id(0, 0)]) return UnsatError("no object satisfies the property constraints", n.props_ptr);
  // Define the viable states reachable from (0, 0).
  std::vector<char> reach(viable.size(), 0);
  std::vector<std::pair<int64_t, int64_t>> work{{0, 0}};
  reach[id(0, 0)] = 1;
  while (!work.empty()) {
    auto [p, c] = work.back();
    work.pop_back();
    for (const Edge& e : edges(p, c)) {
      if (viable[id(e.p, e.c)] && !reach[id(e.p, e.c)]) {
        reach[id(e.p, e.c)] = 1;
        work.emplace_back(e.p, e.c);
      }
    }
  }
  std::vector<RuleId> rules(viable.size(), -1);
  auto rule = [&](int64_t p, int64_t c) {
    RuleId& r = rules[id(p, c)];
    if (r < 0) r = g_.NewRule("obj");
    return r;
  };
  ExprId sep = g_.Seq({Ws(), g_.Literal(","), Ws()});
  for (int64_t p = P - 1; p >= 0; --p) {
    for (int64_t c = C; c >= 0; --c) {
      if (!reach[id(p, c)]) continue;
      std::vector<ExprId> alts;
      if (accepting(p, c)) alts.push_back(g_.Empty());
      for (const Edge& e : edges(p, c)) {
        if (!viable[id(e.p, e.c)]) continue;
        if (e.member < 0) {
          alts.push_back(g_.Ref(rule(e.p, e.c)));
          continue;
        }
        std::vector<ExprId> seq;
        if (c > 0) seq.push_back(sep);
        seq.push_back(e.member);
        seq.push_back(g_.Ref(rule(e.p, e.c)));
        alts.push_back(g_.Seq(std::move(seq)));
      }
      g_.DefineRule(rule(p, c), g_.Alt(std::move(alts)));
    }
  }
  return g_.Seq({g_.Literal("{"), Ws(), g_.Ref(rule(0, 0)), Ws(), g_.Literal("}")});
}

Result<uint8_t> JsonSchemaCompiler::EffectiveTypes(const SchemaNode& n, int depth) {
  if (depth > opts_.limits.max_nesting) return uint8_t{kTAll};  // conservative
  uint8_t t = n.types;
  if (n.enum_values) {
    uint8_t e = 0;
    for (const Json& v : *n.enum_values) e |= TypeOfValue(v);
    t &= e;
  }
  for (const auto& grp : n.groups) {
    uint8_t any = 0;
    for (const SchemaRef& b : grp.branches) {
      SchemaNode nb;
      STEER_RETURN_IF_ERROR(Normalize(b, &nb, depth + 1));
      if (nb.unsat) continue;
      STEER_ASSIGN_OR_RETURN(uint8_t bt, EffectiveTypes(nb, depth + 1));
      any |= bt;
    }
    t &= any;
  }
  return t;
}

// Whether the value certainly fails `n` (whose possible types are `types`):
// by type, enum, string length or pattern, or numeric bounds. False when
// unsure.
Result<bool> ValueExcluded(const Json& v, const SchemaNode& n, uint8_t types) {
  const uint8_t t = TypeOfValue(v);
  if (!(types & t)) return true;
  if (n.enum_values && std::find(n.enum_values->begin(), n.enum_values->end(), v) == n.enum_values->end()) {
    return true;
  }
  if (t == kTString) {
    const std::string s = v.get<std::string>();
    const int64_t len = CodepointCount(s);
    if (len < n.min_len || (n.max_len >= 0 && len > n.max_len)) return true;
    for (const auto& [pat, ptr] : n.patterns) {
      STEER_ASSIGN_OR_RETURN(bool m, KeyMatchesAny({SchemaNode::PatternProp{pat, ptr, {}}}, s));
      if (!m) return true;
    }
  }
  if (t == kTInteger || t == kTFraction) {
    std::optional<Decimal> d = ParseDecimal(v.dump());
    if (d && n.lo) {
      int c = CompareDecimal(*d, n.lo->value);
      if (c < 0 || (c == 0 && n.lo->exclusive)) return true;
    }
    if (d && n.hi) {
      int c = CompareDecimal(*d, n.hi->value);
      if (c > 0 || (c == 0 && n.hi->exclusive)) return true;
    }
  }
  return false;
}

Result<bool> JsonSchemaCompiler::Disjoint(const SchemaRef& a, const SchemaRef& b, uint8_t base_types, int depth) {
  SchemaNode na, nb;
  STEER_RETURN_IF_ERROR(Normalize(a, &na, depth + 1));
  STEER_RETURN_IF_ERROR(Normalize(b, &nb, depth + 1));
  if (na.unsat || nb.unsat) return true;
  STEER_ASSIGN_OR_RETURN(uint8_t ta, EffectiveTypes(na, depth + 1));
  STEER_ASSIGN_OR_RETURN(uint8_t tb, EffectiveTypes(nb, depth + 1));
  const uint8_t common = ta & tb & base_types;
  if (common == 0) return true;
  // An enum side whose every value the other side rejects.
  for (int side = 0; side < 2; ++side) {
    const SchemaNode& x = side ? nb : na;
    const SchemaNode& y = side ? na : nb;
    if (!x.enum_values) continue;
    bool all_excluded = true;
    for (const Json& v : *x.enum_values) {
      if (!(TypeOfValue(v) & common)) continue;
      STEER_ASSIGN_OR_RETURN(bool ex, ValueExcluded(v, y, side ? ta : tb));
      if (!ex) {
        all_excluded = false;
        break;
      }
    }
    if (all_excluded) return true;
  }
  if (common != kTObject) return false;
  // Objects: a property required by one side that the other forbids, or
  // required by both with disjoint values, separates them.
  auto find = [](const SchemaNode& n, const std::string& name) -> const SchemaNode::Prop* {
    for (const auto& p : n.props)
      if (p.name == name) return &p;
    return nullptr;
  };
  auto forbids = [&](const SchemaNode& n, const std::string& name) {
    const SchemaNode::Prop* p = find(n, name);
    return p ? p->never : n.additional_false && n.pattern_props.empty();
  };
  for (int side = 0; side < 2; ++side) {
    const SchemaNode& x = side ? nb : na;
    const SchemaNode& y = side ? na : nb;
    for (const auto& r : x.required) {
      if (forbids(y, r)) return true;
      const SchemaNode::Prop* px = find(x, r);
      const SchemaNode::Prop* py = find(y, r);
      if (!px || !py || std::find(y.required.begin(), y.required.end(), r) == y.required.end()) continue;
      if (px->schemas.size() != 1 || py->schemas.size() != 1) continue;
      STEER_ASSIGN_OR_RETURN(bool d, Disjoint(px->schemas[0], py->schemas[0], kTAll, depth + 1));
      if (d) return true;
    }
  }
  return false;
}

Result<ExprId> JsonSchemaCompiler::LowerTypes(const SchemaNode& n, int depth) {
  std::vector<ExprId> alts;
  if (n.types & kTNull) alts.push_back(g_.Literal("null"));
  if (n.types & kTBool) alts.push_back(g_.Alt({g_.Literal("true"), g_.Literal("false")}));
  if (n.types & (kTInteger | kTFraction)) {
    std::optional<ExprId> num;
    if (n.multiple_of) {
      if (n.lo || n.hi) {
        return Unsupported("multipleOf", n.mult_ptr, "together with minimum/maximum");
      }
      num = text_.MultipleOf(*n.multiple_of, !(n.types & kTFraction));
      if (!num) return Unsupported("multipleOf", n.mult_ptr, "the multiple needs too many states");
    } else if (n.types & kTFraction) {
      num = n.lo || n.hi ? text_.NumberRange(n.lo, n.hi) : text_.AnyNumber();
    } else {
      num = n.lo || n.hi ? text_.IntegerRange(n.lo, n.hi) : text_.AnyInteger();
    }
    if (num) {
      alts.push_back(*num);
    } else if ((n.types & ~(kTInteger | kTFraction)) == 0) {
      std::string lo = n.lo ? n.lo->value.ToString() : "-inf", hi = n.hi ? n.hi->value.ToString() : "inf";
      return UnsatError(std::string(n.types & kTFraction ? "number" : "integer") + " interval " +
                            (n.lo && n.lo->exclusive ? "(" : "[") + lo + ", " + hi +
                            (n.hi && n.hi->exclusive ? ")" : "]") + " contains no " +
                            (n.types & kTFraction ? "values" : "integer values"),
                        n.num_ptr);
    }
  }
  using Lowering = Result<ExprId> (JsonSchemaCompiler::*)(const SchemaNode&, int);
  const std::pair<uint8_t, Lowering> kinds[] = {{kTArray, &JsonSchemaCompiler::LowerArray},
                                                {kTObject, &JsonSchemaCompiler::LowerObject}};
  std::optional<Error> unsat;
  if (n.types & kTString) {
    Result<ExprId> e = LowerString(n);
    if (e.ok()) alts.push_back(*e);
    else if (IsUnsat(e.error())) unsat = e.error();
    else return e.error();
  }
  for (const auto& [bit, fn] : kinds) {
    if (!(n.types & bit)) continue;
    Result<ExprId> e = (this->*fn)(n, depth);
    if (e.ok()) alts.push_back(*e);
    else if (IsUnsat(e.error())) unsat = e.error();
    else return e.error();
  }
  if (alts.empty()) return unsat ? *unsat : UnsatError("no type is allowed", n.num_ptr);
  return g_.Alt(std::move(alts));
}

Result<ExprId> JsonSchemaCompiler::Lower(SchemaNode n, int depth) {
  if (n.unsat) return UnsatError(n.unsat_reason, n.unsat_ptr);
  if (n.groups.empty()) {
    if (n.enum_values) return LowerEnum(n);
    return LowerTypes(n, depth);
  }
  SchemaNode::Group grp = std::move(n.groups.front());
  n.groups.erase(n.groups.begin());
  if (grp.one_of) {
    // Only values the rest of the node allows can match two branches.
    uint8_t base_types = n.types;
    if (n.enum_values) {
      uint8_t e = 0;
      for (const Json& v : *n.enum_values) e |= TypeOfValue(v);
      base_types &= e;
    }
    for (size_t i = 0; i < grp.branches.size(); ++i) {
      for (size_t j = i + 1; j < grp.branches.size(); ++j) {
        STEER_ASSIGN_OR_RETURN(bool d, Disjoint(grp.branches[i], grp.branches[j], base_types, depth));
        if (!d) {
          return MakeError(ErrorCode::kUnsupported,
                           "keyword \"oneOf\" is not supported here: branches " + std::to_string(i) +
                               " and " + std::to_string(j) +
                               " may overlap, so \"exactly one\" cannot be enforced",
                           grp.ptr);
        }
      }
    }
  }
  branches_ += static_cast<int64_t>(grp.branches.size());
  if (branches_ > opts_.max_branches) {
    return TooBig("number of anyOf/oneOf branches", grp.ptr, opts_.max_branches);
  }
  const bool trivial = IsTrivial(n);
  std::vector<ExprId> alts;
  std::optional<Error> unsat;
  for (const SchemaRef& b : grp.branches) {
    Result<ExprId> e = [&]() -> Result<ExprId> {
      if (trivial) return CompileAll({b}, depth + 1);
      SchemaNode copy = n;
      STEER_RETURN_IF_ERROR(Normalize(b, &copy, depth + 1));
      return Lower(std::move(copy), depth + 1);
    }();
    if (e.ok()) alts.push_back(*e);
    else if (IsUnsat(e.error())) unsat = e.error();
    else return e.error();
  }
  if (alts.empty()) return UnsatError("no branch is satisfiable", grp.ptr);
  return g_.Alt(std::move(alts));
}

}  // namespace steer::grammar::internal
