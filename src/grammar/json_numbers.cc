// Exact numeric ranges as digit grammars (see json_text.h).
//
// Integers: canonical text, split by digit count; a same-length range
// [a, b] is the classic digit-by-digit decomposition (first digit equal:
// recurse; else a0 + [a', 99..9] | (a0, b0) [0-9]^(n-1) | b0 + [00..0, b']),
// O(n) expressions. Decimals without exponent: I(.F)? compared as integer
// part, then fraction digits lexicographically (with implicit trailing
// zeros), again O(digits) expressions.
#include <algorithm>

#include "json_text.h"
#include "steer/util/check.h"

namespace steer::grammar::internal {

std::string Decimal::ToString() const {
  std::string s = negative && !IsZero() ? "-" : "";
  s += int_digits;
  if (!frac_digits.empty()) s += "." + frac_digits;
  return s;
}

std::optional<Decimal> ParseDecimal(std::string_view t) {
  Decimal d;
  size_t i = 0;
  if (i < t.size() && t[i] == '-') {
    d.negative = true;
    ++i;
  }
  std::string digits;
  int64_t point = 0;  // position of the decimal point within `digits`
  bool any = false;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') digits += t[i++], any = true;
  point = static_cast<int64_t>(digits.size());
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') digits += t[i++], any = true;
  }
  if (!any) return std::nullopt;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
    int64_t e = 0;
    bool has = false;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      e = e * 10 + (t[i++] - '0');
      has = true;
      if (e > 400) return std::nullopt;
    }
    if (!has) return std::nullopt;
    point += neg ? -e : e;
  }
  if (i != t.size()) return std::nullopt;
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (point > static_cast<int64_t>(digits.size())) digits.append(point - digits.size(), '0');
  std::string ip = digits.substr(0, static_cast<size_t>(point));
  std::string fp = digits.substr(static_cast<size_t>(point));
  ip.erase(0, std::min(ip.find_first_not_of('0'), ip.size()));
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  d.int_digits = ip.empty() ? "0" : ip;
  d.frac_digits = fp;
  if (d.IsZero()) d.negative = false;
  return d;
}

namespace {

int CompareMagnitude(const Decimal& a, const Decimal& b) {
  if (a.int_digits.size() != b.int_digits.size())
    return a.int_digits.size() < b.int_digits.size() ? -1 : 1;
  if (int c = a.int_digits.compare(b.int_digits)) return c < 0 ? -1 : 1;
  if (int c = a.frac_digits.compare(b.frac_digits)) return c < 0 ? -1 : 1;
  return 0;
}

// Digit strings (canonical, non-negative).
std::string IncDigits(std::string s) {
  int i = static_cast<int>(s.size()) - 1;
  while (i >= 0 && s[static_cast<size_t>(i)] == '9') s[static_cast<size_t>(i--)] = '0';
  if (i < 0) return "1" + s;
  ++s[static_cast<size_t>(i)];
  return s;
}
std::string DecDigits(std::string s) {  // s > 0
  int i = static_cast<int>(s.size()) - 1;
  while (s[static_cast<size_t>(i)] == '0') s[static_cast<size_t>(i--)] = '9';
  --s[static_cast<size_t>(i)];
  s.erase(0, std::min(s.find_first_not_of('0'), s.size() - 1));
  return s;
}

Decimal IntOf(bool neg, std::string digits) {
  Decimal d;
  d.int_digits = std::move(digits);
  d.negative = neg && d.int_digits != "0";
  return d;
}
Decimal AddOne(const Decimal& x) {  // x integral
  if (!x.negative) return IntOf(false, IncDigits(x.int_digits));
  return IntOf(true, DecDigits(x.int_digits));
}
Decimal SubOne(const Decimal& x) {
  if (x.negative || x.IsZero()) return IntOf(true, IncDigits(x.int_digits));
  return IntOf(false, DecDigits(x.int_digits));
}
Decimal Ceil(const Decimal& x) {
  if (x.frac_digits.empty()) return x;
  return x.negative ? IntOf(true, x.int_digits) : IntOf(false, IncDigits(x.int_digits));
}
Decimal Floor(const Decimal& x) {
  if (x.frac_digits.empty()) return x;
  return x.negative ? IntOf(true, IncDigits(x.int_digits)) : IntOf(false, x.int_digits);
}
Decimal Negate(Decimal x) {
  if (!x.IsZero()) x.negative = !x.negative;
  return x;
}

// A set of fraction digit strings d, read as 0.d: whether d = "" (no
// fraction) is in it, and an expression for its non-empty members.
struct FracSet {
  bool empty_ok = false;
  std::optional<ExprId> digits;
};

}  // namespace

