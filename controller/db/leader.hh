// LeaderElector: makes each singleton role (evaluator, queue, …) run in at most one process per
// database. A dedicated connection tries a Postgres advisory lock per role; holding it means
// leading that role. The lock lives as long as the connection: if this process dies (kill -9
// included), Postgres drops it and a standby takes over at its next try. If the connection is
// lost, every role is given up at once (on_lose) before anything else happens, so two leaders
// never act together. run() on one thread; state() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/runtime/clock.hh"

namespace hydrant::db {

class Database;

class LeaderElector {
 public:
  // `interval`: how often a standby retries and a leader checks its connection.
  LeaderElector(Database& db, std::vector<std::string> roles, runtime::Clock& clock,
                runtime::Duration interval, std::function<void(const std::string&)> on_acquire,
                std::function<void(const std::string&)> on_lose);

  // Runs until `stop`; gives up every role held (on_lose) before returning.
  void run(std::stop_token stop);

  // role -> true when leading, false when standby.
  std::map<std::string, bool> state() const;
  // Whether the last round reached the database, so state() says who leads rather than "not
  // yet known". False before the first round and while the database cannot be reached.
  bool settled() const { return settled_; }

 private:
  void setHeld(const std::string& role, bool held);
  void loseAll(bool stopping);

  Database& db_;
  const std::vector<std::string> roles_;
  runtime::Clock& clock_;
  const runtime::Duration interval_;
  std::function<void(const std::string&)> on_acquire_;
  std::function<void(const std::string&)> on_lose_;
  mutable std::mutex mu_;
  std::map<std::string, bool> held_;  // guarded by mu_
  std::atomic<bool> settled_{false};
};

}  // namespace hydrant::db
