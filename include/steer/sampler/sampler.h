// Sequence samplers over potentials: the API behind `steer sample`.
//
// The target. A Target is a base potential (the LM, which proposes) times
// constraint and weight potentials (boolean or soft). Let Φ = base · Π c over
// both lists ("constraints" below means both). Two
// target distributions exist (docs/ARCHITECTURE.md, end of sequence):
//   EndMode::kFinishedDocument (default): π(x) ∝ Φ.complete(x); the base's
//     end marker is the LM's EOS, so x is a finished document.
//   EndMode::kStopWhenComplete: a sequence stops at the first x whose
//     constraints are complete (Π_c c.complete(x) > 0), and
//     π(x) ∝ base.prefix(x) · Π_c c.complete(x) over those first-complete x;
//     the base's EOS is never used. Meant for boolean constraints (grammars):
//     a soft constraint that is complete everywhere stops at the empty string.
// Max tokens. Every method targets π restricted to sequences of at most
// max_tokens tokens: a particle holding max_tokens tokens is forced to end,
// with the end weight (complete/prefix) as its correction; under
// kStopWhenComplete a particle that is not complete by then dies. `exact`
// enumerates exactly this truncated target, so the methods are comparable.
//
// Methods (Options::method):
//   ancestral  `samples` runs from the base alone (temperature, top-k, top-p),
//              then checked: a finished run is kept with probability
//              min(1, w), w = its constraint weight (1 or 0 for boolean
//              constraints) times p(end | x) if it was forced to end at
//              max_tokens (a run stops as soon as its constraint prefix is
//              zero). Exact rejection whenever constraint weights are <= 1.
//   greedy     one sequence, argmax of base·constraints at each step.
//   beam       beam search with `beam_width` beams on log Φ; the best
//              `samples` finished sequences.
//   rejection  `samples` times: ancestral runs until one is accepted, at most
//              `max_tries` runs. With temperature 1 and no top-k/top-p the
//              accepted samples are exact draws from π.
//   lcd        locally constrained decoding: `samples` runs of the masked
//              proposal, reported as they are (biased; see the tests).
//   is         importance sampling: `samples` independent particles from the
//              proposal, weighted.
//   smc        `particles` particles, resampled when the ESS of the unfinished
//              particles falls below ess_threshold · their count.
//   exact      enumeration of every sequence up to max_tokens (the ground
//              truth); fails with kResourceExhausted past exact_max_nodes.
// Proposals for is and smc (Options::proposal): kMasked (default) samples
// the next token from base·constraints normalized (Target::weights left out)
// and weights by the normalizer times the weights' factors; kDirect samples
// from the base and weights by all the other factors; kAwrs (adaptive
// weighted rejection sampling) samples like kMasked but checks the
// constraints, which must be boolean, only on drawn tokens, never on the
// whole vocabulary, and weights by an unbiased estimate of the normalizer.
//
// Finished particles in SMC. Resampling draws only among unfinished
// particles, which share their total weight; finished particles keep their
// weights untouched. A finished particle (which has paid its end factor) is
// never compared with unfinished ones (which have not yet), so finishers of
// different lengths stay consistent, and the log-Z estimate stays unbiased.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "steer/potential/potential.h"
#include "steer/sampler/resample.h"
#include "steer/util/result.h"

