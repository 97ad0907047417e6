// Weight kernels: golden dequantization against ggml, agreement of every
// ISA with the portable oracle, and the batching / threading properties.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "shared_data.h"
#include "steer/gguf/types.h"
#include "steer/model/kernels.h"
#include "steer/util/rng.h"
#include "steer/util/strings.h"
#include "steer/util/thread_pool.h"

namespace steer::model {
namespace {

using gguf::TensorType;

constexpr TensorType kTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                                 TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_K,
                                 TensorType::kQ5_K, TensorType::kQ6_K};

std::vector<Isa> CpuIsas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512})
    if (CpuSupports(isa)) isas.push_back(isa);
  return isas;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// ---------------------------------------------------------------- golden

TensorType TypeByName(const std::string& name) {
  for (TensorType t : kTypes)
    if (name == gguf::TensorTypeName(t)) return t;
  ADD_FAILURE() << "unknown type name " << name;
  return TensorType::kF32;
}

// The float rows of the JSON array of arrays that starts at text[pos] ('[').
// Parsed from the text with strtof because a JSON parser reads "-0" as the
// integer 0 and loses the sign, and the comparison is bit for bit.
std::vector<std::vector<float>> ParseFloatRows(const std::string& text, size_t pos) {
  std::vector<std::vector<float>> rows;
  EXPECT_EQ(text[pos], '[');
  ++pos;
  for (;;) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos >= text.size() || text[pos] == ']') break;
    if (text[pos] == ',') {
      ++pos;
      continue;
    }
    EXPECT_EQ(text[pos], '[');
    ++pos;
    rows.emplace_back();
    for (;;) {
      while (pos < text.size() && (std::isspace(static_cast<unsigned char>(text[pos])) || text[pos] == ','))
        ++pos;
      if (pos >= text.size() || text[pos] == ']') break;
      char* end = nullptr;
      rows.back().push_back(std::strtof(text.c_str() + pos, &end));
      if (end == text.c_str() + pos) {
        ADD_FAILURE() << "bad number at byte " << pos;
        return rows;
      }
      pos = end - text.c_str();
    }
    ++pos;
  }
  return rows;
}

// Position of the '[' that opens key `key`'s array, searching from `from`.
size_t ArrayAfterKey(const std::string& text, const std::string& key, size_t from) {
  size_t k = text.find("\"" + key + "\"", from);
  if (k == std::string::npos) return k;
  return text.find('[', k);
}

