// UTF-8 decoding, encoding and validation (RFC 3629: no surrogates, no
// overlong forms, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace steer::utf8 {

inline constexpr uint32_t kInvalid = 0xFFFFFFFFu;

// Decodes the code point at s[i]. On success returns it and sets *len to its
// byte length (1..4). On an invalid or truncated sequence returns kInvalid and
// sets *len to 1, so callers can skip one byte and resynchronize.
uint32_t Decode(std::string_view s, size_t i, size_t* len);

// Appends the UTF-8 encoding of cp (must be <= 0x10FFFF and not a surrogate).
void Append(uint32_t cp, std::string* out);
std::string Encode(uint32_t cp);

// Returns the byte offset of the first invalid sequence, or s.size() if the
// whole string is valid.
size_t FindInvalid(std::string_view s);
inline bool IsValid(std::string_view s) { return FindInvalid(s) == s.size(); }

// Length of the sequence a lead byte announces (1..4), or 0 for a
// continuation byte or an impossible lead byte.
int SequenceLength(uint8_t lead);

// Number of bytes at the end of s that form an incomplete (but so far valid)
// UTF-8 sequence; 0 if s ends on a character boundary.
size_t IncompleteSuffix(std::string_view s);

// A byte-at-a-time validator (a 9-state DFA). kBoundary: at a character
// boundary (the start state); kBroken: the last byte made the text invalid.
// From kBroken the next byte is read as if at a boundary (resynchronizing),
// so a state depends only on the last four bytes. Every other state is
// inside a valid, unfinished character.
enum ValidatorState : uint8_t {
  kBoundary = 0,
  kNeed1,        // 1 continuation byte left, any of 80..BF
  kNeed2,        // 2 left
  kNeed3,        // 3 left
  kAfterE0,      // next A0..BF (no overlong), then 1 more
  kAfterED,      // next 80..9F (no surrogate), then 1 more
  kAfterF0,      // next 90..BF (no overlong), then 2 more
  kAfterF4,      // next 80..8F (nothing above U+10FFFF), then 2 more
  kBroken,
};
ValidatorState Step(ValidatorState state, uint8_t byte);

}  // namespace steer::utf8
