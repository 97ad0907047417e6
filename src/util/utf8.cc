#include "steer/util/utf8.h"

#include "steer/util/check.h"

namespace steer::utf8 {

int SequenceLength(uint8_t b) {
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF5) return 4;
  return 0;
}

uint32_t Decode(std::string_view s, size_t i, size_t* len) {
  *len = 1;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  uint8_t b0 = p[i];
  int want = SequenceLength(b0);
  if (want == 1) return b0;
  if (want == 0 || i + want > n) return kInvalid;
  uint8_t b1 = p[i + 1];
  if ((b1 & 0xC0) != 0x80) return kInvalid;
  uint32_t cp;
  if (want == 2) {
    cp = ((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu);
  } else if (want == 3) {
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return kInvalid;
    uint8_t b2 = p[i + 2];
    if ((b2 & 0xC0) != 0x80) return kInvalid;
    cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  } else {
    if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return kInvalid;
    uint8_t b2 = p[i + 2], b3 = p[i + 3];
    if ((b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) return kInvalid;
    cp = ((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((b2 & 0x3Fu) << 6) | (b3 & 0x3Fu);
  }
  *len = static_cast<size_t>(want);
  return cp;
}

void Append(uint32_t cp, std::string* out) {
  STEER_CHECK(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Encode(uint32_t cp) {
  std::string s;
  Append(cp, &s);
  return s;
}

size_t FindInvalid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    if (Decode(s, i, &len) == kInvalid) return i;
    i += len;
  }
  return s.size();
}

size_t IncompleteSuffix(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence runs past the end.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    uint8_t b = static_cast<uint8_t>(s[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation: keep looking
    int want = SequenceLength(b);
    return (want > static_cast<int>(back)) ? back : 0;
  }
  return 0;
}

ValidatorState Step(ValidatorState state, uint8_t b) {
  const bool cont = (b & 0xC0) == 0x80;
  switch (state) {
    case kBoundary:
    case kBroken:
      if (b < 0x80) return kBoundary;
      if (b < 0xC2) return kBroken;
      if (b < 0xE0) return kNeed1;
      if (b == 0xE0) return kAfterE0;
      if (b == 0xED) return kAfterED;
      if (b < 0xF0) return kNeed2;
      if (b == 0xF0) return kAfterF0;
      if (b < 0xF4) return kNeed3;
      if (b == 0xF4) return kAfterF4;
      return kBroken;
    case kNeed1: return cont ? kBoundary : kBroken;
    case kNeed2: return cont ? kNeed1 : kBroken;
    case kNeed3: return cont ? kNeed2 : kBroken;
    case kAfterE0: return b >= 0xA0 && b <= 0xBF ? kNeed1 : kBroken;
    case kAfterED: return b >= 0x80 && b <= 0x9F ? kNeed1 : kBroken;
    case kAfterF0: return b >= 0x90 && b <= 0xBF ? kNeed2 : kBroken;
    case kAfterF4: return b >= 0x80 && b <= 0x8F ? kNeed2 : kBroken;
  }
  return kBroken;
}

}  // namespace steer::utf8
