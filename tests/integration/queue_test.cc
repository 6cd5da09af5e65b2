// The build queue below the CLI: jobs committed to git are evaluated, then the queue reconciler
// (under the manager, woken by the database's notifications) builds them with the real Nix in a
// private store — successes, a failure, a dependent of the failure, nix-support/failed, a step
// no machine can build — with Hydra's statuses and notifications.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/queue_wiring.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
#include "reconcilers/queue_reconciler.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"
#include "tests/support/running_roles.hh"
#include "tests/support/wait.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using reconcilers::EvalOutcome;
using reconcilers::QueueReconciler;
using testing::eventually;
using testing::GitRepo;
using testing::TempDir;
using testing::TestCluster;

const char* kRelease = R"({ src ? null }:
let mk = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; } // attrs);
in rec {
  ok = mk { name = "ok"; args = [ "-c" "echo ok > $out" ]; };
  fails = mk { name = "fails"; args = [ "-c" "echo about to fail; exit 1" ]; };
  dep = mk { name = "dep"; inherit ok; args = [ "-c" "read x < $ok; echo \"dep of $x\" > $out" ]; };
  depfails = mk { name = "depfails"; inherit fails; args = [ "-c" "touch $out" ]; };
  multi = mk { name = "multi"; outputs = [ "out" "dev" ]; args = [ "-c" "echo o > $out; echo d > $dev" ]; };
  marked = mk { name = "marked"; args = [ "-c" "/bin/mkdir -p $out/nix-support; /usr/bin/touch $out/nix-support/failed" ]; };
  elsewhere = derivation { name = "elsewhere"; system = "riscv64-none"; builder = "/bin/sh"; };
})";

class Queue : public testing::WithNixStore {
 protected:

  Queue()
      : conninfo_(TestCluster::get().freshDatabase()),
        db_(conninfo_, 8),
        repo_(dir_ / "repo"),
        mirrors_(dir_ / "git"),
        inputs_(mirrors_, db_, "", dir_ / "scratch", 30s),
        roles_(db_, clock_) {
    repo_.commit("release.nix", kRelease);
    sql("insert into projects (name, displayname) values ('p', 'P')");
    jobset_ = sql("insert into jobsets (project, name, nixexprinput, nixexprpath) values "
                  "('p', 'main', 'src', 'release.nix') returning id")[0][0]
                  .as<int>();
    sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', 'main', "
        "'src', 'git', '" + repo_.dir() + " main')");
  }
  pqxx::result sql(const std::string& q) { return testing::sqlExec(conninfo_, q); }

  EvalOutcome evaluate() {
    reconcilers::EvaluatorOptions o;
    o.eval_jobs_nix = *nix::installEvalJobsNix(dir_ / "nix");
    o.random = [] { return 0.5; };
    reconcilers::EvaluationReconciler e(db_, inputs_, clock_, o);
    return e.evaluateNow(jobset_, {});
  }

  // Starts the queue under the manager with the database listener, as `hydrant run` does.
  void runQueue(long long grace = 1) {
    reconcilers::QueueOptions o;
    o.machines_file = dir_ / "no-machines";
    o.local_system = localSystem();
    o.local_max_jobs = 2;
    o.log_dir = dir_ / "logs";
    o.gc_roots_dir = dir_ / "gcroots";
    o.unsupported_grace = grace;
    o.random = [] { return 0.5; };
    queue_ = std::make_shared<QueueReconciler>(db_, clock_, o);
    QueueReconciler::addTo(roles_.manager(), queue_);
    roles_.start({"queue"});
  }

  std::map<std::string, std::string> statuses() {
    std::map<std::string, std::string> out;
    for (const auto& r : sql("select job, coalesce(buildstatus::text, 'queued') || "
                             "case when iscachedbuild = 1 then ' cached' else '' end "
                             "from builds order by id")) {
      out[r[0].as<std::string>()] = r[1].as<std::string>();
    }
    return out;
  }
  int unfinished() { return sql("select count(*) from builds where finished = 0")[0][0].as<int>(); }

  TempDir dir_;
  std::string conninfo_;
  db::Database db_;
  GitRepo repo_;
  git::Mirrors mirrors_;
  reconcilers::JobsetInputs inputs_;
  runtime::SystemClock clock_;
  std::shared_ptr<QueueReconciler> queue_;
  testing::RunningRoles roles_;  // after queue_: stops it before it goes
  int jobset_ = 0;
};