// Every dequant_rows entry of every golden file: DequantizeRow must give
// ggml's floats bit for bit, on every ISA this CPU has.
TEST(KernelsGolden, DequantRowsMatchGgmlExactly) {
  STEER_REQUIRE_SHARED(dir, "golden");
  std::set<std::string> types_seen;
  int rows_checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(doc.is_discarded()) << path;
    if (!doc.contains("dequant_rows")) continue;
    const size_t section = text.find("\"dequant_rows\"");
    ASSERT_NE(section, std::string::npos);
    for (const auto& [name, t] : doc["dequant_rows"].items()) {
      const TensorType type = TypeByName(name);
      const int64_t n = t["ne"][0].get<int64_t>();
      const size_t row_bytes = t["bytes_per_row"].get<size_t>();
      ASSERT_EQ(row_bytes, gguf::RowBytes(type, n)) << path << " " << name;
      const size_t entry_pos = text.find("\"" + name + "\"", section);
      ASSERT_NE(entry_pos, std::string::npos);
      const std::vector<std::vector<float>> want_rows =
          ParseFloatRows(text, ArrayAfterKey(text, "dequant_rows", entry_pos));
      ASSERT_EQ(want_rows.size(), t["raw_hex_rows"].size()) << path << " " << name;
      for (size_t r = 0; r < want_rows.size(); ++r) {
        std::optional<std::string> raw = HexDecode(t["raw_hex_rows"][r].get<std::string>());
        ASSERT_TRUE(raw.has_value()) << path << " " << name << " row " << r;
        ASSERT_EQ(raw->size(), row_bytes);
        const std::vector<float>& want = want_rows[r];
        ASSERT_EQ(static_cast<int64_t>(want.size()), n);
        // The text parse agrees with the JSON parser up to the sign of zero.
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(want[i], t["dequant_rows"][r][i].get<float>());
        for (Isa isa : CpuIsas()) {
          std::vector<float> got(n);
          DequantizeRow(type, raw->data(), got.data(), n, isa);
          for (int64_t i = 0; i < n; ++i)
            ASSERT_EQ(Bits(got[i]), Bits(want[i]))
                << path << " " << name << " row " << r << " value " << i << " isa "
                << IsaName(isa) << ": got " << got[i] << " want " << want[i];
        }
        ++rows_checked;
      }
      types_seen.insert(name);
    }
  }
  // The public files cover all seven non-F32 types.
  for (const char* name : {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    EXPECT_TRUE(types_seen.count(name)) << "no golden dequant_rows for " << name;
  EXPECT_GE(rows_checked, 14);
}

// ---------------------------------------------------------------- random data

// Random half bits with a biased exponent in [lo, hi] (never inf/NaN).
uint16_t RandomHalf(Rng& rng, int lo, int hi) {
  const uint32_t exp = lo + rng.Next() % (hi - lo + 1);
  return static_cast<uint16_t>((rng.Next() & 1) << 15 | exp << 10 | (rng.Next() & 0x3ff));
}

// A random row of n values of `type`: random quants, scales of realistic size
// (F16 exponents 5..14, i.e. ~1e-3..1; scales are positive as ggml writes them).
std::vector<uint8_t> RandomRow(TensorType type, int64_t n, Rng& rng) {
  std::vector<uint8_t> row(gguf::RowBytes(type, n));
  for (auto& b : row) b = static_cast<uint8_t>(rng.Next());
  auto put16 = [&](size_t off, uint16_t v) { std::memcpy(row.data() + off, &v, 2); };
  const auto& info = gguf::GetTensorTypeInfo(type);
  switch (type) {
    case TensorType::kF32:
      for (int64_t i = 0; i < n; ++i) {
        const float f = static_cast<float>(rng.Normal());
        std::memcpy(row.data() + 4 * i, &f, 4);
      }
      break;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) put16(2 * i, RandomHalf(rng, 0, 16));  // incl. subnormals
      break;
    case TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const float f = static_cast<float>(rng.Normal());
        uint32_t u;
        std::memcpy(&u, &f, 4);
        put16(2 * i, static_cast<uint16_t>(u >> 16));
      }
      break;
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
      for (size_t b = 0; b < row.size(); b += info.type_size) put16(b, RandomHalf(rng, 5, 14) & 0x7fff);
      break;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
      for (size_t b = 0; b < row.size(); b += info.type_size) {
        put16(b, RandomHalf(rng, 5, 12) & 0x7fff);
        put16(b + 2, RandomHalf(rng, 5, 12) & 0x7fff);
      }
      break;
    case TensorType::kQ6_K:
      for (size_t b = 0; b < row.size(); b += info.type_size) put16(b + 208, RandomHalf(rng, 5, 12) & 0x7fff);
      break;
    default:
      ADD_FAILURE();
  }
  return row;
}

std::vector<float> RandomVector(int64_t n, Rng& rng) {
  std::vector<float> x(n);
  for (auto& v : x) v = static_cast<float>(rng.Normal());
  return x;
}

// A rows x cols matrix of `type` plus its portable dequantization.
struct Matrix {
  std::vector<uint8_t> raw;
  std::vector<float> deq;  // rows * cols
};

Matrix RandomMatrix(TensorType type, int64_t rows, int64_t cols, Rng& rng) {
  Matrix m;
  m.deq.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<uint8_t> row = RandomRow(type, cols, rng);
    DequantizeRow(type, row.data(), m.deq.data() + r * cols, cols, Isa::kPortable);
    m.raw.insert(m.raw.end(), row.begin(), row.end());
  }
  return m;
}

