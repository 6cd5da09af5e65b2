#include "controller/runtime/backoff.hh"

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace hydrant::runtime {
namespace {

using std::chrono::milliseconds;

// base 500ms, factor 2, cap 300s, no jitter: the raw curve, so rows can state exact delays.
BackoffPolicy exact() { return BackoffPolicy{milliseconds(500), 2.0, milliseconds(300000), 0.0}; }

BackoffPolicy withJitter(double jitter) {
  BackoffPolicy p = exact();
  p.jitter = jitter;
  return p;
}

struct BackoffCase {
  std::string name;
  BackoffPolicy policy;
  int attempt;
  double random;
  milliseconds want;
};

class BackoffDelayTable : public ::testing::TestWithParam<BackoffCase> {};

TEST_P(BackoffDelayTable, ReturnsExpectedDelay) {
  const BackoffCase& c = GetParam();
  EXPECT_EQ(backoffDelay(c.policy, c.attempt, c.random).count(), c.want.count());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BackoffDelayTable,
    ::testing::Values(
        BackoffCase{"FirstAttemptIsBase", exact(), 1, 0.0, milliseconds(500)},
        BackoffCase{"SecondAttemptGrowsByFactor", exact(), 2, 0.0, milliseconds(1000)},
        BackoffCase{"FifthAttemptIsBaseTimesFactorToTheFourth", exact(), 5, 0.0,
                    milliseconds(8000)},
        BackoffCase{"LastAttemptBelowCap", exact(), 10, 0.0, milliseconds(256000)},
        BackoffCase{"CapReached", exact(), 11, 0.0, milliseconds(300000)},
        BackoffCase{"FarPastCapStaysAtCap", exact(), 1000, 0.0, milliseconds(300000)},
        BackoffCase{"HugeAttemptDoesNotOverflow", exact(), INT_MAX, 0.0, milliseconds(300000)},
        BackoffCase{"AttemptZeroCountsAsOne", exact(), 0, 0.0, milliseconds(500)},
        BackoffCase{"NegativeAttemptCountsAsOne", exact(), INT_MIN, 0.0, milliseconds(500)},
        BackoffCase{"ZeroJitterIgnoresRandom", exact(), 2, 0.99, milliseconds(1000)},
        BackoffCase{"JitterWithZeroRandomKeepsRawDelay", withJitter(0.5), 3, 0.0,
                    milliseconds(2000)},
        BackoffCase{"JitterReducesByItsShareOfRandom", withJitter(0.1), 2, 0.5, milliseconds(950)},
        BackoffCase{"FullJitterAtHalfRandomHalves", withJitter(1.0), 4, 0.5, milliseconds(2000)},
        BackoffCase{"FullJitterNearTopOfRandomNearlyZero", withJitter(1.0), 1, 0.998,
                    milliseconds(1)},
        BackoffCase{"JitterAtCapStaysWithinBand", withJitter(0.1), 50, 0.999999,
                    milliseconds(270000)},
        BackoffCase{"FactorOneIsConstant",
                    BackoffPolicy{milliseconds(700), 1.0, milliseconds(5000), 0.0}, 40, 0.0,
                    milliseconds(700)},
        BackoffCase{"FractionalFactor",
                    BackoffPolicy{milliseconds(1000), 1.5, milliseconds(60000), 0.0}, 3, 0.0,
                    milliseconds(2250)},
        BackoffCase{"BaseAboveCapIsCapped",
                    BackoffPolicy{milliseconds(9000), 2.0, milliseconds(5000), 0.0}, 1, 0.0,
                    milliseconds(5000)}),
    [](const ::testing::TestParamInfo<BackoffCase>& info) { return info.param.name; });

// The documented band, checked over the whole curve rather than at hand-picked points.
TEST(BackoffDelay, StaysWithinJitterBandAndUnderCap) {
  const BackoffPolicy policy = withJitter(0.25);
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const double raw = backoffDelay(exact(), attempt, 0.0).count();
    for (double random : {0.0, 0.1, 0.5, 0.9, 0.999}) {
      const auto delay = backoffDelay(policy, attempt, random);
      EXPECT_LE(delay.count(), raw) << "attempt " << attempt << " random " << random;
      EXPECT_GE(delay.count(), raw * 0.75 - 0.5) << "attempt " << attempt << " random " << random;
      EXPECT_LE(delay, policy.cap);
    }
  }
}

TEST(BackoffDelay, NeverShrinksAsAttemptsGrow) {
  for (int attempt = 1; attempt < 64; ++attempt) {
    EXPECT_LE(backoffDelay(exact(), attempt, 0.0), backoffDelay(exact(), attempt + 1, 0.0))
        << "attempt " << attempt;
  }
}

}  // namespace
}  // namespace hydrant::runtime
