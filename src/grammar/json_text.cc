// JSON string characters, keys and formats (see json_text.h).
#include "json_text.h"

#include <algorithm>

#include "steer/util/check.h"
#include "steer/util/utf8.h"

namespace steer::grammar::internal {

namespace {

const CpRanges kScalar = {{0, 0xD7FF}, {0xE000, 0x10FFFF}};
const CpRanges kLiteralOk = {{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0xD7FF}, {0xE000, 0x10FFFF}};

bool Contains(const CpRanges& r, uint32_t cp) {
  for (const auto& [lo, hi] : r)
    if (cp >= lo && cp <= hi) return true;
  return false;
}

}  // namespace

ExprId JsonText::HexDigit(int lo, int hi) {
  ByteSet s;
  for (int v = lo; v <= hi; ++v) {
    if (v < 10) {
      s.Add(static_cast<uint8_t>('0' + v));
    } else {
      s.Add(static_cast<uint8_t>('a' + v - 10));
      s.Add(static_cast<uint8_t>('A' + v - 10));
    }
  }
  return g_.Bytes(s);
}

// The 4-nibble strings (as `nibbles` remaining digits below `base`) whose
// value lies in `values`; -1 when none. Cost: O(16 * depth) per boundary.
ExprId JsonText::HexQuadRec(const CpRanges& values, uint32_t base, int nibbles) {
  const uint32_t span = 1u << (4 * nibbles);
  CpRanges in = Intersect(values, CpRanges{{base, base + span - 1}});
  if (in.empty()) return -1;
  if (in.size() == 1 && in[0].first == base && in[0].second == base + span - 1) {
    return g_.Repeat(HexDigit(0, 15), nibbles, nibbles);
  }
  const uint32_t sub = span / 16;
  std::vector<ExprId> alts;
  int run_start = -1;  // a run of fully covered leading nibbles
  auto flush = [&](int end) {
    if (run_start < 0) return;
    alts.push_back(nibbles == 1 ? HexDigit(run_start, end - 1)
                                : g_.Seq({HexDigit(run_start, end - 1),
                                          g_.Repeat(HexDigit(0, 15), nibbles - 1, nibbles - 1)}));
    run_start = -1;
  };
  for (int d = 0; d < 16; ++d) {
    uint32_t b = base + static_cast<uint32_t>(d) * sub;
    CpRanges part = Intersect(in, CpRanges{{b, b + sub - 1}});
    bool full = part.size() == 1 && part[0].first == b && part[0].second == b + sub - 1;
    if (full) {
      if (run_start < 0) run_start = d;
      continue;
    }
    flush(d);
    if (part.empty()) continue;
    alts.push_back(nibbles == 1 ? HexDigit(d, d) : g_.Seq({HexDigit(d, d), HexQuadRec(part, b, nibbles - 1)}));
  }
  flush(16);
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

ExprId JsonText::HexQuad(const CpRanges& values) { return HexQuadRec(values, 0, 4); }

ExprId JsonText::CharClass(const CpRanges& r_in) {
  CpRanges r = Intersect(r_in, kScalar);
  auto it = class_cache_.find(r);
  if (it != class_cache_.end()) return it->second;
  std::vector<ExprId> alts;
  CpRanges lit = Intersect(r, kLiteralOk);
  if (!lit.empty()) alts.push_back(g_.Codepoints(lit));
  static const std::pair<uint32_t, char> kShort[] = {{'"', '"'}, {'\\', '\\'}, {'/', '/'},
                                                     {8, 'b'},   {12, 'f'},   {10, 'n'},
                                                     {13, 'r'},  {9, 't'}};
  ByteSet shorts;
  for (const auto& [cp, ch] : kShort)
    if (Contains(r, cp)) shorts.Add(static_cast<uint8_t>(ch));
  if (!shorts.Empty()) alts.push_back(g_.Seq({g_.Literal("\\"), g_.Bytes(shorts)}));
  CpRanges bmp = Intersect(r, CpRanges{{0, 0xFFFF}});
  if (!bmp.empty()) alts.push_back(g_.Seq({g_.Literal("\\u"), HexQuad(bmp)}));
  // Surrogate pairs for code points above U+FFFF, range by range.
  auto high = [](uint32_t cp) { return 0xD800 + ((cp - 0x10000) >> 10); };
  auto low = [](uint32_t cp) { return 0xDC00 + ((cp - 0x10000) & 0x3FF); };
  auto pair = [&](uint32_t h0, uint32_t h1, uint32_t l0, uint32_t l1) {
    alts.push_back(g_.Seq({g_.Literal("\\u"), HexQuad({{h0, h1}}), g_.Literal("\\u"),
                           HexQuad({{l0, l1}})}));
  };
  for (const auto& [lo, hi] : Intersect(r, CpRanges{{0x10000, 0x10FFFF}})) {
    uint32_t ha = high(lo), hb = high(hi);
    if (ha == hb) {
      pair(ha, ha, low(lo), low(hi));
      continue;
    }
    pair(ha, ha, low(lo), 0xDFFF);
    if (ha + 1 <= hb - 1) pair(ha + 1, hb - 1, 0xDC00, 0xDFFF);
    pair(hb, hb, 0xDC00, low(hi));
  }
  STEER_CHECK(!alts.empty());
  ExprId e = alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
  class_cache_.emplace(std::move(r), e);
  return e;
}

ExprId JsonText::AnyChar() {
  if (any_char_rule_ < 0) {
    any_char_rule_ = g_.NewRule("json_char");
    g_.DefineRule(any_char_rule_, CharClass(kScalar));
  }
  return g_.Ref(any_char_rule_);
}

ExprId JsonText::CharEq(uint32_t cp) { return CharClass(CpRanges{{cp, cp}}); }

ExprId JsonText::StringLiteral(std::string_view s) {
  std::vector<ExprId> seq{g_.Literal("\"")};
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    uint32_t cp = utf8::Decode(s, i, &len);
    STEER_CHECK(cp != utf8::kInvalid);  // callers pass decoded JSON strings
    seq.push_back(CharEq(cp));
    i += len;
  }
  seq.push_back(g_.Literal("\""));
  return g_.Seq(std::move(seq));
}

// keys[begin, end) share their first `depth` code points and are sorted.
ExprId JsonText::StringExcludingRec(const std::vector<std::u32string>& keys, size_t begin,
                                    size_t end, size_t depth) {
  std::vector<ExprId> alts;
  size_t i = begin;
  if (keys[i].size() == depth) {
    ++i;  // this prefix is itself excluded: the string may not end here
  } else {
    alts.push_back(g_.Empty());
  }
  CpRanges children;
  std::vector<ExprId> child_alts;
  while (i < end) {
    uint32_t c = keys[i][depth];
    size_t j = i;
    while (j < end && keys[j][depth] == c) ++j;
    children.emplace_back(c, c);
    child_alts.push_back(g_.Seq({CharEq(c), StringExcludingRec(keys, i, j, depth + 1)}));
    i = j;
  }
  NormalizeRanges(&children);
  CpRanges others = Intersect(Complement(children), kScalar);
  if (!others.empty()) {
    // R ::= others | R char (not others char*): the parse state loops from
    // the first free character on, so the mask walk jumps over free keys.
    RuleId rest = g_.NewRule("json_key_free");
    g_.DefineRule(rest, g_.Alt({CharClass(others), g_.Seq({g_.Ref(rest), AnyChar()})}));
    alts.push_back(g_.Ref(rest));
  }
  alts.insert(alts.end(), child_alts.begin(), child_alts.end());
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

ExprId JsonText::StringExcluding(const std::vector<std::string>& excluded) {
  if (excluded.empty()) return g_.Seq({g_.Literal("\""), g_.Star(AnyChar()), g_.Literal("\"")});
  std::vector<std::u32string> keys;
  for (const auto& k : excluded) {
    std::u32string u;
    for (size_t i = 0; i < k.size();) {
      size_t len = 1;
      uint32_t cp = utf8::Decode(k, i, &len);
      STEER_CHECK(cp != utf8::kInvalid);
      u.push_back(cp);
      i += len;
    }
    keys.push_back(std::move(u));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return g_.Seq({g_.Literal("\""), StringExcludingRec(keys, 0, keys.size(), 0), g_.Literal("\"")});
}

// ---------------------------------------------------------------- formats

namespace {

// RFC 3339 full-date with the real month lengths and Gregorian leap years
// (year 0000 excluded: Python's datetime, used by common validators, has no
// year 0).
constexpr const char* kDate =
    "(?:(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)-"
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|"
    "02-(?:0[1-9]|1[0-9]|2[0-8]))"
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)";
// RFC 3339 full-time. Leap seconds (:60) are left out: whether one is valid
// depends on the UTC instant, which a grammar cannot check (a subset).
constexpr const char* kTime =
    "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
constexpr const char* kDecOctet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

std::string Ipv4() {
  std::string o = kDecOctet;
  return o + "\\." + o + "\\." + o + "\\." + o;
}

// RFC 3986 IPv6address.
std::string Ipv6() {
  const std::string h = "[0-9A-Fa-f]{1,4}";
  const std::string ls32 = "(?:" + h + ":" + h + "|" + Ipv4() + ")";
  auto rep = [&](int n) { return "(?:" + h + ":){" + std::to_string(n) + "}"; };
  auto pre = [&](int n) {
    return n < 0 ? std::string() : "(?:(?:" + h + ":){0," + std::to_string(n) + "}" + h + ")?";
  };
  std::vector<std::string> alts = {
      rep(6) + ls32,
      "::" + rep(5) + ls32,
      pre(0) + "::" + rep(4) + ls32,
      pre(1) + "::" + rep(3) + ls32,
      pre(2) + "::" + rep(2) + ls32,
      pre(3) + "::" + h + ":" + ls32,
      pre(4) + "::" + ls32,
      pre(5) + "::" + h,
      pre(6) + "::",
  };
  std::string out = "(?:";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? "|" : "") + alts[i];
  return out + ")";
}

// RFC 3986 URI (absolute, with optional query and fragment).
std::string Uri() {
  const std::string pct = "%[0-9A-Fa-f]{2}";
  const std::string pchar = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|" + pct + ")";
  const std::string userinfo = "(?:[A-Za-z0-9._~!$&'()*+,;=:-]|" + pct + ")*";
  const std::string regname = "(?:[A-Za-z0-9._~!$&'()*+,;=-]|" + pct + ")*";
  const std::string iplit =
      "\\[(?:" + Ipv6() + "|[vV][0-9A-Fa-f]+\\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\\]";
  const std::string authority = "(?:" + userinfo + "@)?(?:" + iplit + "|" + regname + ")(?::[0-9]*)?";
  const std::string hier = "(?://" + authority + "(?:/" + pchar + "*)*|/(?:" + pchar + "+(?:/" +
                           pchar + "*)*)?|" + pchar + "+(?:/" + pchar + "*)*|)";
  return "[A-Za-z][A-Za-z0-9+.-]*:" + hier + "(?:\\?(?:" + pchar + "|[/?])*)?(?:#(?:" + pchar +
         "|[/?])*)?";
}

// Dot-atom local part at a hostname or an IPv4 literal (RFC 5321 subset:
// quoted local parts and IPv6 literals are left out).
std::string Email() {
  const std::string atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
  const std::string label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  return atext + "+(?:\\." + atext + "+)*@(?:" + label + "(?:\\." + label + ")*|\\[" + Ipv4() +
         "\\])";
}

std::optional<std::string> FormatRegex(std::string_view name) {
  if (name == "date") return std::string(kDate);
  if (name == "time") return std::string(kTime);
  if (name == "date-time") return std::string(kDate) + "[Tt]" + kTime;
  if (name == "uuid") {
    return std::string(
        "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}");
  }
  if (name == "ipv4") return Ipv4();
  if (name == "ipv6") return Ipv6();
  if (name == "uri") return Uri();
  if (name == "email") return Email();
  return std::nullopt;
}

// Formats defined by draft 2020-12 and draft-07 (others are unknown
// annotations, ignored as the specification requires).
bool IsSpecFormat(std::string_view name) {
  static const char* kNames[] = {"date-time", "date", "time", "duration", "email", "idn-email",
                                 "hostname", "idn-hostname", "ipv4", "ipv6", "uri",
                                 "uri-reference", "iri", "iri-reference", "uuid", "uri-template",
                                 "json-pointer", "relative-json-pointer", "regex"};
  for (const char* n : kNames)
    if (name == n) return true;
  return false;
}

}  // namespace

Result<ExprId> JsonText::Format(std::string_view name) {
  auto it = format_cache_.find(std::string(name));
  if (it != format_cache_.end()) return it->second;
  std::optional<std::string> re = FormatRegex(name);
  if (!re) {
    if (IsSpecFormat(name)) {
      return MakeError(ErrorCode::kUnsupported,
                       "format \"" + std::string(name) + "\" is not supported");
    }
    return MakeError(ErrorCode::kNotFound, "unknown format \"" + std::string(name) + "\"");
  }
  RuleId rule = g_.NewRule("format_" + std::string(name));
  CpRegexOptions opts;
  opts.allow_anchors = false;
  auto lower = [this](Grammar&, const CpRanges& r) { return CharClass(r); };
  std::pair<int64_t, int64_t> len;
  Result<ExprId> body = LowerCpRegexFullMatch(g_, *re, opts, lower, &len);
  format_len_[std::string(name)] = len;
  STEER_CHECK(body.ok());  // the format regexes above are fixed and valid
  g_.DefineRule(rule, *body);
  ExprId ref = g_.Ref(rule);
  format_cache_.emplace(std::string(name), ref);
  return ref;
}

}  // namespace steer::grammar::internal
