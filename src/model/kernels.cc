// Public kernel API: ISA detection, dispatch, and the row-tiled matrix
// products built on each ISA's KernelTable.
//
// MatMul (F32 activations):
// - Types the ISA multiplies from panels (AVX-512: F32, F16, BF16): each
//   tile of fpanel_tile_rows rows is rearranged into panels (one row per
//   lane) in per-thread scratch and run against the whole batch;
//   PackForMatMul / MatMulPacked do the rearranging once instead.
// - Other types: rows are processed in tiles of TileRows(cols) rows (4..16,
//   so that a tile's F32 copy is ~32 KiB and stays in L1). A tile is
//   dequantized once into a per-thread scratch buffer and then dotted with
//   every batch row. At batch <= 2, Q8_0 rows (and on AVX2 F16 and BF16
//   rows) are converted in registers instead (same results).
// Either way each weight byte is read from memory once per call, whatever
// the batch size.
//
// MatMulQ8 (8-bit activations, quantized weights): the batch is quantized
// once per call (into the ISA's own layout), then each tile's weight blocks
// are dotted with it in integers; the AVX-512 path first rearranges a
// tile's rows into panels with one row per VNNI lane (kernels_avx512.cc),
// reused for the whole batch. No dequantized F32 copy is made.
// MatMulQ8Packed skips that rearrangement by using a copy made once by
// PackForQ8. MatMulPackedMany runs several packed products that share x in
// one pass.
//
// Every path gives the same result for a (row, batch row) whatever the
// batch size, the tiling, the packing and the thread count: each dot's
// summation order depends only on cols.
#include <cpuid.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "model/kernels_internal.h"
#include "steer/model/kernels.h"
#include "steer/util/check.h"
#include "steer/util/thread_pool.h"

namespace steer::model {
namespace {

using gguf::TensorType;
using internal::KernelTable;

using internal::kMaxTileRows;

// Up to this batch size, types the ISA converts in registers skip the
// scratch copy (each batch row then converts the weights again).
constexpr int64_t kMaxRawBatch = 2;

// Rows per F32 tile: a multiple of 4 in [4, 16] whose F32 copy fits in
// ~32 KiB.
int64_t TileRows(int64_t cols) {
  const int64_t fit = 32768 / (4 * std::max<int64_t>(cols, 1)) / 4 * 4;
  return std::clamp<int64_t>(fit, 4, 16);
}

// Rows per tile of the 8-bit-activation products on `k`.
int64_t Q8TileRows(const KernelTable& k, int64_t cols) {
  return k.q8a_tile_rows != 0 ? k.q8a_tile_rows : TileRows(cols);
}

const KernelTable& Kernels(Isa isa) {
  STEER_CHECK_MSG(CpuSupports(isa), "kernel ISA not supported by this CPU");
  switch (isa) {
    case Isa::kAvx512: return internal::Avx512Kernels();
    case Isa::kAvx2: return internal::Avx2Kernels();
    case Isa::kPortable: break;
  }
  return internal::PortableKernels();
}

void CheckShape(TensorType type, int64_t cols) {
  STEER_CHECK_MSG(IsSupportedWeightType(type), "unsupported weight type");
  STEER_CHECK(cols >= 0 && cols % gguf::GetTensorTypeInfo(type).block_size == 0);
}

// Runs fn(tile_begin, tile_end) over [0, tiles), on `pool` if given.
template <class Fn>
void ForTiles(int64_t tiles, ThreadPool* pool, const Fn& fn) {
  if (pool == nullptr || pool->num_threads() == 1) {
    fn(0, tiles);
    return;
  }
  pool->ParallelFor(static_cast<size_t>(tiles), [&](size_t b, size_t e, int) {
    fn(static_cast<int64_t>(b), static_cast<int64_t>(e));
  });
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kPortable: return "portable";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

namespace {
// F16C is CPUID leaf 1, ECX bit 29. Asked directly because clang's
// __builtin_cpu_supports does not know "f16c".
bool HasF16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && ((ecx >> 29) & 1u);
}
}  // namespace

// Probed once: CPUID (in HasF16c) traps to the hypervisor in a VM, and
// Kernels() checks support on every matmul call. A per-token CPUID per
// matmul made stories260K 4x slower.
bool CpuSupports(Isa isa) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && HasF16c();
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  switch (isa) {
    case Isa::kPortable: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512: return avx512;
  }
  return false;
}

Isa DetectIsa() {
  static const Isa best = [] {
    // STEER_ISA=portable|avx2|avx512 caps the choice (for comparisons); an
    // unknown or unsupported value is ignored.
    if (const char* env = std::getenv("STEER_ISA")) {
      for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512})
        if (std::strcmp(env, IsaName(isa)) == 0 && CpuSupports(isa)) return isa;
    }
    return CpuSupports(Isa::kAvx512) ? Isa::kAvx512
           : CpuSupports(Isa::kAvx2) ? Isa::kAvx2
                                     : Isa::kPortable;
  }();
  return best;
}