namespace steer::sampler {

enum class Method { kAncestral, kGreedy, kBeam, kRejection, kLcd, kImportance, kSmc, kExact };
enum class EndMode { kFinishedDocument, kStopWhenComplete };
enum class ProposalKind { kMasked, kDirect, kAwrs };

const char* MethodName(Method method);  // the CLI spelling: "is" for kImportance
Result<Method> ParseMethod(std::string_view name);
const char* ProposalName(ProposalKind kind);  // "masked" | "direct" | "awrs"
Result<ProposalKind> ParseProposal(std::string_view name);

struct Target {
  std::shared_ptr<potential::Potential> base;                      // the LM; required
  std::vector<std::shared_ptr<potential::Potential>> constraints;  // same vocabulary
  // Potentials that multiply the target like constraints but never enter a
  // masked proposal: they are only asked about the chosen tokens (Extend,
  // LogPrefix, LogComplete). For expensive critics (an external process).
  // greedy, beam and exact still ask them for whole rows.
  std::vector<std::shared_ptr<potential::Potential>> weights;
  // SMC/IS critics (twists) ψ: an unfinished particle's weight is multiplied
  // by ψ.prefix(x), which steers resampling toward promising prefixes, and
  // divided out when it finishes, so the target and the log-Z estimate are
  // unchanged. ψ must be positive wherever the target is (a zero kills the
  // particle). Asked only about chosen tokens; other methods ignore them.
  std::vector<std::shared_ptr<potential::Potential>> twists;
  EndMode end_mode = EndMode::kFinishedDocument;
  // Optional: bytes of each token (size V), to fill Sequence::text and to
  // group `exact` results by text (over all tokenizations).
  std::vector<std::string> token_bytes;
};

struct Options {
  Method method = Method::kSmc;
  int particles = 16;        // smc
  double ess_threshold = 0.5;  // smc: resample when ESS < threshold · unfinished count; in [0, 1]
  ResampleScheme resample = ResampleScheme::kSystematic;
  ProposalKind proposal = ProposalKind::kMasked;  // is, smc
  int samples = 1;           // ancestral, lcd, rejection, is, beam
  int max_tokens = 64;
  uint64_t seed = 0;
  // ancestral, rejection: the base's row is divided by the temperature, then
  // cut to the top-k tokens, then to the smallest set of mass >= top-p.
  double temperature = 1.0;  // 0 means argmax
  int top_k = 0;             // ancestral, rejection; 0 = off
  double top_p = 1.0;        // ancestral, rejection; 1 = off
  int max_tries = 100;       // rejection, per sample
  int beam_width = 4;        // beam
  int64_t exact_max_nodes = 1'000'000;  // exact: enumeration budget
};

struct Sequence {
  std::vector<TokenId> tokens;  // generated tokens, without the end marker
  std::string text;             // bytes of the tokens (empty without token_bytes)
  // is, smc, lcd: normalized log importance weight (exp sums to 1 over the
  // samples); exact: normalized log posterior of the text (or token
  // sequence); ancestral, rejection: −log(#samples); greedy, beam: log Φ of
  // the finished sequence (unnormalized score).
  double log_weight = 0;
  // Base (LM) log probability: of x finished (kFinishedDocument) or of x as a
  // prefix (kStopWhenComplete); for exact with token_bytes, summed over all
  // tokenizations of the text.
  double log_prob = 0;
};

struct Summary {
  // log Z = log Σ_x γ(x), γ the unnormalized truncated target:
  //   exact: the true value; is, smc, lcd: the unbiased (in Z) estimate
  //   log((1/n) Σ_i w_i); ancestral, rejection: log(accepted / tries), an
  //   unbiased estimate of Z for boolean constraints when the base is sampled
  //   unmodified (temperature 1, no top-k/top-p), else just the acceptance
  //   rate; greedy, beam: log Σ γ over the returned sequences, a lower bound.
  // −inf when nothing satisfying the constraints was found; never NaN.
  double log_z = 0;
  std::vector<double> ess_history;  // smc, is: ESS of the unfinished particles per step
  int resamples = 0;                // smc
  int64_t tries = 0;                // ancestral, rejection: runs made
  int64_t forced_ends = 0;          // particles forced to end at max_tokens
  int64_t nodes = 0;                // exact: prefixes visited
  double seconds = 0;               // wall time of the whole run
};

struct SampleSet {
  std::vector<Sequence> samples;  // finished sequences with non-zero weight only
  Summary summary;
};

// Runs options.method on the target. Bad options or a target whose
// potentials disagree on the vocabulary give kInvalidArgument; errors from
// the potentials pass through. Impossible constraints are not an error: they
// give zero samples and log_z = −inf.
Result<SampleSet> Run(const Target& target, const Options& options);

}  // namespace steer::sampler
