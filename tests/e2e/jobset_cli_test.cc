// `hydrant trigger PROJECT:JOBSET` and `hydrant get evals|builds` through the binary, against
// a database whose evaluations and builds are written by plain SQL here, the way Hydra's tables
// hold them: what a user sees on stdout, and the exit codes.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"

namespace hydrant {
namespace {

using nlohmann::json;
using testing::runHydrant;

const char* kRevision = "0123456789abcdef0123456789abcdef01234567";

long long unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class JobsetCli : public ::testing::Test {
 protected:
  JobsetCli() : database_(testing::TestCluster::get().freshDatabase()) {
    std::ofstream(dir_ / "hydrant.yaml")
        << "database: \"" << database_ << "\"\nstate_dir: " << dir_.path() << "/state\n";
    sql("insert into projects (name, displayname) values ('hello', 'Hello')");
    sql("insert into jobsets (project, name, type, nixexprinput, nixexprpath) "
        "values ('hello', 'main', 0, 'src', 'release.nix'), "
        "       ('hello', 'staging', 0, 'src', 'release.nix')");
    sql("insert into projects (name, displayname) values ('other', 'Other')");
  }

  std::pair<int, std::string> hydrant(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", dir_ / "hydrant.yaml"});
    return runHydrant(args, dir_.path());
  }

  void sql(const std::string& statement) { testing::sqlExec(database_, statement); }

  // The first column of the one row `query` returns, as text ("" for null).
  std::string value(const std::string& query) { return testing::sqlValue(database_, query); }

  std::string jobsetColumn(const std::string& jobset, const std::string& column) {
    return value("select " + column + " from jobsets where project = 'hello' and name = '" +
                 jobset + "'");
  }

  // Two evaluations of hello:main with new builds (ids 1 and 3) and one without (id 2); builds 1
  // (succeeded) and 2 (queued) in main, 3 (failed) in staging.
  void insertHistory() {
    const std::string main = "(select id from jobsets where name = 'main')";
    const std::string staging = "(select id from jobsets where name = 'staging')";
    sql("insert into evaluationerrors (id, errormsg, errortime) values "
        "(1, 'in job ‘broken’:\nerror: undefined variable ''x''\n', 1714564900)");
    sql("insert into jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "hash, nrbuilds, nixexprinput, nixexprpath, evaluationerror_id) values "
        "(1, " +
        main +
        ", 1714564800, 2, 10, 1, 'h1', 1, 'src', 'release.nix', null), "
        "(2, " +
        main +
        ", 1714564850, 1, 9, 0, 'h2', null, 'src', 'release.nix', null), "
        "(3, " +
        main + ", 1714564900, 3, 17, 1, 'h3', null, 'src', 'release.nix', 1)");
    sql("insert into builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system, "
        "iscurrent, priority, buildstatus, starttime, stoptime) values "
        "(1, 1, 1714564801, " +
        main +
        ", 'hello', 'hello-2.12', '/nix/store/aaa-hello-2.12.drv', "
        "'x86_64-linux', 0, 100, 0, 1714564810, 1714564820), "
        "(2, 0, 1714564901, " +
        main +
        ", 'hello', 'hello-2.13', '/nix/store/bbb-hello-2.13.drv', "
        "'x86_64-linux', 1, 50, null, null, null), "
        "(3, 1, 1714564902, " +
        staging +
        ", 'tests', 'tests-1', '/nix/store/ccc-tests-1.drv', "
        "'aarch64-linux', 1, 100, 1, 1714564910, 1714564920)");
    sql("insert into buildoutputs (build, name, path) values "
        "(1, 'out', '/nix/store/ddd-hello-2.12'), (1, 'doc', '/nix/store/eee-hello-2.12-doc'), "
        "(2, 'out', '/nix/store/fff-hello-2.13'), (3, 'out', '/nix/store/ggg-tests-1')");
    sql("insert into jobsetevalmembers (eval, build, isnew) values (1, 1, 1), (3, 2, 1)");
    sql("insert into jobsetevalinputs (eval, name, type, uri, revision, value) values "
        "(1, 'src', 'git', 'https://example.org/hello.git', '" +
        std::string(kRevision) +
        "', 'https://example.org/hello.git'), "
        "(3, 'src', 'git', 'https://example.org/hello.git', '" +
        std::string(kRevision) +
        "', 'https://example.org/hello.git'), "
        "(3, 'debug', 'boolean', null, null, 'true')");
  }