bool IsSupportedWeightType(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kBF16:
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

bool HasQ8ActivationKernel(TensorType type) {
  switch (type) {
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return true;
    default:
      return false;
  }
}

void DequantizeRow(TensorType type, const void* src, float* dst, int64_t n, Isa isa) {
  CheckShape(type, n);
  Kernels(isa).dequantize_row(type, src, dst, n);
}

float DotRow(TensorType type, const void* w, const float* x, int64_t n, Isa isa) {
  float y;
  MatMul(type, w, 1, n, x, 1, &y, nullptr, isa);
  return y;
}

namespace {

bool HasFPanels(const KernelTable& k, TensorType type) {
  return k.has_fpanels != nullptr && k.has_fpanels(type);
}

using PackPanelFn = void (*)(TensorType, const uint8_t* const*, int, int64_t, uint8_t*);

// Packs rows [r0, r0 + nr) of w into consecutive panels of panel_rows rows
// (panel_bytes apart) at out, with `pack` (an ISA's pack_q8a_panel or
// pack_fpanel).
void PackPanels(PackPanelFn pack, int panel_rows, int64_t panel_bytes, TensorType type, const uint8_t* w,
                int64_t r0, int64_t nr, int64_t cols, uint8_t* out) {
  const size_t row_bytes = gguf::RowBytes(type, cols);
  for (int64_t p = 0; p * panel_rows < nr; ++p) {
    const int n = static_cast<int>(std::min<int64_t>(panel_rows, nr - p * panel_rows));
    const uint8_t* rp[kMaxTileRows];
    for (int i = 0; i < n; ++i) rp[i] = w + static_cast<size_t>(r0 + p * panel_rows + i) * row_bytes;
    pack(type, rp, n, cols, out + p * panel_bytes);
  }
}

struct alignas(64) CacheLine {
  uint8_t bytes[64];
};

}  // namespace

void MatMul(TensorType type, const void* w, int64_t rows, int64_t cols, const float* x,
            int64_t batch, float* y, ThreadPool* pool, Isa isa) {
  CheckShape(type, cols);
  STEER_CHECK(rows >= 0 && batch >= 0);
  if (rows == 0 || batch == 0) return;
  const KernelTable& k = Kernels(isa);
  const auto* wbytes = static_cast<const uint8_t*>(w);
  if (HasFPanels(k, type)) {  // each tile packed into panels, as PackForMatMul does once
    const int64_t tile_rows = k.fpanel_tile_rows;
    const int64_t tiles = (rows + tile_rows - 1) / tile_rows;
    ForTiles(tiles, pool, [&](int64_t t0, int64_t t1) {
      // One tile's panels; grows once per thread, never shrinks.
      thread_local std::vector<CacheLine> panels;
      const size_t need = static_cast<size_t>(tile_rows / k.fpanel_rows * k.fpanel_bytes(type, cols) / 64);
      if (panels.size() < need) panels.resize(need);
      auto* out = reinterpret_cast<uint8_t*>(panels.data());
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t r0 = t * tile_rows;
        const int nr = static_cast<int>(std::min<int64_t>(tile_rows, rows - r0));
        PackPanels(k.pack_fpanel, k.fpanel_rows, k.fpanel_bytes(type, cols), type, wbytes, r0, nr, cols, out);
        k.dot_tile_fpanels(type, out, nr, cols, x, batch, y + r0, rows);
      }
    });
    return;
  }
  const size_t row_bytes = gguf::RowBytes(type, cols);
  const int64_t tile_rows = TileRows(cols);
  const int64_t tiles = (rows + tile_rows - 1) / tile_rows;
  ForTiles(tiles, pool, [&](int64_t t0, int64_t t1) {
    // Grows to tile_rows * cols once per thread; never shrinks.
    thread_local std::vector<float> scratch;
    if (type != TensorType::kF32 && scratch.size() < static_cast<size_t>(tile_rows * cols))
      scratch.resize(static_cast<size_t>(tile_rows * cols));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * tile_rows;
      const int nr = static_cast<int>(std::min<int64_t>(tile_rows, rows - r0));
      if (batch <= kMaxRawBatch && k.dot_tile_raw != nullptr) {
        const uint8_t* raw[kMaxTileRows];
        for (int i = 0; i < nr; ++i) raw[i] = wbytes + static_cast<size_t>(r0 + i) * row_bytes;
        if (k.dot_tile_raw(type, raw, nr, cols, x, batch, y + r0, rows)) continue;
      }
      const float* wr[kMaxTileRows];
      for (int i = 0; i < nr; ++i) {
        const uint8_t* src = wbytes + static_cast<size_t>(r0 + i) * row_bytes;
        if (type == TensorType::kF32) {
          wr[i] = reinterpret_cast<const float*>(src);
        } else {
          float* dst = scratch.data() + i * cols;
          k.dequantize_row(type, src, dst, cols);
          wr[i] = dst;
        }
      }
      k.dot_tile(wr, nr, cols, x, batch, y + r0, rows);
    }
  });
}

