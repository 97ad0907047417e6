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
    FillWhereClear(mask.words(), 0, static_cast<size_t>(v), kLogZero, row.data());
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
