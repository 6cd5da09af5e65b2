// One dispatch pass: the order of runnable steps (priorities, scheduling shares over an injected
// time), machine choice (system, features, mandatory features, load for speed, backoff), the
// never-stall rule, unsupported steps with their grace period, and retry hold-back.
#include "reconcilers/dispatcher.hh"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "reconcilers/dispatch_timing.hh"
#include "reconcilers/share_account.hh"

namespace hydrant::reconcilers {
namespace {

using Strings = std::vector<std::string>;
constexpr UnixTime kNow = 1'700'000'000;
constexpr UnixTime kDay = 24 * 3600;

struct M {
  std::string uri;
  unsigned max_jobs = 1;
  double speed = 1;
  unsigned jobs = 0;
  Strings systems{"x86_64-linux"};
  Strings supported{};
  Strings mandatory{};
  UnixTime disabled_until = 0;
  bool enabled = true;
};

struct S {
  StepId id;
  int global = 0;
  int build_priority = 0;
  BuildId build = 1;
  unsigned rdeps = 0;
  std::vector<JobsetId> jobsets{1};
  std::string system = "x86_64-linux";
  Strings features{};
  bool local = false;
  UnixTime retry_after = 0;
};

class Queue {
 public:
  explicit Queue(UnixTime now = kNow) : b_(now) {}

  Queue& machine(const M& m) {
    MachineState ms;
    ms.machine.uri = m.uri;
    ms.machine.systems = m.systems;
    ms.machine.max_jobs = m.max_jobs;
    ms.machine.speed_factor = m.speed;
    ms.machine.supported_features = m.supported;
    ms.machine.mandatory_features = m.mandatory;
    ms.current_jobs = m.jobs;
    ms.disabled_until = m.disabled_until;
    ms.enabled = m.enabled;
    b_.addMachine(ms);
    return *this;
  }

  Queue& step(const S& s) {
    RunnableStep r;
    r.id = s.id;
    r.kind = b_.kind(s.system, s.features, s.local);
    r.global_priority = s.global;
    r.build_priority = s.build_priority;
    r.lowest_build = s.build;
    r.rdeps = s.rdeps;
    r.retry_after = s.retry_after;
    b_.addStep(r, s.jobsets);
    return *this;
  }

  const DispatchResult& run(const ShareAccount& shares = ShareAccount()) {
    result_ = dispatch(b_.input(), shares);
    return result_;
  }

  const DispatchInput& input() const { return b_.input(); }

  // Step ids in dispatch order.
  std::vector<StepId> order() const {
    std::vector<StepId> ids;
    for (auto i : result_.order) ids.push_back(b_.input().steps[i].id);
    return ids;
  }

  // Step id → machine URI, for the steps started in the last pass.
  std::map<StepId, std::string> placed() const {
    std::map<StepId, std::string> out;
    for (const Assignment& a : result_.assignments) {
      out[b_.input().steps[a.step].id] = b_.input().machines[a.machine].machine.uri;
    }
    return out;
  }

  // Start order as step ids.
  std::vector<StepId> started() const {
    std::vector<StepId> ids;
    for (const Assignment& a : result_.assignments) ids.push_back(b_.input().steps[a.step].id);
    return ids;
  }

  const StepVerdict& verdict(StepId id) const {
    const auto& steps = b_.input().steps;
    for (std::uint32_t i = 0; i < steps.size(); ++i) {
      if (steps[i].id == id) return result_.verdicts[i];
    }
    throw std::out_of_range("no step " + std::to_string(id));
  }

  std::string why(StepId id) const {
    const auto& steps = b_.input().steps;
    for (std::uint32_t i = 0; i < steps.size(); ++i) {
      if (steps[i].id == id) return describe(b_.input(), i, result_.verdicts[i]);
    }
    return "";
  }

