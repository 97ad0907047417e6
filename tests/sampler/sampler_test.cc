// Sampler exactness on enumerable toys: exact equals brute force; SMC and IS
// converge to it; lcd is biased where theory says; Z estimates are unbiased
// in Z (not log Z); finishers of different lengths stay consistent.
//
// Tolerances. For a weighted estimate p̂ of a distribution p from an
// effective sample size n, E|p̂_i − p_i| <= sqrt(p_i(1 − p_i)/n), so
// E[TV] <= B(n) = ½ Σ_i sqrt(p_i(1 − p_i)/n). Tests assert the mean TV over
// seeds stays below 3·B(n) (the ESS of resampled particle systems overstates
// independence, hence the factor), and that TV falls by at least 3× from
// N = 10 to N = 1000 (1/sqrt(N) predicts 10×).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "steer/potential/byte_constraint.h"
#include "toy_models.h"

namespace steer::sampler {
namespace {

using potential::kLogZero;
using testing::Dist;
using testing::Estimate;
using testing::TotalVariation;
using testing::Toy;

double Bound(const Dist& p, double n) {
  double b = 0;
  for (const auto& [k, v] : p) b += std::sqrt(v * (1 - v) / n);
  return b / 2;
}

// Three letters and a two-letter token; no "aa" or "bb"; complete strings
// contain a 'c'. p(end) grows with length, so max_tokens = 4 truncates.
Toy Letters() {
  Toy toy;
  toy.tokens = {"a", "b", "c", "ab"};
  toy.next = [](std::span<const TokenId> ctx, std::span<double> w) {
    const double n = static_cast<double>(ctx.size());
    const bool after_b = !ctx.empty() && (ctx.back() == 1 || ctx.back() == 3);
    w[0] = 1.0 + (after_b ? 1.0 : 0.0);
    w[1] = 1.0;
    w[2] = 0.3 + 0.4 * n;
    w[3] = 0.7;
    w[4] = 0.15 * n;
  };
  toy.prefix_ok = [](std::string_view s) {
    return s.find("aa") == std::string_view::npos && s.find("bb") == std::string_view::npos;
  };
  toy.complete_ok = [pre = toy.prefix_ok](std::string_view s) {
    return pre(s) && s.find('c') != std::string_view::npos;
  };
  return toy;
}

// Names of different token lengths: "Al", "Alex", "Alexandra" are allowed,
// "Alexander" is not. p(end) is tiny after each short name, yet each holds
// a third of the posterior.
Toy Names() {
  Toy toy;
  toy.tokens = {"Al", "ex", "and", "er", "ra"};
  auto table = std::make_shared<potential::ToyLm::Table>(potential::ToyLm::Table{
      {{}, {1, 0, 0, 0, 0, 0}},
      {{0}, {0, 0.98, 0, 0, 0, 0.02}},
      {{0, 1}, {0, 0, 0.98, 0, 0, 0.02}},
      {{1, 2}, {0, 0, 0, 0.98, 0.02, 0}},
      {{3}, {0, 0, 0, 0, 0, 1}},
      {{4}, {0, 0, 0, 0, 0, 1}},
  });
  toy.next = [table](std::span<const TokenId> ctx, std::span<double> w) {
    for (size_t start = 0; start <= ctx.size(); ++start) {
      auto it = table->find(std::vector<TokenId>(ctx.begin() + start, ctx.end()));
      if (it != table->end()) {
        std::copy(it->second.begin(), it->second.end(), w.begin());
        return;
      }
    }
  };
  static const char* kAllowed[] = {"Al", "Alex", "Alexandra"};
  toy.prefix_ok = [](std::string_view s) {
    for (const char* a : kAllowed) {
      if (std::string_view(a).substr(0, s.size()) == s && s.size() <= std::string_view(a).size()) return true;
    }
    return false;
  };
  toy.complete_ok = [](std::string_view s) {
    for (const char* a : kAllowed) {
      if (s == a) return true;
    }
    return false;
  };
  return toy;
}

Dist ExactDist(const SampleSet& set) {
  Dist d;
  for (const auto& s : set.samples) d[s.tokens] += std::exp(s.log_weight);
  return d;
}

TEST(Exact, MatchesBruteForceInBothEndModes) {
  for (const Toy& toy : {Letters(), Names(), testing::CheckBalance()}) {
    for (EndMode mode : {EndMode::kFinishedDocument, EndMode::kStopWhenComplete}) {
      double z = 0;
      const Dist want = toy.Posterior(4, mode, &z);
      Options o;
      o.method = Method::kExact;
      o.max_tokens = 4;
      auto got = sampler::Run(toy.MakeTarget(mode), o);
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      EXPECT_NEAR(got->summary.log_z, std::log(z), 1e-9);
      const Dist d = ExactDist(*got);
      ASSERT_EQ(d.size(), want.size());
      for (const auto& [x, p] : want) EXPECT_NEAR(d.at(x), p, 1e-12);
    }
  }
}

TEST(Exact, GroupsTokenizationsOfOneText) {
  const Toy toy = Letters();
  Target t = toy.MakeTarget();
  t.token_bytes = toy.tokens;
  Options o;
  o.method = Method::kExact;
  o.max_tokens = 3;
  auto got = sampler::Run(t, o);
  ASSERT_TRUE(got.ok());
  double z = 0;
  const Dist by_tokens = toy.Posterior(3, EndMode::kFinishedDocument, &z);
  // "abc" = a·b·c = ab·c.
  const double want = by_tokens.at({0, 1, 2}) + by_tokens.at({3, 2});
  bool seen = false;
  double total = 0;
  for (const auto& s : got->samples) {
    total += std::exp(s.log_weight);
    if (s.text != "abc") continue;
    seen = true;
    EXPECT_NEAR(std::exp(s.log_weight), want, 1e-12);
    // log_prob sums the LM probability of both tokenizations.
    auto p1 = toy.Probs({}), p2 = toy.Probs({0}), p3 = toy.Probs({0, 1}), p4 = toy.Probs({0, 1, 2});
    auto q2 = toy.Probs({3}), q3 = toy.Probs({3, 2});
    const double lm = p1[0] * p2[1] * p3[2] * p4[4] + p1[3] * q2[2] * q3[4];
    EXPECT_NEAR(s.log_prob, std::log(lm), 1e-9);
  }
  EXPECT_TRUE(seen);
  EXPECT_NEAR(total, 1.0, 1e-12);
}

struct Convergence {
  double tv[3];  // mean TV at N = 10, 100, 1000
  double bound;  // B(1000)
  int resamples;
};

Convergence MeasureTv(const Toy& toy, Method method, ProposalKind proposal, EndMode mode, int max_tokens,
                      int64_t* forced) {
  double z = 0;
  const Dist want = toy.Posterior(max_tokens, mode, &z);
  Convergence c{};
  const int sizes[3] = {10, 100, 1000};
  const int seeds = 4;
  for (int i = 0; i < 3; ++i) {
    for (int seed = 0; seed < seeds; ++seed) {
      Options o;
      o.method = method;
      o.particles = o.samples = sizes[i];
      o.proposal = proposal;
      o.ess_threshold = 0.99;  // resample at almost every step: exercises resampling
      o.max_tokens = max_tokens;
      o.seed = 1000 * i + seed;
      auto got = sampler::Run(toy.MakeTarget(mode), o);
      EXPECT_TRUE(got.ok());
      if (!got.ok()) return c;
      if (forced) *forced += got->summary.forced_ends;
      c.resamples += got->summary.resamples;
      c.tv[i] += TotalVariation(Estimate(*got), want) / seeds;
    }
  }
  c.bound = Bound(want, 1000);
  EXPECT_LT(c.tv[2], 3 * c.bound) << MethodName(method);
  EXPECT_LT(3 * c.tv[2], c.tv[0]) << MethodName(method) << " TV did not fall: " << c.tv[0] << " -> " << c.tv[2];
  return c;
}

TEST(Smc, ConvergesToExactWithTruncationAtMaxTokens) {
  int64_t forced = 0;
  for (ProposalKind proposal : {ProposalKind::kMasked, ProposalKind::kDirect}) {
    Convergence c = MeasureTv(Letters(), Method::kSmc, proposal, EndMode::kFinishedDocument, 4, &forced);
    std::printf("smc %s: TV %.4f %.4f %.4f (B(1000) %.4f, %d resamples)\n",
                proposal == ProposalKind::kMasked ? "masked" : "direct", c.tv[0], c.tv[1], c.tv[2], c.bound,
                c.resamples);
  }
  EXPECT_GT(forced, 0) << "the test must exercise the max-tokens forced end";
}

TEST(Awrs, SmcAndIsConvergeToExact) {
  for (Method m : {Method::kSmc, Method::kImportance}) {
    Convergence c = MeasureTv(Letters(), m, ProposalKind::kAwrs, EndMode::kFinishedDocument, 4, nullptr);
    std::printf("%s awrs: TV %.4f %.4f %.4f (B(1000) %.4f)\n", MethodName(m), c.tv[0], c.tv[1], c.tv[2], c.bound);
  }
  Convergence c = MeasureTv(Letters(), Method::kSmc, ProposalKind::kAwrs, EndMode::kStopWhenComplete, 4, nullptr);
  std::printf("smc awrs stop-when-complete: TV %.4f %.4f %.4f (B(1000) %.4f)\n", c.tv[0], c.tv[1], c.tv[2], c.bound);
}

TEST(Awrs, RejectsSoftConstraints) {
  Target t = Letters().MakeTarget();
  t.constraints.push_back(*potential::Power(
      std::make_shared<potential::ToyLm>(4, [](std::span<const TokenId>, std::span<double> w) {
        for (double& v : w) v = 1;
      }),
      1.0));
  Options o;
  o.method = Method::kSmc;
  o.proposal = ProposalKind::kAwrs;
  auto got = sampler::Run(t, o);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("boolean"), std::string::npos) << got.error().ToString();
  EXPECT_EQ(*ParseProposal("awrs"), ProposalKind::kAwrs);
  EXPECT_FALSE(ParseProposal("bogus").ok());
}

TEST(Importance, ConvergesToExact) {
  Convergence c = MeasureTv(Letters(), Method::kImportance, ProposalKind::kMasked, EndMode::kFinishedDocument, 4,
                            nullptr);
  std::printf("is: TV %.4f %.4f %.4f\n", c.tv[0], c.tv[1], c.tv[2]);
}

TEST(Smc, ConvergesUnderStopWhenComplete) {
  Convergence c = MeasureTv(Letters(), Method::kSmc, ProposalKind::kMasked, EndMode::kStopWhenComplete, 4, nullptr);
  std::printf("smc stop-when-complete: TV %.4f %.4f %.4f (B(1000) %.4f, %d resamples)\n", c.tv[0], c.tv[1],
              c.tv[2], c.bound, c.resamples);
}

// The EOS trap: finishers at 1, 2 and 4 tokens, resampling at every step.
TEST(Smc, FinishersOfDifferentLengthsStayConsistent) {
  const Toy toy = Names();
  double z = 0;
  const Dist want = toy.Posterior(6, EndMode::kFinishedDocument, &z);
  ASSERT_EQ(want.size(), 3u);
  for (ProposalKind proposal : {ProposalKind::kMasked, ProposalKind::kDirect}) {
    for (ResampleScheme scheme : {ResampleScheme::kMultinomial, ResampleScheme::kStratified,
                                  ResampleScheme::kSystematic, ResampleScheme::kResidual}) {
      Dist mean;
      const int seeds = 8, n = 500;
      for (int seed = 0; seed < seeds; ++seed) {
        Options o;
        o.method = Method::kSmc;
        o.particles = n;
        o.ess_threshold = 1.0;  // resample whenever weights are uneven
        o.resample = scheme;
        o.proposal = proposal;
        o.max_tokens = 6;
        o.seed = seed;
        auto got = sampler::Run(toy.MakeTarget(), o);
        ASSERT_TRUE(got.ok());
        for (const auto& [x, p] : Estimate(*got)) mean[x] += p / seeds;
      }
      // Each of the three names has posterior ≈ 1/3; the mean of 8 runs of
      // 500 has standard error <= sqrt(p(1-p)/4000) ≈ 0.0075 per name if the
      // particles were independent; allow 4× that for resampling.
      for (const auto& [x, p] : want) {
        EXPECT_NEAR(mean[x], p, 4 * 4 * std::sqrt(p * (1 - p) / (seeds * n)))
            << toy.Text(x) << " " << ResampleSchemeName(scheme);
      }
    }
  }
}

// Masking is biased on check_balance: lcd draws "account_1)" 85.5% of the
// time, while the posterior gives it 5.6% and prefers "acc_num)" (65%).
TEST(Lcd, IsBiasedWhereMaskingCannotSeeAhead) {
  const Toy toy = testing::CheckBalance();
  double z = 0;
  const Dist post = toy.Posterior(8, EndMode::kFinishedDocument, &z);
  const Dist lcd_law = {{{0, 2, 6}, 0.1}, {{0, 1, 6}, 0.9 * 0.05}, {{0, 1, 3, 5, 6}, 0.9 * 0.95}};
  const double gap = TotalVariation(lcd_law, post);
  ASSERT_GT(gap, 0.7);
  Target t = toy.MakeTarget();
  t.constraints = {*potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens)};
  Options o;
  o.method = Method::kLcd;
  o.samples = 4000;
  o.max_tokens = 8;
  o.seed = 3;
  auto got = sampler::Run(t, o);
  ASSERT_TRUE(got.ok());
  Dist empirical;
  for (const auto& s : got->samples) empirical[s.tokens] += 1.0 / got->samples.size();
  const double noise = 3 * Bound(lcd_law, 4000);
  EXPECT_LT(TotalVariation(empirical, lcd_law), noise);
  EXPECT_GT(TotalVariation(empirical, post), gap - noise);
  // lcd's own importance weights repair it: as IS they estimate π.
  EXPECT_LT(TotalVariation(Estimate(*got), post), 3 * Bound(post, 4000) * 4);
}

