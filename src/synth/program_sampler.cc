#include "steer/synth/program_sampler.h"

#include <algorithm>
#include <cmath>

#include "steer/engine/engine.h"
#include "steer/potential/lm.h"
#include "steer/sampler/sampler.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/check.h"
#include "steer/util/rng.h"

namespace steer::synth {

size_t FunctionEnd(std::string_view text) {
  for (size_t nl = text.find('\n'); nl != std::string_view::npos; nl = text.find('\n', nl + 1)) {
    // Only a line after at least one blank line ends the body.
    size_t p = nl + 1;
    bool blank_seen = false;
    while (p < text.size()) {
      size_t eol = text.find('\n', p);
      std::string_view line = text.substr(p, eol == std::string_view::npos ? std::string_view::npos : eol - p);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
        if (blank_seen && line[0] != ' ' && line[0] != '\t') return nl + 1;
        break;
      }
      if (eol == std::string_view::npos) break;  // an unfinished blank line
      blank_seen = true;
      p = eol + 1;
    }
  }
  return std::string_view::npos;
}

int64_t ScriptedTokenCount(std::string_view text) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
    n += c == '\n';
  }
  return n;
}

ScriptedSampler::ScriptedSampler(std::vector<Rule> rules) : rules_(std::move(rules)), cursors_(rules_.size(), 0) {
  for (const Rule& r : rules_) STEER_CHECK(!r.completions.empty());
}

Result<SampledPrograms> ScriptedSampler::Sample(const std::string& prompt, int n) {
  if (n < 1) return MakeError(ErrorCode::kInvalidArgument, "scripted sampler: n must be >= 1");
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (prompt.find(rules_[i].key) == std::string::npos) continue;
    SampledPrograms out;
    for (int j = 0; j < n; ++j) {
      const std::string& c = rules_[i].completions[cursors_[i]++ % rules_[i].completions.size()];
      out.completions.push_back(c);
      out.tokens += ScriptedTokenCount(c);
    }
    return out;
  }
  return MakeError(ErrorCode::kNotFound, "scripted sampler: no rule matches the prompt",
                   prompt.substr(0, 60));
}

ModelSampler::ModelSampler(std::shared_ptr<engine::Engine> engine, const tokenizer::Tokenizer* tokenizer,
                           ModelSamplerOptions options, CriticFactory critic)
    : engine_(std::move(engine)), tokenizer_(tokenizer), options_(std::move(options)), critic_(std::move(critic)) {
  const int32_t v = engine_->n_vocab();
  token_bytes_.resize(v);
  for (int32_t t = 0; t < v && t < tokenizer_->vocab_size(); ++t) token_bytes_[t] = tokenizer_->TokenBytes(t);
}

namespace {

Result<std::shared_ptr<potential::LmPotential>> MakeLm(const std::shared_ptr<engine::Engine>& engine,
                                                       const tokenizer::Tokenizer& tok, const std::string& prompt) {
  STEER_ASSIGN_OR_RETURN(std::vector<TokenId> ids, tok.Encode(prompt));
  if (ids.empty()) return MakeError(ErrorCode::kInvalidInput, "model sampler: the prompt encodes to no tokens");
  if (tok.eos() == kNoToken || tok.eos() >= engine->n_vocab())
    return MakeError(ErrorCode::kUnsupported, "model sampler: the model has no EOS token");
  return potential::LmPotential::Create(engine, std::move(ids), tok.eos());
}

std::string CutAtFunctionEnd(std::string text) {
  size_t end = FunctionEnd(text);
  if (end != std::string::npos) text.resize(end);
  return text;
}

}  // namespace

Result<SampledPrograms> ModelSampler::Sample(const std::string& prompt, int n) {
  if (n < 1) return MakeError(ErrorCode::kInvalidArgument, "model sampler: n must be >= 1");
  ++calls_;
  if (options_.method == "ancestral") return SampleAncestral(prompt, n);
  if (options_.method == "smc") return SampleSmc(prompt, n);
  return MakeError(ErrorCode::kInvalidArgument, "model sampler: unknown method '" + options_.method + "'");
}

