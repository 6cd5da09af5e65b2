// The queue and machines pages (controller/web/pages_queue.cc) over HTTP against a real database
// seeded with SQL: queued builds, a busy step and the documents the queue publishes in
// systemstatus; Hydra's JSON shapes and field names, the counts per system and per jobset, why a
// build is not building, names that must render as text, and 404s in the form asked. The last
// test lets a real QueueReconciler publish its documents and reads them back through the pages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "controller/queue_wiring.hh"
#include "controller/runtime/clock.hh"
#include "reconcilers/queue_reconciler.hh"
#include "tests/support/sql.hh"
#include "tests/support/web_server.hh"

namespace hydrant::testing {
namespace {

using nlohmann::json;

const std::string kEvilJob = "<script>alert(1)</script>\"it's\"&co";
const std::string kEvilMachine = "ssh://<script>m</script>";
constexpr long long kNow = 1700000000;  // 2023-11-14 22:13:20 UTC
constexpr long long kYear2100 = 4102444800;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

class WebQueue : public ::testing::Test {
 protected:
  void SetUp() override {
    web_.context().clock = &clock_;
    web_.start();
    sql("insert into projects (name, displayname) values ('p', 'P')");
    main_ = jobset("main");
    other_ = jobset("other");
    idle_ = jobset("idle");
  }

  void sql(const std::string& statement) { sqlExec(web_.conninfo(), statement); }
  std::string value(const std::string& query) { return sqlValue(web_.conninfo(), query); }

  int jobset(const std::string& name) {
    return std::stoi(
        value("insert into jobsets (project, name, nixexprinput, nixexprpath) values ('p', " +
              quote(name) + ", 'src', 'release.nix') returning id"));
  }

  // A queued build (or a finished one with `status` >= 0).
  int build(int jobset, const std::string& job, const std::string& system, const std::string& drv,
            long long globalpriority = 0, int status = -1) {
    const std::string finished =
        status < 0 ? "0, null, null, null" : "1, " + std::to_string(status) + ", 1, 2";
    return std::stoi(value(
        "insert into builds (jobset_id, job, system, drvpath, nixname, timestamp, globalpriority, "
        "  finished, buildstatus, starttime, stoptime) values (" +
        std::to_string(jobset) + ", " + quote(job) + ", " + quote(system) + ", " + quote(drv) +
        ", 'name-1.0', 1000, " + std::to_string(globalpriority) + ", " + finished +
        ") returning id"));
  }

  void systemStatus(const std::string& what, const json& doc) {
    sql("insert into systemstatus (what, status) values (" + quote(what) + ", " +
        quote(doc.dump()) + "::jsonb)");
  }

  // Three queued builds (the evil one bumped to the front), a finished one, a step building on
  // the evil machine, the dispatcher's decisions and two machines.
  void seedQueue() {
    hello_ = build(main_, "hello", "x86_64-linux", "/nix/store/aaa-hello.drv");
    evil_ = build(main_, kEvilJob, "aarch64-linux", "/nix/store/bbb-evil.drv", 5);
    deps_ = build(other_, "deps", "x86_64-linux", "/nix/store/ccc-deps.drv");
    build(main_, "done", "x86_64-linux", "/nix/store/eee-done.drv", 0, 0);
    sql("insert into buildsteps (build, stepnr, type, drvpath, busy, starttime, machine, system) "
        "values (" +
        std::to_string(hello_) + ", 1, 0, '/nix/store/aaa-hello.drv', 30, " +
        std::to_string(kNow - 60) + ", " + quote(kEvilMachine) + ", 'x86_64-linux')");
    systemStatus(
        "queue",
        {{"steps",
          {{{"drvpath", "/nix/store/bbb-evil.drv"},
            {"system", "aarch64-linux"},
            {"builds", json::array({evil_})},
            {"started", false},
            {"reason", "no machine for system \"aarch64-linux\" <b>&</b>"}},
           {{"drvpath", "/nix/store/ddd-dep.drv"},
            {"system", "x86_64-linux"},
            {"builds", json::array({deps_})},
            {"started", false},
            {"reason", "every machine for system \"x86_64-linux\" is busy"}}}},
         {"jobsets",
          {{{"jobset_id", main_}, {"schedulingshares", 100}, {"seconds", 50}, {"shareUsed", 0.5}},
           {{"jobset_id", idle_}, {"schedulingshares", 300}, {"seconds", 0}, {"shareUsed", 0}}}},
         {"updated", kNow}});
    seedMachines();
  }