TEST(Smc, IsNotBiasedOnCheckBalance) {
  const Toy toy = testing::CheckBalance();
  double z = 0;
  const Dist post = toy.Posterior(8, EndMode::kFinishedDocument, &z);
  Target t = toy.MakeTarget();
  t.constraints = {*potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens)};
  for (ProposalKind proposal : {ProposalKind::kMasked, ProposalKind::kDirect}) {
    Options o;
    o.method = Method::kSmc;
    o.particles = 1000;
    o.max_tokens = 8;
    o.proposal = proposal;
    o.seed = 11;
    auto got = sampler::Run(t, o);
    ASSERT_TRUE(got.ok());
    EXPECT_LT(TotalVariation(Estimate(*got), post), 3 * Bound(post, 1000)) << (proposal == ProposalKind::kMasked);
    EXPECT_NEAR(std::exp(got->summary.log_z), z, 0.1 * z);
  }
}

// A factor given as Target::weights is never asked for a whole row by
// SMC (it only sees chosen tokens), and the target is unchanged.
TEST(Smc, WeightPotentialsAreOnlyAskedAboutChosenTokens) {
  const Toy toy = testing::CheckBalance();
  double z = 0;
  const Dist post = toy.Posterior(8, EndMode::kFinishedDocument, &z);
  struct RowCounter final : potential::Potential {
    std::shared_ptr<potential::Potential> inner;
    int64_t rows = 0;
    int32_t vocab_size() const override { return inner->vocab_size(); }
    std::string name() const override { return "counted"; }
    Result<potential::StatePtr> Start() override { return inner->Start(); }
    potential::StatePtr Fork(const potential::State& s) override { return inner->Fork(s); }
    Status Extend(std::span<potential::State* const> s, std::span<const TokenId> t) override {
      return inner->Extend(s, t);
    }
    double LogPrefix(const potential::State& s) const override { return inner->LogPrefix(s); }
    Status LogComplete(std::span<const potential::State* const> s, std::span<double> out) override {
      return inner->LogComplete(s, out);
    }
    Status LogWeightNext(std::span<const potential::State* const> s, std::span<double> out) override {
      rows += static_cast<int64_t>(s.size());
      return inner->LogWeightNext(s, out);
    }
  };
  auto counter = std::make_shared<RowCounter>();
  counter->inner = *potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens);
  Target t = toy.MakeTarget();
  t.constraints.clear();
  t.weights = {counter};
  Options o;
  o.method = Method::kSmc;
  o.particles = 1000;
  o.max_tokens = 8;
  o.seed = 4;
  auto got = sampler::Run(t, o);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(counter->rows, 0);
  EXPECT_LT(TotalVariation(Estimate(*got), post), 3 * Bound(post, 1000));
}

