// Toy targets for the sampler tests, each with an independent brute-force
// posterior (computed from the same probabilities without the potential or
// sampler code).
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "steer/potential/byte_constraint.h"
#include "steer/potential/combinators.h"
#include "steer/potential/toy_lm.h"
#include "steer/sampler/sampler.h"

namespace steer::sampler::testing {

using Dist = std::map<std::vector<TokenId>, double>;

// A toy problem: token strings, LM weights as a callback, and a byte-level
// constraint given by predicates over the concatenated text.
struct Toy {
  std::vector<std::string> tokens;
  potential::ToyLm::NextFn next;  // unnormalized weights, V+1 entries
  std::function<bool(std::string_view)> prefix_ok, complete_ok;

  int32_t V() const { return static_cast<int32_t>(tokens.size()); }

  Target MakeTarget(EndMode mode = EndMode::kFinishedDocument) const {
    Target t;
    t.base = std::make_shared<potential::ToyLm>(V(), next);
    auto bytes = std::make_shared<potential::ByteConstraint>("toy", prefix_ok, complete_ok);
    t.constraints.push_back(*potential::Coerce(bytes, tokens));
    t.end_mode = mode;
    return t;
  }

  std::string Text(const std::vector<TokenId>& x) const {
    std::string s;
    for (TokenId t : x) s += tokens[t];
    return s;
  }

  // Normalized next-symbol probabilities after x.
  std::vector<double> Probs(const std::vector<TokenId>& x) const {
    std::vector<double> w(V() + 1);
    next(x, w);
    double total = 0;
    for (double v : w) total += v;
    for (double& v : w) v /= total;
    return w;
  }

  // π over token sequences of at most max_tokens tokens, by brute force.
  // Also returns Z (unnormalized total) through *z.
  Dist Posterior(int max_tokens, EndMode mode, double* z) const {
    Dist out;
    double total = 0;
    std::function<void(std::vector<TokenId>&, double)> walk = [&](std::vector<TokenId>& x, double p) {
      const std::string text = Text(x);
      if (!prefix_ok(text)) return;
      const std::vector<double> probs = Probs(x);
      if (mode == EndMode::kStopWhenComplete) {
        if (complete_ok(text)) {
          out[x] += p;
          total += p;
          return;
        }
      } else if (complete_ok(text)) {
        out[x] += p * probs[V()];
        total += p * probs[V()];
      }
      if (static_cast<int>(x.size()) == max_tokens) return;
      for (TokenId t = 0; t < V(); ++t) {
        if (probs[t] == 0 || tokens[t].empty()) continue;
        x.push_back(t);
        walk(x, p * probs[t]);
        x.pop_back();
      }
    };
    std::vector<TokenId> x;
    walk(x, 1.0);
    for (auto it = out.begin(); it != out.end();) {
      if (it->second == 0) {
        it = out.erase(it);
      } else {
        it->second /= total;
        ++it;
      }
    }
    if (z) *z = total;
    return out;
  }
};

// Posterior estimate from weighted samples (weights exp(log_weight),
// renormalized).
inline Dist Estimate(const SampleSet& set) {
  Dist d;
  double total = 0;
  for (const auto& s : set.samples) {
    const double w = std::exp(s.log_weight);
    d[s.tokens] += w;
    total += w;
  }
  for (auto& [k, v] : d) v /= total;
  return d;
}

inline double TotalVariation(const Dist& a, const Dist& b) {
  double tv = 0;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    tv += std::abs(v - (it == b.end() ? 0.0 : it->second));
  }
  for (const auto& [k, v] : b) {
    if (!a.count(k)) tv += v;
  }
  return tv / 2;
}

// check_balance in miniature: after "acc" the model prefers "ount", then
// "_", then "num" (99%), but "account_num" breaks max-ident-len 10. Masking
// is forced into the rare "account_1)"; the posterior prefers "acc_num)".
inline Toy CheckBalance() {
  Toy toy;
  toy.tokens = {"acc", "ount", "_num", "_", "num", "1", ")"};
  auto table = std::make_shared<potential::ToyLm::Table>(potential::ToyLm::Table{
      {{}, {1, 0, 0, 0, 0, 0, 0, 0}},
      {{0}, {0, 0.9, 0.1, 0, 0, 0, 0, 0}},
      {{0, 1}, {0, 0, 0, 0.95, 0, 0, 0.05, 0}},
      {{1, 3}, {0, 0, 0, 0, 0.99, 0.01, 0, 0}},
      {{2}, {0, 0, 0, 0, 0, 0, 1, 0}},
      {{4}, {0, 0, 0, 0, 0, 0, 1, 0}},
      {{5}, {0, 0, 0, 0, 0, 0, 1, 0}},
      {{6}, {0, 0, 0, 0, 0, 0, 0, 1}},
  });
  toy.next = [table](std::span<const TokenId> ctx, std::span<double> w) {
    for (size_t start = 0; start <= ctx.size(); ++start) {
      auto it = table->find(std::vector<TokenId>(ctx.begin() + start, ctx.end()));
      if (it != table->end()) {
        std::copy(it->second.begin(), it->second.end(), w.begin());
        return;
      }
    }
  };
  auto idents_ok = [](std::string_view s) {
    size_t run = 0;
    for (char c : s) {
      run = (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? run + 1 : 0;
      if (run > 10) return false;
    }
    return true;
  };
  toy.prefix_ok = idents_ok;
  toy.complete_ok = idents_ok;
  return toy;
}

}  // namespace steer::sampler::testing