int64_t ColsFor(TensorType type) {
  // Plain types get a tail that is not a multiple of any vector width; the
  // others a block count that leaves the AVX-512 8-bit path (groups of 16
  // blocks of 32) a partial last group: 17 blocks, or 3 super-blocks.
  const uint32_t bs = gguf::GetTensorTypeInfo(type).block_size;
  return bs == 1 ? 517 : bs == 32 ? 17 * 32 : 3 * 256;
}

// ---------------------------------------------------------------- oracle agreement

// Dequantization is exact, so every ISA's must be bit-identical to the oracle's
// (random scales include F16 subnormals for the F16 type).
TEST(KernelsOracle, DequantizeBitIdenticalAcrossIsas) {
  Rng rng(11);
  for (TensorType type : kTypes) {
    const int64_t n = ColsFor(type);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<uint8_t> row = RandomRow(type, n, rng);
      std::vector<float> want(n), got(n);
      DequantizeRow(type, row.data(), want.data(), n, Isa::kPortable);
      for (Isa isa : CpuIsas()) {
        DequantizeRow(type, row.data(), got.data(), n, isa);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(Bits(got[i]), Bits(want[i]))
              << gguf::TensorTypeName(type) << " " << IsaName(isa) << " value " << i;
      }
    }
  }
}

// F32 activations: y = fl(sum_i w_i x_i) with the dequantized w_i exact, so
// |y - exact| <= gamma * sum |w_i x_i| where gamma = n u / (1 - n u) for any
// summation order of n terms (u = 2^-24; each FMA or mul+add adds <= 2u per
// term, covered by using 2n). Checked for MatMul and DotRow on every ISA,
// with row and batch counts that reach every micro-kernel shape: 70 rows
// (AVX-512 panels of 16 in tiles of 64, a partial panel) and batch 2 and 8.
TEST(KernelsOracle, F32ActivationsWithinSummationBound) {
  Rng rng(12);
  for (auto [rows, batch] : {std::pair<int64_t, int64_t>{7, 5}, {70, 8}, {70, 2}}) {
    for (TensorType type : kTypes) {
      const int64_t cols = ColsFor(type);
      Matrix m = RandomMatrix(type, rows, cols, rng);
      std::vector<float> x = RandomVector(batch * cols, rng);
      const double u = std::ldexp(1.0, -24);
      const double gamma = 2.0 * cols * u / (1.0 - 2.0 * cols * u);
      for (Isa isa : CpuIsas()) {
        std::vector<float> y(batch * rows);
        MatMul(type, m.raw.data(), rows, cols, x.data(), batch, y.data(), nullptr, isa);
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t r = 0; r < rows; ++r) {
            double exact = 0, abs_sum = 0;
            for (int64_t i = 0; i < cols; ++i) {
              const double p = static_cast<double>(m.deq[r * cols + i]) * x[b * cols + i];
              exact += p;
              abs_sum += std::fabs(p);
            }
            EXPECT_LE(std::fabs(y[b * rows + r] - exact), gamma * abs_sum)
                << gguf::TensorTypeName(type) << " " << IsaName(isa) << " r " << r << " b " << b;
          }
        }
        const float d = DotRow(type, m.raw.data(), x.data(), cols, isa);
        EXPECT_EQ(Bits(d), Bits(y[0])) << gguf::TensorTypeName(type) << " " << IsaName(isa);
      }
    }
  }
}

