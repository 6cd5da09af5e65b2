// `hydrant log`, `hydrant get machines` and the steps of `hydrant get builds` through the
// binary, against a database whose builds, steps and machine status are written here — by
// plain SQL the way Hydra's tables hold them, or by the queue's own db functions — and step
// logs laid out in the state dir the way the queue stores them (bzip2, or plain when
// compressing failed): what a user sees on stdout, and the exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "controller/db/database.hh"
#include "controller/db/system_status.hh"
#include "controller/logs.hh"
#include "controller/proc/process.hh"
#include "controller/views.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"

namespace hydrant {
namespace {

using nlohmann::json;
using testing::runHydrant;

const std::string kHello = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv";
const std::string kLib = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-1.0.drv";
const std::string kBroken = "/nix/store/cccccccccccccccccccccccccccccccc-broken-1.drv";
const std::string kApp = "/nix/store/dddddddddddddddddddddddddddddddd-app-1.drv";

class QueueCli : public ::testing::Test {
 protected:
  QueueCli() : database_(testing::TestCluster::get().freshDatabase()) {
    std::ofstream(dir_ / "hydrant.yaml")
        << "database: \"" << database_ << "\"\nstate_dir: " << dir_.path() << "/state\n";
    sql("insert into projects (name, displayname) values ('hello', 'Hello')");
    sql("insert into jobsets (project, name, type, nixexprinput, nixexprpath) "
        "values ('hello', 'main', 0, 'src', 'release.nix')");
  }

  std::pair<int, std::string> hydrant(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", dir_ / "hydrant.yaml"});
    return runHydrant(args, dir_.path());
  }

  void sql(const std::string& statement) { testing::sqlExec(database_, statement); }

  std::string value(const std::string& query) { return testing::sqlValue(database_, query); }

  // A build of hello:main; finished with `status` unless it is null (queued).
  void build(int id, const std::string& drv, std::optional<int> status) {
    const std::string s = status ? std::to_string(*status) : "null";
    const std::string finished = status ? "1" : "0";
    const std::string times = status ? "1714564810, 1714564820" : "null, null";
    sql("insert into builds (id, finished, timestamp, jobset_id, job, nixname, drvpath, system, "
        "iscurrent, buildstatus, starttime, stoptime) values (" +
        std::to_string(id) + ", " + finished + ", 1714564800 + " + std::to_string(id) +
        ", (select id from jobsets where name = 'main'), 'job" + std::to_string(id) +
        "', 'name', '" + drv + "', 'x86_64-linux', 1, " + s + ", " + times + ")");
  }

  // A step; busy steps have no status. `extra` sets more columns: "propagatedfrom = 3".
  void step(int build, int nr, const std::string& drv, std::optional<int> status, int busy = 0,
            const std::string& extra = "") {
    sql("insert into buildsteps (build, stepnr, type, drvpath, busy, status, starttime, "
        "stoptime, machine, system) values (" +
        std::to_string(build) + ", " + std::to_string(nr) + ", 0, '" + drv + "', " +
        std::to_string(busy) + ", " + (status ? std::to_string(*status) : "null") +
        ", 1714564810, " + (busy ? "null" : "1714564815") + ", 'localhost', 'x86_64-linux')");
    if (!extra.empty()) {
      sql("update buildsteps set " + extra + " where build = " + std::to_string(build) +
          " and stepnr = " + std::to_string(nr));
    }
  }

  // Where the queue keeps the log of `drv`: the .bz2 path.
  std::string logPath(const std::string& drv) {
    return logs::stepLogPath(dir_ / "state/logs", drv);
  }

  // Stores `text` as the queue does: compressed, or, with `compress` false, plain (a running
  // step, or compressing failed). The bzip2 program compresses it here, though the queue uses
  // libbz2: Hydra's logs and Nix's were written by other bzip2 writers, and must read the same.
  void writeLog(const std::string& drv, const std::string& text, bool compress = true) {
    const std::string bz2 = logPath(drv);
    const std::string plain = bz2.substr(0, bz2.size() - 4);
    std::filesystem::create_directories(std::filesystem::path(plain).parent_path());
    std::ofstream(plain, std::ios::binary) << text;
    if (!compress) return;
    proc::RunOptions bzip2;
    bzip2.argv = {"bzip2", "--", plain};
    auto r = proc::run(bzip2);
    ASSERT_TRUE(r && r->ok()) << (r ? r->describe() + r->err : r.error().message);
    ASSERT_TRUE(std::filesystem::exists(bz2));
    ASSERT_FALSE(std::filesystem::exists(plain));
  }

