// Migrations against a real Postgres: from empty, re-run, failure, concurrency, drift.
#include "controller/db/migrations.hh"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>

#include "controller/db/database.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using testing::TestCluster;

std::vector<std::string> tables(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::read_transaction tx(c);
  std::vector<std::string> out;
  for (const auto& r :
       tx.exec("select table_name from information_schema.tables where table_schema = 'public' "
               "order by 1")) {
    out.push_back(r[0].as<std::string>());
  }
  return out;
}

bool hasTable(const std::string& conninfo, const std::string& name) {
  auto t = tables(conninfo);
  return std::find(t.begin(), t.end(), name) != t.end();
}

TEST(Migrations, FromEmptyAppliesEveryMigrationAndRecordsIt) {
  std::string ci = TestCluster::get().emptyDatabase();
  db::Database d(ci, 2);
  auto applied = db::migrate(d, db::embeddedMigrations());
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->size(), db::embeddedMigrations().size());
  for (const char* t : {"projects", "jobsets", "jobsetinputs", "jobsetevals", "jobsetevalmembers",
                        "builds", "buildsteps", "buildoutputs", "buildproducts", "buildmetrics",
                        "failedpaths", "events", "schema_migrations"}) {
    EXPECT_TRUE(hasTable(ci, t)) << t;
  }
  auto st = db::migrationState(d, db::embeddedMigrations());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->applied_version, db::embeddedMigrations().back().version);
  EXPECT_TRUE(st->upToDate());
}

TEST(Migrations, SecondRunAppliesNothing) {
  db::Database d(TestCluster::get().emptyDatabase(), 2);
  ASSERT_TRUE(db::migrate(d, db::embeddedMigrations()));
  auto again = db::migrate(d, db::embeddedMigrations());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->empty());
}

TEST(Migrations, EmptyDatabaseReportsEverythingPending) {
  db::Database d(TestCluster::get().emptyDatabase(), 2);
  auto st = db::migrationState(d, db::embeddedMigrations());
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->applied_version, 0);
  EXPECT_EQ(st->pending.size(), db::embeddedMigrations().size());
  EXPECT_FALSE(st->upToDate());
}

TEST(Migrations, FailingMigrationLeavesTheSchemaAsItWas) {
  std::string ci = TestCluster::get().emptyDatabase();
  db::Database d(ci, 2);
  std::vector<db::Migration> ms = {
      {1, "first", "create table first_table (id int)"},
      {2, "broken", "create table second_table (id int); insert into nowhere values (1);"},
  };
  auto r = db::migrate(d, ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
  EXPECT_NE(r.error().message.find("migration 0002_broken"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("nowhere"), std::string::npos) << r.error().message;
  EXPECT_TRUE(hasTable(ci, "first_table"));
  EXPECT_FALSE(hasTable(ci, "second_table"));
  auto st = db::migrationState(d, ms);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->applied_version, 1);
  EXPECT_EQ(st->pending, std::vector<int>{2});
}

TEST(Migrations, ChangedMigrationIsRefused) {
  db::Database d(TestCluster::get().emptyDatabase(), 2);
  ASSERT_TRUE(db::migrate(d, {{1, "first", "create table a (id int)"}}));
  auto r = db::migrate(d, {{1, "first", "create table a (id bigint)"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "migration 0001_first was changed after it was applied; migrations are forward-only: "
            "add a new one instead");
}

TEST(Migrations, DatabaseNewerThanTheBinaryIsRefused) {
  db::Database d(TestCluster::get().emptyDatabase(), 2);
  ASSERT_TRUE(db::migrate(d, {{1, "a", "create table a (id int)"}, {2, "b", "select 1"}}));
  auto r = db::migrate(d, {{1, "a", "create table a (id int)"}});
  ASSERT_FALSE(r);
  EXPECT_NE(
      r.error().message.find("schema is at version 2 but this hydrant knows versions up to 1"),
      std::string::npos)
      << r.error().message;
}

TEST(Migrations, ConcurrentMigratorsApplyEachMigrationOnce) {
  std::string ci = TestCluster::get().emptyDatabase();
  // Would fail if run twice: no "if not exists", and the second statement takes a while.
  std::vector<db::Migration> ms = {
      {1, "slow", "create table once (id int); select pg_sleep(0.3);"}};
  std::vector<Result<std::vector<int>>> results(4, Error::transient("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      db::Database d(ci, 2);
      results[i] = db::migrate(d, ms);
    });
  }
  for (auto& t : threads) t.join();
  int applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().message;
    applied += int(r->size());
  }
  EXPECT_EQ(applied, 1);
}

TEST(Migrations, UnreachableServerIsATransientErrorNamingIt) {
  db::Database d("host=127.0.0.1 port=1 dbname=nothing user=nobody", 2);
  auto r = db::migrate(d, db::embeddedMigrations());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_NE(r.error().message.find("127.0.0.1"), std::string::npos) << r.error().message;
}

// The schema keeps Hydra's CHECK constraints.
class SchemaChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pqxx::connection>(TestCluster::get().freshDatabase());
    pqxx::work tx(*conn_);
    tx.exec("insert into projects (name, displayname) values ('hello', 'Hello')");
    tx.commit();
  }
  // Runs `sql` in its own transaction; true if Postgres accepted it.
  bool accepts(const std::string& sql) {
    try {
      pqxx::work tx(*conn_);
      tx.exec(sql);
      tx.commit();
      return true;
    } catch (const pqxx::sql_error&) {
      return false;
    }
  }
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(SchemaChecks, LegacyJobsetNeedsItsExpression) {
  EXPECT_FALSE(accepts("insert into jobsets (project, name, type) values ('hello', 'a', 0)"));
  EXPECT_TRUE(
      accepts("insert into jobsets (project, name, type, nixexprinput, nixexprpath) "
              "values ('hello', 'a', 0, 'src', 'release.nix')"));
}