// Per weight, |scale * q| + |min| (see WeightBlock32): the size of the terms
// the 8-bit path adds, which can exceed |w| when the min cancels. Q4_K /
// Q5_K mins come from dequantizing the row with every quant set to 0.
std::vector<double> TermMagnitudes(TensorType type, const uint8_t* row, const float* w, int64_t n) {
  std::vector<double> m(n);
  for (int64_t i = 0; i < n; ++i) m[i] = std::fabs(w[i]);
  if (type != TensorType::kQ4_K && type != TensorType::kQ5_K) return m;
  const size_t bs = gguf::GetTensorTypeInfo(type).type_size;
  std::vector<uint8_t> zeroed(row, row + gguf::RowBytes(type, n));
  for (size_t b = 0; b < zeroed.size(); b += bs) std::memset(zeroed.data() + b + 16, 0, bs - 16);
  std::vector<float> neg_min(n);
  DequantizeRow(type, zeroed.data(), neg_min.data(), n, Isa::kPortable);
  for (int64_t i = 0; i < n; ++i)
    m[i] = std::fabs(static_cast<double>(w[i]) - neg_min[i]) + std::fabs(neg_min[i]);
  return m;
}

// 8-bit activations. Each x_i is replaced by q_i d_k with |x_i - q_i d_k| <=
// (d_k / 2)(1 + 1e-4) (d_k = max|x| over its block k of 32 / 127; the 1e-4
// covers rounding of x * (1 / d_k)); the weights enter exactly as
// scale * q - min and the integer products are exact. So against the exact
// dot of the dequantized weights,
//   |y - exact| <= sum_k (d_k / 2)(1 + 1e-4) sum_{i in k} |w_i|
//                  + gamma * sum_i M_i (|x_i| + d_k),
// M_i = |scale q_i| + |min_i| bounding every float operation's operand, and
// gamma = 2 n u / (1 - 2 n u) as above (it also covers the dequantized
// float's own rounding, u M_i). ISAs differ from the portable oracle only
// in float order: |y_isa - y_portable| <= 2 gamma * sum_i M_i (|x_i| + d_k).
TEST(KernelsOracle, Q8ActivationsWithinQuantizationBound) {
  Rng rng(13);
  // 37 rows: full and partial AVX-512 panels of 16 and tiles of 32. The
  // batches run the 8-bit micro-kernel's remainder variants alone (5), one
  // group of 7 (7), a group and a remainder (10, 13), and two groups, which
  // also prefetch the next tile, with a remainder (16).
  const int64_t rows = 37;
  const double u = std::ldexp(1.0, -24);
  for (int64_t batch : {5, 7, 10, 13, 16})
  for (TensorType type : kTypes) {
    if (gguf::GetTensorTypeInfo(type).block_size == 1) {
      EXPECT_FALSE(HasQ8ActivationKernel(type));
      continue;
    }
    ASSERT_TRUE(HasQ8ActivationKernel(type));
    const int64_t cols = ColsFor(type);
    const double gamma = 2.0 * cols * u / (1.0 - 2.0 * cols * u);
    Matrix m = RandomMatrix(type, rows, cols, rng);
    const size_t row_bytes = gguf::RowBytes(type, cols);
    std::vector<float> x = RandomVector(batch * cols, rng);
    std::vector<float> want(batch * rows);
    MatMulQ8(type, m.raw.data(), rows, cols, x.data(), batch, want.data(), nullptr, Isa::kPortable);
    for (Isa isa : CpuIsas()) {
      std::vector<float> y(batch * rows);
      MatMulQ8(type, m.raw.data(), rows, cols, x.data(), batch, y.data(), nullptr, isa);
      for (int64_t r = 0; r < rows; ++r) {
        const std::vector<double> mag =
            TermMagnitudes(type, m.raw.data() + r * row_bytes, m.deq.data() + r * cols, cols);
        for (int64_t b = 0; b < batch; ++b) {
          double exact = 0, abs_sum = 0, qbound = 0, fbound = 0;
          for (int64_t k = 0; k < cols / 32; ++k) {
            double amax = 0, wsum = 0;
            for (int64_t i = 32 * k; i < 32 * k + 32; ++i) amax = std::max(amax, std::fabs(static_cast<double>(x[b * cols + i])));
            const double dk = amax / 127.0;
            for (int64_t i = 32 * k; i < 32 * k + 32; ++i) {
              const double w = m.deq[r * cols + i], xi = x[b * cols + i];
              exact += w * xi;
              abs_sum += std::fabs(w * xi);
              wsum += std::fabs(w);
              fbound += mag[i] * (std::fabs(xi) + dk);
            }
            qbound += dk / 2.0 * (1 + 1e-4) * wsum;
          }
          const double got = y[b * rows + r];
          const std::string where = std::string(gguf::TensorTypeName(type)) + " " + IsaName(isa) + " r " +
                                    std::to_string(r) + " b " + std::to_string(b) + " of " + std::to_string(batch);
          EXPECT_LE(std::fabs(got - exact), qbound + gamma * fbound) << where;
          EXPECT_LE(std::fabs(got - want[b * rows + r]), 2 * gamma * fbound) << where;
          // The bound is not vacuous: it is far below the size of the result.
          EXPECT_LT(qbound + gamma * fbound, 0.05 * abs_sum) << where;
        }
      }
    }
  }
}