// A twist changes which particles survive resampling, never the target or
// E[Ẑ]: SMC with an arbitrary positive twist still matches exact.
TEST(Smc, TwistsLeaveTheTargetAndZUnchanged) {
  const Toy toy = Letters();
  double z = 0;
  const Dist post = toy.Posterior(4, EndMode::kFinishedDocument, &z);
  Target t = toy.MakeTarget();
  t.twists = {std::make_shared<potential::ToyLm>(4, [](std::span<const TokenId> ctx, std::span<double> w) {
    for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0 + 3.0 * ((i + 2 * ctx.size()) % 4 == 0);
  })};
  double tv = 0;
  const int seeds = 4;
  for (int seed = 0; seed < seeds; ++seed) {
    Options o;
    o.method = Method::kSmc;
    o.particles = 1000;
    o.ess_threshold = 0.99;
    o.max_tokens = 4;
    o.seed = seed;
    auto got = sampler::Run(t, o);
    ASSERT_TRUE(got.ok());
    EXPECT_GT(got->summary.resamples, 0);
    tv += TotalVariation(Estimate(*got), post) / seeds;
  }
  EXPECT_LT(tv, 3 * Bound(post, 1000));
  const int runs = 1500;
  std::vector<double> zs;
  for (int seed = 0; seed < runs; ++seed) {
    Options o;
    o.method = Method::kSmc;
    o.particles = 4;
    o.ess_threshold = 0.9;
    o.max_tokens = 4;
    o.seed = seed;
    auto got = sampler::Run(t, o);
    ASSERT_TRUE(got.ok());
    zs.push_back(std::exp(got->summary.log_z));
  }
  const double mean = std::accumulate(zs.begin(), zs.end(), 0.0) / runs;
  double s2 = 0;
  for (double x : zs) s2 += (x - mean) * (x - mean);
  const double se = std::sqrt(s2 / (runs - 1) / runs);
  std::printf("twisted smc: TV %.4f (B(1000) %.4f), mean Zhat %.5f vs Z %.5f (se %.5f)\n", tv, Bound(post, 1000),
              mean, z, se);
  EXPECT_NEAR(mean, z, 4 * se);
}

