#include "steer/util/strings.h"

#include <gtest/gtest.h>

namespace steer {
namespace {

TEST(Strings, JsonEscaping) {
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(JsonString("\xE4\xB8\xAD"), "\"\xE4\xB8\xAD\"");
  EXPECT_EQ(JsonString("\xFF"), "\"\\u00ff\"");
}

TEST(Strings, HexRoundTrip) {
  std::string bytes("\x00\x01\xfe\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "0001feff");
  EXPECT_EQ(HexDecode("0001FEff").value(), bytes);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(Strings, SplitAndParse) {
  auto parts = Split("a__b____c", "__");
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(ParseInt("-42").value(), -42);
  EXPECT_FALSE(ParseInt("4x").has_value());
  EXPECT_FALSE(ParseInt("").has_value());
  EXPECT_DOUBLE_EQ(ParseDouble("0.5").value(), 0.5);
}

}  // namespace
}  // namespace steer