  testing::TempDir dir_;
  std::string database_;
};

TEST_F(JobsetCli, TriggerSetsTriggertimeAndForceSetsForceeval) {
  const long long before = unixNow();
  auto [rc, out] = hydrant({"trigger", "hello:main"});
  const long long after = unixNow();
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "triggered hello:main\n");
  const std::string triggertime = jobsetColumn("main", "triggertime");
  ASSERT_FALSE(triggertime.empty());
  EXPECT_GE(std::stoll(triggertime), before);
  EXPECT_LE(std::stoll(triggertime), after);
  EXPECT_EQ(jobsetColumn("main", "coalesce(forceeval, false)"), "f");
  EXPECT_EQ(jobsetColumn("staging", "triggertime"), "") << "only the named jobset";

  auto [frc, forced] = hydrant({"trigger", "hello:staging", "--force"});
  ASSERT_EQ(frc, 0) << forced;
  EXPECT_EQ(forced, "triggered hello:staging (forced)\n");
  EXPECT_FALSE(jobsetColumn("staging", "triggertime").empty());
  EXPECT_EQ(jobsetColumn("staging", "forceeval"), "t");
}

TEST_F(JobsetCli, TriggeringAnUnknownJobsetExitsOneAndNamesIt) {
  for (const std::string name : {"hello:nope", "nope:main"}) {
    auto [rc, out] = hydrant({"trigger", name});
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find("no jobset " + name), std::string::npos) << out;
  }
  EXPECT_EQ(jobsetColumn("main", "triggertime"), "");
}

TEST_F(JobsetCli, TriggerUsageErrorsExitTwo) {
  auto [force_rc, force_out] = hydrant({"trigger", "hello", "--force"});
  EXPECT_EQ(force_rc, 2) << force_out;
  EXPECT_NE(force_out.find("--force needs PROJECT:JOBSET"), std::string::npos) << force_out;
  for (const std::string bad : {"hello:", ":main", "a:b:c"}) {
    auto [rc, out] = hydrant({"trigger", bad});
    EXPECT_EQ(rc, 2) << bad << ": " << out;
    EXPECT_NE(out.find("is not PROJECT:JOBSET"), std::string::npos) << out;
  }
  EXPECT_EQ(jobsetColumn("main", "triggertime"), "");
}

TEST_F(JobsetCli, GetEvalsJsonListsEvaluationsWithNewBuildsNewestFirst) {
  insertHistory();
  auto [rc, out] = hydrant({"get", "evals", "hello:main", "-o", "json"});
  ASSERT_EQ(rc, 0) << out;
  const json evals = json::parse(out);
  ASSERT_EQ(evals.size(), 2u) << evals;
  const json& newest = evals[0];
  EXPECT_EQ(newest["id"], 3);
  EXPECT_EQ(newest["timestamp"], 1714564900);
  EXPECT_EQ(newest["checkouttime"], 3);
  EXPECT_EQ(newest["evaltime"], 17);
  EXPECT_EQ(newest["hasnewbuilds"], 1);
  EXPECT_EQ(newest["builds"], json::array({2}));
  EXPECT_TRUE(newest["flake"].is_null());
  EXPECT_EQ(newest["errormsg"], "in job ‘broken’:\nerror: undefined variable 'x'\n");
  EXPECT_EQ(newest["jobsetevalinputs"]["src"], json({{"uri", "https://example.org/hello.git"},
                                                     {"type", "git"},
                                                     {"revision", kRevision},
                                                     {"value", "https://example.org/hello.git"},
                                                     {"dependency", nullptr}}));
  EXPECT_EQ(newest["jobsetevalinputs"]["debug"]["value"], "true");
  EXPECT_EQ(evals[1]["id"], 1);
  EXPECT_EQ(evals[1]["builds"], json::array({1}));
  EXPECT_EQ(evals[1]["nrbuilds"], 1);
  EXPECT_EQ(evals[1]["errormsg"], "");

  auto [lrc, limited] = hydrant({"get", "evals", "hello:main", "-o", "json", "--limit", "1"});
  ASSERT_EQ(lrc, 0) << limited;
  const json one = json::parse(limited);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["id"], 3);

  auto [trc, table] = hydrant({"get", "evals", "hello:main"});
  ASSERT_EQ(trc, 0) << table;
  EXPECT_EQ(table.rfind("ID  TIME (UTC)", 0), 0u) << table;
  EXPECT_NE(table.find("2024-05-01 12:01:40"), std::string::npos) << table;
  EXPECT_NE(table.find("src=0123456789ab"), std::string::npos) << table;
  EXPECT_NE(table.find("in job ‘broken’: (+1 more)"), std::string::npos) << table;
}

