#include <algorithm>
#include <cctype>
#include <string>

#include "grammar/parse_util.h"
#include "steer/grammar/regex.h"

namespace steer::grammar {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

Ranges Complement(const Ranges& in) {
  Ranges sorted = in, out;
  std::sort(sorted.begin(), sorted.end());
  uint32_t next = 0;
  for (auto [lo, hi] : sorted) {
    if (lo > next) out.push_back({next, lo - 1});
    next = std::max(next, hi + 1);
  }
  if (next <= 0x10FFFF) out.push_back({next, 0x10FFFF});
  return out;
}

// Adds the other ASCII case of every letter in the ranges.
void FoldCase(Ranges* r) {
  Ranges extra;
  for (auto [lo, hi] : *r) {
    for (uint32_t a = 'a', A = 'A'; a <= 'z'; ++a, ++A) {
      if (a >= lo && a <= hi) extra.push_back({A, A});
      if (A >= lo && A <= hi) extra.push_back({a, a});
    }
  }
  r->insert(r->end(), extra.begin(), extra.end());
}

class RegexParser {
 public:
  RegexParser(Grammar* g, std::string_view p, RegexFlags flags) : g_(g), p_(p), flags_(flags) {}

  Result<ExprId> Run() {
    // Leading global flags (?is).
    if (p_.substr(0, 2) == "(?") {
      size_t i = 2;
      RegexFlags f = flags_;
      while (i < p_.size() && (p_[i] == 'i' || p_[i] == 's')) {
        (p_[i] == 'i' ? f.case_insensitive : f.dot_all) = true;
        ++i;
      }
      if (i > 2 && i < p_.size() && p_[i] == ')') {
        flags_ = f;
        pos_ = i + 1;
      }
    }
    STEER_ASSIGN_OR_RETURN(ExprId e, ParseAlt(0, flags_));
    if (pos_ < p_.size()) return Fail("unbalanced ')'", pos_);
    return e;
  }

 private:
  Error Fail(std::string msg, size_t at) const {
    return MakeError(ErrorCode::kInvalidInput, std::move(msg), "1:" + std::to_string(at + 1));
  }
  Error Unsupported(std::string what, size_t at) const {
    return MakeError(ErrorCode::kUnsupported, what + " is not supported", "1:" + std::to_string(at + 1));
  }
  char Peek(size_t k = 0) const { return pos_ + k < p_.size() ? p_[pos_ + k] : '\0'; }
  bool AtEnd() const { return pos_ >= p_.size(); }

  Result<ExprId> ParseAlt(int depth, RegexFlags flags) {
    std::vector<ExprId> alts;
    for (;;) {
      STEER_ASSIGN_OR_RETURN(ExprId seq, ParseSeq(depth, flags));
      alts.push_back(seq);
      if (Peek() != '|') break;
      ++pos_;
    }
    return g_->Alt(std::move(alts));
  }

