// Exact enumeration of the truncated target: every token sequence of at most
// max_tokens tokens with Φ prefix > 0 is visited once (depth first, explicit
// stack), and each finished sequence is recorded with log γ(x):
//   kFinishedDocument: Σ_k log complete_k(x) for every visited x;
//   kStopWhenComplete: log base.prefix(x) + Σ_c log complete_c(x) at the
//   first complete x of each branch, which is then not extended.
// Cost: one row per visited prefix; exact_max_nodes bounds the visits.
#include <algorithm>
#include <cmath>
#include <map>

#include "methods.h"
#include "particles.h"
#include "steer/util/check.h"

namespace steer::sampler::internal {

using potential::kLogZero;
using potential::LogAddExp;

Result<SampleSet> RunExact(const Target& target, const Options& options) {
  Stepper st(target);
  SampleSet out;
  const size_t k_all = st.num_potentials();
  const size_t width = static_cast<size_t>(st.vocab()) + 1;
  std::vector<Particle> stack;
  {
    STEER_ASSIGN_OR_RETURN(Particle start, st.Start());
    if (start.active()) stack.push_back(std::move(start));
  }
  std::vector<Sequence> found;
  std::vector<double> rows;
  while (!stack.empty()) {
    Particle p = std::move(stack.back());
    stack.pop_back();
    if (++out.summary.nodes > options.exact_max_nodes) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "exact enumeration visited more than " + std::to_string(options.exact_max_nodes) +
                           " prefixes; lower --max-tokens or tighten the constraints",
                       "--method exact");
    }
    Particle* one[1] = {&p};
    if (st.end_mode() == EndMode::kStopWhenComplete) {
      STEER_RETURN_IF_ERROR(st.StopIfComplete(one));
      if (p.finished) {
        found.push_back({std::move(p.tokens), "", p.log_weight, p.log_prob});
        continue;
      }
    } else {
      Particle end = st.Fork(p);
      Particle* e[1] = {&end};
      STEER_RETURN_IF_ERROR(st.ApplyEnd(e, 0));
      if (!end.dead) found.push_back({std::move(end.tokens), "", end.log_weight, end.log_prob});
    }
    if (static_cast<int>(p.tokens.size()) >= options.max_tokens) continue;
    STEER_RETURN_IF_ERROR(st.SummedRows(one, k_all, &rows));
    for (size_t t = width - 1; t-- > 0;) {  // reversed, so the stack pops in token order
      if (rows[t] == kLogZero) continue;
      Particle child = st.Fork(p);
      Particle* c[1] = {&child};
      const TokenId tok[1] = {static_cast<TokenId>(t)};
      STEER_RETURN_IF_ERROR(st.ApplyTokens(c, tok, 0));
      if (child.active()) stack.push_back(std::move(child));
    }
  }

  double log_z = kLogZero;
  for (const auto& s : found) log_z = LogAddExp(log_z, s.log_weight);
  out.summary.log_z = log_z;
  if (log_z == kLogZero) return out;

  if (target.token_bytes.empty()) {
    for (auto& s : found) s.log_weight -= log_z;
    out.samples = std::move(found);
  } else {
    // Group tokenizations of the same text; keep the heaviest as `tokens`.
    struct Group {
      double log_weight = kLogZero, log_prob = kLogZero, best = kLogZero;
      std::vector<TokenId> tokens;
    };
    std::map<std::string, Group> groups;
    for (auto& s : found) {
      std::string text;
      for (TokenId t : s.tokens) text += target.token_bytes[t];
      Group& g = groups[text];
      g.log_weight = LogAddExp(g.log_weight, s.log_weight);
      g.log_prob = LogAddExp(g.log_prob, s.log_prob);
      if (s.log_weight > g.best) {
        g.best = s.log_weight;
        g.tokens = std::move(s.tokens);
      }
    }
    for (auto& [text, g] : groups) {
      out.samples.push_back({std::move(g.tokens), text, g.log_weight - log_z, g.log_prob});
    }
  }
  std::stable_sort(out.samples.begin(), out.samples.end(),
                   [](const Sequence& a, const Sequence& b) { return a.log_weight > b.log_weight; });
  return out;
}

}  // namespace steer::sampler::internal