// E[Ẑ] = Z over seeds, while E[log Ẑ] < log Z (Jensen). N = 4 particles
// keeps Ẑ noisy enough for the gap to show. On Letters some runs die out
// entirely (Ẑ = 0, e.g. forced ends without a 'c'); on check_balance the
// masked proposal never dies, so E[log Ẑ] is finite and the gap measurable.
TEST(Smc, ZEstimateIsUnbiasedInZNotLogZ) {
  struct Case {
    Toy toy;
    Method method;
    ProposalKind proposal;
    int max_tokens;
  };
  const Case cases[] = {{Letters(), Method::kSmc, ProposalKind::kDirect, 4},
                        {Letters(), Method::kImportance, ProposalKind::kDirect, 4},
                        {Letters(), Method::kSmc, ProposalKind::kMasked, 4},
                        {testing::CheckBalance(), Method::kSmc, ProposalKind::kMasked, 8},
                        {testing::CheckBalance(), Method::kImportance, ProposalKind::kAwrs, 8},
                        {Letters(), Method::kSmc, ProposalKind::kAwrs, 4},
                        {testing::CheckBalance(), Method::kImportance, ProposalKind::kMasked, 8}};
  for (const Case& cs : cases) {
    const Toy& toy = cs.toy;
    const Method method = cs.method;
    const ProposalKind proposal = cs.proposal;
    double z = 0;
    toy.Posterior(cs.max_tokens, EndMode::kFinishedDocument, &z);
    const int runs = 2000;
    std::vector<double> zs, logs;
    for (int seed = 0; seed < runs; ++seed) {
      Options o;
      o.method = method;
      o.particles = o.samples = 4;
      o.proposal = proposal;
      o.ess_threshold = 0.9;
      o.max_tokens = cs.max_tokens;
      o.seed = seed;
      auto got = sampler::Run(toy.MakeTarget(), o);
      ASSERT_TRUE(got.ok());
      ASSERT_FALSE(std::isnan(got->summary.log_z));
      zs.push_back(std::exp(got->summary.log_z));
      logs.push_back(got->summary.log_z);
    }
    auto mean_sd = [](const std::vector<double>& v, double* sd) {
      const double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
      double s2 = 0;
      for (double x : v) s2 += (x - m) * (x - m);
      *sd = std::sqrt(s2 / (v.size() - 1));
      return m;
    };
    double sd_z = 0;
    const double mean_z = mean_sd(zs, &sd_z);
    EXPECT_NEAR(mean_z, z, 4 * sd_z / std::sqrt(runs)) << MethodName(method);
    std::printf("%s %s: Z=%.5f mean Zhat=%.5f (se %.5f)", MethodName(method), ProposalName(proposal), z, mean_z,
                sd_z / std::sqrt(runs));
    // With a direct proposal some runs have Ẑ = 0 (log −inf): then E[log Ẑ]
    // is −inf, the extreme case of the downward bias.
    std::vector<double> finite;
    for (double l : logs) {
      if (l != kLogZero) finite.push_back(l);
    }
    double sd_log = 0;
    const double mean_log = finite.size() > 1 ? mean_sd(finite, &sd_log) : kLogZero;
    std::printf(" mean log Zhat (finite %zu/%d)=%.4f vs log Z=%.4f\n", finite.size(), runs, mean_log, std::log(z));
    if (finite.size() == logs.size()) {
      EXPECT_LT(mean_log + 3 * sd_log / std::sqrt(runs), std::log(z)) << "no Jensen gap";
    } else {
      EXPECT_NE(cs.max_tokens, 8) << "check_balance with masking must never die out";
    }
  }
}

