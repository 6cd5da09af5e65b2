// Hydrant's HTTP side without cpp-httplib: a request as handlers see it, the response they give,
// and routes (method, regular expression over the path, handler). server.cc alone speaks
// cpp-httplib and turns its requests into these. Content negotiation follows Hydra: the same
// URL answers JSON to `Accept: application/json` and HTML otherwise. Value types; handlers must
// be thread-safe (the server runs them on its own threads).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hydrant::web {

struct Request {
  std::string method;                 // "GET", "POST"
  std::string path;                   // without the query
  std::vector<std::string> captures;  // the route pattern's groups, in order
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The first value of query parameter `name`.
  std::optional<std::string> param(const std::string& name) const;
  // Header `name` (any case).
  std::optional<std::string> header(const std::string& name) const;
  // Whether the client asked for JSON: its Accept header names application/json (or
  // application/*+json) before any text/html.
  bool wantsJson() const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Response(const Request&)>;

struct Route {
  std::string method;   // "GET" or "POST"
  std::string pattern;  // ECMAScript regex matched against the whole path, e.g. "/build/(\\d+)"
  Handler handler;
};

// 200 (or `status`) with `value` as JSON.
Response jsonResponse(const nlohmann::json& value, int status = 200);
// 200 (or `status`) with an HTML document.
Response htmlResponse(std::string html, int status = 200);
// 200 with plain text.
Response textResponse(std::string text, int status = 200);
// A redirect to `location` (302 unless given).
Response redirectResponse(const std::string& location, int status = 302);
// An error in the form the client asked for: {"error": message, "status": status} for JSON
// clients, else a small HTML page with the message escaped.
Response errorResponse(const Request& request, int status, const std::string& message);

}  // namespace hydrant::web
