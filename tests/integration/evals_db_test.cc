// Evaluations against a real Postgres: what the scheduler reads, how an evaluation starts and
// ends, and what recording one writes — builds, reuse of the previous evaluation's builds,
// members, iscurrent, aggregates, per-job errors, one-shot jobsets — with the notifications of
// Hydra's notification test, in their order.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/projects.hh"
#include "tests/support/notes.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using testing::Note;
using testing::NoteCollector;
using testing::Notes;
using testing::TestCluster;

nix::EvalJob job(const std::string& attr, const std::string& version = "1") {
  nix::EvalJob j;
  j.attr = attr;
  j.nixname = attr + "-" + version;
  j.system = "x86_64-linux";
  j.drv_path = "/nix/store/drv-" + attr + "-" + version + ".drv";
  j.outputs = {{"out", "/nix/store/out-" + attr + "-" + version}};
  return j;
}

nix::EvalJob failedJob(const std::string& attr, const std::string& error) {
  nix::EvalJob j;
  j.attr = attr;
  j.error = error;
  return j;
}

class EvalsDb : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = TestCluster::get().freshDatabase();
    db_ = std::make_unique<db::Database>(conninfo_, 3);
    sql_ = std::make_unique<pqxx::connection>(conninfo_);
    exec("insert into projects (name, displayname) values ('proj', 'Project')");
    main_ = addJobset("proj", "main", 1);
    notes_ = std::make_unique<NoteCollector>(
        conninfo_,
        std::vector<std::string>{"eval_started", "eval_failed", "eval_cached", "eval_added",
                                 "build_queued", "cached_build_queued", "cached_build_finished",
                                 "builds_added", "jobsets_changed"});
  }

  void exec(const std::string& sql) {
    pqxx::work w(*sql_);
    w.exec(sql);
    w.commit();
  }
  // The first field of the first row; "NULL" for null, "<none>" without rows.
  std::string value(const std::string& sql) {
    pqxx::work w(*sql_);
    auto r = w.exec(sql);
    w.commit();
    if (r.empty()) return "<none>";
    return r[0][0].is_null() ? "NULL" : r[0][0].as<std::string>();
  }
  std::vector<std::string> column(const std::string& sql) {
    pqxx::work w(*sql_);
    std::vector<std::string> out;
    for (const auto& r : w.exec(sql)) out.push_back(r[0].is_null() ? "NULL" : r[0].c_str());
    return out;
  }
  int addJobset(const std::string& project, const std::string& name, int enabled) {
    return std::stoi(
        value("insert into jobsets (project, name, nixexprinput, nixexprpath, enabled) values ('" +
              project + "', '" + name + "', 'src', 'release.nix', " + std::to_string(enabled) +
              ") returning id"));
  }
  std::string jobsetColumn(const std::string& col, int id = 0) {
    return value("select " + col + " from jobsets where id = " + std::to_string(id ? id : main_));
  }
  // A finished build of another jobset, for `build` inputs to refer to.
  int upstreamBuild() {
    int up = addJobset("proj", "upstream", 1);
    return std::stoi(value(
        "insert into builds (finished, timestamp, jobset_id, job, drvpath, system, buildstatus, "
        "starttime, stoptime) values (1, 1, " +
        std::to_string(up) +
        ", 'dep', '/nix/store/dep.drv', 'x86_64-linux', 0, 1, 2) returning id"));
  }
  // The newest build of `job`.
  std::string buildOf(const std::string& job) {
    return value("select max(id) from builds where job = '" + job + "'");
  }
  void finishBuild(const std::string& id, int status) {
    exec("update builds set finished = 1, buildstatus = " + std::to_string(status) +
         ", starttime = 1, stoptime = 2 where id = " + id);
  }

  template <class Fn>
  auto write(Fn fn) -> decltype(fn(std::declval<db::WriteTx&>())) {
    using R = decltype(fn(std::declval<db::WriteTx&>()));
    std::optional<R> out;
    auto r = db_->withWrite([&](db::WriteTx& tx) -> Result<void> {
      out.emplace(fn(tx));
      if (!out->has_value()) return out->error();
      return {};
    });
    if (!r) return R(r.error());
    return std::move(*out);
  }
  template <class Fn>
  auto read(Fn fn) -> decltype(fn(std::declval<db::ReadTx&>())) {
    using R = decltype(fn(std::declval<db::ReadTx&>()));
    std::optional<R> out;
    auto r = db_->withRead([&](db::ReadTx& tx) -> Result<void> {
      out.emplace(fn(tx));
      if (!out->has_value()) return out->error();
      return {};
    });
    if (!r) return R(r.error());
    return std::move(*out);
  }

  db::NewEval newEval(std::vector<nix::EvalJob> jobs, const std::string& hash) {
    db::NewEval e;
    e.hash = hash;
    e.checkouttime = 2;
    e.evaltime = 3;
    e.nixexprinput = "src";
    e.nixexprpath = "release.nix";
    e.jobs = std::move(jobs);
    return e;
  }
  db::RecordedEval recordFull(const db::NewEval& e, const db::EvalEnd& end) {
    auto r = write([&](db::WriteTx& tx) {
      return db::recordEval(tx, end, e, db::Status::ready_("Evaluated", "evaluated"));
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : db::RecordedEval{};
  }
  db::RecordedEval record(std::vector<nix::EvalJob> jobs, const std::string& hash,
                          long long now = 1000) {
    return recordFull(newEval(std::move(jobs), hash), {main_, now, "t-" + hash, std::nullopt});
  }
  std::string idStr(int id) { return std::to_string(id); }

  std::string conninfo_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<pqxx::connection> sql_;
  std::unique_ptr<NoteCollector> notes_;
  int main_ = 0;
};

// ---- scheduling ---------------------------------------------------------------------------

TEST_F(EvalsDb, ScheduleRowsListEnabledJobsetsOfEnabledProjects) {
  addJobset("proj", "off", 0);
  int once = addJobset("proj", "once", 2);
  exec("insert into projects (name, displayname, enabled) values ('gone', 'Gone', 0)");
  addJobset("gone", "main", 1);
  exec(
      "update jobsets set triggertime = 50, checkinterval = 60, lastcheckedtime = 40, "
      "starttime = 45 where id = " +
      idStr(once));
  auto rows = read([](db::ReadTx& tx) { return db::scheduleRows(tx); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  const auto& m = (*rows)[0];
  EXPECT_EQ(m.id, main_);
  EXPECT_EQ(m.project, "proj");
  EXPECT_EQ(m.name, "main");
  EXPECT_EQ(m.enabled, 1);
  EXPECT_EQ(m.checkinterval, 300);
  EXPECT_FALSE(m.triggertime || m.lastcheckedtime || m.starttime);
  const auto& o = (*rows)[1];
  EXPECT_EQ(o.id, once);
  EXPECT_EQ(o.enabled, 2);
  EXPECT_EQ(o.checkinterval, 60);
  EXPECT_EQ(o.triggertime, 50);
  EXPECT_EQ(o.lastcheckedtime, 40);
  EXPECT_EQ(o.starttime, 45);
}

TEST_F(EvalsDb, ScheduleRowsTellWhetherTheNewestEvaluationHasUnfinishedBuilds) {
  auto unfinished = [&] {
    auto rows = read([](db::ReadTx& tx) { return db::scheduleRows(tx); });
    EXPECT_TRUE(rows && rows->size() == 1u);
    return rows && !rows->empty() && rows->front().last_eval_unfinished;
  };
  EXPECT_FALSE(unfinished()) << "no evaluation yet";
  record({job("a"), job("b")}, "h1");
  EXPECT_TRUE(unfinished());
  finishBuild(buildOf("a"), 0);
  EXPECT_TRUE(unfinished()) << "b is still queued";
  finishBuild(buildOf("b"), 1);
  EXPECT_FALSE(unfinished());
  record({job("a"), job("b"), job("c")}, "h2");
  EXPECT_TRUE(unfinished()) << "c is new and queued";
}

TEST_F(EvalsDb, ClearStaleStartsTurnsRunningEvaluationsIntoTriggers) {
  int other = addJobset("proj", "other", 1);
  int idle = addJobset("proj", "idle", 1);
  exec("update jobsets set starttime = 100 where id = " + idStr(main_));
  exec("update jobsets set starttime = 200, triggertime = 50 where id = " + idStr(other));
  exec("update jobsets set triggertime = 70 where id = " + idStr(idle));
  auto n = write([](db::WriteTx& tx) { return db::clearStaleStarts(tx); });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(jobsetColumn("starttime"), "NULL");
  EXPECT_EQ(jobsetColumn("triggertime"), "100");
  EXPECT_EQ(jobsetColumn("starttime", other), "NULL");
  EXPECT_EQ(jobsetColumn("triggertime", other), "50") << "the older trigger is kept";
  EXPECT_EQ(jobsetColumn("triggertime", idle), "70");
}

// ---- starting -----------------------------------------------------------------------------

TEST_F(EvalsDb, LoadEvalJobsetReadsInputsAndTheDeclarativeInput) {
  exec(
      "update jobsets set forceeval = true, triggertime = 77, condition = 'Stalled', "
      "ready_status = 'False', condition_reason = 'EvaluationFailed', "
      "condition_message = 'syntax error' where id = " +
      idStr(main_));
  exec(
      "insert into jobsetinputs (project, jobset, name, type, value) values "
      "('proj', 'main', 'src', 'git', 'https://example.org/a.git main'), "
      "('proj', 'main', 'Zeta', 'boolean', 'true'), ('proj', 'main', 'b', 'string', 'x')");
  auto j = read([&](db::ReadTx& tx) { return db::loadEvalJobset(tx, main_); });
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->has_value());
  const db::EvalJobset& e = **j;
  EXPECT_EQ(e.project, "proj");
  EXPECT_EQ(e.name, "main");
  EXPECT_EQ(e.type, 0);
  EXPECT_EQ(e.nixexprinput, "src");
  EXPECT_EQ(e.nixexprpath, "release.nix");
  EXPECT_TRUE(e.forceeval);
  EXPECT_EQ(e.triggertime, 77);
  ASSERT_EQ(e.inputs.size(), 3u);
  EXPECT_EQ(e.inputs[0].name, "Zeta") << "byte order";
  EXPECT_EQ(e.inputs[1].name, "b");
  EXPECT_EQ(e.inputs[2].name, "src");
  EXPECT_EQ(e.inputs[2].type, "git");
  EXPECT_EQ(e.inputs[2].value, "https://example.org/a.git main");
  EXPECT_EQ(e.decltype_, "");
  EXPECT_EQ(e.declfile, "");
  EXPECT_EQ(e.condition, "Stalled");
  EXPECT_EQ(e.condition_reason, "EvaluationFailed");
  EXPECT_EQ(e.condition_message, "syntax error");

  exec(
      "insert into projects (name, displayname, declfile, decltype, declvalue) values "
      "('decl', 'Decl', 'spec.json', 'git', 'https://example.org/spec.git main')");
  exec(
      "insert into jobsets (project, name, type, flake) values ('decl', '.jobsets', 1, "
      "'github:x/y')");
  int dj = std::stoi(value("select id from jobsets where project = 'decl'"));
  auto d = read([&](db::ReadTx& tx) { return db::loadEvalJobset(tx, dj); });
  ASSERT_TRUE(d && d->has_value());
  EXPECT_EQ((*d)->type, 1);
  EXPECT_EQ((*d)->flake, "github:x/y");
  EXPECT_FALSE((*d)->forceeval);
  EXPECT_EQ((*d)->declfile, "spec.json");
  EXPECT_EQ((*d)->decltype_, "git");
  EXPECT_EQ((*d)->declvalue, "https://example.org/spec.git main");
  EXPECT_EQ((*d)->condition, "Reconciling") << "a new jobset's default";
  EXPECT_EQ((*d)->condition_reason, "");

  auto none = read([](db::ReadTx& tx) { return db::loadEvalJobset(tx, 99999); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(EvalsDb, MarkEvalStartedSetsStarttimeAndNotifies) {
  notes_->take();
  ASSERT_TRUE(write([&](db::WriteTx& tx) { return db::markEvalStarted(tx, main_, 1234, "tr.1"); }));
  EXPECT_EQ(jobsetColumn("starttime"), "1234");
  EXPECT_EQ(notes_->take(), (Notes{{"eval_started", "tr.1\t" + idStr(main_)}}))
      << "setting starttime must not wake the evaluator";
  auto missing = write([](db::WriteTx& tx) { return db::markEvalStarted(tx, 99999, 1, "x"); });
  EXPECT_FALSE(missing);
  EXPECT_EQ(notes_->take(), Notes{});
}

TEST_F(EvalsDb, LatestEvalIsTheNewestRowWithOrWithoutNewBuilds) {
  auto none = read([&](db::ReadTx& tx) { return db::latestEval(tx, main_); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  record({job("a")}, "h1");
  auto second = record({job("a")}, "h2");  // no change: a cached evaluation row
  ASSERT_FALSE(second.has_new_builds);
  auto latest = read([&](db::ReadTx& tx) { return db::latestEval(tx, main_); });
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->id, second.eval_id);
  EXPECT_EQ((*latest)->hash, "h2");
  EXPECT_EQ((*latest)->flake, "");
}

// ---- recording ----------------------------------------------------------------------------

TEST_F(EvalsDb, FirstEvaluationQueuesEveryJob) {
  const int dep = upstreamBuild();
  exec(
      "update jobsets set triggertime = 900, starttime = 950, forceeval = true, "
      "fetcherrormsg = 'old fetch error', errormsg = 'old error' where id = " +
      idStr(main_));
  notes_->take();
  nix::EvalJob a = job("a");
  a.outputs = {{"out", "/nix/store/out-a"}, {"dev", "/nix/store/dev-a"}};
  a.description = "the a package";
  a.license = "MIT, BSD";
  a.maintainers = "alice@example.com";
  a.is_channel = true;
  nix::EvalJob b = job("b");
  b.scheduling_priority = 50;
  b.max_silent = 60;
  b.timeout = 120;
  db::NewEval e = newEval({job("c"), b, a}, "hash1");
  e.inputs = {
      {"src", "git", "https://example.org/a.git", "abc123", std::nullopt, "/nix/store/src", "sha",
       std::nullopt},
      {"dep", "build", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, dep}};
  auto rec = recordFull(e, {main_, 1000, "tr.1", 900});

  EXPECT_TRUE(rec.has_new_builds);
  EXPECT_EQ(rec.new_builds, 3);
  EXPECT_EQ(rec.reused_builds, 0);
  EXPECT_EQ(rec.failed_jobs, 0);
  EXPECT_EQ(rec.error_text, "");
  const std::string ev = idStr(rec.eval_id);
  const std::string ba = buildOf("a"), bb = buildOf("b"), bc = buildOf("c");
  ASSERT_TRUE(rec.lowest_new_build);
  EXPECT_EQ(idStr(*rec.lowest_new_build), ba) << "builds are created in job name order";

  EXPECT_EQ(value("select hash || ' ' || hasnewbuilds || ' ' || nrbuilds || ' ' || "
                  "checkouttime || ' ' || evaltime || ' ' || timestamp || ' ' || nixexprinput || "
                  "' ' || nixexprpath || ' ' || (evaluationerror_id is null) || ' ' || "
                  "(flake is null) from jobsetevals where id = " +
                  ev),
            "hash1 1 3 2 3 1000 src release.nix true true");
  EXPECT_EQ(value("select concat_ws(' ', finished, timestamp, job, nixname, drvpath, system, "
                  "description, license, maintainers, ischannel, iscurrent, priority, maxsilent, "
                  "timeout) from builds where id = " +
                  ba),
            "0 1000 a a-1 /nix/store/drv-a-1.drv x86_64-linux the a package MIT, BSD "
            "alice@example.com 1 1 100 3600 36000");
  EXPECT_EQ(value("select concat_ws(' ', priority, maxsilent, timeout, description is null, "
                  "homepage is null) from builds where id = " +
                  bb),
            "50 60 120 t t");
  EXPECT_EQ(
      column("select name || '=' || path from buildoutputs where build = " + ba + " order by name"),
      (std::vector<std::string>{"dev=/nix/store/dev-a", "out=/nix/store/out-a"}));
  EXPECT_EQ(column("select build || ':' || isnew from jobsetevalmembers where eval = " + ev +
                   " order by build"),
            (std::vector<std::string>{ba + ":1", bb + ":1", bc + ":1"}));
  EXPECT_EQ(value("select count(*) from builds where iscurrent = 1"), "3");
  EXPECT_EQ(
      column("select concat_ws(' ', name, type, uri, revision, path, sha256hash, "
             "dependency) from jobsetevalinputs where eval = " +
             ev + " order by name"),
      (std::vector<std::string>{"dep build " + idStr(dep),
                                "src git https://example.org/a.git abc123 /nix/store/src sha"}));

  EXPECT_EQ(value("select concat_ws(' ', lastcheckedtime, coalesce(starttime::text, '-'), "
                  "coalesce(triggertime::text, '-'), coalesce(forceeval::text, '-'), "
                  "coalesce(fetcherrormsg, '-'), coalesce(errormsg, '-'), "
                  "coalesce(errortime::text, '-'), enabled) from jobsets where id = " +
                  idStr(main_)),
            "1000 - - - - - - 1");
  EXPECT_EQ(value("select concat_ws(' ', condition, ready_status, condition_reason, "
                  "condition_message, last_transition_at is not null, "
                  "last_reconciled_at is not null) from jobsets where id = " +
                  idStr(main_)),
            "Ready True Evaluated evaluated t t");
  EXPECT_EQ(
      value("select concat_ws(' | ', object_kind, object_key, action, message) from "
            "events order by id desc limit 1"),
      "jobset | proj:main | evaluated | evaluation " + ev + ": 3 jobs, 3 new builds, 0 failed");

  // Hydra's notification test: build_queued per build, eval_added, builds_added — and no
  // jobsets_changed, since consuming a trigger and writing status wake nobody.
  EXPECT_EQ(notes_->take(), (Notes{{"build_queued", ba},
                                   {"build_queued", bb},
                                   {"build_queued", bc},
                                   {"eval_added", "tr.1\t" + idStr(main_) + "\t" + ev},
                                   {"builds_added", ba}}));
}

TEST_F(EvalsDb, SecondEvaluationReusesUnchangedJobsAndMovesIsCurrent) {
  auto first = record({job("a"), job("b"), job("c")}, "h1");
  const std::string a = buildOf("a"), b = buildOf("b"), c1 = buildOf("c");
  finishBuild(a, 0);
  notes_->take();

  nix::EvalJob c2 = job("c", "2");
  auto second = record({job("a"), job("b"), c2}, "h2", 2000);
  EXPECT_TRUE(second.has_new_builds);
  EXPECT_EQ(second.new_builds, 1);
  EXPECT_EQ(second.reused_builds, 2);
  const std::string c = buildOf("c");
  EXPECT_NE(c, c1);
  EXPECT_EQ(value("select count(*) from builds"), "4");
  const std::string ev = idStr(second.eval_id);
  EXPECT_EQ(column("select build || ':' || isnew from jobsetevalmembers where eval = " + ev +
                   " order by build"),
            (std::vector<std::string>{a + ":0", b + ":0", c + ":1"}));
  EXPECT_EQ(column("select id from builds where iscurrent = 1 order by id"),
            (std::vector<std::string>{a, b, c}));
  EXPECT_EQ(value("select iscurrent from builds where id = " + c1), "0");
  EXPECT_EQ(value("select nrbuilds from jobsetevals where id = " + ev), "3");
  EXPECT_EQ(notes_->take(), (Notes{{"build_queued", c},
                                   {"cached_build_finished", ev + "\t" + a},
                                   {"cached_build_queued", ev + "\t" + b},
                                   {"eval_added", "t-h2\t" + idStr(main_) + "\t" + ev},
                                   {"builds_added", c}}));
  EXPECT_LT(first.eval_id, second.eval_id);
}

TEST_F(EvalsDb, ReuseNeedsTheSameFirstOutputPath) {
  record({job("a")}, "h1");
  const std::string old = buildOf("a");
  // Same drv name, but the alphabetically first output ("bin") moved: a new build.
  nix::EvalJob a = job("a");
  a.outputs["bin"] = "/nix/store/bin-a";
  auto r = record({a}, "h2");
  EXPECT_EQ(r.new_builds, 1);
  EXPECT_NE(buildOf("a"), old);
  // Unknown output paths (content-addressed) are matched on the drv path instead.
  nix::EvalJob ca = job("ca");
  ca.outputs = {{"out", ""}};
  record({a, ca}, "h3");
  const std::string ca1 = buildOf("ca");
  EXPECT_EQ(value("select path is null from buildoutputs where build = " + ca1), "t");
  auto again = record({a, ca}, "h4");
  EXPECT_EQ(again.new_builds, 0);
  EXPECT_EQ(buildOf("ca"), ca1);
}

TEST_F(EvalsDb, EvaluationWithTheSameBuildsAddsNoMembers) {
  auto first = record({job("a"), job("b")}, "h1");
  notes_->take();
  auto same = record({job("a"), job("b")}, "h2", 2000);
  EXPECT_FALSE(same.has_new_builds);
  EXPECT_EQ(same.new_builds, 0);
  EXPECT_EQ(same.reused_builds, 2);
  EXPECT_FALSE(same.lowest_new_build);
  const std::string ev = idStr(same.eval_id);
  EXPECT_EQ(value("select hasnewbuilds || ' ' || coalesce(nrbuilds::text, 'null') from "
                  "jobsetevals where id = " +
                  ev),
            "0 null");
  EXPECT_EQ(value("select count(*) from jobsetevalmembers where eval = " + ev), "0");
  EXPECT_EQ(value("select count(*) from jobsetevalinputs where eval = " + ev), "0");
  EXPECT_EQ(value("select count(*) from builds where iscurrent = 1"), "2");
  EXPECT_EQ(jobsetColumn("lastcheckedtime"), "2000");
  EXPECT_EQ(notes_->take(), (Notes{{"cached_build_queued", ev + "\t" + buildOf("a")},
                                   {"cached_build_queued", ev + "\t" + buildOf("b")},
                                   {"eval_added", "t-h2\t" + idStr(main_) + "\t" + ev}}));
  EXPECT_NE(value("select message from events order by id desc limit 1").find("(no change)"),
            std::string::npos);

  // A job that disappears changes the member count: an evaluation with new builds but no new
  // build, and the vanished job's build is no longer current.
  const std::string b = buildOf("b");
  auto fewer = record({job("a")}, "h3", 3000);
  EXPECT_TRUE(fewer.has_new_builds);
  EXPECT_EQ(fewer.new_builds, 0);
  EXPECT_EQ(value("select nrbuilds from jobsetevals where id = " + idStr(fewer.eval_id)), "1");
  EXPECT_EQ(value("select iscurrent from builds where id = " + b), "0");
  EXPECT_EQ(value("select iscurrent from builds where id = " + buildOf("a")), "1");
  auto notes = notes_->take();
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.back().first, "eval_added") << "no builds_added without new builds";
  EXPECT_LT(first.eval_id, fewer.eval_id);
}

TEST_F(EvalsDb, JobErrorsAreRecordedAndTheOtherJobsQueued) {
  auto r = record({job("ok"), failedJob("zbroken", "undefined variable 'x'"),
                   failedJob("abroken", "assertion failed")},
                  "h1", 1500);
  const std::string text =
      "in job ‘abroken’:\nassertion failed\n\nin job ‘zbroken’:\nundefined variable 'x'\n\n";
  EXPECT_EQ(r.failed_jobs, 2);
  EXPECT_EQ(r.new_builds, 1);
  EXPECT_EQ(r.error_text, text);
  EXPECT_EQ(value("select count(*) from builds"), "1");
  EXPECT_EQ(value("select x.errormsg from jobsetevals e join evaluationerrors x on "
                  "x.id = e.evaluationerror_id where e.id = " +
                  idStr(r.eval_id)),
            text);
  EXPECT_EQ(value("select x.errortime from evaluationerrors x"), "1500");
  EXPECT_EQ(jobsetColumn("errormsg"), text);
  EXPECT_EQ(jobsetColumn("errortime"), "1500");
  EXPECT_EQ(value("select message from events order by id desc limit 1"),
            "evaluation " + idStr(r.eval_id) + ": 3 jobs, 1 new build, 2 failed");

  auto fixed = record({job("ok"), job("zbroken")}, "h2", 1600);
  EXPECT_EQ(fixed.error_text, "");
  EXPECT_EQ(jobsetColumn("errormsg"), "NULL");
  EXPECT_EQ(jobsetColumn("errortime"), "NULL");
  EXPECT_EQ(value("select evaluationerror_id is null from jobsetevals where id = " +
                  idStr(fixed.eval_id)),
            "t");
}

TEST_F(EvalsDb, AggregatesMapConstituentsByNameAndByDrv) {
  nix::EvalJob x = job("x"), alias = job("pkgs.x"), y = job("y");
  alias.drv_path = x.drv_path;  // two attributes, one derivation
  alias.outputs = x.outputs;
  nix::EvalJob yy = job("yy"), aa = job("aa");
  aa.drv_path = yy.drv_path;  // same length: the smaller name wins
  nix::EvalJob all = job("all");
  all.is_aggregate = true;
  all.constituent_drvs = {x.drv_path, y.drv_path, yy.drv_path, "/nix/store/unknown.drv"};
  nix::EvalJob named = job("named");
  named.is_aggregate = true;
  named.constituent_names = {"pkgs.x", "y"};
  auto r = record({x, alias, y, yy, aa, all, named}, "h1");
  EXPECT_EQ(r.new_builds, 7);
  const std::string q =
      "select a.job || '>' || c.job from aggregateconstituents ac join builds a on "
      "a.id = ac.aggregate join builds c on c.id = ac.constituent order by 1";
  const std::vector<std::string> expected{"all>aa", "all>x", "all>y", "named>pkgs.x", "named>y"};
  EXPECT_EQ(column(q), expected);

  // The aggregate is reused by the next evaluation: its rows stay, nothing is duplicated.
  auto again = record({x, alias, y, yy, aa, all, named, job("extra")}, "h2");
  EXPECT_EQ(again.new_builds, 1);
  EXPECT_EQ(column(q), expected);
}

TEST_F(EvalsDb, OneShotJobsetIsDisabledAfterAnyRecordedEvaluation) {
  exec("update jobsets set enabled = 2 where id = " + idStr(main_));
  record({job("a")}, "h1");
  EXPECT_EQ(jobsetColumn("enabled"), "0");
  notes_->take();
  exec("update jobsets set enabled = 2 where id = " + idStr(main_));
  record({job("a")}, "h2");
  EXPECT_EQ(jobsetColumn("enabled"), "0") << "not cached, even without new builds";
  exec("update jobsets set enabled = 3 where id = " + idStr(main_));
  record({job("a", "2")}, "h3");
  EXPECT_EQ(jobsetColumn("enabled"), "3");
}

TEST_F(EvalsDb, TriggerArrivingDuringRecordingSurvives) {
  exec("update jobsets set triggertime = 100 where id = " + idStr(main_));
  ASSERT_TRUE(write([&](db::WriteTx& tx) { return db::markEvalStarted(tx, main_, 110, "t"); }));
  ASSERT_TRUE(
      write([](db::WriteTx& tx) { return db::triggerJobset(tx, "proj", "main", true, 105); }));
  recordFull(newEval({job("a")}, "h1"), {main_, 120, "t", 100});
  EXPECT_EQ(jobsetColumn("triggertime"), "105");
  EXPECT_EQ(jobsetColumn("forceeval"), "t");
  EXPECT_EQ(jobsetColumn("starttime"), "NULL");
}

// ---- ending without an evaluation ---------------------------------------------------------

TEST_F(EvalsDb, CachedEvaluationConsumesTheTrigger) {
  auto prev = record({job("a")}, "h1");
  exec(
      "update jobsets set triggertime = 100, starttime = 110, forceeval = true, "
      "fetcherrormsg = 'flaky' where id = " +
      idStr(main_));
  notes_->take();
  ASSERT_TRUE(write([&](db::WriteTx& tx) {
    return db::finishEvalCached(tx, {main_, 120, "t1", 100}, prev.eval_id,
                                db::Status::ready_("Unchanged", "inputs unchanged"));
  }));
  EXPECT_EQ(value("select concat_ws(' ', lastcheckedtime, coalesce(triggertime::text, '-'), "
                  "coalesce(starttime::text, '-'), coalesce(forceeval::text, '-'), "
                  "coalesce(fetcherrormsg, '-'), condition, ready_status, condition_reason, "
                  "condition_message) from jobsets where id = " +
                  idStr(main_)),
            "120 - - - - Ready True Unchanged inputs unchanged");
  EXPECT_EQ(value("select count(*) from jobsetevals"), "1") << "no evaluation row";
  EXPECT_EQ(notes_->take(),
            (Notes{{"eval_cached", "t1\t" + idStr(main_) + "\t" + idStr(prev.eval_id)}}));
}

TEST_F(EvalsDb, FetchFailureKeepsTheTrigger) {
  exec("update jobsets set triggertime = 100, starttime = 110, forceeval = true where id = " +
       idStr(main_));
  notes_->take();
  ASSERT_TRUE(write([&](db::WriteTx& tx) {
    return db::finishEvalFetchFailed(tx, {main_, 120, "t2", 100}, "cannot fetch src",
                                     db::Status::reconciling("FetchFailed", "cannot fetch src"));
  }));
  EXPECT_EQ(value("select concat_ws(' ', lastcheckedtime, triggertime, "
                  "coalesce(starttime::text, '-'), forceeval, fetcherrormsg, condition, "
                  "ready_status, condition_reason) from jobsets where id = " +
                  idStr(main_)),
            "120 100 - t cannot fetch src Reconciling False FetchFailed");
  EXPECT_EQ(notes_->take(), (Notes{{"eval_failed", "t2\t" + idStr(main_)}}));
}

TEST_F(EvalsDb, FailedEvaluationConsumesTheTriggerButNotOneThatArrivedMeanwhile) {
  exec(
      "update jobsets set triggertime = 100, starttime = 110, forceeval = true, "
      "fetcherrormsg = 'old' where id = " +
      idStr(main_));
  notes_->take();
  const db::Status stalled = db::Status::stalled("EvaluationFailed", "syntax error");
  ASSERT_TRUE(write([&](db::WriteTx& tx) {
    return db::finishEvalFailed(tx, {main_, 120, "t3", 100}, "syntax error", stalled);
  }));
  EXPECT_EQ(value("select concat_ws(' ', lastcheckedtime, errortime, errormsg, "
                  "coalesce(triggertime::text, '-'), coalesce(starttime::text, '-'), "
                  "coalesce(forceeval::text, '-'), coalesce(fetcherrormsg, '-'), condition, "
                  "ready_status) from jobsets where id = " +
                  idStr(main_)),
            "120 120 syntax error - - - - Stalled False");
  EXPECT_EQ(notes_->take(), (Notes{{"eval_failed", "t3\t" + idStr(main_)}}));

  // Started with trigger 200; `hydrant trigger --force` while it ran.
  exec("update jobsets set triggertime = 200 where id = " + idStr(main_));
  ASSERT_TRUE(write([&](db::WriteTx& tx) { return db::markEvalStarted(tx, main_, 210, "t4"); }));
  ASSERT_TRUE(
      write([](db::WriteTx& tx) { return db::triggerJobset(tx, "proj", "main", true, 50); }));
  EXPECT_EQ(jobsetColumn("triggertime"), "201");
  ASSERT_TRUE(write([&](db::WriteTx& tx) {
    return db::finishEvalFailed(tx, {main_, 220, "t4", 200}, "syntax error", stalled);
  }));
  EXPECT_EQ(jobsetColumn("triggertime"), "201");
  EXPECT_EQ(jobsetColumn("forceeval"), "t");
  EXPECT_EQ(jobsetColumn("starttime"), "NULL");
}

TEST_F(EvalsDb, TransitionTimeMovesOnlyWhenTheConditionChanges) {
  auto finish = [&](const db::Status& s) {
    ASSERT_TRUE(write([&](db::WriteTx& tx) {
      return db::finishEvalCached(tx, {main_, 1, "t", std::nullopt}, 1, s);
    }));
  };
  finish(db::Status::ready_("Unchanged", "one"));
  const std::string t1 = jobsetColumn("last_transition_at");
  const std::string r1 = jobsetColumn("last_reconciled_at");
  finish(db::Status::ready_("Unchanged", "two"));
  EXPECT_EQ(jobsetColumn("last_transition_at"), t1);
  EXPECT_NE(jobsetColumn("last_reconciled_at"), r1);
  EXPECT_EQ(jobsetColumn("condition_message"), "two");
  finish(db::Status::stalled("EvaluationFailed", "three"));
  EXPECT_NE(jobsetColumn("last_transition_at"), t1);
}

// ---- triggers -----------------------------------------------------------------------------

TEST_F(EvalsDb, TriggerSetsNowOrKeepsAnOlderTrigger) {
  notes_->take();
  auto trigger = [&](bool force, long long now) {
    auto r =
        write([&](db::WriteTx& tx) { return db::triggerJobset(tx, "proj", "main", force, now); });
    EXPECT_TRUE(r && *r);
  };
  trigger(false, 500);
  EXPECT_EQ(jobsetColumn("triggertime"), "500");
  EXPECT_EQ(jobsetColumn("forceeval"), "NULL");
  EXPECT_EQ(notes_->take(), (Notes{{"jobsets_changed", idStr(main_)}}));
  trigger(true, 600);
  EXPECT_EQ(jobsetColumn("triggertime"), "500") << "the older trigger keeps its place";
  EXPECT_EQ(jobsetColumn("forceeval"), "t");
  EXPECT_EQ(notes_->take(), (Notes{{"jobsets_changed", idStr(main_)}}))
      << "the evaluator is woken even though triggertime did not change";
  exec("update jobsets set triggertime = 900 where id = " + idStr(main_));
  trigger(false, 700);
  EXPECT_EQ(jobsetColumn("triggertime"), "700");
  EXPECT_EQ(jobsetColumn("forceeval"), "t")
      << "only --force sets it; nothing but an eval clears it";
  auto missing =
      write([](db::WriteTx& tx) { return db::triggerJobset(tx, "proj", "nope", false, 1); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(EvalsDb, TriggerWhileEvaluatingAlwaysChangesTheValue) {
  exec("update jobsets set triggertime = 100, starttime = 90 where id = " + idStr(main_));
  auto trigger = [&](long long now) {
    ASSERT_TRUE(
        write([&](db::WriteTx& tx) { return db::triggerJobset(tx, "proj", "main", false, now); }));
  };
  trigger(50);
  EXPECT_EQ(jobsetColumn("triggertime"), "101");
  trigger(50);
  EXPECT_EQ(jobsetColumn("triggertime"), "102");
  trigger(400);
  EXPECT_EQ(jobsetColumn("triggertime"), "400");
  exec("update jobsets set triggertime = null where id = " + idStr(main_));
  trigger(300);
  EXPECT_EQ(jobsetColumn("triggertime"), "300");
}

// ---- inputs from other jobsets ------------------------------------------------------------

TEST_F(EvalsDb, LatestSuccessfulBuildAndEvalOutputs) {
  nix::EvalJob a = job("a");
  a.outputs = {{"bin", "/nix/store/bin-a"}, {"out", "/nix/store/out-a"}};
  nix::EvalJob lib = job("lib");
  lib.outputs = {{"dev", "/nix/store/dev-lib"}, {"lib", "/nix/store/lib-lib"}};
  auto first = record({a, job("b"), lib}, "h1");
  auto latest = [&](const std::string& j) {
    auto r = read([&](db::ReadTx& tx) { return db::latestSuccessfulBuild(tx, "proj", "main", j); });
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  };
  auto outputs = [&](std::optional<int> id) {
    auto r = read([&](db::ReadTx& tx) { return db::evalOutputs(tx, id, "proj", "main"); });
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  };
  EXPECT_FALSE(latest("a")) << "not built yet";
  EXPECT_FALSE(outputs(std::nullopt)) << "its builds have not finished";

  finishBuild(buildOf("a"), 0);
  finishBuild(buildOf("b"), 1);
  finishBuild(buildOf("lib"), 0);
  exec("update builds set releasename = 'a-rel' where job = 'a'");
  auto la = latest("a");
  ASSERT_TRUE(la);
  EXPECT_EQ(idStr(la->build_id), buildOf("a"));
  EXPECT_EQ(la->out_path, "/nix/store/out-a");
  EXPECT_EQ(la->drv_path, "/nix/store/drv-a-1.drv");
  EXPECT_EQ(la->nixname, "a-1");
  EXPECT_EQ(la->releasename, "a-rel");
  EXPECT_FALSE(latest("b")) << "b failed";
  auto llib = latest("lib");
  ASSERT_TRUE(llib);
  EXPECT_EQ(llib->out_path, "/nix/store/dev-lib") << "no out: the alphabetically first";

  auto done = outputs(std::nullopt);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->eval_id, first.eval_id);
  EXPECT_EQ(done->jobs, (std::map<std::string, std::string>{{"a", "/nix/store/out-a"}}));

  // A newer evaluation with a queued build: the latest finished one is still the first.
  auto second = record({a, job("b"), lib, job("c")}, "h2");
  auto still = outputs(std::nullopt);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->eval_id, first.eval_id);
  auto explicit_eval = outputs(second.eval_id);
  ASSERT_TRUE(explicit_eval);
  EXPECT_EQ(explicit_eval->eval_id, second.eval_id);
  EXPECT_EQ(explicit_eval->jobs, done->jobs);
  finishBuild(buildOf("c"), 0);
  auto now_second = outputs(std::nullopt);
  ASSERT_TRUE(now_second);
  EXPECT_EQ(now_second->eval_id, second.eval_id);
  EXPECT_EQ(now_second->jobs.size(), 2u);
  EXPECT_FALSE(outputs(99999));
}

// ---- listing ------------------------------------------------------------------------------

TEST_F(EvalsDb, ListEvalsAndBuildsNewestFirst) {
  int other = addJobset("proj", "other", 1);
  const int dep = upstreamBuild();
  db::NewEval e1 = newEval({job("a"), failedJob("bad", "boom")}, "h1");
  e1.inputs = {
      {"src", "git", "https://example.org/a.git", "rev1", std::nullopt, std::nullopt, std::nullopt,
       std::nullopt},
      {"dep", "build", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, dep}};
  auto first = recordFull(e1, {main_, 1000, "t", std::nullopt});
  record({job("a")}, "h2", 1100);  // no change: not listed
  auto third = record({job("a"), job("b")}, "h3", 1200);
  recordFull(newEval({job("o")}, "o1"), {other, 1300, "t", std::nullopt});

  auto evals = read([](db::ReadTx& tx) { return db::listEvals(tx, "proj", "main", 10); });
  ASSERT_TRUE(evals);
  ASSERT_EQ(evals->size(), 2u);
  const db::EvalView& newest = (*evals)[0];
  EXPECT_EQ(newest.id, third.eval_id);
  EXPECT_EQ(newest.timestamp, 1200);
  EXPECT_EQ(newest.checkouttime, 2);
  EXPECT_EQ(newest.evaltime, 3);
  EXPECT_TRUE(newest.hasnewbuilds);
  EXPECT_EQ(newest.nrbuilds, 2);
  EXPECT_EQ(newest.builds, (std::vector<int>{std::stoi(buildOf("a")), std::stoi(buildOf("b"))}));
  EXPECT_TRUE(newest.inputs.empty());
  EXPECT_EQ(newest.errormsg, "");
  const db::EvalView& oldest = (*evals)[1];
  EXPECT_EQ(oldest.id, first.eval_id);
  EXPECT_EQ(oldest.errormsg, "in job ‘bad’:\nboom\n\n");
  ASSERT_EQ(oldest.inputs.size(), 2u);
  EXPECT_EQ(oldest.inputs.at("src").type, "git");
  EXPECT_EQ(oldest.inputs.at("src").uri, "https://example.org/a.git");
  EXPECT_EQ(oldest.inputs.at("src").revision, "rev1");
  EXPECT_FALSE(oldest.inputs.at("src").dependency);
  EXPECT_EQ(oldest.inputs.at("dep").dependency, dep);
  auto one = read([](db::ReadTx& tx) { return db::listEvals(tx, "proj", "main", 1); });
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().id, third.eval_id);

  finishBuild(buildOf("a"), 0);
  auto builds = read([](db::ReadTx& tx) { return db::listBuilds(tx, "proj", std::nullopt, 10); });
  ASSERT_TRUE(builds);
  std::vector<std::string> jobs;
  for (const auto& b : *builds) jobs.push_back(b.jobset + ":" + b.job);
  EXPECT_EQ(jobs, (std::vector<std::string>{"other:o", "main:b", "main:a", "upstream:dep"}));
  const db::BuildView& a = (*builds)[2];
  EXPECT_EQ(a.project, "proj");
  EXPECT_TRUE(a.finished);
  EXPECT_EQ(a.buildstatus, 0);
  EXPECT_EQ(a.timestamp, 1000);
  EXPECT_EQ(a.drvpath, "/nix/store/drv-a-1.drv");
  EXPECT_EQ(a.system, "x86_64-linux");
  EXPECT_EQ(a.nixname, "a-1");
  EXPECT_EQ(a.priority, 100);
  EXPECT_TRUE(a.iscurrent);
  EXPECT_EQ(a.buildoutputs, (std::map<std::string, std::string>{{"out", "/nix/store/out-a-1"}}));
  EXPECT_FALSE((*builds)[1].finished);
  EXPECT_FALSE((*builds)[1].buildstatus);
  auto mainOnly = read([](db::ReadTx& tx) { return db::listBuilds(tx, "proj", "main", 1); });
  ASSERT_TRUE(mainOnly);
  ASSERT_EQ(mainOnly->size(), 1u);
  EXPECT_EQ(mainOnly->front().job, "b");
  auto none = read([](db::ReadTx& tx) { return db::listBuilds(tx, "nope", std::nullopt, 10); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// ---- scale --------------------------------------------------------------------------------

TEST_F(EvalsDb, ThousandJobsAreRecordedInOneTransactionQuickly) {
  auto jobsOf = [](int changed_from) {
    std::vector<nix::EvalJob> jobs;
    for (int i = 0; i < 1000; ++i) {
      nix::EvalJob j = job("pkg" + std::to_string(i), i >= changed_from ? "2" : "1");
      j.outputs["dev"] = j.outputs["out"] + "-dev";
      j.description = "package " + std::to_string(i);
      jobs.push_back(std::move(j));
    }
    return jobs;
  };
  notes_->take();
  auto t0 = std::chrono::steady_clock::now();
  auto first = record(jobsOf(1000), "h1");
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(first.new_builds, 1000);
  EXPECT_EQ(value("select count(*) from builds where iscurrent = 1"), "1000");
  EXPECT_EQ(value("select count(*) from buildoutputs"), "2000");
  EXPECT_EQ(value("select count(*) from jobsetevalmembers where isnew = 1"), "1000");
  EXPECT_EQ(value("select count(distinct job) from builds"), "1000");
  auto notes = notes_->take();
  ASSERT_EQ(notes.size(), 1002u);
  EXPECT_EQ(notes.back(), (Note{"builds_added", idStr(*first.lowest_new_build)}));
  EXPECT_EQ(notes.front(), (Note{"build_queued", idStr(*first.lowest_new_build)}));

  auto t2 = std::chrono::steady_clock::now();
  auto second = record(jobsOf(990), "h2");
  auto t3 = std::chrono::steady_clock::now();
  EXPECT_EQ(second.new_builds, 10);
  EXPECT_EQ(second.reused_builds, 990);
  EXPECT_EQ(value("select count(*) from builds where iscurrent = 1"), "1000");
  EXPECT_EQ(value("select count(*) from builds"), "1010");
  EXPECT_EQ(value("select count(*) from jobsetevalmembers where eval = " + idStr(second.eval_id) +
                  " and isnew = 0"),
            "990");
  EXPECT_EQ(notes_->take().size(), 1002u);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("recordEval, 1000 jobs: first %.1f ms (all new), second %.1f ms (990 reused)\n",
              ms(t1 - t0), ms(t3 - t2));
}

}  // namespace
}  // namespace hydrant
