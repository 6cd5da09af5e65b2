#include <gtest/gtest.h>

#include "controller/web/queue_view.hh"

namespace hydrant::web::queue {
namespace {

db::QueueRow build(int id, int jobset_id, const std::string& jobset, const std::string& system,
                   const std::string& drv) {
  db::QueueRow b;
  b.id = id;
  b.jobset_id = jobset_id;
  b.project = "p";
  b.jobset = jobset;
  b.job = "job" + std::to_string(id);
  b.system = system;
  b.drvpath = drv;
  return b;
}

db::RunningStepRow step(int build, int jobset_id, const std::string& jobset,
                        const std::string& system, const std::string& drv,
                        const std::string& machine) {
  db::RunningStepRow s;
  s.build = build;
  s.stepnr = 1;
  s.jobset_id = jobset_id;
  s.project = "p";
  s.jobset = jobset;
  s.system = system;
  s.drvpath = drv;
  s.machine = machine;
  return s;
}

TEST(QueueDecisions, ReadsThePublishedDocument) {
  auto d = parseDecisions(
      R"({"steps":[{"drvpath":"/nix/store/a-x.drv","system":"x86_64-linux","builds":[3,4],)"
      R"("started":false,"reason":"every machine is busy"}],)"
      R"("jobsets":[{"jobset_id":7,"schedulingshares":100,"seconds":30.5,"shareUsed":0.305}],)"
      R"("updated":1700000000})");
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->steps.size(), 1u);
  EXPECT_EQ(d->steps[0].drvpath, "/nix/store/a-x.drv");
  EXPECT_EQ(d->steps[0].system, "x86_64-linux");
  EXPECT_EQ(d->steps[0].builds, (std::vector<int>{3, 4}));
  EXPECT_FALSE(d->steps[0].started);
  EXPECT_EQ(d->steps[0].reason, "every machine is busy");
  ASSERT_EQ(d->jobsets.size(), 1u);
  EXPECT_EQ(d->jobsets[0].jobset_id, 7);
  EXPECT_EQ(d->jobsets[0].schedulingshares, 100);
  EXPECT_DOUBLE_EQ(d->jobsets[0].seconds, 30.5);
  EXPECT_DOUBLE_EQ(d->jobsets[0].share_used, 0.305);
  EXPECT_EQ(d->updated, 1700000000);
}

TEST(QueueDecisions, OlderDocumentsWithoutSystemsAndBrokenOnesAreTold) {
  auto old = parseDecisions(R"({"steps":[{"drvpath":"/nix/store/a-x.drv"}],"jobsets":[]})");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->steps[0].system, "");
  EXPECT_FALSE(old->updated);
  auto broken = parseDecisions(R"({"steps":[{"builds":[1]}]})");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().message.rfind("queue status: ", 0), 0u) << broken.error().message;
  EXPECT_FALSE(parseDecisions("not json"));
}

