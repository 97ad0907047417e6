#include "cp_regex.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "steer/util/utf8.h"

namespace steer::grammar::internal {

void NormalizeRanges(CpRanges* r) {
  std::sort(r->begin(), r->end());
  CpRanges out;
  for (const auto& [lo, hi] : *r) {
    if (lo > hi) continue;
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  *r = std::move(out);
}

CpRanges Complement(const CpRanges& r) {
  CpRanges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.emplace_back(next, 0x10FFFF);
  return out;
}

CpRanges Intersect(const CpRanges& a, const CpRanges& b) {
  CpRanges out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint32_t lo = std::max(a[i].first, b[j].first);
    uint32_t hi = std::min(a[i].second, b[j].second);
    if (lo <= hi) out.emplace_back(lo, hi);
    if (a[i].second < b[j].second) ++i; else ++j;
  }
  return out;
}

namespace {

const CpRanges kDigit = {{'0', '9'}};
const CpRanges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const CpRanges kSpaceEcma = {{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680},
                             {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F},
                             {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
const CpRanges kSpacePython = {{0x09, 0x0D}, {0x1C, 0x20}, {0x85, 0x85}, {0xA0, 0xA0},
                               {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029},
                               {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr int64_t kBig = int64_t{1} << 40;  // lengths saturate here

// Recursive descent straight to IR. Recursion depth is bounded by
// limits.max_nesting (checked on every group).
class Parser {
 public:
  Parser(Grammar& g, std::string_view p, const CpRegexOptions& o, const ClassLowering& lc)
      : g_(g), p_(p), o_(o), lower_(lc) {}

  Result<LoweredRegex> ParseTop() {
    LoweredRegex out;
    for (;;) {
      LoweredRegex::Branch br;
      if (o_.allow_anchors && Peek('^')) {
        ++pos_;
        br.anchored_start = true;
      }
      STEER_ASSIGN_OR_RETURN(br.body, ParseConcat(0, /*top=*/true, &br.anchored_end));
      std::tie(br.min_chars, br.max_chars) = Len(br.body);
      out.branches.push_back(br);
      if (pos_ >= p_.size()) break;
      if (p_[pos_] == '|') {
        ++pos_;
        continue;
      }
      return Err("unbalanced ')'");
    }
    return out;
  }

 private:
  Error Err(const std::string& msg, ErrorCode code = ErrorCode::kInvalidInput) const {
    return MakeError(code, "regex: " + msg, "offset " + std::to_string(pos_));
  }
  Error Unsupported(const std::string& what) const {
    return Err(what + " is not supported", ErrorCode::kUnsupported);
  }
  bool Peek(char c) const { return pos_ < p_.size() && p_[pos_] == c; }

  // Code-point length range of an expression this parser built.
  std::pair<int64_t, int64_t> Len(ExprId e) const {
    auto it = len_.find(e);
    return it == len_.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
  }
  ExprId Note(ExprId e, int64_t lo, int64_t hi) {
    len_[e] = {std::min(lo, kBig), hi < 0 || hi > kBig ? -1 : hi};
    return e;
  }
  ExprId SeqOf(std::vector<ExprId> items) {
    int64_t lo = 0, hi = 0;
    for (ExprId i : items) {
      auto [a, b] = Len(i);
      lo = std::min(lo + a, kBig);
      hi = (hi < 0 || b < 0) ? -1 : std::min(hi + b, kBig);
    }
    return Note(items.size() == 1 ? items[0] : g_.Seq(std::move(items)), lo, hi);
  }
  ExprId AltOf(std::vector<ExprId> items) {
    int64_t lo = kBig, hi = 0;
    for (ExprId i : items) {
      auto [a, b] = Len(i);
      lo = std::min(lo, a);
      hi = (hi < 0 || b < 0) ? -1 : std::max(hi, b);
    }
    return Note(items.size() == 1 ? items[0] : g_.Alt(std::move(items)), lo, hi);
  }
  bool PeekStr(std::string_view s) const { return p_.substr(pos_, s.size()) == s; }

  Result<ExprId> ParseAlt(int depth) {
    std::vector<ExprId> alts;
    for (;;) {
      STEER_ASSIGN_OR_RETURN(ExprId e, ParseConcat(depth, false, nullptr));
      alts.push_back(e);
      if (!Peek('|')) break;
      ++pos_;
    }
    return AltOf(std::move(alts));
  }

  // Stops before '|' or ')' (or at the end). At top level a '$' that ends
  // the branch sets *anchored_end.
  Result<ExprId> ParseConcat(int depth, bool top, bool* anchored_end) {
    std::vector<ExprId> seq;
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      if (p_[pos_] == '$') {
        size_t after = pos_ + 1;
        if (top && o_.allow_anchors && (after == p_.size() || p_[after] == '|')) {
          ++pos_;
          *anchored_end = true;
          break;
        }
        return Unsupported("'$' other than at the end of a top-level branch");
      }
      if (p_[pos_] == '^') return Unsupported("'^' other than at the start of a top-level branch");
      STEER_ASSIGN_OR_RETURN(ExprId atom, ParseAtom(depth));
      STEER_ASSIGN_OR_RETURN(ExprId q, ParseQuantifiers(atom));
      seq.push_back(q);
    }
    if (seq.empty()) return Note(g_.Empty(), 0, 0);
    return SeqOf(std::move(seq));
  }

  // Parses {n}, {n,}, {n,m}, {,m} at pos_; false (pos_ unchanged) when the
  // text is not a quantifier (then '{' is a literal).
  bool TryBraces(int64_t* lo, int64_t* hi) {
    size_t i = pos_ + 1;
    auto num = [&](int64_t* v) {
      size_t start = i;
      int64_t x = 0;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
        x = std::min<int64_t>(x * 10 + (p_[i] - '0'), int64_t{1} << 40);
        ++i;
      }
      *v = x;
      return i > start;
    };
    int64_t a = 0, b = -1;
    bool has_a = num(&a);
    if (i < p_.size() && p_[i] == '}') {
      if (!has_a) return false;
      b = a;
    } else if (i < p_.size() && p_[i] == ',') {
      ++i;
      bool has_b = num(&b);
      if (!has_b) b = -1;
      if (!has_a && !has_b) return false;
      if (i >= p_.size() || p_[i] != '}') return false;
    } else {
      return false;
    }
    pos_ = i + 1;
    *lo = a;
    *hi = b;
    return true;
  }

  Result<ExprId> ParseQuantifiers(ExprId atom) {
    for (;;) {
      if (pos_ >= p_.size()) return atom;
      char c = p_[pos_];
      int64_t lo, hi;
      if (c == '*') {
        lo = 0, hi = -1, ++pos_;
      } else if (c == '+') {
        lo = 1, hi = -1, ++pos_;
      } else if (c == '?') {
        lo = 0, hi = 1, ++pos_;
      } else if (c == '{' && TryBraces(&lo, &hi)) {
        if (hi >= 0 && hi < lo) return Err("repeat bounds out of order");
        const int64_t cap = g_.limits().max_repeat_bound;
        if (lo > cap || hi > cap) {
          return Err("repeat bound exceeds max_repeat_bound (" + std::to_string(cap) + ")",
                     ErrorCode::kResourceExhausted);
        }
      } else {
        return atom;
      }
      if (Peek('?')) ++pos_;  // lazy: same language
      if (Peek('+')) return Unsupported("a possessive quantifier");
      auto [a, b] = Len(atom);
      const int64_t rlo = std::min(a * lo, kBig);
      const int64_t rhi = (hi < 0 || b < 0) ? (b == 0 ? 0 : -1) : std::min(b * hi, kBig);
      atom = Note(g_.Repeat(atom, static_cast<int32_t>(lo), hi < 0 ? kUnbounded : static_cast<int32_t>(hi)),
                  rlo, rhi);
    }
  }

  Result<ExprId> Class(CpRanges r, bool negate) {
    NormalizeRanges(&r);
    if (o_.case_insensitive) {
      CpRanges extra;
      for (const auto& [lo, hi] : r) {
        for (uint32_t c = std::max<uint32_t>(lo, 'A'); c <= std::min<uint32_t>(hi, 'Z'); ++c)
          extra.emplace_back(c + 32, c + 32);
        for (uint32_t c = std::max<uint32_t>(lo, 'a'); c <= std::min<uint32_t>(hi, 'z'); ++c)
          extra.emplace_back(c - 32, c - 32);
      }
      r.insert(r.end(), extra.begin(), extra.end());
      NormalizeRanges(&r);
    }
    if (negate) r = Complement(r);
    // Surrogates are not characters.
    r = Intersect(r, CpRanges{{0, 0xD7FF}, {0xE000, 0x10FFFF}});
    if (r.empty()) return Err("empty character class", ErrorCode::kUnsupported);
    return Note(lower_(g_, r), 1, 1);
  }

  // Reads an escape after '\' (pos_ at the char after '\'). Sets *cls for
  // class escapes, else *cp.
  Status ReadEscape(bool in_class, uint32_t* cp, CpRanges* cls, bool* is_class) {
    *is_class = false;
    if (pos_ >= p_.size()) return Err("trailing backslash");
    char c = p_[pos_++];
    auto set_class = [&](const CpRanges& r, bool neg) {
      *cls = neg ? Complement(r) : r;
      *is_class = true;
    };
    switch (c) {
      case 'd': set_class(kDigit, false); return {};
      case 'D': set_class(kDigit, true); return {};
      case 'w': set_class(kWord, false); return {};
      case 'W': set_class(kWord, true); return {};
      case 's': set_class(o_.ecmascript ? kSpaceEcma : kSpacePython, false); return {};
      case 'S': set_class(o_.ecmascript ? kSpaceEcma : kSpacePython, true); return {};
      case 'n': *cp = '\n'; return {};
      case 'r': *cp = '\r'; return {};
      case 't': *cp = '\t'; return {};
      case 'f': *cp = '\f'; return {};
      case 'v': *cp = '\v'; return {};
      case 'a': *cp = 7; return {};
      case '0': *cp = 0; return {};
      case 'b':
        if (in_class) {
          *cp = 8;
          return {};
        }
        --pos_;
        return Unsupported("a word boundary (\\b)");
      case 'B': --pos_; return Unsupported("a word boundary (\\B)");
      case 'A': case 'Z': case 'z': case 'G':
        --pos_;
        return Unsupported(std::string("the anchor \\") + c);
      case 'p': case 'P': --pos_; return Unsupported("a Unicode property class");
      case 'k': --pos_; return Unsupported("a named backreference");
      case 'c': {
        if (pos_ < p_.size() && ((p_[pos_] | 32) >= 'a' && (p_[pos_] | 32) <= 'z')) {
          *cp = static_cast<uint32_t>(p_[pos_++]) % 32;
          return {};
        }
        return Err("bad \\c escape");
      }
      case 'x': case 'u': case 'U': {
        int n = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
        uint32_t v = 0;
        if (c == 'u' && Peek('{')) {
          ++pos_;
          int digits = 0;
          while (pos_ < p_.size() && HexVal(p_[pos_]) >= 0 && digits < 7) {
            v = v * 16 + static_cast<uint32_t>(HexVal(p_[pos_++]));
            ++digits;
          }
          if (digits == 0 || !Peek('}')) return Err("bad \\u{...} escape");
          ++pos_;
        } else {
          for (int i = 0; i < n; ++i) {
            if (pos_ >= p_.size() || HexVal(p_[pos_]) < 0) return Err("bad hex escape");
            v = v * 16 + static_cast<uint32_t>(HexVal(p_[pos_++]));
          }
        }
        if (v > 0x10FFFF) return Err("code point out of range");
        *cp = v;
        return {};
      }
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      --pos_;
      return Unsupported("a backreference");
    }
    // Identity escape: the (possibly multi-byte) character itself.
    --pos_;
    return ReadLiteral(cp);
  }

  Status ReadLiteral(uint32_t* cp) {
    size_t len = 1;
    uint32_t v = utf8::Decode(p_, pos_, &len);
    if (v == utf8::kInvalid) return Err("invalid UTF-8 in pattern");
    pos_ += len;
    *cp = v;
    return {};
  }

  Result<ExprId> ParseClass() {
    ++pos_;  // '['
    bool negate = false;
    if (Peek('^')) {
      negate = true;
      ++pos_;
    }
    CpRanges r;
    bool first = true;
    for (;;) {
      if (pos_ >= p_.size()) return Err("unterminated character class");
      if (p_[pos_] == ']' && !first) {
        ++pos_;
        break;
      }
      if (PeekStr("[:")) return Unsupported("a POSIX class");
      first = false;
      uint32_t lo;
      CpRanges cls;
      bool is_class = false;
      if (p_[pos_] == '\\') {
        ++pos_;
        STEER_RETURN_IF_ERROR(ReadEscape(true, &lo, &cls, &is_class));
      } else {
        STEER_RETURN_IF_ERROR(ReadLiteral(&lo));
      }
      if (is_class) {
        r.insert(r.end(), cls.begin(), cls.end());
        continue;
      }
      if (Peek('-') && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        ++pos_;
        uint32_t hi;
        if (p_[pos_] == '\\') {
          ++pos_;
          STEER_RETURN_IF_ERROR(ReadEscape(true, &hi, &cls, &is_class));
          if (is_class) return Err("a class escape cannot end a range");
        } else {
          STEER_RETURN_IF_ERROR(ReadLiteral(&hi));
        }
        if (hi < lo) return Err("character range out of order");
        r.emplace_back(lo, hi);
      } else {
        r.emplace_back(lo, lo);
      }
    }
    return Class(std::move(r), negate);
  }

  Result<ExprId> ParseAtom(int depth) {
    char c = p_[pos_];
    if (c == '(') {
      if (depth + 1 > g_.limits().max_nesting) {
        return Err("nesting deeper than max_nesting (" + std::to_string(g_.limits().max_nesting) +
                       ")",
                   ErrorCode::kResourceExhausted);
      }
      ++pos_;
      if (Peek('?')) {
        if (PeekStr("?:")) {
          pos_ += 2;
        } else if (PeekStr("?P<") || PeekStr("?<")) {
          if (PeekStr("?<=") || PeekStr("?<!")) return Unsupported("lookbehind");
          size_t close = p_.find('>', pos_);
          if (close == std::string_view::npos) return Err("unterminated group name");
          pos_ = close + 1;
        } else if (PeekStr("?=") || PeekStr("?!")) {
          return Unsupported("lookahead");
        } else if (PeekStr("?P=")) {
          return Unsupported("a backreference");
        } else {
          return Unsupported("an inline flag or group extension");
        }
      }
      STEER_ASSIGN_OR_RETURN(ExprId e, ParseAlt(depth + 1));
      if (!Peek(')')) return Err("missing ')'");
      ++pos_;
      return e;
    }
    if (c == '[') return ParseClass();
    if (c == '.') {
      ++pos_;
      CpRanges excl = o_.ecmascript ? CpRanges{{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}
                                    : CpRanges{{'\n', '\n'}};
      return Class(std::move(excl), true);
    }
    if (c == '*' || c == '+' || c == '?') return Err("nothing to repeat");
    if (c == '{') {
      int64_t lo, hi;
      size_t save = pos_;
      if (TryBraces(&lo, &hi)) {
        pos_ = save;
        return Err("nothing to repeat");
      }
    }
    uint32_t cp;
    CpRanges cls;
    bool is_class = false;
    if (c == '\\') {
      ++pos_;
      STEER_RETURN_IF_ERROR(ReadEscape(false, &cp, &cls, &is_class));
      if (is_class) return Class(std::move(cls), false);
    } else {
      STEER_RETURN_IF_ERROR(ReadLiteral(&cp));
    }
    return Class(CpRanges{{cp, cp}}, false);
  }

  Grammar& g_;
  std::string_view p_;
  const CpRegexOptions& o_;
  const ClassLowering& lower_;
  size_t pos_ = 0;
  std::map<ExprId, std::pair<int64_t, int64_t>> len_;
};

}  // namespace

Result<LoweredRegex> LowerCpRegex(Grammar& g, std::string_view pattern,
                                  const CpRegexOptions& opts, const ClassLowering& lower_class) {
  Parser p(g, pattern, opts, lower_class);
  return p.ParseTop();
}

Result<ExprId> LowerCpRegexFullMatch(Grammar& g, std::string_view pattern,
                                     const CpRegexOptions& opts, const ClassLowering& lower_class,
                                     std::pair<int64_t, int64_t>* chars) {
  STEER_ASSIGN_OR_RETURN(LoweredRegex r, LowerCpRegex(g, pattern, opts, lower_class));
  std::vector<ExprId> alts;
  int64_t lo = kBig, hi = 0;
  for (const auto& b : r.branches) {
    alts.push_back(b.body);
    lo = std::min(lo, b.min_chars);
    hi = (hi < 0 || b.max_chars < 0) ? -1 : std::max(hi, b.max_chars);
  }
  if (chars) *chars = {lo, hi};
  return alts.size() == 1 ? alts[0] : g.Alt(std::move(alts));
}

Result<ExprId> LowerCpRegexSearch(Grammar& g, std::string_view pattern, const CpRegexOptions& opts,
                                  const ClassLowering& lower_class, ExprId any_char) {
  STEER_ASSIGN_OR_RETURN(LoweredRegex r, LowerCpRegex(g, pattern, opts, lower_class));
  std::vector<ExprId> alts;
  for (const auto& b : r.branches) {
    std::vector<ExprId> seq;
    if (!b.anchored_start) seq.push_back(g.Star(any_char));
    seq.push_back(b.body);
    if (!b.anchored_end) seq.push_back(g.Star(any_char));
    alts.push_back(g.Seq(std::move(seq)));
  }
  return alts.size() == 1 ? alts[0] : g.Alt(std::move(alts));
}

}  // namespace steer::grammar::internal