int CompareDecimal(const Decimal& a, const Decimal& b) {
  bool an = a.negative && !a.IsZero(), bn = b.negative && !b.IsZero();
  if (an != bn) return an ? -1 : 1;
  int c = CompareMagnitude(a, b);
  return an ? -c : c;
}

ExprId JsonText::SameLengthRange(const std::string& a, const std::string& b) {
  const size_t n = a.size();
  if (n == 0) return g_.Empty();
  if (a == b) return g_.Literal(a);
  if (a[0] == b[0]) {
    return g_.Seq({g_.Literal(a.substr(0, 1)), SameLengthRange(a.substr(1), b.substr(1))});
  }
  std::vector<ExprId> alts;
  const std::string ra = a.substr(1), rb = b.substr(1);
  char lo = a[0], hi = b[0];
  if (ra.find_first_not_of('0') != std::string::npos) {
    alts.push_back(
        g_.Seq({g_.Literal(a.substr(0, 1)), SameLengthRange(ra, std::string(n - 1, '9'))}));
    ++lo;
  }
  std::optional<ExprId> top;
  if (rb.find_first_not_of('9') != std::string::npos) {
    top = g_.Seq({g_.Literal(b.substr(0, 1)), SameLengthRange(std::string(n - 1, '0'), rb)});
    --hi;
  }
  if (lo <= hi) {
    alts.push_back(g_.Seq({Digits(lo, hi), g_.Repeat(Digits('0', '9'), static_cast<int32_t>(n - 1),
                                                     static_cast<int32_t>(n - 1))}));
  }
  if (top) alts.push_back(*top);
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

std::optional<ExprId> JsonText::NonNegIntRange(const std::string& lo,
                                               const std::optional<std::string>& hi) {
  const size_t ll = lo.size();
  std::vector<ExprId> alts;
  if (hi) {
    const size_t lh = hi->size();
    if (lh < ll || (lh == ll && *hi < lo)) return std::nullopt;
    if (lh == ll) return SameLengthRange(lo, *hi);
    alts.push_back(SameLengthRange(lo, std::string(ll, '9')));
    if (lh >= ll + 2) {
      alts.push_back(g_.Seq({Digits('1', '9'), g_.Repeat(Digits('0', '9'), static_cast<int32_t>(ll),
                                                         static_cast<int32_t>(lh - 2))}));
    }
    alts.push_back(SameLengthRange("1" + std::string(lh - 1, '0'), *hi));
  } else {
    alts.push_back(SameLengthRange(lo, std::string(ll, '9')));
    alts.push_back(
        g_.Seq({Digits('1', '9'), g_.Repeat(Digits('0', '9'), static_cast<int32_t>(ll), kUnbounded)}));
  }
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

std::optional<ExprId> JsonText::IntegerRange(const std::optional<NumBound>& lo_in,
                                             const std::optional<NumBound>& hi_in) {
  std::optional<Decimal> lo, hi;
  if (lo_in) lo = lo_in->exclusive ? AddOne(Floor(lo_in->value)) : Ceil(lo_in->value);
  if (hi_in) hi = hi_in->exclusive ? SubOne(Ceil(hi_in->value)) : Floor(hi_in->value);
  if (lo && hi && CompareDecimal(*lo, *hi) > 0) return std::nullopt;
  std::vector<ExprId> alts;
  // Negative integers: magnitudes in [max(1, -hi), -lo].
  if (!lo || lo->negative) {
    std::string mlo = "1";
    if (hi && hi->negative) mlo = hi->int_digits;
    std::optional<std::string> mhi;
    if (lo) mhi = lo->int_digits;
    if (auto e = NonNegIntRange(mlo, mhi)) alts.push_back(g_.Seq({g_.Literal("-"), *e}));
  }
  // Non-negative integers: [max(0, lo), hi].
  if (!hi || !hi->negative) {
    std::string nlo = lo && !lo->negative ? lo->int_digits : "0";
    std::optional<std::string> nhi;
    if (hi) nhi = hi->int_digits;
    if (auto e = NonNegIntRange(nlo, nhi)) alts.push_back(*e);
  }
  if (alts.empty()) return std::nullopt;
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

namespace {

// m = a * 10^-p with a an integer (as digits).
void SplitMultiple(const Decimal& m, std::string* a, int* p) {
  *a = m.int_digits + m.frac_digits;
  a->erase(0, std::min(a->find_first_not_of('0'), a->size() - 1));
  *p = static_cast<int>(m.frac_digits.size());
}

// digits mod a, for a < 2^31.
int64_t Mod(const std::string& digits, int64_t a) {
  int64_t r = 0;
  for (char c : digits) r = (r * 10 + (c - '0')) % a;
  return r;
}

}  // namespace

bool IsMultipleOf(const Decimal& v, const Decimal& m) {
  std::string a;
  int p;
  SplitMultiple(m, &a, &p);
  // v * 10^p must be an integer that a divides.
  if (static_cast<int>(v.frac_digits.size()) > p) return false;
  std::string scaled = v.int_digits + v.frac_digits + std::string(p - v.frac_digits.size(), '0');
  if (a.size() > 9) return false;
  return Mod(scaled, std::stoll(a)) == 0;
}

std::optional<ExprId> JsonText::MultipleOf(const Decimal& m, bool integers_only) {
  std::string as;
  int p;
  SplitMultiple(m, &as, &p);
  if (as.size() > 9 || p > 12) return std::nullopt;
  const int64_t a = std::stoll(as);
  if (a > kMaxMultipleStates) return std::nullopt;
  std::vector<int64_t> pow10(static_cast<size_t>(p) + 1, 1 % a);
  for (int i = 1; i <= p; ++i) pow10[static_cast<size_t>(i)] = pow10[static_cast<size_t>(i - 1)] * 10 % a;
  // frac[r][j]: the rest of the fraction after j fraction digits, with
  // remainder r of (integer part and those digits).
  std::vector<std::vector<RuleId>> frac(static_cast<size_t>(a), std::vector<RuleId>(static_cast<size_t>(p) + 1, -1));
  std::vector<RuleId> ints(static_cast<size_t>(a), -1);
  auto frac_rule = [&](int64_t r, int j) {
    RuleId& id = frac[static_cast<size_t>(r)][static_cast<size_t>(j)];
    if (id < 0) id = g_.NewRule("mulfrac");
    return id;
  };
  auto int_rule = [&](int64_t r) {
    RuleId& id = ints[static_cast<size_t>(r)];
    if (id < 0) id = g_.NewRule("mulint");
    return id;
  };
  // Integer-part end: stop here (value * 10^p ≡ r * 10^p), or a fraction.
  auto end_of_int = [&](int64_t r) {
    std::vector<ExprId> alts;
    if (r * pow10[static_cast<size_t>(p)] % a == 0) alts.push_back(g_.Empty());
    if (!integers_only) {
      if (p == 0) {
        if (r == 0) alts.push_back(g_.Seq({g_.Literal("."), g_.Plus(g_.Literal("0"))}));
      } else {
        std::vector<ExprId> first;
        for (int d = 0; d <= 9; ++d) {
          first.push_back(g_.Seq({g_.Literal(std::string(1, static_cast<char>('0' + d))),
                                  g_.Ref(frac_rule((r * 10 + d) % a, 1))}));
        }
        alts.push_back(g_.Seq({g_.Literal("."), g_.Alt(std::move(first))}));
      }
    }
    return g_.Alt(std::move(alts));
  };
  for (int64_t r = 0; r < a; ++r) {
    std::vector<ExprId> alts;
    for (int d = 0; d <= 9; ++d) {
      alts.push_back(g_.Seq({g_.Literal(std::string(1, static_cast<char>('0' + d))),
                             g_.Ref(int_rule((r * 10 + d) % a))}));
    }
    alts.push_back(end_of_int(r));
    g_.DefineRule(int_rule(r), g_.Alt(std::move(alts)));
  }
  if (!integers_only) {
    for (int64_t r = 0; r < a; ++r) {
      for (int j = 1; j <= p; ++j) {
        std::vector<ExprId> alts;
        if (j < p) {
          if (r * pow10[static_cast<size_t>(p - j)] % a == 0) alts.push_back(g_.Empty());
          for (int d = 0; d <= 9; ++d) {
            alts.push_back(g_.Seq({g_.Literal(std::string(1, static_cast<char>('0' + d))),
                                   g_.Ref(frac_rule((r * 10 + d) % a, j + 1))}));
          }
        } else if (r == 0) {
          alts.push_back(g_.Star(g_.Literal("0")));
        }
        g_.DefineRule(frac_rule(r, j), g_.Alt(std::move(alts)));
      }
    }
  }
  // Unused fraction rules (never referenced) are harmless but defined.
  for (auto& row : frac)
    for (RuleId id : row)
      if (id >= 0 && g_.rule(id).body < 0) g_.DefineRule(id, g_.Alt({}));
  std::vector<ExprId> first;
  first.push_back(g_.Seq({g_.Literal("0"), end_of_int(0)}));
  for (int d = 1; d <= 9; ++d) {
    first.push_back(g_.Seq({g_.Literal(std::string(1, static_cast<char>('0' + d))), g_.Ref(int_rule(d % a))}));
  }
  return g_.Seq({g_.Optional(g_.Literal("-")), g_.Alt(std::move(first))});
}

ExprId JsonText::AnyInteger() {
  return g_.Seq({g_.Optional(g_.Literal("-")),
                 g_.Alt({g_.Literal("0"), g_.Seq({Digits('1', '9'), g_.Star(Digits('0', '9'))})})});
}

ExprId JsonText::AnyNumber() {
  ByteSet e;
  e.Add('e');
  e.Add('E');
  ByteSet sign;
  sign.Add('+');
  sign.Add('-');
  ExprId digits = g_.Plus(Digits('0', '9'));
  return g_.Seq({AnyInteger(), g_.Optional(g_.Seq({g_.Literal("."), digits})),
                 g_.Optional(g_.Seq({g_.Bytes(e), g_.Optional(g_.Bytes(sign)), digits}))});
}

namespace {

// Fraction-set algebra over one JsonText's grammar.
class Frac {
 public:
  explicit Frac(Grammar& g) : g_(g) {}

  ExprId Tail(char lo, char hi) {  // [lo-hi][0-9]*
    return g_.Seq({g_.Bytes(ByteSet::Range(static_cast<uint8_t>(lo), static_cast<uint8_t>(hi))),
                   g_.Star(g_.Bytes(ByteSet::Range('0', '9')))});
  }
  // The strings r (possibly empty) of the set.
  std::optional<ExprId> AsExpr(const FracSet& f) {
    if (f.empty_ok && f.digits) return g_.Alt({g_.Empty(), *f.digits});
    if (f.empty_ok) return g_.Empty();
    return f.digits;
  }
  FracSet Make(bool empty_ok, std::vector<ExprId> alts) {
    FracSet f;
    f.empty_ok = empty_ok;
    if (!alts.empty()) f.digits = alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
    return f;
  }
  void PushPrefixed(char d, const FracSet& rest, std::vector<ExprId>* alts) {
    if (auto e = AsExpr(rest)) alts->push_back(g_.Seq({g_.Literal(std::string(1, d)), *e}));
  }

  // {d : 0.d >(=) 0.f}
  FracSet Lower(std::string_view f, bool excl) {
    if (f.empty()) {
      if (!excl) return Make(true, {g_.Plus(g_.Bytes(ByteSet::Range('0', '9')))});
      ExprId any = g_.Star(g_.Bytes(ByteSet::Range('0', '9')));
      return Make(false, {g_.Seq({any, Tail('1', '9')})});
    }
    std::vector<ExprId> alts;
    if (f[0] < '9') alts.push_back(Tail(static_cast<char>(f[0] + 1), '9'));
    PushPrefixed(f[0], Lower(f.substr(1), excl), &alts);
    return Make(false, std::move(alts));
  }
  // {d : 0.d <(=) 0.f}
  FracSet Upper(std::string_view f, bool excl) {
    if (f.empty()) {
      if (excl) return Make(false, {});
      return Make(true, {g_.Plus(g_.Literal("0"))});
    }
    std::vector<ExprId> alts;
    if (f[0] > '0') alts.push_back(Tail('0', static_cast<char>(f[0] - 1)));
    PushPrefixed(f[0], Upper(f.substr(1), excl), &alts);
    return Make(true, std::move(alts));
  }
  // {d : 0.fa <(=) 0.d <(=) 0.fb}, 0.fa <= 0.fb.
  FracSet Between(std::string_view fa, std::string_view fb, bool el, bool eh) {
    if (fa.empty() && fb.empty()) {
      if (el || eh) return Make(false, {});
      return Make(true, {g_.Plus(g_.Literal("0"))});
    }
    const bool empty_ok = fa.empty() && !el && (!fb.empty() || !eh);
    const char a0 = fa.empty() ? '0' : fa[0];
    const char b0 = fb.empty() ? '0' : fb[0];
    const std::string_view ra = fa.empty() ? fa : fa.substr(1);
    const std::string_view rb = fb.empty() ? fb : fb.substr(1);
    std::vector<ExprId> alts;
    if (a0 == b0) {
      PushPrefixed(a0, Between(ra, rb, el, eh), &alts);
      return Make(empty_ok, std::move(alts));
    }
    PushPrefixed(a0, Lower(ra, el), &alts);
    if (a0 + 1 <= b0 - 1) alts.push_back(Tail(static_cast<char>(a0 + 1), static_cast<char>(b0 - 1)));
    PushPrefixed(b0, Upper(rb, eh), &alts);
    return Make(empty_ok, std::move(alts));
  }
  // "" or "." digits, per the set.
  std::optional<ExprId> Text(const FracSet& f) {
    std::vector<ExprId> alts;
    if (f.empty_ok) alts.push_back(g_.Empty());
    if (f.digits) alts.push_back(g_.Seq({g_.Literal("."), *f.digits}));
    if (alts.empty()) return std::nullopt;
    return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
  }

 private:
  Grammar& g_;
};

}  // namespace

// Non-negative numbers (text without '-') within [lo, hi]; lo present.
std::optional<ExprId> JsonText::NonNegDecimalRange(const std::optional<NumBound>& lo,
                                                   const std::optional<NumBound>& hi) {
  STEER_CHECK(lo.has_value() && !lo->value.negative);
  if (hi) {
    int c = CompareDecimal(lo->value, hi->value);
    if (c > 0 || (c == 0 && (lo->exclusive || hi->exclusive))) return std::nullopt;
  }
  Frac fr(g_);
  std::vector<ExprId> alts;
  const std::string& a = lo->value.int_digits;
  auto with_int = [&](ExprId ip, const FracSet& fs) {
    if (auto t = fr.Text(fs)) alts.push_back(g_.Seq({ip, *t}));
  };
  auto any_frac = [&]() {
    FracSet f;
    f.empty_ok = true;
    f.digits = g_.Plus(Digits('0', '9'));
    return f;
  };
  if (hi && hi->value.int_digits == a) {
    with_int(g_.Literal(a), fr.Between(lo->value.frac_digits, hi->value.frac_digits,
                                       lo->exclusive, hi->exclusive));
  } else {
    with_int(g_.Literal(a), fr.Lower(lo->value.frac_digits, lo->exclusive));
    std::string mid_lo = IncDigits(a);
    if (!hi) {
      if (auto e = NonNegIntRange(mid_lo, std::nullopt)) with_int(*e, any_frac());
    } else {
      const std::string& b = hi->value.int_digits;
      if (b != mid_lo) {
        std::string mid_hi = DecDigits(b);
        if (auto e = NonNegIntRange(mid_lo, mid_hi)) with_int(*e, any_frac());
      }
      with_int(g_.Literal(b), fr.Upper(hi->value.frac_digits, hi->exclusive));
    }
  }
  if (alts.empty()) return std::nullopt;
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

std::optional<ExprId> JsonText::NumberRange(const std::optional<NumBound>& lo,
                                            const std::optional<NumBound>& hi) {
  if (lo && hi) {
    int c = CompareDecimal(lo->value, hi->value);
    if (c > 0 || (c == 0 && (lo->exclusive || hi->exclusive))) return std::nullopt;
  }
  std::vector<ExprId> alts;
  // Negative texts "-m" with magnitude m > 0 ("-0" spellings are left out:
  // a subset). m in [max(0+, -hi), -lo].
  if (!lo || lo->value.negative) {
    std::optional<NumBound> mlo, mhi;
    if (hi && hi->value.negative) {
      mlo = NumBound{Negate(hi->value), hi->exclusive};
    } else {
      mlo = NumBound{Decimal{}, true};
    }
    if (lo) mhi = NumBound{Negate(lo->value), lo->exclusive};
    if (auto e = NonNegDecimalRange(mlo, mhi)) alts.push_back(g_.Seq({g_.Literal("-"), *e}));
  }
  // Non-negative texts: [max(0, lo), hi].
  if (!hi || !hi->value.negative) {
    NumBound nlo{Decimal{}, false};
    if (lo && !lo->value.negative) nlo = *lo;
    if (auto e = NonNegDecimalRange(nlo, hi)) alts.push_back(*e);
  }
  if (alts.empty()) return std::nullopt;
  return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
}

}  // namespace steer::grammar::internal
