#include "tests/support/pg_cluster.hh"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <mutex>

#include "controller/db/admin.hh"
#include "controller/db/database.hh"
#include "controller/db/migrations.hh"

namespace hydrant::testing {

namespace {
std::mutex g_mu;
constexpr const char* kTemplate = "hydrant_template";
}  // namespace

namespace {

// A new directory /tmp/<prefix>-XXXXXX that the postgres user may enter (for the embedded
// cluster when the tests run as root).
std::string makeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + strerror(errno));
  std::filesystem::permissions(tmpl, std::filesystem::perms(0755));
  return tmpl;
}

}  // namespace

TempDir::TempDir() : path_(makeTempDir("hydrant-test")) {}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestCluster& TestCluster::get() {
  static TestCluster* cluster = new TestCluster();  // stopped by the atexit below
  return *cluster;
}

TestCluster::TestCluster() : dir_(makeTempDir("hydrant-pg")) {
  start();
  auto created = db::ensureDatabase(conninfo("postgres"), kTemplate);
  if (!created) throw std::runtime_error(created.error().message);
  db::Database d(conninfo(kTemplate), 2);
  auto m = db::migrate(d, db::embeddedMigrations());
  if (!m) throw std::runtime_error("migrating the template: " + m.error().message);
  std::atexit([] { delete &TestCluster::get(); });
}

TestCluster::~TestCluster() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestCluster::start() {
  pg::EmbeddedOptions o;
  o.dir = dir_ + "/pg";
  o.fsync = false;
  auto pg = pg::EmbeddedPostgres::start(o);
  if (!pg) throw std::runtime_error("starting the test cluster: " + pg.error().message);
  pg_ = std::move(*pg);
}

void TestCluster::stop() {
  if (pg_) (void)pg_->stop();
  pg_.reset();
}

std::string TestCluster::conninfo(const std::string& name) const {
  return "host=" + dir_ + "/pg port=" + std::to_string(pg::EmbeddedPostgres::kPort) +
         " user=" + pg::EmbeddedPostgres::kSuperuser + " dbname=" + name;
}

std::string TestCluster::newName() {
  std::lock_guard lk(g_mu);
  return "t" + std::to_string(getpid()) + "_" + std::to_string(++next_);
}

std::string TestCluster::freshDatabase() {
  std::string name = newName();
  auto r = db::ensureDatabase(conninfo("postgres"), name, kTemplate);
  if (!r) throw std::runtime_error(r.error().message);
  return conninfo(name);
}

std::string TestCluster::emptyDatabase() {
  std::string name = newName();
  auto r = db::ensureDatabase(conninfo("postgres"), name);
  if (!r) throw std::runtime_error(r.error().message);
  return conninfo(name);
}

}  // namespace hydrant::testing