namespace {

// Quantizes the batch into the calling thread's buffer (64-byte aligned;
// grows once, never shrinks) in the layout of `k`; returns it.
// Rows are split over `pool` from 8 rows on.
const void* QuantizeBatch(const KernelTable& k, const float* x, int64_t batch, int64_t cols, ThreadPool* pool) {
  thread_local std::vector<CacheLine> xq;
  const int64_t xq_row = k.q8a_row_bytes(cols);
  if (static_cast<int64_t>(xq.size() * sizeof(CacheLine)) < batch * xq_row)
    xq.resize(static_cast<size_t>(batch * xq_row) / sizeof(CacheLine));
  struct Job {
    const KernelTable* k;
    const float* x;
    int64_t cols, xq_row;
    uint8_t* out;
    void Rows(int64_t b0, int64_t b1) const {
      for (int64_t b = b0; b < b1; ++b) k->quantize_q8a(x + b * cols, cols, out + b * xq_row);
    }
  } job{&k, x, cols, xq_row, reinterpret_cast<uint8_t*>(xq.data())};
  if (pool == nullptr || pool->num_threads() == 1 || batch < 8) {
    job.Rows(0, batch);
  } else {
    const Job* j = &job;  // one pointer captured: no allocation in std::function
    pool->ParallelFor(static_cast<size_t>(batch), [j](size_t b0, size_t b1, int) {
      j->Rows(static_cast<int64_t>(b0), static_cast<int64_t>(b1));
    });
  }
  return job.out;
}

}  // namespace

void MatMulQ8(TensorType type, const void* w, int64_t rows, int64_t cols, const float* x,
              int64_t batch, float* y, ThreadPool* pool, Isa isa) {
  if (!HasQ8ActivationKernel(type)) {
    MatMul(type, w, rows, cols, x, batch, y, pool, isa);
    return;
  }
  CheckShape(type, cols);
  STEER_CHECK(rows >= 0 && batch >= 0);
  if (rows == 0 || batch == 0) return;
  const KernelTable& k = Kernels(isa);
  const void* xqp = QuantizeBatch(k, x, batch, cols, pool);
  const auto* wbytes = static_cast<const uint8_t*>(w);
  const size_t row_bytes = gguf::RowBytes(type, cols);
  const int64_t tile_rows = Q8TileRows(k, cols);
  const int64_t tiles = (rows + tile_rows - 1) / tile_rows;
  ForTiles(tiles, pool, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * tile_rows;
      const int nr = static_cast<int>(std::min<int64_t>(tile_rows, rows - r0));
      const uint8_t* wr[kMaxTileRows];
      for (int i = 0; i < nr; ++i) wr[i] = wbytes + static_cast<size_t>(r0 + i) * row_bytes;
      k.dot_tile_q8a(type, wr, nr, cols, xqp, batch, y + r0, rows);
    }
  });
}

PackedWeights PackedWeights::Make(TensorType type, const void* w, int64_t rows, int64_t cols, Isa isa, bool q8) {
  CheckShape(type, cols);
  STEER_CHECK(rows >= 0);
  const KernelTable& k = Kernels(isa);
  PackedWeights p;
  p.type_ = type;
  p.rows_ = rows;
  p.cols_ = cols;
  p.isa_ = isa;
  p.raw_ = w;
  p.q8_ = q8;
  const bool panels = q8 ? HasQ8ActivationKernel(type) && k.q8a_panel_bytes != nullptr : HasFPanels(k, type);
  if (!panels) return p;
  p.panel_rows_ = q8 ? k.q8a_panel_rows : k.fpanel_rows;
  p.panel_bytes_ = q8 ? k.q8a_panel_bytes(type, cols) : k.fpanel_bytes(type, cols);
  STEER_CHECK(p.panel_bytes_ % 64 == 0 && (q8 ? k.q8a_tile_rows : k.fpanel_tile_rows) % p.panel_rows_ == 0);
  p.lines_.resize(static_cast<size_t>((rows + p.panel_rows_ - 1) / p.panel_rows_ * p.panel_bytes_ / 64));
  PackPanels(q8 ? k.pack_q8a_panel : k.pack_fpanel, static_cast<int>(p.panel_rows_), p.panel_bytes_, type,
             static_cast<const uint8_t*>(w), 0, rows, cols, reinterpret_cast<uint8_t*>(p.lines_.data()));
  return p;
}

