// The build queue's SQL against a real Postgres: loading queued builds, steps as they start and
// finish, builds finishing with Hydra's notifications and the "notification pending" mark,
// failures propagating to dependents, failed paths, and the cleanup after a crash.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/db/queue.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using testing::TestCluster;

using Note = std::pair<std::string, std::string>;

// LISTENs on the queue's channels; take() returns what arrived, in order.
class Notes {
 public:
  explicit Notes(const std::string& conninfo) : conn_(conninfo) {
    for (const char* c : {"build_started", "step_started", "step_finished", "build_finished"}) {
      receivers_.push_back(std::make_unique<Receiver>(conn_, c, seen_));
    }
  }
  std::vector<Note> take() {
    while (conn_.await_notification(0, 200'000) > 0) {
    }
    std::vector<Note> out;
    out.swap(seen_);
    return out;
  }

 private:
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& c, const std::string& channel, std::vector<Note>& seen)
        : pqxx::notification_receiver(c, channel), seen_(seen) {}
    void operator()(const std::string& payload, int) override {
      seen_.emplace_back(channel(), payload);
    }

   private:
    std::vector<Note>& seen_;
  };
  pqxx::connection conn_;
  std::vector<Note> seen_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
};

class QueueDb : public ::testing::Test {
 protected:
  QueueDb() : conninfo_(TestCluster::get().freshDatabase()), db_(conninfo_, 4) {
    sql("insert into projects (name, displayname) values ('p', 'P')");
    jobset_ = sql("insert into jobsets (project, name, nixexprinput, nixexprpath, "
                  "schedulingshares) values ('p', 'main', 'src', 'release.nix', 300) "
                  "returning id")[0][0]
                  .as<int>();
  }
  pqxx::result sql(const std::string& q) {
    pqxx::connection c(conninfo_);
    pqxx::work w(c);
    auto r = w.exec(q);
    w.commit();
    return r;
  }
  std::string value(const std::string& q) {
    auto r = sql(q);
    return r[0][0].is_null() ? "NULL" : r[0][0].as<std::string>();
  }
  int build(const std::string& job, int priority = 100) {
    return sql("insert into builds (finished, timestamp, jobset_id, job, drvpath, system, "
               "priority) values (0, 1000, " +
               std::to_string(jobset_) + ", '" + job + "', '/nix/store/x-" + job +
               ".drv', 'x86_64-linux', " + std::to_string(priority) + ") returning id")[0][0]
        .as<int>();
  }
  template <class F>
  auto write(F fn) {
    using T = std::remove_cvref_t<decltype(*fn(std::declval<db::WriteTx&>()))>;
    std::optional<T> out;
    auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto v = fn(tx);
      if (!v) return v.error();
      out.emplace(std::move(*v));
      return {};
    });
    EXPECT_TRUE(r) << r.error().message;
    return out.value_or(T{});
  }

  std::string conninfo_;
  db::Database db_;
  int jobset_ = 0;
};

TEST_F(QueueDb, QueuedBuildsAreEveryUnfinishedBuildWithItsJobset) {
  const int a = build("a", 50);
  const int b = build("b");
  sql("update builds set globalpriority = 7 where id = " + std::to_string(b));
  build("done");
  sql("update builds set finished = 1, buildstatus = 0, starttime = 1, stoptime = 2 "
      "where job = 'done'");
  auto queued = *db_.read<std::vector<db::QueuedBuild>>(
      [](db::ReadTx& tx) { return db::queuedBuilds(tx); });
  ASSERT_EQ(queued.size(), 2u);
  std::sort(queued.begin(), queued.end(), [](auto& x, auto& y) { return x.id < y.id; });
  EXPECT_EQ(queued[0].id, a);
  EXPECT_EQ(queued[0].project, "p");
  EXPECT_EQ(queued[0].jobset, "main");
  EXPECT_EQ(queued[0].drvpath, "/nix/store/x-a.drv");
  EXPECT_EQ(queued[0].priority, 50);
  EXPECT_EQ(queued[1].globalpriority, 7);
  EXPECT_EQ(queued[1].maxsilent, 3600);
  auto still = *db_.read<std::vector<int>>(
      [&](db::ReadTx& tx) { return db::stillQueued(tx, {a, b, 999}); });
  EXPECT_EQ(still, (std::vector<int>{a, b}));
  auto shares = *db_.read<std::vector<db::JobsetShares>>(
      [](db::ReadTx& tx) { return db::jobsetShares(tx); });
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_EQ(shares[0].schedulingshares, 300);
}