  void seedMachines() {
    systemStatus("machines", {{"updated", kNow},
                              {"machines",
                               {{{"uri", kEvilMachine},
                                 {"systems", {"x86_64-linux", "i686-linux"}},
                                 {"maxJobs", 4},
                                 {"speedFactor", 2.5},
                                 {"supportedFeatures", {"kvm", "big-parallel"}},
                                 {"mandatoryFeatures", {"benchmark"}},
                                 {"currentJobs", 1},
                                 {"enabled", true},
                                 {"disabledUntil", 0},
                                 {"consecutiveFailures", 0}},
                                {{"uri", "ssh://backed"},
                                 {"systems", {"aarch64-linux"}},
                                 {"maxJobs", 1},
                                 {"speedFactor", 1},
                                 {"supportedFeatures", json::array()},
                                 {"mandatoryFeatures", json::array()},
                                 {"currentJobs", 0},
                                 {"enabled", true},
                                 {"disabledUntil", kYear2100},
                                 {"consecutiveFailures", 3}}}}});
  }

  runtime::ManualClock clock_{runtime::SystemTime{std::chrono::seconds(kNow)}};
  TestWeb web_;
  int main_ = 0, other_ = 0, idle_ = 0;
  int hello_ = 0, evil_ = 0, deps_ = 0;
};

TEST_F(WebQueue, QueueJsonIsHydrasListOfQueuedBuildsInQueueOrder) {
  seedQueue();
  const WebReply reply = web_.getJson("/queue");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  const json q = json::parse(reply.body);
  ASSERT_TRUE(q.is_array());
  ASSERT_EQ(q.size(), 3u) << "the finished build is not queued";
  // globalpriority first (a bump), then by id.
  EXPECT_EQ(q[0]["id"], evil_);
  EXPECT_EQ(q[1]["id"], hello_);
  EXPECT_EQ(q[2]["id"], deps_);
  for (const char* field : {"id", "finished", "timestamp", "stoptime", "jobset_id", "job",
                            "nixname", "system", "buildstatus", "releasename", "project", "jobset",
                            "priority", "globalpriority", "drvpath", "reason"}) {
    EXPECT_TRUE(q[0].contains(field)) << "missing \"" << field << "\"";
  }
  EXPECT_EQ(q[0]["job"], kEvilJob);
  EXPECT_EQ(q[0]["finished"], 0);
  EXPECT_EQ(q[0]["jobset_id"], main_);
  EXPECT_EQ(q[0]["project"], "p");
  EXPECT_EQ(q[0]["jobset"], "main");
  EXPECT_EQ(q[0]["system"], "aarch64-linux");
  EXPECT_EQ(q[0]["nixname"], "name-1.0");
  EXPECT_EQ(q[0]["timestamp"], 1000);
  EXPECT_EQ(q[0]["globalpriority"], 5);
  EXPECT_TRUE(q[0]["buildstatus"].is_null());
  EXPECT_EQ(q[0]["reason"], "no machine for system \"aarch64-linux\" <b>&</b>");
  EXPECT_EQ(q[1]["reason"], "building aaa-hello.drv on " + kEvilMachine);
  EXPECT_EQ(q[2]["reason"], "ddd-dep.drv: every machine for system \"x86_64-linux\" is busy");
}

TEST_F(WebQueue, SummaryCountsPerSystemAndJobsetWithTheDecisions) {
  seedQueue();
  const WebReply reply = web_.getJson("/queue-summary");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json s = json::parse(reply.body);
  EXPECT_EQ(s["updated"], kNow);
  EXPECT_EQ(s["systems"], json::parse(R"([
    {"system": "aarch64-linux", "queued": 1, "runnable": 1, "building": 0},
    {"system": "x86_64-linux", "queued": 2, "runnable": 1, "building": 1}])"));
  ASSERT_EQ(s["jobsets"].size(), 3u);
  const json& idle = s["jobsets"][0];
  EXPECT_EQ(idle["jobset"], "idle");
  EXPECT_EQ(idle["queued"], 0);
  EXPECT_EQ(idle["schedulingshares"], 300);
  const json& main = s["jobsets"][1];
  EXPECT_EQ(main["jobset_id"], main_);
  EXPECT_EQ(main["project"], "p");
  EXPECT_EQ(main["jobset"], "main");
  EXPECT_EQ(main["queued"], 2);
  EXPECT_EQ(main["runnable"], 1);
  EXPECT_EQ(main["building"], 1);
  EXPECT_EQ(main["schedulingshares"], 100);
  EXPECT_EQ(main["seconds"], 50);
  EXPECT_EQ(main["shareUsed"], 0.5);
  const json& other = s["jobsets"][2];
  EXPECT_EQ(other["queued"], 1);
  EXPECT_EQ(other["runnable"], 1);
  EXPECT_TRUE(other["shareUsed"].is_null());
  ASSERT_EQ(s["steps"].size(), 2u);
  EXPECT_EQ(s["steps"][0]["builds"], json::array({evil_}));
  EXPECT_EQ(s["steps"][0]["system"], "aarch64-linux");

  const WebReply page = web_.get("/queue-summary", "text/html");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h1>Queue summary</h1>"), std::string::npos);
  EXPECT_NE(page.body.find("<tr><td>x86_64-linux</td><td>2</td><td>1</td><td>1</td></tr>"),
            std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("<h2>Queued builds</h2>"), std::string::npos) << "counts only";
}

TEST_F(WebQueue, QueuePageShowsCountsStepsAndReasonsWithNamesAsText) {
  seedQueue();
  const WebReply reply = web_.get("/queue", "text/html");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.content_type.find("text/html"), std::string::npos);
  const std::string& body = reply.body;
  EXPECT_EQ(body.find("<script"), std::string::npos) << "markup from the database got through";
  EXPECT_EQ(body.find("<b>&</b>"), std::string::npos);
  EXPECT_NE(body.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;it&#39;s&quot;&amp;co"),
            std::string::npos);
  EXPECT_NE(body.find("ssh://&lt;script&gt;m&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(body.find("no machine for system &quot;aarch64-linux&quot; &lt;b&gt;&amp;&lt;/b&gt;"),
            std::string::npos);
  EXPECT_NE(body.find("3 queued build(s), 1 step(s) building, 2 runnable step(s) waiting."),
            std::string::npos);
  EXPECT_NE(body.find("The dispatcher last reported at 2023-11-14 22:13:20 UTC."),
            std::string::npos);
  for (const char* heading :
       {"Per system", "Per jobset", "Building now", "Runnable steps waiting", "Queued builds"}) {
    EXPECT_NE(body.find(std::string("<h2>") + heading + "</h2>"), std::string::npos) << heading;
  }
  EXPECT_NE(body.find("<td>building</td>"), std::string::npos) << "busy 30 as a word";
  EXPECT_NE(body.find("href=\"/build/" + std::to_string(hello_) + "\""), std::string::npos);
  EXPECT_NE(body.find("href=\"/jobset/p/main\""), std::string::npos);
  EXPECT_NE(body.find("<td>0.5</td>"), std::string::npos) << "share used of p:main";
  EXPECT_EQ(body.find("eee-done"), std::string::npos) << "a finished build is not queued";
}

TEST_F(WebQueue, NothingPublishedYetIsSaidSo) {
  const WebReply json_queue = web_.getJson("/queue");
  ASSERT_EQ(json_queue.status, 200);
  EXPECT_EQ(json::parse(json_queue.body), json::array());
  const WebReply page = web_.get("/queue");
  EXPECT_NE(page.body.find("The dispatcher has not reported yet"), std::string::npos);
  EXPECT_NE(page.body.find("The queue is empty."), std::string::npos);
  const WebReply summary = web_.getJson("/queue-summary");
  EXPECT_TRUE(json::parse(summary.body)["updated"].is_null());
  const WebReply machines = web_.getJson("/machines");
  ASSERT_EQ(machines.status, 200);
  EXPECT_EQ(json::parse(machines.body), json::object());
  EXPECT_NE(web_.get("/machines").body.find("No machine status yet"), std::string::npos);
}

TEST_F(WebQueue, MachinesJsonHasHydrasFieldNames) {
  seedMachines();
  const WebReply reply = web_.getJson("/machines");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json m = json::parse(reply.body);
  ASSERT_TRUE(m.is_object());
  ASSERT_TRUE(m.contains(kEvilMachine)) << m.dump();
  const json& a = m[kEvilMachine];
  EXPECT_EQ(a["systemTypes"], json::array({"x86_64-linux", "i686-linux"}));
  EXPECT_EQ(a["maxJobs"], 4);
  EXPECT_EQ(a["speedFactor"], 2.5);
  EXPECT_EQ(a["supportedFeatures"], json::array({"kvm", "big-parallel"}));
  EXPECT_EQ(a["mandatoryFeatures"], json::array({"benchmark"}));
  EXPECT_EQ(a["currentJobs"], 1);
  EXPECT_EQ(a["enabled"], true);
  EXPECT_EQ(m["ssh://backed"]["disabledUntil"], kYear2100);
  EXPECT_EQ(m["ssh://backed"]["consecutiveFailures"], 3);
}

TEST_F(WebQueue, MachinesPageShowsLoadFeaturesAndBackoffWithNamesAsText) {
  seedQueue();
  const WebReply reply = web_.get("/machines", "text/html");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const std::string& body = reply.body;
  EXPECT_EQ(body.find("<script"), std::string::npos);
  EXPECT_NE(body.find("<code>ssh://&lt;script&gt;m&lt;/script&gt;</code>"), std::string::npos);
  EXPECT_NE(body.find("<td>x86_64-linux, i686-linux</td><td>1 / 4</td><td>2.5</td>"
                      "<td>kvm, big-parallel (mandatory: benchmark)</td>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("<span class=\"ok\">ok</span>"), std::string::npos);
  EXPECT_NE(body.find("backed off until 2100-01-01 00:00:00 (3 failures)"), std::string::npos);
  EXPECT_NE(body.find("href=\"/build/" + std::to_string(hello_) + "\""), std::string::npos)
      << "the step building on the machine";
  EXPECT_NE(body.find("2 machine(s); the queue reported at 2023-11-14 22:13:20 UTC."),
            std::string::npos);
}

TEST_F(WebQueue, UnknownPathsAre404InTheFormAsked) {
  for (const char* path : {"/queue/nope", "/machines/x", "/queue-summary/1"}) {
    const WebReply j = web_.getJson(path);
    EXPECT_EQ(j.status, 404) << path;
    EXPECT_EQ(j.content_type, "application/json") << path;
    EXPECT_EQ(json::parse(j.body)["status"], 404) << path;
    const WebReply h = web_.get(path, "text/html");
    EXPECT_EQ(h.status, 404) << path;
    EXPECT_NE(h.content_type.find("text/html"), std::string::npos) << path;
  }
  EXPECT_EQ(web_.request("POST", "/queue", {{"Accept", "application/json"}}, "{}").status, 405);
}

// The reader and the writer of the published documents agree: a real queue reconciler with
// nothing queued publishes its one local machine and an empty decision list.
TEST_F(WebQueue, WhatTheQueuePublishesIsWhatThePagesShow) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hydrant-web-queue-" + std::to_string(getpid()));
  reconcilers::QueueOptions o;
  o.machines_file = (dir / "no-machines").string();
  o.local_system = localSystem();
  o.local_max_jobs = 3;
  o.log_dir = (dir / "logs").string();
  o.gc_roots_dir = (dir / "gcroots").string();
  o.random = [] { return 0.5; };
  {
    reconcilers::QueueReconciler queue(web_.database(), clock_, o);
    const runtime::Outcome out = queue.reconcile(reconcilers::QueueReconciler::kKey, {});
    ASSERT_FALSE(std::holds_alternative<Error>(out)) << std::get<Error>(out).message;
    EXPECT_EQ(queue.dispatchPassTimes().count, 1u);
  }
  std::filesystem::remove_all(dir);
  const json machines = json::parse(web_.getJson("/machines").body);
  ASSERT_TRUE(machines.contains("localhost")) << machines.dump();
  EXPECT_EQ(machines["localhost"]["maxJobs"], 3);
  EXPECT_EQ(machines["localhost"]["currentJobs"], 0);
  EXPECT_NE(machines["localhost"]["systemTypes"].dump().find(localSystem()), std::string::npos);
  const json summary = json::parse(web_.getJson("/queue-summary").body);
  EXPECT_EQ(summary["updated"], kNow);
  EXPECT_EQ(summary["steps"], json::array());
  EXPECT_NE(web_.get("/queue").body.find("The dispatcher last reported at"), std::string::npos);
}

}  // namespace
}  // namespace hydrant::testing
