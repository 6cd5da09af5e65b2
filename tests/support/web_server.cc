#include "tests/support/web_server.hh"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "tests/support/pg_cluster.hh"

namespace hydrant::testing {
namespace {

WebReply toReply(const httplib::Result& r) {
  WebReply reply;
  if (!r) return reply;
  reply.status = r->status;
  reply.body = r->body;
  reply.content_type = r->get_header_value("Content-Type");
  for (const auto& [k, v] : r->headers) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    reply.headers[name] = v;
  }
  return reply;
}

}  // namespace

TestWeb::TestWeb() {
  conninfo_ = TestCluster::get().freshDatabase();
  database_ = std::make_unique<db::Database>(conninfo_, 4);
  context_.db = database_.get();
  context_.config = &config_;
  context_.readiness = [] {
    web::Readiness r;
    r.database_ok = true;
    r.roles_settled = true;
    return r;
  };
}

TestWeb::~TestWeb() {
  if (server_) server_->stop();
}

void TestWeb::start() {
  server_ = std::make_unique<web::WebServer>(context_);
  auto started = server_->start({"127.0.0.1", 0});
  ASSERT_TRUE(started) << started.error().message;
}

int TestWeb::port() const { return server_ ? server_->port() : 0; }

WebReply TestWeb::get(const std::string& path, const std::string& accept) const {
  httplib::Client c("127.0.0.1", port());
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  return toReply(c.Get(path.c_str(), headers));
}

WebReply TestWeb::getJson(const std::string& path) const { return get(path, "application/json"); }

WebReply TestWeb::request(const std::string& method, const std::string& path,
                          const std::map<std::string, std::string>& headers,
                          const std::string& body, const std::string& content_type) const {
  httplib::Client c("127.0.0.1", port());
  httplib::Headers h(headers.begin(), headers.end());
  if (method == "POST") return toReply(c.Post(path.c_str(), h, body, content_type.c_str()));
  if (method == "PUT") return toReply(c.Put(path.c_str(), h, body, content_type.c_str()));
  if (method == "DELETE") return toReply(c.Delete(path.c_str(), h, body, content_type.c_str()));
  return toReply(c.Get(path.c_str(), h));
}

}  // namespace hydrant::testing
