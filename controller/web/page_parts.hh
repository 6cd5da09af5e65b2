// Pieces the page files of controller/web/ share (pages_projects.cc, pages_jobsets.cc,
// pages_builds.cc, pages_jobs.cc): links between the pages, how times, revisions, conditions,
// build states and events render, the database check in front of a handler and the error answers.
// Internal to controller/web/. Pure functions of their arguments (the error answers also log);
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/web/context.hh"
#include "controller/web/router.hh"

namespace hydrant {
struct Error;
}
namespace hydrant::specs {
enum class Enabled;
}
namespace hydrant::db {
struct Status;
struct EventRow;
}  // namespace hydrant::db

namespace hydrant::web {

// How many events the history of a project's or a jobset's page shows.
constexpr int kEventsShown = 50;

// ---- links ------------------------------------------------------------------------------------

// The paths of a project's and a jobset's pages, names percent-encoded.
std::string projectHref(const std::string& project);
std::string jobsetHref(const std::string& project, const std::string& jobset);
// A link to evaluation (build) `id`, its text `prefix` then the number: "#12" with prefix "#".
std::string evalLink(int id, std::string_view prefix = "");
std::string buildLink(int id, std::string_view prefix = "");

// ---- pieces of HTML ---------------------------------------------------------------------------

// `text` escaped, in the muted colour.
std::string muted(const std::string& text);
// Hydra's name of a jobset mode (Jobsets.enabled 0-3) as the pages show it.
const char* enabledLabel(specs::Enabled e);
// A unix time as "2024-05-01 12:00:00", or `absent` muted when there is none.
std::string timeHtml(const std::optional<long long>& t, const std::string& absent);
// A git commit shortened to 12 characters with the whole revision in its title; other revisions
// whole; "none" muted when there is none.
std::string revisionHtml(const std::optional<std::string>& rev);
// The Ready condition, or the condition that keeps the object from it, with reason and message.
// Phrasing content only, so it may stand inside a paragraph.
std::string conditionHtml(const db::Status& s);
// Hydra's label of a build or step state (views.cc keeps the one mapping of the codes) in a span
// coloured by outcome.
std::string statusHtml(bool finished, std::optional<int> status);
// The start of a possibly long error text (a whole evaluation's job errors) after `label`; empty
// when there is no error.
std::string errorPreview(const std::string& label, const std::string& text);
// The history of a project or a jobset as a table, newest first as given.
std::string eventsTable(const std::vector<db::EventRow>& events);

// ---- pieces of JSON ---------------------------------------------------------------------------

template <class T>
nlohmann::json orNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json eventsJson(const std::vector<db::EventRow>& events);

// ---- requests and answers ---------------------------------------------------------------------

// A positive decimal number that fits an int, or nullopt.
std::optional<int> positive(const std::string& text);

// {"error": message, "status": status}: the API answers JSON whatever the client accepts, errors
// included.
Response jsonError(int status, const std::string& message);

// A page's read failed: logged with the details; the client gets 503 for a transient error
// (the database is away), else 500, without them (as JSON when `always_json`, for the API).
Response readFailed(const Request& request, const Error& e, bool always_json);

// A 400 answer when `project` (or `jobset`, unless null) is not a valid name; else nullopt.
std::optional<Response> badName(const Request& request, const std::string& project,
                                const std::string* jobset);

// `handler` behind a check for the database: without one (tests of pages that need none) the
// answer is 503 "no database", as JSON whatever the client accepts when `always_json`.
using DatabaseHandler = Response (*)(const Context& context, const Request& request);
Handler withDatabase(const Context& context, DatabaseHandler handler, bool always_json = false);

}  // namespace hydrant::web
