// The queue's step graph: steps shared between builds, runnability, success unlocking
// dependents, failure taking every dependent build with it, cancelled builds leaving.
#include "reconcilers/step_graph.hh"

#include <gtest/gtest.h>

namespace hydrant::reconcilers {
namespace {

ClosureStep step(const std::string& drv, std::vector<std::string> inputs = {},
                 bool built = false) {
  ClosureStep c;
  c.info.drv_path = drv;
  c.info.system = "x86_64-linux";
  c.input_drvs = std::move(inputs);
  c.built = built;
  return c;
}

using Strings = std::vector<std::string>;
using Ids = std::vector<int>;

// a ← b ← c (c depends on b, b on a); d is independent.
TEST(StepGraph, OnlyStepsWithBuiltInputsAreRunnable) {
  StepGraph g;
  EXPECT_FALSE(g.addBuild(1, "c", {step("a"), step("b", {"a"}), step("c", {"b"})}));
  EXPECT_FALSE(g.addBuild(2, "d", {step("d")}));
  EXPECT_EQ(g.runnable(), (Strings{"a", "d"}));
  EXPECT_EQ(g.buildsNeeding("a"), Ids{1});
  EXPECT_EQ(g.buildsOf("c"), Ids{1});
  EXPECT_TRUE(g.buildsOf("a").empty());
}

TEST(StepGraph, ABuildWhoseOutputsAreAllValidNeedsNothing) {
  StepGraph g;
  EXPECT_TRUE(g.addBuild(1, "a", {step("a", {}, true)}));
  EXPECT_FALSE(g.hasBuild(1));
  EXPECT_EQ(g.steps(), 0u);
}

TEST(StepGraph, BuiltInputsAreNotDependencies) {
  StepGraph g;
  g.addBuild(1, "b", {step("a", {}, true), step("b", {"a"})});
  EXPECT_EQ(g.runnable(), Strings{"b"});
  EXPECT_FALSE(g.hasStep("a"));
}

TEST(StepGraph, StepsAreSharedBetweenBuilds) {
  StepGraph g;
  g.addBuild(1, "b", {step("a"), step("b", {"a"})});
  // The second build's closure leaves out what the graph already has.
  g.addBuild(2, "c", {step("c", {"a"})});
  EXPECT_EQ(g.steps(), 3u);
  EXPECT_EQ(g.buildsNeeding("a"), (Ids{1, 2}));
  auto built = g.markBuilt("a");
  EXPECT_TRUE(built.finished_builds.empty());
  EXPECT_EQ(built.now_runnable, (Strings{"b", "c"}));
}

TEST(StepGraph, BuildingTheTopDerivationFinishesItsBuild) {
  StepGraph g;
  g.addBuild(1, "b", {step("a"), step("b", {"a"})});
  g.addBuild(2, "a", {});  // a build of the dependency itself
  auto first = g.markBuilt("a");
  EXPECT_EQ(first.finished_builds, Ids{2});
  EXPECT_EQ(first.now_runnable, Strings{"b"});
  auto second = g.markBuilt("b");
  EXPECT_EQ(second.finished_builds, Ids{1});
  EXPECT_EQ(g.builds(), 0u);
  EXPECT_EQ(g.steps(), 0u);
}

TEST(StepGraph, AFailureTakesEveryBuildThatNeedsIt) {
  StepGraph g;
  g.addBuild(1, "b", {step("a"), step("b", {"a"})});
  g.addBuild(2, "c", {step("c", {"a"})});
  g.addBuild(3, "a", {});
  g.addBuild(4, "d", {step("d")});
  EXPECT_EQ(g.markFailed("a"), (Ids{3, 1, 2}));
  EXPECT_EQ(g.builds(), 1u);
  EXPECT_EQ(g.runnable(), Strings{"d"});
  EXPECT_FALSE(g.hasStep("b"));
  EXPECT_FALSE(g.hasStep("c"));
}

TEST(StepGraph, RunningStepsAreNotRunnableAndSurviveACancelledBuild) {
  StepGraph g;
  g.addBuild(1, "a", {step("a")});
  g.setRunning("a", true);
  EXPECT_TRUE(g.runnable().empty());
  g.removeBuild(1);
  EXPECT_TRUE(g.hasStep("a"));  // still running; its result is simply not needed
  g.setRunning("a", false);
  auto built = g.markBuilt("a");
  EXPECT_TRUE(built.finished_builds.empty());
  EXPECT_EQ(g.steps(), 0u);
}

TEST(StepGraph, ACancelledBuildTakesOnlyTheStepsNoOtherBuildNeeds) {
  StepGraph g;
  g.addBuild(1, "b", {step("a"), step("b", {"a"})});
  g.addBuild(2, "c", {step("c", {"a"})});
  g.removeBuild(1);
  EXPECT_FALSE(g.hasStep("b"));
  EXPECT_TRUE(g.hasStep("a"));
  EXPECT_EQ(g.buildsNeeding("a"), Ids{2});
}

}  // namespace
}  // namespace hydrant::reconcilers
