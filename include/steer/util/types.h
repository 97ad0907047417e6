// Small shared vocabulary types.
#pragma once

#include <cstdint>

namespace steer {
using TokenId = int32_t;  // index into a vocabulary; -1 means "none"
using SeqId = int32_t;    // a sequence (particle) in the engine
using Pos = int32_t;      // a position inside a sequence, from 0
inline constexpr TokenId kNoToken = -1;
}  // namespace steer