// ---------------------------------------------------------------- properties

// MatMul over a batch equals one DotRow per (row, batch row) bit for bit, on
// every ISA, for row counts that leave partial tiles and batches that run
// one group of the 8-bit micro-kernel (7) or two and a remainder (18).
TEST(KernelsProperty, BatchEqualsSeparateDotRows) {
  Rng rng(14);
  const int64_t rows = 10;
  for (int64_t batch : {7, 18})
  for (TensorType type : kTypes) {
    const int64_t cols = ColsFor(type);
    Matrix m = RandomMatrix(type, rows, cols, rng);
    std::vector<float> x = RandomVector(batch * cols, rng);
    const size_t row_bytes = gguf::RowBytes(type, cols);
    for (Isa isa : CpuIsas()) {
      std::vector<float> y(batch * rows);
      MatMul(type, m.raw.data(), rows, cols, x.data(), batch, y.data(), nullptr, isa);
      std::vector<float> yq(batch * rows);
      MatMulQ8(type, m.raw.data(), rows, cols, x.data(), batch, yq.data(), nullptr, isa);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t r = 0; r < rows; ++r) {
          const float d = DotRow(type, m.raw.data() + r * row_bytes, x.data() + b * cols, cols, isa);
          EXPECT_EQ(Bits(y[b * rows + r]), Bits(d))
              << gguf::TensorTypeName(type) << " " << IsaName(isa) << " r " << r << " b " << b;
          float one;
          MatMulQ8(type, m.raw.data() + r * row_bytes, 1, cols, x.data() + b * cols, 1, &one,
                   nullptr, isa);
          EXPECT_EQ(Bits(yq[b * rows + r]), Bits(one))
              << "Q8 " << gguf::TensorTypeName(type) << " " << IsaName(isa) << " r " << r;
        }
      }
    }
  }
}

// Splitting rows over threads changes nothing.
TEST(KernelsProperty, ThreadCountDoesNotChangeResults) {
  Rng rng(15);
  ThreadPool one(1), two(2), three(3);
  const int64_t rows = 37, batch = 4;
  for (TensorType type : kTypes) {
    const int64_t cols = ColsFor(type);
    Matrix m = RandomMatrix(type, rows, cols, rng);
    std::vector<float> x = RandomVector(batch * cols, rng);
    for (Isa isa : CpuIsas()) {
      for (bool q8 : {false, true}) {
        auto run = [&](ThreadPool* pool) {
          std::vector<float> y(batch * rows);
          (q8 ? MatMulQ8 : MatMul)(type, m.raw.data(), rows, cols, x.data(), batch, y.data(), pool, isa);
          return y;
        };
        const std::vector<float> y1 = run(&one), y2 = run(&two), y3 = run(&three), y0 = run(nullptr);
        for (size_t i = 0; i < y1.size(); ++i) {
          ASSERT_EQ(Bits(y1[i]), Bits(y2[i])) << gguf::TensorTypeName(type) << " " << IsaName(isa);
          ASSERT_EQ(Bits(y1[i]), Bits(y3[i])) << gguf::TensorTypeName(type) << " " << IsaName(isa);
          ASSERT_EQ(Bits(y1[i]), Bits(y0[i])) << gguf::TensorTypeName(type) << " " << IsaName(isa);
        }
      }
    }
  }
}

