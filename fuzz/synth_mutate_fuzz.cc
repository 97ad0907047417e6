// Fuzzes the Python mutation scanner: every mutant differs from the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "steer/synth/mutate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view code(reinterpret_cast<const char*>(data), size);
  for (const auto& m : steer::synth::MutatePython(code)) {
    if (m.code == code) std::abort();
  }
  return 0;
}