// Rejection sampling draws exactly from π: multinomial noise only.
TEST(Rejection, DrawsFromThePosterior) {
  const Toy toy = Letters();
  double z = 0;
  const Dist post = toy.Posterior(4, EndMode::kFinishedDocument, &z);
  Options o;
  o.method = Method::kRejection;
  o.samples = 3000;
  o.max_tries = 1000;
  o.max_tokens = 4;
  o.seed = 5;
  auto got = sampler::Run(toy.MakeTarget(), o);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->samples.size(), 3000u);
  EXPECT_LT(TotalVariation(Estimate(*got), post), 3 * Bound(post, 3000));
  // Acceptance rate estimates Z: binomial standard error.
  const double tries = static_cast<double>(got->summary.tries);
  EXPECT_NEAR(std::exp(got->summary.log_z), z, 4 * std::sqrt(z * (1 - z) / tries));
}

TEST(Ancestral, KeepsOnlyAcceptedAndHonoursTopK) {
  const Toy toy = testing::CheckBalance();
  Target t = toy.MakeTarget();
  t.constraints = {*potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens)};
  Options o;
  o.method = Method::kAncestral;
  o.samples = 2000;
  o.max_tokens = 8;
  o.seed = 9;
  auto got = sampler::Run(t, o);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->summary.tries, 2000);
  for (const auto& s : got->samples) EXPECT_NE(s.tokens, (std::vector<TokenId>{0, 1, 3, 4, 6}));
  // Acceptance is Z = 0.15355: binomial noise around it.
  EXPECT_NEAR(got->samples.size() / 2000.0, 0.15355, 4 * std::sqrt(0.15355 * 0.85 / 2000));
  // top-k = 1 always takes the likeliest token: account_num) is then the
  // only run, and the constraint rejects it.
  o.top_k = 1;
  got = sampler::Run(t, o);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->samples.empty());
  EXPECT_EQ(got->summary.log_z, kLogZero);
}