PackedWeights PackForQ8(TensorType type, const void* w, int64_t rows, int64_t cols, Isa isa) {
  return PackedWeights::Make(type, w, rows, cols, isa, /*q8=*/true);
}

PackedWeights PackForMatMul(TensorType type, const void* w, int64_t rows, int64_t cols, Isa isa) {
  return PackedWeights::Make(type, w, rows, cols, isa, /*q8=*/false);
}

void MatMulPackedMany(std::span<const PackedProduct> jobs, const float* x, int64_t batch, ThreadPool* pool) {
  STEER_CHECK(batch >= 0);
  if (jobs.empty() || batch == 0) return;
  const int64_t cols = jobs[0].w->cols_;
  const Isa isa = jobs[0].w->isa_;
  // Jobs without an owned copy run alone, through the unpacked products.
  // (Fixed arrays: Forward's decode allocates nothing after warm-up.)
  constexpr size_t kMaxJobs = 8;
  STEER_CHECK(jobs.size() <= kMaxJobs);
  const PackedProduct* packed[kMaxJobs];
  size_t n_packed = 0;
  bool any_q8 = false;
  for (const PackedProduct& j : jobs) {
    const PackedWeights& w = *j.w;
    STEER_CHECK(w.cols_ == cols && w.isa_ == isa);
    if (w.panel_bytes_ == 0) {
      (w.q8_ ? MatMulQ8 : MatMul)(w.type_, w.raw_, w.rows_, w.cols_, x, batch, j.y, pool, w.isa_);
    } else if (w.rows_ > 0) {
      packed[n_packed++] = &j;
      any_q8 = any_q8 || w.q8_;
    }
  }
  if (n_packed == 0) return;
  const KernelTable& k = Kernels(isa);
  const void* xq = any_q8 ? QuantizeBatch(k, x, batch, cols, pool) : nullptr;
  // first[i] = index of job i's first tile among all jobs' tiles.
  int64_t first[kMaxJobs + 1] = {0};
  auto tile_rows = [&](const PackedWeights& w) { return w.q8_ ? k.q8a_tile_rows : k.fpanel_tile_rows; };
  for (size_t i = 0; i < n_packed; ++i) {
    const PackedWeights& w = *packed[i]->w;
    first[i + 1] = first[i] + (w.rows_ + tile_rows(w) - 1) / tile_rows(w);
  }
  ForTiles(first[n_packed], pool, [&](int64_t t0, int64_t t1) {
    size_t i = 0;
    for (int64_t t = t0; t < t1; ++t) {
      while (t >= first[i + 1]) ++i;
      const PackedWeights& w = *packed[i]->w;
      const int64_t r0 = (t - first[i]) * tile_rows(w);
      const int nr = static_cast<int>(std::min<int64_t>(tile_rows(w), w.rows_ - r0));
      const uint8_t* panels = reinterpret_cast<const uint8_t*>(w.lines_.data()) + r0 / w.panel_rows_ * w.panel_bytes_;
      if (w.q8_)
        k.dot_tile_q8a_packed(w.type_, panels, nr, cols, xq, batch, packed[i]->y + r0, w.rows_);
      else
        k.dot_tile_fpanels(w.type_, panels, nr, cols, x, batch, packed[i]->y + r0, w.rows_);
    }
  });
}

void MatMulQ8Packed(const PackedWeights& w, const float* x, int64_t batch, float* y, ThreadPool* pool) {
  STEER_CHECK_MSG(w.q8(), "weights packed for MatMulPacked");
  const PackedProduct job{&w, y};
  MatMulPackedMany({&job, 1}, x, batch, pool);
}

void MatMulPacked(const PackedWeights& w, const float* x, int64_t batch, float* y, ThreadPool* pool) {
  STEER_CHECK_MSG(!w.q8(), "weights packed for MatMulQ8Packed");
  const PackedProduct job{&w, y};
  MatMulPackedMany({&job, 1}, x, batch, pool);
}

}  // namespace steer::model
