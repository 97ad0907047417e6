#include "steer/potential/contract.h"

#include <cmath>
#include <string>

namespace steer::potential {
namespace {

bool Agree(double a, double b, double tol) {
  if (a == kLogZero || b == kLogZero) return a == b;
  return std::abs(a - b) <= tol * std::max(1.0, std::abs(a));
}

std::string Describe(std::span<const TokenId> x) {
  std::string s = "[";
  for (size_t i = 0; i < x.size(); ++i) {
    if (i > 0) s += ',';
    s += std::to_string(x[i]);
  }
  return s + "]";
}

Status Violation(const Potential& p, const std::string& what, std::span<const TokenId> x, double got,
                 double want) {
  return MakeError(ErrorCode::kInternal,
                   what + ": got " + std::to_string(got) + ", want " + std::to_string(want),
                   p.name() + " at context " + Describe(x));
}

}  // namespace

Status CheckContract(Potential& p, std::span<const std::vector<TokenId>> contexts, double tolerance) {
  const int32_t v = p.vocab_size();
  const size_t width = static_cast<size_t>(v) + 1;
  std::vector<StatePtr> states;
  std::vector<double> rows(contexts.size() * width);
  std::vector<double> row(width);
  STEER_ASSIGN_OR_RETURN(StatePtr empty, p.Start());
  const double log_empty = p.LogPrefix(*empty);

  for (size_t c = 0; c < contexts.size(); ++c) {
    std::span<const TokenId> x = contexts[c];
    // Build x step by step, accumulating the factorization.
    STEER_ASSIGN_OR_RETURN(StatePtr s, p.Start());
    double acc = log_empty;
    for (size_t i = 0; i < x.size(); ++i) {
      STEER_RETURN_IF_ERROR(p.LogWeightNextOne(*s, row));
      acc += row[x[i]];
      STEER_RETURN_IF_ERROR(p.ExtendOne(*s, x[i]));
    }
    const double prefix = p.LogPrefix(*s);
    if (std::isnan(prefix)) return Violation(p, "prefix is NaN", x, prefix, 0);
    if (!Agree(prefix, acc, tolerance)) {
      return Violation(p, "prefix differs from the product of logw_next", x, prefix, acc);
    }
    STEER_RETURN_IF_ERROR(p.LogWeightNextOne(*s, row));
    STEER_ASSIGN_OR_RETURN(const double complete, p.LogCompleteOne(*s));
    if (std::isnan(complete)) return Violation(p, "complete is NaN", x, complete, 0);
    for (size_t t = 0; t < width; ++t) {
      if (std::isnan(row[t])) return Violation(p, "logw_next[" + std::to_string(t) + "] is NaN", x, row[t], 0);
    }
    if (prefix == kLogZero) {
      for (size_t t = 0; t < width; ++t) {
        if (row[t] != kLogZero) {
          return Violation(p, "zero prefix but logw_next[" + std::to_string(t) + "] > 0 weight", x, row[t],
                           kLogZero);
        }
      }
      if (complete != kLogZero) return Violation(p, "zero prefix but complete > 0", x, complete, kLogZero);
    } else {
      if (!Agree(row[v], complete - prefix, tolerance)) {
        return Violation(p, "logw_next[end] differs from complete − prefix", x, row[v], complete - prefix);
      }
      for (TokenId t = 0; t < v; ++t) {
        StatePtr fork = p.Fork(*s);
        STEER_RETURN_IF_ERROR(p.ExtendOne(*fork, t));
        const double next = p.LogPrefix(*fork);
        if (!Agree(row[t], next - prefix, tolerance)) {
          return Violation(p, "logw_next[" + std::to_string(t) + "] differs from prefix(x·t) − prefix(x)", x,
                           row[t], next - prefix);
        }
        if (t == 0 || t == v - 1) {
          std::vector<TokenId> xt(x.begin(), x.end());
          xt.push_back(t);
          STEER_ASSIGN_OR_RETURN(const double rebuilt, p.LogPrefixOf(xt));
          if (!Agree(next, rebuilt, tolerance)) {
            return Violation(p, "fork-then-extend differs from rebuilding x·" + std::to_string(t), x, next,
                             rebuilt);
          }
        }
      }
      if (!Agree(p.LogPrefix(*s), prefix, 0)) {
        return Violation(p, "extending a fork changed the original", x, p.LogPrefix(*s), prefix);
      }
    }
    std::copy(row.begin(), row.end(), rows.begin() + c * width);
    states.push_back(std::move(s));
  }

  // Batched equals single.
  std::vector<const State*> batch;
  for (const auto& s : states) batch.push_back(s.get());
  std::vector<double> batched(rows.size());
  STEER_RETURN_IF_ERROR(p.LogWeightNext(batch, batched));
  std::vector<double> completes(states.size());
  STEER_RETURN_IF_ERROR(p.LogComplete(batch, completes));
  // AddLogWeightNext adds the same rows onto a base with finite and −inf
  // entries.
  std::vector<double> base(rows.size()), added(rows.size());
  for (size_t j = 0; j < base.size(); ++j) base[j] = j % 7 == 3 ? kLogZero : -0.25 * static_cast<double>(j % 11);
  added = base;
  STEER_RETURN_IF_ERROR(p.AddLogWeightNext(batch, added));
  for (size_t c = 0; c < contexts.size(); ++c) {
    for (size_t t = 0; t < width; ++t) {
      if (!Agree(batched[c * width + t], rows[c * width + t], tolerance)) {
        return Violation(p, "batched logw_next[" + std::to_string(t) + "] differs from single", contexts[c],
                         batched[c * width + t], rows[c * width + t]);
      }
      const double want = base[c * width + t] + rows[c * width + t];
      if (!Agree(added[c * width + t], want, tolerance)) {
        return Violation(p, "AddLogWeightNext[" + std::to_string(t) + "] differs from base + logw_next", contexts[c],
                         added[c * width + t], want);
      }
    }
    STEER_ASSIGN_OR_RETURN(const double single, p.LogCompleteOne(*states[c]));
    if (!Agree(completes[c], single, tolerance)) {
      return Violation(p, "batched complete differs from single", contexts[c], completes[c], single);
    }
    // Optional views describe the same row.
    const std::span<const double> row(rows.data() + c * width, width);
    Potential::NextLogits lm;
    if (p.ViewNextLogits(*states[c], &lm)) {
      if (lm.logits.size() != static_cast<size_t>(v)) {
        return Violation(p, "ViewNextLogits gives a row of the wrong length", contexts[c],
                         static_cast<double>(lm.logits.size()), v);
      }
      for (TokenId t = 0; t <= v; ++t) {
        const double want = t == lm.moved ? kLogZero
                            : t == v      ? (lm.moved >= 0 ? lm.logits[lm.moved] - lm.log_norm : kLogZero)
                                          : lm.logits[t] - lm.log_norm;
        if (!Agree(row[t], want, tolerance)) {
          return Violation(p, "ViewNextLogits[" + std::to_string(t) + "] differs from logw_next", contexts[c], want,
                           row[t]);
        }
      }
    }
    Potential::AllowedSet allowed;
    if (p.ViewAllowed(*states[c], &allowed)) {
      for (TokenId t = 0; t <= v; ++t) {
        const bool on = t == v ? allowed.end : ((allowed.words[t >> 6] >> (t & 63)) & 1u) != 0;
        if ((row[t] == 0) != on || (!on && row[t] != kLogZero)) {
          return Violation(p, "ViewAllowed[" + std::to_string(t) + "] differs from logw_next", contexts[c],
                           on ? 0 : kLogZero, row[t]);
        }
      }
    }
  }
  // Batched Extend equals single Extend: extend every state by token 0 at once.
  if (!states.empty()) {
    std::vector<StatePtr> forks;
    std::vector<State*> ext;
    std::vector<TokenId> zeros(states.size(), 0);
    for (const auto& s : states) {
      forks.push_back(p.Fork(*s));
      ext.push_back(forks.back().get());
    }
    STEER_RETURN_IF_ERROR(p.Extend(ext, zeros));
    for (size_t c = 0; c < contexts.size(); ++c) {
      StatePtr one = p.Fork(*states[c]);
      STEER_RETURN_IF_ERROR(p.ExtendOne(*one, 0));
      if (!Agree(p.LogPrefix(*forks[c]), p.LogPrefix(*one), tolerance)) {
        return Violation(p, "batched Extend differs from single", contexts[c], p.LogPrefix(*forks[c]),
                         p.LogPrefix(*one));
      }
    }
  }
  return {};
}

}  // namespace steer::potential