// MatMulQ8Packed equals MatMulQ8 on the raw rows bit for bit, on every ISA,
// for partial tiles, partial AVX-512 groups, several batch sizes and
// threads. Types without a Q8 kernel pass through to MatMul unowned.
TEST(KernelsProperty, PackedQ8EqualsUnpacked) {
  Rng rng(17);
  ThreadPool three(3);
  const TensorType q8_types[] = {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_K,
                                 TensorType::kQ5_K, TensorType::kQ6_K};
  for (TensorType type : q8_types) {
    const int64_t bs = gguf::GetTensorTypeInfo(type).block_size;
    const int64_t col_list[] = {bs == 32 ? 32 : 256, bs == 32 ? 17 * 32 : 3 * 256,
                                bs == 32 ? 64 * 32 : 8 * 256};
    for (int64_t cols : col_list) {
      for (int64_t rows : {1, 5, 37}) {
        Matrix m = RandomMatrix(type, rows, cols, rng);
        for (int64_t batch : {1, 2, 3, 8}) {
          std::vector<float> x = RandomVector(batch * cols, rng);
          for (Isa isa : CpuIsas()) {
            const PackedWeights p = PackForQ8(type, m.raw.data(), rows, cols, isa);
            EXPECT_EQ(p.rows(), rows);
            EXPECT_EQ(p.cols(), cols);
            for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
              std::vector<float> want(batch * rows), got(batch * rows);
              MatMulQ8(type, m.raw.data(), rows, cols, x.data(), batch, want.data(), pool, isa);
              MatMulQ8Packed(p, x.data(), batch, got.data(), pool);
              for (size_t i = 0; i < got.size(); ++i)
                ASSERT_EQ(Bits(got[i]), Bits(want[i]))
                    << gguf::TensorTypeName(type) << " " << IsaName(isa) << " rows " << rows
                    << " cols " << cols << " batch " << batch << " i " << i;
            }
          }
        }
      }
    }
  }
  const int64_t cols = ColsFor(TensorType::kF16);
  Matrix m = RandomMatrix(TensorType::kF16, 3, cols, rng);
  std::vector<float> x = RandomVector(2 * cols, rng), want(6), got(6);
  const PackedWeights p = PackForQ8(TensorType::kF16, m.raw.data(), 3, cols);
  EXPECT_EQ(p.owned_bytes(), 0);
  MatMul(TensorType::kF16, m.raw.data(), 3, cols, x.data(), 2, want.data(), nullptr);
  MatMulQ8Packed(p, x.data(), 2, got.data(), nullptr);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(Bits(got[i]), Bits(want[i]));
}

