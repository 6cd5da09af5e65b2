// Retry and backoff times as pure functions of the attempt and a random draw, and the grace
// period before a step without any machine fails as "unsupported system type".
#include "reconcilers/dispatch_timing.hh"

#include <gtest/gtest.h>

#include <climits>

namespace hydrant::reconcilers {
namespace {

constexpr UnixTime kNow = 1'700'000'000;

struct DelayCase {
  std::string name;
  int attempt;
  double random;
  std::optional<long long> want;  // seconds after kNow; none: no retry
};

class StepRetryTable : public ::testing::TestWithParam<DelayCase> {};

TEST_P(StepRetryTable, RetriesAtHydrasTimes) {
  const auto at = stepRetryAt(StepRetryPolicy{}, GetParam().attempt, kNow, GetParam().random);
  if (!GetParam().want) {
    EXPECT_FALSE(at.has_value());
  } else {
    ASSERT_TRUE(at.has_value());
    EXPECT_EQ(*at - kNow, *GetParam().want);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, StepRetryTable,
                         ::testing::Values(DelayCase{"FirstFailureWaitsAMinute", 1, 0.0, 60},
                                           DelayCase{"SecondFailureWaitsThreeMinutes", 2, 0.0, 180},
                                           DelayCase{"ThirdFailure", 3, 0.0, 540},
                                           DelayCase{"FourthFailure", 4, 0.0, 1620},
                                           DelayCase{"FifthFailureIsFinal", 5, 0.0, std::nullopt},
                                           DelayCase{"BeyondMaxIsFinal", 9, 0.0, std::nullopt},
                                           DelayCase{"JitterAddsUpToNineSeconds", 1, 0.999, 69},
                                           DelayCase{"JitterHalfway", 2, 0.5, 185},
                                           DelayCase{"ZeroAttemptsCountAsOne", 0, 0.0, 60}),
                         [](const ::testing::TestParamInfo<DelayCase>& info) {
                           return info.param.name;
                         });

TEST(StepRetry, MaxTriesIsConfigurable) {
  StepRetryPolicy p;
  p.max_tries = 2;
  EXPECT_TRUE(stepRetryAt(p, 1, kNow, 0).has_value());
  EXPECT_FALSE(stepRetryAt(p, 2, kNow, 0).has_value());
  p.max_tries = 1;
  EXPECT_FALSE(stepRetryAt(p, 1, kNow, 0).has_value());
}

class MachineBackoffTable : public ::testing::TestWithParam<DelayCase> {};

TEST_P(MachineBackoffTable, DisablesForHydrasTimes) {
  EXPECT_EQ(
      disabledUntil(MachineBackoffPolicy{}, GetParam().attempt, kNow, GetParam().random) - kNow,
      *GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Cases, MachineBackoffTable,
                         ::testing::Values(DelayCase{"FirstFailure", 1, 0.0, 60},
                                           DelayCase{"SecondFailure", 2, 0.0, 180},
                                           DelayCase{"ThirdFailure", 3, 0.0, 540},
                                           DelayCase{"FourthFailure", 4, 0.0, 1620},
                                           DelayCase{"FifthFailureIsCapped", 5, 0.0, 1620},
                                           DelayCase{"HugeCountIsCapped", INT_MAX, 0.0, 1620},
                                           DelayCase{"JitterUpTo29Seconds", 1, 0.999, 89},
                                           DelayCase{"JitterHalfway", 4, 0.5, 1635},
                                           DelayCase{"NoFailuresCountAsOne", 0, 0.0, 60}),
                         [](const ::testing::TestParamInfo<DelayCase>& info) {
                           return info.param.name;
                         });

TEST(MachineBackoff, CapIsConfigurable) {
  MachineBackoffPolicy p;
  p.cap_seconds = 3600;
  p.jitter_seconds = 0;
  EXPECT_EQ(disabledUntil(p, 5, kNow, 0.7) - kNow, 3600);  // 60·3⁴ = 4860, capped
  EXPECT_EQ(disabledUntil(p, 4, kNow, 0.7) - kNow, 1620);
}

TEST(MachineBackoff, FailuresInQuickSuccessionCountOnce) {
  const MachineBackoffPolicy p;
  EXPECT_EQ(nextConsecutiveFailures(p, 0, std::nullopt, kNow), 1);
  EXPECT_EQ(nextConsecutiveFailures(p, 1, kNow - 29, kNow), 1);
  EXPECT_EQ(nextConsecutiveFailures(p, 1, kNow - 30, kNow), 2);
  EXPECT_EQ(nextConsecutiveFailures(p, 0, kNow - 1, kNow), 1);  // a reset counter counts anew
  EXPECT_EQ(nextConsecutiveFailures(p, INT_MAX, kNow - 100, kNow), INT_MAX);
}

TEST(ExponentialSeconds, SaturatesWithoutOverflow) {
  EXPECT_EQ(exponentialSeconds(60, 3, LLONG_MAX, INT_MAX), LLONG_MAX);
  EXPECT_EQ(exponentialSeconds(60, 3, 1000, 100), 1000);
  EXPECT_EQ(exponentialSeconds(60, 0.5, 1000, 3), 60);  // factor below 1 counts as 1
  EXPECT_EQ(exponentialSeconds(-5, 3, 1000, 3), 0);
}

TEST(UnsupportedTracker, FailsAStepAfterTheGracePeriod) {
  UnsupportedTracker t;  // 120 s
  const std::vector<StepId> steps{7, 8};
  auto r = t.update(steps, kNow);
  EXPECT_TRUE(r.fail_now.empty());
  ASSERT_EQ(r.waiting.size(), 2u);
  EXPECT_EQ(r.waiting[0].step, 7u);
  EXPECT_EQ(r.waiting[0].first_seen, kNow);
  EXPECT_EQ(r.waiting[0].fail_at, kNow + 120);
  EXPECT_EQ(r.next_deadline, kNow + 120);

  const std::vector<StepId> later{8, 9};
  r = t.update(later, kNow + 119);  // 7 got a machine; 9 is new
  EXPECT_TRUE(r.fail_now.empty());
  EXPECT_EQ(r.next_deadline, kNow + 120);
  EXPECT_EQ(t.size(), 2u);

  r = t.update(later, kNow + 120);
  EXPECT_EQ(r.fail_now, (std::vector<StepId>{8}));
  EXPECT_EQ(r.next_deadline, kNow + 119 + 120);
  ASSERT_EQ(r.waiting.size(), 2u);
  EXPECT_EQ(r.waiting[1].first_seen, kNow + 119);
}

TEST(UnsupportedTracker, AStepThatRegainsAMachineWaitsAFullGraceNextTime) {
  UnsupportedTracker t(60);
  const std::vector<StepId> s{1};
  (void)t.update(s, kNow);
  (void)t.update({}, kNow + 50);
  auto r = t.update(s, kNow + 100);
  EXPECT_TRUE(r.fail_now.empty());
  EXPECT_EQ(r.next_deadline, kNow + 160);
}

TEST(UnsupportedTracker, ZeroGraceFailsAtOnceAndRepeatsUntilTheStepIsGone) {
  UnsupportedTracker t(0);
  const std::vector<StepId> s{4, 4};
  auto r = t.update(s, kNow);
  EXPECT_EQ(r.fail_now, (std::vector<StepId>{4}));
  EXPECT_FALSE(r.next_deadline.has_value());
  r = t.update(s, kNow + 1);  // the caller could not fail it: it is reported again
  EXPECT_EQ(r.fail_now, (std::vector<StepId>{4}));
}

}  // namespace
}  // namespace hydrant::reconcilers