// Temperature and top-p reshape the base exactly as computed by hand on
// check_balance; the acceptance rate (binomial noise) shows it.
TEST(Ancestral, TemperatureAndTopPReshapeTheBase) {
  const Toy toy = testing::CheckBalance();
  Target t = toy.MakeTarget();
  t.constraints = {*potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens)};
  auto rate = [&](double temperature, double top_p) {
    Options o;
    o.method = Method::kAncestral;
    o.samples = 4000;
    o.max_tokens = 8;
    o.seed = 21;
    o.temperature = temperature;
    o.top_p = top_p;
    auto got = sampler::Run(t, o);
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->samples.size() / 4000.0 : -1.0;
  };
  auto pow_norm = [](double a, double b, double e) { return std::pow(a, e) / (std::pow(a, e) + std::pow(b, e)); };
  // T = 2: each choice ∝ p^(1/2).
  const double num = pow_norm(0.1, 0.9, 0.5), close = pow_norm(0.05, 0.95, 0.5), one = pow_norm(0.01, 0.99, 0.5);
  const double want_t2 = num + (1 - num) * (close + (1 - close) * one);
  EXPECT_NEAR(rate(2.0, 1.0), want_t2, 4 * std::sqrt(want_t2 * (1 - want_t2) / 4000));
  // top-p 0.92 keeps {ount, _num} after "acc", only "_" then only "num": accept = 0.1.
  EXPECT_NEAR(rate(1.0, 0.92), 0.1, 4 * std::sqrt(0.1 * 0.9 / 4000));
  // top-p 0.5 keeps only the likeliest token everywhere: account_num) is always rejected.
  EXPECT_EQ(rate(1.0, 0.5), 0.0);
  // Temperature 0 is argmax: the same.
  EXPECT_EQ(rate(0.0, 1.0), 0.0);
}

