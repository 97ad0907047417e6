// Small helpers shared by the grammar front ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "steer/util/result.h"
#include "steer/util/utf8.h"

namespace steer::grammar {

// "line:column" (both 1-based, column in bytes) of byte `offset` in text.
std::string LineCol(std::string_view text, size_t offset);

// Decodes the UTF-8 code point at text[*pos] and advances past it.
Result<uint32_t> ReadCodepoint(std::string_view text, size_t* pos);

// Reads exactly `digits` hex digits at text[*pos] (advancing) as a code point
// that must be a Unicode scalar value.
Result<uint32_t> ReadHexCodepoint(std::string_view text, size_t* pos, int digits);

}  // namespace steer::grammar
