// Building blocks for JSON text in the IR, shared by the JSON-Schema front
// end: string characters in every JSON spelling, numbers within exact decimal
// bounds, string formats, and object keys excluding a set.
//
// A "character" of a JSON string is one code point, spelled as itself
// (U+0020..U+10FFFF except '"' and '\'), as a short escape (\" \\ \/ \b \f \n
// \r \t), as \uXXXX (hex digits in either case; not a lone surrogate) or, for
// code points above U+FFFF, as a \uD8xx\uDCxx surrogate pair. So
// Repeat(char, m, n) is exactly "m..n code points" (minLength/maxLength).
// Private to the grammar module.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cp_regex.h"
#include "steer/grammar/ir.h"
#include "steer/util/result.h"

namespace steer::grammar::internal {

// A non-negative-or-negative decimal number held exactly as text:
// `negative`, integer digits without leading zeros ("0" for zero), fraction
// digits without trailing zeros.
struct Decimal {
  bool negative = false;
  std::string int_digits = "0";
  std::string frac_digits;
  bool IsZero() const { return int_digits == "0" && frac_digits.empty(); }
  std::string ToString() const;
};
// Parses a JSON number's text (exponents allowed) into an exact Decimal.
// Fails on exponents beyond +-400 (bounds that large are meaningless here).
std::optional<Decimal> ParseDecimal(std::string_view text);
int CompareDecimal(const Decimal& a, const Decimal& b);
// Whether v is an integer multiple of m (m > 0), exactly.
bool IsMultipleOf(const Decimal& v, const Decimal& m);

struct NumBound {
  Decimal value;
  bool exclusive = false;
};

class JsonText {
 public:
  explicit JsonText(Grammar& g) : g_(g) {}

  // One character whose code point is in `r` (surrogates ignored), in every
  // JSON spelling. Memoized by the range set.
  ExprId CharClass(const CpRanges& r);
  ExprId AnyChar();          // rule: any string character
  ExprId CharEq(uint32_t cp);  // exactly this code point, every spelling
  ExprId StringLiteral(std::string_view utf8);  // "..." with every spelling of each char
  // Any JSON string whose decoded value is not in `excluded` (the quotes
  // included). Exact: a key spelled with escapes is still excluded.
  ExprId StringExcluding(const std::vector<std::string>& excluded);
  // Canonical integer text (no leading zeros, no "-0") within the bounds
  // (either may be absent; fractional bounds round inward). Nullopt when no
  // integer lies within them.
  std::optional<ExprId> IntegerRange(const std::optional<NumBound>& lo,
                                     const std::optional<NumBound>& hi);
  // JSON number text without exponent whose value lies within the bounds
  // (at least one present). Nullopt when empty. Exact for that spelling.
  std::optional<ExprId> NumberRange(const std::optional<NumBound>& lo,
                                    const std::optional<NumBound>& hi);
  // Numbers (integers only, or also with a fraction) that are multiples of
  // m = a * 10^-p: text -?(0|[1-9][0-9]*)(.[0-9]+)? whose value * 10^p is a
  // multiple of a, by a remainder automaton (a * (p + 1) rules). Nullopt
  // when a > kMaxMultipleStates (callers report it).
  static constexpr int64_t kMaxMultipleStates = 4096;
  std::optional<ExprId> MultipleOf(const Decimal& m, bool integers_only);
  ExprId AnyInteger();  // -?(0|[1-9][0-9]*)
  ExprId AnyNumber();   // full JSON number

  // A string format's content grammar (between the quotes). kNotFound for a
  // format not defined by JSON Schema (callers ignore those: annotations),
  // kUnsupported for a defined one steer does not enforce.
  Result<ExprId> Format(std::string_view name);
  // The [min, max] code-point length of a format's strings (max -1:
  // unbounded); Format(name) must have succeeded.
  std::pair<int64_t, int64_t> FormatLength(std::string_view name) const {
    return format_len_.at(std::string(name));
  }

  Grammar& g() { return g_; }

 private:
  ExprId Digits(char lo, char hi) { return g_.Bytes(ByteSet::Range(lo, hi)); }
  ExprId HexQuad(const CpRanges& values);  // 4 hex digits, value in set
  ExprId HexQuadRec(const CpRanges& values, uint32_t base, int nibbles);
  ExprId HexDigit(int lo, int hi);  // one hex digit with value in [lo,hi]
  // Canonical non-negative integers with digit strings in [lo, hi] (hi
  // absent: unbounded). Both canonical, lo <= hi.
  std::optional<ExprId> NonNegIntRange(const std::string& lo, const std::optional<std::string>& hi);
  ExprId SameLengthRange(const std::string& lo, const std::string& hi);
  std::optional<ExprId> NonNegDecimalRange(const std::optional<NumBound>& lo,
                                           const std::optional<NumBound>& hi);
  ExprId StringExcludingRec(const std::vector<std::u32string>& keys, size_t begin, size_t end,
                            size_t depth);

  Grammar& g_;
  std::map<CpRanges, ExprId> class_cache_;
  std::map<std::string, ExprId> format_cache_;
  std::map<std::string, std::pair<int64_t, int64_t>> format_len_;
  RuleId any_char_rule_ = -1;
};

}  // namespace steer::grammar::internal
