#include "steer/potential/combinators.h"

#include <algorithm>
#include <utility>

#include "steer/potential/byte_constraint.h"
#include "steer/util/check.h"

namespace steer::potential {
namespace {

// ---- Product ----------------------------------------------------------------

class ProductPotential final : public Potential {
 public:
  explicit ProductPotential(std::vector<std::shared_ptr<Potential>> factors)
      : factors_(std::move(factors)) {}

  int32_t vocab_size() const override { return factors_[0]->vocab_size(); }
  std::string name() const override {
    std::string s = "product(";
    for (size_t k = 0; k < factors_.size(); ++k) s += (k ? ", " : "") + factors_[k]->name();
    return s + ")";
  }

  Result<StatePtr> Start() override {
    auto s = std::make_unique<ProductState>();
    for (auto& f : factors_) {
      STEER_ASSIGN_OR_RETURN(StatePtr sub, f->Start());
      s->parts.push_back(std::move(sub));
    }
    return StatePtr(std::move(s));
  }

  StatePtr Fork(const State& s) override {
    const auto& p = static_cast<const ProductState&>(s);
    auto out = std::make_unique<ProductState>();
    for (size_t k = 0; k < factors_.size(); ++k) out->parts.push_back(factors_[k]->Fork(*p.parts[k]));
    return out;
  }

  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override {
    msub_.resize(states.size());
    for (size_t k = 0; k < factors_.size(); ++k) {
      for (size_t i = 0; i < states.size(); ++i) msub_[i] = Part(*states[i], k);
      STEER_RETURN_IF_ERROR(factors_[k]->Extend(msub_, tokens));
    }
    return {};
  }

  double LogPrefix(const State& s) const override {
    const auto& p = static_cast<const ProductState&>(s);
    double sum = 0;
    for (size_t k = 0; k < factors_.size(); ++k) sum += factors_[k]->LogPrefix(*p.parts[k]);
    return sum;
  }

  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    STEER_CHECK(out.size() == states.size());
    std::fill(out.begin(), out.end(), 0.0);
    csub_.resize(states.size());
    scratch_.resize(states.size());
    for (size_t k = 0; k < factors_.size(); ++k) {
      for (size_t i = 0; i < states.size(); ++i) csub_[i] = Part(*states[i], k);
      STEER_RETURN_IF_ERROR(factors_[k]->LogComplete(csub_, scratch_));
      for (size_t i = 0; i < states.size(); ++i) out[i] += scratch_[i];
    }
    return {};
  }

  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    STEER_CHECK(out.size() == states.size() * (static_cast<size_t>(vocab_size()) + 1));
    csub_.resize(states.size());
    for (size_t k = 0; k < factors_.size(); ++k) {
      for (size_t i = 0; i < states.size(); ++i) csub_[i] = Part(*states[i], k);
      if (k == 0) {
        STEER_RETURN_IF_ERROR(factors_[k]->LogWeightNext(csub_, out));
        continue;
      }
      scratch_.resize(out.size());
      STEER_RETURN_IF_ERROR(factors_[k]->LogWeightNext(csub_, scratch_));
      for (size_t j = 0; j < out.size(); ++j) out[j] += scratch_[j];
    }
    return {};
  }

 private:
  struct ProductState final : State {
    std::vector<StatePtr> parts;  // one per factor, in factor order
  };
  static State* Part(State& s, size_t k) { return static_cast<ProductState&>(s).parts[k].get(); }
  static const State* Part(const State& s, size_t k) {
    return static_cast<const ProductState&>(s).parts[k].get();
  }

  std::vector<std::shared_ptr<Potential>> factors_;
  // Scratch, reused across calls.
  std::vector<double> scratch_;
  std::vector<State*> msub_;
  std::vector<const State*> csub_;
};

// ---- Power ------------------------------------------------------------------

class PowerPotential final : public Potential {
 public:
  PowerPotential(std::shared_ptr<Potential> base, double alpha) : base_(std::move(base)), alpha_(alpha) {}

  int32_t vocab_size() const override { return base_->vocab_size(); }
  std::string name() const override {
    return "power(" + base_->name() + ", " + std::to_string(alpha_) + ")";
  }
  Result<StatePtr> Start() override { return base_->Start(); }
  StatePtr Fork(const State& s) override { return base_->Fork(s); }
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override {
    return base_->Extend(states, tokens);
  }
  // alpha > 0, so −inf·alpha = −inf and no NaN can arise.
  double LogPrefix(const State& s) const override { return alpha_ * base_->LogPrefix(s); }
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    STEER_RETURN_IF_ERROR(base_->LogComplete(states, out));
    for (double& v : out) v *= alpha_;
    return {};
  }
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    STEER_RETURN_IF_ERROR(base_->LogWeightNext(states, out));
    for (double& v : out) v *= alpha_;
    return {};
  }

 private:
  std::shared_ptr<Potential> base_;
  double alpha_;
};

// ---- Primed -----------------------------------------------------------------

