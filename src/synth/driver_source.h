// The embedded driver.py (generated into the build tree from src/synth/driver.py).
#pragma once

namespace steer::synth::internal {
extern const char* const kDriverSource;
}  // namespace steer::synth::internal
