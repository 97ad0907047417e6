// Internal: one entry point per family of methods (dispatched by Run).
// Each returns samples with raw log weights; Run fills text and timings.
#pragma once

#include "steer/sampler/sampler.h"

namespace steer::sampler::internal {

// smc (resample = true), is and lcd (false): n particles.
Result<SampleSet> RunWeighted(const Target& target, const Options& options, int n, bool resample);
// ancestral and rejection.
Result<SampleSet> RunAncestral(const Target& target, const Options& options);
Result<SampleSet> RunGreedy(const Target& target, const Options& options);
Result<SampleSet> RunBeam(const Target& target, const Options& options);
Result<SampleSet> RunExact(const Target& target, const Options& options);

}  // namespace steer::sampler::internal
