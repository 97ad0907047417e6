#include "steer/tokenizer/normalize.h"

#include <algorithm>
#include <vector>

#include "steer/util/utf8.h"
#include "tokenizer/nfc_tables.h"
#include "tokenizer/unicode.h"

namespace steer::tokenizer {
namespace {

using namespace nfc_internal;

// Hangul syllables (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr uint32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint8_t Ccc(uint32_t cp) {
  if (cp < 0x300) return 0;
  auto it = std::upper_bound(kCccRanges, kCccRanges + kNumCccRanges, cp,
                             [](uint32_t c, const CccRange& r) { return c < r.first; });
  if (it == kCccRanges) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

bool QuickCheckNotYes(uint32_t cp) {
  auto it = std::upper_bound(kQuickCheckRanges, kQuickCheckRanges + kNumQuickCheckRanges, cp,
                             [](uint32_t c, const QuickCheckRange& r) { return c < r.first; });
  if (it == kQuickCheckRanges) return false;
  --it;
  return cp <= it->last;
}

// Appends the full canonical decomposition of cp. Depth is bounded by the
// data (at most 4 levels), so the recursion is not input-controlled.
void Decompose(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  auto it = std::lower_bound(kDecompositions, kDecompositions + kNumDecompositions, cp,
                             [](const Decomposition& d, uint32_t c) { return d.cp < c; });
  if (it == kDecompositions + kNumDecompositions || it->cp != cp) {
    out->push_back(cp);
    return;
  }
  Decompose(it->first, out);
  if (it->second) Decompose(it->second, out);
}

// The primary composite of (a, b), or 0.
uint32_t Compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  auto it = std::lower_bound(kCompositions, kCompositions + kNumCompositions, std::pair{a, b},
                             [](const Composition& c, std::pair<uint32_t, uint32_t> k) {
                               return c.first != k.first ? c.first < k.first : c.second < k.second;
                             });
  if (it != kCompositions + kNumCompositions && it->first == a && it->second == b) {
    return it->composite;
  }
  return 0;
}

}  // namespace

bool IsNfcQuick(std::string_view s) {
  uint8_t last_ccc = 0;
  for (size_t i = 0; i < s.size();) {
    if (static_cast<uint8_t>(s[i]) < 0xCC) {  // below U+0300: ccc 0, quick check Yes
      last_ccc = 0;
      i += static_cast<uint8_t>(s[i]) < 0x80 ? 1 : 2;
      continue;
    }
    size_t len;
    uint32_t cp = DecodeValidUtf8(s, i, &len);
    i += len;
    uint8_t ccc = Ccc(cp);
    if (ccc != 0 && last_ccc > ccc) return false;
    if (QuickCheckNotYes(cp)) return false;
    last_ccc = ccc;
  }
  return true;
}

std::string NormalizeNfc(std::string_view s) {
  if (IsNfcQuick(s)) return std::string(s);
  std::vector<uint32_t> d;
  d.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len;
    uint32_t cp = DecodeValidUtf8(s, i, &len);
    i += len;
    Decompose(cp, &d);
  }
  // Canonical ordering: stable sort of each run of non-starters by class.
  for (size_t i = 0; i < d.size();) {
    if (Ccc(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && Ccc(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j,
                     [](uint32_t a, uint32_t b) { return Ccc(a) < Ccc(b); });
    i = j;
  }
  // Canonical composition: a character composes with the last starter
  // unless blocked (some character between has class 0 or >= its class).
  std::vector<uint32_t> out;
  out.reserve(d.size());
  long starter = -1;
  for (uint32_t cp : d) {
    uint8_t cc = Ccc(cp);
    if (starter >= 0) {
      bool adjacent = static_cast<long>(out.size()) - 1 == starter;
      uint8_t prev = adjacent ? 0 : Ccc(out.back());
      if (adjacent || (prev != 0 && prev < cc)) {
        if (uint32_t c = Compose(out[starter], cp)) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<long>(out.size());
    out.push_back(cp);
  }
  std::string result;
  result.reserve(s.size());
  for (uint32_t cp : out) utf8::Append(cp, &result);
  return result;
}

}  // namespace steer::tokenizer
