// Internal: particles over a Target and the batched step machinery shared by
// the samplers. Potentials are indexed k = 0 (base), then the constraints,
// then the weights, then (smc, is) the twists. A proposal uses potentials
// [0, num_proposal); the rest weight the choice. A twist's prefix is in the
// weight of an unfinished particle and is divided out when it finishes.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "steer/sampler/sampler.h"
#include "steer/util/rng.h"

namespace steer::sampler::internal {

using potential::StatePtr;

struct Particle {
  std::vector<StatePtr> states;  // one per potential
  std::vector<TokenId> tokens;
  double log_weight = 0;  // importance weight (or score), log
  double log_prob = 0;    // base log prefix, or base log complete once finished
  bool finished = false;
  bool dead = false;      // weight zero; never extended again
  bool active() const { return !finished && !dead; }
};

// Picks the next symbol (0..V, V = end) from the summed proposal row and
// returns the log weight increment; −inf kills the particle.
struct Choice {
  TokenId token = 0;
  double log_increment = 0;
};
using Chooser = std::function<Result<Choice>(std::span<const double> row, Rng& rng, const Particle& particle)>;

class Stepper {
 public:
  // with_twists: include Target::twists (smc and is only).
  explicit Stepper(const Target& target, bool with_twists = false);

  int32_t vocab() const { return vocab_; }
  size_t num_potentials() const { return pots_.size(); }
  // Base and constraints: the potentials a masked proposal multiplies.
  size_t num_maskable() const { return num_maskable_; }

  // A particle at the empty context; weight Σ_k log prefix_k(ε).
  Result<Particle> Start();
  Particle Fork(const Particle& p);

  // One step of the common loop for the given particles (all active):
  //  1. kStopWhenComplete: particles whose constraints are complete finish;
  //  2. particles holding max_tokens tokens are forced to end (or die);
  //  3. the rest choose a symbol from the sum of rows [0, num_proposal) and
  //     extend; potentials [first_weighted, K) weight the choice
  //     (first_weighted >= num_proposal; potentials in between are enforced
  //     by the chooser itself, as AWRS does with boolean constraints).
  // Returns the number of forced ends.
  Result<int64_t> Step(std::span<Particle* const> ps, int max_tokens, size_t num_proposal,
                       size_t first_weighted, const Chooser& choose, Rng& rng);
  // Masked draws from the potentials' views (potential::Potential::
  // ViewNextLogits of the base times ViewAllowed of the one constraint), for
  // a chooser that is SampleLog on the summed rows of a 2-potential
  // proposal: Step then builds each particle's row in single precision from
  // the views, with the same distribution and log total (up to float
  // rounding), and falls back to the rows where a view is missing.
  void set_viewed_draws(bool on) { viewed_draws_ = on; }
  // One viewed draw for p (one rng.Uniform(), as SampleLog), or nullopt
  // when potential 0 or 1 gives no view for p's states.
  std::optional<Choice> ViewedDraw(const Particle& p, Rng& rng);
  // Whether every constraint (potentials [1, num_maskable)) allows symbol t
  // (t == V: the end) after p. Errors if a constraint is not boolean.
  Result<bool> Allows(const Particle& p, TokenId t);

  // Stop-when-complete check alone (used by exact and beam).
  Status StopIfComplete(std::span<Particle* const> ps);
  // Rows of potentials [0, num_potentials) for ps, summed into rows
  // (ps.size() × (V+1)).
  Status SummedRows(std::span<Particle* const> ps, size_t num_potentials, std::vector<double>* rows);
  // Ends ps: weight += Σ_{first_weighted <= k < twists} (complete_k −
  // prefix_k) − Σ_{twists} prefix_k; log_prob += complete_0 − prefix_0.
  Status ApplyEnd(std::span<Particle* const> ps, size_t first_weighted);
  // Extends ps[i] by tokens[i]; weight += Σ_{k >= first_weighted} Δ log prefix_k;
  // log_prob += Δ log prefix_0.
  Status ApplyTokens(std::span<Particle* const> ps, std::span<const TokenId> tokens, size_t first_weighted);

  EndMode end_mode() const { return end_mode_; }

 private:
  std::vector<potential::Potential*> pots_;
  size_t num_maskable_;
  size_t num_target_;  // potentials [num_target_, K) are twists
  int32_t vocab_;
  EndMode end_mode_;
  // Scratch, reused across steps (no allocation once warm).
  std::vector<const potential::State*> cstates_;
  std::vector<potential::State*> mstates_;
  std::vector<double> values_, before_, rows_, part_;
  std::vector<Particle*> group_, ended_, extend_;
  std::vector<TokenId> tokens_;
  bool viewed_draws_ = false;
  std::vector<float> view_row_;     // V + 1 entries
  std::vector<double> view_sums_;   // per block of DrawFromExps
  // The viewed draw from the LM's exps (no exp pass): blocks the grammar
  // rules out are skipped. nullopt, with rng untouched, when the allowed
  // mass is below 1e-30 of the largest logit's (ViewedDraw then rescales
  // from the logits).
  std::optional<Choice> DrawFromExps(const potential::Potential::NextLogits& lm,
                                     const potential::Potential::AllowedSet& allowed, Rng& rng);
};

// Draws an index with probability exp(row[i]) / Σ exp(row) in one pass over
// the row (scratch receives exp(row - block max) in single precision,
// ExpFloat: 4e-7 relative per entry, summed in double; all -inf blocks are
// skipped); one rng.Uniform() per draw. Returns the index and log Σ exp(row),
// or {0, kLogZero} when every entry is kLogZero.
struct Draw {
  TokenId index;
  double log_total;
};
Draw SampleLog(std::span<const double> row, Rng& rng, std::vector<float>* scratch);
// The same for a row of floats, which it overwrites with the exps.
Draw SampleLogInPlace(std::span<float> row, Rng& rng);

// The draw's search over blocks of p (block entries each; sums[b] the sum of
// block b's p[t]·scale[b], scale null meaning 1): the first t where the
// running sum passes u, walking block sums and then one block entry by
// entry ({t, true}); when rounding leaves u at or beyond the total, the last
// t with positive p ({t, false}), or {n, false} when no block has mass.
// Only blocks with mass are read entry by entry, and prepare(b), when set,
// runs before block b is: a caller may fill p's blocks on demand.
struct Found {
  size_t index;
  bool found;
};
Found FindInBlocks(const float* p, size_t n, size_t block, std::span<const double> sums, const double* scale,
                   double u, const std::function<void(size_t)>& prepare = {});

}  // namespace steer::sampler::internal
