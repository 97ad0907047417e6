// Unicode normalization form C (UAX #15), as HF's "NFC" normalizer applies
// it before pre-tokenization.
#pragma once

#include <string>
#include <string_view>

namespace steer::tokenizer {

// True when `s` (valid UTF-8) is certainly in NFC by the quick check; false
// means it may not be (NormalizeNfc decides). O(n).
bool IsNfcQuick(std::string_view s);

// The NFC form of `s` (valid UTF-8): canonical decomposition, canonical
// ordering of combining marks, canonical composition. Returns `s` unchanged
// when the quick check passes.
std::string NormalizeNfc(std::string_view s);

}  // namespace steer::tokenizer
