#include "grammar/parse_util.h"

namespace steer::grammar {

std::string LineCol(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

Result<uint32_t> ReadCodepoint(std::string_view text, size_t* pos) {
  size_t len = 0;
  uint32_t cp = utf8::Decode(text, *pos, &len);
  if (cp == utf8::kInvalid) {
    return MakeError(ErrorCode::kInvalidInput, "invalid UTF-8", LineCol(text, *pos));
  }
  *pos += len;
  return cp;
}

Result<uint32_t> ReadHexCodepoint(std::string_view text, size_t* pos, int digits) {
  size_t at = *pos;
  uint32_t v = 0;
  for (int i = 0; i < digits; ++i) {
    if (*pos >= text.size()) {
      return MakeError(ErrorCode::kInvalidInput, "expected " + std::to_string(digits) + " hex digits",
                       LineCol(text, at));
    }
    char c = text[*pos];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) {
      return MakeError(ErrorCode::kInvalidInput, "expected " + std::to_string(digits) + " hex digits",
                       LineCol(text, at));
    }
    v = v * 16 + static_cast<uint32_t>(d);
    ++*pos;
  }
  if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    return MakeError(ErrorCode::kInvalidInput, "escape is not a Unicode scalar value", LineCol(text, at));
  }
  return v;
}

}  // namespace steer::grammar
