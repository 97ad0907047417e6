#include "steer/util/utf8.h"

#include <gtest/gtest.h>

#include "steer/util/rng.h"

namespace steer::utf8 {
namespace {

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(IsValid("hello"));
  EXPECT_TRUE(IsValid("h\xC3\xA9llo \xE4\xB8\xAD \xF0\x9F\x98\x80"));
  EXPECT_EQ(FindInvalid("ab\xC3"), 2u);            // truncated
  EXPECT_EQ(FindInvalid("a\xC0\xAF"), 1u);         // overlong
  EXPECT_EQ(FindInvalid("\xED\xA0\x80"), 0u);      // surrogate
  EXPECT_EQ(FindInvalid("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalid("x\x80"), 1u);             // lone continuation
}

TEST(Utf8, EncodeDecodeRoundTripsEveryScalar) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s = Encode(cp);
    size_t len;
    ASSERT_EQ(Decode(s, 0, &len), cp);
    ASSERT_EQ(len, s.size());
  }
}

TEST(Utf8, IncompleteSuffix) {
  EXPECT_EQ(IncompleteSuffix("abc"), 0u);
  EXPECT_EQ(IncompleteSuffix("a\xE4\xB8"), 2u);
  EXPECT_EQ(IncompleteSuffix("a\xE4\xB8\xAD"), 0u);
  EXPECT_EQ(IncompleteSuffix("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(IncompleteSuffix(""), 0u);
}

// Oracle: a byte string is valid iff decoding it greedily never fails and
// re-encoding gives the same bytes.
TEST(Utf8, RandomBytesAgreeWithReencoding) {
  Rng rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    size_t n = rng.UniformInt(6);
    for (size_t i = 0; i < n; ++i) {
      static const uint8_t kPool[] = {'a', 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF,
                                      0xF0, 0xF4, 0xF5, 0xA0, 0x9F, 0x90, 0x8F};
      s.push_back(static_cast<char>(kPool[rng.UniformInt(sizeof kPool)]));
    }
    std::string re;
    bool ok = true;
    for (size_t i = 0; i < s.size();) {
      size_t len;
      uint32_t cp = Decode(s, i, &len);
      if (cp == kInvalid) {
        ok = false;
        break;
      }
      Append(cp, &re);
      i += len;
    }
    EXPECT_EQ(IsValid(s), ok && re == s);
  }
}

}  // namespace
// The validator against the whole-string functions, exhaustively over every
// string of up to 4 bytes from the bytes where UTF-8's rules change.
TEST(Utf8Test, ValidatorStepAgreesWithWholeStringValidation) {
  const uint8_t edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                           0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
  const size_t n = sizeof(edges);
  auto hex = [](const std::string& s) {
    std::string h;
    for (char c : s) h += "0123456789ABCDEF"[(static_cast<uint8_t>(c) >> 4)], h += "0123456789ABCDEF"[c & 15], h += ' ';
    return h;
  };
  int checked = 0;
  for (int len = 1; len <= 4; ++len) {
    size_t total = 1;
    for (int k = 0; k < len; ++k) total *= n;
    for (size_t code = 0; code < total; ++code) {
      std::string s;
      for (size_t c = code, k = 0; k < static_cast<size_t>(len); ++k, c /= n) s += static_cast<char>(edges[c % n]);
      ValidatorState st = kBoundary;
      bool broken = false;
      for (char ch : s) {
        st = Step(st, static_cast<uint8_t>(ch));
        broken = broken || st == kBroken;
      }
      // Oracle for "unfinished but valid": some 1..3 continuation bytes
      // (from the range edges) complete it.
      bool completable = false;
      const uint8_t conts[] = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF};
      for (int k = 1; k <= 3 && !completable && !IsValid(s); ++k) {
        for (size_t c = 0, m = k == 1 ? 6 : k == 2 ? 36 : 216; c < m && !completable; ++c) {
          std::string t = s;
          for (size_t x = c, j = 0; j < static_cast<size_t>(k); ++j, x /= 6) t += static_cast<char>(conts[x % 6]);
          completable = IsValid(t);
        }
      }
      ASSERT_EQ(!broken && st == kBoundary, IsValid(s)) << hex(s);
      ASSERT_EQ(!broken && st != kBoundary, completable) << hex(s);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 23 + 23 * 23 + 23 * 23 * 23 + 23 * 23 * 23 * 23);
}

}  // namespace steer::utf8
