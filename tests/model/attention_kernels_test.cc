// The AVX2 and AVX-512 attention loops agree with the portable ones (the
// oracle), for float and half keys and values; the float -> half rounding
// is the nearest half, ties to even.
#include "model/attention_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

#include "model/kernels_internal.h"
#include "steer/model/kernels.h"
#include "steer/util/rng.h"

namespace steer::model::internal {
namespace {

// K/V rows of `stride` elements of `type` holding `values` (as converted
// for the cache).
std::vector<uint8_t> Store(KvType type, const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * (type == KvType::kF16 ? 2 : 4));
  for (size_t i = 0; i < values.size(); ++i) {
    if (type == KvType::kF16) {
      const uint16_t h = Fp32ToFp16(values[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    } else {
      std::memcpy(out.data() + 4 * i, &values[i], 4);
    }
  }
  return out;
}

// fast.store writes the same elements as slow.store, bit for bit, for D
// values drawn from every float exponent (subnormal halves, overflow to
// inf), exact ties between two halves, infinities and NaNs (any NaN for a
// NaN: F16C keeps payload bits that the portable conversion drops).
void ExpectSameStores(const AttentionKernels& fast, const AttentionKernels& slow, KvType type, int32_t D) {
  Rng rng(7);
  const int64_t elem = type == KvType::kF16 ? 2 : 4;
  for (int round = 0; round < 200; ++round) {
    std::vector<float> src(D);
    for (int32_t d = 0; d < D; ++d) {
      const uint64_t pick = rng.UniformInt(8);
      if (pick == 0) {  // a tie: halfway between two halves (bit 12 set, bits 0-11 clear)
        const auto sign = static_cast<uint32_t>(rng.UniformInt(2)) << 31;
        const auto at = static_cast<uint32_t>(rng.UniformInt(0x47800000u - 0x38800000u)) & ~0x1fffu;
        const uint32_t bits = sign | (0x38800000u + at) | 0x1000u;
        std::memcpy(&src[d], &bits, 4);
      } else if (pick == 1) {
        const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65519.0f, 65520.0f, 6e-8f, 3e-8f};
        src[d] = special[rng.UniformInt(std::size(special))];
      } else {  // exponents 2^-30 .. 2^17
        src[d] = static_cast<float>((rng.Uniform() * 2 - 1) *
                                    std::ldexp(1.0, static_cast<int>(rng.UniformInt(48)) - 30));
      }
    }
    std::vector<uint8_t> a(D * elem + 8, 0xAB), b(D * elem + 8, 0xAB);
    fast.store(src.data(), D, a.data());
    slow.store(src.data(), D, b.data());
    for (int32_t d = 0; d < D; ++d) {
      if (std::isnan(src[d])) continue;
      ASSERT_EQ(std::memcmp(a.data() + d * elem, b.data() + d * elem, elem), 0) << "D " << D << " value " << src[d];
    }
    for (int64_t i = D * elem; i < D * elem + 8; ++i) ASSERT_EQ(a[i], 0xAB) << "wrote past D";
    if (type == KvType::kF16) {
      for (int32_t d = 0; d < D; ++d) {
        uint16_t h;
        std::memcpy(&h, a.data() + 2 * d, 2);
        if (std::isnan(src[d])) {
          EXPECT_TRUE(std::isnan(Fp16ToFp32(h))) << "NaN lost";
        }
      }
    }
  }
}

// `fast` against the portable loops over head sizes allowed by `step`, with
// len covering partial groups of 16 positions.
void ExpectAgreement(const AttentionKernels& fast, KvType type, int32_t step) {
  Rng rng(5);
  const AttentionKernels& slow = PortableAttention(type);
  const int64_t elem = type == KvType::kF16 ? 2 : 4;
  for (int32_t D : {8, 16, 24, 32, 64, 72, 128, 136, 256}) {
    if (D % step != 0) continue;
    for (int32_t len : {1, 13, 16, 35}) {
      const int64_t stride = 3 * D + 8;  // rows of a wider K/V line
      std::vector<float> kv_f(len * stride), q(D), p(len);
      for (float& x : kv_f) x = static_cast<float>(rng.Normal());
      for (float& x : q) x = static_cast<float>(rng.Normal());
      for (float& x : p) x = static_cast<float>(rng.Uniform());
      const std::vector<uint8_t> kv = Store(type, kv_f);
      const uint8_t* rows = kv.data() + D * elem;
      std::vector<float> s1(len + 1, 7.0f), s2(len + 1, 7.0f);
      fast.scores(rows, stride, len, q.data(), D, 0.125f, s1.data());
      slow.scores(rows, stride, len, q.data(), D, 0.125f, s2.data());
      for (int32_t j = 0; j < len; ++j) EXPECT_NEAR(s1[j], s2[j], 1e-5 * std::sqrt(D)) << "D " << D << " len " << len;
      EXPECT_EQ(s1[len], 7.0f) << "wrote past len";
      std::vector<float> o1(D, 0.5f), o2(D, 0.5f);  // accumulates onto what is there
      fast.accumulate(rows, stride, len, p.data(), D, o1.data());
      slow.accumulate(rows, stride, len, p.data(), D, o2.data());
      for (int32_t d = 0; d < D; ++d) EXPECT_NEAR(o1[d], o2[d], 1e-5 * len) << "D " << D << " len " << len;
    }
    ExpectSameStores(fast, slow, type, D);
  }
}

TEST(AttentionKernelsTest, Avx2AgreesWithPortable) {
  if (DetectIsa() == Isa::kPortable) GTEST_SKIP() << "this CPU has no AVX2+FMA";
  for (KvType type : {KvType::kF32, KvType::kF16}) ExpectAgreement(Avx2Attention(type), type, 8);
  EXPECT_EQ(&SelectAttention(12, KvType::kF32), &PortableAttention(KvType::kF32));  // D % 8 != 0
  EXPECT_EQ(&SelectAttention(12, KvType::kF16), &PortableAttention(KvType::kF16));
}

// On a CPU without AVX-512 the AVX-512 loops are never chosen (and not run).
TEST(AttentionKernelsTest, Avx512AgreesWithPortable) {
  if (DetectIsa() != Isa::kAvx512) {
    for (KvType type : {KvType::kF32, KvType::kF16})
      EXPECT_NE(&SelectAttention(64, type), &Avx512Attention(type));
    return;
  }
  for (KvType type : {KvType::kF32, KvType::kF16}) ExpectAgreement(Avx512Attention(type), type, 16);
  EXPECT_EQ(&SelectAttention(64, KvType::kF16), &Avx512Attention(KvType::kF16));
  EXPECT_EQ(&SelectAttention(24, KvType::kF32), &Avx2Attention(KvType::kF32));  // D % 16 != 0
}

// Every half converts back to itself (NaN stays NaN); random floats (all
// exponents, subnormal halves, overflow) go to a nearest half, and on an
// exact tie to the even one.
TEST(HalfConversion, NearestTiesToEven) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = Fp16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16ToFp32(Fp32ToFp16(f)))) << h;
    } else {
      ASSERT_EQ(Fp32ToFp16(f), h) << h;
    }
  }
  Rng rng(6);
  for (int i = 0; i < 200000; ++i) {
    // Exponents around the half range: 2^-30 .. 2^17.
    const float f = static_cast<float>((rng.Uniform() * 2 - 1) * std::ldexp(1.0, static_cast<int>(rng.UniformInt(48)) - 30));
    const uint16_t h = Fp32ToFp16(f);
    const double got = Fp16ToFp32(h);
    if (std::fabs(f) >= 65520.0) {
      ASSERT_TRUE(std::isinf(got)) << f;
      continue;
    }
    // The neighbours of h (same sign) are no closer.
    for (int d : {-1, 1}) {
      const int n = static_cast<int>(h & 0x7fff) + d;
      if (n < 0 || n > 0x7bff) continue;
      const double other = Fp16ToFp32(static_cast<uint16_t>((h & 0x8000) | n));
      const double dg = std::fabs(got - f), dother = std::fabs(other - f);
      ASSERT_LE(dg, dother) << f;
      if (dg == dother) {
        ASSERT_EQ(h & 1u, 0u) << "tie not to even: " << f;
      }
    }
  }
}

}  // namespace
}  // namespace steer::model::internal
