#include "controller/web/server.hh"

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "controller/log.hh"

namespace hydrant::web {

namespace {

void healthz(const httplib::Request&, httplib::Response& res) {
  res.set_content("ok\n", "text/plain; charset=utf-8");
}

nlohmann::json toJson(const Readiness& r) {
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [role, leading] : r.roles) roles[role] = leading ? "leader" : "standby";
  nlohmann::json db = {{"ok", r.database_ok}};
  if (!r.database_message.empty()) db["message"] = r.database_message;
  return {{"ready", r.ready()},
          {"database", db},
          {"schema", {{"applied", r.schema_version}, {"expected", r.schema_expected}}},
          {"roles", roles},
          {"roles_settled", r.roles_settled}};
}

}  // namespace

Result<Endpoint> parseEndpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Error::invalid("listen: expected HOST:PORT, got \"" + text + "\"");
  }
  Endpoint ep;
  ep.host = text.substr(0, colon);
  if (ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  try {
    size_t used = 0;
    ep.port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || ep.port < 0 || ep.port > 65535)
      throw std::out_of_range("");
  } catch (const std::exception&) {
    return Error::invalid("listen: expected HOST:PORT (port 0-65535), got \"" + text + "\"");
  }
  return ep;
}

struct WebServer::Impl {
  httplib::Server server;
};

WebServer::WebServer(std::function<Readiness()> readiness) : impl_(std::make_unique<Impl>()) {
  auto& s = impl_->server;
  s.Get("/healthz", healthz);
  s.Get("/readyz", [readiness](const httplib::Request&, httplib::Response& res) {
    Readiness r = readiness();
    res.status = r.ready() ? 200 : 503;
    res.set_content(toJson(r).dump(2) + "\n", "application/json");
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      nlohmann::json err = {{"error", res.status == 404 ? "not found" : "request failed"},
                            {"status", res.status}};
      res.set_content(err.dump() + "\n", "application/json");
    }
  });
  s.set_payload_max_length(1 << 20);
}

WebServer::~WebServer() { stop(); }

Result<void> WebServer::start(const Endpoint& at) {
  auto& s = impl_->server;
  int port = at.port;
  if (port == 0) {
    port = s.bind_to_any_port(at.host);
  } else if (!s.bind_to_port(at.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return Error::stalled("cannot listen on " + at.host + ":" + std::to_string(at.port) + ": " +
                          std::strerror(errno));
  }
  port_ = port;
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  log::info("web", "serving on http://{}:{}", at.host, port_);
  return {};
}

void WebServer::stop() {
  if (!thread_.joinable()) return;
  impl_->server.stop();
  thread_.join();
}

}  // namespace hydrant::web