TEST_F(Queue, EvaluatedJobsAreBuiltWithHydrasStatuses) {
  ASSERT_EQ(evaluate(), EvalOutcome::kEvaluated);
  runQueue();
  ASSERT_TRUE(eventually([&] { return unfinished() == 0; }, 60s, 50ms)) << unfinished();
  EXPECT_EQ(statuses(), (std::map<std::string, std::string>{{"dep", "0"},
                                                            {"depfails", "2"},
                                                            {"elsewhere", "9"},
                                                            {"fails", "1"},
                                                            {"marked", "6"},
                                                            {"multi", "0"},
                                                            {"ok", "0"}}));
  // Every finished build waits for a notifier, and its outputs exist.
  EXPECT_EQ(sql("select count(*) from builds where notificationpendingsince is null")[0][0]
                .as<int>(),
            0);
  for (const auto& r : sql("select o.path from buildoutputs o join builds b on b.id = o.build "
                           "where b.buildstatus in (0, 6)")) {
    EXPECT_TRUE(std::filesystem::exists(r[0].as<std::string>())) << r[0].as<std::string>();
  }
  // The failure's step has a log with the builder's output; the dependent shows the step it
  // failed on, propagated from the failed build.
  auto step = sql("select s.status, s.machine from buildsteps s join builds b on b.id = s.build "
                  "where b.job = 'fails' and s.propagatedfrom is null");
  ASSERT_EQ(step.size(), 1u);
  EXPECT_EQ(step[0][0].as<int>(), 1);
  EXPECT_EQ(step[0][1].as<std::string>(), "localhost");
  EXPECT_EQ(sql("select count(*) from buildsteps s join builds b on b.id = s.build where "
                "b.job = 'depfails' and s.propagatedfrom is not null")[0][0]
                .as<int>(),
            1);
  EXPECT_FALSE(sql("select 1 from failedpaths").empty());
  bool found_log = false;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "logs")) {
    if (e.path().string().find("-fails.drv") != std::string::npos) found_log = true;
  }
  EXPECT_TRUE(found_log);
  EXPECT_FALSE(std::filesystem::is_empty(dir_ / "gcroots"));
}

TEST_F(Queue, APreviousFailureIsACachedFailureWithoutBuilding) {
  ASSERT_EQ(evaluate(), EvalOutcome::kEvaluated);
  runQueue();
  ASSERT_TRUE(eventually([&] { return unfinished() == 0; }, 60s, 50ms));
  // The same failing derivation in another jobset: no step runs, it fails as cached.
  const int other = sql("insert into jobsets (project, name, nixexprinput, nixexprpath) values "
                        "('p', 'other', 'src', 'release.nix') returning id")[0][0]
                        .as<int>();
  sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', 'other', "
      "'src', 'git', '" + repo_.dir() + " main')");
  const int steps_before = sql("select count(*) from buildsteps")[0][0].as<int>();
  jobset_ = other;
  ASSERT_EQ(evaluate(), EvalOutcome::kEvaluated);
  ASSERT_TRUE(eventually([&] { return unfinished() == 0; }, 60s, 50ms));
  auto r = sql("select job, buildstatus, iscachedbuild from builds where jobset_id = " +
               std::to_string(other) + " order by job");
  std::map<std::string, std::string> got;
  for (const auto& row : r) {
    got[row[0].as<std::string>()] = row[1].as<std::string>() + "/" + row[2].as<std::string>();
  }
  EXPECT_EQ(got["fails"], "1/1");
  EXPECT_EQ(got["depfails"], "2/1");
  EXPECT_EQ(got["ok"], "0/1");  // already built: finished as cached
  // Only the unsupported one may have needed a step again (it has no outputs to reuse).
  EXPECT_LE(sql("select count(*) from buildsteps")[0][0].as<int>(), steps_before + 1);
}

TEST_F(Queue, WhyAStepIsNotBuildingAndTheShareUsageArePublished) {
  ASSERT_EQ(evaluate(), EvalOutcome::kEvaluated);
  runQueue(/*grace=*/3600);  // the riscv64 step waits for a machine
  ASSERT_TRUE(eventually([&] { return unfinished() == 1; }, 60s, 50ms));
  std::string reason;
  ASSERT_TRUE(eventually(
      [&] {
        auto r = sql("select status from systemstatus where what = 'queue'");
        if (r.empty()) return false;
        auto queue = nlohmann::json::parse(r[0][0].as<std::string>());
        for (const auto& step : queue["steps"]) {
          if (step["drvpath"].get<std::string>().ends_with("-elsewhere.drv")) {
            reason = step["reason"];
            // Steps here take under a second; the jobset is listed with its shares.
            return queue["jobsets"].size() == 1 &&
                   queue["jobsets"][0]["schedulingshares"] == 100;
          }
        }
        return false;
      },
      30s, 50ms))
      << reason;
  EXPECT_EQ(reason, "no machine for system \"riscv64-none\"");
}

}  // namespace
}  // namespace hydrant
