// The embedded Postgres: first start, reuse, a crash's stale lock file, a clean stop, and the
// errors that tell a user what is wrong.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "controller/db/admin.hh"
#include "controller/pg/embedded.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

pg::EmbeddedOptions options(const testing::TempDir& dir) {
  pg::EmbeddedOptions o;
  o.dir = dir / "pg";
  o.fsync = false;
  return o;
}

std::unique_ptr<pg::EmbeddedPostgres> mustStart(const pg::EmbeddedOptions& o) {
  auto pg = pg::EmbeddedPostgres::start(o);
  if (!pg) throw std::runtime_error(pg.error().message);
  return std::move(*pg);
}

TEST(EmbeddedPostgres, StartsOnAUnixSocketAndStopsLeavingNoProcess) {
  testing::TempDir dir;
  auto pg = mustStart(options(dir));
  pid_t pid = pg->pid();
  EXPECT_TRUE(testing::processAlive(pid));
  EXPECT_TRUE(fs::exists(dir / "pg/.s.PGSQL.5432"));
  ASSERT_TRUE(db::ping(pg->conninfo("postgres")))
      << db::ping(pg->conninfo("postgres")).error().message;
  {
    pqxx::connection c(pg->conninfo("postgres"));
    pqxx::read_transaction tx(c);
    EXPECT_EQ(tx.exec1("show listen_addresses")[0].as<std::string>(), "");  // no TCP port
  }
  ASSERT_TRUE(pg->stop());
  EXPECT_FALSE(testing::processAlive(pid));
  EXPECT_FALSE(fs::exists(dir / "pg/data/postmaster.pid"));
}

TEST(EmbeddedPostgres, SecondStartReusesTheSameClusterAndData) {
  testing::TempDir dir;
  {
    auto pg = mustStart(options(dir));
    pqxx::connection c(pg->conninfo("postgres"));
    pqxx::work tx(c);
    tx.exec("create table kept (v text); insert into kept values ('still here')");
    tx.commit();
  }
  auto version_file = fs::last_write_time(dir / "pg/data/PG_VERSION");
  auto pg = mustStart(options(dir));
  EXPECT_EQ(fs::last_write_time(dir / "pg/data/PG_VERSION"), version_file);
  pqxx::connection c(pg->conninfo("postgres"));
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec1("select v from kept")[0].as<std::string>(), "still here");
}

TEST(EmbeddedPostgres, StalePidFileAfterACrashIsHandled) {
  testing::TempDir dir;
  auto o = options(dir);
  {
    auto pg = mustStart(o);
    pid_t pid = pg->pid();
    ::kill(pid, SIGKILL);  // a crash: postmaster.pid stays behind
    ASSERT_TRUE(testing::eventually([&] { return !pg->running(); }, 5s));
  }
  ASSERT_TRUE(fs::exists(dir / "pg/data/postmaster.pid"));
  // Make it worse: the recorded pid now belongs to a live process that is not Postgres.
  {
    std::ifstream in(dir / "pg/data/postmaster.pid");
    std::stringstream rest;
    std::string first;
    std::getline(in, first);
    rest << in.rdbuf();
    std::ofstream out(dir / "pg/data/postmaster.pid", std::ios::trunc);
    out << getpid() << "\n" << rest.str();
  }
  auto pg = pg::EmbeddedPostgres::start(o);
  ASSERT_TRUE(pg) << pg.error().message;
  EXPECT_TRUE(db::ping((*pg)->conninfo("postgres")));
}

TEST(EmbeddedPostgres, ASecondOwnerOfTheSameDirIsRefused) {
  testing::TempDir dir;
  auto first = mustStart(options(dir));
  auto second = pg::EmbeddedPostgres::start(options(dir));
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("is already running (pid " + std::to_string(first->pid())),
            std::string::npos)
      << second.error().message;
  EXPECT_TRUE(db::ping(first->conninfo("postgres")));  // the first one is untouched
}

TEST(EmbeddedPostgres, MissingProgramsAreNamed) {
  testing::TempDir dir;
  auto o = options(dir);
  o.bin_dir = dir / "no-postgres-here";
  auto pg = pg::EmbeddedPostgres::start(o);
  ASSERT_FALSE(pg);
  EXPECT_NE(pg.error().message.find(o.bin_dir + "/initdb, which is missing: install the Debian "
                                                "package postgresql-15"),
            std::string::npos)
      << pg.error().message;
}

TEST(EmbeddedPostgres, TooLongSocketPathIsExplained) {
  testing::TempDir dir;
  auto o = options(dir);
  o.dir = dir / std::string(100, 'x');
  auto pg = pg::EmbeddedPostgres::start(o);
  ASSERT_FALSE(pg);
  EXPECT_NE(pg.error().message.find("choose a shorter state_dir"), std::string::npos)
      << pg.error().message;
}

TEST(EmbeddedPostgres, AsRootADirectoryThePostgresUserCannotEnterIsExplained) {
  if (geteuid() != 0) GTEST_SKIP() << "only root hands the cluster to another user";
  testing::TempDir dir;
  fs::create_directory(dir / "private");
  fs::permissions(dir / "private", fs::perms(0700));
  auto o = options(dir);
  o.dir = dir / "private/pg";
  auto pg = pg::EmbeddedPostgres::start(o);
  ASSERT_FALSE(pg);
  EXPECT_NE(pg.error().message.find("runs as user 'postgres', who cannot enter " + dir.path() +
                                    "/private (mode 0700)"),
            std::string::npos)
      << pg.error().message;
}

}  // namespace
}  // namespace hydrant
