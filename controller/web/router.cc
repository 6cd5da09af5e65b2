#include "controller/web/router.hh"

#include <algorithm>
#include <cctype>

#include "controller/web/html.hh"

namespace hydrant::web {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<std::string> Request::param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

bool Request::wantsJson() const {
  const std::string accept = lower(header("accept").value_or(""));
  size_t json = accept.find("application/json");
  if (json == std::string::npos) {
    const size_t plus = accept.find("+json");
    json = plus;
  }
  if (json == std::string::npos) return false;
  const size_t html = accept.find("text/html");
  return html == std::string::npos || json < html;
}

Response jsonResponse(const nlohmann::json& value, int status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = value.dump(2) + "\n";
  return r;
}

Response htmlResponse(std::string html, int status) {
  Response r;
  r.status = status;
  r.body = std::move(html);
  return r;
}

Response textResponse(std::string text, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

Response redirectResponse(const std::string& location, int status) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "see " + location + "\n";
  r.headers.emplace_back("Location", location);
  return r;
}

Response errorResponse(const Request& request, int status, const std::string& message) {
  if (request.wantsJson()) return jsonResponse({{"error", message}, {"status", status}}, status);
  return htmlResponse(html::page("Error " + std::to_string(status),
                                 "<p class=\"error\">" + html::escape(message) + "</p>"),
                      status);
}

}  // namespace hydrant::web