TEST(QueueSummary, CountsQueuedRunnableAndBuildingPerSystemAndJobset) {
  const std::vector<db::QueueRow> builds = {
      build(1, 10, "main", "x86_64-linux", "/nix/store/1-a.drv"),
      build(2, 10, "main", "aarch64-linux", "/nix/store/2-b.drv"),
      build(3, 20, "other", "x86_64-linux", "/nix/store/3-c.drv")};
  const std::vector<db::RunningStepRow> running = {
      step(1, 10, "main", "x86_64-linux", "/nix/store/1-a.drv", "localhost")};
  Decisions d;
  // A dependency both jobsets need, counted once per jobset; a started step is not waiting.
  d.steps.push_back({"/nix/store/dep.drv", "x86_64-linux", {2, 3, 3}, false, "busy"});
  d.steps.push_back({"/nix/store/1-a.drv", "x86_64-linux", {1}, true, "started on localhost"});
  d.jobsets.push_back({10, 100, 60, 0.6});
  d.jobsets.push_back({30, 50, 0, 0});  // nothing queued, named below
  d.jobsets.push_back({40, 50, 0, 0});  // gone
  const Summary s = summarize(builds, running, d, {{30, "p", "idle"}});

  ASSERT_EQ(s.systems.size(), 2u);
  EXPECT_EQ(s.systems[0].system, "aarch64-linux");
  EXPECT_EQ(s.systems[0].queued, 1);
  EXPECT_EQ(s.systems[0].runnable, 0);
  EXPECT_EQ(s.systems[1].system, "x86_64-linux");
  EXPECT_EQ(s.systems[1].queued, 2);
  EXPECT_EQ(s.systems[1].runnable, 1);
  EXPECT_EQ(s.systems[1].building, 1);

  ASSERT_EQ(s.jobsets.size(), 3u);
  EXPECT_EQ(s.jobsets[0].jobset, "idle");
  EXPECT_EQ(s.jobsets[0].queued, 0);
  ASSERT_TRUE(s.jobsets[0].share);
  EXPECT_EQ(s.jobsets[0].share->schedulingshares, 50);
  EXPECT_EQ(s.jobsets[1].jobset, "main");
  EXPECT_EQ(s.jobsets[1].queued, 2);
  EXPECT_EQ(s.jobsets[1].runnable, 1);
  EXPECT_EQ(s.jobsets[1].building, 1);
  ASSERT_TRUE(s.jobsets[1].share);
  EXPECT_DOUBLE_EQ(s.jobsets[1].share->share_used, 0.6);
  EXPECT_EQ(s.jobsets[2].jobset, "other");
  EXPECT_EQ(s.jobsets[2].runnable, 1);
  EXPECT_FALSE(s.jobsets[2].share);
}

TEST(QueueReasons, BuildingThenOwnStepThenAStepItNeeds) {
  const std::vector<db::QueueRow> builds = {
      build(1, 10, "main", "x86_64-linux", "/nix/store/1-a.drv"),
      build(2, 10, "main", "x86_64-linux", "/nix/store/2-b.drv"),
      build(3, 10, "main", "x86_64-linux", "/nix/store/3-c.drv"),
      build(4, 10, "main", "x86_64-linux", "/nix/store/4-d.drv")};
  const std::vector<db::RunningStepRow> running = {
      step(1, 10, "main", "x86_64-linux", "/nix/store/0-dep.drv", "ssh://builder")};
  Decisions d;
  d.steps.push_back({"/nix/store/5-lib.drv", "x86_64-linux", {1, 2, 3}, false, "machines busy"});
  d.steps.push_back({"/nix/store/2-b.drv", "x86_64-linux", {2}, false, "no machine"});
  const auto reasons = buildReasons(builds, running, d);
  EXPECT_EQ(reasons.at(1), "building 0-dep.drv on ssh://builder");
  EXPECT_EQ(reasons.at(2), "no machine");
  EXPECT_EQ(reasons.at(3), "5-lib.drv: machines busy");
  EXPECT_EQ(reasons.count(4), 0u);
}

TEST(QueueJson, HydrasListFieldsInTheGivenOrder) {
  std::vector<db::QueueRow> builds = {build(5, 10, "main", "x86_64-linux", "/nix/store/5-e.drv"),
                                      build(2, 10, "main", "x86_64-linux", "/nix/store/2-b.drv")};
  builds[0].nixname = "e-1.0";
  builds[0].globalpriority = 9;
  builds[0].timestamp = 1000;
  const nlohmann::json j = queueJson(builds, {{5, "no machine"}});
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], 5);
  EXPECT_EQ(j[1]["id"], 2);
  for (const char* field : {"id", "finished", "timestamp", "stoptime", "jobset_id", "project",
                            "jobset", "job", "nixname", "system", "buildstatus", "releasename",
                            "priority", "globalpriority", "drvpath", "reason"}) {
    EXPECT_TRUE(j[0].contains(field)) << field;
  }
  EXPECT_EQ(j[0]["finished"], 0);
  EXPECT_TRUE(j[0]["buildstatus"].is_null());
  EXPECT_TRUE(j[0]["stoptime"].is_null());
  EXPECT_EQ(j[0]["nixname"], "e-1.0");
  EXPECT_EQ(j[0]["globalpriority"], 9);
  EXPECT_EQ(j[0]["reason"], "no machine");
  EXPECT_TRUE(j[1]["reason"].is_null());
  EXPECT_TRUE(j[1]["nixname"].is_null());
}

}  // namespace
}  // namespace hydrant::web::queue
