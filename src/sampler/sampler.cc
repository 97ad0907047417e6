#include "steer/sampler/sampler.h"

#include <chrono>
#include <cmath>

#include "methods.h"

namespace steer::sampler {

namespace {
constexpr Method kMethods[] = {Method::kAncestral, Method::kGreedy, Method::kBeam, Method::kRejection,
                               Method::kLcd,       Method::kImportance, Method::kSmc, Method::kExact};

Status Invalid(const std::string& message, const std::string& where) {
  return MakeError(ErrorCode::kInvalidArgument, message, where);
}

Status Validate(const Target& target, const Options& o) {
  if (!target.base) return Invalid("the target has no base potential", "target");
  const int32_t v = target.base->vocab_size();
  std::vector<std::shared_ptr<potential::Potential>> factors = target.constraints;
  factors.insert(factors.end(), target.weights.begin(), target.weights.end());
  factors.insert(factors.end(), target.twists.begin(), target.twists.end());
  for (const auto& c : factors) {
    if (!c) return Invalid("null constraint potential", "target");
    if (c->vocab_size() != v) {
      return Invalid("constraint " + c->name() + " has vocabulary " + std::to_string(c->vocab_size()) +
                         " but the base " + target.base->name() + " has " + std::to_string(v),
                     "target");
    }
  }
  if (!target.token_bytes.empty() && target.token_bytes.size() != static_cast<size_t>(v)) {
    return Invalid("token_bytes has " + std::to_string(target.token_bytes.size()) + " entries for vocabulary " +
                       std::to_string(v),
                   "target");
  }
  if (o.particles < 1) return Invalid("must be >= 1, got " + std::to_string(o.particles), "--particles");
  if (!(o.ess_threshold >= 0 && o.ess_threshold <= 1)) {
    return Invalid("must be in [0, 1], got " + std::to_string(o.ess_threshold), "--ess-threshold");
  }
  if (o.samples < 1) return Invalid("must be >= 1, got " + std::to_string(o.samples), "--samples");
  if (o.max_tokens < 0) return Invalid("must be >= 0, got " + std::to_string(o.max_tokens), "--max-tokens");
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) {
    return Invalid("must be finite and >= 0", "--temp");
  }
  if (o.top_k < 0) return Invalid("must be >= 0", "--top-k");
  if (!(o.top_p > 0 && o.top_p <= 1)) return Invalid("must be in (0, 1]", "--top-p");
  if (o.max_tries < 1) return Invalid("must be >= 1", "--max-tries");
  if (o.beam_width < 1) return Invalid("must be >= 1", "--beam-width");
  if (o.exact_max_nodes < 1) return Invalid("must be >= 1", "exact_max_nodes");
  return {};
}
}  // namespace

const char* MethodName(Method method) {
  switch (method) {
    case Method::kAncestral: return "ancestral";
    case Method::kGreedy: return "greedy";
    case Method::kBeam: return "beam";
    case Method::kRejection: return "rejection";
    case Method::kLcd: return "lcd";
    case Method::kImportance: return "is";
    case Method::kSmc: return "smc";
    case Method::kExact: return "exact";
  }
  return "?";
}

Result<Method> ParseMethod(std::string_view name) {
  for (Method m : kMethods) {
    if (name == MethodName(m)) return m;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown method '" + std::string(name) +
                       "' (expected ancestral, greedy, beam, rejection, lcd, is, smc or exact)",
                   "--method");
}

const char* ProposalName(ProposalKind kind) {
  switch (kind) {
    case ProposalKind::kMasked: return "masked";
    case ProposalKind::kDirect: return "direct";
    case ProposalKind::kAwrs: return "awrs";
  }
  return "?";
}

Result<ProposalKind> ParseProposal(std::string_view name) {
  for (ProposalKind k : {ProposalKind::kMasked, ProposalKind::kDirect, ProposalKind::kAwrs}) {
    if (name == ProposalName(k)) return k;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown proposal '" + std::string(name) + "' (expected masked, direct or awrs)", "--proposal");
}

Result<SampleSet> Run(const Target& target, const Options& options) {
  STEER_RETURN_IF_ERROR(Validate(target, options));
  const auto start = std::chrono::steady_clock::now();
  Result<SampleSet> result = MakeError(ErrorCode::kInternal, "unreachable");
  switch (options.method) {
    case Method::kSmc:
      result = internal::RunWeighted(target, options, options.particles, /*resample=*/true);
      break;
    case Method::kImportance:
    case Method::kLcd:
      result = internal::RunWeighted(target, options, options.samples, /*resample=*/false);
      break;
    case Method::kAncestral:
    case Method::kRejection:
      result = internal::RunAncestral(target, options);
      break;
    case Method::kGreedy:
      result = internal::RunGreedy(target, options);
      break;
    case Method::kBeam:
      result = internal::RunBeam(target, options);
      break;
    case Method::kExact:
      result = internal::RunExact(target, options);
      break;
  }
  if (!result.ok()) return result;
  SampleSet& set = result.value();
  if (!target.token_bytes.empty()) {
    for (auto& s : set.samples) {
      if (!s.text.empty()) continue;
      for (TokenId t : s.tokens) s.text += target.token_bytes[t];
    }
  }
  set.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace steer::sampler
