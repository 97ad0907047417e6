// NFC against Python's unicodedata.normalize('NFC', ...) (hex UTF-8 pairs
// generated once; they cover composition, Hangul, reordering, blocking,
// singletons and composition exclusions).
#include <gtest/gtest.h>

#include <random>

#include "steer/tokenizer/normalize.h"
#include "steer/util/strings.h"
#include "steer/util/utf8.h"

namespace steer::tokenizer {
namespace {

const char* const kCases[][2] = {
    {"65cc81", "c3a9"},
    {"e18480e185a1e186a8", "eab081"},
    {"61cca3cc82", "e1baad"},
    {"41cc8acc81", "c7ba"},
    {"e284ab", "c385"},
    {"e1ba9bcca3", "e1ba9bcca3"},
    {"e0ad87e0acbe", "e0ad8b"},
    {"c3a9cc81cca7", "c8a9cc81cc81"},
    {"63616665cc81206e61c4b1cc887665", "636166c3a9206e61c4b1cc887665"},
    {"cd84", "cc88cc81"},
    {"eab080e186a8", "eab081"},
    {"cc8161", "cc8161"},
    {"e0bdb3cc88e0a4bce18480e0a495e0a4bcd6b0e3818b61eab080cc83d6b0",
     "e0a4bce0bdb1e0bdb2cc88e18480e0a495e0a4bcd6b0e3818b61eab080d6b0cc83"},
    {"65cc8141e18480e38299cc83e185a1e0bdb141e0bdb2cc8361",
     "c3a941e18480e38299cc83e185a1e0bdb1c383e0bdb261"},
    {"e0a4bccc82e186a8cc88cc81e185a1cc816fcc80e0bdb3e0bdb3eab080",
     "e0a4bccc82e186a8cc88cc81e185a1cc81c3b2e0bdb1e0bdb1e0bdb2e0bdb2eab080"},
    {"cc80cc806161cc82cc82cc81cc81cca3cca7cc82e0bdb1",
     "cc80cc8061e1baade0bdb1cca7cc82cc81cc81cc82"},
    {"d6b8d6b0cc82cc81e0a495cc82e185a1cca361e18480e186a8cc81",
     "d6b0d6b8cc82cc81e0a495cc82e185a1cca361e18480e186a8cc81"},
    {"cc80cc886fcca7cca3e0bdb3e0bdb261e0bdb3d6b8e0a495cca7",
     "cc80cc88e1bb8de0bdb1e0bdb2e0bdb2cca761d6b8e0bdb1e0bdb2e0a495cca7"},
    {"6fcca3e18480cca3e38299e0a495cca7cc81e38299e38299e0a495cc81",
     "e1bb8de18480e38299cca3e0a495e38299e38299cca7cc81e0a495cc81"},
    {"65cc8861e0a4bce18480e185a161e0bdb1e186a8e18480e185a1e0bdb2",
     "c3ab61e0a4bceab08061e0bdb1e186a8eab080e0bdb2"},
};

TEST(Nfc, MatchesPythonUnicodedata) {
  for (const auto& c : kCases) {
    std::string in = *HexDecode(c[0]), want = *HexDecode(c[1]);
    EXPECT_EQ(HexEncode(NormalizeNfc(in)), c[1]) << "input " << c[0];
    EXPECT_EQ(NormalizeNfc(want), want) << "NFC is idempotent: " << c[1];
  }
}

TEST(Nfc, QuickCheckAcceptsCommonText) {
  EXPECT_TRUE(IsNfcQuick("Hello, wörld! 日本語 нещо 🦙 កាន់តែ"));
  EXPECT_FALSE(IsNfcQuick("e\xCC\x81"));  // e + combining acute
}

TEST(Nfc, IdempotentOnRandomText) {
  std::mt19937 rng(3);
  const uint32_t pool[] = {'a', 'e', 'A', 0x300, 0x301, 0x308, 0x323, 0x327, 0x1100, 0x1161,
                           0x11A8, 0xAC00, 0x3099, 0x304B, 0xF71, 0xF73, 0x5B0, 0x915, 0x93C};
  for (int trial = 0; trial < 500; ++trial) {
    std::string s;
    for (int i = 0; i < 16; ++i) utf8::Append(pool[rng() % std::size(pool)], &s);
    std::string n = NormalizeNfc(s);
    ASSERT_TRUE(utf8::IsValid(n));
    ASSERT_EQ(NormalizeNfc(n), n) << HexEncode(s);
  }
}

}  // namespace
}  // namespace steer::tokenizer