  Result<ExprId> ParseSeq(int depth, RegexFlags flags) {
    std::vector<ExprId> items;
    size_t seq_start = pos_;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      size_t at = pos_;
      char c = Peek();
      // Anchors: no-ops at the ends of a top-level alternative.
      bool start_anchor = c == '^' || (c == '\\' && Peek(1) == 'A');
      bool end_anchor = c == '$' || (c == '\\' && (Peek(1) == 'Z' || Peek(1) == 'z'));
      if (start_anchor || end_anchor) {
        pos_ += c == '\\' ? 2 : 1;
        bool ok = depth == 0 && (start_anchor ? at == seq_start && items.empty()
                                              : (AtEnd() || Peek() == '|'));
        if (!ok) return Unsupported("an anchor that is not at the start or end of the pattern", at);
        continue;
      }
      if (c == '*' || c == '+' || c == '?') return Fail("nothing to repeat", at);
      if (c == '{' && IsQuantifier()) return Fail("nothing to repeat", at);
      STEER_ASSIGN_OR_RETURN(ExprId atom, ParseAtom(depth, flags));
      STEER_ASSIGN_OR_RETURN(atom, ParseQuantifiers(atom));
      items.push_back(atom);
      if (g_->num_exprs() > g_->limits().max_exprs) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "pattern is larger than max_exprs=" + std::to_string(g_->limits().max_exprs),
                         "1:" + std::to_string(at + 1));
      }
    }
    return items.empty() ? g_->Empty() : g_->Seq(std::move(items));
  }

  // Whether a '{' at pos_ starts a {m}, {m,}, {m,n} or {,n} quantifier
  // (otherwise it is a literal brace, as in Python).
  bool IsQuantifier() const {
    size_t i = pos_ + 1, digits = 0;
    while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') ++i, ++digits;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') ++i, ++digits;
    }
    return digits > 0 && i < p_.size() && p_[i] == '}';
  }

  Result<int64_t> ReadInt() {
    int64_t v = 0;
    while (Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + (Peek() - '0');
      if (v > (int64_t{1} << 40)) return Fail("repetition count is too large", pos_);
      ++pos_;
    }
    return v;
  }

  Result<ExprId> ParseQuantifiers(ExprId atom) {
    bool quantified = false;
    for (;;) {
      size_t at = pos_;
      char c = Peek();
      int64_t min = 0, max = 0;
      if (c == '*' || c == '+' || c == '?') {
        ++pos_;
        min = c == '+' ? 1 : 0;
        max = c == '?' ? 1 : kUnbounded;
      } else if (c == '{' && IsQuantifier()) {
        ++pos_;
        STEER_ASSIGN_OR_RETURN(min, ReadInt());
        max = min;
        if (Peek() == ',') {
          ++pos_;
          if (Peek() == '}') {
            max = kUnbounded;
          } else {
            STEER_ASSIGN_OR_RETURN(max, ReadInt());
          }
        }
        ++pos_;  // '}'
        if (max != kUnbounded && max < min) return Fail("repetition maximum is below its minimum", at);
      } else {
        return atom;
      }
      if (quantified) return Fail("multiple repeat", at);
      quantified = true;
      int64_t bound = max == kUnbounded ? min : max;
      if (bound > g_->limits().max_repeat_bound) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "repetition bound " + std::to_string(bound) + " is over max_repeat_bound=" +
                             std::to_string(g_->limits().max_repeat_bound),
                         "1:" + std::to_string(at + 1));
      }
      if (Peek() == '?') {
        ++pos_;  // lazy: same language
      } else if (Peek() == '+') {
        return Unsupported("a possessive quantifier", pos_);
      }
      atom = g_->Repeat(atom, static_cast<int32_t>(min), static_cast<int32_t>(max));
    }
  }

  ExprId Char(uint32_t cp, RegexFlags flags) {
    if (flags.case_insensitive && cp < 128 && std::isalpha(static_cast<int>(cp))) {
      Ranges r = {{cp, cp}};
      FoldCase(&r);
      return g_->Codepoints(std::move(r));
    }
    return g_->Literal(utf8::Encode(cp));
  }

  Result<ExprId> ParseAtom(int depth, RegexFlags flags) {
    char c = Peek();
    if (c == '(') return ParseGroup(depth, flags);
    if (c == '[') return ParseClass(flags);
    if (c == '.') {
      ++pos_;
      return flags.dot_all ? g_->AnyCodepoint() : g_->Codepoints({{'\n', '\n'}}, true);
    }
    if (c == '\\') {
      Ranges r;
      bool negated = false;
      STEER_ASSIGN_OR_RETURN(bool is_class, ParseEscape(/*in_class=*/false, &r, &negated));
      if (is_class) {
        if (flags.case_insensitive) FoldCase(&r);
        return g_->Codepoints(std::move(r), negated);
      }
      return Char(r[0].first, flags);
    }
    STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadCodepoint(p_, &pos_));
    return Char(cp, flags);
  }

  Result<ExprId> ParseGroup(int depth, RegexFlags flags) {
    size_t at = pos_;
    if (depth + 1 > g_->limits().max_nesting) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "groups nested deeper than max_nesting=" + std::to_string(g_->limits().max_nesting),
                       "1:" + std::to_string(at + 1));
    }
    ++pos_;
    if (Peek() == '?') {
      ++pos_;
      char k = Peek();
      if (k == ':') {
        ++pos_;
      } else if (k == '=' || k == '!') {
        return Unsupported("lookahead", at);
      } else if (k == '<' && (Peek(1) == '=' || Peek(1) == '!')) {
        return Unsupported("lookbehind", at);
      } else if (k == 'P' && Peek(1) == '=') {
        return Unsupported("a backreference", at);
      } else if (k == 'P' || k == '<') {
        if (k == 'P' && Peek(1) != '<') return Fail("bad group name syntax", at);
        pos_ += k == 'P' ? 2 : 1;
        size_t name_start = pos_;
        while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '_')) ++pos_;
        if (pos_ == name_start || Peek() != '>') return Fail("bad group name", name_start);
        ++pos_;
      } else if (k == 'i' || k == 's') {
        while (Peek() == 'i' || Peek() == 's') {
          (Peek() == 'i' ? flags.case_insensitive : flags.dot_all) = true;
          ++pos_;
        }
        if (Peek() != ':') return Unsupported("an inline flag group other than (?is) at the start", at);
        ++pos_;
      } else {
        return Unsupported(std::string("the group syntax (?") + (k ? std::string(1, k) : "") , at);
      }
    }
    STEER_ASSIGN_OR_RETURN(ExprId inner, ParseAlt(depth + 1, flags));
    if (Peek() != ')') return Fail("missing ')'", at);
    ++pos_;
    return inner;
  }

  // Parses an escape at pos_ ('\\'). Either a single code point (returned in
  // (*r)[0].first with false) or a class (ranges, negated; returns true).
  Result<bool> ParseEscape(bool in_class, Ranges* r, bool* negated) {
    size_t at = pos_;
    if (pos_ + 1 >= p_.size()) return Fail("bad escape (end of pattern)", at);
    char c = p_[pos_ + 1];
    pos_ += 2;
    auto single = [&](uint32_t cp) -> Result<bool> {
      r->push_back({cp, cp});
      return false;
    };
    switch (c) {
      case 'd': *r = {{'0', '9'}}; return true;
      case 'D': *r = {{'0', '9'}}; *negated = true; return true;
      case 'w': *r = {{'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {'_', '_'}}; return true;
      case 'W': *r = {{'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {'_', '_'}}; *negated = true; return true;
      case 's': *r = {{' ', ' '}, {'\t', '\r'}}; return true;
      case 'S': *r = {{' ', ' '}, {'\t', '\r'}}; *negated = true; return true;
      case 'n': return single('\n');
      case 't': return single('\t');
      case 'r': return single('\r');
      case 'f': return single('\f');
      case 'v': return single('\v');
      case 'a': return single('\a');
      case '0': return single(0);
      case 'b':
        if (in_class) return single('\b');
        return Unsupported("a word boundary (\\b)", at);
      case 'B': return Unsupported("a word boundary (\\B)", at);
      case 'x': {
        STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadHexCodepoint(p_, &pos_, 2));
        return single(cp);
      }
      case 'u': {
        if (Peek() == '{') {
          ++pos_;
          size_t start = pos_;
          while (!AtEnd() && Peek() != '}') ++pos_;
          if (AtEnd() || pos_ == start || pos_ - start > 6) return Fail("bad \\u{...} escape", at);
          std::string hex(6 - (pos_ - start), '0');
          hex += std::string(p_.substr(start, pos_ - start));
          ++pos_;
          size_t hp = 0;
          auto cp = ReadHexCodepoint(hex, &hp, 6);
          if (!cp.ok()) return Fail("bad \\u{...} escape", at);
          return single(*cp);
        }
        STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadHexCodepoint(p_, &pos_, 4));
        return single(cp);
      }
      case 'U': {
        STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadHexCodepoint(p_, &pos_, 8));
        return single(cp);
      }
      case 'p': case 'P': return Unsupported("a Unicode property class (\\p)", at);
      case 'k': return Unsupported("a backreference", at);
      default:
        break;
    }
    if (c >= '1' && c <= '9') return Unsupported("a backreference", at);
    if (std::isalnum(static_cast<unsigned char>(c))) {
      return Fail(std::string("bad escape \\") + c, at);
    }
    pos_ -= 1;  // the escaped character itself, possibly multi-byte
    STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadCodepoint(p_, &pos_));
    return single(cp);
  }

  Result<ExprId> ParseClass(RegexFlags flags) {
    size_t at = pos_;
    ++pos_;
    bool negated = false;
    if (Peek() == '^') {
      negated = true;
      ++pos_;
    }
    Ranges ranges;
    bool first = true;
    while (!AtEnd() && (Peek() != ']' || first)) {
      first = false;
      size_t item_at = pos_;
      Ranges item;
      bool item_negated = false, is_class = false;
      if (Peek() == '\\') {
        STEER_ASSIGN_OR_RETURN(is_class, ParseEscape(/*in_class=*/true, &item, &item_negated));
      } else {
        STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadCodepoint(p_, &pos_));
        item.push_back({cp, cp});
      }
      if (is_class) {
        Ranges add = item_negated ? Complement(item) : item;
        ranges.insert(ranges.end(), add.begin(), add.end());
        if (Peek() == '-' && Peek(1) != ']' && pos_ + 1 < p_.size()) return Fail("bad character range", item_at);
        continue;
      }
      uint32_t lo = item[0].first, hi = lo;
      if (Peek() == '-' && pos_ + 1 < p_.size() && Peek(1) != ']') {
        ++pos_;
        size_t hi_at = pos_;
        Ranges end;
        bool end_neg = false, end_class = false;
        if (Peek() == '\\') {
          STEER_ASSIGN_OR_RETURN(end_class, ParseEscape(true, &end, &end_neg));
        } else {
          STEER_ASSIGN_OR_RETURN(uint32_t cp, ReadCodepoint(p_, &pos_));
          end.push_back({cp, cp});
        }
        if (end_class) return Fail("bad character range", item_at);
        hi = end[0].first;
        if (hi < lo) return Fail("bad character range (out of order)", hi_at);
      }
      ranges.push_back({lo, hi});
    }
    if (AtEnd()) return Fail("unterminated character set", at);
    ++pos_;
    if (flags.case_insensitive) FoldCase(&ranges);
    return g_->Codepoints(std::move(ranges), negated);
  }

  Grammar* g_;
  std::string_view p_;
  RegexFlags flags_;
  size_t pos_ = 0;
};

}  // namespace

Result<ExprId> AddRegex(Grammar* grammar, std::string_view pattern, RegexFlags flags) {
  return RegexParser(grammar, pattern, flags).Run();
}

Result<Grammar> ParseRegex(std::string_view pattern, const GrammarLimits& limits, RegexFlags flags) {
  Grammar g(limits);
  STEER_ASSIGN_OR_RETURN(ExprId e, AddRegex(&g, pattern, flags));
  RuleId root = g.DeclareRule("root");
  g.DefineRule(root, e);
  g.SetStart(root);
  STEER_RETURN_IF_ERROR(g.Validate());
  return g;
}

}  // namespace steer::grammar
