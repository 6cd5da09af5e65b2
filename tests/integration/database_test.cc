// The connection pool against a real Postgres: the cap holds under load, dedicated connections
// count against it, and write transactions commit or roll back as a whole.
#include "controller/db/database.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "controller/db/tx.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using testing::TestCluster;

// Sessions on this test's database opened by the pool, not by the test's own observers.
int backends(const std::string& conninfo) {
  pqxx::connection c(conninfo + " application_name=observer");
  pqxx::read_transaction tx(c);
  return tx
      .exec1(
          "select count(*) from pg_stat_activity where datname = current_database() "
          "and application_name <> 'observer'")[0]
      .as<int>();
}

TEST(DatabasePool, NeverOpensMoreConnectionsThanItsCap) {
  std::string ci = TestCluster::get().freshDatabase();
  db::Database d(ci, 3);
  std::atomic<int> most{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = d.withRead([&](db::ReadTx& tx) -> Result<void> {
        tx.tx.exec("select pg_sleep(0.05)");
        int n = backends(ci);
        for (int m = most; n > m && !most.compare_exchange_weak(m, n);) {
        }
        return {};
      });
      if (!r) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(most, 3);
  EXPECT_GE(most, 2) << "the pool never ran two transactions at once";
  EXPECT_LE(d.openConnections(), 3);
}

TEST(DatabasePool, DedicatedConnectionsCountAgainstTheCap) {
  db::Database d(TestCluster::get().freshDatabase(), 3);
  auto a = d.reserveSlot();
  auto b = d.reserveSlot();
  ASSERT_TRUE(a && b);
  auto read = d.withRead([](db::ReadTx&) -> Result<void> { return {}; });
  EXPECT_TRUE(read) << "one place must be left for the pool";
  auto c = d.reserveSlot();  // takes the idle pooled connection's place
  ASSERT_TRUE(c);
  auto none = d.reserveSlot();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "database: all 3 connections (db_max_connections) are in use");
  auto starved =
      d.withRead([](db::ReadTx&) -> Result<void> { return {}; }, std::chrono::milliseconds(50));
  ASSERT_FALSE(starved);
  EXPECT_NE(starved.error().message.find("no free connection within 50 ms"), std::string::npos);
}

TEST(DatabasePool, FailedWriteRollsBackEverything) {
  std::string ci = TestCluster::get().freshDatabase();
  db::Database d(ci, 3);
  auto r = d.withWrite([](db::WriteTx& tx) -> Result<void> {
    tx.tx.exec("insert into projects (name, displayname) values ('kept', 'no')");
    return Error::stalled("changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "changed my mind");
  auto ok = d.withWrite([](db::WriteTx& tx) -> Result<void> {
    tx.tx.exec("insert into projects (name, displayname) values ('written', 'yes')");
    return {};
  });
  ASSERT_TRUE(ok) << ok.error().message;
  pqxx::connection c(ci);
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("select string_agg(name, ',') from projects")[0].as<std::string>(), "written");
}

TEST(DatabasePool, ReadTransactionsCannotWrite) {
  db::Database d(TestCluster::get().freshDatabase(), 3);
  auto r = d.withRead([](db::ReadTx& tx) -> Result<void> {
    tx.tx.exec("insert into projects (name, displayname) values ('sneaky', 'no')");
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("read-only transaction"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace hydrant
