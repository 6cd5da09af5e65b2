// What the HTTP handlers may use: the database (read-only, except the authenticated trigger
// endpoints), the process's readiness and controllers, and the configuration (where logs live,
// webhook secrets). Built once by the composition root (app.cc); it outlives the server.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/config.hh"
#include "controller/runtime/manager.hh"

namespace hydrant::db {
class Database;
}

namespace hydrant::web {

struct Readiness {
  bool database_ok = false;
  std::string database_message;       // why not, when !database_ok
  int schema_version = 0;             // applied
  int schema_expected = 0;            // known to this binary
  std::map<std::string, bool> roles;  // role -> leading (true) or standby (false)
  bool roles_settled = false;         // leader election has reached the database
  bool ready() const { return database_ok && schema_version == schema_expected && roles_settled; }
};

struct Context {
  db::Database* db = nullptr;  // null only in tests of pages that need none
  const config::Config* config = nullptr;
  std::function<Readiness()> readiness;
  // The reconcilers this process runs (for /metrics); empty when none.
  std::function<std::vector<runtime::ControllerStatus>()> controllers;
  // Wall time for what pages say about "now" (a machine backed off until …); null: the system
  // clock.
  const runtime::Clock* clock = nullptr;
};

}  // namespace hydrant::web
