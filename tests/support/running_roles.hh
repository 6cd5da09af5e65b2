// Reconcilers running as `hydrant run` runs them, for tests and benchmarks: a manager whose
// roles this process leads, fed by a real database listener. Add specs to manager(), then
// start() the roles; the destructor stops the listener and then the manager. One test thread.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/runtime/clock.hh"
#include "controller/runtime/manager.hh"

namespace hydrant::db {
class Database;
class Listener;
}  // namespace hydrant::db

namespace hydrant::testing {

class RunningRoles {
 public:
  RunningRoles(db::Database& db, runtime::Clock& clock);
  ~RunningRoles();

  runtime::Manager& manager() { return manager_; }
  // Leads `roles` and starts listening on every channel added so far; waits (up to 10 s, a
  // test failure otherwise) until the listener is connected.
  void start(const std::vector<std::string>& roles);

 private:
  db::Database& db_;
  runtime::Clock& clock_;
  runtime::Manager manager_;
  std::unique_ptr<db::Listener> listener_;
  std::jthread listening_;
};

}  // namespace hydrant::testing
