#include "controller/web/server.hh"

#include <httplib.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "controller/log.hh"
#include "controller/web/routes.hh"

namespace hydrant::web {

namespace {

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

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Request fromHttplib(const httplib::Request& in) {
  Request r;
  r.method = in.method;
  r.path = in.path;
  for (const auto& [k, v] : in.params) r.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) r.headers[lower(k)] = v;
  r.body = in.body;
  return r;
}

void toHttplib(const Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  to.set_content(from.body, from.content_type);
}

struct CompiledRoute {
  std::string method;
  std::regex pattern;
  Handler handler;
};

}  // namespace

std::vector<Route> healthRoutes(const Context& context) {
  return {
      {"GET", "/healthz", [](const Request&) { return textResponse("ok\n"); }},
      {"GET", "/readyz",
       [readiness = context.readiness](const Request&) {
         const Readiness r = readiness ? readiness() : Readiness{};
         return jsonResponse(toJson(r), r.ready() ? 200 : 503);
       }},
  };
}

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
  std::vector<CompiledRoute> routes;

  void dispatch(const httplib::Request& in, httplib::Response& out) const {
    Request request = fromHttplib(in);
    bool path_known = false;
    for (const CompiledRoute& route : routes) {
      std::smatch match;
      if (!std::regex_match(request.path, match, route.pattern)) continue;
      path_known = true;
      if (route.method != request.method) continue;
      for (size_t i = 1; i < match.size(); ++i) request.captures.push_back(match[i].str());
      toHttplib(route.handler(request), out);
      return;
    }
    if (path_known) {
      toHttplib(errorResponse(request, 405, request.method + " is not allowed here"), out);
    } else {
      toHttplib(errorResponse(request, 404, "nothing at " + request.path), out);
    }
  }
};

WebServer::WebServer(const Context& context) : impl_(std::make_unique<Impl>()) {
  for (auto group : {healthRoutes, projectRoutes, jobsetRoutes, buildRoutes, jobRoutes, queueRoutes,
                     metricsRoutes, webhookRoutes}) {
    for (Route& route : group(context)) {
      impl_->routes.push_back({route.method, std::regex(route.pattern), std::move(route.handler)});
    }
  }
  auto& s = impl_->server;
  Impl* impl = impl_.get();
  auto handle = [impl](const httplib::Request& in, httplib::Response& out) {
    impl->dispatch(in, out);
  };
  s.Get(".*", handle);
  s.Post(".*", handle);
  // What cpp-httplib answers by itself (a body over the limit, a request it cannot parse) in
  // the form the client asked for.
  s.set_error_handler([](const httplib::Request& in, httplib::Response& res) {
    if (!res.body.empty()) return;
    const Request request = fromHttplib(in);
    const std::string message = res.status == 413   ? "request body too large"
                                : res.status == 400 ? "malformed request"
                                                    : "request failed";
    toHttplib(errorResponse(request, res.status, message), res);
  });
  s.set_exception_handler(
      [](const httplib::Request& in, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          log::error("web", "{} {}: {}", in.method, in.path, e.what());
        } catch (...) {
          log::error("web", "{} {}: unknown exception", in.method, in.path);
        }
        toHttplib(errorResponse(fromHttplib(in), 500, what), res);
      });
  s.set_payload_max_length(kMaxBodyBytes);
  // A response leaves in more than one write; with Nagle's algorithm the last one waits for the
  // client's delayed ACK (40 ms on Linux).
  s.set_tcp_nodelay(true);
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