  testing::TempDir dir_;
  std::string database_;
};

TEST_F(QueueCli, LogOfASucceededBuildIsItsOwnDerivationsStepDecompressed) {
  build(1, kHello, 0);
  step(1, 1, kLib, 0);
  step(1, 2, kHello, 0);
  writeLog(kLib, "building lib\n");
  writeLog(kHello, "unpacking sources\nbuilding hello\n\xce\xbb done\n");

  auto [rc, out] = hydrant({"log", "1"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "unpacking sources\nbuilding hello\n\xce\xbb done\n");

  auto [src, dep] = hydrant({"log", "1", "--step", "1"});
  EXPECT_EQ(src, 0) << dep;
  EXPECT_EQ(dep, "building lib\n");
}

TEST_F(QueueCli, LogOfAFailedBuildIsTheStepThatFailedIt) {
  build(3, kBroken, 1);
  step(3, 1, kBroken, 3, 0, "errormsg = 'the controller stopped while it was running'");
  step(3, 2, kBroken, 1);
  build(4, kApp, 2);
  step(4, 1, kLib, 0);
  step(4, 2, kBroken, 1, 0, "propagatedfrom = 3, machine = ''");
  writeLog(kLib, "building lib\n");
  // Compressing failed for this one: the queue kept the plain log.
  writeLog(kBroken, "make: *** [all] Error 1\n", false);

  auto [rc, out] = hydrant({"log", "3"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "make: *** [all] Error 1\n");

  auto [drc, dependent] = hydrant({"log", "4"});
  EXPECT_EQ(drc, 0) << dependent;
  EXPECT_EQ(dependent, "make: *** [all] Error 1\n") << "the failed dependency's log";
}

TEST_F(QueueCli, LogOfARunningStepIsWhatItWroteSoFar) {
  build(5, kHello, std::nullopt);
  step(5, 1, kLib, std::nullopt, 30);
  writeLog(kLib, "configuring lib\n", false);
  auto [rc, out] = hydrant({"log", "5"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "configuring lib\n");
}

TEST_F(QueueCli, LogOfABuildWhoseDerivationWasBuiltForAnotherBuild) {
  build(1, kHello, 0);
  step(1, 1, kHello, 0);
  build(2, kHello, 0);  // another jobset's build of the same derivation: no step of its own
  writeLog(kHello, "built once\n");
  auto [rc, out] = hydrant({"log", "2"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "built once\n");
}

TEST_F(QueueCli, LogFailuresExitOneAndSayWhy) {
  build(6, kHello, std::nullopt);
  build(7, kApp, 1);
  step(7, 1, kApp, 1);
  build(8, kHello, 2);
  step(8, 1, kLib, 9, 0, "errormsg = 'unsupported system type ''riscv64-linux''', machine = ''");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"log", "99"}, "hydrant: no build 99\n"},
      {{"log", "6"}, "hydrant: build 6 has no steps (it was cached or has not started)\n"},
      {{"log", "7", "--step", "4"}, "hydrant: build 7 has no step 4\n"},
      {{"log", "7"}, "hydrant: build 7 step 1: no log file at " + logPath(kApp) + "\n"},
      {{"log", "8"},
       "hydrant: build 8 step 1: no log file at " + logPath(kLib) +
           " (the step's error: unsupported system type 'riscv64-linux')\n"},
  };
  for (const Case& c : cases) {
    auto [rc, out] = hydrant(c.args);
    EXPECT_EQ(rc, 1) << c.args[1] << ": " << out;
    EXPECT_EQ(out, c.message);
  }
}

TEST_F(QueueCli, LogUsageErrorsExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"log"}, "log: give BUILD, a build id"},
      {{"log", "abc"}, "log: \"abc\" is not a build id"},
      {{"log", "1", "--step", "0"}, "log: --step: expected a positive number, got \"0\""},
      {{"log", "1", "2"}, "unexpected argument \"2\""},
  };
  for (const Case& c : cases) {
    auto [rc, out] = hydrant(c.args);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
  }
}

