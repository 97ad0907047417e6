#include "awrs.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "steer/potential/potential.h"
#include "steer/util/fast_exp.h"

namespace steer::sampler::internal {

using potential::kLogZero;

namespace {

// Draws an index with probability p[i] / Σp (p[i] = 0 for removed ones) by a
// linear scan. Returns −1 when nothing is left. The oracle for Fenwick::Draw.
TokenId DrawLinear(std::span<const float> p, double total, double u01) {
  if (!(total > 0)) return -1;
  const double u = u01 * total;
  double acc = 0;
  TokenId last = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) continue;
    acc += p[i];
    last = static_cast<TokenId>(i);
    if (u < acc) return last;
  }
  return last;  // rounding
}

double Sum(std::span<const float> p) {
  double s = 0;
  for (float v : p) s += v;
  return s;
}

// A Fenwick (binary indexed) tree over p: O(V) build, O(log V) removal and
// draw, so a rejection costs O(log V) instead of a scan of the vocabulary.
// tree has n + 1 entries (1-based).
class Fenwick {
 public:
  Fenwick(std::span<const float> p, std::span<double> tree) : p_(p), tree_(tree), n_(p.size()) {
    tree_[0] = 0;
    for (size_t i = 1; i <= n_; ++i) tree_[i] = p[i - 1];
    for (size_t i = 1; i <= n_; ++i) {
      const size_t j = i + (i & (~i + 1));
      if (j <= n_) tree_[j] += tree_[i];
    }
    top_ = 1;
    while (top_ * 2 <= n_) top_ *= 2;
  }
  void Add(size_t index, double delta) {
    for (size_t i = index + 1; i <= n_; i += i & (~i + 1)) tree_[i] += delta;
  }
  double Total() const {
    double s = 0;
    for (size_t i = n_; i > 0; i -= i & (~i + 1)) s += tree_[i];
    return s;
  }
  // The smallest index whose inclusive prefix sum exceeds u01 · total, as
  // DrawLinear picks it; rounding that lands on a removed symbol falls back
  // to the scan.
  TokenId Draw(double total, double u01) const {
    if (!(total > 0)) return -1;
    const double u = u01 * total;
    size_t pos = 0;
    double rem = u;
    for (size_t step = top_; step > 0; step /= 2) {
      if (pos + step <= n_ && tree_[pos + step] <= rem) {
        pos += step;
        rem -= tree_[pos];
      }
    }
    if (pos >= n_ || p_[pos] == 0) return DrawLinear(p_, total, u01);
    return static_cast<TokenId>(pos);
  }

 private:
  std::span<const float> p_;
  std::span<double> tree_;
  size_t n_;
  size_t top_ = 1;
};

}  // namespace

Result<Choice> AwrsChoose(std::span<const double> base_row, const std::function<Result<bool>(TokenId)>& accept,
                          Rng& rng, AwrsScratch* scratch) {
  const TokenId end = static_cast<TokenId>(base_row.size()) - 1;
  const double m = MaxOf(base_row);
  if (m == kLogZero) return Choice{end, kLogZero};
  const size_t n = base_row.size();
  scratch->p.resize(n);
  scratch->tree.resize(n + 1);
  // p = exp(row − m) in float (ExpFloat: 4e-7 relative), unnormalized, and
  // the double sums of its blocks of `block` entries (at most kMaxBlocks):
  // one pass over the row, block by block while each is in L1, gives p, the
  // block sums and Z.
  constexpr size_t kMaxBlocks = 512;
  const size_t block = std::max<size_t>(256, (n + kMaxBlocks - 1) / kMaxBlocks);
  const size_t blocks = (n + block - 1) / block;
  double block_sums[kMaxBlocks];
  std::span<float> p(scratch->p.data(), n);
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = b * block, len = std::min(block, n - begin);
    for (size_t i = begin; i < begin + len; ++i) p[i] = static_cast<float>(base_row[i] - m);
    const std::span<float> part = p.subspan(begin, len);
    ExpFloat(part, part);
    block_sums[b] = SumOf(std::span<const float>(part));
    total += block_sums[b];
  }
  const double log_z = m + std::log(total);
  // Until the first rejection, a draw walks the block sums and scans one
  // block (O(V / block + block)); when the constraint accepts the first
  // draw, as it mostly does for a model that agrees with it, that is all.
  // The first rejection builds the Fenwick tree (O(V) once) for the O(log V)
  // draws after it.
  std::optional<Fenwick> tree;
  auto draw = [&](double remaining) -> TokenId {
    if (tree) return tree->Draw(remaining, rng.Uniform());
    const double u01 = rng.Uniform();
    const Found f = FindInBlocks(p.data(), n, block, std::span<const double>(block_sums, blocks), nullptr,
                                 u01 * remaining);
    if (f.found) return static_cast<TokenId>(f.index);
    return DrawLinear(p, remaining, u01);  // rounding left u at the end: the scan's answer
  };
  double remaining = total;
  TokenId sample = -1;
  int64_t rejections = 0;
  double kept_after_round1 = 1.0;  // 1 − R1, as a fraction of the total mass
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      const TokenId t = draw(remaining);
      if (t < 0) break;  // everything left was rejected
      STEER_ASSIGN_OR_RETURN(const bool ok, accept(t));
      if (ok) {
        if (sample < 0) sample = t;
        break;
      }
      ++rejections;
      if (!tree) tree.emplace(p, std::span<double>(scratch->tree));
      tree->Add(static_cast<size_t>(t), -p[t]);
      p[t] = 0;
      remaining = tree->Total();
      if (remaining < 1e-6 * total) remaining = Sum(p);  // no drift when almost all is gone
    }
    if (round == 0) {
      if (sample < 0) return Choice{end, kLogZero};
      remaining = tree ? Sum(p) : total;
      kept_after_round1 = remaining / total;
    }
  }
  return Choice{sample, log_z + std::log(kept_after_round1) - std::log(static_cast<double>(rejections + 1))};
}

}  // namespace steer::sampler::internal