TEST(GreedyAndBeam, FindWhatTheyShould) {
  const Toy toy = testing::CheckBalance();
  Target t = toy.MakeTarget();
  t.constraints = {*potential::Coerce(std::make_shared<potential::MaxIdentLen>(10), toy.tokens)};
  t.token_bytes = toy.tokens;
  Options o;
  o.method = Method::kGreedy;
  o.max_tokens = 8;
  auto greedy = sampler::Run(t, o);
  ASSERT_TRUE(greedy.ok());
  ASSERT_EQ(greedy->samples.size(), 1u);
  EXPECT_EQ(greedy->samples[0].text, "account_1)");  // greedy under the mask walks into the trap
  EXPECT_NEAR(greedy->samples[0].log_weight, std::log(0.9 * 0.95 * 0.01), 1e-12);
  o.method = Method::kBeam;
  o.beam_width = 3;
  o.samples = 3;
  auto beam = sampler::Run(t, o);
  ASSERT_TRUE(beam.ok());
  ASSERT_GE(beam->samples.size(), 2u);
  EXPECT_EQ(beam->samples[0].text, "acc_num)");  // the posterior mode
  EXPECT_NEAR(beam->samples[0].log_weight, std::log(0.1), 1e-12);
  EXPECT_EQ(beam->samples[1].text, "account)");
}