TEST_F(QueueCli, GetBuildsShowsStepsInTheTableAndAsHydrasBuildSteps) {
  build(3, kBroken, 1);
  step(3, 1, kLib, 0);
  step(3, 2, kBroken, 1, 0, "errormsg = 'builder failed with exit code 1'");
  build(4, kApp, 2);
  step(4, 1, kBroken, 1, 0, "propagatedfrom = 3, machine = ''");
  build(5, kHello, std::nullopt);
  step(5, 1, kHello, 3);
  step(5, 2, kHello, std::nullopt, 30);
  build(6, kLib, 0);

  auto [rc, out] = hydrant({"get", "builds", "hello", "-o", "json"});
  ASSERT_EQ(rc, 0) << out;
  const json builds = json::parse(out);
  ASSERT_EQ(builds.size(), 4u) << builds;
  EXPECT_EQ(builds[0]["id"], 6);
  EXPECT_EQ(builds[0]["steps"], json::array());
  EXPECT_EQ(builds[1]["steps"].size(), 2u);
  EXPECT_EQ(builds[1]["steps"][1]["busy"], 30);
  EXPECT_TRUE(builds[1]["steps"][1]["status"].is_null());
  const json propagated = {{"stepnr", 1},
                           {"drvpath", kBroken},
                           {"machine", ""},
                           {"status", 1},
                           {"busy", 0},
                           {"starttime", 1714564810},
                           {"stoptime", 1714564815},
                           {"errormsg", nullptr},
                           {"propagatedfrom", 3}};
  EXPECT_EQ(builds[2]["steps"], json::array({propagated}));
  EXPECT_EQ(builds[3]["steps"][1]["errormsg"], "builder failed with exit code 1");
  EXPECT_EQ(builds[3]["steps"][0]["drvpath"], kLib);

  auto [trc, table] = hydrant({"get", "builds", "hello:main"});
  ASSERT_EQ(trc, 0) << table;
  EXPECT_EQ(table.rfind("ID  JOBSET  JOB   SYSTEM        STATUS             STEPS", 0), 0u)
      << table;
  EXPECT_NE(table.find("queued             2 (1 running, 1 aborted)"), std::string::npos) << table;
  EXPECT_NE(table.find("dependency failed  1 (1 failed)"), std::string::npos) << table;
  EXPECT_NE(table.find("failed             2 (1 failed)"), std::string::npos) << table;
  EXPECT_NE(table.find("succeeded          0 "), std::string::npos) << table;
}

