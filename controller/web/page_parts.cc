#include "controller/web/page_parts.hh"

#include <charconv>
#include <iterator>

#include "controller/db/web_projects.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "controller/web/html.hh"
#include "specs/parse.hh"

namespace hydrant::web {

namespace {

constexpr size_t kErrorPreview = 300;

}  // namespace

std::string projectHref(const std::string& project) {
  return "/project/" + html::urlSegment(project);
}

std::string jobsetHref(const std::string& project, const std::string& jobset) {
  return "/jobset/" + html::urlSegment(project) + "/" + html::urlSegment(jobset);
}

std::string evalLink(int id, std::string_view prefix) {
  return html::link("/eval/" + std::to_string(id), std::string(prefix) + std::to_string(id));
}

std::string buildLink(int id, std::string_view prefix) {
  return html::link("/build/" + std::to_string(id), std::string(prefix) + std::to_string(id));
}

std::string muted(const std::string& text) {
  return "<span class=\"muted\">" + html::escape(text) + "</span>";
}

const char* enabledLabel(specs::Enabled e) {
  static const char* const kLabels[] = {"disabled", "enabled", "one-shot", "one-at-a-time"};
  const auto i = static_cast<size_t>(e);
  return i < std::size(kLabels) ? kLabels[i] : "unknown";
}

std::string timeHtml(const std::optional<long long>& t, const std::string& absent) {
  return t ? html::escape(views::utcTime(*t)) : muted(absent);
}

std::string revisionHtml(const std::optional<std::string>& rev) {
  if (!rev || rev->empty()) return muted("none");
  const bool commit =
      rev->size() == 40 && rev->find_first_not_of("0123456789abcdef") == std::string::npos;
  return "<code title=\"" + html::escape(*rev) + "\">" +
         html::escape(commit ? rev->substr(0, 12) : *rev) + "</code>";
}

std::string conditionHtml(const db::Status& s) {
  const char* cls = s.condition == "Ready" ? "ok" : s.condition == "Stalled" ? "fail" : "wait";
  std::string out =
      std::string("<span class=\"") + cls + "\">" + html::escape(s.condition) + "</span>";
  if (!s.reason.empty()) out += " (" + html::escape(s.reason) + ")";
  if (!s.message.empty()) {
    out += std::string("<br><span class=\"") + (s.condition == "Stalled" ? "error" : "muted") +
           "\">" + html::escape(s.message) + "</span>";
  }
  return out;
}

std::string statusHtml(bool finished, std::optional<int> status) {
  db::BuildView b;
  b.finished = finished;
  b.buildstatus = status;
  const char* css = !finished ? "wait" : status.value_or(1) == 0 ? "ok" : "fail";
  return std::string("<span class=\"") + css + "\">" + html::escape(views::buildStatusLabel(b)) +
         "</span>";
}

std::string errorPreview(const std::string& label, const std::string& text) {
  if (text.empty()) return "";
  const bool cut = text.size() > kErrorPreview;
  return "<div class=\"error\">" + html::escape(label) + ": " +
         html::escape(cut ? text.substr(0, kErrorPreview) : text) + (cut ? "…" : "") + "</div>";
}

std::string eventsTable(const std::vector<db::EventRow>& events) {
  if (events.empty()) return "<p class=\"muted\">No events recorded.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    // "2024-05-01T12:00:00Z" as the other times on these pages read: "2024-05-01 12:00:00".
    std::string time = e.time;
    if (time.size() == 20 && time[10] == 'T') time = time.substr(0, 10) + " " + time.substr(11, 8);
    rows.push_back({html::escape(time), html::escape(e.kind + " " + e.key), html::escape(e.action),
                    revisionHtml(e.revision), html::escape(e.message)});
  }
  return html::table({"Time", "Object", "Action", "Revision", "Message"}, rows);
}

nlohmann::json eventsJson(const std::vector<db::EventRow>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events) {
    out.push_back({{"id", e.id},
                   {"time", e.time},
                   {"kind", e.kind},
                   {"key", e.key},
                   {"action", e.action},
                   {"revision", orNull(e.revision)},
                   {"message", e.message}});
  }
  return out;
}

std::optional<int> positive(const std::string& text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

Response jsonError(int status, const std::string& message) {
  return jsonResponse({{"error", message}, {"status", status}}, status);
}

Response readFailed(const Request& request, const Error& e, bool always_json) {
  log::error("web", "{} {}: {}", request.method, request.path, e.message);
  const bool transient = e.cls == ErrorClass::kTransient;
  const int status = transient ? 503 : 500;
  const std::string message = transient ? "database unavailable, try again" : "internal error";
  return always_json ? jsonError(status, message) : errorResponse(request, status, message);
}

std::optional<Response> badName(const Request& request, const std::string& project,
                                const std::string* jobset) {
  if (!specs::validProjectName(project)) {
    return errorResponse(request, 400, "\"" + project + "\" is not a valid project name");
  }
  if (jobset && !specs::validJobsetName(*jobset)) {
    return errorResponse(request, 400, "\"" + *jobset + "\" is not a valid jobset name");
  }
  return std::nullopt;
}

Handler withDatabase(const Context& context, DatabaseHandler handler, bool always_json) {
  return [context, handler, always_json](const Request& request) {
    if (context.db == nullptr) {
      return always_json ? jsonError(503, "no database")
                         : errorResponse(request, 503, "no database");
    }
    return handler(context, request);
  };
}

}  // namespace hydrant::web