// MatMulPacked equals MatMul bit for bit on every ISA and type, for partial
// panels and tiles, several batch sizes and threads. Where the ISA has a
// panel layout for the type (AVX-512: F32, F16, BF16) the pack owns the same
// bytes as the matrix, padded to whole panels (of whole cache lines);
// elsewhere it owns nothing.
TEST(KernelsProperty, PackedF32EqualsUnpacked) {
  Rng rng(18);
  ThreadPool three(3);
  for (TensorType type : kTypes) {
    const int64_t cols = ColsFor(type);
    for (int64_t rows : {1, 17, 70}) {
      Matrix m = RandomMatrix(type, rows, cols, rng);
      for (Isa isa : CpuIsas()) {
        const PackedWeights p = PackForMatMul(type, m.raw.data(), rows, cols, isa);
        const bool panels = isa == Isa::kAvx512 &&
                            (type == TensorType::kF32 || type == TensorType::kF16 || type == TensorType::kBF16);
        const int64_t panel_bytes = (static_cast<int64_t>(gguf::RowBytes(type, cols)) * 16 + 63) / 64 * 64;
        EXPECT_EQ(p.owned_bytes(), panels ? (rows + 15) / 16 * panel_bytes : 0)
            << gguf::TensorTypeName(type) << " " << IsaName(isa);
        for (int64_t batch : {1, 2, 3, 8}) {
          std::vector<float> x = RandomVector(batch * cols, rng);
          for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
            std::vector<float> want(batch * rows), got(batch * rows);
            MatMul(type, m.raw.data(), rows, cols, x.data(), batch, want.data(), pool, isa);
            MatMulPacked(p, x.data(), batch, got.data(), pool);
            for (size_t i = 0; i < got.size(); ++i)
              ASSERT_EQ(Bits(got[i]), Bits(want[i])) << gguf::TensorTypeName(type) << " " << IsaName(isa)
                                                     << " rows " << rows << " batch " << batch << " i " << i;
          }
        }
      }
    }
  }
}

// MatMulPackedMany equals one packed product per job, bit for bit, for a
// mix of 8-bit and F32-activation packs and of row counts, with threads.
TEST(KernelsProperty, ManyEqualsOneAtATime) {
  Rng rng(19);
  ThreadPool three(3);
  const int64_t cols = 256, batch = 5;
  std::vector<float> x = RandomVector(batch * cols, rng);
  for (Isa isa : CpuIsas()) {
    std::vector<Matrix> ms;
    std::vector<PackedWeights> ps;
    const std::pair<TensorType, bool> kinds[] = {
        {TensorType::kQ8_0, true}, {TensorType::kF32, false}, {TensorType::kQ4_K, true}, {TensorType::kF16, false}};
    const int64_t row_counts[] = {37, 70, 5, 16};
    for (int i = 0; i < 4; ++i) {
      ms.push_back(RandomMatrix(kinds[i].first, row_counts[i], cols, rng));
      ps.push_back(kinds[i].second ? PackForQ8(kinds[i].first, ms[i].raw.data(), row_counts[i], cols, isa)
                                   : PackForMatMul(kinds[i].first, ms[i].raw.data(), row_counts[i], cols, isa));
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &three}) {
      std::vector<std::vector<float>> got(4), want(4);
      std::vector<PackedProduct> jobs;
      for (int i = 0; i < 4; ++i) {
        got[i].assign(batch * row_counts[i], 0.0f);
        want[i].assign(batch * row_counts[i], 0.0f);
        jobs.push_back({&ps[i], got[i].data()});
        (ps[i].q8() ? MatMulQ8Packed : MatMulPacked)(ps[i], x.data(), batch, want[i].data(), pool);
      }
      MatMulPackedMany(jobs, x.data(), batch, pool);
      for (int i = 0; i < 4; ++i)
        for (size_t j = 0; j < got[i].size(); ++j)
          ASSERT_EQ(Bits(got[i][j]), Bits(want[i][j])) << IsaName(isa) << " job " << i << " value " << j;
    }
  }
}

TEST(KernelsApi, SupportedTypesAndIsa) {
  for (TensorType t : kTypes) EXPECT_TRUE(IsSupportedWeightType(t)) << gguf::TensorTypeName(t);
  for (TensorType t : {TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ2_K, TensorType::kQ3_K,
                       TensorType::kQ8_K, TensorType::kI8, TensorType::kF64})
    EXPECT_FALSE(IsSupportedWeightType(t)) << gguf::TensorTypeName(t);
  EXPECT_TRUE(CpuSupports(Isa::kPortable));
  EXPECT_TRUE(CpuSupports(DetectIsa()));
  EXPECT_STREQ(IsaName(Isa::kAvx512), "avx512");
}

}  // namespace
}  // namespace steer::model