class PrimedPotential final : public Potential {
 public:
  PrimedPotential(std::shared_ptr<Potential> base, std::vector<TokenId> context)
      : base_(std::move(base)), context_(std::move(context)) {}

  int32_t vocab_size() const override { return base_->vocab_size(); }
  std::string name() const override { return "primed(" + base_->name() + ")"; }
  Result<StatePtr> Start() override { return base_->StateOf(context_); }
  StatePtr Fork(const State& s) override { return base_->Fork(s); }
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override {
    return base_->Extend(states, tokens);
  }
  double LogPrefix(const State& s) const override { return base_->LogPrefix(s); }
  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    return base_->LogComplete(states, out);
  }
  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    return base_->LogWeightNext(states, out);
  }

 private:
  std::shared_ptr<Potential> base_;
  std::vector<TokenId> context_;
};

// ---- Coerce -----------------------------------------------------------------

// A trie over token bytes. Node 0 is the root; children are sorted by byte.
struct TokenTrie {
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;
    std::vector<TokenId> tokens;  // tokens whose bytes end here
  };
  std::vector<Node> nodes;

  explicit TokenTrie(const std::vector<std::string>& token_bytes) : nodes(1) {
    for (TokenId t = 0; t < static_cast<TokenId>(token_bytes.size()); ++t) {
      const std::string& bytes = token_bytes[t];
      if (bytes.empty()) continue;
      int32_t n = 0;
      for (char c : bytes) {
        const uint8_t b = static_cast<uint8_t>(c);
        auto& ch = nodes[n].children;
        auto it = std::lower_bound(ch.begin(), ch.end(), std::make_pair(b, int32_t{-1}));
        if (it != ch.end() && it->first == b) {
          n = it->second;
        } else {
          const int32_t fresh = static_cast<int32_t>(nodes.size());
          ch.insert(it, {b, fresh});
          nodes.emplace_back();
          n = fresh;
        }
      }
      nodes[n].tokens.push_back(t);
    }
  }
};

class CoercePotential final : public Potential {
 public:
  CoercePotential(std::shared_ptr<Potential> bytes, std::vector<std::string> token_bytes)
      : inner_(std::move(bytes)), token_bytes_(std::move(token_bytes)), trie_(token_bytes_) {}

  int32_t vocab_size() const override { return static_cast<int32_t>(token_bytes_.size()); }
  std::string name() const override { return "coerce(" + inner_->name() + ")"; }

  Result<StatePtr> Start() override {
    STEER_ASSIGN_OR_RETURN(StatePtr inner, inner_->Start());
    auto s = std::make_unique<CoerceState>();
    s->inner = std::move(inner);
    return StatePtr(std::move(s));
  }

  StatePtr Fork(const State& s) override {
    const auto& c = static_cast<const CoerceState&>(s);
    auto out = std::make_unique<CoerceState>();
    out->inner = inner_->Fork(*c.inner);
    out->dead = c.dead;
    return out;
  }

  // Extends byte position by byte position, so the inner potential sees one
  // batch per position across all states.
  Status Extend(std::span<State* const> states, std::span<const TokenId> tokens) override {
    STEER_CHECK(states.size() == tokens.size());
    size_t longest = 0;
    for (size_t i = 0; i < states.size(); ++i) {
      STEER_CHECK(tokens[i] >= 0 && tokens[i] < vocab_size());
      const std::string& bytes = token_bytes_[tokens[i]];
      if (bytes.empty()) static_cast<CoerceState&>(*states[i]).dead = true;
      longest = std::max(longest, bytes.size());
    }
    std::vector<State*>& batch = batch_;
    std::vector<TokenId>& batch_bytes = batch_bytes_;
    for (size_t pos = 0; pos < longest; ++pos) {
      batch.clear();
      batch_bytes.clear();
      for (size_t i = 0; i < states.size(); ++i) {
        const std::string& bytes = token_bytes_[tokens[i]];
        if (pos >= bytes.size()) continue;
        batch.push_back(static_cast<CoerceState&>(*states[i]).inner.get());
        batch_bytes.push_back(static_cast<uint8_t>(bytes[pos]));
      }
      STEER_RETURN_IF_ERROR(inner_->Extend(batch, batch_bytes));
    }
    return {};
  }

  double LogPrefix(const State& s) const override {
    const auto& c = static_cast<const CoerceState&>(s);
    return c.dead ? kLogZero : inner_->LogPrefix(*c.inner);
  }

  Status LogComplete(std::span<const State* const> states, std::span<double> out) override {
    STEER_CHECK(out.size() == states.size());
    std::vector<const State*> inner(states.size());
    for (size_t i = 0; i < states.size(); ++i) inner[i] = static_cast<const CoerceState&>(*states[i]).inner.get();
    STEER_RETURN_IF_ERROR(inner_->LogComplete(inner, out));
    for (size_t i = 0; i < states.size(); ++i) {
      if (static_cast<const CoerceState&>(*states[i]).dead) out[i] = kLogZero;
    }
    return {};
  }

