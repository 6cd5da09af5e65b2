// TestCluster: the throwaway PostgreSQL cluster a test binary runs against — the embedded
// Postgres in a fresh temp dir (fsync off), started on first use and stopped at exit — with a
// migrated template database, so each test gets a fresh, migrated database in a few ms.
// Thread-safe for freshDatabase(); restart() only from the test thread.
#pragma once

#include <memory>
#include <string>

#include "controller/pg/embedded.hh"

namespace hydrant::testing {

class TestCluster {
 public:
  // The cluster of this test binary, started on first call. Fails the test (fatal) on error.
  static TestCluster& get();

  // A new database copied from the migrated template; returns its conninfo.
  std::string freshDatabase();
  // A new database with no schema at all; returns its conninfo.
  std::string emptyDatabase();
  // conninfo of database `name` in this cluster.
  std::string conninfo(const std::string& name) const;

  void stop();   // stops the server (sessions are cut off)
  void start();  // starts it again on the same data
  const std::string& dir() const { return dir_; }

  ~TestCluster();

 private:
  TestCluster();
  std::string newName();
  std::string dir_;
  std::unique_ptr<pg::EmbeddedPostgres> pg_;
  int next_ = 0;
};

// A fresh temp directory under /tmp (short, so socket paths fit), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

}  // namespace hydrant::testing
