// WebServer: Hydrant's HTTP side (read-only). For now /healthz (the process is alive) and /readyz
// (database reachable, migrations applied, which roles this process leads). Pages and the JSON
// API join it later. The only file that includes cpp-httplib. start()/stop() from one thread;
// handlers run on the server's own threads and read state only through the given callbacks.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "specs/result.hh"

namespace hydrant::web {

struct Readiness {
  bool database_ok = false;
  std::string database_message;       // why not, when !database_ok
  int schema_version = 0;             // applied
  int schema_expected = 0;            // known to this binary
  std::map<std::string, bool> roles;  // role -> leading (true) or standby (false)
  bool roles_settled = false;         // leader election has reached the database
  bool ready() const {
    return database_ok && schema_version == schema_expected && roles_settled;
  }
};

struct Endpoint {
  std::string host;
  int port = 0;
};

// Parses "HOST:PORT" or "[V6]:PORT". Error (kInvalid) names the text.
Result<Endpoint> parseEndpoint(const std::string& text);

class WebServer {
 public:
  explicit WebServer(std::function<Readiness()> readiness);
  ~WebServer();

  // Binds and starts serving on a background thread. Error "cannot listen on H:P: reason".
  // Port 0 picks a free port; port() tells which.
  Result<void> start(const Endpoint& at);
  void stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace hydrant::web
