// Code point classification for the pre-tokenizers and the byte-level BPE
// byte <-> code point mapping. Private to the tokenizer module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace steer::tokenizer {

// Class bits of a code point. A code point is in at most one of letter
// (general category L*), number (N*) and punctuation (P*); whitespace is the
// Unicode White_Space property and may combine with none of them.
enum CodepointFlag : uint8_t {
  kLetter = 1,
  kNumber = 2,
  kPunct = 4,
  kSpace = 8,
};

namespace unicode_internal {
struct CodepointRange {
  uint32_t first;
  uint32_t last;  // inclusive
  uint8_t flags;
};
// Sorted, disjoint ranges of code points with non-zero flags (generated).
extern const CodepointRange kRanges[];
extern const size_t kNumRanges;
extern const uint8_t kAsciiFlags[128];
uint8_t LookupFlags(uint32_t cp);  // binary search over kRanges
}  // namespace unicode_internal

// Flags of cp; O(1) for ASCII, O(log #ranges) otherwise.
inline uint8_t CodepointFlags(uint32_t cp) {
  return cp < 128 ? unicode_internal::kAsciiFlags[cp] : unicode_internal::LookupFlags(cp);
}

// Decodes the code point at s[i] of *valid* UTF-8 and sets *len (1..4).
inline uint32_t DecodeValidUtf8(std::string_view s, size_t i, size_t* len) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c = b(0);
  if (c < 0x80) { *len = 1; return c; }
  if (c < 0xE0) { *len = 2; return ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu); }
  if (c < 0xF0) { *len = 3; return ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu); }
  *len = 4;
  return ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
}

// GPT-2's byte-level alphabet: byte b is written as the code point
// ByteToCodepoint(b) (printable Latin-1 bytes map to themselves, the other 68
// to U+0100..U+0143 in byte order). CodepointToByte inverts it and returns
// -1 for code points outside the alphabet.
uint32_t ByteToCodepoint(uint8_t b);
int CodepointToByte(uint32_t cp);

// Byte-level encoding of raw bytes (each byte -> the UTF-8 of its code point).
void ByteLevelEncode(std::string_view raw, std::string* out);

}  // namespace steer::tokenizer
