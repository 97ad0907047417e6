#include "tokenizer/unicode.h"

#include <array>

#include "steer/util/utf8.h"

namespace steer::tokenizer {
namespace unicode_internal {

const uint8_t kAsciiFlags[128] = {
    // 0x00-0x0F: \t \n \v \f \r are whitespace.
    0, 0, 0, 0, 0, 0, 0, 0, 0, kSpace, kSpace, kSpace, kSpace, kSpace, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    // ' ' ! " # $ % & ' ( ) * + , - . /
    kSpace, kPunct, kPunct, kPunct, 0, kPunct, kPunct, kPunct, kPunct, kPunct, kPunct, 0, kPunct,
    kPunct, kPunct, kPunct,
    // 0-9 : ; < = > ?
    kNumber, kNumber, kNumber, kNumber, kNumber, kNumber, kNumber, kNumber, kNumber, kNumber,
    kPunct, kPunct, 0, 0, 0, kPunct,
    // @ A-O
    kPunct, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter,
    kLetter, kLetter, kLetter, kLetter, kLetter, kLetter,
    // P-Z [ \ ] ^ _
    kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter,
    kLetter, kPunct, kPunct, kPunct, 0, kPunct,
    // ` a-o
    0, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter,
    kLetter, kLetter, kLetter, kLetter, kLetter,
    // p-z { | } ~ DEL
    kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter, kLetter,
    kLetter, kPunct, 0, kPunct, 0, 0,
};

uint8_t LookupFlags(uint32_t cp) {
  size_t lo = 0, hi = kNumRanges;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kRanges[mid].last < cp) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return (lo < kNumRanges && kRanges[lo].first <= cp) ? kRanges[lo].flags : 0;
}

}  // namespace unicode_internal

namespace {

struct ByteTables {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 0x144> to_byte{};  // indexed by code point < 0x144
  ByteTables() {
    to_byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteTables& Tables() {
  static const ByteTables tables;
  return tables;
}

}  // namespace

uint32_t ByteToCodepoint(uint8_t b) { return Tables().to_cp[b]; }

int CodepointToByte(uint32_t cp) {
  return cp < Tables().to_byte.size() ? Tables().to_byte[cp] : -1;
}

void ByteLevelEncode(std::string_view raw, std::string* out) {
  for (char c : raw) utf8::Append(ByteToCodepoint(static_cast<uint8_t>(c)), out);
}

}  // namespace steer::tokenizer
