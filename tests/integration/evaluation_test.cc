// Evaluation below the CLI: real git repositories holding Hydra-style release expressions, the
// real `nix-instantiate` on a private store, a real Postgres, and the evaluation reconciler —
// called directly for one evaluation, and through the manager for scheduling. A user commits;
// evaluations and queued builds follow, with Hydra's notifications.
#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <set>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/runtime/clock.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
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
using reconcilers::EvaluationReconciler;
using testing::eventually;
using testing::GitRepo;
using testing::TempDir;
using testing::TestCluster;

// The jobs of Hydra's notification test: three stable ones and one that follows the source.
const char* kConfig = R"(rec {
  mkDerivation = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; } // attrs);
})";

std::string release(const std::string& varying = "v1", const std::string& extra = "") {
  return R"(
{ src ? null, slow ? "0" }:
with import ./config.nix;
let spin = builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) (builtins.fromJSON slow));
in builtins.seq spin {
  ok = mkDerivation { name = "ok"; args = [ "-c" "echo ok > $out" ]; };
  fails = mkDerivation { name = "fails"; args = [ "-c" "exit 1" ]; };
  multi = mkDerivation { name = "multi"; outputs = [ "out" "dev" ];
                         args = [ "-c" "echo o > $out; echo d > $dev" ]; };
  varies = mkDerivation { name = "varies"; args = [ "-c" "echo )" +
         varying + R"( > $out" ]; };
)" + extra + "\n}\n";
}

const std::vector<std::string> kChannels = {
    "eval_started",       "eval_cached",           "eval_failed", "eval_added",
    "build_queued",       "cached_build_queued",   "cached_build_finished",
    "builds_added"};

// Hydra's notification channels, as one LISTENing client sees them, in order.
class Notifications {
 public:
  explicit Notifications(const std::string& conninfo) : conn_(conninfo) {
    for (const auto& c : kChannels) {
      receivers_.push_back(std::make_unique<Receiver>(conn_, c, seen_));
    }
  }
  // Everything received so far, and forgets it.
  std::vector<std::string> take() {
    while (conn_.await_notification(0, 200'000) > 0) {
    }
    std::vector<std::string> out;
    out.swap(seen_);
    return out;
  }

 private:
  // libpqxx 6.4 hands notifications to receivers, one per channel.
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& c, const std::string& channel, std::vector<std::string>& seen)
        : pqxx::notification_receiver(c, channel), seen_(seen) {}
    void operator()(const std::string& payload, int) override {
      seen_.push_back(channel() + (payload.empty() ? "" : " " + payload));
    }

   private:
    std::vector<std::string>& seen_;
  };
  pqxx::connection conn_;
  std::vector<std::string> seen_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
};

std::vector<std::string> withoutPayload(const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.substr(0, e.find(' ')));
  return out;
}

size_t count(const std::vector<std::string>& v, const std::string& what) {
  return static_cast<size_t>(std::count(v.begin(), v.end(), what));
}

class Evaluation : public testing::WithNixStore {
 protected:

  Evaluation()
      : conninfo_(TestCluster::get().freshDatabase()),
        db_(conninfo_, 8),
        repo_(dir_ / "repo"),
        mirrors_(dir_ / "git"),
        inputs_(mirrors_, db_, "", dir_ / "scratch", 30s) {
    repo_.commit("config.nix", kConfig);
    repo_.commit("release.nix", release());
    script_ = *nix::installEvalJobsNix(dir_ / "nix");
    sql("insert into projects (name, displayname) values ('p', 'P')");
  }

  std::unique_ptr<EvaluationReconciler> evaluator(int max_concurrent = 4,
                                                  std::chrono::milliseconds timeout = 60s) {
    reconcilers::EvaluatorOptions o;
    o.max_concurrent = max_concurrent;
    o.timeout = timeout;
    o.memory_limit_bytes = size_t{4096} << 20;
    o.eval_jobs_nix = script_;
    o.random = [] { return 0.5; };
    return std::make_unique<EvaluationReconciler>(db_, inputs_, clock_, o);
  }

