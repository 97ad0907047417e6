// A small, fast, seedable RNG (xoshiro256**, seeded through splitmix64).
// Same seed, same stream, on every platform: tests rely on it.
#pragma once

#include <cstdint>

namespace steer {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0x5EED);

  uint64_t Next();                // uniform 64-bit
  double Uniform();               // uniform in [0, 1), 53 bits
  uint64_t UniformInt(uint64_t n);  // uniform in [0, n), n > 0, unbiased
  double Normal();                // standard normal (Box-Muller)

  // For <random> distributions.
  using result_type = uint64_t;
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }
  uint64_t operator()() { return Next(); }

 private:
  uint64_t s_[4];
};

}  // namespace steer
