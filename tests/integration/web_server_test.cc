// The HTTP frame every page and endpoint shares (controller/web/server.hh, router.hh), over a
// real socket: health endpoints, content negotiation, and the answers to requests that match
// nothing, use the wrong method, or carry too large a body.
#include "tests/support/web_server.hh"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hydrant::testing {
namespace {

TEST(WebServer, HealthAndReadiness) {
  TestWeb web;
  web.start();
  const WebReply health = web.get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  const WebReply ready = web.get("/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(nlohmann::json::parse(ready.body)["ready"], true);
}

TEST(WebServer, UnknownPathIs404InTheFormAsked) {
  TestWeb web;
  web.start();
  const WebReply json = web.getJson("/no/such/<thing>");
  EXPECT_EQ(json.status, 404);
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(json.body)["error"], "nothing at /no/such/<thing>");
  const WebReply html = web.get("/no/such/<thing>", "text/html");
  EXPECT_EQ(html.status, 404);
  EXPECT_NE(html.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(html.body.find("/no/such/&lt;thing&gt;"), std::string::npos) << html.body;
  EXPECT_EQ(html.body.find("<thing>"), std::string::npos) << "not escaped";
}

TEST(WebServer, WrongMethodIs405AndOversizedBodyIs413) {
  TestWeb web;
  web.start();
  EXPECT_EQ(web.request("POST", "/healthz", {{"Accept", "application/json"}}, "{}").status, 405);
  const std::string big(web::kMaxBodyBytes + 1, 'x');
  const WebReply reply =
      web.request("POST", "/healthz", {{"Accept", "application/json"}}, big, "text/plain");
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(nlohmann::json::parse(reply.body, nullptr, false)["error"], "request body too large");
}

}  // namespace
}  // namespace hydrant::testing
