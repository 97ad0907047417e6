#include <string>
#include <unordered_map>

#include "grammar/parse_util.h"
#include "steer/grammar/gbnf.h"

namespace steer::grammar {
namespace {

// One character of a literal or class: an escape or a UTF-8 code point.
Result<uint32_t> ParseChar(std::string_view text, size_t* pos) {
  if (text[*pos] != '\\') return ReadCodepoint(text, pos);
  size_t at = *pos;
  if (*pos + 1 >= text.size()) return MakeError(ErrorCode::kInvalidInput, "unfinished escape", LineCol(text, at));
  char c = text[*pos + 1];
  *pos += 2;
  switch (c) {
    case 'x': return ReadHexCodepoint(text, pos, 2);
    case 'u': return ReadHexCodepoint(text, pos, 4);
    case 'U': return ReadHexCodepoint(text, pos, 8);
    case 't': return uint32_t{'\t'};
    case 'r': return uint32_t{'\r'};
    case 'n': return uint32_t{'\n'};
    case '\\': case '"': case '[': case ']': return static_cast<uint32_t>(c);
    default:
      return MakeError(ErrorCode::kInvalidInput, std::string("unknown escape '\\") + c + "'", LineCol(text, at));
  }
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class GbnfParser {
 public:
  GbnfParser(std::string_view text, const GbnfOptions& options)
      : text_(text), options_(options), g_(options.limits) {}

  Result<Grammar> Run() {
    SkipSpace(true);
    while (pos_ < text_.size()) {
      STEER_RETURN_IF_ERROR(ParseRule());
    }
    RuleId root = g_.FindRule("root");
    if (root < 0 || !defined_.count(root)) {
      return MakeError(ErrorCode::kInvalidInput, "grammar has no 'root' rule", LineCol(text_, text_.size()));
    }
    RuleId undefined = -1;
    for (auto& [rule, offset] : first_use_) {
      if (!defined_.count(rule) && (undefined < 0 || offset < first_use_[undefined])) undefined = rule;
    }
    if (undefined >= 0) {
      return MakeError(ErrorCode::kInvalidInput, "undefined rule '" + g_.rule(undefined).name + "'",
                       LineCol(text_, first_use_[undefined]));
    }
    g_.SetStart(root);
    STEER_RETURN_IF_ERROR(g_.Validate());
    if (!options_.allow_left_recursion) {
      RuleId lr = g_.FindLeftRecursiveRule();
      if (lr >= 0) {
        return MakeError(ErrorCode::kInvalidInput,
                         "rule '" + g_.rule(lr).name + "' is left-recursive (not allowed in GBNF)",
                         LineCol(text_, defined_[lr]));
      }
    }
    return std::move(g_);
  }

 private:
  Error Fail(std::string msg, size_t at) const {
    return MakeError(ErrorCode::kInvalidInput, std::move(msg), LineCol(text_, at));
  }
  char Peek(size_t k = 0) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
  bool AtEnd() const { return pos_ >= text_.size(); }

  void SkipSpace(bool newline_ok) {
    while (!AtEnd()) {
      char c = Peek();
      if (c == '#') {
        while (!AtEnd() && Peek() != '\n' && Peek() != '\r') ++pos_;
      } else if (c == ' ' || c == '\t' || ((c == '\n' || c == '\r') && newline_ok)) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view ParseName() {
    size_t start = pos_;
    while (!AtEnd() && IsWordChar(Peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Status ParseRule() {
    size_t start = pos_;
    std::string_view name = ParseName();
    if (name.empty()) return Fail("expected a rule name", pos_);
    SkipSpace(false);
    if (text_.substr(pos_, 3) != "::=") return Fail("expected '::=' after rule name", pos_);
    pos_ += 3;
    SkipSpace(true);
    RuleId r = g_.DeclareRule(name);
    if (defined_.count(r)) return Fail("rule '" + std::string(name) + "' is defined twice", start);
    defined_[r] = start;
    STEER_ASSIGN_OR_RETURN(ExprId body, ParseAlternates(false, 0));
    g_.DefineRule(r, body);
    if (Peek() == '\r') {
      pos_ += Peek(1) == '\n' ? 2 : 1;
    } else if (Peek() == '\n') {
      ++pos_;
    } else if (!AtEnd()) {
      return Fail(std::string("expected newline or end of input, found '") + Peek() + "'", pos_);
    }
    SkipSpace(true);
    return Status();
  }

  Result<ExprId> ParseAlternates(bool nested, int depth) {
    std::vector<ExprId> alts;
    STEER_ASSIGN_OR_RETURN(ExprId first, ParseSequence(nested, depth));
    alts.push_back(first);
    while (Peek() == '|') {
      ++pos_;
      SkipSpace(true);
      STEER_ASSIGN_OR_RETURN(ExprId next, ParseSequence(nested, depth));
      alts.push_back(next);
    }
    return g_.Alt(std::move(alts));
  }

  Result<ExprId> ParseSequence(bool nested, int depth) {
    std::vector<ExprId> items;
    while (!AtEnd()) {
      char c = Peek();
      size_t at = pos_;
      if (c == '"') {
        ++pos_;
        std::string bytes;
        while (!AtEnd() && Peek() != '"') {
          STEER_ASSIGN_OR_RETURN(uint32_t cp, ParseChar(text_, &pos_));
          utf8::Append(cp, &bytes);
        }
        if (AtEnd()) return Fail("unterminated string literal", at);
        ++pos_;
        items.push_back(g_.Literal(bytes));
      } else if (c == '[') {
        ++pos_;
        bool negated = false;
        if (Peek() == '^') {
          negated = true;
          ++pos_;
        }
        std::vector<std::pair<uint32_t, uint32_t>> ranges;
        while (!AtEnd() && Peek() != ']') {
          STEER_ASSIGN_OR_RETURN(uint32_t lo, ParseChar(text_, &pos_));
          uint32_t hi = lo;
          if (Peek() == '-' && pos_ + 1 < text_.size() && Peek(1) != ']') {
            ++pos_;
            size_t hi_at = pos_;
            STEER_ASSIGN_OR_RETURN(hi, ParseChar(text_, &pos_));
            if (hi < lo) return Fail("character range is out of order", hi_at);
          }
          ranges.push_back({lo, hi});
        }
        if (AtEnd()) return Fail("unterminated character class", at);
        ++pos_;
        items.push_back(g_.Codepoints(std::move(ranges), negated));
      } else if (IsWordChar(c)) {
        std::string_view name = ParseName();
        RuleId r = g_.DeclareRule(name);
        first_use_.emplace(r, at);
        items.push_back(g_.Ref(r));
      } else if (c == '(') {
        if (depth + 1 > options_.limits.max_nesting) {
          return MakeError(ErrorCode::kResourceExhausted,
                           "parentheses nested deeper than max_nesting=" + std::to_string(options_.limits.max_nesting),
                           LineCol(text_, at));
        }
        ++pos_;
        SkipSpace(true);
        STEER_ASSIGN_OR_RETURN(ExprId inner, ParseAlternates(true, depth + 1));
        if (Peek() != ')') return Fail("expected ')' to close the group", pos_);
        ++pos_;
        items.push_back(inner);
      } else if (c == '.') {
        ++pos_;
        items.push_back(g_.AnyCodepoint());
      } else if (c == '*' || c == '+' || c == '?') {
        if (items.empty()) return Fail(std::string("'") + c + "' has nothing to repeat", at);
        ++pos_;
        ExprId last = items.back();
        items.back() = c == '*' ? g_.Star(last) : c == '+' ? g_.Plus(last) : g_.Optional(last);
      } else if (c == '{') {
        if (items.empty()) return Fail("'{' has nothing to repeat", at);
        ++pos_;
        SkipSpace(nested);
        STEER_ASSIGN_OR_RETURN(int64_t min, ParseCount());
        int64_t max = min;
        SkipSpace(nested);
        if (Peek() == ',') {
          ++pos_;
          SkipSpace(nested);
          if (Peek() >= '0' && Peek() <= '9') {
            STEER_ASSIGN_OR_RETURN(max, ParseCount());
          } else {
            max = kUnbounded;
          }
          SkipSpace(nested);
        }
        if (Peek() != '}') return Fail("expected '}' to close the repetition", pos_);
        ++pos_;
        if (max != kUnbounded && max < min) return Fail("repetition maximum is below its minimum", at);
        int64_t bound = max == kUnbounded ? min : max;
        if (bound > options_.limits.max_repeat_bound) {
          return MakeError(ErrorCode::kResourceExhausted,
                           "repetition bound " + std::to_string(bound) + " is over max_repeat_bound=" +
                               std::to_string(options_.limits.max_repeat_bound),
                           LineCol(text_, at));
        }
        items.back() = g_.Repeat(items.back(), static_cast<int32_t>(min), static_cast<int32_t>(max));
      } else {
        break;
      }
      SkipSpace(nested);
      if (g_.num_exprs() > options_.limits.max_exprs) {
        return MakeError(ErrorCode::kResourceExhausted,
                         "grammar is larger than max_exprs=" + std::to_string(options_.limits.max_exprs),
                         LineCol(text_, at));
      }
    }
    return items.empty() ? g_.Empty() : g_.Seq(std::move(items));
  }

  Result<int64_t> ParseCount() {
    size_t at = pos_;
    int64_t v = 0;
    while (Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + (Peek() - '0');
      if (v > (int64_t{1} << 40)) return Fail("repetition count is too large", at);
      ++pos_;
    }
    if (pos_ == at) return Fail("expected a number", at);
    return v;
  }

  std::string_view text_;
  GbnfOptions options_;
  Grammar g_;
  size_t pos_ = 0;
  std::unordered_map<RuleId, size_t> defined_;    // rule -> offset of its definition
  std::unordered_map<RuleId, size_t> first_use_;  // rule -> offset of its first reference
};

}  // namespace

Result<Grammar> ParseGbnf(std::string_view text, const GbnfOptions& options) {
  return GbnfParser(text, options).Run();
}

}  // namespace steer::grammar
