// Pre-tokenizer and Unicode table tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "steer/tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace steer::tokenizer {
namespace {

std::vector<std::string> Words(PreTokenizer kind, std::string_view text) {
  std::vector<Piece> pieces;
  PreTokenize(kind, text, &pieces);
  std::vector<std::string> out;
  for (const Piece& p : pieces) out.emplace_back(text.substr(p.begin, p.end - p.begin));
  return out;
}

using W = std::vector<std::string>;

TEST(UnicodeTables, AsciiFastTableAgreesWithRanges) {
  for (uint32_t cp = 0; cp < 128; ++cp) {
    EXPECT_EQ(unicode_internal::kAsciiFlags[cp], unicode_internal::LookupFlags(cp)) << cp;
  }
}

TEST(UnicodeTables, KnownClasses) {
  EXPECT_EQ(CodepointFlags(U'é'), kLetter);
  EXPECT_EQ(CodepointFlags(U'日'), kLetter);
  EXPECT_EQ(CodepointFlags(U'½'), kNumber);
  EXPECT_EQ(CodepointFlags(U'٣'), kNumber);  // Arabic-Indic digit three
  EXPECT_EQ(CodepointFlags(U'。'), kPunct);
  EXPECT_EQ(CodepointFlags(0x3000), kSpace);  // ideographic space
  EXPECT_EQ(CodepointFlags(0xA0), kSpace);
  EXPECT_EQ(CodepointFlags(0x1F600), 0);  // emoji: a symbol
  EXPECT_EQ(CodepointFlags(0x200D), 0);   // ZWJ: a format character
  EXPECT_EQ(CodepointFlags(0x10FFFF), 0);
}

TEST(ByteLevel, AlphabetIsABijection) {
  std::vector<bool> seen(0x144, false);
  for (int b = 0; b < 256; ++b) {
    uint32_t cp = ByteToCodepoint(static_cast<uint8_t>(b));
    ASSERT_LT(cp, 0x144u);
    EXPECT_FALSE(seen[cp]);
    seen[cp] = true;
    EXPECT_EQ(CodepointToByte(cp), b);
  }
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);  // "Ġ"
  EXPECT_EQ(ByteToCodepoint('\n'), 0x10Au);  // "Ċ"
  EXPECT_EQ(ByteToCodepoint('a'), static_cast<uint32_t>('a'));
  EXPECT_EQ(CodepointToByte(0x144), -1);
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(Words(PreTokenizer::kGpt2, "Hello world's  end\t\tx 123!!"),
            (W{"Hello", " world", "'s", " ", " end", "\t", "\t", "x", " 123", "!!"}));
  EXPECT_EQ(Words(PreTokenizer::kGpt2, "a   "), (W{"a", "   "}));
  EXPECT_EQ(Words(PreTokenizer::kGpt2, "I'VE"), (W{"I", "'", "VE"}));  // case-sensitive
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(Words(PreTokenizer::kLlama3, "I'VE 12345 (word) \n\n  x"),
            (W{"I", "'VE", " ", "123", "45", " (", "word", ")", " \n\n", " ", " x"}));
  EXPECT_EQ(Words(PreTokenizer::kLlama3, "a.\n\nb"), (W{"a", ".\n\n", "b"}));
  EXPECT_EQ(Words(PreTokenizer::kQwen2, "x 123"), (W{"x", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, MultiStageFamilies) {
  EXPECT_EQ(Words(PreTokenizer::kStarcoder, "ab 12"), (W{"ab", " ", "1", "2"}));
  EXPECT_EQ(Words(PreTokenizer::kFalcon, "a+=b 12345"), (W{"a", "+=", "b", " ", "123", "45"}));
  EXPECT_EQ(Words(PreTokenizer::kDeepseekCoder, "ab\ncd 12"), (W{"ab", "\n", "cd", " ", "1", "2"}));
  EXPECT_EQ(Words(PreTokenizer::kDeepseekLlm, "ab, 我们 12"), (W{"ab", ",", " ", "我们", " ", "12"}));
}

TEST(PreTokenizer, PiecesCoverTheTextExactly) {
  const std::string text = "  Hello, y'all! 3.14\n\n\t🦙 日本語 нещо ～～ ''' ";
  for (PreTokenizer k : {PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2,
                         PreTokenizer::kStarcoder, PreTokenizer::kFalcon, PreTokenizer::kDefault,
                         PreTokenizer::kDeepseekCoder, PreTokenizer::kDeepseekLlm,
                         PreTokenizer::kNone}) {
    std::vector<Piece> pieces;
    PreTokenize(k, text, &pieces);
    uint32_t at = 0;
    for (const Piece& p : pieces) {
      EXPECT_EQ(p.begin, at) << PreTokenizerName(k);
      EXPECT_LT(p.begin, p.end) << PreTokenizerName(k);
      at = p.end;
    }
    EXPECT_EQ(at, text.size()) << PreTokenizerName(k);
  }
}

TEST(PreTokenizer, Names) {
  EXPECT_EQ(*PreTokenizerFromName("llama-bpe"), PreTokenizer::kLlama3);
  EXPECT_EQ(*PreTokenizerFromName("mpt"), PreTokenizer::kGpt2);
  EXPECT_EQ(*PreTokenizerFromName("refact"), PreTokenizer::kStarcoder);
  EXPECT_EQ(*PreTokenizerFromName(""), PreTokenizer::kDefault);
  auto bad = PreTokenizerFromName("klingon");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().ToString().find("klingon"), std::string::npos);
}

}  // namespace
}  // namespace steer::tokenizer