 private:
  DispatchInputBuilder b_;
  DispatchResult result_;
};

// ---- order ----

TEST(DispatchOrder, GlobalPriorityThenShareThenBuildPriorityThenOldestBuild) {
  ShareAccount shares;
  const std::vector<JobsetId> busy{2};
  shares.add(busy, kNow - 100, 5000);  // jobset 2 has used time; jobset 1 none
  Queue q;
  q.machine({"m", 0})
      .step({.id = 1, .build = 10, .jobsets = {2}})
      .step({.id = 2, .build = 50, .jobsets = {1}})
      .step({.id = 3, .build_priority = 9, .build = 60, .jobsets = {2}})
      .step({.id = 4, .global = 1, .build = 99, .jobsets = {2}})
      .step({.id = 5, .build = 40, .jobsets = {1}})
      .step({.id = 6, .build_priority = 1, .build = 70, .jobsets = {1}});
  q.run(shares);
  EXPECT_EQ(q.order(), (std::vector<StepId>{4, 6, 5, 2, 3, 1}));
}

TEST(DispatchOrder, StarvedJobsetGoesFirstRelativeToItsShares) {
  // Jobset 1 (100 shares) used 3000 s: 30 per share. Jobset 2 (300 shares) used 6000 s: 20 per
  // share. Jobset 2 used more time but less of its share, so it goes first despite newer builds.
  ShareAccount shares;
  shares.setShares(1, 100);
  shares.setShares(2, 300);
  const std::vector<JobsetId> j1{1}, j2{2};
  shares.add(j1, kNow - 3600, 3000);
  shares.add(j2, kNow - 3600, 6000);
  Queue q;
  q.machine({"m", 1})
      .step({.id = 1, .build = 1, .jobsets = {1}})
      .step({.id = 2, .build = 500, .jobsets = {2}});
  const auto& r = q.run(shares);
  EXPECT_EQ(q.order(), (std::vector<StepId>{2, 1}));
  EXPECT_EQ(q.started(), (std::vector<StepId>{2}));
  EXPECT_EQ(q.verdict(1).wait, StepWait::kMachinesBusy);
  ASSERT_EQ(r.share_used.size(), 2u);
  EXPECT_DOUBLE_EQ(r.share_used[0], 30);
  EXPECT_DOUBLE_EQ(r.share_used[1], 20);

  // Jobset 2's share grows past jobset 1's: the order turns.
  shares.add(j2, kNow - 60, 6000);  // 40 per share
  q.run(shares);
  EXPECT_EQ(q.order(), (std::vector<StepId>{1, 2}));
}

TEST(DispatchOrder, UsageLeavesTheWindowAfter24Hours) {
  ShareAccount shares;
  const std::vector<JobsetId> j1{1}, j2{2};
  shares.add(j1, kNow, 1000);
  shares.add(j2, kNow + 3600, 500);
  auto pass = [&](UnixTime now) {
    shares.prune(now);
    Queue q(now);
    q.machine({"m", 0})
        .step({.id = 1, .build = 1, .jobsets = {1}})
        .step({.id = 2, .build = 2, .jobsets = {2}});
    q.run(shares);
    return q.order();
  };
  EXPECT_EQ(pass(kNow + 7200), (std::vector<StepId>{2, 1}));         // 2 used less
  EXPECT_EQ(pass(kNow + kDay + 1), (std::vector<StepId>{1, 2}));     // 1's usage expired
  EXPECT_EQ(pass(kNow + kDay + 3601), (std::vector<StepId>{1, 2}));  // both 0: oldest build
}

TEST(DispatchOrder, AStepCountsTheLeastUsedOfItsJobsets) {
  ShareAccount shares;
  const std::vector<JobsetId> j1{1}, j2{2}, j3{3};
  shares.add(j1, kNow, 100);
  shares.add(j2, kNow, 200);
  shares.add(j3, kNow, 50);
  Queue q;
  q.machine({"m", 0})
      .step({.id = 1, .jobsets = {2}})
      .step({.id = 2, .jobsets = {1}})
      .step({.id = 3, .jobsets = {2, 3}});  // shared with the least-used jobset 3
  q.run(shares);
  EXPECT_EQ(q.order(), (std::vector<StepId>{3, 2, 1}));
}

TEST(DispatchOrder, TiesGoToMoreRdepsThenLowerStepId) {
  Queue q;
  q.machine({"m", 0})
      .step({.id = 9, .rdeps = 1})
      .step({.id = 3})
      .step({.id = 7, .rdeps = 4})
      .step({.id = 1});
  q.run();
  EXPECT_EQ(q.order(), (std::vector<StepId>{7, 9, 1, 3}));
}

TEST(DispatchOrder, NegativePrioritiesAndBuildIdsSortCorrectly) {
  Queue q;
  q.machine({"m", 0})
      .step({.id = 1, .global = -5})
      .step({.id = 2, .global = 0, .build_priority = -1})
      .step({.id = 3, .global = 0, .build_priority = 0, .build = 7})
      .step({.id = 4, .global = 0, .build_priority = 0, .build = 2});
  q.run();
  EXPECT_EQ(q.order(), (std::vector<StepId>{4, 3, 2, 1}));
}

// ---- retries ----

TEST(DispatchRetry, AStepWaitsForItsRetryTime) {
  Queue q;
  q.machine({"m", 2}).step({.id = 1, .global = 10, .retry_after = kNow + 60}).step({.id = 2});
  const auto& r = q.run();
  EXPECT_EQ(q.started(), (std::vector<StepId>{2}));
  EXPECT_EQ(q.order(), (std::vector<StepId>{2}));
  EXPECT_EQ(q.verdict(1).wait, StepWait::kRetryLater);
  EXPECT_EQ(q.verdict(1).until, kNow + 60);
  EXPECT_EQ(r.wake_at, kNow + 60);
  EXPECT_EQ(q.why(1), "waiting to retry until 2023-11-14T22:14:20Z");

  Queue at(kNow + 60);
  at.machine({"m", 2}).step({.id = 1, .global = 10, .retry_after = kNow + 60}).step({.id = 2});
  at.run();
  EXPECT_EQ(at.started(), (std::vector<StepId>{1, 2}));
}

// ---- machine choice ----

TEST(DispatchMachines, RequiredFeaturesGoToAMachineWithAllOfThem) {
  Queue q;
  q.machine({"plain", 4})
      .machine({"kvm-only", 4, 1, 0, {"x86_64-linux"}, {"kvm"}})
      .machine({"big", 4, 1, 0, {"x86_64-linux"}, {"kvm", "big-parallel"}})
      .step({.id = 1, .features = {"big-parallel", "kvm"}})
      .step({.id = 2, .features = {"kvm"}})
      .step({.id = 3, .features = {"nixos-test"}});
  const auto& r = q.run();
  const auto placed = q.placed();
  EXPECT_EQ(placed.at(1), "big");
  EXPECT_EQ(placed.at(2), "kvm-only");  // "big" has a job now; equal speed, less loaded
  EXPECT_EQ(placed.count(3), 0u);
  EXPECT_EQ(r.unsupported, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(q.why(3), "no machine for system \"x86_64-linux\" with features nixos-test");
}

TEST(DispatchMachines, AMachineWithMandatoryFeaturesTakesOnlyStepsRequiringThemAll) {
  Queue q;
  q.machine({"plain", 1})
      .machine({"bench", 4, 8, 0, {"x86_64-linux"}, {"kvm"}, {"benchmark", "kvm"}})
      .step({.id = 1, .build = 1})
      .step({.id = 2, .build = 2})
      .step({.id = 3, .build = 3, .features = {"benchmark"}})
      .step({.id = 4, .build = 4, .features = {"benchmark", "kvm"}});
  q.run();
  const auto placed = q.placed();
  EXPECT_EQ(placed.at(1), "plain");
  EXPECT_EQ(placed.count(2), 0u);  // plain is full; bench is free but will not take it
  EXPECT_EQ(q.verdict(2).wait, StepWait::kMachinesBusy);
  EXPECT_EQ(q.why(2), "every machine for system \"x86_64-linux\" is busy");
  EXPECT_EQ(q.verdict(3).wait, StepWait::kUnsupported);  // needs kvm too to use bench
  EXPECT_EQ(placed.at(4), "bench");  // a mandatory feature is also a supported one
}

TEST(DispatchMachines, PreferLocalBuildMeetsAMandatoryLocal) {
  Queue q;
  q.machine({"localhost", 4, 1, 0, {"x86_64-linux"}, {}, {"local"}})
      .machine({"remote", 4})
      .step({.id = 1, .local = true})
      .step({.id = 2})
      .step({.id = 3, .local = true, .retry_after = 0});
  q.run();
  const auto placed = q.placed();
  EXPECT_EQ(placed.at(1), "localhost");
  EXPECT_EQ(placed.at(2), "remote");
  // preferLocalBuild is a wish, not a requirement: with localhost at 1 job, remote at 1 job, the
  // tie goes to the first machine.
  EXPECT_EQ(placed.at(3), "localhost");
}

TEST(DispatchMachines, PreferLocalBuildAloneDoesNotRequireALocalMachine) {
  Queue q;
  q.machine({"remote", 1}).step({.id = 1, .local = true});
  q.run();
  EXPECT_EQ(q.placed().at(1), "remote");
}

TEST(DispatchMachines, BuiltinRunsOnAnyMachinesSystem) {
  Queue q;
  q.machine({"arm", 1, 1, 0, {"aarch64-linux"}}).step({.id = 1, .system = "builtin"});
  q.run();
  EXPECT_EQ(q.placed().at(1), "arm");
}

TEST(DispatchMachines, LeastLoadedForItsSpeedThenFastestThenFirst) {
  Queue q;
  q.machine({"slow", 8, 1, 1})     // 1 job / speed 1 = 1
      .machine({"fast", 8, 4, 2})  // 2 / 4 = 0.5
      .machine({"mid", 8, 2, 1})   // 1 / 2 = 0.5, slower than fast
      .step({.id = 1, .build = 1})
      .step({.id = 2, .build = 2})
      .step({.id = 3, .build = 3})
      .step({.id = 4, .build = 4});
  const auto& r = q.run();
  // 1 → fast (0.5, fastest) → fast 3/4; 2 → mid (0.5) → mid 1.0; 3 → fast (0.75);
  // 4 → slow, mid, fast all at 1.0: the fastest, fast.
  EXPECT_EQ(q.placed(),
            (std::map<StepId, std::string>{{1, "fast"}, {2, "mid"}, {3, "fast"}, {4, "fast"}}));
  EXPECT_EQ(r.machine_jobs, (std::vector<unsigned>{1, 5, 2}));
}

TEST(DispatchMachines, EqualMachinesTakeTurnsInInputOrder) {
  Queue q;
  q.machine({"a", 2}).machine({"b", 2});
  for (StepId i = 1; i <= 5; ++i) q.step({.id = i, .build = static_cast<BuildId>(i)});
  q.run();
  EXPECT_EQ(q.placed(), (std::map<StepId, std::string>{{1, "a"}, {2, "b"}, {3, "a"}, {4, "b"}}));
  EXPECT_EQ(q.verdict(5).wait, StepWait::kMachinesBusy);
}

TEST(DispatchMachines, BackedOffMachinesAreSkippedUntilTheyReturn) {
  Queue q;
  q.machine({"down", 4, 10, 0, {"x86_64-linux"}, {}, {}, kNow + 300})
      .machine({"up", 1})
      .machine({"arm", 1, 1, 0, {"aarch64-linux"}, {}, {}, kNow + 90})
      .step({.id = 1})
      .step({.id = 2})
      .step({.id = 3, .system = "aarch64-linux"});
  const auto& r = q.run();
  EXPECT_EQ(q.placed(), (std::map<StepId, std::string>{{1, "up"}}));
  EXPECT_EQ(q.verdict(2).wait, StepWait::kMachinesBusy);
  EXPECT_EQ(q.verdict(3).wait, StepWait::kMachinesBackedOff);
  EXPECT_EQ(q.verdict(3).until, kNow + 90);
  EXPECT_EQ(q.why(3),
            "every machine for system \"aarch64-linux\" is backed off until 2023-11-14T22:14:50Z");
  EXPECT_TRUE(r.unsupported.empty());  // a backed-off machine still counts
  EXPECT_EQ(r.wake_at, kNow + 90);     // the earliest return that a waiting step needs

  Queue back(kNow + 300);
  back.machine({"down", 4, 10, 0, {"x86_64-linux"}, {}, {}, kNow + 300}).machine({"up", 1});
  back.step({.id = 1}).step({.id = 2});
  back.run();
  // Both idle: the faster takes the first step; then "up" (0 jobs) is less loaded than "down"
  // (1 job for speed 10).
  EXPECT_EQ(back.placed(), (std::map<StepId, std::string>{{1, "down"}, {2, "up"}}));
}

TEST(DispatchMachines, NoWakeUpForABackedOffMachineNoStepNeeds) {
  Queue q;
  q.machine({"up", 2}).machine({"arm", 1, 1, 0, {"aarch64-linux"}, {}, {}, kNow + 90});
  q.step({.id = 1});
  EXPECT_FALSE(q.run().wake_at.has_value());
}

// ---- never stall ----

TEST(DispatchNeverStall, OneStepStartsOnAZeroSlotMachineWhenNothingRuns) {
  Queue q;
  q.machine({"localhost", 0}).step({.id = 1, .build = 2}).step({.id = 2, .build = 1});
  q.run();
  EXPECT_EQ(q.started(), (std::vector<StepId>{2}));
  EXPECT_EQ(q.verdict(1).wait, StepWait::kMachinesBusy);
}

TEST(DispatchNeverStall, NothingExtraStartsWhileAnythingRuns) {
  Queue q;
  q.machine({"localhost", 0}).machine({"other", 1, 1, 1, {"aarch64-linux"}});
  q.step({.id = 1});
  q.run();
  EXPECT_TRUE(q.started().empty());
}

TEST(DispatchNeverStall, NotWhenTheOnlyFittingMachineIsBackedOff) {
  Queue q;
  q.machine({"localhost", 0, 1, 0, {"x86_64-linux"}, {}, {}, kNow + 60}).step({.id = 1});
  const auto& r = q.run();
  EXPECT_TRUE(q.started().empty());
  EXPECT_EQ(q.verdict(1).wait, StepWait::kMachinesBackedOff);
  EXPECT_EQ(r.wake_at, kNow + 60);
}

TEST(DispatchNeverStall, NotWhenTheNormalPassStartedSomething) {
  Queue q;
  q.machine({"zero", 0, 1, 0, {"aarch64-linux"}}).machine({"one", 1});
  q.step({.id = 1, .system = "aarch64-linux"}).step({.id = 2});
  q.run();
  EXPECT_EQ(q.started(), (std::vector<StepId>{2}));
}

// ---- unsupported ----

TEST(DispatchUnsupported, RemovedMachinesDoNotCountAndGraceEndsInFailure) {
  UnsupportedTracker tracker;  // 120 s
  auto pass = [&](UnixTime now) {
    Queue q(now);
    q.machine({"gone", 1, 1, 0, {"aarch64-linux"}, {}, {}, 0, false})
        .step({.id = 5, .system = "aarch64-linux"})
        .step({.id = 6, .system = "aarch64-linux", .retry_after = now + 999});
    const DispatchResult& r = q.run();
    EXPECT_EQ(q.verdict(6).wait, StepWait::kUnsupported);
    EXPECT_FALSE(r.wake_at.has_value());
    std::vector<StepId> ids;
    for (auto i : r.unsupported) ids.push_back(q.input().steps[i].id);
    return tracker.update(ids, now);
  };
  auto report = pass(kNow);
  EXPECT_TRUE(report.fail_now.empty());
  EXPECT_EQ(report.next_deadline, kNow + 120);
  report = pass(kNow + 119);
  EXPECT_TRUE(report.fail_now.empty());
  report = pass(kNow + 120);
  EXPECT_EQ(report.fail_now, (std::vector<StepId>{5, 6}));
}

TEST(DispatchUnsupported, UnknownSystemIsNamed) {
  Queue q;
  q.machine({"m", 1}).step({.id = 1, .system = "x86_64-darwin", .features = {"kvm", "big"}});
  const auto& r = q.run();
  EXPECT_EQ(r.unsupported, (std::vector<std::uint32_t>{0}));
  EXPECT_TRUE(r.order.empty());
  EXPECT_EQ(q.why(1), "no machine for system \"x86_64-darwin\" with features big, kvm");
}

TEST(DispatchDescribe, StartedNamesTheMachine) {
  Queue q;
  q.machine({"ssh://b1", 1}).step({.id = 1});
  q.run();
  EXPECT_EQ(q.why(1), "started on ssh://b1");
  EXPECT_EQ(q.verdict(1).machine, 0u);
}

TEST(DispatchInputBuilder, InternsKindsAndJobsets) {
  DispatchInputBuilder b(kNow);
  EXPECT_EQ(b.kind("x86_64-linux", {"kvm", "big"}, false), 0u);
  EXPECT_EQ(b.kind("x86_64-linux", {"big", "kvm", "kvm"}, false), 0u);
  EXPECT_EQ(b.kind("x86_64-linux", {"big", "kvm"}, true), 1u);
  EXPECT_EQ(b.kind("x86_64-linux", {}, false), 2u);
  EXPECT_EQ(b.kind("x86_64-linuxbig", {}, false), 3u);
  const std::vector<JobsetId> a{40, 7}, c{7};
  b.addStep(RunnableStep{.id = 1}, a);
  b.addStep(RunnableStep{.id = 2}, c);
  const DispatchInput& in = b.input();
  EXPECT_EQ(in.jobsets, (std::vector<JobsetId>{40, 7}));
  EXPECT_EQ(in.step_jobsets, (std::vector<std::uint32_t>{0, 1, 1}));
  EXPECT_EQ(in.steps[1].jobsets_begin, 2u);
  EXPECT_EQ(in.steps[1].jobsets_count, 1u);
  EXPECT_EQ(in.kinds[0].required_features, (Strings{"big", "kvm"}));
}

}  // namespace
}  // namespace hydrant::reconcilers
