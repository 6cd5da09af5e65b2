// A WebServer of this process on a free loopback port, over a fresh migrated database of the
// test cluster, with a default configuration the test may change before start(); plus an HTTP
// client for it that sends any method, headers and body and returns what came back. For
// tests of the pages, the JSON API, webhooks and metrics. One test thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "controller/config.hh"
#include "controller/db/database.hh"
#include "controller/web/server.hh"

namespace hydrant::testing {

struct WebReply {
  int status = 0;  // 0: no answer
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class TestWeb {
 public:
  TestWeb();
  ~TestWeb();

  // Change before start().
  config::Config& config() { return config_; }
  web::Context& context() { return context_; }
  // Starts serving; fails the test (fatal) when it cannot.
  void start();

  const std::string& conninfo() const { return conninfo_; }
  db::Database& database() { return *database_; }
  int port() const;

  // GET `path` (with its query) with `accept` as the Accept header ("" = none).
  WebReply get(const std::string& path, const std::string& accept = "") const;
  // GET with Accept: application/json.
  WebReply getJson(const std::string& path) const;
  WebReply request(const std::string& method, const std::string& path,
                   const std::map<std::string, std::string>& headers, const std::string& body,
                   const std::string& content_type = "application/json") const;

 private:
  std::string conninfo_;
  std::unique_ptr<db::Database> database_;
  config::Config config_;
  web::Context context_;
  std::unique_ptr<web::WebServer> server_;
};

}  // namespace hydrant::testing
