// Unicode data for NFC (generated into nfc_tables.cc). Private.
#pragma once

#include <cstddef>
#include <cstdint>

namespace steer::tokenizer::nfc_internal {

struct CccRange {
  uint32_t first, last;  // inclusive
  uint8_t ccc;           // canonical combining class, non-zero
};
struct Decomposition {
  uint32_t cp, first, second;  // second == 0: a singleton
};
struct Composition {
  uint32_t first, second, composite;
};
struct QuickCheckRange {
  uint32_t first, last;  // NFC_Quick_Check is No or Maybe
};

// All sorted by their first field.
extern const CccRange kCccRanges[];
extern const size_t kNumCccRanges;
extern const Decomposition kDecompositions[];
extern const size_t kNumDecompositions;
extern const Composition kCompositions[];
extern const size_t kNumCompositions;
extern const QuickCheckRange kQuickCheckRanges[];
extern const size_t kNumQuickCheckRanges;

}  // namespace steer::tokenizer::nfc_internal