TEST_F(QueueDb, StepsAreNumberedPerBuildAndAnnounced) {
  const int a = build("a");
  Notes notes(conninfo_);
  const int first = write([&](db::WriteTx& tx) {
    return db::startStep(tx, {a, "/nix/store/x-dep.drv", "x86_64-linux", "localhost", 100, false});
  });
  const int second = write([&](db::WriteTx& tx) {
    return db::startStep(tx, {a, "/nix/store/x-a.drv", "x86_64-linux", "localhost", 101, true});
  });
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  write([&](db::WriteTx& tx) -> Result<bool> {
    auto r = db::setStepBusy(tx, a, 2, 30);
    if (!r) return r.error();
    return true;
  });
  EXPECT_EQ(value("select busy from buildsteps where stepnr = 2"), "30");
  write([&](db::WriteTx& tx) -> Result<bool> {
    auto r = db::finishStep(tx, {a, 2, 0, "", 110, 5, {{"out", "/nix/store/y-a"}}, "/logs/a.bz2"});
    if (!r) return r.error();
    return true;
  });
  EXPECT_EQ(value("select concat_ws(' ', busy, status, stoptime, overhead) from buildsteps "
                  "where stepnr = 2"),
            "0 0 110 5");
  EXPECT_EQ(value("select path from buildstepoutputs where stepnr = 2"), "/nix/store/y-a");
  const std::string id = std::to_string(a);
  EXPECT_EQ(notes.take(), (std::vector<Note>{{"step_started", id + "\t1"},
                                             {"step_started", id + "\t2"},
                                             {"build_started", id},
                                             {"step_finished", id + "\t2\t/logs/a.bz2"}}));
}

TEST_F(QueueDb, FinishedBuildsCarryTheNotificationPendingMarkProductsAndMetrics) {
  const int a = build("a");
  const int b = build("b");
  sql("update builds set finished = 1, buildstatus = 4, starttime = 1, stoptime = 2 where id = " +
      std::to_string(b));  // cancelled meanwhile
  Notes notes(conninfo_);
  db::BuildDone done{a, 0, false, 100, 120, "a-1.0", 10, 20, {}, {}};
  done.products.push_back({"file", "doc", "/nix/store/y-a/doc.pdf", "doc.pdf", "", 42, "abc"});
  done.metrics.push_back({"tests", "count", 17});
  db::BuildDone cancelled{b, 0, false, 100, 120, std::nullopt, std::nullopt, std::nullopt, {}, {}};
  auto finished = write([&](db::WriteTx& tx) { return db::finishBuilds(tx, {done, cancelled}); });
  EXPECT_EQ(finished, std::vector<int>{a});
  EXPECT_EQ(value("select concat_ws(' ', finished, buildstatus, iscachedbuild, starttime, "
                  "stoptime, notificationpendingsince, releasename, size, closuresize) "
                  "from builds where id = " + std::to_string(a)),
            "1 0 0 100 120 120 a-1.0 10 20");
  EXPECT_EQ(value("select buildstatus from builds where id = " + std::to_string(b)), "4");
  EXPECT_EQ(value("select concat_ws(' ', productnr, type, subtype, name, filesize) from "
                  "buildproducts"),
            "1 file doc doc.pdf 42");
  EXPECT_EQ(value("select concat_ws(' ', name, unit, value, project, jobset, job) from "
                  "buildmetrics"),
            "tests count 17 p main a");
  EXPECT_EQ(notes.take(), (std::vector<Note>{{"build_finished", std::to_string(a)}}));
}

