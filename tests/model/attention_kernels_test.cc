// The AVX2 and AVX-512 attention loops agree with the portable ones (the
// oracle).
#include "model/attention_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "steer/model/kernels.h"
#include "steer/util/rng.h"

namespace steer::model::internal {
namespace {

// fast against the portable loops over head sizes allowed by `step`, with
// len covering partial groups of 16 positions.
void ExpectAgreement(const AttentionKernels& fast, int32_t step) {
  Rng rng(5);
  const AttentionKernels& slow = PortableAttention();
  for (int32_t D : {8, 16, 24, 32, 64, 72, 128, 136, 256}) {
    if (D % step != 0) continue;
    for (int32_t len : {1, 13, 16, 35}) {
      const int64_t stride = 3 * D + 8;  // rows of a wider K/V line
      std::vector<float> kv(len * stride), q(D), p(len);
      for (float& x : kv) x = static_cast<float>(rng.Normal());
      for (float& x : q) x = static_cast<float>(rng.Normal());
      for (float& x : p) x = static_cast<float>(rng.Uniform());
      std::vector<float> s1(len + 1, 7.0f), s2(len + 1, 7.0f);
      fast.scores(kv.data() + D, stride, len, q.data(), D, 0.125f, s1.data());
      slow.scores(kv.data() + D, stride, len, q.data(), D, 0.125f, s2.data());
      for (int32_t j = 0; j < len; ++j) EXPECT_NEAR(s1[j], s2[j], 1e-5 * std::sqrt(D)) << "D " << D << " len " << len;
      EXPECT_EQ(s1[len], 7.0f) << "wrote past len";
      std::vector<float> o1(D, 0.5f), o2(D, 0.5f);  // accumulates onto what is there
      fast.accumulate(kv.data() + D, stride, len, p.data(), D, o1.data());
      slow.accumulate(kv.data() + D, stride, len, p.data(), D, o2.data());
      for (int32_t d = 0; d < D; ++d) EXPECT_NEAR(o1[d], o2[d], 1e-5 * len) << "D " << D << " len " << len;
    }
  }
}

TEST(AttentionKernelsTest, Avx2AgreesWithPortable) {
  if (DetectIsa() == Isa::kPortable) GTEST_SKIP() << "this CPU has no AVX2+FMA";
  ExpectAgreement(Avx2Attention(), 8);
  EXPECT_EQ(&SelectAttention(12), &PortableAttention());  // D % 8 != 0
}

TEST(AttentionKernelsTest, Avx512AgreesWithPortable) {
  if (DetectIsa() != Isa::kAvx512) GTEST_SKIP() << "this CPU has no AVX-512";
  ExpectAgreement(Avx512Attention(), 16);
  EXPECT_EQ(&SelectAttention(64), &Avx512Attention());
  EXPECT_EQ(&SelectAttention(24), &Avx2Attention());  // D % 16 != 0
}

}  // namespace
}  // namespace steer::model::internal
