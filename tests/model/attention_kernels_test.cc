// The AVX2 attention loops agree with the portable ones (the oracle).
#include "model/attention_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "steer/model/kernels.h"
#include "steer/util/rng.h"

namespace steer::model::internal {
namespace {

TEST(AttentionKernelsTest, Avx2AgreesWithPortable) {
  if (DetectIsa() == Isa::kPortable) GTEST_SKIP() << "this CPU has no AVX2+FMA";
  Rng rng(5);
  const AttentionKernels& fast = Avx2Attention();
  const AttentionKernels& slow = PortableAttention();
  for (int32_t D : {8, 16, 24, 32, 64, 72, 128, 136}) {
    const int64_t stride = 3 * D + 8;  // rows of a wider K/V line
    const int32_t len = 13;
    std::vector<float> kv(len * stride), q(D), p(len);
    for (float& x : kv) x = static_cast<float>(rng.Normal());
    for (float& x : q) x = static_cast<float>(rng.Normal());
    for (float& x : p) x = static_cast<float>(rng.Uniform());
    std::vector<float> s1(len), s2(len);
    fast.scores(kv.data() + D, stride, len, q.data(), D, 0.125f, s1.data());
    slow.scores(kv.data() + D, stride, len, q.data(), D, 0.125f, s2.data());
    for (int32_t j = 0; j < len; ++j) EXPECT_NEAR(s1[j], s2[j], 1e-5 * std::sqrt(D)) << "D " << D;
    std::vector<float> o1(D, 0.5f), o2(D, 0.5f);  // accumulates onto what is there
    fast.accumulate(kv.data() + D, stride, len, p.data(), D, o1.data());
    slow.accumulate(kv.data() + D, stride, len, p.data(), D, o2.data());
    for (int32_t d = 0; d < D; ++d) EXPECT_NEAR(o1[d], o2[d], 1e-5 * len) << "D " << D;
  }
  EXPECT_EQ(&SelectAttention(12), &PortableAttention());  // D % 8 != 0
}

}  // namespace
}  // namespace steer::model::internal