TEST_F(QueueCli, GetMachinesBeforeTheQueueReportedSaysSoAndExitsZero) {
  auto [rc, out] = hydrant({"get", "machines"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "no machine status yet (is `hydrant run` with the queue role running?)\n");

  auto [jrc, jout] = hydrant({"get", "machines", "-o", "json"});
  EXPECT_EQ(jrc, 0) << jout;
  // stdout is the empty object; the note went to stderr (both are captured here).
  EXPECT_EQ(jout.rfind("{}\n", 0), 0u) << jout;
  EXPECT_NE(jout.find("no machine status yet"), std::string::npos) << jout;
}

TEST_F(QueueCli, GetMachinesShowsLoadBackoffAndRemovedMachines) {
  const long long later = 4102444800;  // 2100-01-01: still backed off when the test runs
  sql(R"(insert into systemstatus (what, status) values ('machines', '{"updated": 1714564800,
      "machines": [
        {"uri": "localhost", "systems": ["x86_64-linux", "i686-linux"], "maxJobs": 4,
         "speedFactor": 1, "supportedFeatures": ["kvm", "big-parallel"],
         "mandatoryFeatures": [], "currentJobs": 2, "enabled": true, "disabledUntil": 0,
         "consecutiveFailures": 0},
        {"uri": "ssh://builder@arm", "systems": ["aarch64-linux"], "maxJobs": 8,
         "speedFactor": 2.5, "supportedFeatures": [], "mandatoryFeatures": ["benchmark"],
         "currentJobs": 0, "enabled": true, "disabledUntil": )" +
      std::to_string(later) + R"(, "consecutiveFailures": 3},
        {"uri": "ssh://old", "systems": ["x86_64-linux"], "maxJobs": 1, "speedFactor": 1,
         "supportedFeatures": [], "mandatoryFeatures": [], "currentJobs": 1, "enabled": false,
         "disabledUntil": 0, "consecutiveFailures": 0}]}'))");

  auto [rc, table] = hydrant({"get", "machines"});
  ASSERT_EQ(rc, 0) << table;
  const std::string expected =
      "MACHINE            SYSTEMS                  JOBS  SPEED  FEATURES                "
      "STATE\n"
      "localhost          x86_64-linux,i686-linux  2/4   1      kvm,big-parallel        ok\n"
      "ssh://builder@arm  aarch64-linux            0/8   2.5    (mandatory: benchmark)  "
      "backed off until 2100-01-01 00:00:00 (3 failures)\n"
      "ssh://old          x86_64-linux             1/1   1      -                       "
      "removed\n"
      "updated 2024-05-01 12:00:00 UTC\n";
  EXPECT_EQ(table, expected);

  auto [jrc, out] = hydrant({"get", "machines", "-o", "json"});
  ASSERT_EQ(jrc, 0) << out;
  const json machines = json::parse(out);
  ASSERT_EQ(machines.size(), 3u) << machines;
  const json expected_remote = {{"systemTypes", {"aarch64-linux"}},
                                {"maxJobs", 8},
                                {"speedFactor", 2.5},
                                {"supportedFeatures", json::array()},
                                {"mandatoryFeatures", {"benchmark"}},
                                {"currentJobs", 0},
                                {"disabledUntil", later},
                                {"consecutiveFailures", 3},
                                {"enabled", true}};
  EXPECT_EQ(machines["ssh://builder@arm"], expected_remote);
  EXPECT_EQ(machines["localhost"]["currentJobs"], 2);
  EXPECT_EQ(machines["ssh://old"]["enabled"], false);
}

TEST_F(QueueCli, MachineStatusWrittenByTheQueuesFunctionsIsWhatGetMachinesShows) {
  db::Database database(database_, 2);
  views::MachinesStatus status;
  status.updated = 1714564800;
  views::MachineStatus local;
  local.uri = "localhost";
  local.systems = {"x86_64-linux"};
  local.max_jobs = 2;
  local.current_jobs = 1;
  status.machines = {local};
  auto write = [&](const views::MachinesStatus& s) {
    auto r = database.withWrite([&](db::WriteTx& tx) {
      return db::setSystemStatus(tx, views::kMachinesStatusKey, views::machinesStatusDocument(s));
    });
    ASSERT_TRUE(r) << r.error().message;
  };
  write(status);
  const std::string first = value("select xmin::text from systemstatus where what = 'machines'");
  write(status);
  EXPECT_EQ(value("select xmin::text from systemstatus where what = 'machines'"), first)
      << "an unchanged status is not written again";

  status.machines[0].current_jobs = 2;
  write(status);
  EXPECT_NE(value("select xmin::text from systemstatus where what = 'machines'"), first);
  EXPECT_EQ(value("select count(*) from systemstatus"), "1");

  auto [rc, out] = hydrant({"get", "machines", "-o", "json"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(json::parse(out)["localhost"]["currentJobs"], 2);
  EXPECT_EQ(json::parse(out)["localhost"]["systemTypes"], json::array({"x86_64-linux"}));

  std::optional<std::string> read;
  auto r = database.withRead([&](db::ReadTx& tx) -> Result<void> {
    auto s = db::systemStatus(tx, "nothing-here");
    if (!s) return s.error();
    read = *s;
    return {};
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(read.has_value());
}

TEST_F(QueueCli, GetMachinesTakesNoOperand) {
  auto [rc, out] = hydrant({"get", "machines", "hello"});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("get machines: unexpected argument \"hello\""), std::string::npos) << out;
}

}  // namespace
}  // namespace hydrant
