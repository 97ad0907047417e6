#include "steer/potential/grammar.h"

#include <algorithm>
#include <optional>

#include "steer/grammar/compiled_grammar.h"
#include "steer/util/check.h"

namespace steer::potential {

struct GrammarPotential::GrammarState final : State {
  explicit GrammarState(grammar::TokenMatcher m) : matcher(std::move(m)) {}
  grammar::TokenMatcher matcher;
  bool viable = true;  // false is absorbing
};

GrammarPotential::GrammarPotential(std::shared_ptr<const grammar::CompiledGrammar> compiled)
    : compiled_(std::move(compiled)) {
  STEER_CHECK(compiled_ != nullptr);
}

GrammarPotential::~GrammarPotential() = default;

int32_t GrammarPotential::vocab_size() const { return compiled_->vocab_size(); }

Result<StatePtr> GrammarPotential::Start() {
  auto s = std::make_unique<GrammarState>(grammar::TokenMatcher(compiled_));
  // The empty prefix is viable iff the language is not empty.
  s->viable = s->matcher.IsComplete() || s->matcher.bytes().CanContinue();
  return StatePtr(std::move(s));
}

StatePtr GrammarPotential::Fork(const State& s) {
  return std::make_unique<GrammarState>(static_cast<const GrammarState&>(s));
}

Status GrammarPotential::Extend(std::span<State* const> states, std::span<const TokenId> tokens) {
  STEER_CHECK(states.size() == tokens.size());
  for (size_t i = 0; i < states.size(); ++i) {
    auto& s = static_cast<GrammarState&>(*states[i]);
    STEER_CHECK(tokens[i] >= 0 && tokens[i] < vocab_size());
    if (!s.viable) continue;
    s.viable = tokens[i] != compiled_->eos() && s.matcher.AcceptToken(tokens[i]);
  }
  return {};
}

double GrammarPotential::LogPrefix(const State& s) const {
  return static_cast<const GrammarState&>(s).viable ? 0.0 : kLogZero;
}

Status GrammarPotential::LogComplete(std::span<const State* const> states, std::span<double> out) {
  STEER_CHECK(out.size() == states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const GrammarState&>(*states[i]);
    out[i] = s.viable && s.matcher.IsComplete() ? 0.0 : kLogZero;
  }
  return {};
}

Status GrammarPotential::LogWeightNext(std::span<const State* const> states, std::span<double> out) {
  std::fill(out.begin(), out.end(), 0.0);
  return AddLogWeightNext(states, out);
}

Status GrammarPotential::AddLogWeightNext(std::span<const State* const> states, std::span<double> rows) {
  const int32_t v = vocab_size();
  const size_t width = static_cast<size_t>(v) + 1;
  STEER_CHECK(rows.size() == states.size() * width);
  DynamicBitset& mask = mask_;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& s = static_cast<const GrammarState&>(*states[i]);
    std::span<double> row = rows.subspan(i * width, width);
    if (!s.viable) {
      std::fill(row.begin(), row.end(), kLogZero);
      continue;
    }
    s.matcher.FillMask(&mask);
    const uint64_t* words = mask.words();
    for (size_t w = 0; w < mask.num_words(); ++w) {
      // Bits past V in the last word are clear; only tokens < V are written.
      uint64_t clear = ~words[w];
      if (clear == ~uint64_t{0} && (w + 1) * 64 <= static_cast<size_t>(v)) {
        // 64 ruled-out tokens at once (one vector fill, not 64 bit steps).
        std::fill_n(row.begin() + static_cast<std::ptrdiff_t>(w * 64), 64, kLogZero);
        continue;
      }
      while (clear != 0) {
        const size_t t = w * 64 + static_cast<size_t>(__builtin_ctzll(clear));
        if (t >= static_cast<size_t>(v)) break;
        row[t] = kLogZero;
        clear &= clear - 1;
      }
    }
    if (compiled_->eos() >= 0) row[compiled_->eos()] = kLogZero;
    if (!s.matcher.IsComplete()) row[v] = kLogZero;
  }
  return {};
}

bool GrammarPotential::ViewAllowed(const State& state, AllowedSet* out) {
  const auto& s = static_cast<const GrammarState&>(state);
  if (!s.viable) return false;
  s.matcher.FillMask(&mask_);
  // As in AddLogWeightNext: the tokenizer's EOS is never an ordinary token.
  if (compiled_->eos() >= 0) mask_.Reset(static_cast<size_t>(compiled_->eos()));
  out->words = mask_.words();
  out->end = s.matcher.IsComplete();
  return true;
}

}  // namespace steer::potential