TEST_F(SchemaChecks, FlakeJobsetNeedsAFlakeAndNoExpression) {
  EXPECT_FALSE(accepts("insert into jobsets (project, name, type) values ('hello', 'f', 1)"));
  EXPECT_FALSE(
      accepts("insert into jobsets (project, name, type, flake, nixexprinput) "
              "values ('hello', 'f', 1, 'git+file:///x', 'src')"));
  EXPECT_TRUE(
      accepts("insert into jobsets (project, name, type, flake) "
              "values ('hello', 'f', 1, 'git+file:///x')"));
}

TEST_F(SchemaChecks, SchedulingSharesMustBePositive) {
  EXPECT_FALSE(
      accepts("insert into jobsets (project, name, type, flake, schedulingshares) "
              "values ('hello', 'f', 1, 'x', 0)"));
}

TEST_F(SchemaChecks, EnabledIsOneOfHydrasModes) {
  EXPECT_FALSE(
      accepts("insert into jobsets (project, name, type, flake, enabled) "
              "values ('hello', 'f', 1, 'x', 4)"));
  EXPECT_TRUE(
      accepts("insert into jobsets (project, name, type, flake, enabled) "
              "values ('hello', 'f', 1, 'x', 3)"));
}

TEST_F(SchemaChecks, FinishedBuildNeedsStartAndStopTimes) {
  ASSERT_TRUE(
      accepts("insert into jobsets (project, name, type, flake) values ('hello', 'f', 1, 'x')"));
  std::string base =
      "insert into builds (jobset_id, job, drvpath, system, timestamp, finished, buildstatus";
  std::string jid = "(select id from jobsets where name = 'f')";
  EXPECT_FALSE(
      accepts(base + ") values (" + jid + ", 'j', '/nix/store/x.drv', 'x86_64-linux', 1, 1, 0)"));
  EXPECT_TRUE(accepts(base + ", starttime, stoptime) values (" + jid +
                      ", 'j', '/nix/store/x.drv', 'x86_64-linux', 1, 1, 0, 10, 20)"));
}

TEST_F(SchemaChecks, DeletingAProjectRemovesItsJobsetsAndInputs) {
  ASSERT_TRUE(
      accepts("insert into jobsets (project, name, type, nixexprinput, nixexprpath) "
              "values ('hello', 'a', 0, 'src', 'release.nix')"));
  ASSERT_TRUE(
      accepts("insert into jobsetinputs (project, jobset, name, type, value) "
              "values ('hello', 'a', 'src', 'git', 'file:///x')"));
  ASSERT_TRUE(accepts("delete from projects where name = 'hello'"));
  pqxx::read_transaction tx(*conn_);
  EXPECT_EQ(tx.exec1("select count(*) from jobsets")[0].as<int>(), 0);
  EXPECT_EQ(tx.exec1("select count(*) from jobsetinputs")[0].as<int>(), 0);
}

}  // namespace
}  // namespace hydrant