// Impossible constraints: every method returns zero samples and log Z = −inf.
TEST(AllMethods, ImpossibleConstraintGivesNoSamplesAndMinusInfLogZ) {
  Toy toy = Letters();
  toy.complete_ok = [](std::string_view) { return false; };
  for (Method m : {Method::kAncestral, Method::kGreedy, Method::kBeam, Method::kRejection, Method::kLcd,
                   Method::kImportance, Method::kSmc, Method::kExact}) {
    for (EndMode mode : {EndMode::kFinishedDocument, EndMode::kStopWhenComplete}) {
      Options o;
      o.method = m;
      o.samples = 5;
      o.particles = 8;
      o.max_tries = 5;
      o.max_tokens = 4;
      auto got = sampler::Run(toy.MakeTarget(mode), o);
      ASSERT_TRUE(got.ok()) << MethodName(m);
      EXPECT_TRUE(got->samples.empty()) << MethodName(m);
      EXPECT_EQ(got->summary.log_z, kLogZero) << MethodName(m);
    }
  }
  // Also when even the empty prefix is impossible.
  toy.prefix_ok = [](std::string_view) { return false; };
  Options o;
  o.method = Method::kSmc;
  auto got = sampler::Run(toy.MakeTarget(), o);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->samples.empty());
  EXPECT_EQ(got->summary.log_z, kLogZero);
}

TEST(Smc, SameSeedSameResult) {
  Options o;
  o.method = Method::kSmc;
  o.particles = 64;
  o.max_tokens = 4;
  o.seed = 77;
  auto a = sampler::Run(Letters().MakeTarget(), o), b = sampler::Run(Letters().MakeTarget(), o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->samples.size(), b->samples.size());
  for (size_t i = 0; i < a->samples.size(); ++i) {
    EXPECT_EQ(a->samples[i].tokens, b->samples[i].tokens);
    EXPECT_EQ(a->samples[i].log_weight, b->samples[i].log_weight);
  }
  EXPECT_EQ(a->summary.log_z, b->summary.log_z);
  EXPECT_FALSE(a->summary.ess_history.empty());
}

TEST(Options, BadValuesAreErrorsNamingTheOption) {
  const Target t = Letters().MakeTarget();
  auto expect_bad = [&](Options o, const std::string& where) {
    auto got = sampler::Run(t, o);
    ASSERT_FALSE(got.ok()) << where;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(got.error().location, where);
  };
  Options o;
  o.particles = 0;
  expect_bad(o, "--particles");
  o = {};
  o.ess_threshold = 1.5;
  expect_bad(o, "--ess-threshold");
  o = {};
  o.top_p = 0;
  expect_bad(o, "--top-p");
  o = {};
  o.max_tokens = -1;
  expect_bad(o, "--max-tokens");
  Target mismatched = t;
  mismatched.constraints.push_back(std::make_shared<potential::MaxIdentLen>(3));
  auto got = sampler::Run(mismatched, Options{});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("vocabulary"), std::string::npos);
  EXPECT_EQ(*ParseMethod("is"), Method::kImportance);
  EXPECT_FALSE(ParseMethod("mcmc").ok());
}

TEST(Exact, EnumerationBudgetIsAnError) {
  Options o;
  o.method = Method::kExact;
  o.max_tokens = 12;
  o.exact_max_nodes = 1000;
  auto got = sampler::Run(Letters().MakeTarget(), o);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace steer::sampler