  pqxx::result sql(const std::string& q) { return testing::sqlExec(conninfo_, q); }

  // A legacy jobset evaluating release.nix from the repository, plus extra inputs.
  int jobset(const std::string& name, int enabled = 1, int interval = 300,
             const std::string& slow = "0", const std::string& git_value = "") {
    auto r = sql("insert into jobsets (project, name, nixexprinput, nixexprpath, enabled, "
                 "checkinterval) values ('p', '" + name + "', 'src', 'release.nix', " +
                 std::to_string(enabled) + ", " + std::to_string(interval) + ") returning id");
    sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', '" + name +
        "', 'src', 'git', '" + (git_value.empty() ? repo_.dir() + " main" : git_value) + "')");
    sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', '" + name +
        "', 'slow', 'string', '" + slow + "')");
    return r[0][0].as<int>();
  }

  std::string column(int id, const std::string& col) {
    auto r = sql("select coalesce(" + col + "::text, '<null>') from jobsets where id = " +
                 std::to_string(id));
    return r[0][0].as<std::string>();
  }
  int scalar(const std::string& q) { return sql(q)[0][0].as<int>(); }

  void trigger(const std::string& name, bool force = false) {
    auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto found = db::triggerJobset(tx, "p", name, force, std::time(nullptr));
      if (!found) return found.error();
      EXPECT_TRUE(*found);
      return {};
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  std::vector<db::BuildView> builds() {
    return *db_.read<std::vector<db::BuildView>>(
        [](db::ReadTx& tx) { return db::listBuilds(tx, "p", std::nullopt, 1000); });
  }

  TempDir dir_;
  std::string conninfo_;
  db::Database db_;
  GitRepo repo_;
  git::Mirrors mirrors_;
  reconcilers::JobsetInputs inputs_;
  runtime::SystemClock clock_;
  std::string script_;
};

TEST_F(Evaluation, FirstEvaluationQueuesEveryJobWithHydrasNotifications) {
  const int id = jobset("main");
  Notifications n(conninfo_);
  auto e = evaluator();
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);

  auto seen = n.take();
  EXPECT_EQ(withoutPayload(seen),
            (std::vector<std::string>{"eval_started", "build_queued", "build_queued",
                                      "build_queued", "build_queued", "eval_added",
                                      "builds_added"}));
  auto all = builds();
  ASSERT_EQ(all.size(), 4u);
  std::set<std::string> jobs;
  int lowest = all[0].id;
  for (const auto& b : all) {
    jobs.insert(b.job);
    lowest = std::min(lowest, b.id);
    EXPECT_FALSE(b.finished);
    EXPECT_TRUE(b.iscurrent);
    EXPECT_TRUE(std::filesystem::exists(b.drvpath)) << b.drvpath;
  }
  EXPECT_EQ(jobs, (std::set<std::string>{"fails", "multi", "ok", "varies"}));
  EXPECT_EQ(seen.back(), "builds_added " + std::to_string(lowest));
  EXPECT_EQ(seen[0], "eval_started " + seen[0].substr(13, seen[0].find('\t') - 13) + "\t" +
                         std::to_string(id));
  EXPECT_EQ(column(id, "condition"), "Ready");
  EXPECT_EQ(column(id, "triggertime"), "<null>");
  EXPECT_EQ(column(id, "starttime"), "<null>");
  EXPECT_NE(column(id, "lastcheckedtime"), "<null>");

  // The inputs are recorded with their revision.
  auto evals = *db_.read<std::vector<db::EvalView>>(
      [](db::ReadTx& tx) { return db::listEvals(tx, "p", "main", 10); });
  ASSERT_EQ(evals.size(), 1u);
  EXPECT_EQ(evals[0].builds.size(), 4u);
  EXPECT_EQ(evals[0].inputs.at("src").revision, repo_.head());
  EXPECT_EQ(evals[0].inputs.at("slow").value, "0");
}

