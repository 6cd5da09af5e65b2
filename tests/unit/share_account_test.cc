// Scheduling-share accounting: time split among the jobsets needing a step, a 24 h window
// pruned by an injected time, share used = seconds / shares.
#include "reconcilers/share_account.hh"

#include <gtest/gtest.h>

namespace hydrant::reconcilers {
namespace {

constexpr UnixTime kDay = 24 * 3600;
constexpr UnixTime kT0 = 1'700'000'000;

TEST(ShareAccount, StepTimeIsSplitEquallyAmongItsJobsets) {
  ShareAccount a;
  const std::vector<JobsetId> both{1, 2};
  a.add(both, kT0, 300);
  const std::vector<JobsetId> one{1};
  a.add(one, kT0 + 10, 60);
  EXPECT_DOUBLE_EQ(a.seconds(1), 210);
  EXPECT_DOUBLE_EQ(a.seconds(2), 150);
  EXPECT_DOUBLE_EQ(a.seconds(3), 0);
}

TEST(ShareAccount, ShareUsedIsSecondsOverShares) {
  ShareAccount a;
  a.setShares(1, 100);
  a.setShares(2, 300);
  const std::vector<JobsetId> j1{1}, j2{2};
  a.add(j1, kT0, 3000);
  a.add(j2, kT0, 6000);
  EXPECT_DOUBLE_EQ(a.shareUsed(1), 30);
  EXPECT_DOUBLE_EQ(a.shareUsed(2), 20);
}

TEST(ShareAccount, UnknownJobsetsHaveDefaultSharesAndTooFewCountAsOne) {
  ShareAccount a;
  EXPECT_EQ(a.shares(7), ShareAccount::kDefaultShares);
  a.setShares(7, 0);
  EXPECT_EQ(a.shares(7), 1);
  a.setShares(7, -5);
  EXPECT_EQ(a.shares(7), 1);
}

TEST(ShareAccount, NonPositiveDurationsAndNoJobsetsChargeNothing) {
  ShareAccount a;
  const std::vector<JobsetId> j{1};
  a.add(j, kT0, 0);
  a.add(j, kT0, -40);
  a.add({}, kT0, 100);
  EXPECT_DOUBLE_EQ(a.seconds(1), 0);
}

TEST(ShareAccount, PruneDropsStepsThatStartedBeforeTheWindow) {
  ShareAccount a;
  const std::vector<JobsetId> j{1};
  // Added out of start order, as steps finish in any order.
  a.add(j, kT0 + 100, 10);  // inside the window at kT0 + kDay + 100
  a.add(j, kT0, 1000);      // starts exactly at the window's edge at kT0 + kDay
  a.add(j, kT0 + 50, 100);
  a.prune(kT0 + kDay);
  EXPECT_DOUBLE_EQ(a.seconds(1), 1110);
  a.prune(kT0 + kDay + 1);
  EXPECT_DOUBLE_EQ(a.seconds(1), 110);
  a.prune(kT0 + kDay + 51);
  EXPECT_DOUBLE_EQ(a.seconds(1), 10);
  a.prune(kT0 + 10 * kDay);
  EXPECT_DOUBLE_EQ(a.seconds(1), 0);
  EXPECT_DOUBLE_EQ(a.shareUsed(1), 0);
}

TEST(ShareAccount, WindowIsConfigurable) {
  ShareAccount a(3600);
  const std::vector<JobsetId> j{1};
  a.add(j, kT0, 100);
  a.prune(kT0 + 3600);
  EXPECT_DOUBLE_EQ(a.seconds(1), 100);
  a.prune(kT0 + 3601);
  EXPECT_DOUBLE_EQ(a.seconds(1), 0);
}

TEST(ShareAccount, UsageListsJobsetsByIdAndForgetDropsOne) {
  ShareAccount a;
  a.setShares(5, 200);
  const std::vector<JobsetId> j{3, 5};
  a.add(j, kT0, 800);
  auto usage = a.usage();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].jobset, 3);
  EXPECT_EQ(usage[0].shares, 100);
  EXPECT_DOUBLE_EQ(usage[0].seconds, 400);
  EXPECT_DOUBLE_EQ(usage[0].share_used, 4);
  EXPECT_EQ(usage[1].jobset, 5);
  EXPECT_DOUBLE_EQ(usage[1].share_used, 2);
  a.forget(3);
  usage = a.usage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].jobset, 5);
}

}  // namespace
}  // namespace hydrant::reconcilers