TEST_F(JobsetCli, GetBuildsJsonOfAProjectAndOfAJobset) {
  insertHistory();
  auto [rc, out] = hydrant({"get", "builds", "hello", "-o", "json"});
  ASSERT_EQ(rc, 0) << out;
  const json builds = json::parse(out);
  ASSERT_EQ(builds.size(), 3u) << builds;
  EXPECT_EQ(builds[0]["id"], 3);
  EXPECT_EQ(builds[0]["jobset"], "staging");
  EXPECT_EQ(builds[0]["buildstatus"], 1);
  const json& queued = builds[1];
  EXPECT_EQ(queued["id"], 2);
  EXPECT_EQ(queued["finished"], 0);
  EXPECT_TRUE(queued["buildstatus"].is_null()) << queued;
  EXPECT_EQ(queued["priority"], 50);
  EXPECT_EQ(queued["iscurrent"], 1);
  const json expected_done = {{"id", 1},
                              {"project", "hello"},
                              {"jobset", "main"},
                              {"job", "hello"},
                              {"finished", 1},
                              {"buildstatus", 0},
                              {"timestamp", 1714564801},
                              {"drvpath", "/nix/store/aaa-hello-2.12.drv"},
                              {"system", "x86_64-linux"},
                              {"nixname", "hello-2.12"},
                              {"priority", 100},
                              {"iscurrent", 0},
                              {"buildoutputs",
                               {{"out", {{"path", "/nix/store/ddd-hello-2.12"}}},
                                {"doc", {{"path", "/nix/store/eee-hello-2.12-doc"}}}}},
                              {"steps", json::array()}};
  EXPECT_EQ(builds[2], expected_done);

  auto [jrc, jobset_out] = hydrant({"get", "builds", "hello:main", "-o", "json", "--limit", "1"});
  ASSERT_EQ(jrc, 0) << jobset_out;
  const json newest = json::parse(jobset_out);
  ASSERT_EQ(newest.size(), 1u) << newest;
  EXPECT_EQ(newest[0]["id"], 2);

  auto [trc, table] = hydrant({"get", "builds", "hello"});
  ASSERT_EQ(trc, 0) << table;
  EXPECT_EQ(table.rfind("ID  JOBSET", 0), 0u) << table;
  EXPECT_NE(table.find("queued"), std::string::npos) << table;
  EXPECT_NE(table.find("succeeded"), std::string::npos) << table;
  EXPECT_NE(table.find("failed"), std::string::npos) << table;

  auto [orc, empty] = hydrant({"get", "builds", "other", "-o", "json"});
  ASSERT_EQ(orc, 0) << empty;
  EXPECT_EQ(json::parse(empty), json::array());
}

TEST_F(JobsetCli, GetOfUnknownNamesExitsOneAndBadOperandsExitTwo) {
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"get", "evals", "hello:nope"}, 1, "no jobset hello:nope"},
      {{"get", "evals", "nope:main", "-o", "json"}, 1, "no project \"nope\""},
      {{"get", "builds", "nope"}, 1, "no project \"nope\""},
      {{"get", "builds", "hello:nope"}, 1, "no jobset hello:nope"},
      {{"get", "evals", "hello"}, 2, "\"hello\" is not PROJECT:JOBSET"},
      {{"get", "evals"}, 2, "get evals: give PROJECT:JOBSET"},
      {{"get", "builds"}, 2, "get builds: give PROJECT or PROJECT:JOBSET"},
      {{"get", "builds", "hello", "--limit", "0"}, 2, "--limit: expected a positive number"},
      {{"get", "projects", "--limit", "5"}, 2, "--limit applies to evals and builds"},
  };
  for (const Case& c : cases) {
    auto [rc, out] = hydrant(c.args);
    EXPECT_EQ(rc, c.rc) << c.args[1] << " " << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace hydrant