TEST_F(Evaluation, UnchangedInputsAreCachedAndForceEvaluatesAgain) {
  const int id = jobset("main");
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  const int first_eval = scalar("select max(id) from jobsetevals");
  Notifications n(conninfo_);
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kCached);
  auto seen = n.take();
  ASSERT_EQ(withoutPayload(seen), (std::vector<std::string>{"eval_started", "eval_cached"}));
  EXPECT_EQ(seen[1].substr(seen[1].rfind('\t') + 1), std::to_string(first_eval));
  EXPECT_EQ(scalar("select count(*) from jobsetevals"), 1);

  trigger("main", /*force=*/true);
  EXPECT_EQ(column(id, "forceeval"), "true");
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  // Same jobs: a row without new builds; the builds stay those of the first evaluation.
  EXPECT_EQ(scalar("select count(*) from jobsetevals"), 2);
  EXPECT_EQ(scalar("select hasnewbuilds from jobsetevals order by id desc limit 1"), 0);
  EXPECT_EQ(builds().size(), 4u);
  EXPECT_EQ(column(id, "forceeval"), "<null>");
}

TEST_F(Evaluation, GitChangeMakesOnlyTheChangedJobNew) {
  const int id = jobset("main");
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  const auto before = builds();
  repo_.commit("release.nix", release("v2"));
  Notifications n(conninfo_);
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  auto seen = withoutPayload(n.take());
  EXPECT_EQ(count(seen, "build_queued"), 1u);
  EXPECT_EQ(count(seen, "cached_build_queued"), 3u);
  EXPECT_EQ(seen.front(), "eval_started");
  EXPECT_EQ(std::vector<std::string>(seen.end() - 2, seen.end()),
            (std::vector<std::string>{"eval_added", "builds_added"}));

  auto after = builds();
  ASSERT_EQ(after.size(), 5u);
  int current = 0;
  for (const auto& b : after) {
    if (b.iscurrent) ++current;
    if (b.job == "varies" && !b.iscurrent) {
      EXPECT_TRUE(std::any_of(before.begin(), before.end(),
                              [&](const auto& old) { return old.id == b.id; }));
    }
  }
  EXPECT_EQ(current, 4);
  auto evals = *db_.read<std::vector<db::EvalView>>(
      [](db::ReadTx& tx) { return db::listEvals(tx, "p", "main", 10); });
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_EQ(evals[0].inputs.at("src").revision, repo_.head());
}

TEST_F(Evaluation, AJobThatThrowsIsRecordedWhileTheOthersAreQueued) {
  repo_.commit("release.nix", release("v1", R"(broken = throw "no way to build this";)"));
  const int id = jobset("main");
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  EXPECT_EQ(builds().size(), 4u);
  const std::string error = column(id, "errormsg");
  EXPECT_NE(error.find("in job ‘broken’"), std::string::npos) << error;
  EXPECT_NE(error.find("no way to build this"), std::string::npos) << error;
  EXPECT_EQ(column(id, "condition"), "Stalled");
  EXPECT_EQ(column(id, "condition_reason"), "JobErrors");
  auto evals = *db_.read<std::vector<db::EvalView>>(
      [](db::ReadTx& tx) { return db::listEvals(tx, "p", "main", 10); });
  ASSERT_EQ(evals.size(), 1u);
  EXPECT_NE(evals[0].errormsg.find("no way to build this"), std::string::npos);
}

TEST_F(Evaluation, SyntaxErrorFailsTheEvaluationAndKeepsWhatWasQueued) {
  const int id = jobset("main");
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  repo_.commit("release.nix", "{ src ? null, slow ? \"0\" }: { ok = ; }");
  Notifications n(conninfo_);
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kFailed);
  EXPECT_EQ(withoutPayload(n.take()), (std::vector<std::string>{"eval_started", "eval_failed"}));
  EXPECT_NE(column(id, "errormsg").find("syntax error"), std::string::npos)
      << column(id, "errormsg");
  EXPECT_EQ(column(id, "condition_reason"), "EvaluationFailed");
  EXPECT_EQ(builds().size(), 4u);

  // The next good commit clears it, and is not mistaken for "cached".
  repo_.commit("release.nix", release());
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  EXPECT_EQ(column(id, "condition"), "Ready");
  EXPECT_EQ(column(id, "errormsg"), "<null>");
}