  Status LogWeightNext(std::span<const State* const> states, std::span<double> out) override {
    const size_t width = token_bytes_.size() + 1;
    STEER_CHECK(out.size() == states.size() * width);
    for (size_t i = 0; i < states.size(); ++i) {
      STEER_RETURN_IF_ERROR(FillRow(static_cast<const CoerceState&>(*states[i]),
                                    out.subspan(i * width, width)));
    }
    return {};
  }

 private:
  struct CoerceState final : State {
    StatePtr inner;
    bool dead = false;  // extended by a token with no bytes
  };

  // Depth-first over the trie with an explicit stack. Each stack entry holds
  // a trie node, the inner state at that node's bytes and its log prefix
  // relative to the root.
  Status FillRow(const CoerceState& s, std::span<double> row) {
    std::fill(row.begin(), row.end(), kLogZero);
    if (s.dead || inner_->LogPrefix(*s.inner) == kLogZero) return {};
    struct Entry {
      int32_t node;
      StatePtr state;  // null for the root (use s.inner)
      double rel;      // log prefix(node bytes) − log prefix(root)
    };
    std::vector<Entry> stack;
    stack.push_back({0, nullptr, 0.0});
    byte_row_.resize(kByteVocab + 1);
    while (!stack.empty()) {
      Entry e = std::move(stack.back());
      stack.pop_back();
      const State& here = e.state ? *e.state : *s.inner;
      STEER_RETURN_IF_ERROR(inner_->LogWeightNextOne(here, byte_row_));
      if (e.node == 0) row[token_bytes_.size()] = byte_row_[kByteVocab];
      for (const auto& [b, child] : trie_.nodes[e.node].children) {
        const double w = byte_row_[b];
        if (w == kLogZero) continue;  // zeros are absorbing: prune the subtree
        const double rel = e.rel + w;
        for (TokenId t : trie_.nodes[child].tokens) row[t] = rel;
        if (trie_.nodes[child].children.empty()) continue;
        StatePtr next = inner_->Fork(here);
        STEER_RETURN_IF_ERROR(inner_->ExtendOne(*next, b));
        stack.push_back({child, std::move(next), rel});
      }
    }
    return {};
  }

  std::shared_ptr<Potential> inner_;
  std::vector<std::string> token_bytes_;
  TokenTrie trie_;
  std::vector<double> byte_row_;
  std::vector<State*> batch_;  // Extend scratch
  std::vector<TokenId> batch_bytes_;
};

}  // namespace

Result<std::shared_ptr<Potential>> Product(std::vector<std::shared_ptr<Potential>> factors) {
  if (factors.empty()) return MakeError(ErrorCode::kInvalidArgument, "product of no potentials");
  for (const auto& f : factors) {
    if (!f) return MakeError(ErrorCode::kInvalidArgument, "product with a null potential");
    if (f->vocab_size() != factors[0]->vocab_size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "vocabulary sizes differ: " + std::to_string(factors[0]->vocab_size()) + " (" +
                           factors[0]->name() + ") vs " + std::to_string(f->vocab_size()) + " (" +
                           f->name() + ")",
                       "product");
    }
  }
  return std::shared_ptr<Potential>(std::make_shared<ProductPotential>(std::move(factors)));
}

Result<std::shared_ptr<Potential>> Power(std::shared_ptr<Potential> base, double alpha) {
  if (!base) return MakeError(ErrorCode::kInvalidArgument, "power of a null potential");
  if (!(alpha > 0) || !std::isfinite(alpha)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "exponent must be finite and > 0, got " + std::to_string(alpha), "power");
  }
  return std::shared_ptr<Potential>(std::make_shared<PowerPotential>(std::move(base), alpha));
}

Result<std::shared_ptr<Potential>> Primed(std::shared_ptr<Potential> base, std::vector<TokenId> context) {
  if (!base) return MakeError(ErrorCode::kInvalidArgument, "priming a null potential");
  for (TokenId t : context) {
    if (t < 0 || t >= base->vocab_size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "context token " + std::to_string(t) + " is outside the vocabulary", base->name());
    }
  }
  return std::shared_ptr<Potential>(std::make_shared<PrimedPotential>(std::move(base), std::move(context)));
}

Result<std::shared_ptr<Potential>> Coerce(std::shared_ptr<Potential> bytes,
                                          std::vector<std::string> token_bytes) {
  if (!bytes) return MakeError(ErrorCode::kInvalidArgument, "coerce of a null potential");
  if (bytes->vocab_size() != kByteVocab) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "coerce needs a byte-level potential (vocabulary 256), got " +
                         std::to_string(bytes->vocab_size()),
                     bytes->name());
  }
  if (token_bytes.empty()) return MakeError(ErrorCode::kInvalidArgument, "coerce with an empty vocabulary");
  return std::shared_ptr<Potential>(std::make_shared<CoercePotential>(std::move(bytes), std::move(token_bytes)));
}

}  // namespace steer::potential
