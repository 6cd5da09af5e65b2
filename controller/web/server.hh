// WebServer: Hydrant's HTTP side, read-only but for the authenticated trigger endpoints. It
// serves the route groups of routes.hh (status pages, Hydra's JSON API, webhooks, metrics,
// /healthz and /readyz). The only file that includes cpp-httplib is server.cc. start()/stop()
// from one thread; handlers run on the server's threads and use only the Context.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "controller/web/context.hh"
#include "specs/result.hh"

namespace hydrant::web {

struct Endpoint {
  std::string host;
  int port = 0;
};

// Parses "HOST:PORT" or "[V6]:PORT". Error (kInvalid) names the text.
Result<Endpoint> parseEndpoint(const std::string& text);

// Request bodies larger than this are refused with 413.
inline constexpr size_t kMaxBodyBytes = 1 << 20;

class WebServer {
 public:
  // `context` must outlive the server.
  explicit WebServer(const Context& context);
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