TEST_F(Evaluation, AnAggregateNamingAMissingJobFailsTheWholeEvaluation) {
  repo_.commit("release.nix",
               release("v1", R"(all = mkDerivation { name = "all"; _hydraAggregate = true;
                   constituents = [ "ok" "nope" ]; args = [ "-c" "touch $out" ]; };)"));
  const int id = jobset("main");
  auto e = evaluator();
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kFailed);
  EXPECT_EQ(column(id, "errormsg"), "aggregate job ‘all’ failed with the error: nope: does not exist");
  EXPECT_EQ(builds().size(), 0u);
}

TEST_F(Evaluation, AggregatesRecordTheirConstituentsByNameAndByDerivation) {
  repo_.commit("release.nix",
               release("v1", R"(by_name = mkDerivation { name = "a1"; _hydraAggregate = true;
                   constituents = [ "ok" "fails" ]; args = [ "-c" "touch $out" ]; };
                 by_drv = mkDerivation { name = "a2"; _hydraAggregate = true;
                   constituents = [ (mkDerivation { name = "ok"; args = [ "-c" "echo ok > $out" ]; }) ];
                   args = [ "-c" "touch $out" ]; };)"));
  const int id = jobset("main");
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  auto pairs = sql("select a.job, c.job from aggregateconstituents x join builds a on "
                   "a.id = x.aggregate join builds c on c.id = x.constituent order by 1, 2");
  std::vector<std::string> got;
  for (const auto& row : pairs) got.push_back(row[0].as<std::string>() + "→" + row[1].as<std::string>());
  EXPECT_EQ(got, (std::vector<std::string>{"by_drv→ok", "by_name→fails", "by_name→ok"}));
}

TEST_F(Evaluation, AnEvaluationThatNeverEndsIsKilledAtTheTimeout) {
  // 1000^5 steps in bounded memory: it would run for days.
  repo_.commit("release.nix", R"({ src ? null, slow ? "0" }:
    let loop = d: if d == 0 then 1
                  else builtins.foldl' (a: _: a + loop (d - 1)) 0 (builtins.genList (i: i) 1000);
    in { never = builtins.seq (loop 5) null; })");
  const int id = jobset("main");
  auto e = evaluator(4, 2s);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kFailed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  EXPECT_EQ(column(id, "errormsg"), "evaluation timed out after 2 s");
  EXPECT_EQ(column(id, "condition_reason"), "EvaluationTimedOut");
  // The controller lives on: the next evaluation works.
  repo_.commit("release.nix", release());
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
}

TEST_F(Evaluation, OneShotJobsetIsDisabledAfterItsEvaluation) {
  const int id = jobset("once", 2);
  auto e = evaluator();
  ASSERT_EQ(e->evaluateNow(id, {}), EvalOutcome::kEvaluated);
  EXPECT_EQ(column(id, "enabled"), "0");
}

TEST_F(Evaluation, AnUnreachableInputIsAFetchErrorThatKeepsTheTrigger) {
  const int id = jobset("main", 1, 300, "0", "/nonexistent/repo main");
  trigger("main");
  const std::string trig = column(id, "triggertime");
  Notifications n(conninfo_);
  auto e = evaluator();
  EXPECT_EQ(e->evaluateNow(id, {}), EvalOutcome::kFetchFailed);
  EXPECT_EQ(withoutPayload(n.take()), (std::vector<std::string>{"eval_started", "eval_failed"}));
  EXPECT_NE(column(id, "fetcherrormsg").find("input ‘src’"), std::string::npos)
      << column(id, "fetcherrormsg");
  EXPECT_EQ(column(id, "condition"), "Reconciling");
  EXPECT_EQ(column(id, "condition_reason"), "FetchFailed");
  EXPECT_EQ(column(id, "triggertime"), trig);
  EXPECT_EQ(column(id, "starttime"), "<null>");
}