TEST_F(QueueDb, AFailedStepFinishesItsBuildAndEveryDependent) {
  const int a = build("a");
  const int b = build("b");
  const int c = build("c");
  Notes notes(conninfo_);
  auto done = write([&](db::WriteTx& tx) {
    db::FailedStep f;
    f.build = a;
    f.status = 1;
    f.dependents = {b, c};
    f.drvpath = "/nix/store/x-a.drv";
    f.errormsg = "builder failed";
    f.starttime = 100;
    f.now = 130;
    return db::failBuilds(tx, f);
  });
  EXPECT_EQ(done, (std::vector<int>{a, b, c}));
  EXPECT_EQ(value("select string_agg(concat_ws(':', job, buildstatus, notificationpendingsince), "
                  "' ' order by job) from builds"),
            "a:1:130 b:2:130 c:2:130");
  EXPECT_EQ(value("select string_agg(concat_ws(':', build, status, propagatedfrom), ' ' order "
                  "by build) from buildsteps"),
            std::to_string(b) + ":1:" + std::to_string(a) + " " + std::to_string(c) + ":1:" +
                std::to_string(a));
  EXPECT_EQ(notes.take(),
            (std::vector<Note>{{"build_finished", std::to_string(a) + "\t" + std::to_string(b) +
                                                      "\t" + std::to_string(c)}}));
}

TEST_F(QueueDb, OtherBuildsOfTheFailedDerivationGetItsStatusNotDependencyFailed) {
  const int a = build("a");
  const int a2 = build("a2");  // another jobset's build of the same derivation
  const int c = build("c");
  auto done = write([&](db::WriteTx& tx) {
    db::FailedStep f;
    f.build = a;
    f.status = 7;
    f.same_drv = {a2};
    f.dependents = {c};
    f.drvpath = "/nix/store/x-a.drv";
    f.now = 200;
    return db::failBuilds(tx, f);
  });
  EXPECT_EQ(done, (std::vector<int>{a, a2, c}));
  EXPECT_EQ(value("select string_agg(concat_ws(':', job, buildstatus), ' ' order by job) from "
                  "builds"),
            "a:7 a2:7 c:2");
}

TEST_F(QueueDb, LongDependentListsAreSplitBelowPostgresPayloadLimit) {
  std::vector<int> many;
  for (int i = 0; i < 3000; ++i) many.push_back(100000 + i);
  auto payloads = db::buildFinishedPayloads(42, many);
  ASSERT_GT(payloads.size(), 1u);
  size_t seen = 0;
  for (const auto& p : payloads) {
    EXPECT_LE(p.size(), 7000u);
    EXPECT_EQ(p.rfind("42\t", 0), 0u) << "each payload starts with the failed build";
    seen += static_cast<size_t>(std::count(p.begin(), p.end(), '\t'));
  }
  EXPECT_EQ(seen, many.size());
  EXPECT_EQ(db::buildFinishedPayloads(7, {}), std::vector<std::string>{"7"});
}

TEST_F(QueueDb, FailedPathsAreRememberedOnce) {
  write([&](db::WriteTx& tx) -> Result<bool> {
    auto r = db::addFailedPaths(tx, {"/nix/store/f-1", "/nix/store/f-2", "/nix/store/f-1"});
    if (!r) return r.error();
    return true;
  });
  auto failed = *db_.read<std::vector<std::string>>([](db::ReadTx& tx) {
    return db::failedPaths(tx, {"/nix/store/f-2", "/nix/store/ok", "/nix/store/f-1"});
  });
  EXPECT_EQ(failed, (std::vector<std::string>{"/nix/store/f-1", "/nix/store/f-2"}));
}

TEST_F(QueueDb, StepsLeftBusyByACrashAreAbortedAndTheirTimeCountsForShares) {
  const int a = build("a");
  write([&](db::WriteTx& tx) {
    return db::startStep(tx, {a, "/nix/store/x-a.drv", "x86_64-linux", "localhost", 100, true});
  });
  EXPECT_EQ(write([](db::WriteTx& tx) { return db::abortBusySteps(tx, 160); }), 1);
  EXPECT_EQ(value("select concat_ws(' ', busy, status, stoptime) from buildsteps"), "0 3 160");
  EXPECT_EQ(value("select finished from builds where id = " + std::to_string(a)), "0");
  auto times = *db_.read<std::vector<db::StepTime>>(
      [](db::ReadTx& tx) { return db::stepTimesSince(tx, 150); });
  ASSERT_EQ(times.size(), 1u);
  EXPECT_EQ(times[0].jobset_id, jobset_);
  EXPECT_EQ(times[0].seconds, 60);
  EXPECT_TRUE((*db_.read<std::vector<db::StepTime>>(
                   [](db::ReadTx& tx) { return db::stepTimesSince(tx, 161); }))
                  .empty());
}

}  // namespace
}  // namespace hydrant