Result<std::shared_ptr<potential::LmPotential>> ModelSampler::LmFor(const std::string& prompt) {
  if (lm_ == nullptr || lm_prompt_ != prompt) {
    lm_ = nullptr;  // releases the old prompt's sequence first
    STEER_ASSIGN_OR_RETURN(lm_, MakeLm(engine_, *tokenizer_, prompt));
    lm_prompt_ = prompt;
  }
  return lm_;
}

Result<SampledPrograms> ModelSampler::SampleAncestral(const std::string& prompt, int n) {
  STEER_ASSIGN_OR_RETURN(auto lm, LmFor(prompt));
  Rng rng(options_.seed * 0x9E3779B97F4A7C15ull + calls_);
  const int32_t v = lm->vocab_size();
  std::vector<double> row(v + 1), probs(v + 1);
  SampledPrograms out;
  for (int i = 0; i < n; ++i) {
    STEER_ASSIGN_OR_RETURN(potential::StatePtr state, lm->Start());
    std::string text;
    for (int step = 0; step < options_.max_tokens; ++step) {
      STEER_RETURN_IF_ERROR(lm->LogWeightNextOne(*state, row));
      int32_t pick = v;
      if (options_.temperature <= 0) {
        pick = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
      } else {
        double top = *std::max_element(row.begin(), row.end());
        double total = 0;
        for (int32_t t = 0; t <= v; ++t) total += probs[t] = std::exp((row[t] - top) / options_.temperature);
        double u = rng.Uniform() * total;
        for (int32_t t = 0; t <= v; ++t) {
          u -= probs[t];
          if (u < 0 && probs[t] > 0) {
            pick = t;
            break;
          }
        }
      }
      ++out.tokens;
      if (pick == v) break;  // EOS
      STEER_RETURN_IF_ERROR(lm->ExtendOne(*state, pick));
      text += token_bytes_[pick];
      if (FunctionEnd(text) != std::string::npos) break;
    }
    out.completions.push_back(CutAtFunctionEnd(std::move(text)));
  }
  return out;
}

Result<SampledPrograms> ModelSampler::SampleSmc(const std::string& prompt, int n) {
  sampler::Target target;
  STEER_ASSIGN_OR_RETURN(target.base, LmFor(prompt));
  target.token_bytes = token_bytes_;
  if (critic_) {
    STEER_ASSIGN_OR_RETURN(auto critic, critic_(prompt));
    if (critic) target.weights.push_back(std::move(critic));
  }
  sampler::Options o;
  o.method = sampler::Method::kSmc;
  o.proposal = sampler::ProposalKind::kDirect;  // the critic is only asked about chosen tokens
  o.particles = std::max(options_.particles, 1);
  o.max_tokens = options_.max_tokens;
  o.seed = options_.seed * 0x9E3779B97F4A7C15ull + calls_;
  STEER_ASSIGN_OR_RETURN(sampler::SampleSet set, sampler::Run(target, o));
  SampledPrograms out;
  for (const auto& s : set.samples) out.tokens += static_cast<int64_t>(s.tokens.size());
  if (set.samples.empty()) {  // every particle died: empty programs, which fail every test
    out.completions.assign(n, std::string());
    return out;
  }
  // Draw n of the weighted particles (log weights are normalized).
  Rng rng(o.seed ^ 0x5A5A5A5Aull);
  for (int i = 0; i < n; ++i) {
    double u = rng.Uniform();
    size_t pick = set.samples.size() - 1;
    for (size_t j = 0; j < set.samples.size(); ++j) {
      u -= std::exp(set.samples[j].log_weight);
      if (u < 0) {
        pick = j;
        break;
      }
    }
    out.completions.push_back(CutAtFunctionEnd(set.samples[pick].text));
  }
  return out;
}

}  // namespace steer::synth