// Through the manager, as `hydrant run` does it.
class Scheduled : public Evaluation {
 protected:
  Scheduled() : roles_(db_, clock_) {}
  // Runs `e` under the manager, woken by the database as in `hydrant run`; the fixture owns it
  // and stops the manager (roles_, declared after it) before destroying it.
  EvaluationReconciler& run(std::unique_ptr<EvaluationReconciler> e) {
    owned_ = std::move(e);
    EvaluationReconciler::addTo(
        roles_.manager(),
        std::shared_ptr<EvaluationReconciler>(owned_.get(), [](EvaluationReconciler*) {}));
    roles_.start({"evaluator"});
    return *owned_;
  }
  std::unique_ptr<EvaluationReconciler> owned_;
  testing::RunningRoles roles_;
};

TEST_F(Scheduled, NeverMoreThanTheLimitRunAndAllFinish) {
  std::vector<int> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(jobset("j" + std::to_string(i), 1, 0, "3000000"));
  for (int i = 0; i < 4; ++i) trigger("j" + std::to_string(i));
  auto& e = run(evaluator(2));
  ASSERT_TRUE(eventually(
      [&] { return scalar("select count(*) from jobsets where lastcheckedtime is not null") == 4; },
      120s, 50ms));
  EXPECT_EQ(e.peakRunning(), 2);
  EXPECT_EQ(scalar("select count(*) from jobsetevals"), 4);
  EXPECT_EQ(scalar("select count(*) from jobsets where triggertime is not null"), 0);
}

TEST_F(Scheduled, ATriggerDuringAnEvaluationIsNotLost) {
  const int id = jobset("main", 1, 0, "6000000");
  auto& e = run(evaluator());
  trigger("main");
  // Once the evaluation has started (before it fetches its inputs), a trigger asks for another.
  ASSERT_TRUE(eventually([&] { return column(id, "starttime") != "<null>"; }, 30s, 1ms));
  trigger("main");
  // The first evaluation ends; the second trigger starts another one, which finds the inputs
  // unchanged.
  ASSERT_TRUE(eventually([&] { return column(id, "triggertime") == "<null>" &&
                                      e.running().empty() &&
                                      scalar("select count(*) from jobsetevals") == 1 &&
                                      column(id, "condition_message").find("unchanged") !=
                                          std::string::npos; },
                         120s, 20ms))
      << column(id, "condition_message");
}

TEST_F(Scheduled, AnEvaluationLeftRunningByACrashIsRedone) {
  const int id = jobset("main", 1, 0);
  sql("update jobsets set starttime = 12345, lastcheckedtime = extract(epoch from now()) "
      "where id = " + std::to_string(id));
  run(evaluator());
  ASSERT_TRUE(eventually([&] { return scalar("select count(*) from jobsetevals") == 1; }, 60s,
                         20ms));
  EXPECT_EQ(column(id, "starttime"), "<null>");
}

TEST_F(Scheduled, OneAtATimeWaitsWhileItsBuildsAreUnfinished) {
  const int one = jobset("one", 3, 1);
  const int periodic = jobset("periodic", 1, 1);
  auto owned = evaluator();
  ASSERT_EQ(owned->evaluateNow(one, {}), EvalOutcome::kEvaluated);
  ASSERT_EQ(owned->evaluateNow(periodic, {}), EvalOutcome::kEvaluated);
  const std::string one_checked = column(one, "lastcheckedtime");
  std::this_thread::sleep_for(2100ms);  // both intervals (1 s, whole seconds) pass
  auto& e = run(std::move(owned));
  ASSERT_TRUE(eventually([&] { return column(periodic, "lastcheckedtime") != one_checked &&
                                      e.running().empty(); },
                         60s, 20ms));
  EXPECT_EQ(column(one, "lastcheckedtime"), one_checked);
}

}  // namespace
}  // namespace hydrant
