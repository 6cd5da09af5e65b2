// The evaluator's scheduling rules, as a pure function: due, order, limit, retry hold-back.
#include "reconcilers/eval_schedule.hh"

#include <gtest/gtest.h>

namespace hydrant::reconcilers {
namespace {

JobsetTiming jobset(int id, std::optional<long long> checked, std::optional<long long> trigger = {},
                    int interval = 300, int enabled = 1) {
  JobsetTiming j;
  j.id = id;
  j.enabled = enabled;
  j.checkinterval = interval;
  j.lastcheckedtime = checked;
  j.triggertime = trigger;
  return j;
}

TEST(EvalSchedule, NeverCheckedIsDueAtOnce) {
  EXPECT_TRUE(isDue(jobset(1, std::nullopt), 1000));
}

TEST(EvalSchedule, DueWhenTheIntervalHasPassed) {
  EXPECT_FALSE(isDue(jobset(1, 1000), 1299));
  EXPECT_TRUE(isDue(jobset(1, 1000), 1300));
}

TEST(EvalSchedule, ZeroIntervalIsNeverDueByTimeButATriggerWorks) {
  EXPECT_FALSE(isDue(jobset(1, std::nullopt, std::nullopt, 0), 1'000'000));
  EXPECT_TRUE(isDue(jobset(1, std::nullopt, 5, 0), 6));
}

TEST(EvalSchedule, TriggerIgnoresTheInterval) {
  EXPECT_TRUE(isDue(jobset(1, 1000, 1001), 1002));
}

TEST(EvalSchedule, OneAtATimeWaitsForUnfinishedBuildsUnlessTriggered) {
  auto j = jobset(1, 1000, std::nullopt, 300, 3);
  j.last_eval_unfinished = true;
  EXPECT_FALSE(isDue(j, 5000));
  j.last_eval_unfinished = false;
  EXPECT_TRUE(isDue(j, 5000));
  j.last_eval_unfinished = true;
  j.triggertime = 4000;
  EXPECT_TRUE(isDue(j, 5000));
}

TEST(EvalSchedule, TriggeredFirstOldestTriggerThenLeastRecentlyChecked) {
  ScheduleInput in;
  in.now = 10'000;
  in.max_running = 10;
  in.jobsets = {jobset(1, 100), jobset(2, 50), jobset(3, 9000, 9500), jobset(4, 9000, 9400),
                jobset(5, std::nullopt), jobset(6, 9990)};
  EXPECT_EQ(schedule(in).start, (std::vector<int>{4, 3, 5, 2, 1}));
}

TEST(EvalSchedule, StartsNoMoreThanTheFreeSlots) {
  ScheduleInput in;
  in.now = 10'000;
  in.max_running = 2;
  in.jobsets = {jobset(1, 100), jobset(2, 50), jobset(3, 10), jobset(4, 0)};
  in.running = {4};
  EXPECT_EQ(schedule(in).start, (std::vector<int>{3}));
  in.running = {1, 4};
  EXPECT_TRUE(schedule(in).start.empty());
}

TEST(EvalSchedule, RunningJobsetIsNotStartedAgainEvenWhenTriggered) {
  ScheduleInput in;
  in.now = 10'000;
  in.jobsets = {jobset(1, 100, 9999)};
  in.running = {1};
  EXPECT_TRUE(schedule(in).start.empty());
}

TEST(EvalSchedule, NextDueIsTheEarliestTimeSomethingBecomesDue) {
  ScheduleInput in;
  in.now = 1000;
  in.jobsets = {jobset(1, 900, std::nullopt, 300), jobset(2, 950, std::nullopt, 100),
                jobset(3, 0, std::nullopt, 0)};
  auto d = schedule(in);
  EXPECT_TRUE(d.start.empty());
  ASSERT_TRUE(d.next_due.has_value());
  EXPECT_EQ(*d.next_due, 1050);
}

TEST(EvalSchedule, NothingEverDueMeansNoWakeUp) {
  ScheduleInput in;
  in.now = 1000;
  in.jobsets = {jobset(1, 900, std::nullopt, 0)};
  EXPECT_FALSE(schedule(in).next_due.has_value());
}

TEST(EvalSchedule, RetryTimeHoldsBackEvenATrigger) {
  ScheduleInput in;
  in.now = 1000;
  in.jobsets = {jobset(1, 990, 995)};
  in.retry_after = {{1, 1060}};
  auto d = schedule(in);
  EXPECT_TRUE(d.start.empty());
  ASSERT_TRUE(d.next_due.has_value());
  EXPECT_EQ(*d.next_due, 1060);
  in.now = 1060;
  EXPECT_EQ(schedule(in).start, (std::vector<int>{1}));
}

}  // namespace
}  // namespace hydrant::reconcilers
